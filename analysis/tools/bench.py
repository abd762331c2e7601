"""Benchmark of the analysis: `python -m analysis bench [--runs 10] [--batch 200] [--json]`.

Prints, on this machine:

* cold start: a fresh Python process importing `analysis`, loading every model and analysing the seed article, from
  launch to the first result (the process's own peak resident memory with it);
* warm latency per article (median and p95 over `--runs` repeats) for the seed article and every sample in
  `data/samples/`;
* throughput: articles per second over a batch of `--batch` articles built from the samples (each sample with a
  different title, so each is a separate analysis), in this one process, one article after another;
* peak resident memory of this process (models loaded, the whole batch analysed);
* peers on the same texts: VADER (sentence-level compound score of every sentence, the usual way to get a tone from
  it) and textacy's `direct_quotations` (spaCy parse included), as articles per second and as ratios to ours.

The cold start is split into interpreter start, `import analysis`, `load_models()` and the first analysis, and each
library's import is timed alone in a fresh process. The models run on `STANCE_ATLAS_RUNTIME` (auto: the int8 ONNX
export) with `STANCE_ATLAS_TORCH_THREADS` threads (0: one per core). Figures depend on what else runs on the machine
and on whether the files are in the page cache (the first run after an install reads them from disk); the command
passes no judgement.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from analysis.settings import ROOT, load_settings, shared_dir

_COLD_SCRIPT = """
import resource, sys, time
t0 = float(sys.argv[2])
t1 = time.time()
from analysis import analyze
from analysis.pipeline import load_models
t2 = time.time()
load_models()
t3 = time.time()
analyze(open(sys.argv[1], encoding="utf-8").read())
t4 = time.time()
print(t1 - t0, t2 - t1, t3 - t2, t4 - t3, t4 - t0, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss,
      sys.modules.get("torch") is not None)
"""
_IMPORT_SCRIPT = """
import sys, time
t = time.perf_counter()
__import__(sys.argv[1])
print(time.perf_counter() - t)
"""
#: libraries whose import cost the benchmark measures, each alone in a fresh process
IMPORTS = ("analysis", "analysis.pipeline", "pandas", "spacy", "onnxruntime", "tokenizers", "torch", "transformers")


def _texts() -> dict[str, str]:
    texts: dict[str, str] = {}
    seed = shared_dir() / "seeds" / "article-russia-north-korea.txt"
    if seed.is_file():
        texts["seed"] = seed.read_text(encoding="utf-8")
    for path in sorted((ROOT / "data" / "samples").glob("*.txt")):
        texts[path.stem] = path.read_text(encoding="utf-8")
    return texts


def _percentile(values: list[float], q: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * q
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def cold_start(path: Path) -> dict[str, float]:
    """Run a fresh process to the first result; return seconds and its peak memory in MB."""
    t0 = time.time()
    proc = subprocess.run([sys.executable, "-c", _COLD_SCRIPT, str(path), repr(t0)], cwd=ROOT, capture_output=True,
                          text=True, check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
    start, imports, loads, first, seconds, rss_kb, torch = proc.stdout.split()[-7:]
    return {"seconds": float(seconds), "peak_rss_mb": int(rss_kb) / 1024, "interpreter_s": float(start),
            "import_s": float(imports), "load_models_s": float(loads), "first_analysis_s": float(first),
            "torch_imported": torch == "True"}


def import_costs() -> dict[str, float]:
    """Seconds to import each library of `IMPORTS` in a fresh process (what it pulls in included)."""
    out = {}
    for name in IMPORTS:
        proc = subprocess.run([sys.executable, "-c", _IMPORT_SCRIPT, name], cwd=ROOT, capture_output=True, text=True,
                              check=True, env={**os.environ, "PYTHONWARNINGS": "ignore"})
        out[name] = float(proc.stdout.split()[-1])
    return out


def _timed(func: Callable[[], Any], runs: int) -> list[float]:
    out = []
    for _ in range(runs):
        t = time.perf_counter()
        func()
        out.append(time.perf_counter() - t)
    return out


def _vader_articles(texts: list[str], nlp: Any) -> Callable[[], None]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    analyser = SentimentIntensityAnalyzer()
    sentences = [[s.text for s in nlp(t).sents] for t in texts]  # split once: VADER's own cost is what is timed

    def run() -> None:
        for sents in sentences:
            for s in sents:
                analyser.polarity_scores(s)
    return run


def _textacy_articles(texts: list[str], nlp: Any) -> Callable[[], None]:
    from textacy.extract.triples import direct_quotations

    def run() -> None:
        for t in texts:
            doc = nlp(t)
            with contextlib.suppress(ValueError):  # textacy gives up on an odd number of quotation marks
                list(direct_quotations(doc))
    return run


def run(runs: int = 10, batch: int = 200, cold: bool = True) -> dict[str, Any]:
    """Measure everything; return the figures (see the module docstring)."""
    from analysis import analyze
    from analysis.models.nlp import load_spacy
    from analysis.pipeline import load_models, model_versions

    texts = _texts()
    result: dict[str, Any] = {"torch_threads": str(load_settings().torch_threads),
                              "cpus": os.cpu_count(), "models": model_versions()}
    if cold:
        first = ROOT / "data" / "samples" / f"{next(k for k in texts if k != 'seed')}.txt"
        seed = shared_dir() / "seeds" / "article-russia-north-korea.txt"
        result["cold_start"] = cold_start(seed if seed.is_file() else first)
        result["import_s"] = import_costs()
    load_models()
    latency = {}
    for name, text in texts.items():
        analyze(text)
        times = _timed(lambda text=text: analyze(text), runs)
        latency[name] = {"chars": len(text), "median_ms": statistics.median(times) * 1000,
                         "p95_ms": _percentile(times, 0.95) * 1000}
    result["warm"] = latency

    samples = [t for k, t in texts.items() if k != "seed"]
    articles = [(samples[i % len(samples)], f"bench {i}") for i in range(batch)]
    t = time.perf_counter()
    for text, title in articles:
        analyze(text, title=title)
    ours = batch / (time.perf_counter() - t)
    result["throughput"] = {"articles": batch, "articles_per_second": ours,
                            "mean_chars": sum(len(a) for a, _ in articles) / batch}

    nlp = load_spacy()
    peer_texts = [a for a, _ in articles[: max(len(samples) * 5, 20)]]
    peers = {}
    for name, factory in (("vader", _vader_articles), ("textacy_direct_quotations", _textacy_articles)):
        job = factory(peer_texts, nlp)
        seconds = min(_timed(job, 2))
        rate = len(peer_texts) / seconds
        peers[name] = {"articles_per_second": rate, "times_ours": rate / ours}
    result["peers"] = peers
    result["peak_rss_mb"] = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    return result


def _print(r: dict[str, Any]) -> None:
    print(f"Stance Atlas benchmark ({r['cpus']} CPUs, models on {r['models']['runtime']}, "
          f"threads {r['torch_threads']})")
    if "cold_start" in r:
        c = r["cold_start"]
        print(f"cold start (fresh process to first result): {c['seconds']:.2f} s, peak memory "
              f"{c['peak_rss_mb']:.0f} MB; interpreter {c['interpreter_s']:.2f} s + import analysis "
              f"{c['import_s']:.2f} s + load_models {c['load_models_s']:.2f} s + first analysis "
              f"{c['first_analysis_s']:.2f} s; torch imported: {'yes' if c['torch_imported'] else 'no'}")
        print("import alone, fresh process: " + ", ".join(f"{k} {v:.2f} s" for k, v in r["import_s"].items()))
    print(f"\n{'article':42} {'chars':>7} {'median ms':>10} {'p95 ms':>8}")
    for name, w in r["warm"].items():
        print(f"{name:42} {w['chars']:>7} {w['median_ms']:>10.0f} {w['p95_ms']:>8.0f}")
    t = r["throughput"]
    print(f"\nthroughput: {t['articles_per_second']:.1f} articles/s over {t['articles']} articles "
          f"(mean {t['mean_chars']:.0f} characters), one process")
    print(f"peak memory of this process: {r['peak_rss_mb']:.0f} MB")
    print("\npeers on the same texts:")
    for name, p in r["peers"].items():
        print(f"  {name:28} {p['articles_per_second']:8.1f} articles/s  ({p['times_ours']:.1f}x ours)")


def main(argv: list[str] | None = None) -> int:
    """Run the benchmark and print a table (or JSON)."""
    parser = argparse.ArgumentParser(prog="python -m analysis bench", description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10, help="repeats per article for the warm latency")
    parser.add_argument("--batch", type=int, default=200, help="articles in the throughput batch")
    parser.add_argument("--no-cold", action="store_true", help="skip the cold-start process")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    args = parser.parse_args(argv)
    from analysis.pipeline import set_torch_threads

    set_torch_threads(load_settings().torch_threads)
    figures = run(runs=args.runs, batch=args.batch, cold=not args.no_cold)
    if args.json:
        print(json.dumps(figures, indent=2, default=float))
    else:
        _print(figures)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
