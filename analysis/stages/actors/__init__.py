"""Actors: people, organisations, countries, international bodies, groups and media, with their mentions.

Mentions come from spaCy's NER and from the gazetteer (country names, short forms, demonyms, capitals, political
metonyms, international bodies, groups, media). Aliases merge into one actor: a surname joins the full name, a
capital or metonym joins its country, "the North" joins North Korea in an article about the Koreas. People and
organisations get a role and a country from titles, appositions and their names.
"""

from __future__ import annotations

from analysis.rules.gazetteer import Gazetteer, load_gazetteer
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
    return _rows(article, actors)


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
