"""Evaluate target-dependent sentiment on a NewsMTSC file: our model and VADER, F1m, accuracy, confusion, speed.

Usage::

    python -m analysis.evaluate sentiment --newsmtsc ../shared/data/raw/newsmtsc/rw/dev.jsonl [--json]

F1m is the macro F1 over negative / neutral / positive, the NewsMTSC paper's metric. VADER (`vaderSentiment`) scores
the whole sentence (compound >= 0.05 positive, <= -0.05 negative, else neutral): it ignores the target, which is
the point of the comparison.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any, NamedTuple

from analysis.errors import InputFileNotFoundError, InvalidInputLineError
from analysis.labels import SENTIMENT_LABELS as LABELS

_POLARITY_ORIGINAL = {2.0: "negative", 4.0: "neutral", 6.0: "positive"}
_POLARITY_HF = {-1: "negative", 0: "neutral", 1: "positive"}
VADER_THRESHOLD = 0.05


class Target(NamedTuple):
    """One labelled target of NewsMTSC: the sentence, the mention's span, its gold polarity and coreferences."""

    id: str
    text: str
    start: int
    end: int
    polarity: str
    further: tuple[tuple[int, int], ...] = ()


def read_newsmtsc(path: Path) -> list[Target]:
    """Read a NewsMTSC file, either the original format (one sentence, several targets) or the flat `hf` format.

    Raises:
        InputFileNotFoundError: the file cannot be read.
        InvalidInputLineError: a line is neither format; the message names the line number.
    """
    try:
        lines = Path(path).read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise InputFileNotFoundError(f"cannot read NewsMTSC file {path}: {exc.strerror}") from exc
    targets: list[Target] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            obj = json.loads(line)
            if "targets" in obj:
                text = obj["sentence_normalized"]
                for t in obj["targets"]:
                    further = tuple((m["from"], m["to"]) for m in t.get("further_mentions", ()))
                    pol = _POLARITY_ORIGINAL[float(t["polarity"])]
                    targets.append(Target(str(t["Input.gid"]), text, t["from"], t["to"], pol, further))
            else:
                pol = _POLARITY_HF[int(obj["polarity"])]
                targets.append(Target(str(obj["id"]), obj["sentence"], obj["from"], obj["to"], pol))
        except (json.JSONDecodeError, KeyError, TypeError, ValueError) as exc:
            raise InvalidInputLineError(
                f"{path} line {lineno}: not a NewsMTSC record ({type(exc).__name__}: {exc}); expected the original "
                "format (sentence_normalized, targets) or the hf format (sentence, from, to, polarity)"
            ) from exc
    return targets


def metrics(gold: Sequence[str], pred: Sequence[str], labels: Sequence[str] = LABELS) -> dict[str, Any]:
    """Return F1m (macro F1), accuracy, per-class precision/recall/F1/support and the confusion matrix.

    The confusion matrix is `confusion[gold_index][pred_index]` in the order of `labels`.
    """
    index = {lab: i for i, lab in enumerate(labels)}
    confusion = [[0] * len(labels) for _ in labels]
    for g, p in zip(gold, pred, strict=True):
        confusion[index[g]][index[p]] += 1
    per_class: dict[str, dict[str, float]] = {}
    for i, lab in enumerate(labels):
        tp = confusion[i][i]
        predicted = sum(row[i] for row in confusion)
        support = sum(confusion[i])
        precision = tp / predicted if predicted else 0.0
        recall = tp / support if support else 0.0
        f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
        per_class[lab] = {"precision": precision, "recall": recall, "f1": f1, "support": support}
    total = sum(map(sum, confusion))
    return {
        "f1m": sum(c["f1"] for c in per_class.values()) / len(labels),
        "accuracy": sum(confusion[i][i] for i in range(len(labels))) / total if total else 0.0,
        "per_class": per_class,
        "confusion": confusion,
        "n": total,
    }


def vader_polarity(compound: float) -> str:
    """Map VADER's compound score to a label with the customary ±0.05 thresholds."""
    if compound >= VADER_THRESHOLD:
        return "positive"
    if compound <= -VADER_THRESHOLD:
        return "negative"
    return "neutral"


def _run_ours(targets: Sequence[Target], batch_size: int) -> dict[str, Any]:
    from analysis.models.sentiment import load_sentiment_model

    t0 = time.perf_counter()
    model = load_sentiment_model()
    load_s = time.perf_counter() - t0
    items = [(t.text, t.start, t.end) for t in targets]
    model.predict(items[: min(len(items), batch_size)], batch_size=batch_size)  # warm-up (first-call allocations)
    t0 = time.perf_counter()
    scores = model.predict(items, batch_size=batch_size)
    elapsed = time.perf_counter() - t0
    result = metrics([t.polarity for t in targets], [s.polarity for s in scores])
    result.update(load_s=load_s, seconds=elapsed, targets_per_s=len(items) / elapsed if elapsed else float("inf"))
    return result


def _run_vader(targets: Sequence[Target]) -> dict[str, Any]:
    from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

    t0 = time.perf_counter()
    analyzer = SentimentIntensityAnalyzer()
    load_s = time.perf_counter() - t0
    t0 = time.perf_counter()
    pred = [vader_polarity(analyzer.polarity_scores(t.text)["compound"]) for t in targets]
    elapsed = time.perf_counter() - t0
    result = metrics([t.polarity for t in targets], pred)
    result.update(load_s=load_s, seconds=elapsed, targets_per_s=len(targets) / elapsed if elapsed else float("inf"))
    return result


def _print_report(name: str, r: dict[str, Any], out: Any) -> None:
    print(f"\n== {name}", file=out)
    print(
        f"F1m {r['f1m']:.4f}   accuracy {r['accuracy']:.4f}   n {r['n']}   "
        f"{r['targets_per_s']:.1f} targets/s   load {r['load_s']:.2f} s",
        file=out,
    )
    print(f"{'class':<10}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}", file=out)
    for lab, c in r["per_class"].items():
        print(f"{lab:<10}{c['precision']:>10.4f}{c['recall']:>10.4f}{c['f1']:>10.4f}{c['support']:>10d}", file=out)
    print("confusion (rows gold, columns predicted):", file=out)
    print(f"{'':<10}" + "".join(f"{lab:>10}" for lab in LABELS), file=out)
    for lab, row in zip(LABELS, r["confusion"], strict=True):
        print(f"{lab:<10}" + "".join(f"{v:>10d}" for v in row), file=out)


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; returns the process exit status."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.evaluate sentiment",
        description="Target-dependent sentiment on a NewsMTSC file (original or hf format): ours vs VADER.",
    )
    parser.add_argument("--newsmtsc", type=Path, required=True, help="NewsMTSC JSONL file (e.g. rw/dev.jsonl)")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's default)")
    parser.add_argument("--no-vader", action="store_true", help="skip the VADER peer")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    args = parser.parse_args(argv)

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    targets = read_newsmtsc(args.newsmtsc)
    report: dict[str, Any] = {"file": str(args.newsmtsc), "targets": len(targets)}
    report["ours"] = _run_ours(targets, args.batch_size)
    if not args.no_vader:
        report["vader"] = _run_vader(targets)
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    print(f"NewsMTSC sentiment evaluation: {args.newsmtsc} ({len(targets)} targets)")
    _print_report("ours (MiniLM + LoRA, target-marked)", report["ours"], sys.stdout)
    if "vader" in report:
        _print_report("VADER (sentence compound, ±0.05)", report["vader"], sys.stdout)
    return 0
