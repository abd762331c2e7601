"""Plain-text summary of an analysis, for the command line."""

from __future__ import annotations

import textwrap
from typing import TYPE_CHECKING

import pandas as pd

from analysis.schema import is_missing

if TYPE_CHECKING:
    from analysis.pipeline import Analysis


def _table(df: pd.DataFrame, columns: list[str], headers: list[str]) -> list[str]:
    rows = [["" if is_missing(v) else ", ".join(v) if isinstance(v, list) else str(v) for v in rec]
            for rec in df[columns].itertuples(index=False)]
    widths = [min(40, max([len(h)] + [len(r[i]) for r in rows])) for i, h in enumerate(headers)]

    def fmt(values: list[str]) -> str:
        return "  ".join((v if len(v) <= w else v[: w - 1] + "…").ljust(w) for v, w in zip(values, widths, strict=True))

    return [fmt(headers), fmt(["-" * w for w in widths])] + [fmt(r) for r in rows]


def summary(result: Analysis) -> str:
    """Return a readable summary: the article, its actors, its countries, its statements."""
    art = result.article
    lines = [f"Stance Atlas analysis {result.article_id}"]
    meta = " · ".join(x for x in (art.title, art.source, art.published) if x)
    if meta:
        lines.append(meta)
    lines.append(f"{len(art.text):,} characters · {len(result.actors)} actors · {len(result.countries)} countries · "
                 f"{len(result.statements)} statements")
    lines.append("models: " + ", ".join(f"{k} {v}" for k, v in result.models.items()))
    lines += ["", "Actors"]
    lines += _table(result.actors, ["name", "kind", "country", "role", "mention_count", "aliases"],
                    ["name", "kind", "country", "role", "mentions", "aliases"])
    lines += ["", "Countries"]
    countries = result.countries.assign(stance=result.countries.get("dominant_stance", pd.Series(dtype=object)))
    lines += _table(countries, ["iso3", "name", "stance", "statement_count", "mention_count", "actors"],
                    ["iso3", "name", "stance", "statements", "mentions", "actors"])
    if len(result.statements):
        lines += ["", "Statements (number · speaker (country) · kind · cue · stance, how decided; then what was said)"]
        for rec in result.statements.to_dict(orient="records"):
            lines += _statement(rec)
    return "\n".join(lines)


def _statement(rec: dict) -> list[str]:
    """One statement: a head line, then its whole content wrapped under it."""
    speaker = "(no speaker)" if is_missing(rec["speaker"]) else str(rec["speaker"])
    if not is_missing(rec.get("speaker_country")):
        speaker += f" ({rec['speaker_country']})"
    stance = str(rec["stance"])
    how = [str(rec["stance_method"])] if not is_missing(rec.get("stance_method")) else []
    if rec.get("stance_uncertain") is True:
        how.append("uncertain")
    if how:
        stance += f" ({', '.join(how)})"
    cue = "" if is_missing(rec["cue_text"]) else str(rec["cue_text"])
    head = " · ".join(x for x in (f"#{rec['statement_id']}", speaker, str(rec["kind"]), cue, stance) if x)
    body = textwrap.wrap(" ".join(str(rec["content_text"]).split()), width=100, initial_indent="    ",
                         subsequent_indent="    ")
    return [head, *body]
