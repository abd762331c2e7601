"""Mentions: gazetteer forms (phrase matcher) and spaCy entities found in the doc, before actors are formed."""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from typing import Any

from analysis.rules.gazetteer import Entry, Gazetteer
from analysis.rules.places import fold
from analysis.stages.actors.words import (
    ACTOR_LABELS,
    CONFIRMING_LABELS,
    CONTEXT_ONLY,
    HONORIFICS,
    KOREA,
    LINKERS,
    MEDIA_WORDS,
    ORG_HEADS,
    POSSESSIVE,
    STATE_BODY,
    TITLE_NOUNS,
)


@dataclass
class Mention:
    """A mention found in the doc (token offsets), before actors are formed."""

    start: int
    end: int
    kind: str
    form: str
    ner_label: str | None
    name: str
    key: str | None = None  # known for gazetteer mentions; set for the rest when actors are formed
    country: str | None = None
    country_evidence: str | None = None


@dataclass
class Actor:
    key: str
    name: str
    kind: str
    country: str | None = None
    country_evidence: str | None = None
    role: str | None = None
    mentions: list[Mention] = field(default_factory=list)


_MATCHERS: dict[int, tuple[Any, Any]] = {}
_MATCHERS_LOCK = threading.Lock()


def _matchers(doc: Any, gaz: Gazetteer) -> tuple[Any, Any]:
    """Return (phrase matcher over every gazetteer form, matcher of contextual patterns) for the doc's vocab."""
    key = id(doc.vocab)
    with _MATCHERS_LOCK:  # built once: concurrent first analyses wait for it rather than each building one
        if key not in _MATCHERS:
            _MATCHERS[key] = _build_matchers(doc, gaz)
    return _MATCHERS[key]


def _build_matchers(doc: Any, gaz: Gazetteer) -> tuple[Any, Any]:
    from spacy.matcher import Matcher, PhraseMatcher

    phrase = PhraseMatcher(doc.vocab, attr="ORTH")
    make = _tokenizer_for(doc)
    for surface in gaz.surfaces:
        phrase.add(surface, [make(surface)])
    context = Matcher(doc.vocab)
    context.add("THE_POINT", [[{"LOWER": "the"}, {"ORTH": {"IN": ["North", "South", "West"]}}]])
    return phrase, context


def _known_people(doc: Any) -> list[Any]:
    """Office holders of the knowledge table the text names in full ("Luiz Inacio Lula da Silva", "Yoon Suk Yeol"),
    as PERSON spans: spaCy's small model misses or mislabels many non-English names. Names of two to six words only
    (a lone surname is too often someone else), looked up by their folded text (no matcher to build)."""
    from analysis.rules.knowledge import load_knowledge

    table = load_knowledge()
    first = table.first_words
    out: list[Any] = []
    i = 0
    while i < len(doc) - 1:
        if not doc[i].is_title or fold(doc[i].text) not in first:
            i += 1
            continue
        end = min(len(doc), i + 6, doc[i].sent.end)
        found = next((j for j in range(end, i + 1, -1) if table.knows(doc[i:j].text)), None)
        if found is None:
            i += 1
            continue
        span = doc[i:found]
        span.label_ = "PERSON"
        out.append(span)
        i = found
    return out


def _tokenizer_for(doc: Any) -> Any:
    from analysis.models.nlp import load_spacy

    nlp = load_spacy()
    if nlp.vocab is doc.vocab:
        return nlp.make_doc
    import spacy

    blank = spacy.blank("en", vocab=doc.vocab)
    return blank.make_doc


def _trim(doc: Any, start: int, end: int) -> tuple[int, int]:
    """Drop a leading article and trailing possessive markers or punctuation from a token range."""
    while start < end and (doc[start].lower_ in ("the", "a", "an") or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].text in POSSESSIVE or doc[end - 1].is_punct or doc[end - 1].is_space):
        end -= 1
    return start, end


def _span_text(doc: Any, start: int, end: int) -> str:
    return " ".join(doc[start:end].text.split())


def _gazetteer_mentions(doc: Any, gaz: Gazetteer) -> list[tuple[int, int, Entry]]:
    """Gazetteer forms found in the doc, longest first, `needs_ner` forms only where NER agrees."""
    phrase, context = _matchers(doc, gaz)
    found: list[tuple[int, int, Entry]] = []
    full_name_words = {t.lower_ for e in doc.ents if e.label_ == "PERSON" and len(e) > 1 for t in e}
    for match_id, start, end in phrase(doc):
        entry = gaz.surfaces[doc.vocab.strings[match_id]]
        if entry.key in CONTEXT_ONLY:
            continue
        if entry.needs_ner:
            labels = {doc[i].ent_type_ for i in range(start, end)}
            person_alone = (labels == {"PERSON"} and entry.kind == "country" and end - start == 1
                            and doc[start].ent_iob_ == "B" and (end == len(doc) or doc[end].ent_iob_ != "I")
                            and doc[start].lower_ not in full_name_words)
            if not person_alone and (not labels or not labels <= CONFIRMING_LABELS):
                continue  # "Chad" the person, "Turkey" the bird; but a lone "Bissau" tagged PERSON is the city
        found.append((start, end, entry))
    korea = bool(KOREA.search(doc.text))
    for _, start, end in context(doc):
        word = doc[end - 1].text
        nxt = doc[end] if end < len(doc) else None
        if nxt is not None and (nxt.pos_ == "PROPN" or (nxt.is_title and nxt.text not in ("’s", "'s"))):
            continue  # "the North Atlantic", "the West Bank"
        if word == "West":
            entry = gaz.lookup("the West")
        elif korea:
            entry = gaz.lookup("North Korea" if word == "North" else "South Korea")
            if entry:
                entry = Entry(entry.key, entry.name, entry.kind, entry.country, "contextual", False)
        else:
            entry = None
        if entry:
            found.append((start, end, entry))  # 'the North' is one name: the article belongs to it
    found.sort(key=lambda m: (-(m[1] - m[0]), m[0]))
    taken: set[int] = set()
    kept = []
    for start, end, entry in found:
        if taken.isdisjoint(range(start, end)):
            taken.update(range(start, end))
            kept.append((start, end, entry))
    return sorted(kept, key=lambda m: m[0])


def _entities(doc: Any) -> list[Any]:
    """The doc's entities, with adjacent PERSON entities joined ("Ana Beatriz" + "Carvalho")."""
    ents = list(doc.ents)
    out: list[Any] = []
    for ent in ents:
        if out and ent.label_ == "PERSON" and out[-1].label_ == "PERSON" and out[-1].end == ent.start:
            out[-1] = doc[out[-1].start:ent.end]
            out[-1].label_ = "PERSON"
        else:
            out.append(ent)
    out = [e for e in out if not _title_only(e)]
    names = _known_people(doc)
    covered = {i for n in names for i in range(n.start, n.end)}
    out = [e for e in out if not any(i in covered for i in range(e.start, e.end))]
    names += _appositive_names(doc, out) + _titled_names(doc, out)
    inside = {i for n in names for i in range(n.start, n.end)}
    kept = [e for e in out if not any(i in inside for i in range(e.start, e.end))]
    return sorted(kept + names, key=lambda e: e.start)


def _title_only(ent: Any) -> bool:
    """A PERSON entity that is only a title ("Spokesperson", "Foreign Minister"): a role, not a name."""
    words = [t.lower_ for t in ent if t.is_alpha]
    portfolio = ("foreign", "trade", "defence", "defense", "finance")
    return ent.label_ == "PERSON" and bool(words) and all(w in TITLE_NOUNS or w in portfolio for w in words)


def _titled_names(doc: Any, ents: list[Any]) -> list[Any]:
    """Names right after a capitalised title that the tagger missed ("That is how Trade Minister Ana Costa
    described ..."): two or three capitalised proper nouns outside every entity, after a title noun, as PERSON."""
    taken = {i for e in ents for i in range(e.start, e.end)}
    out = []
    i = 0
    while i < len(doc) - 2:
        t = doc[i]
        if not (t.is_title and t.lower_ in TITLE_NOUNS and i not in taken):
            i += 1
            continue
        j = i + 1
        while j < len(doc) and j - i <= 3 and doc[j].is_title and doc[j].pos_ == "PROPN" and j not in taken \
                and doc[j].lower_ not in TITLE_NOUNS:
            j += 1
        if 2 <= j - i - 1 <= 3 and (j == len(doc) or not (doc[j].is_title and doc[j].pos_ == "PROPN")):
            span = doc[i + 1:j]
            span.label_ = "PERSON"
            out.append(span)
            i = j
            continue
        i += 1
    return out


def surname_mentions(doc: Any, mentions: list[Mention]) -> list[Mention]:
    """A person's surname on its own later in the text ("Duval said ...") where the tagger missed it, as a mention
    (grouping joins it to the full name). Only surnames of names of two or more words, only capitalised tokens
    outside every other mention, never at a sentence start unless a verb of speech or a name-like context follows."""
    taken = {i for m in mentions for i in range(m.start, m.end)}
    surnames: dict[str, int] = {}
    for m in mentions:
        if m.kind == "person" and m.end - m.start >= 2:
            last = doc[m.end - 1]
            if last.is_title and last.is_alpha and len(last.text) > 2 and last.lower_ not in TITLE_NOUNS:
                surnames.setdefault(last.text, m.start)
    out = []
    for t in doc:
        first = surnames.get(t.text)
        if first is None or t.i in taken or t.i <= first:
            continue
        if t.i + 1 < len(doc) and doc[t.i + 1].is_title and doc[t.i + 1].pos_ == "PROPN":
            continue  # part of another name ("Costa Rica")
        out.append(Mention(t.i, t.i + 1, "person", "name", "PERSON", t.text))
    return out


def _is_role(token: Any) -> bool:
    """A role noun ("spokesperson", "economist"), or the object of one ("chief of staff")."""
    def titled(t: Any) -> bool:
        return t.lower_ in TITLE_NOUNS or t.lower_.endswith(("ist", "man", "woman", "person"))

    return titled(token) or (token.dep_ == "pobj" and token.head.lower_ == "of" and titled(token.head.head))


def _appositive_names(doc: Any, ents: list[Any]) -> list[Any]:
    """Names the tagger missed where the sentence leaves no doubt that they are people: two or three capitalised
    words set off by commas after a role ("the president's chief of staff, Marguerite Duval, told ..."), as PERSON
    spans."""
    taken = {i for e in ents if e.label_ == "PERSON" for i in range(e.start, e.end)}
    out = []
    i = 0
    while i < len(doc) - 3:
        if doc[i].text != "," or i == 0 or doc[i - 1].pos_ != "NOUN" or not _is_role(doc[i - 1]):
            i += 1
            continue
        j = i + 1
        while j < len(doc) and j - i <= 3 and doc[j].is_title and doc[j].pos_ == "PROPN" and j not in taken:
            j += 1
        if 2 <= j - i - 1 <= 3 and j < len(doc) and doc[j].text == ",":
            span = doc[i + 1:j]
            span.label_ = "PERSON"
            out.append(span)
            i = j
        i += 1
    return out


def _common_word(doc: Any, start: int, end: int, words: set[str]) -> bool:
    """True for a one-word name that the text also uses as an ordinary word ("Eastern" / "eastern").

    `words` is the set of the doc's token texts (built once per doc: a scan per name was quadratic on long texts).
    """
    if end - start != 1 or doc[start].is_upper:
        return False
    return doc[start].lower_ in words


def _org_kind(name: str) -> str:
    return "media" if MEDIA_WORDS.search(name) else "organization"


def find_mentions(doc: Any, gaz: Gazetteer) -> list[Mention]:
    """Every actor mention in the doc, from the gazetteer and NER, without overlaps."""
    gaz_found = _gazetteer_mentions(doc, gaz)
    gaz_at: dict[int, int] = {}  # token -> index into gaz_found
    for n, (start, end, _) in enumerate(gaz_found):
        for i in range(start, end):
            gaz_at[i] = n
    dropped: set[int] = set()
    mentions: list[Mention] = []
    words = {t.text for t in doc}

    for ent in _entities(doc):
        if ent.label_ not in ACTOR_LABELS:
            continue
        start, end = _trim(doc, ent.start, ent.end)
        if ent.label_ == "PERSON":
            while start < end and doc[start].lower_ in HONORIFICS:
                start += 1
        if start >= end:
            continue
        poss = next((i for i in range(start + 1, end - 1) if doc[i].text in POSSESSIVE), None)
        if ent.label_ == "ORG" and poss is not None and not ORG_HEADS.search(doc[poss + 1:end].text):
            # "Trump’s 1995 returns" tagged ORG: only the owner before the possessive can be an actor
            end, poss_owner = poss, True
        else:
            poss_owner = False
        inside = sorted({gaz_at[i] for i in range(start, end) if i in gaz_at})
        if not inside:
            if poss_owner:
                mentions.append(Mention(start, end, "unknown", "name", "ORG", _span_text(doc, start, end)))
            elif ent.label_ == "PERSON" and any(t.is_alpha for t in doc[start:end]):
                mentions.append(Mention(start, end, "person", "name", "PERSON", _span_text(doc, start, end)))
            elif ent.label_ == "ORG" and not _common_word(doc, start, end, words):
                name = _span_text(doc, start, end)
                mentions.append(Mention(start, end, _org_kind(name), "name", "ORG", name))
            continue
        covered = all(i in gaz_at for i in range(start, end))
        if covered:
            continue
        if ent.label_ in ("ORG", "FAC"):
            entries = [gaz_found[n][2] for n in inside]
            rest = [t for t in doc[start:end] if t.i not in gaz_at and t.is_alpha and t.lower_ not in LINKERS]
            if rest and all(t.is_title or t.is_upper for t in rest) and not any(e.kind == "media" for e in entries):
                # "Russian Foreign Ministry", "ECOWAS Commission", "Atomic Energy Organization of Iran": the body
                # named wins; it belongs to the country or the international body its name holds
                name = _span_text(doc, start, end)
                country = next((e.country for e in entries if e.kind == "country"), None)
                kind = "international" if any(e.kind == "international" for e in entries) else _org_kind(name)
                mentions.append(Mention(start, end, kind, "name", "ORG", name, country=country,
                                         country_evidence="name" if country else None))
                dropped.update(inside)
            continue
        if ent.label_ == "PERSON":
            # "Putin’s North Korea": keep the name before the gazetteer form as the person
            runs, run = [], []
            for t in doc[start:end]:
                if t.i in gaz_at:
                    if run:
                        runs.append(run)
                    run = []
                else:
                    run.append(t.i)
            if run:
                runs.append(run)
            for r in runs:
                s, e = _trim(doc, r[0], r[-1] + 1)
                if s < e and any(doc[i].pos_ == "PROPN" for i in range(s, e)):
                    mentions.append(Mention(s, e, "person", "name", "PERSON", _span_text(doc, s, e)))

    taken = {i for m in mentions for i in range(m.start, m.end)} | set(gaz_at)
    for match in STATE_BODY.finditer(doc.text):
        span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
        if span is not None and taken.isdisjoint(range(span.start, span.end)):
            # "Iranian Foreign Ministry spokesperson ...": NER often misses a state body inside a title
            mentions.append(Mention(span.start, span.end, "organization", "name", None, span.text))
    for n, (start, end, entry) in enumerate(gaz_found):
        if n in dropped or entry.kind == "blocker":
            continue
        labels = {doc[i].ent_type_ for i in range(start, end)} - {""}
        form = entry.form if entry.kind == "country" else ("name" if entry.form == "name" else "alias")
        mentions.append(Mention(start, end, entry.kind, form, sorted(labels)[0] if labels else None,
                                 _span_text(doc, start, end), key=entry.key, country=entry.country,
                                 country_evidence="gazetteer" if entry.country and entry.kind != "country" else None))
    mentions += surname_mentions(doc, mentions)
    mentions.sort(key=lambda m: (m.start, -m.end))
    out, last_end = [], -1
    for m in mentions:
        if m.start >= last_end:
            out.append(m)
            last_end = m.end
    return out
