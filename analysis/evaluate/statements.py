"""Statements against the gold files of the sample articles: found, speaker, kind and stance.

Matching rule: a gold statement is found when a found statement's content (any fragment) holds the first character of
the gold `content_starts` in the text, one-to-one in text order. Speaker accuracy counts a match right when the gold
speaker is the found speaker's name or one of its aliases (or both are null); kind and stance must be equal.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections import Counter
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.evaluate.actors import SAMPLES

_QUOTES = "\"“”‘’'"


def _locate(text: str, snippet: str, after: int = 0) -> int:
    """Character offset of `snippet` in `text` (quotes and spacing ignored), searching from `after`; -1 if absent."""
    words = [w for w in re.split(r"\s+", snippet.strip(_QUOTES + " ")) if w]
    if not words:
        return -1
    pattern = r"\s+".join(re.escape(w) for w in words)
    m = re.compile(pattern).search(text, after) or re.compile(pattern).search(text)
    return m.start() if m else -1


def score_sample(txt: Path) -> dict[str, Any]:
    """Analyse one sample and compare its statements with the gold ones."""
    from analysis.pipeline import analyze

    gold = json.loads(txt.with_suffix(".gold.json").read_text(encoding="utf-8"))
    text = txt.read_text(encoding="utf-8")
    result = analyze(text, title=gold.get("title"), source=gold.get("source"), published=gold.get("published"))
    found = result.statements.to_dict(orient="records")
    used: set[int] = set()
    pairs = []
    missed = []
    for g in gold["statements"]:
        pos = _locate(result.article.text, g["content_starts"])
        match = None
        for f in found:
            if f["statement_id"] in used:
                continue
            spans = f["content_spans"] if isinstance(f["content_spans"], list) else []
            if any(s - 2 <= pos < e for s, e in spans):
                match = f
                break
        if match is None:
            missed.append(g)
            continue
        used.add(match["statement_id"])
        pairs.append((match, g))

    def name(v: Any) -> str | None:
        return v if isinstance(v, str) else None

    names = {r["name"]: {r["name"], *r["aliases"]} for r in result.actors.to_dict(orient="records")}

    def same(found_name: Any, gold_name: str | None) -> bool:
        if name(found_name) is None or gold_name is None:
            return name(found_name) == gold_name
        gold_norm = gold_name.lower().removeprefix("the ")
        return any(n.lower().removeprefix("the ") == gold_norm for n in names.get(found_name, {found_name}))

    return {
        "sample": txt.stem, "gold": len(gold["statements"]), "found": len(found), "matched": len(pairs),
        "speaker_ok": sum(same(f["speaker"], g["speaker"]) for f, g in pairs),
        "kind_ok": sum(f["kind"] == g["kind"] for f, g in pairs),
        "stance_ok": sum(f["stance"] == g["stance"] for f, g in pairs),
        "stance_pairs": [(g["stance"], f["stance"]) for f, g in pairs],
        "missed": [f"{g['speaker']}: {g['content_starts']}" for g in missed],
        "wrong_speaker": [(name(f["speaker"]), g["speaker"], g["content_starts"]) for f, g in pairs
                          if not same(f["speaker"], g["speaker"])],
        "spurious": [f"{name(f['speaker'])}: {f['content_text'][:50]}" for f in found
                     if f["statement_id"] not in used],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print statement recall/precision and speaker, kind and stance accuracy on the samples."""
    parser = argparse.ArgumentParser(prog="python -m analysis.evaluate statements",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES)
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", "-v", action="store_true")
    args = parser.parse_args(argv)
    files = sorted(p for p in args.samples.glob("*.txt") if p.with_suffix(".gold.json").exists())
    if not files:
        print(f"error: no <name>.txt with <name>.gold.json in {args.samples}", file=sys.stderr)
        return 2
    t0 = time.perf_counter()
    results = [score_sample(p) for p in files]
    elapsed = time.perf_counter() - t0
    tot = {k: sum(r[k] for r in results) for k in ("gold", "found", "matched", "speaker_ok", "kind_ok", "stance_ok")}
    m = max(1, tot["matched"])
    overall = {"recall": tot["matched"] / max(1, tot["gold"]), "precision": tot["matched"] / max(1, tot["found"]),
               "speaker_accuracy": tot["speaker_ok"] / m, "kind_accuracy": tot["kind_ok"] / m,
               "stance_accuracy": tot["stance_ok"] / m, **tot}
    if args.json:
        print(json.dumps({"overall": overall, "samples": results}, ensure_ascii=False, indent=1))
        return 0
    print(__doc__.splitlines()[0])
    print(f"{'sample':40} {'gold':>4} {'found':>5} {'match':>5} {'speaker':>7} {'kind':>5} {'stance':>6}")
    for r in results:
        mm = max(1, r["matched"])
        print(f"{r['sample']:40} {r['gold']:4} {r['found']:5} {r['matched']:5} {r['speaker_ok'] / mm:7.2f} "
              f"{r['kind_ok'] / mm:5.2f} {r['stance_ok'] / mm:6.2f}")
        if args.verbose:
            for key in ("missed", "wrong_speaker", "spurious"):
                for item in r[key]:
                    print(f"   {key}: {item}")
    print(f"overall: recall {overall['recall']:.3f} precision {overall['precision']:.3f} · speaker "
          f"{overall['speaker_accuracy']:.3f} · kind {overall['kind_accuracy']:.3f} · stance "
          f"{overall['stance_accuracy']:.3f} ({tot['matched']} matched of {tot['gold']} gold) · {elapsed:.1f} s")
    confusion = Counter(p for r in results for p in r["stance_pairs"])
    print("stance (gold -> found):", ", ".join(f"{g}->{f} {n}" for (g, f), n in confusion.most_common()))
    return 0
