"""The countries stage: each country involved in an article, with its actors and how often it and they are named."""

from __future__ import annotations

from collections import Counter

from analysis.rules.gazetteer import Gazetteer, load_gazetteer
from analysis.schema import Row
from analysis.stages.article import Article


def involved_countries(
    article: Article, actors: list[Row], mentions: list[Row], statements: list[Row] | None = None, *,
    gazetteer: Gazetteer | None = None,
) -> dict[str, list[Row]]:
    """One row per country involved: the country actors, the countries of people, organisations and groups, and
    the countries of speakers the text does not name ("ACCRA (AFP) - The finance minister said": Ghana).

    News media are left out: an outlet's home country is not a party to the story.

    Needs: `actors` (actor_id, name, kind, country), `mentions` (actor_id), `statements` (speaker_country).
    Adds: the `countries` table, every column but the sentiment and stance profile ones.

    Returns:
        {"countries": rows}, ordered by the mentions of all the country's actors (most first), then by code.
    """
    gaz = gazetteer or load_gazetteer()
    counts = Counter(str(m["actor_id"]) for m in mentions)
    by_country: dict[str, list[Row]] = {}
    for actor in actors:
        if isinstance(actor["country"], str) and actor["kind"] != "media":
            by_country.setdefault(actor["country"], []).append(actor)
    for stmt in statements or ():
        if isinstance(stmt["speaker_country"], str):
            by_country.setdefault(stmt["speaker_country"], [])
    rows = []
    for iso3, group in by_country.items():
        country = gaz.countries.get(iso3)
        own = [a for a in group if a["kind"] == "country"]
        ordered = own + [a for a in group if a["kind"] != "country"]
        ids = [str(a["actor_id"]) for a in ordered]
        rows.append({
            "article_id": article.article_id, "iso3": iso3, "name": country.name if country else iso3,
            "actor_ids": ids, "actors": [str(a["name"]) for a in ordered], "actor_count": len(ids),
            "mention_count": sum(counts[str(a["actor_id"])] for a in own),
            "actor_mentions": sum(counts[a] for a in ids),
            "lat": country.lat if country else None, "lon": country.lon if country else None,
        })
    rows.sort(key=lambda r: (-r["actor_mentions"], r["iso3"]))
    return {"countries": rows}
