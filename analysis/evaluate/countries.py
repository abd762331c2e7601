"""Speaker countries and place countries against our labelled wire items, with a naive peer beside ours.

`data/countries/wire_items.jsonl`: 420 short wire items (headline + a one- or two-sentence lead, 2004-2025, every
continent, datelines, named and unnamed speakers), each labelled with its main statement's speaker and that
speaker's country by two independent passes (`pass2_*`); `split` is `tune` (c001-c210, looked at while building the
rules) or `test` (c211-c420, only scored). `data/countries/place_items.jsonl`: 180 sentences with 362 place
mentions below country level, each with its country (two passes). See `data/countries/README.md`.

Speaker country: the item is analysed as `headline + blank line + lead` with its date; the main statement is the
found statement whose speaker span overlaps the gold speaker's words (else the first statement with a speaker);
right when its `speaker_country` is the gold country ("NONE" gold: right when it has none). The peer (spaCy + a
country-name lookup) gives the first country, demonym or capital spaCy tags in the lead (dateline included).

Places: each gold place span is resolved by `analysis.rules.places` with the sentence's country mentions as context
(ours); the peer looks the name up as a country form only (what a country-name lookup can do).
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections import Counter, defaultdict
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.settings import ROOT

ITEMS = ROOT / "data" / "countries" / "wire_items.jsonl"
PLACES = ROOT / "data" / "countries" / "place_items.jsonl"


def _read(path: Path) -> list[dict[str, Any]]:
    with open(path, encoding="utf-8") as fh:
        return [json.loads(line) for line in fh if line.strip()]


def compose(item: dict[str, Any]) -> tuple[str, int]:
    """The article text of an item and where its lead starts."""
    head = item["headline"].strip()
    return f"{head}\n\n{item['text']}", len(head) + 2


def _gold_span(item: dict[str, Any], text: str, lead: int) -> tuple[int, int]:
    at = text.find(item["speaker"], lead)
    if at < 0:
        at = text.find(item["speaker"])
    return at, at + len(item["speaker"])


def main_statement(statements: list[dict[str, Any]], span: tuple[int, int]) -> dict[str, Any] | None:
    """The found statement whose speaker overlaps the gold speaker, else the first with a speaker span."""
    start, end = span
    for row in statements:
        s, e = row["speaker_start"], row["speaker_end"]
        if isinstance(s, int) and isinstance(e, int) and s < end and start < e:
            return row
    return next((r for r in statements if isinstance(r["speaker_start"], int)), None)


def _peer_country(doc: Any, lead: int) -> str | None:
    from analysis.rules.gazetteer import load_gazetteer

    gaz = load_gazetteer()
    for ent in doc.ents:
        if ent.start_char >= lead and ent.label_ in ("GPE", "NORP"):
            iso3 = gaz.country_of_form(ent.text) or gaz.country_of_form(ent.text.title())
            if iso3:
                return iso3
    return None


def _norm(code: Any) -> str:
    return code if isinstance(code, str) and code else "NONE"


def score_speakers(items: list[dict[str, Any]], *, verbose: bool = False) -> dict[str, Any]:
    """Speaker-country accuracy of ours and the peer, overall, per split and per shape."""
    from analysis.models.nlp import load_spacy
    from analysis.pipeline import analyze

    nlp = load_spacy()
    tallies: dict[str, Counter] = defaultdict(Counter)
    wrong = []
    for item in items:
        text, lead = compose(item)
        analysis = analyze(text, published=item["date"])
        rows = analysis.statements.to_dict("records")
        for row in rows:  # pandas nullable ints -> int / None
            for col in ("speaker_start", "speaker_end"):
                row[col] = int(row[col]) if row[col] is not None and row[col] == row[col] else None
        flags = [f for f in analysis.actors["fact_check"] if isinstance(f, str)]
        if flags:  # the items give real people their real roles on their dates: every flag is a false one
            tallies["all"]["flagged"] += 1
            if verbose:
                print("   flag:", item["id"], *flags, sep=" | ")
        span = _gold_span(item, text, lead)
        main = main_statement(rows, span)
        ours = _norm(main["speaker_country"]) if main else "NONE"
        peer = _norm(_peer_country(nlp(text), lead))
        gold = item["speaker_country"]
        found = main is not None and main["speaker_start"] is not None and main["speaker_start"] < span[1] \
            and span[0] < main["speaker_end"]
        for key in ("all", f"split:{item['split']}", f"shape:{item['shape']}"):
            t = tallies[key]
            t["n"] += 1
            t["ours"] += ours == gold
            t["peer"] += peer == gold
            t["speaker_found"] += found
        if ours != gold:
            how = main["speaker_country_source"] if main else None
            wrong.append((item["id"], item["split"], item["shape"], gold, ours, how, item["speaker"],
                          main["speaker_text"] if main else None))
    if verbose:
        for w in wrong:
            print("   wrong:", *w, sep=" | ")
    return {"tallies": {k: dict(v) for k, v in tallies.items()}, "wrong": wrong}


def score_places(items: list[dict[str, Any]], *, verbose: bool = False) -> dict[str, Any]:
    """Place -> country accuracy of our gazetteer (with the sentence's countries as context) and of the peer."""
    from analysis.models.nlp import load_spacy
    from analysis.rules.gazetteer import load_gazetteer
    from analysis.rules.places import load_places
    from analysis.stages.geo import resolve_place

    nlp, gaz, places = load_spacy(), load_gazetteer(), load_places()
    t: Counter = Counter()
    reasons: Counter = Counter()
    for item in items:
        doc = nlp(item["text"])
        spans = [(p["start"], p["end"]) for p in item["places"]]
        context = [iso3 for ent in doc.ents if ent.label_ in ("GPE", "NORP")  # the sentence's other countries
                   and not any(s < ent.end_char and ent.start_char < e for s, e in spans)
                   for iso3 in [gaz.country_of_form(ent.text)] if iso3]
        for p in item["places"]:
            context += [r.iso3 for q in item["places"] if q is not p
                        for r in [places.resolve(q["text"])] if r is not None and r.reason == "only"]
        for p in item["places"]:
            found = resolve_place(places, gaz, p["text"], context)
            ours = found[0] if found else "NONE"
            peer = gaz.country_of_form(p["text"]) or "NONE"
            t["n"] += 1
            t["ours"] += ours == p["iso3"]
            t["peer"] += peer == p["iso3"]
            t["covered"] += found is not None
            reasons[found[2] if found else "none"] += 1
            if verbose and ours != p["iso3"]:
                print(f"   place: {item['id']} | {p['text']} | gold {p['iso3']} | ours {ours}"
                      f" ({found[2] if found else 'not in the gazetteer'})")
    return {"tally": dict(t), "reasons": dict(reasons)}


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.evaluate countries", description=__doc__.split("\n")[0])
    parser.add_argument("--items", type=Path, default=ITEMS, help="labelled wire items (JSONL)")
    parser.add_argument("--places", type=Path, default=PLACES, help="labelled place sentences (JSONL)")
    parser.add_argument("--split", choices=("tune", "test", "all"), default="all")
    parser.add_argument("--limit", type=int, default=0)
    parser.add_argument("-v", "--verbose", action="store_true", help="list every wrong item")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    items = [i for i in _read(args.items) if args.split in ("all", i["split"])]
    items = items[:args.limit] if args.limit else items
    agree = sum(i["speaker_country"] == i["pass2_country"] for i in items)
    print(f"{len(items)} wire items; the two labelling passes agree on the speaker's country for {agree}")
    result = score_speakers(items, verbose=args.verbose)
    print(f"{'items':<28}{'n':>5}{'ours':>8}{'peer':>8}{'speaker found':>15}")
    for key in sorted(result["tallies"], key=lambda k: (k != "all", k)):
        t = result["tallies"][key]
        print(f"{key:<28}{t['n']:>5}{t['ours'] / t['n']:>8.3f}{t['peer'] / t['n']:>8.3f}"
              f"{t['speaker_found'] / t['n']:>15.3f}")
    print(f"false fact-check flags (items with one; every item's roles are real on its date): "
          f"{result['tallies']['all'].get('flagged', 0)} of {len(items)}")
    places = score_places(_read(args.places), verbose=args.verbose)
    t = places["tally"]
    print(f"places below country level: {t['n']} · ours {t['ours'] / t['n']:.3f} · peer {t['peer'] / t['n']:.3f}"
          f" · in the gazetteer {t['covered'] / t['n']:.3f} · by {places['reasons']}")
    print(f"{time.perf_counter() - started:.1f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
