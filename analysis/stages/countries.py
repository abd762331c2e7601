"""Countries involved in an article: each with its actors and how often it and they are mentioned."""

from __future__ import annotations

import pandas as pd

from analysis.rules.gazetteer import Gazetteer, load_gazetteer
from analysis.schema import frame
from analysis.stages.article import Article


def involved_countries(
    article: Article, actors: pd.DataFrame, mentions: pd.DataFrame, *, gazetteer: Gazetteer | None = None
) -> pd.DataFrame:
    """One row per country involved: the country actors plus the countries of people, organisations and groups.

    News media are left out: an outlet's home country is not a party to the story.

    Requires: the `actors` and `mentions` tables of `detect_actors`.

    Returns:
        The `countries` table (columns in `analysis.schema.TABLES["countries"]`), ordered by actor mentions.
    """
    gaz = gazetteer or load_gazetteer()
    relevant = actors[actors["country"].notna() & (actors["kind"] != "media")]
    counts = mentions.groupby("actor_id").size()
    rows = []
    for iso3, group in relevant.groupby("country", sort=False):
        country = gaz.countries.get(str(iso3))
        own = group[group["kind"] == "country"]
        ordered = pd.concat([own, group[group["kind"] != "country"]])
        ids = [str(a) for a in ordered["actor_id"]]
        rows.append({
            "article_id": article.article_id, "iso3": iso3, "name": country.name if country else iso3,
            "actor_ids": ids, "actors": [str(n) for n in ordered["name"]], "actor_count": len(ids),
            "mention_count": int(sum(counts.get(a, 0) for a in own["actor_id"])),
            "actor_mentions": int(sum(counts.get(a, 0) for a in ids)),
            "lat": country.lat if country else None, "lon": country.lon if country else None,
        })
    rows.sort(key=lambda r: (-r["actor_mentions"], r["iso3"]))
    return frame("countries", rows)
