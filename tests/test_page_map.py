"""The Map page through Streamlit's AppTest: the countries coloured by stance or sentiment, the arcs, share links."""

from __future__ import annotations

import json


def _figure(at) -> dict:
    return json.loads(at.get("plotly_chart")[0].proto.spec)


def test_without_an_analysis_or_with_a_bad_share_link(without_analysis) -> None:
    without_analysis("map")


def test_the_article_by_stance_and_by_sentiment_with_its_arcs(app_test, article_analysis) -> None:
    at = app_test("map", query={"a": article_analysis.article_id}, store=[article_analysis])
    assert not at.error
    countries = at.dataframe[0].value
    assert list(countries.columns) == ["name", "code", "dominant stance", "statements", "actors", "main statement",
                                       "sentiment"]
    assert set(countries["code"]) == set(article_analysis.countries["iso3"])
    by_stance = [t for t in _figure(at)["data"] if t["type"] == "choropleth"]
    assert {iso3 for t in by_stance for iso3 in t["locations"]} == set(countries["code"])
    assert {t["name"] for t in by_stance if t["locations"]} == set(countries["dominant stance"])
    arcs = at.dataframe[1].value
    assert {("Philippines (PHL)", "China (CHN)"), ("China (CHN)", "Philippines (PHL)"),
            ("United States (USA)", "China (CHN)"), ("United States (USA)", "Philippines (PHL)")} <= set(
        zip(arcs["from"], arcs["to"], strict=True))
    at.button_group(key="map_mode").set_value("sentiment").run()
    by_sentiment = [t for t in _figure(at)["data"] if t["type"] == "choropleth"]
    assert len(by_sentiment) == 1 and by_sentiment[0]["zmin"] == -1
    assert set(by_sentiment[0]["locations"]) == set(countries["code"])
    assert any("how the article portrays" in c.value for c in at.caption)  # the caption speaks of sentiment


def test_the_article_coloured_by_stance_toward_one_target(app_test, article_analysis) -> None:
    at = app_test("map", query={"a": article_analysis.article_id}, store=[article_analysis])
    box = at.selectbox(key="map_toward")
    assert box.options[0] == "all" and {"China", "Philippines", "United States", "Zhou Minghao"} <= set(box.options)
    box.select("PHL").run()
    assert not at.error
    countries = at.dataframe[0].value.set_index("code")
    # Beijing's "China will take resolute measures"; Manila's own statements do not name the Philippines
    assert (countries.loc["CHN", "dominant stance"], countries.loc["PHL", "dominant stance"]) == (
        "threatening", "no statement")
    by_stance = {t["name"]: set(t["locations"]) for t in _figure(at)["data"] if t["type"] == "choropleth"}
    assert "CHN" in by_stance["threatening"] and "PHL" in by_stance["no statement"]
    assert set(at.dataframe[1].value["to"]) == {"Philippines (PHL)"}
    assert any("stance toward Philippines" in c.value for c in at.caption)
