"""Stance across many stored analyses: per country over publication dates, and two analyses side by side.

Pure pandas over what the store returns (`Store.stance_over_time`) and over loaded analyses; no Streamlit here.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import pandas as pd

from analysis.dashboard.views import country_view, stance_counts
from analysis.labels import STANCE_LABELS, dominant_stance

if TYPE_CHECKING:
    from analysis.pipeline import Analysis

#: how dates are grouped on the Trends page: label -> what the period's label looks like
PERIODS = {"day": "YYYY-MM-DD", "week": "YYYY-Www (ISO week)", "month": "YYYY-MM"}
MIN_ANALYSES = 2


def stance_trend(over_time: pd.DataFrame, *, period: str = "day", share: bool = False) -> pd.DataFrame:
    """Statements per period, country and stance (rows of `Store.stance_over_time` grouped by day, week or month).

    Args:
        over_time: date (YYYY-MM-DD), iso3, stance, statements (as `Store.stance_over_time` returns).
        period: "day", "week" (ISO weeks, labelled `2026-W11`) or "month" (`2026-03`).
        share: give each stance's share of the country's statements in that period (0 to 1) instead of counts.

    Returns:
        DataFrame: period, iso3, stance, value; sorted by period, country, then the app's stance order. Rows whose
        date is not a date are left out.

    Raises:
        ValueError: an unknown period.
    """
    if period not in PERIODS:
        raise ValueError(f"unknown period {period!r}; use one of {', '.join(PERIODS)}")
    cols = ["period", "iso3", "stance", "value"]
    if not len(over_time):
        return pd.DataFrame(columns=cols)
    dates = pd.to_datetime(over_time["date"], format="%Y-%m-%d", errors="coerce")
    data = over_time.assign(_date=dates).dropna(subset=["_date"])
    if period == "day":
        labels = data["_date"].dt.strftime("%Y-%m-%d")
    elif period == "week":
        iso = data["_date"].dt.isocalendar()
        labels = iso["year"].astype(str) + "-W" + iso["week"].astype(str).str.zfill(2)
    else:
        labels = data["_date"].dt.strftime("%Y-%m")
    grouped = (data.assign(period=labels).groupby(["period", "iso3", "stance"], as_index=False)["statements"].sum()
               .rename(columns={"statements": "value"}))
    if share:
        totals = grouped.groupby(["period", "iso3"])["value"].transform("sum")
        grouped["value"] = (grouped["value"] / totals).round(4)
    order = {s: i for i, s in enumerate(STANCE_LABELS)}
    grouped = grouped.assign(_order=grouped["stance"].map(order).fillna(len(order)))
    return grouped.sort_values(["period", "iso3", "_order"]).drop(columns="_order").reset_index(drop=True)[cols]


def countries_by_statements(over_time: pd.DataFrame) -> list[str]:
    """The ISO codes in a `Store.stance_over_time` table, most statements first (ties by code)."""
    if not len(over_time):
        return []
    totals = over_time.groupby("iso3")["statements"].sum().reset_index()
    return list(totals.sort_values(["statements", "iso3"], ascending=[False, True])["iso3"])


def compare_countries(a: Analysis, b: Analysis) -> pd.DataFrame:
    """The countries of two analyses side by side: dominant stance and statement count in each.

    Returns:
        DataFrame: iso3, country, stance_a, statements_a, stance_b, statements_b. A country absent from one
        analysis has "not involved" and 0 there; countries in both come first, then by total statements.
    """
    left = country_view(a)[["iso3", "name", "dominant_stance", "statements"]]
    right = country_view(b)[["iso3", "name", "dominant_stance", "statements"]]
    both = left.merge(right, on="iso3", how="outer", suffixes=("_a", "_b"))
    out = pd.DataFrame({
        "iso3": both["iso3"],
        "country": both["name_a"].fillna(both["name_b"]),
        "stance_a": both["dominant_stance_a"].fillna("not involved"),
        "statements_a": both["statements_a"].fillna(0).astype("int64"),
        "stance_b": both["dominant_stance_b"].fillna("not involved"),
        "statements_b": both["statements_b"].fillna(0).astype("int64"),
    })
    in_both = both["name_a"].notna() & both["name_b"].notna()
    total = out["statements_a"] + out["statements_b"]
    out = out.assign(_both=~in_both, _total=-total).sort_values(["_both", "_total", "country"])
    return out.drop(columns=["_both", "_total"]).reset_index(drop=True)


def compare_actors(a: Analysis, b: Analysis) -> pd.DataFrame:
    """Actors who speak in both analyses (matched by name), with the dominant stance of their statements in each.

    Returns:
        DataFrame: actor, stance_a, statements_a, stance_b, statements_b; most statements first.
    """
    cols = ["actor", "stance_a", "statements_a", "stance_b", "statements_b"]
    ca, cb = stance_counts(a.statements, "speaker"), stance_counts(b.statements, "speaker")
    shared = sorted(set(ca.index) & set(cb.index))
    if not shared:
        return pd.DataFrame(columns=cols)
    rows = [{"actor": name, "stance_a": dominant_stance(ca.loc[name, list(STANCE_LABELS)]) or "neutral",
             "statements_a": int(ca.loc[name, "total"]),
             "stance_b": dominant_stance(cb.loc[name, list(STANCE_LABELS)]) or "neutral",
             "statements_b": int(cb.loc[name, "total"])} for name in shared]
    out = pd.DataFrame(rows, columns=cols)
    return out.assign(_t=-(out["statements_a"] + out["statements_b"])).sort_values(["_t", "actor"]).drop(
        columns="_t").reset_index(drop=True)


def country_name(iso3: str) -> str:
    """The gazetteer's name of a country (the code itself when unknown)."""
    from analysis.rules.gazetteer import load_gazetteer

    country = load_gazetteer().countries.get(iso3)
    return country.name if country else iso3


def shown_title(record: dict) -> str:
    """An analysis's title, or for an untitled one its opening words in quotes (the store's `opening`)."""
    from analysis.stages.article import quoted_opening

    title = record.get("title")
    if isinstance(title, str) and title:
        return title
    opening = record.get("opening")
    return quoted_opening(opening) if isinstance(opening, str) and opening else "Untitled"


def analysis_label(record: dict) -> str:
    """How a stored analysis is named in pickers: title (or its opening words) · publication date (or "undated")
    · id."""
    published = record.get("published")
    date = published if isinstance(published, str) and published else "undated"
    return f"{shown_title(record)} · {date} · {record['article_id']}"
