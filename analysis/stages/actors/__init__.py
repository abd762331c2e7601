"""Actors: people, organisations, countries, international bodies, groups and media, with their mentions.

Mentions come from spaCy's NER and from the gazetteer (country names, short forms, demonyms, capitals, political
metonyms, international bodies, groups, media). Aliases merge into one actor: a surname joins the full name, a
capital or metonym joins its country, "the North" joins North Korea in an article about the Koreas. People and
organisations get a role and a country from titles, appositions and their names.
"""

from __future__ import annotations

import datetime as _dt
import itertools
import re
from typing import Any

from analysis.rules.gazetteer import Gazetteer, load_gazetteer
from analysis.rules.knowledge import Holder, Knowledge, load_knowledge, offices_of_role
from analysis.rules.places import fold, load_places
from analysis.schema import Row
from analysis.stages.actors.grouping import (
    adopt_person_names,
    drop_places,
    gazetteer_actors,
    org_actors,
    person_actors,
)
from analysis.stages.actors.mentions import Actor, find_mentions
from analysis.stages.actors.roles import title_and_country
from analysis.stages.article import Article, furniture_spans, in_spans
from analysis.stages.geo import story_geo
from analysis.stages.statements import headline_end


def detect_actors(article: Article, *, gazetteer: Gazetteer | None = None) -> dict[str, list[Row]]:
    """Find the actors of an article and their mentions.

    Needs: `article.doc` (NER and the dependency parse) and `article.sentences`.
    Adds: the `actors` and `mentions` tables, every column but the sentiment and stance profile ones.

    Args:
        article: the parsed article.
        gazetteer: lookup tables (default: the shipped gazetteer).

    Returns:
        {"actors": rows, "mentions": rows}: records keyed by the columns of `analysis.schema.TABLES`.
    """
    gaz = gazetteer or load_gazetteer()
    doc = article.doc
    if doc is None or article.sentences is None:
        raise ValueError("detect_actors needs a parsed article (see analysis.stages.article.parse_article)")
    furniture = furniture_spans(article.text)  # bylines, datelines, credits, captions: no actors there
    mentions = [m for m in find_mentions(doc, gaz) if not in_spans(furniture, doc[m.start].idx)]  # token offsets
    actors = gazetteer_actors(mentions, gaz)
    people = person_actors(mentions, gaz)
    adopt_person_names(mentions, people)
    mentions = [m for m in mentions if m.kind != "unknown"]
    actors.update(org_actors(doc, mentions, gaz))
    for actor in actors.values():
        if actor.kind == "organization" and not actor.country:
            for m in actor.mentions:  # "US oil major ExxonMobil"
                _, country, evidence = title_and_country(doc, m, mentions, actors, gaz)
                if country:
                    actor.country, actor.country_evidence = country, evidence
                    break
    drop_places(doc, actors)
    for actor in people.values():
        for m in actor.mentions:
            role, country, evidence = title_and_country(doc, m, mentions, actors, gaz)
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
    rows = _rows(article, actors)
    infer_actor_countries(article, rows["actors"], rows["mentions"], gaz)
    return rows


def infer_actor_countries(article: Article, actors: list[Row], mentions: list[Row], gaz: Gazetteer) -> None:
    """Countries a careful reader gives the actors the text's own words leave without one, and facts that do not
    add up (issue 14), in place.

    The text's words were read first (names, titles, appositions, possessives, demonyms: `country_evidence` name,
    title, apposition, organization, gazetteer, known_person). Then, for people only: the office-holder table
    (`knowledge`, the person's only country there), the dateline's country (`dateline`), the one country the story
    is set in (`story`). Organisations, international bodies and media never take a dateline's or story's country.
    Every actor with a country gets `country_confidence`; `fact_check` says where the text's role for a person
    contradicts the table on the article's date (or the save date).
    """
    knowledge, places = load_knowledge(), load_places()
    day = article_day(article)
    for actor in actors:
        if not actor["country"] and actor["kind"] == "person":
            countries = knowledge.countries_of(actor["name"], day)
            if len(countries) == 1:
                actor["country"], actor["country_evidence"] = next(iter(countries)), "knowledge"
    for actor in actors:
        if not actor["country"] and actor["kind"] == "person":
            found = _demonym_before(article.doc, [m for m in mentions if m["actor_id"] == actor["actor_id"]], gaz)
            if found:  # "Belarusian opposition leader Sviatlana Tsikhanouskaya" (NER left "Belarusian" untagged)
                actor["country"], actor["country_evidence"] = found, "title"
    by_id = {a["actor_id"]: a for a in actors}
    geo = story_geo(article.text, article.doc, mentions, by_id, gaz, body_start=headline_end(article.text))
    for actor in actors:
        if actor["country"]:
            actor["country_confidence"] = _CONFIDENCE.get(actor["country_evidence"], 0.9)
        elif actor["kind"] == "person":
            if geo.dateline and geo.dateline.iso3:
                actor["country"], actor["country_evidence"] = geo.dateline.iso3, "dateline"
                actor["country_confidence"] = round(0.7 * geo.dateline.confidence, 3)
            elif geo.story_country and geo.story_country == geo.grounded:  # places or names, not other people
                actor["country"], actor["country_evidence"] = geo.story_country, "story"
                actor["country_confidence"] = round(0.7 * geo.story_confidence, 3)
        elif actor["kind"] in ("organization", "group", "media") and _country_word(gaz, str(actor["name"])):
            actor["country"] = _country_word(gaz, str(actor["name"]))  # "Syrian Democratic Forces"
            actor["country_evidence"], actor["country_confidence"] = "name", 0.9
        elif actor["kind"] == "organization" and not places.is_common_word(str(actor["name"])):
            found = places.resolve(str(actor["name"]), geo.context())  # "Kharkiv's mayor": the city
            if found is not None:
                actor["country"], actor["country_evidence"] = found.iso3, "place"
                actor["country_confidence"] = round(0.9 * found.confidence, 3)
        if not actor["country"]:
            actor["country_confidence"] = None
        actor["fact_check"] = fact_check(actor, day, knowledge, gaz, article_dated=bool(article.published)) \
            if actor["kind"] == "person" else None


#: how sure each source of an actor's country is (the text's own words most)
_CONFIDENCE = {"name": 1.0, "title": 0.95, "apposition": 0.95, "organization": 0.9, "gazetteer": 0.9,
               "known_person": 0.85, "knowledge": 0.9, "place": 0.85}


def _demonym_before(doc: Any, mentions: list[Row], gaz: Gazetteer) -> str | None:
    """A country name or demonym in the title words right before a person's mention, up to five words back and
    never past a verb or punctuation."""
    for m in mentions:
        span = doc.char_span(m["start"], m["end"], alignment_mode="expand")
        if span is None:
            continue
        i = span.start - 1
        while i >= max(span.sent.start, span.start - 5) and doc[i].pos_ in ("NOUN", "PROPN", "ADJ", "DET"):
            entry = gaz.lookup(doc[i].text)
            if entry is not None and entry.kind == "country" and entry.form in ("name", "short", "demonym"):
                return entry.country
            i -= 1
    return None


def _country_word(gaz: Gazetteer, name: str) -> str | None:
    """The one country a body's name holds as a name or demonym ("Syrian Democratic Forces" -> SYR), if one."""
    words = re.findall(r"[A-Z][\w’'-]+", name)
    pairs = [f"{a} {b}" for a, b in itertools.pairwise(words)]
    found = {gaz.country_of_form(w) for w in [*words, *pairs]}
    found.discard(None)
    return next(iter(found)) if len(found) == 1 else None


def article_day(article: Article) -> _dt.date:
    """The article's publication date, else today (UTC): the day the office-holder table is read for."""
    if article.published:
        return _dt.date.fromisoformat(article.published[:10])
    return _dt.datetime.now(_dt.UTC).date()


def fact_check(actor: Row, day: _dt.date, knowledge: Knowledge, gaz: Gazetteer, *, article_dated: bool = True
               ) -> str | None:
    """What does not add up about a person's role, with both facts; None when nothing contradicts the table.

    Flagged: the text gives the person the office of head of state or government of a country (role "President",
    country USA) that the table says someone else held on `day` (a namesake in that country's table is named too:
    "Joe Blinken" -> Antony Blinken, Secretary of State); and a person the table knows only in other countries than
    the one the text gives. A minister or ambassador the table does not know is not flagged: its coverage of those
    offices is too thin to call a name wrong. Countries known only from the dateline or the story are not checked.
    The flag names the day only for a dated article (an undated one is read for the day it is analysed, so its flag
    reads the same on any day).
    """
    name, country, role = str(actor["name"]), actor["country"], actor["role"]
    if not isinstance(country, str) or actor["country_evidence"] in ("dateline", "story", "place", "organization"):
        return None  # only the text's words for the state, or the table, can contradict the table ("Akio Toyoda,
        # president of Toyota" has Japan from his company: his office is the company's, not the state's)
    known = knowledge.person(name)
    if known and country not in {h.iso3 for h in known}:
        where = ", ".join(sorted({gaz.countries[h.iso3].name for h in known if h.iso3 in gaz.countries}))
        return f"the text places {name} in {_country(gaz, country)}; the office-holder table knows {name} in {where}"
    offices = offices_of_role(role) if isinstance(role, str) else ()
    for office in offices:
        holders = knowledge.held(country, office, day)
        if not holders or any(_same_person(name, h) for h in holders):
            continue
        if office not in ("head_of_state", "head_of_government") or not knowledge.covers(country, office, day):
            continue  # ministers and ambassadors: the table's coverage is too thin to call an unknown name wrong
        namesakes = known or knowledge.by_surname(country, name.split()[-1])
        said = f"the text calls {name} {role} ({_country(gaz, country)})"
        when = f"on {day.isoformat()}" if article_dated else "when it was analysed (the article has no date)"
        truth = f"{when} the {holders[0].title} was {' / '.join(h.name for h in holders)}"
        also = ""
        if namesakes:
            h = max(namesakes, key=lambda h: h.start)
            until = f"–{h.end.year}" if h.end else " on"
            also = f"; {h.name} was {h.title} {h.start.year}{until}"
        return f"{said}; {truth}{also}"
    return None


def _same_person(name: str, holder: Holder) -> bool:
    mine = fold(name).split()
    return bool(mine) and (fold(name) in {fold(n) for n in (holder.name, *holder.aliases)}
                           or mine[-1] in holder.surnames)


def _country(gaz: Gazetteer, iso3: str) -> str:
    return gaz.countries[iso3].name if iso3 in gaz.countries else iso3


def _rows(article: Article, actors: dict[str, Actor]) -> dict[str, list[Row]]:
    doc, sent_of = article.doc, article.sentences.of_token
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
    return {"actors": actor_rows, "mentions": mention_rows}
