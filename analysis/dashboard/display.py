"""Tables as an analyst reads them: readable column labels, country names beside codes, "—" for a missing value.

The pages pass every table through `readable` before drawing it; downloads keep the data's own column names and
values (`analysis.dashboard.views.for_download`), which `python -m analysis schema` documents.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.schema import is_missing

#: what a cell shows when the value is missing (never "None" or "nan")
MISSING = "—"

#: column name -> the label the pages show; a column not listed here shows its name with spaces for underscores
LABELS: dict[str, str] = {
    "actor_id": "actor", "speaker_actor_id": "speaker",
    "name": "name", "kind": "kind", "country": "country", "role": "role", "aliases": "other names",
    "country_evidence": "country from", "country_confidence": "country confidence", "fact_check": "fact check",
    "mention_count": "mentions", "first_start": "first at", "statement_count": "statements",
    "sentiment_mean": "sentiment", "sentiment_negative": "negative mentions", "sentiment_neutral": "neutral mentions",
    "sentiment_positive": "positive mentions", "dominant_stance": "dominant stance",
    "stance_distribution": "stance shares", "stance_evidence_ids": "evidence (statement ids)",
    "stance_toward": "stance toward",
    "mention_id": "#", "text": "as written", "start": "from", "end": "to", "sentence": "sentence",
    "form": "form", "ner_label": "entity type", "sentiment_score": "sentiment score",
    "iso3": "code", "actors": "actors", "actor_count": "actors", "actor_mentions": "actor mentions",
    "main_statement": "main statement", "statements": "statements",
    "from_iso3": "from", "to_iso3": "to", "count": "statements", "example": "example",
    "statement_id": "#", "speaker_text": "speaker as written", "speaker": "speaker",
    "speaker_country": "country", "speaker_country_source": "country from",
    "speaker_country_confidence": "country confidence", "speaker_org": "speaking for", "cue_text": "cue",
    "cue_lemma": "cue lemma", "content_text": "content", "outlet": "reported by",
    "lexicon_stance": "lexicon stance", "lexicon_evidence": "lexicon evidence", "stance": "stance",
    "stance_method": "stance by", "stance_evidence": "stance evidence", "stance_uncertain": "uncertain",
    "uncertain": "uncertain", "targets": "targets", "target_countries": "target countries",
    "source": "outlet", "published": "published", "created": "saved", "saved_by": "saved by",
    "article_id": "id", "title": "title", "countries": "countries",
    "stance_a": "stance in A", "statements_a": "statements in A", "stance_b": "stance in B",
    "statements_b": "statements in B", "made_by": "made by", "made_at": "made at (UTC)",
    "who": "name", "dominant": "dominant stance",
}
#: columns that hold one ISO alpha-3 code, or a list of them: shown as "Name (ISO)"
COUNTRY_COLUMNS = frozenset({"country", "speaker_country", "from_iso3", "to_iso3", "countries", "target_countries"})
#: columns an analyst never reads (offsets of spans, coordinates, internal keys such as `country:RUS`)
HIDDEN = frozenset({"article_id", "speaker_start", "speaker_end", "cue_start", "cue_end", "content_start",
                    "content_end", "content_spans", "stance_scores", "lat", "lon", "from_lat", "from_lon",
                    "to_lat", "to_lon", "actor_ids", "_neutral", "_nospeaker", "is_media", "actor_id",
                    "speaker_actor_id"})
_SNAKE = re.compile(r"^[a-z0-9]+(?:_[a-z0-9]+)+$")


def label(column: str) -> str:
    """The label a page shows for a column."""
    return LABELS.get(column, column.replace("_", " "))


def is_snake_case(text: str) -> bool:
    """True for a data name like `cue_text` (what a page must never show as a column label)."""
    return bool(_SNAKE.match(text))


def country_label(code: Any) -> str:
    """'Russia (RUS)' for a code the gazetteer knows, the code itself otherwise, "—" when missing."""
    if is_missing(code) or code == "":
        return MISSING
    from analysis.dashboard.trends import country_name

    name = country_name(str(code))
    return f"{name} ({code})" if name != code else str(code)


def _cell(value: Any, *, country: bool) -> Any:
    if isinstance(value, list | tuple):
        parts = [_cell(v, country=country) for v in value]
        return ", ".join(str(p) for p in parts if p != MISSING) or MISSING
    if isinstance(value, dict):
        if not value:
            return MISSING
        shown = [f"{k}: {v:.0%}" if isinstance(v, float) and 0 <= v <= 1 else f"{k}: {_cell(v, country=False)}"
                 for k, v in value.items()]
        return ", ".join(shown)
    if is_missing(value) or value == "":
        return MISSING
    if country:
        return country_label(value)
    if isinstance(value, bool):
        return "yes" if value else "no"
    return value


def readable(df: pd.DataFrame, columns: Sequence[str] | None = None, *, keep_index: bool = False) -> pd.DataFrame:
    """The table as a page shows it.

    Args:
        df: a table of `analysis/` (actors, mentions, statements, countries or a view of them).
        columns: the columns to show, in order (those missing from `df` are skipped); default: all but `HIDDEN`.
        keep_index: keep a named index (e.g. the stance counts' actor names) as a labelled index.

    Returns:
        A copy with readable labels; missing values as "—"; lists joined with ", "; country codes as "Name (ISO)";
        numbers with missing values as text (so the grid never prints "None"); shares and scores rounded to 2 places.
        Every object column holds text only (one type per column, as Arrow needs).
    """
    chosen = [c for c in (columns if columns is not None else df.columns) if c in df.columns and
              (columns is not None or c not in HIDDEN)]
    out = df[chosen].copy()
    for col in chosen:
        series = out[col]
        country = col in COUNTRY_COLUMNS
        numeric = pd.api.types.is_numeric_dtype(series) and not pd.api.types.is_bool_dtype(series)
        if numeric and not country:
            if series.isna().any():  # as text: the grid prints a missing number as "None"
                out[col] = series.map(lambda v: MISSING if is_missing(v) else str(_number(v))).astype(object)
            elif pd.api.types.is_float_dtype(series):
                out[col] = series.astype(float).round(2) + 0.0  # + 0.0: no "-0.00"
            continue
        out[col] = series.map(lambda v, c=country: str(_cell(v, country=c))).astype(object)
    labels: list[str] = []
    for col in chosen:  # two data columns with one label (actors and actor_count): the second keeps its own name
        name = label(col) if label(col) not in labels else col.replace("_", " ")
        while name in labels:
            name += " (2)"
        labels.append(name)
    out.columns = labels
    if keep_index and out.index.name:
        out.index.name = label(str(out.index.name))
    return out


def _number(value: Any) -> Any:
    if isinstance(value, float) and not math.isnan(value):
        return round(value, 2) + 0.0 if not value.is_integer() else int(value)
    return value


def shorten(text: str, n: int = 36) -> str:
    """A long name cut to `n` characters with "…" (charts show the full name on hover)."""
    text = " ".join(str(text).split())
    return text if len(text) <= n else text[: n - 1].rstrip() + "…"
