"""Actor detection against the gold files of the sample articles: precision, recall, country and role accuracy.

Matching rule: a found actor matches a gold actor when its name, or one of its aliases, equals the gold name or one
of the gold aliases (case-insensitive, a leading "the" ignored), one-to-one, in text order. Precision counts found
actors, recall gold actors. Country accuracy is over matched pairs; kind accuracy likewise.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.settings import ROOT

SAMPLES = ROOT / "data" / "samples"


def _norm(name: str) -> str:
    name = " ".join(name.replace("’", "'").split()).lower()
    return name[4:] if name.startswith("the ") else name


def _names(name: str, aliases: Sequence[str]) -> set[str]:
    return {_norm(name), *(_norm(a) for a in aliases)}


def match_actors(found: list[dict[str, Any]], gold: list[dict[str, Any]]) -> list[tuple[dict, dict]]:
    """Pair found and gold actors one-to-one by shared names (see the module docstring)."""
    pairs = []
    free = list(gold)
    for f in found:
        fnames = _names(f["name"], f.get("aliases") or [])
        best = next((g for g in free if _norm(g["name"]) == _norm(f["name"])), None)
        if best is None:
            best = next((g for g in free if fnames & _names(g["name"], g.get("aliases") or [])), None)
        if best is not None:
            free.remove(best)
            pairs.append((f, best))
    return pairs


def score_file(txt: Path) -> dict[str, Any]:
    """Analyse one sample and compare its actors with its gold file."""
    from analysis.pipeline import analyze

    gold = json.loads(txt.with_suffix(".gold.json").read_text(encoding="utf-8"))
    result = analyze(txt.read_text(encoding="utf-8"), title=gold.get("title"), source=gold.get("source"),
                     published=gold.get("published"))
    found = result.actors.to_dict(orient="records")
    pairs = match_actors(found, gold["actors"])
    matched_gold = {id(g) for _, g in pairs}
    return {
        "sample": txt.stem,
        "found": len(found),
        "gold": len(gold["actors"]),
        "matched": len(pairs),
        "kind_ok": sum(f["kind"] == g["kind"] for f, g in pairs),
        "country_ok": sum((f["country"] if isinstance(f["country"], str) else None) == g.get("country")
                          for f, g in pairs),
        "missed": [g["name"] for g in gold["actors"] if id(g) not in matched_gold],
        "spurious": [f["name"] for f in found if all(f is not p for p, _ in pairs)],
        "wrong_country": [(f["name"], f["country"] if isinstance(f["country"], str) else None, g.get("country"))
                          for f, g in pairs
                          if (f["country"] if isinstance(f["country"], str) else None) != g.get("country")],
        "countries_found": sorted(result.countries["iso3"].tolist()),
        "countries_gold": sorted(gold["countries"]),
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Print actor precision/recall per sample and overall; `--json` for machine-readable output."""
    parser = argparse.ArgumentParser(prog="python -m analysis.evaluate actors", description=__doc__.splitlines()[0])
    parser.add_argument("--samples", type=Path, default=SAMPLES, help="folder of <name>.txt + <name>.gold.json")
    parser.add_argument("--json", action="store_true")
    parser.add_argument("--verbose", "-v", action="store_true", help="list missed, spurious and wrong-country actors")
    args = parser.parse_args(argv)
    files = sorted(p for p in args.samples.glob("*.txt") if p.with_suffix(".gold.json").exists())
    if not files:
        print(f"error: no <name>.txt with <name>.gold.json in {args.samples}", file=sys.stderr)
        return 2
    results = [score_file(p) for p in files]
    tot = {k: sum(r[k] for r in results) for k in ("found", "gold", "matched", "kind_ok", "country_ok")}
    p = tot["matched"] / max(1, tot["found"])
    r = tot["matched"] / max(1, tot["gold"])
    f1 = 2 * p * r / max(1e-9, p + r)
    cp = sum(len(set(x["countries_found"]) & set(x["countries_gold"])) for x in results)
    cpp = cp / max(1, sum(len(x["countries_found"]) for x in results))
    cr = cp / max(1, sum(len(x["countries_gold"]) for x in results))
    summary = {"precision": p, "recall": r, "f1": f1, "kind_accuracy": tot["kind_ok"] / max(1, tot["matched"]),
               "country_accuracy": tot["country_ok"] / max(1, tot["matched"]),
               "countries_precision": cpp, "countries_recall": cr, **tot}
    if args.json:
        print(json.dumps({"overall": summary, "samples": results}, ensure_ascii=False, indent=1))
        return 0
    print(__doc__.splitlines()[0])
    print(f"{'sample':40} {'found':>5} {'gold':>5} {'match':>5} {'P':>6} {'R':>6} {'country':>8}")
    for x in results:
        print(f"{x['sample']:40} {x['found']:5} {x['gold']:5} {x['matched']:5} "
              f"{x['matched'] / max(1, x['found']):6.3f} {x['matched'] / max(1, x['gold']):6.3f} "
              f"{x['country_ok'] / max(1, x['matched']):8.3f}")
        if args.verbose:
            print("   missed:", x["missed"])
            print("   spurious:", x["spurious"])
            print("   wrong country:", x["wrong_country"])
            print("   countries found/gold:", x["countries_found"], x["countries_gold"])
    print(f"{'overall':40} {tot['found']:5} {tot['gold']:5} {tot['matched']:5} {p:6.3f} {r:6.3f} "
          f"{summary['country_accuracy']:8.3f}")
    print(f"actor F1 {f1:.3f} · kind accuracy {summary['kind_accuracy']:.3f} · "
          f"country accuracy {summary['country_accuracy']:.3f} · countries table P {cpp:.3f} R {cr:.3f}")
    return 0
