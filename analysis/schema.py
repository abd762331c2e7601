"""The tables of an analysis: every column's name, dtype and meaning, in one place.

`frame(table, rows)` builds a table with exactly these columns and dtypes; tests check every table against this.
`python -m analysis schema` prints it as Markdown (the README's "Tables" section is made from it).
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import pandas as pd

#: one row of a table as the stages hand it on: column name -> value (None for null)
Row = dict[str, Any]


class Column(NamedTuple):
    """One column: name, pandas dtype, meaning."""

    name: str
    dtype: str
    meaning: str


_ID = Column("article_id", "string", "Id of the analysed article (16 hex digits); the share link's `?a=`.")

def _stance_profile(counted: str) -> tuple[Column, ...]:
    """The stance profile columns of actors and countries (`analysis.stages.profiles`); `counted`: whose statements."""
    return (
        Column("statement_count", "Int64", counted),
        Column("stance_distribution", "object", "Share of each of the six stances over those statements (a dict; "
                                                "model probabilities where the model ran); null without statements."),
        Column("dominant_stance", "string", "The most frequent non-neutral stance of those statements (neutral only "
                                            "when they have nothing else; ties: more probability, then the more "
                                            "specific label); null without statements."),
        Column("stance_evidence_ids", "object", "List of the `statement_id`s with the dominant stance, the most "
                                                "confident first: the evidence for it."),
        Column("stance_toward", "object", "The dominant stance toward each target its statements name (a dict: "
                                          "actor name or ISO alpha-3 code -> stance), kept apart per target."),
    )


TABLES: dict[str, tuple[Column, ...]] = {
    "actors": (
        _ID,
        Column("actor_id", "string", "Actor key, unique in the article: `kind:slug`, e.g. `country:RUS`, "
                                     "`person:matthew-miller`."),
        Column("name", "string", "Canonical name: a person's fullest name, a country's common English name."),
        Column("kind", "string", "person, organization, country, international (UN, NATO, EU, blocs), "
                                 "group (non-state groups such as Hamas) or media (outlets cited)."),
        Column("country", "string", "ISO 3166 alpha-3 code of the actor's country (its own code for a country); "
                                    "null when the text gives none, and for international bodies and media."),
        Column("country_evidence", "string", "How the country was known, in the order a reader trusts it: the text's "
                                             "own words (name; title, apposition, organization: a modifier, "
                                             "possessive or appositive), then knowledge (gazetteer, known_person, "
                                             "knowledge: the office-holder table), then dateline and story (people "
                                             "only); null without a country."),
        Column("country_confidence", "Float64", "How sure that country is, 0..1 (1.0 the text's own name)."),
        Column("fact_check", "string", "Where the text's role or country for a person contradicts the office-holder "
                                       "table on the article's date, both facts; null when nothing does."),
        Column("role", "string", "A person's role from titles and appositions, without the country "
                                 "('State Department spokesperson', 'ambassador'); null if none."),
        Column("aliases", "object", "List of the other surface forms that refer to the actor in the text."),
        Column("mention_count", "Int64", "Number of mentions of the actor."),
        Column("first_start", "Int64", "Character offset of the actor's first mention."),
        Column("sentiment_mean", "Float64", "How the article portrays the actor: mean over its mentions of "
                                            "P(positive) - P(negative) from the sentiment model, in [-1, 1]."),
        Column("sentiment_negative", "Int64", "Mentions of the actor the model reads as negative."),
        Column("sentiment_neutral", "Int64", "Mentions read as neutral."),
        Column("sentiment_positive", "Int64", "Mentions read as positive."),
        *_stance_profile("Statements the actor speaks or acts in."),
    ),
    "mentions": (
        _ID,
        Column("mention_id", "Int64", "Number of the mention in text order, from 0."),
        Column("actor_id", "string", "The actor mentioned (key into `actors`)."),
        Column("text", "string", "The mention as written."),
        Column("start", "Int64", "Character offset where the mention starts in the article text."),
        Column("end", "Int64", "Character offset where it ends (exclusive)."),
        Column("sentence", "Int64", "Index of the sentence holding the mention, from 0."),
        Column("form", "string", "How it names the actor: name, short_name (surname or short form), alias, short, "
                                 "demonym, capital, metonym, territory, contextual ('the North')."),
        Column("ner_label", "string", "spaCy's entity label over the mention (PERSON, ORG, GPE, NORP, LOC, FAC), "
                                      "or null where only the gazetteer found it."),
        Column("sentiment", "string", "negative, neutral or positive: how its sentence portrays the actor here "
                                      "(target-dependent sentiment model)."),
        Column("sentiment_score", "Float64", "P(positive) - P(negative) for this mention, in [-1, 1]."),
    ),
    "countries": (
        _ID,
        Column("iso3", "string", "ISO 3166 alpha-3 code."),
        Column("name", "string", "Common English name."),
        Column("actor_ids", "object", "List of the actors of this country, the country itself included."),
        Column("actors", "object", "Their names, in the same order."),
        Column("actor_count", "Int64", "Number of those actors."),
        Column("mention_count", "Int64", "Mentions of the country itself (names, capitals, metonyms, demonyms)."),
        Column("actor_mentions", "Int64", "Mentions of all its actors, the country's own included."),
        Column("sentiment", "Float64", "Mean sentiment score over the mentions of all its actors, in [-1, 1]."),
        *_stance_profile("Statements of all its actors (by `speaker_country`)."),
        Column("lat", "Float64", "Latitude of a point inside the country, for arcs and labels."),
        Column("lon", "Float64", "Longitude of that point."),
    ),
    "statements": (
        _ID,
        Column("statement_id", "Int64", "Number of the statement in text order, from 0."),
        Column("kind", "string", "direct (quoted), indirect (reported), mixed (reported with a partial quote) or "
                                 "action (a stance-bearing act)."),
        Column("sentence", "Int64", "Index of the sentence holding the cue (or the content's start)."),
        Column("speaker_text", "string", "The speaker as written; null where the text gives none."),
        Column("speaker_start", "Int64", "Character offset of the speaker span."),
        Column("speaker_end", "Int64", "End of the speaker span (exclusive)."),
        Column("speaker_actor_id", "string", "The actor who speaks or acts (key into `actors`); null if unknown."),
        Column("speaker", "string", "That actor's name."),
        Column("speaker_country", "string", "That actor's country (ISO alpha-3)."),
        Column("speaker_country_source", "string", "How the speaker's country was known: the speaker actor's "
               "`country_evidence`, or for a speaker the text does not name (\"officials said\"): modifier (the "
               "country's), place (a place in the speaker's words), dateline, story; null without a country."),
        Column("speaker_country_confidence", "Float64", "How sure the speaker's country is, 0..1."),
        Column("speaker_org", "string", "The body a person speaker speaks for, as the speaker span names it "
               "(\"a spokesperson for the State Department, Jane Roe\" -> State Department); null otherwise."),
        Column("cue_text", "string", "The cue as written ('said', 'according to', 'summoned')."),
        Column("cue_start", "Int64", "Character offset of the cue."),
        Column("cue_end", "Int64", "End of the cue (exclusive)."),
        Column("cue_lemma", "string", "Lemma of the cue ('say', 'according to', 'summon')."),
        Column("content_text", "string", "What was said or done, as written."),
        Column("content_start", "Int64", "Character offset where the content starts."),
        Column("content_end", "Int64", "Where its last fragment ends (exclusive)."),
        Column("content_spans", "object", "List of [start, end] of the content's fragments (a quote split by its cue "
                                          "has two)."),
        Column("outlet", "string", "The outlet the statement was reported through ('according to The Guardian')."),
        Column("lexicon_stance", "string", "The stance the cue-and-phrase lexicon gives (for acts, the act's own "
                                           "label); the stance stage falls back on it where the model is unsure."),
        Column("lexicon_evidence", "string", "The cue or phrase the lexicon matched (or the act's cue lemma)."),
        Column("stance", "string", "concerned, outraged, protesting, threatening, supportive or neutral "
                                   "(see ../shared/docs/stance-codebook.md)."),
        Column("stance_method", "string", "How the stance was decided: model, lexicon (cue words and phrases, "
                                          "where the model was unsure and the lexicon found a stance), or "
                                          "correction (an analyst set it; the model's scores are kept)."),
        Column("stance_evidence", "string", "The cue or phrase the lexicon matched where the lexicon decided; "
                                            "else null."),
        Column("stance_scores", "object", "The stance model's probability for each of the six labels (a dict); "
                                          "null only in analyses made before the model."),
        Column("stance_uncertain", "boolean", "True where the model's top probability is under 0.5: the stance "
                                              "is a guess, shown as uncertain on every page."),
        Column("targets", "object", "List of the actors the statement names in its content (not its speaker, not "
                                    "media): whom or what it reacts to."),
        Column("target_countries", "object", "List of those targets' countries other than the speaker's own "
                                             "(ISO alpha-3): the arcs of the map."),
        Column("sentiment", "string", "Tone of the content: negative (score <= -0.33), positive (>= 0.33) or neutral."),
        Column("sentiment_score", "Float64", "Mean sentiment score toward the actors the content names (how the "
                                             "statement portrays them); the content itself as the target where it "
                                             "names none. In [-1, 1]."),
    ),
}


def columns(table: str) -> list[str]:
    """Return the column names of a table, in order."""
    return [c.name for c in TABLES[table]]


def frame(table: str, rows: Iterable[Mapping[str, Any]] = ()) -> pd.DataFrame:
    """Build a table with its documented columns, in order, with their dtypes.

    Args:
        table: one of `TABLES`.
        rows: records; missing keys become null, unknown keys are an error.

    Returns:
        The DataFrame.

    Raises:
        KeyError: a record has a column the table does not document.
    """
    cols = TABLES[table]
    names = {c.name for c in cols}
    records = list(rows)
    for rec in records:
        extra = set(rec) - names
        if extra:
            raise KeyError(f"undocumented column(s) for table {table!r}: {sorted(extra)}")
    data = {}
    for c in cols:
        values = [rec.get(c.name) for rec in records]
        data[c.name] = pd.Series(values, dtype=object) if c.dtype == "object" else pd.array(values, dtype=c.dtype)
    return pd.DataFrame(data, index=pd.RangeIndex(len(records)))


def conform(table: str, df: pd.DataFrame) -> pd.DataFrame:
    """Return `df` with the table's columns in order and cast to their dtypes (used when reading stored tables)."""
    out = {}
    for c in TABLES[table]:
        values = df[c.name] if c.name in df else pd.Series([None] * len(df))
        out[c.name] = pd.Series(list(values), dtype=c.dtype)
    return pd.DataFrame(out, index=pd.RangeIndex(len(df)))


def is_missing(value: Any) -> bool:
    """True for a scalar null (None, NaN, pd.NA); lists and other containers are never missing."""
    if value is None:
        return True
    if isinstance(value, list | tuple | dict | set):
        return False
    try:
        return bool(pd.isna(value))
    except (TypeError, ValueError):
        return False


def records(df: pd.DataFrame) -> list[dict[str, Any]]:
    """Return a table as JSON-ready records: nulls as None, numpy scalars as Python numbers."""
    out = []
    for rec in df.to_dict(orient="records"):
        out.append({k: (None if is_missing(v) else (v.item() if hasattr(v, "item") else v)) for k, v in rec.items()})
    return out


def markdown() -> str:
    """Return every table's columns as Markdown."""
    lines = []
    for table, cols in TABLES.items():
        lines += [f"### `{table}`", "", "| column | dtype | meaning |", "|---|---|---|"]
        lines += [f"| `{c.name}` | {c.dtype} | {c.meaning} |" for c in cols]
        lines.append("")
    return "\n".join(lines)
