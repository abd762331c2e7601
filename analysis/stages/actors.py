"""Actors: people, organisations, countries, international bodies, groups and media, with their mentions.

Mentions come from spaCy's NER and from the gazetteer (country names, short forms, demonyms, capitals, political
metonyms, international bodies, groups, media). Aliases merge into one actor: a surname joins the full name, a
capital or metonym joins its country, "the North" joins North Korea in an article about the Koreas. People and
organisations get a role and a country from titles, appositions and their names.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any, NamedTuple

import pandas as pd

from analysis.rules.gazetteer import Entry, Gazetteer, load_gazetteer, slug
from analysis.schema import frame
from analysis.stages.article import Article

#: spaCy entity labels that can name an actor
_ACTOR_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC"})
#: entity labels that confirm a `needs_ner` gazetteer form (a place, nationality or organisation; not a person)
_CONFIRMING_LABELS = frozenset({"GPE", "LOC", "NORP", "ORG", "FAC"})
_LINKERS = frozenset({"of", "and", "for", "the", "on", "in", "de", "la", "du", "des"})
_POSSESSIVE = frozenset({"'s", "’s", "'", "’"})
_HONORIFICS = frozenset({"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "sir", "dame", "madam"})
#: words in an organisation's name that make it a news outlet
_MEDIA_WORDS = re.compile(
    r"\b(Times|Post|News|Journal|Tribune|Herald|Gazette|Telegraph|Guardian|Observer|Daily|Radio|TV|Television|"
    r"Broadcasting|Newspaper|Magazine|Press Agency|News Agency|Chronicle|Courier|Wire)\b"
)
#: names of state bodies that exist in every country: two countries' "Foreign Ministry" are two actors
_GENERIC_ORG = re.compile(
    r"^(?:the\s+)?(?:(?:foreign|defen[cs]e|interior|justice|finance|economy|trade|health|energy)\s+ministry|"
    r"ministry\s+of\s+[\w\s,&]+|department\s+of\s+[\w\s,&]+|coast\s+guard|navy|army|air\s+force|military|"
    r"armed\s+forces|parliament|supreme\s+court|constitutional\s+court|central\s+bank|embassy|foreign\s+office|"
    r"presidency|cabinet|government|national\s+assembly|senate|house\s+of\s+representatives|security\s+council|"
    r"national\s+security\s+council|police|border\s+guard|intelligence\s+service)$",
    re.IGNORECASE,
)
#: words that make the part after a possessive an organisation ("Johns Hopkins University’s School of ...")
_ORG_HEADS = re.compile(
    r"\b(University|School|College|Institute|Ministry|Department|Committee|Party|Council|Agency|Office|Court|Bank|"
    r"Foundation|Center|Centre|Commission|Board|Bureau|Authority|Service|Forces?|Army|Navy|Guard|Corps|Company|Group)\b"
)
#: gazetteer entries found only by their contextual pattern ("the West" but not "West African")
_CONTEXT_ONLY = frozenset({"international:the-west"})
_PLACE_PREPOSITIONS = frozenset({"in", "at", "near", "outside", "from", "to", "into", "toward", "towards", "via",
                                 "around", "across", "inside", "within", "through", "between", "off"})
#: state bodies named in title case, found even where NER misses them
_STATE_BODY = re.compile(
    r"\b(?:(?:Foreign|Defen[cs]e|Interior|Justice|Finance|Economy|Trade|Health|Energy|Home) Ministry|"
    r"Ministry of (?:Foreign|Defen[cs]e|Home|Internal|National)? ?[A-Z][a-z]+(?: (?:and|of) [A-Z][a-z]+)*|"
    r"Foreign Office|Coast Guard|Defen[cs]e Forces|Armed Forces)\b"
)
_LEFT_DEPS = frozenset({"compound", "amod", "nmod", "poss", "case", "npadvmod", "nummod"})
_DROP_FROM_ROLE_DEPS = frozenset({"det", "poss", "case", "punct", "predet"})
#: head nouns of roles and titles ("spokesperson", "ambassador"); words ending in -ist, -man, -woman, -person count too
_TITLE_NOUNS = frozenset("""
president minister secretary spokesperson spokesman spokeswoman ambassador envoy diplomat official officer chancellor
premier king queen prince princess emir sheikh sultan monarch leader ruler dictator general commander chief head
director chairman chairwoman chair chairperson governor mayor senator congressman congresswoman representative
lawmaker legislator mp deputy adviser advisor aide counselor counsellor negotiator prosecutor judge justice attorney
lawyer analyst expert researcher professor scholar economist reporter correspondent editor columnist commentator
activist campaigner candidate nominee ceo founder owner executive colonel major lieutenant admiral marshal sergeant
captain commissioner delegate consul attache attaché secretary-general director-general president-elect speaker whip
strategist pollster manager coordinator superintendent inspector administrator ombudsman mediator representative
bishop pope cardinal imam cleric rabbi priest ayatollah patriarch celebrity singer actor actress star player coach
member founder co-founder partner surgeon doctor physician nurse scientist engineer teacher student veteran
governor-general viceroy magistrate sheriff detective agent operative fighter militant soldier commander-in-chief
premier-elect prime premier vice mp mep senator-elect secretary-of-state foreign-minister host author writer historian
""".split())
_KOREA = re.compile(r"\bKoreas?\b|\bKorean\b|\bPyongyang\b|\bSeoul\b")


class ActorTables(NamedTuple):
    """The two tables of the actor stage."""

    actors: pd.DataFrame
    mentions: pd.DataFrame


@dataclass
class _Mention:
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
class _Actor:
    key: str
    name: str
    kind: str
    country: str | None = None
    country_evidence: str | None = None
    role: str | None = None
    mentions: list[_Mention] = field(default_factory=list)


# ---------------------------------------------------------------------------------------------------------------
# matchers (built once per vocabulary)

_MATCHERS: dict[int, tuple[Any, Any]] = {}


def _matchers(doc: Any, gaz: Gazetteer) -> tuple[Any, Any]:
    """Return (phrase matcher over every gazetteer form, matcher of contextual patterns) for the doc's vocab."""
    key = id(doc.vocab)
    if key not in _MATCHERS:
        from spacy.matcher import Matcher, PhraseMatcher
        from spacy.tokenizer import Tokenizer  # noqa: F401  (the doc's own tokenizer is used below)

        phrase = PhraseMatcher(doc.vocab, attr="ORTH")
        make = _tokenizer_for(doc)
        for surface in gaz.surfaces:
            phrase.add(surface, [make(surface)])
        context = Matcher(doc.vocab)
        context.add("THE_POINT", [[{"LOWER": "the"}, {"ORTH": {"IN": ["North", "South", "West"]}}]])
        _MATCHERS[key] = (phrase, context)
    return _MATCHERS[key]


def _tokenizer_for(doc: Any) -> Any:
    from analysis.models.nlp import load_spacy

    nlp = load_spacy()
    if nlp.vocab is doc.vocab:
        return nlp.make_doc
    import spacy

    blank = spacy.blank("en", vocab=doc.vocab)
    return blank.make_doc


# ---------------------------------------------------------------------------------------------------------------
# finding mentions


def _trim(doc: Any, start: int, end: int) -> tuple[int, int]:
    """Drop a leading article and trailing possessive markers or punctuation from a token range."""
    while start < end and (doc[start].lower_ in ("the", "a", "an") or doc[start].is_punct):
        start += 1
    while end > start and (doc[end - 1].text in _POSSESSIVE or doc[end - 1].is_punct or doc[end - 1].is_space):
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
        if entry.key in _CONTEXT_ONLY:
            continue
        if entry.needs_ner:
            labels = {doc[i].ent_type_ for i in range(start, end)}
            person_alone = (labels == {"PERSON"} and entry.kind == "country" and end - start == 1
                            and doc[start].ent_iob_ == "B" and (end == len(doc) or doc[end].ent_iob_ != "I")
                            and doc[start].lower_ not in full_name_words)
            if not person_alone and (not labels or not labels <= _CONFIRMING_LABELS):
                continue  # "Chad" the person, "Turkey" the bird; but a lone "Bissau" tagged PERSON is the city
        found.append((start, end, entry))
    korea = bool(_KOREA.search(doc.text))
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
    return out


def _common_word(doc: Any, start: int, end: int, words: set[str]) -> bool:
    """True for a one-word name that the text also uses as an ordinary word ("Eastern" / "eastern").

    `words` is the set of the doc's token texts (built once per doc: a scan per name was quadratic on long texts).
    """
    if end - start != 1 or doc[start].is_upper:
        return False
    return doc[start].lower_ in words


def _org_kind(name: str) -> str:
    return "media" if _MEDIA_WORDS.search(name) else "organization"


def _find_mentions(doc: Any, gaz: Gazetteer) -> list[_Mention]:
    """Every actor mention in the doc, from the gazetteer and NER, without overlaps."""
    gaz_found = _gazetteer_mentions(doc, gaz)
    gaz_at: dict[int, int] = {}  # token -> index into gaz_found
    for n, (start, end, _) in enumerate(gaz_found):
        for i in range(start, end):
            gaz_at[i] = n
    dropped: set[int] = set()
    mentions: list[_Mention] = []
    words = {t.text for t in doc}

    for ent in _entities(doc):
        if ent.label_ not in _ACTOR_LABELS:
            continue
        start, end = _trim(doc, ent.start, ent.end)
        if ent.label_ == "PERSON":
            while start < end and doc[start].lower_ in _HONORIFICS:
                start += 1
        if start >= end:
            continue
        poss = next((i for i in range(start + 1, end - 1) if doc[i].text in _POSSESSIVE), None)
        if ent.label_ == "ORG" and poss is not None and not _ORG_HEADS.search(doc[poss + 1:end].text):
            # "Trump’s 1995 returns" tagged ORG: only the owner before the possessive can be an actor
            end, poss_owner = poss, True
        else:
            poss_owner = False
        inside = sorted({gaz_at[i] for i in range(start, end) if i in gaz_at})
        if not inside:
            if poss_owner:
                mentions.append(_Mention(start, end, "unknown", "name", "ORG", _span_text(doc, start, end)))
            elif ent.label_ == "PERSON" and any(t.is_alpha for t in doc[start:end]):
                mentions.append(_Mention(start, end, "person", "name", "PERSON", _span_text(doc, start, end)))
            elif ent.label_ == "ORG" and not _common_word(doc, start, end, words):
                name = _span_text(doc, start, end)
                mentions.append(_Mention(start, end, _org_kind(name), "name", "ORG", name))
            continue
        covered = all(i in gaz_at for i in range(start, end))
        if covered:
            continue
        if ent.label_ in ("ORG", "FAC"):
            entries = [gaz_found[n][2] for n in inside]
            rest = [t for t in doc[start:end] if t.i not in gaz_at and t.is_alpha and t.lower_ not in _LINKERS]
            if rest and all(t.is_title or t.is_upper for t in rest) and not any(e.kind == "media" for e in entries):
                # "Russian Foreign Ministry", "ECOWAS Commission", "Atomic Energy Organization of Iran": the body
                # named wins; it belongs to the country or the international body its name holds
                name = _span_text(doc, start, end)
                country = next((e.country for e in entries if e.kind == "country"), None)
                kind = "international" if any(e.kind == "international" for e in entries) else _org_kind(name)
                mentions.append(_Mention(start, end, kind, "name", "ORG", name, country=country,
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
                    mentions.append(_Mention(s, e, "person", "name", "PERSON", _span_text(doc, s, e)))

    taken = {i for m in mentions for i in range(m.start, m.end)} | set(gaz_at)
    for match in _STATE_BODY.finditer(doc.text):
        span = doc.char_span(match.start(), match.end(), alignment_mode="expand")
        if span is not None and taken.isdisjoint(range(span.start, span.end)):
            # "Iranian Foreign Ministry spokesperson ...": NER often misses a state body inside a title
            mentions.append(_Mention(span.start, span.end, "organization", "name", None, span.text))
    for n, (start, end, entry) in enumerate(gaz_found):
        if n in dropped or entry.kind == "blocker":
            continue
        labels = {doc[i].ent_type_ for i in range(start, end)} - {""}
        form = entry.form if entry.kind == "country" else ("name" if entry.form == "name" else "alias")
        mentions.append(_Mention(start, end, entry.kind, form, sorted(labels)[0] if labels else None,
                                 _span_text(doc, start, end), key=entry.key, country=entry.country,
                                 country_evidence="gazetteer" if entry.country and entry.kind != "country" else None))
    mentions.sort(key=lambda m: (m.start, -m.end))
    out, last_end = [], -1
    for m in mentions:
        if m.start >= last_end:
            out.append(m)
            last_end = m.end
    return out


# ---------------------------------------------------------------------------------------------------------------
# forming actors


def _words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[\w.'’-]+", name) if any(c.isalpha() for c in w)]


def _person_actors(mentions: list[_Mention], gaz: Gazetteer) -> dict[str, _Actor]:
    """Group person mentions: surnames and short forms join the fullest name that contains them."""
    persons = [m for m in mentions if m.kind == "person"]
    canon: list[list[str]] = []  # canonical word lists
    canon_name: list[str] = []
    assign: dict[int, int] = {}
    for m in sorted(persons, key=lambda m: (-len(_words(m.name)), m.start)):
        words = _words(m.name)
        if not words:
            continue
        hits = [c for c, cw in enumerate(canon) if _contains(cw, words)]
        if len(words) == 1 and not hits:
            hits = [c for c, cw in enumerate(canon) if words[0] in (cw[0], cw[-1])]
        if hits:
            if len(hits) > 1:  # the most recent full name before this mention, else the first
                before = [c for c in hits if any(assign.get(id(p)) == c and p.start < m.start for p in persons)]
                hits = before[-1:] or hits
            assign[id(m)] = hits[0]
        else:
            known = gaz.person(m.name) if len(words) == 1 else None
            if known:
                kw = _words(known.name)
                match = [c for c, cw in enumerate(canon) if cw == kw]
                if match:
                    assign[id(m)] = match[0]
                    continue
                canon.append(kw)
                canon_name.append(known.name)
            else:
                canon.append(words)
                canon_name.append(m.name)
            assign[id(m)] = len(canon) - 1
    # the canonical name is the most frequent full form of the group (a headline's "Rip Donald Trump" loses)
    forms: dict[int, dict[str, int]] = defaultdict(dict)
    for m in persons:
        if id(m) in assign and len(_words(m.name)) > 1:
            f = forms[assign[id(m)]]
            f[m.name] = f.get(m.name, 0) + 1
    for c, counts in forms.items():
        if canon_name[c].lower() not in {n.lower() for n in counts}:
            continue  # named after a known person's full name
        canon_name[c] = max(counts, key=lambda n: (counts[n], len(n)))
    actors: dict[str, _Actor] = {}
    keys = {}
    for c, name in enumerate(canon_name):
        key = f"person:{slug(name)}"
        keys[c] = key
        actors.setdefault(key, _Actor(key, name, "person"))
    for m in persons:
        if id(m) in assign:
            m.key = keys[assign[id(m)]]
            if m.name != actors[m.key].name:
                m.form = "short_name"
            actors[m.key].mentions.append(m)
    return actors


def _adopt_person_names(mentions: list[_Mention], people: dict[str, _Actor]) -> None:
    """Organisation mentions found by NER that are a known person's name ("Trump" tagged ORG) join that person."""
    by_word: dict[str, set[str]] = defaultdict(set)
    by_name: dict[str, str] = {}
    for key, actor in people.items():
        words = _words(actor.name)
        by_name[" ".join(words)] = key
        if len(words) > 1:
            by_word[words[0]].add(key)
            by_word[words[-1]].add(key)
    for m in mentions:
        if m.key is not None or m.kind not in ("organization", "media", "international", "unknown"):
            continue
        words = _words(m.name)
        key = by_name.get(" ".join(words))
        if key is None and len(words) == 1 and len(by_word.get(words[0], ())) == 1:
            key = next(iter(by_word[words[0]]))
        if key is not None:
            m.kind, m.key, m.form = "person", key, "short_name"
            people[key].mentions.append(m)
    for actor in people.values():
        actor.mentions.sort(key=lambda m: m.start)


def _contains(longer: list[str], shorter: list[str]) -> bool:
    n = len(shorter)
    return n <= len(longer) and any(longer[i:i + n] == shorter for i in range(len(longer) - n + 1))


def _initials(name: str) -> str:
    return "".join(w[0] for w in re.findall(r"[A-Za-z][\w'-]*", name) if w.lower() not in ("of", "the", "and", "for"))


def _org_actors(doc: Any, mentions: list[_Mention], gaz: Gazetteer) -> dict[str, _Actor]:
    """Group organisation and media mentions found by NER: same name, acronyms in brackets or by initials."""
    orgs = [m for m in mentions if m.key is None and m.kind in ("organization", "media", "international")]
    actors: dict[str, _Actor] = {}
    by_name: dict[str, str] = {}
    for m in orgs:
        name = re.sub(r"^the\s+", "", m.name, flags=re.IGNORECASE)
        m.name = name
        if m.country is None:
            m.country, m.country_evidence = _country_before(doc, m, mentions)
    for m in sorted(orgs, key=lambda m: (m.name.islower(), -len(m.name), m.start)):
        if m.name.islower():  # "the coast guard" after "the Philippine Coast Guard": the latest such body
            earlier = [(mm.start, k) for k, a in actors.items() for mm in a.mentions
                       if a.name.lower().endswith(m.name.lower()) and mm.start < m.start]
            if earlier:
                m.key = max(earlier)[1]
                actors[m.key].mentions.append(m)
                continue
        norm = m.name.lower()
        generic = bool(_GENERIC_ORG.match(m.name))
        lookup = f"{norm}|{m.country}" if generic else norm
        key = by_name.get(lookup)
        if key is None and m.name.isupper() and len(m.name) >= 2:
            key = next((k for k, a in actors.items() if _initials(a.name).upper() == m.name), None)
        if key is None and " " not in m.name:  # "Wells" after "Wells Fargo"
            starts = [k for k, a in actors.items() if a.name.split()[0] == m.name and a.kind == m.kind]
            key = starts[0] if len(starts) == 1 else None
        if key is None:
            suffix = f"-{m.country.lower()}" if generic and m.country else ""
            key = f"{m.kind}:{slug(m.name)}{suffix}"
            name = m.name
            if generic and m.country and m.country in gaz.countries:
                name = f"{gaz.countries[m.country].adjective} {name}"  # two countries' "Foreign Ministry"
            actors[key] = _Actor(key, name, m.kind)
            by_name[lookup] = key
        m.key = key
        actors[key].mentions.append(m)
    # "Department of Foreign Affairs (DFA)": the bracketed acronym is an alias
    for m in orgs:
        if m.end + 2 < len(doc) and doc[m.end].text == "(" and doc[m.end + 2].text == ")":
            acronym = doc[m.end + 1].text
            other = next((o for o in orgs if o.name == acronym and o.key != m.key), None)
            if other is not None and other.key in actors:
                moved = actors.pop(other.key)
                for mm in moved.mentions:
                    mm.key = m.key
                    actors[m.key].mentions.append(mm)
    for actor in actors.values():
        actor.mentions.sort(key=lambda m: m.start)
        with_country = next((m for m in actor.mentions if m.country), None)
        if with_country and actor.kind != "media":  # an outlet's home is not a party to the story
            actor.country, actor.country_evidence = with_country.country, with_country.country_evidence
    return actors


def _country_before(doc: Any, m: _Mention, mentions: list[_Mention]) -> tuple[str | None, str | None]:
    """Country of an organisation from a demonym or possessive right before it ("Chinese Foreign Ministry")."""
    i = m.start - 1
    while i >= 0 and doc[i].text in _POSSESSIVE:
        i -= 1
    if i < 0:
        return None, None
    prev = next((p for p in mentions if p.start <= i < p.end and p.kind == "country"), None)
    if prev and (doc[i].head.i in range(m.start, m.end) or doc[i + 1].text in _POSSESSIVE or doc[i].dep_ == "amod"):
        return prev.country, "modifier"
    return None, None


def _is_title(word: str) -> bool:
    w = word.lower()
    return w in _TITLE_NOUNS or w.rstrip("s") in _TITLE_NOUNS or w.endswith(("ist", "man", "woman", "person"))


def _role_text(doc: Any, tokens: list[Any], gaz: Gazetteer, country_tokens: set[int]) -> str | None:
    """Join title tokens into a role, without articles, possessives and country words."""
    keep = [t for t in tokens if t.dep_ not in _DROP_FROM_ROLE_DEPS and t.i not in country_tokens
            and gaz.country_of_form(t.text) is None]
    while keep and not keep[0].is_alpha:
        keep.pop(0)
    while keep and not keep[-1].is_alpha:
        keep.pop()
    nouns = [t for t in keep if t.pos_ in ("NOUN", "PROPN")]
    if not nouns or not _is_title(nouns[-1].text):
        return None
    text = "".join(t.text_with_ws for t in keep).strip()
    text = re.sub(r"\s+", " ", text).strip(" ,;:-")
    return text or None


def _title_and_country(
    doc: Any, m: _Mention, mentions: list[_Mention], actors: dict[str, _Actor], gaz: Gazetteer
) -> tuple[str | None, str | None, str | None]:
    """Role, country and evidence for one person mention, from titles before it and appositions around it."""
    sent = doc[m.start].sent
    span_ids = set(range(m.start, m.end))
    root = doc[m.start:m.end].root

    def countries_in(ids: set[int]) -> tuple[str | None, str | None, set[int]]:
        country_toks: set[int] = set()
        country, evidence = None, None
        for other in mentions:
            if other is m or not ids.intersection(range(other.start, other.end)):
                continue
            if other.kind == "country":
                country_toks.update(range(other.start, other.end))
                country = country or other.country
            elif country is None and other.key in actors and actors[other.key].country:
                evidence = "organization"
                country = actors[other.key].country
        return country, evidence if country and evidence else ("title" if country else None), country_toks

    # (a) titles before the name: "Russian ambassador Georgy Zinoviev", "US President Joe Blinken"
    left: list[Any] = []
    collected = set(span_ids)
    i = m.start - 1
    while i >= sent.start:
        t = doc[i]
        attached = t.head.i in collected or (t.dep_ == "case" and t.head.i == i - 1)
        if t.dep_ in _LEFT_DEPS and attached and t.ent_type_ != "PERSON":
            left.insert(0, t)
            collected.add(i)
            i -= 1
            continue
        break
    if left:
        country, evidence, ctoks = countries_in({t.i for t in left})
        role = _role_text(doc, left, gaz, ctoks)
        if role or country:
            return role, country, evidence

    # (b) apposition after the name: "Matthew Miller, a US State Department spokesperson"
    for child in root.children:
        if child.dep_ == "appos" and child.i >= m.end:
            sub = list(child.subtree)
            ids = {t.i for t in sub}
            country, evidence, ctoks = countries_in(ids)
            head_part = [t for t in sub if t.i <= child.i]
            role = _role_text(doc, head_part, gaz, ctoks)
            if role or country:
                return role, country, "apposition" if country and evidence == "title" else evidence

    # (c) the name is the apposition of a title: "the North’s leader, Kim Jong-un"
    if root.dep_ == "appos" and root.head.i < m.start:
        head = root.head
        sub = [t for t in head.subtree if t.i <= head.i]
        ids = {t.i for t in sub}
        country, evidence, ctoks = countries_in(ids)
        role = _role_text(doc, sub, gaz, ctoks)
        if role or country:
            return role, country, "apposition" if country and evidence == "title" else evidence
    return None, None, None


def _gazetteer_actors(mentions: Iterable[_Mention], gaz: Gazetteer) -> dict[str, _Actor]:
    actors: dict[str, _Actor] = {}
    for m in mentions:
        if m.key is None or m.kind == "person":
            continue
        if m.key not in actors:
            entry_country = m.country
            name = gaz.countries[m.country].name if m.kind == "country" else _entity_name(m, gaz)
            actors[m.key] = _Actor(m.key, name, m.kind, entry_country,
                                   "name" if m.kind == "country" else ("gazetteer" if entry_country else None))
        actors[m.key].mentions.append(m)
    return actors


def _locative(doc: Any, m: _Mention) -> bool:
    """True where a mention is the object of a place preposition ("in Vienna", "to Beijing")."""
    head = doc[m.start:m.end].root.head
    return head.dep_ == "prep" and head.lower_ in _PLACE_PREPOSITIONS


def _drop_places(doc: Any, actors: dict[str, _Actor]) -> None:
    """A country named only by its capital as a place ("talks in Vienna") is not a party to the story."""
    for key in [k for k, a in actors.items() if a.kind == "country"]:
        if all(m.form == "capital" and _locative(doc, m) for m in actors[key].mentions):
            del actors[key]


def _entity_name(m: _Mention, gaz: Gazetteer) -> str:
    entry = gaz.lookup(m.name)
    if entry is not None and entry.key == m.key:
        return entry.name
    return next((e.name for e in gaz.surfaces.values() if e.key == m.key), m.name)


def detect_actors(article: Article, *, gazetteer: Gazetteer | None = None) -> ActorTables:
    """Find the actors of an article and their mentions.

    Requires: `article.doc` (parsed by the spaCy pipeline with NER and the dependency parse).

    Args:
        article: the parsed article.
        gazetteer: lookup tables (default: the shipped gazetteer).

    Returns:
        `ActorTables(actors, mentions)`; columns and dtypes as documented in `analysis.schema.TABLES`.
    """
    gaz = gazetteer or load_gazetteer()
    doc = article.doc
    if doc is None:
        raise ValueError("detect_actors needs a parsed article (article.doc is None)")
    mentions = _find_mentions(doc, gaz)
    actors = _gazetteer_actors(mentions, gaz)
    people = _person_actors(mentions, gaz)
    _adopt_person_names(mentions, people)
    mentions = [m for m in mentions if m.kind != "unknown"]
    actors.update(_org_actors(doc, mentions, gaz))
    for actor in actors.values():
        if actor.kind == "organization" and not actor.country:
            for m in actor.mentions:  # "US oil major ExxonMobil"
                _, country, evidence = _title_and_country(doc, m, mentions, actors, gaz)
                if country:
                    actor.country, actor.country_evidence = country, evidence
                    break
    _drop_places(doc, actors)
    for actor in people.values():
        for m in actor.mentions:
            role, country, evidence = _title_and_country(doc, m, mentions, actors, gaz)
            if role and not actor.role:
                actor.role = role
            if country and not actor.country:
                actor.country, actor.country_evidence = country, evidence
        known = gaz.person(actor.name)
        if known and not actor.country:
            actor.country, actor.country_evidence = known.country, "known_person"
        if known and not actor.role:
            actor.role = known.role
    actors.update(people)
    return _tables(article, doc, actors)


def _tables(article: Article, doc: Any, actors: dict[str, _Actor]) -> ActorTables:
    sent_of = _sentence_index(doc)
    actor_rows, mention_rows = [], []
    all_mentions = sorted((m for a in actors.values() for m in a.mentions), key=lambda m: m.start)
    for n, m in enumerate(all_mentions):
        span = doc[m.start:m.end]
        mention_rows.append({
            "article_id": article.article_id, "mention_id": n, "actor_id": m.key, "text": span.text,
            "start": span.start_char, "end": span.end_char, "sentence": sent_of[m.start], "form": m.form,
            "ner_label": m.ner_label,
        })
    for actor in sorted(actors.values(), key=lambda a: min(m.start for m in a.mentions)):
        first = min(actor.mentions, key=lambda m: m.start)
        forms = []
        for m in sorted(actor.mentions, key=lambda m: m.start):
            text = " ".join(doc[m.start:m.end].text.split())
            if text != actor.name and text not in forms:
                forms.append(text)
        actor_rows.append({
            "article_id": article.article_id, "actor_id": actor.key, "name": actor.name, "kind": actor.kind,
            "country": actor.country, "country_evidence": actor.country_evidence if actor.country else None,
            "role": actor.role, "aliases": forms, "mention_count": len(actor.mentions),
            "first_start": doc[first.start].idx,
        })
    return ActorTables(frame("actors", actor_rows), frame("mentions", mention_rows))


def _sentence_index(doc: Any) -> list[int]:
    index = [0] * len(doc)
    for n, sent in enumerate(doc.sents):
        for i in range(sent.start, sent.end):
            index[i] = n
    return index
