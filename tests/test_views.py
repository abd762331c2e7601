"""Views and charts of an analysis, without Streamlit: stance tables, map data, arcs, escaped highlights."""

from __future__ import annotations

import dataclasses
import html

import pandas as pd
import pytest

from analysis.dashboard.charts import country_shapes, stance_bars, stance_map
from analysis.dashboard.views import (
    STANCE_COLORS,
    actor_kinds,
    actor_sentiment,
    actor_table,
    arcs,
    country_stance,
    country_view,
    filter_statements,
    for_download,
    highlighted_html,
    mention_table,
    speaker_target_matrix,
    stance_counts,
    stance_methods,
    statement_parts,
    summary,
    top_statements,
    toward_targets,
    uncertain_counts,
    with_uncertain,
    without_speaker,
)
from analysis.labels import dominant_stance


def test_every_stance_has_one_fixed_colour() -> None:
    assert set(STANCE_COLORS) == {"concerned", "outraged", "protesting", "threatening", "supportive", "neutral"}
    assert len(set(STANCE_COLORS.values())) == 6


@pytest.mark.parametrize(
    ("counts", "label"),
    [({"neutral": 3, "outraged": 1}, "outraged"), ({"neutral": 2}, "neutral"),
     ({"neutral": 1, "outraged": 1}, "outraged"),
     ({"concerned": 2, "protesting": 2}, "protesting"), ({}, "neutral")],
)
def test_dominant_stance_of_counted_statements(counts, label) -> None:
    assert (dominant_stance(pd.Series(counts, dtype="int64")) or "neutral") == label


def test_country_view_and_arcs(article_analysis) -> None:
    view = country_view(article_analysis).set_index("iso3")
    assert view.loc["CHN", "dominant_stance"] in ("outraged", "threatening")  # Wu Xiaomei's and Zhou Minghao's
    assert view.loc["PHL", "statements"] >= 5
    assert "Elena Marquez" in view.loc["PHL", "actors"] and "Wu Xiaomei" in view.loc["CHN", "actors"]
    lines = arcs(article_analysis)
    assert {("PHL", "CHN"), ("CHN", "PHL"), ("USA", "CHN"), ("USA", "PHL")} <= set(
        zip(lines["from_iso3"], lines["to_iso3"], strict=True))
    assert (lines["from_iso3"] != lines["to_iso3"]).all()


def test_stance_counts_per_actor(article_analysis) -> None:
    table = stance_counts(article_analysis.statements, "speaker")
    assert table.loc["Philippines", "protesting"] == 2  # Manila's summons and its protest note
    assert list(table.columns[-1:]) == ["total"]
    assert (table["total"] == table.drop(columns="total").sum(axis=1)).all()


def test_map_draws_one_shape_per_country_and_the_arcs(article_analysis) -> None:
    view = country_view(article_analysis)
    fig = stance_map(view, arcs(article_analysis))
    located = [loc for trace in fig.data if trace.type == "choropleth" for loc in trace.locations]
    assert sorted(located) == sorted(view["iso3"])
    shapes = {f["properties"]["iso3"] for f in country_shapes()["features"]}
    assert set(view["iso3"]) <= shapes
    assert any(trace.type == "scattergeo" for trace in fig.data)
    sentiment = stance_map(view, arcs(article_analysis), color_by="sentiment")
    assert sentiment.data[0].type == "choropleth" and sentiment.data[0].zmin == -1


def test_natural_earth_shapes_have_their_iso_codes_fixed() -> None:
    codes = {f["properties"]["iso3"] for f in country_shapes()["features"]}
    assert {"FRA", "NOR", "XKX"} <= codes
    assert "-99" not in codes


def test_hover_text_is_escaped(article_analysis) -> None:
    view = country_view(article_analysis)
    view.loc[0, "main_statement"] = "<script>alert(1)</script>"
    fig = stance_map(view, arcs(article_analysis))
    text = " ".join(str(row) for trace in fig.data if trace.type == "choropleth" for row in trace.customdata)
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_bars_stack_in_the_fixed_colours(article_analysis) -> None:
    fig = stance_bars(stance_counts(article_analysis.statements, "speaker"))
    colours = {trace.name: trace.marker.color for trace in fig.data}
    assert all(colours[label] == STANCE_COLORS[label] for label in colours)
    assert fig.layout.barmode == "stack"


def test_highlight_escapes_every_character_and_marks_the_parts() -> None:
    text = 'He said "<img src=x onerror=alert(1)>" & left.'
    html = highlighted_html(text, [(0, 2, "speaker"), (3, 7, "cue"), (8, 38, "content")])
    assert "<img" not in html and "&lt;img src=x onerror=alert(1)&gt;" in html and "&amp;" in html
    assert html.count("<mark") == 3
    assert 'title="speaker"' in html and 'title="content"' in html


@pytest.mark.parametrize("trap", ["[click](javascript:alert(1))", "![pixel](http://example.com/t.png)", "*bold* $x$",
                                  "<script>alert(1)</script>", "a\n\n<b>after a blank line</b>"])
def test_highlighted_article_text_is_never_markup(trap) -> None:
    text = f"Seoul said. {trap} The end."
    out = highlighted_html(text, [(0, 5, "speaker")])
    body = out[out.index("</mark>") + len("</mark>"):].removesuffix("</div>")
    for char in "<>[]!*$\n":
        assert char not in body, char
    assert html.unescape(body) == text[5:]


def test_statement_parts_and_filters(article_analysis) -> None:
    statements = article_analysis.statements
    row = statements[statements["speaker"] == "Wu Xiaomei"].iloc[0].to_dict()
    roles = {role for _, _, role in statement_parts(row)}
    assert roles == {"speaker", "cue", "content"}
    assert set(filter_statements(statements, stances=["concerned"])["stance"]) == {"concerned"}
    assert set(filter_statements(statements, search="RESOLUTE")["speaker"]) == {"Wu Xiaomei"}
    assert len(filter_statements(statements, countries=["CHN"], kinds=["mixed"])) >= 1
    assert top_statements(article_analysis, 3)["stance"].iloc[0] != "neutral"


def test_download_tables_join_lists(article_analysis) -> None:
    flat = for_download(article_analysis.countries)
    assert isinstance(flat["actors"].iloc[0], str) and "; " in flat.set_index("iso3").loc["PHL", "actors"]


def test_summary_counts_what_the_analyze_page_shows(article_analysis) -> None:
    facts = summary(article_analysis)
    assert (facts["actors"], facts["countries"], facts["statements"]) == (
        len(article_analysis.actors), len(article_analysis.countries), len(article_analysis.statements))
    assert facts["with_stance"] == int((article_analysis.statements["stance"] != "neutral").sum()) > 0
    assert facts["title"] == "Untitled article" and facts["published"] == ""


def test_stance_per_country_is_named_and_counts_every_statement_with_a_country(article_analysis) -> None:
    table = country_stance(article_analysis)
    names = dict(zip(article_analysis.countries["iso3"], article_analysis.countries["name"], strict=True))
    spoken = article_analysis.statements["speaker_country"].dropna()
    assert set(table.index) == {names[c] for c in spoken}
    assert table.loc[names["PHL"], "total"] == int((spoken == "PHL").sum())


def test_stance_methods_and_statements_without_a_speaker(article_analysis) -> None:
    statements = article_analysis.statements
    assert stance_methods(statements) == sorted(set(statements["stance_method"].dropna())) != []
    assert set(stance_methods(statements)) <= {"model", "lexicon"}
    assert without_speaker(statements) == int(statements["speaker"].isna().sum())
    assert without_speaker(statements.assign(speaker=None)) == len(statements)


def test_actor_sentiment_is_sorted_and_absent_from_analyses_made_before_the_model(article_analysis) -> None:
    table = actor_sentiment(article_analysis)
    assert list(table.columns[:4]) == ["name", "kind", "country", "sentiment_mean"]
    assert list(table["sentiment_mean"]) == sorted(table["sentiment_mean"])
    assert len(table) == len(article_analysis.actors)
    older = dataclasses.replace(article_analysis, actors=article_analysis.actors.assign(sentiment_mean=pd.NA))
    assert actor_sentiment(older) is None


def test_actor_and_mention_tables_of_the_actors_page(article_analysis) -> None:
    kinds = actor_kinds(article_analysis)
    assert kinds == sorted(set(article_analysis.actors["kind"])) and "person" in kinds
    assert len(actor_table(article_analysis)) == len(article_analysis.actors)
    assert "article_id" not in actor_table(article_analysis).columns
    people = actor_table(article_analysis, ["person", "country"])
    assert set(people["kind"]) == {"person", "country"}
    assert len(people) == int(article_analysis.actors["kind"].isin(["person", "country"]).sum())
    mentions = mention_table(article_analysis)
    assert len(mentions) == len(article_analysis.mentions) and "article_id" not in mentions.columns


def test_uncertain_stances_are_marked_in_the_statements_the_counts_and_the_map(article_analysis) -> None:
    statements = article_analysis.statements
    marked = with_uncertain(statements)
    columns = list(marked.columns)
    assert columns.index("uncertain") == columns.index("stance") + 1
    assert list(marked["uncertain"] == "uncertain") == [bool(v) for v in statements["stance_uncertain"]]
    assert set(with_uncertain(statements.drop(columns=["stance_uncertain"]))["uncertain"]) == {""}
    every = statements.assign(stance_uncertain=True)
    counts = stance_counts(every, "speaker")
    assert list(uncertain_counts(every, "speaker", counts.index)) == list(counts["total"])
    none = statements.assign(stance_uncertain=False)
    assert set(uncertain_counts(none, "speaker", counts.index)) == {0}
    tokyo = statements["speaker_country"] == "JPN"  # without them Japan is a country with no statement
    sure = country_view(dataclasses.replace(article_analysis, statements=none[~tokyo])).set_index("iso3")
    unsure = country_view(dataclasses.replace(article_analysis, statements=every[~tokyo])).set_index("iso3")
    assert "uncertain" not in sure.loc["CHN", "main_statement"]
    assert unsure.loc["CHN", "main_statement"].startswith(sure.loc["CHN", "main_statement"])
    assert unsure.loc["CHN", "main_statement"].endswith("(threatening, uncertain: the model under 0.5)")
    assert sure.loc["JPN", "main_statement"] == unsure.loc["JPN", "main_statement"] == ""


def test_map_stance_toward_one_target(article_analysis) -> None:
    targets = toward_targets(article_analysis)
    assert {"CHN": "China", "PHL": "Philippines", "USA": "United States"}.items() <= targets.items()
    assert "Zhou Minghao" in targets and "China" not in targets  # the country-actor: the country stands for it
    toward = article_analysis.countries.set_index("iso3")["stance_toward"]
    for target in targets:
        view = country_view(article_analysis, toward=target).set_index("iso3")
        expected = {iso3: (t or {}).get(target, "no statement") for iso3, t in toward.items()}
        assert view["dominant_stance"].to_dict() == expected, target
        assert ((view["dominant_stance"] == "no statement") == (view["statements"] == 0)).all()
    manila = country_view(article_analysis, toward="PHL").set_index("iso3")["dominant_stance"]
    # Beijing's "China will take resolute measures" is threatening; Washington "stands firmly with" its ally;
    # the Philippines' own statements do not name it as a target
    assert (manila["CHN"], manila["USA"], manila["PHL"]) == ("threatening", "supportive", "no statement")
    assert set(arcs(article_analysis, toward="PHL")["to_iso3"]) == {"PHL"}
    assert set(arcs(article_analysis, toward="Zhou Minghao")["to_iso3"]) == {"CHN"}
    assert country_view(article_analysis, toward=None).equals(country_view(article_analysis))


def test_speaker_by_target_matrix(article_analysis) -> None:
    matrix = speaker_target_matrix(article_analysis)
    toward = article_analysis.actors.set_index("name")["stance_toward"]
    assert {"Elena Marquez", "Wu Xiaomei", "Daniel Whitford", "Philippines"} <= set(matrix.index)
    assert not set(matrix.columns) & set(article_analysis.countries["iso3"])  # actors, not country codes
    for who, row in matrix.iterrows():
        assert {t: v for t, v in row.items() if v} == {t: v for t, v in toward[who].items() if t in matrix.columns}
    assert matrix.loc["Elena Marquez", "China"] == "outraged"
    assert (matrix.loc["Daniel Whitford", "Philippines"], matrix.loc["Daniel Whitford", "China"]) == (
        "supportive", "outraged")
    assert matrix.loc["Daniel Whitford", "United States"] == ""  # his own country is no target
    assert set(matrix.to_numpy().ravel()) <= {"", *STANCE_COLORS}
    assert speaker_target_matrix(dataclasses.replace(
        article_analysis, actors=article_analysis.actors.drop(columns=["stance_toward"]))).empty
