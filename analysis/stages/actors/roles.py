"""Roles and countries of people and organisations from titles, appositions, possessives and demonyms."""

from __future__ import annotations

import re
from typing import Any

from analysis.rules.gazetteer import Gazetteer
from analysis.stages.actors.mentions import Actor, Mention
from analysis.stages.actors.words import DROP_FROM_ROLE_DEPS, LEFT_DEPS, POSSESSIVE, TITLE_NOUNS


def country_before(doc: Any, m: Mention, mentions: list[Mention]) -> tuple[str | None, str | None]:
    """Country of an organisation from a demonym or possessive right before it ("Chinese Foreign Ministry")."""
    i = m.start - 1
    while i >= 0 and doc[i].text in POSSESSIVE:
        i -= 1
    if i < 0:
        return None, None
    prev = next((p for p in mentions if p.start <= i < p.end and p.kind == "country"), None)
    if prev and (doc[i].head.i in range(m.start, m.end) or doc[i + 1].text in POSSESSIVE or doc[i].dep_ == "amod"):
        return prev.country, "modifier"
    return None, None


def _is_title(word: str) -> bool:
    w = word.lower()
    return w in TITLE_NOUNS or w.rstrip("s") in TITLE_NOUNS or w.endswith(("ist", "man", "woman", "person"))


def _role_text(doc: Any, tokens: list[Any], gaz: Gazetteer, country_tokens: set[int]) -> str | None:
    """Join title tokens into a role, without articles, possessives and country words."""
    keep = [t for t in tokens if t.dep_ not in DROP_FROM_ROLE_DEPS and t.i not in country_tokens
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


def title_and_country(
    doc: Any, m: Mention, mentions: list[Mention], actors: dict[str, Actor], gaz: Gazetteer
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
        if t.dep_ in LEFT_DEPS and attached and t.ent_type_ != "PERSON":
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
