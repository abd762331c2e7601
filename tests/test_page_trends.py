"""The Trends page through Streamlit's AppTest: stance per country over dates, two analyses side by side."""

from __future__ import annotations

import json


def _by_title(team_store: list, word: str):
    return next(a for a, _ in team_store if word in (a.article.title or ""))


def _table_with(at, *columns: str):
    """The first table on the page with these columns (tables without selection carry no key in AppTest)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def _chart(at, key: str = "trend_chart") -> dict:
    chart = next(c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id)
    return json.loads(chart.proto.spec)


def test_renders_without_an_analysis(app_test) -> None:
    at = app_test("trends")
    assert at.title and "Traceback" not in str(at)
    assert any("at least 2 stored analyses" in i.value for i in at.info)


def test_trends_with_too_few_analyses_says_so(app_test, outlet_analyses) -> None:
    at = app_test("trends", store=outlet_analyses[:1])
    assert any("at least 2 stored analyses" in i.value and "has 1" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def test_trends_show_stance_per_country_over_dates(app_test, team_store) -> None:
    stored = [a for a, _ in team_store]
    at = app_test("trends", store=team_store)
    assert not at.exception and not at.error
    assert any("1 of 5 stored analyses have no publication date: they are left out" in c.value for c in at.caption)
    countries = at.multiselect(key="tr_countries")
    assert len(countries.value) == 4
    countries.set_value(["PHL"]).run()
    spec = _chart(at)
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["Philippines"]
    philippines = _by_title(team_store, "Manila")
    dates = {x for trace in spec["data"] for x in (trace["x"] or []) if x}
    assert dates == {philippines.article.published}
    drawn = sum(sum(y for y in trace["y"] if y) for trace in spec["data"])
    assert drawn == int((philippines.statements["speaker_country"] == "PHL").sum())
    assert any("no change over time" in i.value for i in at.info)

    at.multiselect(key="tr_countries").set_value(["CHN"]).run()
    spec = _chart(at)
    china_dates = {a.article.published for a in stored if a.article.published
                   and "CHN" in set(a.statements["speaker_country"].dropna())}
    assert {x for trace in spec["data"] for x in (trace["x"] or []) if x} == china_dates
    at.button_group(key="tr_period").set_value("month").run()
    spec = _chart(at)
    assert {x for trace in spec["data"] for x in (trace["x"] or []) if x} == {d[:7] for d in china_dates}

    at.toggle(key="tr_undated").set_value(True).run()
    assert any("placed on the day they were saved" in c.value for c in at.caption)


def test_trends_compare_two_analyses_side_by_side(app_test, team_store) -> None:
    at = app_test("trends", store=team_store)
    iran, manila = _by_title(team_store, "Iran"), _by_title(team_store, "Manila")
    at.selectbox(key="tr_first").set_value(iran.article_id).run()
    at.selectbox(key="tr_second").set_value(manila.article_id).run()
    assert not at.exception and not at.error
    assert [s.value for s in at.subheader][:2] == ["Analysis A", "Analysis B"]
    titles = [m.value.replace("\\", "") for m in at.markdown]
    assert f"**{iran.article.title}**" in titles and f"**{manila.article.title}**" in titles
    assert any(iran.article_id in c.value and iran.article.source in c.value for c in at.caption)
    metrics = [m.value for m in at.metric]
    assert metrics[:4] == [str(len(iran.actors)), str(len(iran.countries)), str(len(iran.statements)),
                           str(int((iran.statements["stance"] != "neutral").sum()))]
    assert metrics[6] == str(len(manila.statements))
    table = _table_with(at, "code", "stance in A")
    both = set(iran.countries["iso3"]) & set(manila.countries["iso3"])
    assert both and set(table["code"].iloc[:len(both)]) == both
    row = table.set_index("code").loc["PHL"]
    assert row["stance in A"] == "not involved" and row["statements in B"] == int(
        (manila.statements["speaker_country"] == "PHL").sum())
    at.selectbox(key="tr_second").set_value(iran.article_id).run()
    assert any("two different analyses" in w.value for w in at.warning)


def test_an_unreachable_store_is_one_message(app_test, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///file:{tmp_path}/missing/store.sqlite?mode=ro&uri=true")
    at = app_test("trends")
    assert len(at.error) == 1 and "store" in at.error[0].value
