"""The codebook-labelled stance set: read the label table and join each statement's text from the shared corpora.

`data/stance/codebook_labels.tsv` holds ids, offsets and labels only (no article text; see
`data/stance/CODEBOOK_LABELS.md`). Each row is one statement of PolNeAR (an attribution relation: source, cue and
content spans), of NewsMTSC (a sentence) or of GoodNewsEveryone (a headline), labelled with the six codebook labels
(`none`: the sentence or headline reports no statement or act) by two independent passes and, where they disagreed,
a third reading. Split `dev` is a random sample of PolNeAR dev relations and NewsMTSC dev sentences, never trained
on; split `train` is for training.

Run `python -m analysis.evaluate.stance_labels --stats` to print the counts and the agreement of the two passes.
"""

from __future__ import annotations

import argparse
import csv
import json
from collections import Counter
from pathlib import Path

import pandas as pd

from analysis.errors import CorpusNotFoundError, GoldSetError
from analysis.evaluate.polnear import parse_ann, read_article, split_dir
from analysis.evaluate.stance_gold import relation_parts
from analysis.labels import STANCE_LABELS
from analysis.settings import ROOT, shared_dir

DEFAULT_LABELS_PATH = ROOT / "data" / "stance" / "codebook_labels.tsv"
#: every label of the table: the codebook's six, and none (no statement or act in the sentence or headline)
TABLE_LABELS: tuple[str, ...] = (*STANCE_LABELS, "none")
COLUMNS: tuple[str, ...] = (
    "id", "split", "source", "label", "label_a", "label_b", "confidence_a", "confidence_b", "adjudication",
    "source_start", "cue_start", "content_start", "speaker_start", "speaker_end", "target",
)
OUTPUT_COLUMNS: tuple[str, ...] = ("id", "split", "source", "text", "speaker", "cue", "content", "label", "target")
_NEWSMTSC_FILES = {"train": "train.jsonl", "dev-rw": "rw/dev.jsonl", "dev-mt": "mt/dev.jsonl"}


def read_label_table(path: Path | str = DEFAULT_LABELS_PATH) -> pd.DataFrame:
    """Read the label table (ids, offsets, labels) as strings; check its columns and labels.

    Raises:
        GoldSetError: a column is missing or a label is not one of `TABLE_LABELS`.
    """
    with open(path, encoding="utf-8", newline="") as fh:
        rows = list(csv.DictReader(fh, delimiter="\t"))
    frame = pd.DataFrame(rows, columns=list(COLUMNS)).fillna("")
    if rows and set(COLUMNS) - set(rows[0]):
        raise GoldSetError(f"{path} lacks the columns {sorted(set(COLUMNS) - set(rows[0]))}")
    bad = sorted(set(frame["label"]) - set(TABLE_LABELS))
    if bad:
        raise GoldSetError(f"{path} has labels outside the codebook: {bad}")
    return frame


def _newsmtsc(split: str) -> dict[str, str]:
    path = shared_dir() / "data" / "raw" / "newsmtsc" / _NEWSMTSC_FILES[split]
    if not path.is_file():
        raise CorpusNotFoundError(f"NewsMTSC file {path} not found; set STANCE_ATLAS_SHARED to the shared data folder")
    out = {}
    for line in path.read_text(encoding="utf-8").split("\n"):
        if line.strip():
            rec = json.loads(line)
            out[rec["primary_gid"]] = rec["sentence_normalized"]
    return out


def _gne() -> dict[str, str]:
    path = shared_dir() / "data" / "raw" / "goodnewseveryone" / "gne-release-v1.0.tsv"
    if not path.is_file():
        raise CorpusNotFoundError(f"GoodNewsEveryone file {path} not found; set STANCE_ATLAS_SHARED")
    with open(path, encoding="utf-8", newline="") as fh:
        return {row["id"]: row["headline"] for row in csv.DictReader(fh, delimiter="\t")}


def _int(value: str) -> int | None:
    return int(value) if str(value).strip() else None


def load_stance_labels(path: Path | str = DEFAULT_LABELS_PATH, *, split: str | None = None,
                       keep_none: bool = False) -> pd.DataFrame:
    """The labelled statements with their text joined from the shared corpora.

    Args:
        path: the label table.
        split: "train" or "dev" (None: both).
        keep_none: keep the rows labelled `none` (sentences and headlines without a statement).

    Returns:
        Columns `OUTPUT_COLUMNS`: `text` is the passage (the sentence(s) of a PolNeAR relation, the NewsMTSC sentence,
        the headline); `speaker`, `cue`, `content` the relation's parts where known (PolNeAR), the speaker as marked
        by the annotators for the others, else None.

    Raises:
        GoldSetError: a PolNeAR row's offsets do not match its relation.
        CorpusNotFoundError: the shared corpora are missing.
    """
    table = read_label_table(path)
    if split:
        table = table[table["split"] == split]
    if not keep_none:
        table = table[table["label"] != "none"]
    newsmtsc: dict[str, dict[str, str]] = {}
    gne: dict[str, str] | None = None
    parsed: dict[tuple[str, str], dict] = {}
    out = []
    for rec in table.to_dict(orient="records"):
        source = rec["source"]
        speaker = cue = content = None
        if source == "polnear":
            _, corpus_split, ann, rel_id = rec["id"].split(":", 3)
            folder = split_dir(corpus_split)
            if (corpus_split, ann) not in parsed:
                parsed[(corpus_split, ann)] = {"rels": parse_ann(folder / "attributions" / ann),
                                               "text": read_article(folder, ann)}
            art = parsed[(corpus_split, ann)]
            rel = art["rels"].get(rel_id)
            if rel is None or rel.cue is None or rel.content is None:
                raise GoldSetError(f"{rec['id']}: no complete relation {rel_id} in {ann}")
            for name, span in (("source_start", rel.source), ("cue_start", rel.cue), ("content_start", rel.content)):
                if _int(rec[name]) != (span.start if span is not None else None):
                    raise GoldSetError(f"{rec['id']}: {name} {rec[name]} does not match the relation")
            parts = relation_parts(art["text"], rel)
            passage, speaker, cue, content = parts["text"], parts["speaker"], parts["cue"], parts["content"]
        elif source == "newsmtsc":
            _, corpus_split, gid = rec["id"].split(":", 2)
            if corpus_split not in newsmtsc:
                newsmtsc[corpus_split] = _newsmtsc(corpus_split)
            passage = newsmtsc[corpus_split][gid]
        else:
            gne = gne if gne is not None else _gne()
            passage = gne[rec["id"].split(":", 1)[1]]
        start, end = _int(rec["speaker_start"]), _int(rec["speaker_end"])
        if source != "polnear" and start is not None and end is not None:
            speaker = passage[start:end]
        out.append({"id": rec["id"], "split": rec["split"], "source": source, "text": passage, "speaker": speaker,
                    "cue": cue, "content": content, "label": rec["label"], "target": rec["target"] or None})
    return pd.DataFrame(out, columns=list(OUTPUT_COLUMNS))


def cohen_kappa(a: list[str], b: list[str]) -> float:
    """Cohen's kappa of two label sequences of equal length."""
    n = len(a)
    observed = sum(x == y for x, y in zip(a, b, strict=True)) / n
    ca, cb = Counter(a), Counter(b)
    expected = sum(ca[k] * cb[k] for k in set(ca) | set(cb)) / (n * n)
    return (observed - expected) / (1 - expected) if expected < 1 else 1.0


def stats(table: pd.DataFrame) -> str:
    """Counts per label and split, and the two passes' agreement and kappa per split."""
    lines = []
    counts = pd.crosstab(table["label"], table["split"]).reindex(index=list(TABLE_LABELS), fill_value=0)
    lines.append(counts.to_string())
    for split, part in table.groupby("split"):
        a, b = part["label_a"].tolist(), part["label_b"].tolist()
        agree = sum(x == y for x, y in zip(a, b, strict=True)) / len(a)
        lines.append(f"{split}: {len(part)} items, passes agree on {agree:.3f}, Cohen's kappa {cohen_kappa(a, b):.3f}, "
                     f"{int((part['adjudication'] != '').sum())} settled by a third reading")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """`python -m analysis.evaluate.stance_labels --stats [--check]`."""
    parser = argparse.ArgumentParser(prog="python -m analysis.evaluate.stance_labels",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--stats", action="store_true", help="counts per label and split, agreement of the passes")
    parser.add_argument("--check", action="store_true", help="join every row's text from ../shared (checks offsets)")
    parser.add_argument("--path", type=Path, default=DEFAULT_LABELS_PATH)
    args = parser.parse_args(argv)
    table = read_label_table(args.path)
    if args.stats or not args.check:
        print(stats(table))
    if args.check:
        joined = load_stance_labels(args.path, keep_none=True)
        print(f"joined {len(joined)} rows from the shared corpora; every PolNeAR offset matches")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
