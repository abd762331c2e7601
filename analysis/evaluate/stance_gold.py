"""Hand-labelled stance dev set on PolNeAR dev: read the label table and join the statements' text from the corpus.

The table `data/stance/dev_gold.tsv` holds only ids, offsets and labels (no article text). Every row names one
attribution relation (`E<n>`) of one PolNeAR dev `.ann` file; `load_stance_gold` reads the relation's source, cue and
content spans from the brat standoff file, checks the stored offsets against them, and returns the passage around
them with the label. Labels follow `docs/stance-codebook.md` of the shared folder (six CAMEO-based classes).

Run `python -m analysis.evaluate.stance_gold --stats` to print the label counts by subset.
"""

from __future__ import annotations

import argparse
import random
import re
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.errors import AnalysisError, GoldSetError
from analysis.evaluate.polnear import (
    Relation,
    Span,
    canonical_ann_files,
    parse_ann,
    read_article,
    split_dir,
)
from analysis.labels import STANCE_LABELS
from analysis.settings import ROOT

LABELS = STANCE_LABELS
CONFIDENCES: tuple[str, ...] = ("high", "medium", "low")
SUBSETS: tuple[str, ...] = ("random", "targeted")
GOLD_COLUMNS: tuple[str, ...] = (
    "file",
    "relation",
    "source_start",
    "cue_start",
    "content_start",
    "label",
    "target",
    "confidence",
    "subset",
    "note",
)
OUTPUT_COLUMNS: tuple[str, ...] = (
    "id",
    "file",
    "relation",
    "text",
    "speaker",
    "cue",
    "content",
    "label",
    "target",
    "subset",
    "confidence",
    "note",
    "passage_start",
    "passage_end",
)

#: seed and size of the unbiased random part of the dev set (see data/stance/LABELLING.md)
RANDOM_SEED = 20161108
RANDOM_SIZE = 180

_REPO_ROOT = ROOT
DEFAULT_GOLD_PATH = _REPO_ROOT / "data" / "stance" / "dev_gold.tsv"


def random_sample(
    polnear_dir: Path | str | None = None, n: int = RANDOM_SIZE, seed: int = RANDOM_SEED
) -> list[tuple[str, str]]:
    """Draw the seeded random sample of complete relations (with cue and content) from the canonical files.

    Args:
        polnear_dir: PolNeAR dev folder (default from the shared data folder).
        n: sample size.
        seed: seed of `random.Random`.

    Returns:
        (file, relation id) pairs in drawing order; the `random` subset of the gold table is exactly this list.
    """
    folder = Path(polnear_dir) if polnear_dir is not None else split_dir("dev")
    pool = [
        (name, rel.id)
        for name in canonical_ann_files(folder)
        for rel in parse_ann(folder / "attributions" / name).values()
        if rel.cue is not None and rel.content is not None
    ]
    return random.Random(seed).sample(pool, n)


_ABBREV = re.compile(
    r"(?:\b(?:Mr|Mrs|Ms|Dr|Sen|Rep|Gov|Lt|Gen|Col|Sgt|Capt|St|Jr|Sr|Rev|Prof|Mt|No|vs|Inc|Corp|Co|Ltd|Jan|Feb|Mar|Apr"
    r"|Jun|Jul|Aug|Sep|Sept|Oct|Nov|Dec)|\b[A-Z]|\b[A-Z]\.[A-Z])\.$"
)


def _sentence_start(text: str, pos: int) -> int:
    """Offset where the sentence holding `pos` begins (after the previous sentence end or line break)."""
    i = pos
    while i > 0:
        ch = text[i - 1]
        if ch == "\n":
            return i
        if ch.isspace():
            j = i - 1
            while j > 0 and text[j - 1] in "\"”’')":
                j -= 1
            if j > 0 and text[j - 1] in ".!?" and not _ABBREV.search(text[max(0, j - 6) : j]):
                return i
        i -= 1
    return 0


def _sentence_end(text: str, pos: int) -> int:
    """Offset one past the end of the sentence holding the character before `pos`."""
    i = pos
    n = len(text)
    while i < n:
        ch = text[i]
        if ch == "\n":
            return i
        if ch in ".!?":
            j = i + 1
            while j < n and text[j] in "\"”’')":
                j += 1
            if (j >= n or text[j].isspace()) and not _ABBREV.search(text[max(0, i - 5) : i + 1]):
                return j
        i += 1
    return n


def passage_bounds(text: str, spans: list[Span]) -> tuple[int, int]:
    """Return (start, end) of the sentence(s) that hold all the given spans."""
    start = _sentence_start(text, min(s.start for s in spans))
    end = _sentence_end(text, max(s.end for s in spans))
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def span_text(text: str, span: Span) -> str:
    """Return the article text a span covers (fragments joined by one space, as in the `.ann` file)."""
    return " ".join(text[s:e] for s, e in span.fragments)


def reading_text(text: str, span: Span) -> str:
    """Return a span's text with its fragments in reading order (sorted by offset), joined by one space."""
    return " ".join(text[s:e] for s, e in sorted(span.fragments))


def _offset(value: object) -> int | None:
    """Parse a stored offset cell: empty means the span is absent."""
    if value is None or (isinstance(value, float) and pd.isna(value)) or str(value).strip() == "":
        return None
    return int(str(value))


def read_gold_table(path: Path | str = DEFAULT_GOLD_PATH) -> pd.DataFrame:
    """Read the gold TSV as strings and check its columns, labels, confidences and subsets.

    Raises:
        GoldSetError: a column is missing, a value is outside its set, or a (file, relation) pair repeats.
    """
    path = Path(path)
    if not path.is_file():
        raise GoldSetError(f"stance gold table {path} not found")
    table = pd.read_csv(path, sep="\t", dtype=str, keep_default_na=False, quoting=3)
    missing = [c for c in GOLD_COLUMNS if c not in table.columns]
    if missing:
        raise GoldSetError(f"{path.name} lacks the column(s) {', '.join(missing)}")
    for column, allowed in (("label", LABELS), ("confidence", CONFIDENCES), ("subset", SUBSETS)):
        bad = sorted(set(table[column]) - set(allowed))
        if bad:
            raise GoldSetError(f"{path.name}: {column} value(s) {bad} not in {list(allowed)}")
    dup = table.duplicated(["file", "relation"], keep=False)
    if dup.any():
        first = table[dup].iloc[0]
        raise GoldSetError(f"{path.name}: relation {first['file']} {first['relation']} is listed twice")
    return table


def relation_parts(text: str, rel: Relation) -> dict[str, Any]:
    """A complete relation as the stance model reads it: the passage (the sentence(s) holding its spans) and its
    speaker (None when unsourced), cue and content (content and content2 in reading order) as read."""
    start, end = passage_bounds(text, rel.spans)
    contents = sorted([s for s in (rel.content, rel.content2) if s is not None], key=lambda s: s.start)
    return {"passage_start": start, "passage_end": end, "text": text[start:end],
            "speaker": reading_text(text, rel.source) if rel.source is not None else None,
            "cue": reading_text(text, rel.cue), "content": " ".join(reading_text(text, s) for s in contents)}


def load_stance_gold(path: Path | str = DEFAULT_GOLD_PATH, polnear_dir: Path | str | None = None) -> pd.DataFrame:
    """Load the hand-labelled stance dev set with the statements' text joined from PolNeAR dev.

    Args:
        path: the gold TSV (default `data/stance/dev_gold.tsv`).
        polnear_dir: PolNeAR dev folder with `text/` and `attributions/` (default from the shared data folder).

    Returns:
        One row per labelled relation with columns id (`<file>#<relation>`), file, relation, text (the sentence(s)
        holding source, cue and content), speaker (source text, empty when unsourced), cue, content (content and
        content2 joined), label, target, subset, confidence, note, passage_start, passage_end.

    Raises:
        GoldSetError: the table is malformed, names a missing file or relation, or its offsets do not match.
    """
    polnear = Path(polnear_dir) if polnear_dir is not None else split_dir("dev")
    table = read_gold_table(path)
    parsed: dict[str, dict[str, Relation]] = {}
    texts: dict[str, str] = {}
    rows = []
    for rec in table.to_dict("records"):
        fname = rec["file"]
        if fname not in parsed:
            ann = polnear / "attributions" / fname
            if not ann.is_file():
                raise GoldSetError(f"annotation file {ann} not found")
            parsed[fname] = parse_ann(ann)
            texts[fname] = read_article(polnear, fname)
        rel = parsed[fname].get(rec["relation"])
        if rel is None or rel.cue is None or rel.content is None:
            raise GoldSetError(f"{fname} has no complete relation {rec['relation']}")
        text = texts[fname]
        for role, span in (("source", rel.source), ("cue", rel.cue), ("content", rel.content)):
            stored = _offset(rec[f"{role}_start"])
            actual = span.start if span is not None else None
            if stored != actual:
                raise GoldSetError(f"{fname} {rec['relation']}: stored {role}_start {stored} but the file has {actual}")
        for span in rel.spans:
            if span_text(text, span) != span.text:
                raise GoldSetError(f"{fname} {span.id}: offsets do not cover the span text")
        parts = relation_parts(text, rel)
        rows.append(
            {
                "id": f"{fname}#{rec['relation']}",
                "file": fname,
                "relation": rec["relation"],
                "text": parts["text"],
                "speaker": parts["speaker"] or "",
                "cue": parts["cue"],
                "content": parts["content"],
                "label": rec["label"],
                "target": rec["target"],
                "subset": rec["subset"],
                "confidence": rec["confidence"],
                "note": rec["note"],
                "passage_start": parts["passage_start"],
                "passage_end": parts["passage_end"],
            }
        )
    return pd.DataFrame(rows, columns=list(OUTPUT_COLUMNS))


def label_counts(frame: pd.DataFrame) -> pd.DataFrame:
    """Return a label x subset count table (with totals) in codebook label order."""
    counts = pd.crosstab(frame["label"], frame["subset"]).reindex(index=list(LABELS), fill_value=0)
    for subset in SUBSETS:
        if subset not in counts.columns:
            counts[subset] = 0
    counts = counts[list(SUBSETS)]
    counts["total"] = counts.sum(axis=1)
    counts.loc["total"] = counts.sum(axis=0)
    return counts


def main(argv: list[str] | None = None) -> int:
    """Command line: `--stats` prints label counts by subset (after loading and verifying every row)."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--stats", action="store_true", help="print label counts by subset")
    parser.add_argument("--path", default=str(DEFAULT_GOLD_PATH), help="gold TSV")
    parser.add_argument("--polnear-dir", default=None, help="PolNeAR dev folder (text/, attributions/)")
    args = parser.parse_args(argv)
    try:
        frame = load_stance_gold(args.path, args.polnear_dir)
    except AnalysisError as exc:
        print(f"error: {exc}")
        return 2
    print(f"{len(frame)} labelled relations from {frame['file'].nunique()} PolNeAR dev files (offsets verified)")
    if args.stats:
        print(label_counts(frame).to_string())
        conf = pd.crosstab(frame["label"], frame["confidence"]).reindex(index=list(LABELS), fill_value=0)
        print()
        print(conf.reindex(columns=list(CONFIDENCES), fill_value=0).to_string())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
