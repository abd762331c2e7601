"""Grouping mentions into actors: people by their names and surnames, organisations, gazetteer entries."""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Iterable
from typing import Any

from analysis.rules.gazetteer import Gazetteer, slug
from analysis.stages.actors.mentions import Actor, Mention
from analysis.stages.actors.roles import country_before
from analysis.stages.actors.words import GENERIC_ORG, PLACE_PREPOSITIONS


def _words(name: str) -> list[str]:
    return [w.lower() for w in re.findall(r"[\w.'’-]+", name) if any(c.isalpha() for c in w)]


def person_actors(mentions: list[Mention], gaz: Gazetteer) -> dict[str, Actor]:
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
    actors: dict[str, Actor] = {}
    keys = {}
    for c, name in enumerate(canon_name):
        key = f"person:{slug(name)}"
        keys[c] = key
        actors.setdefault(key, Actor(key, name, "person"))
    for m in persons:
        if id(m) in assign:
            m.key = keys[assign[id(m)]]
            if m.name != actors[m.key].name:
                m.form = "short_name"
            actors[m.key].mentions.append(m)
    return actors


def adopt_person_names(mentions: list[Mention], people: dict[str, Actor]) -> None:
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


def org_actors(doc: Any, mentions: list[Mention], gaz: Gazetteer) -> dict[str, Actor]:
    """Group organisation and media mentions found by NER: same name, acronyms in brackets or by initials."""
    orgs = [m for m in mentions if m.key is None and m.kind in ("organization", "media", "international")]
    actors: dict[str, Actor] = {}
    by_name: dict[str, str] = {}
    for m in orgs:
        name = re.sub(r"^the\s+", "", m.name, flags=re.IGNORECASE)
        m.name = name
        if m.country is None:
            m.country, m.country_evidence = country_before(doc, m, mentions)
    for m in sorted(orgs, key=lambda m: (m.name.islower(), -len(m.name), m.start)):
        if m.name.islower():  # "the coast guard" after "the Philippine Coast Guard": the latest such body
            earlier = [(mm.start, k) for k, a in actors.items() for mm in a.mentions
                       if a.name.lower().endswith(m.name.lower()) and mm.start < m.start]
            if earlier:
                m.key = max(earlier)[1]
                actors[m.key].mentions.append(m)
                continue
        norm = m.name.lower()
        generic = bool(GENERIC_ORG.match(m.name))
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
            actors[key] = Actor(key, name, m.kind)
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


def gazetteer_actors(mentions: Iterable[Mention], gaz: Gazetteer) -> dict[str, Actor]:
    actors: dict[str, Actor] = {}
    for m in mentions:
        if m.key is None or m.kind == "person":
            continue
        if m.key not in actors:
            entry_country = m.country
            name = gaz.countries[m.country].name if m.kind == "country" else _entity_name(m, gaz)
            actors[m.key] = Actor(m.key, name, m.kind, entry_country,
                                   "name" if m.kind == "country" else ("gazetteer" if entry_country else None))
        actors[m.key].mentions.append(m)
    return actors


def _locative(doc: Any, m: Mention) -> bool:
    """True where a mention is the object of a place preposition ("in Vienna", "to Beijing")."""
    head = doc[m.start:m.end].root.head
    return head.dep_ == "prep" and head.lower_ in PLACE_PREPOSITIONS


def drop_places(doc: Any, actors: dict[str, Actor]) -> None:
    """A country named only by its capital as a place ("talks in Vienna") is not a party to the story."""
    for key in [k for k, a in actors.items() if a.kind == "country"]:
        if all(m.form == "capital" and _locative(doc, m) for m in actors[key].mentions):
            del actors[key]


def _entity_name(m: Mention, gaz: Gazetteer) -> str:
    entry = gaz.lookup(m.name)
    if entry is not None and entry.key == m.key:
        return entry.name
    return next((e.name for e in gaz.surfaces.values() if e.key == m.key), m.name)
