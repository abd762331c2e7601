"""Training data of the stance model: distant labels from PolNeAR train cues, mapped GoEmotions, written examples.

No public corpus carries the codebook's labels (`docs/stance-codebook.md` of the shared folder), so the training set
is built from three sources, each documented in the model card:

1. **PolNeAR train** attribution relations (`../shared/data/raw/polnear/train/`, one annotator file per article).
   A relation whose cue is one of the verbs or nouns in `CUE_LEMMAS` gets that verb's label (distant label: "accused"
   -> outraged, "endorsed" -> supportive, "protested" -> protesting...). A relation with a plain reporting cue
   (`NEUTRAL_CUES`: said, told, according to...) whose content the lexicon (`analysis.rules.lexicon`) finds no stance in
   is `neutral`. A relation with any other cue whose content the lexicon gives a stance is kept with the lexicon's
   label as a separate source (`polnear-lexicon`, used only where the training script asks for it). Negated cues
   and every other relation are left out. In training the cue is hidden (replaced by
   the mask token) in a share of the examples, so that the model must learn the label from the content.
2. **GoEmotions train** (`../shared/data/raw/goemotions/train.tsv`), Reddit comments whose emotions all map to one
   label by `GOEMOTIONS_MAP` (anger, annoyance, disgust, disapproval -> outraged; fear, nervousness -> concerned;
   approval, admiration, gratitude -> supportive; neutral -> neutral); comments with other or conflicting emotions
   are left out. The comment is the content; speaker empty, cue masked.
3. **Written examples** (`data/stance/written_examples.tsv`): news-style statements written for this project (no
   copied text), mostly for the rare labels protesting and threatening; each row is label, speaker, cue, content.

Nothing here reads PolNeAR dev (the stance dev set).
"""

from __future__ import annotations

import csv
import random
import re
from collections import Counter
from collections.abc import Iterable
from pathlib import Path
from typing import NamedTuple

from analysis.rules.lexicon import lexicon_stance
from analysis.settings import ROOT, shared_dir

WRITTEN_EXAMPLES = ROOT / "data" / "stance" / "written_examples.tsv"

#: cue verbs and nouns (base forms) whose use as an attribution cue gives the relation a distant label
CUE_LEMMAS: dict[str, tuple[str, ...]] = {
    "concerned": (
        "worry", "fear", "fret", "caution", "warn", "warning", "concern", "alarm", "lament", "plead", "beg",
        "despair", "dread",
    ),
    "outraged": (
        "accuse", "accusation", "criticize", "criticise", "criticism", "critique", "condemn", "condemnation",
        "denounce", "denunciation", "slam", "blast", "attack", "decry", "lambast", "lambaste", "rebuke", "deplore",
        "mock", "ridicule", "blame", "chide", "assail", "berate", "excoriate", "scold", "rail", "fume", "bash",
        "deride", "disparage", "insult", "smear", "complain", "lash", "scoff", "taunt", "skewer", "savage", "pan",
        "trash", "vilify", "demonize", "demonise", "castigate", "upbraid", "admonish", "sneer",
    ),
    "protesting": (
        "protest", "boycott", "sue", "lawsuit", "petition", "march", "chant", "picket", "walkout",
    ),
    "threatening": ("threaten", "threat", "threated", "retaliate", "retaliation"),
    "supportive": (
        "endorse", "endorsement", "praise", "support", "back", "defend", "defense", "defence", "welcome", "thank",
        "applaud", "commend", "hail", "congratulate", "laud", "celebrate", "cheer", "embrace", "vouch", "champion",
        "salute", "compliment",
    ),
}
#: forms never taken as a cue label ("back" as an adverb, "pan" out, "march" the month)
_STOP_FORMS = {"back", "pan", "march", "fear", "rail", "lash", "beg", "begs"}
#: plain reporting cues: a relation with one of these and no lexicon stance in its content is `neutral`
NEUTRAL_CUES = frozenset(
    {
        "said", "says", "say", "told", "tells", "according to", "added", "adding", "adds", "wrote", "writes",
        "noted", "notes", "noting", "reported", "reports", "announced", "announcing", "explained", "explains",
        "stated", "replied", "responded", "confirmed", "estimated", "predicted", "said in a statement",
        "said in an interview", "also said", "has said", "have said", "saying", "said:", "added:", ":", "show",
        "shows", "showed", "found", "finds", "asked", "asking", "recalled", "described", "describing", "continued",
        "went on to say", "mentioned", "reiterated", "indicated", "pointed out", "put it", "tweeted", "posted",
        "believe", "believes", "think", "thinks", "expects", "expected", "is expected", "are expected", "plans",
        "wants", "want", "argued", "argues", "suggested", "suggests", "insisted", "acknowledged", "conceded",
    }
)
#: GoEmotions emotions and the label they map to (a comment is used when all its emotions map to one label)
GOEMOTIONS_MAP: dict[str, str] = {
    "anger": "outraged", "annoyance": "outraged", "disgust": "outraged", "disapproval": "outraged",
    "fear": "concerned", "nervousness": "concerned",
    "approval": "supportive", "admiration": "supportive", "gratitude": "supportive",
    "neutral": "neutral",
}
_NEGATED_CUE = re.compile(r"\b(?:not|no|never|n't|without|refused to|declined to|guilty)\b")
_WORD = re.compile(r"[a-z]+(?:'[a-z]+)?")


class Example(NamedTuple):
    """One training statement: label, speaker, cue, content, the source it came from and a group key."""

    label: str
    speaker: str
    cue: str
    content: str
    source: str
    group: str
    text: str = ""  # the passage around the statement (codebook examples; empty: the content stands for it)


def _forms(lemma: str) -> set[str]:
    """Inflected forms of an English verb or noun by simple rules (enough for cue words)."""
    forms = {lemma, lemma + "s", lemma + "es", lemma + "ed", lemma + "ing", lemma + "d"}
    if lemma.endswith("e"):
        forms |= {lemma[:-1] + "ing", lemma + "d"}
    if lemma.endswith("y") and lemma[-2:-1] not in "aeiou":
        forms |= {lemma[:-1] + "ies", lemma[:-1] + "ied"}
    if re.search(r"[^aeiou][aeiou][bdglmnprt]$", lemma):  # slam -> slammed, rip -> ripping
        forms |= {lemma + lemma[-1] + "ed", lemma + lemma[-1] + "ing"}
    return forms


def _form_table() -> dict[str, str]:
    table: dict[str, str] = {}
    for label, lemmas in CUE_LEMMAS.items():
        for lemma in lemmas:
            for form in _forms(lemma):
                if form not in _STOP_FORMS:
                    table.setdefault(form, label)
    table.pop("backs", None)  # "backs" is kept through "backed"/"backing" only when inflected as a verb
    table.update({"backs": "supportive"})
    return table


_FORMS = _form_table()


def cue_label(cue: str) -> str | None:
    """Return the distant label of an attribution cue, or None when the cue names no stance (or is negated).

    "filed a complaint" / "filed suit" count as protesting; the first word with a label decides otherwise.
    """
    text = " ".join(cue.lower().replace("’", "'").split())
    if _NEGATED_CUE.search(text):
        return None
    words = _WORD.findall(text)
    filed = any(w.startswith("fil") for w in words)
    if filed and any(w in {"complaint", "complaints", "suit", "lawsuit"} for w in words):
        return "protesting"
    for w in words:
        if w in _FORMS:
            return _FORMS[w]
    return None


def polnear_examples(folder: Path | None = None) -> list[Example]:
    """Distantly labelled relations of PolNeAR train (cue-labelled, plus neutral ones), in file order."""
    from analysis.evaluate.polnear import article_name, parse_ann, read_article
    from analysis.evaluate.stance_gold import reading_text

    folder = folder or shared_dir() / "data" / "raw" / "polnear" / "train"
    seen: set[str] = set()
    out: list[Example] = []
    for ann in sorted((folder / "attributions").glob("*.ann")):
        article = article_name(ann.name)
        if article in seen:
            continue
        seen.add(article)
        text = read_article(folder, ann.name)
        for rel in parse_ann(ann).values():
            if rel.cue is None or rel.content is None:
                continue
            cue = reading_text(text, rel.cue)
            contents = sorted([s for s in (rel.content, rel.content2) if s is not None], key=lambda s: s.start)
            content = " ".join(reading_text(text, s) for s in contents)
            speaker = reading_text(text, rel.source) if rel.source is not None else ""
            label = cue_label(cue)
            source = "polnear-cue"
            if label is None:
                label = lexicon_stance(content).label
                if label != "neutral":
                    source = "polnear-lexicon"
                elif " ".join(cue.lower().split()) in NEUTRAL_CUES:
                    source = "polnear-neutral"
                else:
                    continue
            out.append(Example(label, speaker, cue, content, source, article))
    return out


def goemotions_examples(path: Path | None = None) -> list[Example]:
    """GoEmotions train comments whose emotions all map to one stance label (in file order)."""
    folder = shared_dir() / "data" / "raw" / "goemotions"
    path = path or folder / "train.tsv"
    names = (folder / "emotions.txt").read_text(encoding="utf-8").split()
    out: list[Example] = []
    with open(path, encoding="utf-8", newline="") as fh:
        for text, ids, ident in csv.reader(fh, delimiter="\t", quotechar='"'):
            mapped = {GOEMOTIONS_MAP.get(names[int(i)]) for i in ids.split(",")}
            if len(mapped) == 1 and None not in mapped:
                out.append(Example(mapped.pop(), "", "[MASK]", text, "goemotions", ident))
    return out


def written_examples(path: Path = WRITTEN_EXAMPLES) -> list[Example]:
    """The project's own written statements (`label \\t speaker \\t cue \\t content`, `#` lines are comments)."""
    out: list[Example] = []
    for n, line in enumerate(path.read_text(encoding="utf-8").splitlines(), start=1):
        if not line.strip() or line.startswith("#"):
            continue
        label, speaker, cue, content = line.split("\t")
        out.append(Example(label, speaker, cue, content, "written", f"written-{n}"))
    return out


def sample(examples: Iterable[Example], caps: dict[str, int], rng: random.Random) -> list[Example]:
    """Keep at most `caps[label]` examples of each label (a seeded random choice; order kept)."""
    by_label: dict[str, list[int]] = {}
    items = list(examples)
    for i, ex in enumerate(items):
        by_label.setdefault(ex.label, []).append(i)
    keep: set[int] = set()
    for label, idx in by_label.items():
        cap = caps.get(label, len(idx))
        keep.update(idx if len(idx) <= cap else rng.sample(idx, cap))
    return [ex for i, ex in enumerate(items) if i in keep]


def counts(examples: Iterable[Example]) -> dict[str, dict[str, int]]:
    """Label counts per source."""
    table: dict[str, Counter[str]] = {}
    for ex in examples:
        table.setdefault(ex.source, Counter())[ex.label] += 1
    return {src: dict(sorted(c.items())) for src, c in sorted(table.items())}


def codebook_examples(path: Path | str | None = None, split: str = "train") -> list[Example]:
    """The codebook-labelled statements of `split` (`none` rows dropped) as examples, source `codebook-<corpus>`.

    PolNeAR relations keep speaker, cue and content with the passage as text; NewsMTSC sentences and headlines have
    no cue (empty) and no content (empty: the sentence stands for it), and the annotators' speaker.
    """
    from analysis.evaluate.stance_labels import DEFAULT_LABELS_PATH, load_stance_labels

    table = load_stance_labels(path or DEFAULT_LABELS_PATH, split=split, keep_none=False)
    return [
        Example(r.label, r.speaker or "", r.cue or "", r.content or "", f"codebook-{r.source}", r.id, r.text)
        for r in table.itertuples()
    ]


def holdout_split(examples: list[Example], share: float, seed: int) -> tuple[list[Example], list[Example]]:
    """(kept, held apart): a seeded, label-stratified share of the examples held apart (order kept)."""
    rng = random.Random(seed)
    by_label: dict[str, list[int]] = {}
    for i, ex in enumerate(examples):
        by_label.setdefault(ex.label, []).append(i)
    held: set[int] = set()
    for label in sorted(by_label):
        idx = by_label[label]
        held.update(rng.sample(idx, round(len(idx) * share)))
    return ([ex for i, ex in enumerate(examples) if i not in held], [ex for i, ex in enumerate(examples) if i in held])
