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


def test_seed_country_view_and_arcs(seed_analysis) -> None:
    view = country_view(seed_analysis).set_index("iso3")
    assert view.loc["KOR", "dominant_stance"] in ("protesting", "threatening")
    assert view.loc["USA", "statements"] >= 3
    assert "Matthew Miller" in view.loc["USA", "actors"]
    lines = arcs(seed_analysis)
    assert {("USA", "RUS"), ("KOR", "RUS")} <= set(zip(lines["from_iso3"], lines["to_iso3"], strict=True))
    assert (lines["from_iso3"] != lines["to_iso3"]).all()


def test_stance_counts_per_actor(seed_analysis) -> None:
    table = stance_counts(seed_analysis.statements, "speaker")
    assert table.loc["Matthew Miller", "concerned"] == 2
    assert list(table.columns[-1:]) == ["total"]
    assert (table["total"] == table.drop(columns="total").sum(axis=1)).all()


def test_map_draws_one_shape_per_country_and_the_arcs(seed_analysis) -> None:
    view = country_view(seed_analysis)
    fig = stance_map(view, arcs(seed_analysis))
    located = [loc for trace in fig.data if trace.type == "choropleth" for loc in trace.locations]
    assert sorted(located) == sorted(view["iso3"])
    shapes = {f["properties"]["iso3"] for f in country_shapes()["features"]}
    assert set(view["iso3"]) <= shapes
    assert any(trace.type == "scattergeo" for trace in fig.data)
    sentiment = stance_map(view, arcs(seed_analysis), color_by="sentiment")
    assert sentiment.data[0].type == "choropleth" and sentiment.data[0].zmin == -1


def test_natural_earth_shapes_have_their_iso_codes_fixed() -> None:
    codes = {f["properties"]["iso3"] for f in country_shapes()["features"]}
    assert {"FRA", "NOR", "XKX"} <= codes
    assert "-99" not in codes


def test_hover_text_is_escaped(seed_analysis) -> None:
    view = country_view(seed_analysis)
    view.loc[0, "main_statement"] = "<script>alert(1)</script>"
    fig = stance_map(view, arcs(seed_analysis))
    text = " ".join(str(row) for trace in fig.data if trace.type == "choropleth" for row in trace.customdata)
    assert "<script>" not in text and "&lt;script&gt;" in text


def test_bars_stack_in_the_fixed_colours(seed_analysis) -> None:
    fig = stance_bars(stance_counts(seed_analysis.statements, "speaker"))
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


def test_statement_parts_and_filters(seed_analysis) -> None:
    statements = seed_analysis.statements
    row = statements[statements["speaker"] == "Vladimir Putin"].iloc[0].to_dict()
    roles = {role for _, _, role in statement_parts(row)}
    assert roles == {"speaker", "cue", "content"}
    assert set(filter_statements(statements, stances=["concerned"])["stance"]) == {"concerned"}
    assert set(filter_statements(statements, search="RECIPROCAL")["speaker"]) == {"Vladimir Putin"}
    assert len(filter_statements(statements, countries=["USA"], kinds=["mixed"])) >= 1
    assert top_statements(seed_analysis, 3)["stance"].iloc[0] != "neutral"


def test_download_tables_join_lists(seed_analysis) -> None:
    flat = for_download(seed_analysis.countries)
    assert isinstance(flat["actors"].iloc[0], str) and "; " in flat.set_index("iso3").loc["RUS", "actors"]


def test_summary_counts_what_the_analyze_page_shows(seed_analysis) -> None:
    facts = summary(seed_analysis)
    assert (facts["actors"], facts["countries"], facts["statements"]) == (
        len(seed_analysis.actors), len(seed_analysis.countries), len(seed_analysis.statements))
    assert facts["with_stance"] == int((seed_analysis.statements["stance"] != "neutral").sum()) > 0
    assert facts["title"] == "Untitled article" and facts["published"] == ""


def test_stance_per_country_is_named_and_counts_every_statement_with_a_country(seed_analysis) -> None:
    table = country_stance(seed_analysis)
    names = dict(zip(seed_analysis.countries["iso3"], seed_analysis.countries["name"], strict=True))
    spoken = seed_analysis.statements["speaker_country"].dropna()
    assert set(table.index) == {names[c] for c in spoken}
    assert table.loc[names["USA"], "total"] == int((spoken == "USA").sum())


def test_stance_methods_and_statements_without_a_speaker(seed_analysis) -> None:
    statements = seed_analysis.statements
    assert stance_methods(statements) == sorted(set(statements["stance_method"].dropna())) != []
    assert set(stance_methods(statements)) <= {"model", "lexicon"}
    assert without_speaker(statements) == int(statements["speaker"].isna().sum())
    assert without_speaker(statements.assign(speaker=None)) == len(statements)


def test_actor_sentiment_is_sorted_and_absent_from_analyses_made_before_the_model(seed_analysis) -> None:
    table = actor_sentiment(seed_analysis)
    assert list(table.columns[:4]) == ["name", "kind", "country", "sentiment_mean"]
    assert list(table["sentiment_mean"]) == sorted(table["sentiment_mean"]) and len(table) == len(seed_analysis.actors)
    older = dataclasses.replace(seed_analysis, actors=seed_analysis.actors.assign(sentiment_mean=pd.NA))
    assert actor_sentiment(older) is None


def test_actor_and_mention_tables_of_the_actors_page(seed_analysis) -> None:
    kinds = actor_kinds(seed_analysis)
    assert kinds == sorted(set(seed_analysis.actors["kind"])) and "person" in kinds
    assert len(actor_table(seed_analysis)) == len(seed_analysis.actors)
    assert "article_id" not in actor_table(seed_analysis).columns
    people = actor_table(seed_analysis, ["person", "country"])
    assert set(people["kind"]) == {"person", "country"}
    assert len(people) == int(seed_analysis.actors["kind"].isin(["person", "country"]).sum())
    mentions = mention_table(seed_analysis)
    assert len(mentions) == len(seed_analysis.mentions) and "article_id" not in mentions.columns


def test_uncertain_stances_are_marked_in_the_statements_the_counts_and_the_map(seed_analysis) -> None:
    statements = seed_analysis.statements
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
    sure = country_view(dataclasses.replace(seed_analysis, statements=none)).set_index("iso3")
    unsure = country_view(dataclasses.replace(seed_analysis, statements=every)).set_index("iso3")
    assert "uncertain" not in sure.loc["USA", "main_statement"]
    assert unsure.loc["USA", "main_statement"].startswith(sure.loc["USA", "main_statement"])
    assert unsure.loc["USA", "main_statement"].endswith("(concerned, uncertain: the model under 0.5)")
    assert sure.loc["PRK", "main_statement"] == unsure.loc["PRK", "main_statement"] == ""


def test_map_stance_toward_one_target(seed_analysis) -> None:
    targets = toward_targets(seed_analysis)
    assert {"RUS": "Russia", "PRK": "North Korea", "UKR": "Ukraine"}.items() <= targets.items()
    assert "Vladimir Putin" in targets and "Russia" not in targets  # the country-actor: the country stands for it
    toward = seed_analysis.countries.set_index("iso3")["stance_toward"]
    for target in targets:
        view = country_view(seed_analysis, toward=target).set_index("iso3")
        expected = {iso3: (t or {}).get(target, "no statement") for iso3, t in toward.items()}
        assert view["dominant_stance"].to_dict() == expected, target
        assert ((view["dominant_stance"] == "no statement") == (view["statements"] == 0)).all()
    ukraine = country_view(seed_analysis, toward="UKR").set_index("iso3")["dominant_stance"]
    # Seoul's "would consider providing arms to Ukraine" is threatening (the codebook's "could provide arms")
    assert (ukraine["RUS"], ukraine["KOR"], ukraine["USA"]) == ("threatening", "threatening", "no statement")
    assert set(arcs(seed_analysis, toward="UKR")["to_iso3"]) == {"UKR"}
    assert set(arcs(seed_analysis, toward="Vladimir Putin")["to_iso3"]) == {"RUS"}
    assert country_view(seed_analysis, toward=None).equals(country_view(seed_analysis))


def test_speaker_by_target_matrix(seed_analysis) -> None:
    matrix = speaker_target_matrix(seed_analysis)
    toward = seed_analysis.actors.set_index("name")["stance_toward"]
    assert {"Matthew Miller", "Vladimir Putin", "South Korea"} <= set(matrix.index)
    assert not set(matrix.columns) & set(seed_analysis.countries["iso3"])  # actors, not country codes
    for who, row in matrix.iterrows():
        assert {t: v for t, v in row.items() if v} == {t: v for t, v in toward[who].items() if t in matrix.columns}
    assert matrix.loc["Matthew Miller", "Russia"] == "concerned"
    assert matrix.loc["Vladimir Putin", "Ukraine"] == "threatening"
    assert matrix.loc["Vladimir Putin", "Russia"] == ""  # his own country is no target
    assert set(matrix.to_numpy().ravel()) <= {"", *STANCE_COLORS}
    assert speaker_target_matrix(dataclasses.replace(
        seed_analysis, actors=seed_analysis.actors.drop(columns=["stance_toward"]))).empty
