"""Trends across stored analyses: stance per country over dates, two analyses side by side, the corrections log."""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest

from analysis.dashboard.charts import stance_trend_chart
from analysis.dashboard.corrections import correction_log, country_choices
from analysis.dashboard.trends import (
    analysis_label,
    compare_actors,
    compare_countries,
    countries_by_statements,
    country_name,
    stance_trend,
)
from analysis.dashboard.views import STANCE_COLORS, country_stance, summary
from analysis.store import Store


@pytest.fixture
def filled(tmp_path, outlet_analyses) -> Store:
    """A SQLite store holding the five sample analyses (four dated, one undated)."""
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    for analysis in outlet_analyses:
        store.save(analysis)
    yield store
    store.dispose()


def _spoken(analyses) -> int:
    return sum(int(a.statements["speaker_country"].notna().sum()) for a in analyses)


def test_stance_per_day_adds_up_to_the_statements_of_dated_analyses(filled, outlet_analyses) -> None:
    dated = [a for a in outlet_analyses if a.article.published]
    trend = stance_trend(filled.stance_over_time(dated_only=True), period="day")
    assert set(trend["period"]) == {a.article.published for a in dated}
    assert trend["value"].sum() == _spoken(dated)
    philippines = next(a for a in dated if "PHL" in set(a.statements["speaker_country"].dropna()))
    mine = trend[(trend["iso3"] == "PHL") & (trend["period"] == philippines.article.published)]
    expected = philippines.statements[philippines.statements["speaker_country"] == "PHL"]["stance"].value_counts()
    assert dict(zip(mine["stance"], mine["value"], strict=True)) == expected.to_dict()


def test_weeks_and_months_and_shares(filled, outlet_analyses) -> None:
    over = filled.stance_over_time(dated_only=True)
    dates = {a.article.published for a in outlet_analyses if a.article.published}
    weeks = {f"{dt.date.fromisoformat(d).isocalendar().year}-W{dt.date.fromisoformat(d).isocalendar().week:02d}"
             for d in dates}
    assert set(stance_trend(over, period="week")["period"]) == weeks
    assert set(stance_trend(over, period="month")["period"]) == {d[:7] for d in dates}
    shares = stance_trend(over, period="month", share=True)
    assert shares.groupby(["period", "iso3"])["value"].sum().round(3).eq(1.0).all()
    with pytest.raises(ValueError, match="unknown period"):
        stance_trend(over, period="year")


def test_countries_are_ranked_by_statements(filled) -> None:
    over = filled.stance_over_time()
    ranked = countries_by_statements(over)
    totals = over.groupby("iso3")["statements"].sum()
    assert ranked[0] == totals.idxmax() and set(ranked) == set(totals.index)
    assert [totals[c] for c in ranked] == sorted(totals, reverse=True)
    assert country_name("PHL") == "Philippines" and country_name("XXX") == "XXX"


def test_trend_chart_has_one_panel_per_country_in_the_stance_colours(filled) -> None:
    trend = stance_trend(filled.stance_over_time(countries=["PHL", "CHN"], dated_only=True))
    fig = stance_trend_chart(trend, {"PHL": "Philippines", "CHN": "China"})
    spec = json.loads(fig.to_json())
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["China", "Philippines"]
    for trace in spec["data"]:
        assert trace["marker"]["color"] == STANCE_COLORS[trace["name"]]
    assert {t["name"] for t in spec["data"] if t.get("showlegend")} == set(trend["stance"])


def test_two_analyses_side_by_side(outlet_analyses) -> None:
    by_country = {a.article_id: set(a.countries["iso3"]) for a in outlet_analyses}
    a, b = next((x, y) for x in outlet_analyses for y in outlet_analyses
                if x is not y and by_country[x.article_id] & by_country[y.article_id]
                and not by_country[x.article_id] <= by_country[y.article_id])
    table = compare_countries(a, b)
    assert set(table["iso3"]) == by_country[a.article_id] | by_country[b.article_id]
    shared = by_country[a.article_id] & by_country[b.article_id]
    assert set(table["iso3"].iloc[:len(shared)]) == shared  # countries in both first
    only_b = table[~table["iso3"].isin(by_country[a.article_id])]
    assert set(only_b["stance_a"]) == {"not involved"} and set(only_b["statements_a"]) == {0}
    for rec in table.to_dict(orient="records"):
        assert rec["statements_a"] == int((a.statements["speaker_country"] == rec["iso3"]).sum())
        assert rec["statements_b"] == int((b.statements["speaker_country"] == rec["iso3"]).sum())
    assert summary(a)["statements"] == len(a.statements)
    assert country_stance(a)["total"].sum() == int(a.statements["speaker_country"].notna().sum())


def test_actors_quoted_in_both(outlet_analyses) -> None:
    a, copy = outlet_analyses[0], outlet_analyses[-1]  # the undated copy has the same text
    same = compare_actors(a, copy)
    speakers = set(a.statements["speaker"].dropna())
    assert set(same["actor"]) == speakers
    assert (same["stance_a"] == same["stance_b"]).all() and (same["statements_a"] == same["statements_b"]).all()
    other = next(x for x in outlet_analyses[1:-1] if not set(x.statements["speaker"].dropna()) & speakers)
    assert list(compare_actors(a, other).columns) == ["actor", "stance_a", "statements_a", "stance_b", "statements_b"]
    assert len(compare_actors(a, other)) == 0


def test_labels_name_undated_analyses() -> None:
    record = {"article_id": "0123456789abcdef", "title": "T", "published": float("nan")}
    assert analysis_label(record) == "T · undated · 0123456789abcdef"
    assert analysis_label({"article_id": "0123456789abcdef", "title": None, "published": "2026-01-02"}) == \
        "Untitled · 2026-01-02 · 0123456789abcdef"


def test_the_corrections_log_in_words(filled, outlet_analyses) -> None:
    a = outlet_analyses[0]
    person, other = [r for r in a.actors.to_dict(orient="records") if r["kind"] == "person"][:2]
    filled.correct(a.article_id, kind="country", actor_id=person["actor_id"], value="VNM", made_by="ana@x.org")
    filled.correct(a.article_id, kind="merge", actor_id=other["actor_id"], value=person["actor_id"], made_by="local")
    log = correction_log(filled.corrections(a.article_id), filled.load(a.article_id, corrected=False))
    assert list(log["correction"]) == [f"{person['name']}: country set to {country_choices()['VNM']} (VNM)",
                                       f"{other['name']} merged into {person['name']}"]
    assert list(log["made_by"]) == ["ana@x.org", "local"]
    assert pd.to_datetime(log["made_at"]).notna().all()
    assert list(country_choices().values()) == sorted(country_choices().values())
