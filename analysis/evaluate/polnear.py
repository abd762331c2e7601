"""The one PolNeAR reader: brat standoff `.ann` files of attribution relations and their article texts.

PolNeAR (Newell, Margolin & Ruths, LREC 2018) lives in the shared data folder (`../shared/data/raw/polnear/`), one
folder per split with `text/<article>.txt` and `attributions/<article>_<annotator>.ann`. Where several annotators
labelled an article, the first `.ann` file in sorted order is the canonical one. Evaluations, training and the stance
gold set all read it through this module.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from analysis.errors import CorpusNotFoundError, GoldSetError
from analysis.settings import shared_dir

Fragments = tuple[tuple[int, int], ...]
#: span types of the three argument roles (other types, such as the `Attribution` trigger, are not arguments)
_ROLE_TYPES = frozenset({"Source", "Cue", "Content"})
_T_LINE = re.compile(r"^T\d+\t\S+ \d+ \d+(;\d+ \d+)*(\t|$)")
_E_LINE = re.compile(r"^E\d+\t")
_OTHER_LINE = re.compile(r"^[#RAMN*]\d*\t")


def split_dir(split: str = "dev") -> Path:
    """Return the folder of a PolNeAR split (`train`, `dev`, `annotator-training`) in the shared data folder."""
    return shared_dir() / "data" / "raw" / "polnear" / split


@dataclass(frozen=True)
class Span:
    """One brat text-bound span (`T<n>`): its type, fragments as (start, end) offsets and covered text."""

    id: str
    type: str
    fragments: tuple[tuple[int, int], ...]
    text: str

    @property
    def start(self) -> int:
        """First character offset of the span."""
        return min(s for s, _ in self.fragments)

    @property
    def end(self) -> int:
        """Offset one past the last character of the span."""
        return max(e for _, e in self.fragments)


@dataclass
class Relation:
    """One attribution relation (`E<n>`) with its source (None when unsourced), cue and content spans."""

    id: str
    file: str
    source: Span | None = None
    cue: Span | None = None
    content: Span | None = None
    content2: Span | None = None
    extra: dict[str, Span] = field(default_factory=dict)

    @property
    def spans(self) -> list[Span]:
        """The relation's argument spans that exist (source, cue, content, content2)."""
        return [s for s in (self.source, self.cue, self.content, self.content2) if s is not None]


def article_name(ann_file: str) -> str:
    """Return the article name of an annotation file name (`<article>_<annotator>.ann` -> `<article>`)."""
    stem = ann_file[:-4] if ann_file.endswith(".ann") else ann_file
    return re.sub(r"_[0-9a-f]{4}$", "", stem)


def read_article(polnear_dir: Path, ann_file: str) -> str:
    """Return the raw text of the article an annotation file belongs to."""
    path = Path(polnear_dir) / "text" / f"{article_name(ann_file)}.txt"
    if not path.is_file():
        raise GoldSetError(f"article text {path} not found; set STANCE_ATLAS_SHARED to the shared data folder")
    return path.read_text(encoding="utf-8")


def parse_ann(path: Path) -> dict[str, Relation]:
    """Parse a brat standoff `.ann` file of PolNeAR into its attribution relations, keyed by `E` id.

    Args:
        path: the `.ann` file.

    Returns:
        Relations in file order; spans keep all their fragments (discontinuous spans have several).
    """
    spans: dict[str, Span] = {}
    events: list[tuple[str, list[tuple[str, str]]]] = []
    last_span: str | None = None
    content = Path(path).read_text(encoding="utf-8")
    for line in content.removesuffix("\n").split("\n"):
        if _T_LINE.match(line):
            tid, head, *rest = line.split("\t")
            kind, offsets = head.split(" ", 1)
            frags = tuple((int(a), int(b)) for a, b in (frag.split(" ") for frag in offsets.split(";")))
            spans[tid] = Span(tid, kind, frags, rest[0] if rest else "")
            last_span = tid
        elif _E_LINE.match(line):
            eid, args = line.split("\t", 1)
            events.append((eid, [(a.split(":", 1)[0], a.split(":", 1)[1]) for a in args.split() if ":" in a]))
            last_span = None
        elif _OTHER_LINE.match(line):
            last_span = None
        elif last_span is not None:
            # a span text holding a newline (even a blank line) continues on the next line of the file
            prev = spans[last_span]
            spans[last_span] = Span(prev.id, prev.type, prev.fragments, f"{prev.text}\n{line}")
    relations: dict[str, Relation] = {}
    name = Path(path).name
    for eid, pairs in events:
        rel = Relation(eid, name)
        for role, tid in pairs:
            span = spans.get(tid)
            if span is None:
                continue
            if role == "Source":
                rel.source = span
            elif role == "Cue":
                rel.cue = span
            elif role == "Content":
                rel.content = span
            elif role == "Content2":
                rel.content2 = span
            else:
                rel.extra[role] = span
        relations[eid] = rel
    return relations


def canonical_ann_files(polnear_dir: Path | str | None = None) -> list[str]:
    """Return one `.ann` file name per article (the first by name where several annotators labelled it), sorted."""
    folder = Path(polnear_dir) if polnear_dir is not None else split_dir("dev")
    chosen: dict[str, str] = {}
    for name in sorted(p.name for p in (folder / "attributions").glob("*.ann")):
        chosen.setdefault(article_name(name), name)
    return sorted(chosen.values())


@dataclass(frozen=True)
class GoldRelation:
    """One annotated attribution relation: fragments of its source, cue and content (None where absent)."""

    source: Fragments | None
    cue: Fragments | None
    content: Fragments | None


@dataclass
class PolnearArticle:
    """One article with its gold relations, read from one annotator file."""

    name: str
    text: str
    relations: list[GoldRelation]
    annotation_file: str = ""


def gold_relations(relations: dict[str, Relation]) -> list[GoldRelation]:
    """The relations of one file as fragments per role (`Content` and `Content2` merged into one content)."""

    def frags(*spans: Span | None) -> Fragments | None:
        out = [f for span in spans if span is not None and span.type in _ROLE_TYPES for f in span.fragments]
        return tuple(sorted(out)) or None

    return [GoldRelation(source=frags(r.source), cue=frags(r.cue), content=frags(r.content, r.content2))
            for r in relations.values()]


def read_polnear(directory: str | Path, limit: int | None = None) -> list[PolnearArticle]:
    """Read a PolNeAR-format folder (`text/` and `attributions/`), the canonical annotator file per article.

    Args:
        directory: folder holding `text/` and `attributions/`.
        limit: read only the first `limit` articles (sorted by name).

    Raises:
        CorpusNotFoundError: the folder lacks `text/` or `attributions/`.
    """
    root = Path(directory)
    text_dir, ann_dir = root / "text", root / "attributions"
    if not text_dir.is_dir() or not ann_dir.is_dir():
        raise CorpusNotFoundError(f"{root} is not a PolNeAR-format folder (needs text/ and attributions/)")
    articles = []
    for ann in canonical_ann_files(root):
        name = article_name(ann)
        text_path = text_dir / f"{name}.txt"
        if not text_path.is_file():
            continue
        relations = gold_relations(parse_ann(ann_dir / ann))
        articles.append(PolnearArticle(name, text_path.read_text(encoding="utf-8"), relations, ann))
        if limit is not None and len(articles) >= limit:
            break
    return articles
