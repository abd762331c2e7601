"""Tables and charts as an analyst reads them: labels, missing values, country names, the map's frame, bar labels,
the command line's summary."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from analysis.dashboard.charts import bar_labels, mainland_box, stance_bars
from analysis.dashboard.display import MISSING, is_snake_case, readable
from analysis.dashboard.views import (
    arcs,
    country_view,
    mention_table,
    stance_counts,
    stance_profile_table,
    top_actors,
    top_statements,
)
from analysis.tools.report import summary

_RAW = re.compile(r"^(None|nan|NaN|<NA>)$")


@pytest.fixture(scope="module")
def analysis(sample_analyses):
    """The sample with the most countries: its tables have missing roles, countries and speakers."""
    return max((a for a, _ in sample_analyses.values()), key=lambda a: len(a.countries))


def _cells(df: pd.DataFrame) -> list[str]:
    return [str(v) for col in df.columns for v in df[col]]


def test_every_table_reads_as_words(analysis) -> None:
    tables = {"actors": analysis.actors, "mentions": mention_table(analysis), "statements": analysis.statements,
              "countries": country_view(analysis), "arcs": arcs(analysis), "top actors": top_actors(analysis),
              "top statements": top_statements(analysis), "profiles": stance_profile_table(analysis)}
    for name, table in tables.items():
        shown = readable(table)
        assert len(shown) == len(table), name
        assert not [c for c in shown.columns if is_snake_case(str(c))], (name, list(shown.columns))
        assert not [v for v in _cells(shown) if _RAW.match(v)], name
        assert len(set(shown.columns)) == len(shown.columns), name  # no two columns under one label
    assert analysis.actors["role"].isna().any()  # there was something missing to show
    shown = readable(analysis.actors, ["name", "role", "country", "aliases"])
    assert MISSING in set(shown["role"])
    iso = analysis.actors["country"].dropna().iloc[0]
    assert any(v.endswith(f"({iso})") and len(v) > 6 for v in shown["country"])  # "Name (ISO)"
    listed = analysis.actors[analysis.actors["aliases"].map(len) > 1].iloc[0]
    assert readable(analysis.actors.loc[[listed.name]], ["aliases"]).iloc[0, 0] == ", ".join(listed["aliases"])


def test_missing_numbers_show_a_dash_and_others_stay_numbers() -> None:
    df = pd.DataFrame({"sentiment_mean": [0.1234, None, -0.0001], "mention_count": pd.array([3, 1, 2], "Int64"),
                       "speaker_country": ["RUS", None, "XXX"]})
    shown = readable(df)
    assert list(shown.columns) == ["sentiment", "mentions", "country"]
    assert list(shown["sentiment"]) == ["0.12", MISSING, "0.0"]  # never "-0.0"
    assert list(shown["mentions"]) == [3, 1, 2]
    assert list(shown["country"]) == ["Russia (RUS)", MISSING, "XXX"]


def test_the_frame_is_the_main_land() -> None:
    (lon0, lon1), (lat0, lat1) = mainland_box(["FRA"])
    assert -12 < lon0 < -4 and 8 < lon1 < 16 and lat0 > 35  # metropolitan France, not French Guiana (-53°)
    (lon0, lon1), (lat0, lat1) = mainland_box(["USA", "MEX"])
    assert lon0 > -135 and lat1 < 60  # the lower 48 and Mexico, not Alaska
    (lon0, lon1), _ = mainland_box(["POL", "HUN", "DEU", "FRA", "UKR"])
    assert lon1 - lon0 < 90
    box = mainland_box(["USA", "KOR", "PRK", "RUS"])  # wraps the globe: world view
    assert box is None
    assert mainland_box(["ZZZ"]) is None


def test_bar_labels_are_short_distinct_and_escaped() -> None:
    long = "Standing Committee on Prevention and Combating Corruption of the Parliament"
    labels = bar_labels([long, long[:40] + " of Somewhere Else", "<b>Kim</b>"])
    assert all(len(v) <= 40 for v in labels[:2]) and labels[0].endswith("…")
    assert len(set(labels)) == 3
    assert labels[2] == "&lt;b&gt;Kim&lt;/b&gt;"
    counts = pd.DataFrame({"concerned": [2, 1], "neutral": [0, 1], "total": [2, 2]}, index=[long, "Seoul"])
    fig = stance_bars(counts, title="Per actor")
    assert long in {v for trace in fig.data for v in trace.customdata}  # the full name, on hover
    assert fig.layout.legend.yanchor == "bottom" and fig.layout.legend.y >= 1  # above the bars, clear of the axis


def test_the_command_line_summary_has_stance_and_whole_statements(analysis) -> None:
    text = summary(analysis)
    longest = max(analysis.statements["content_text"], key=len)
    assert len(longest) > 60
    assert " ".join(longest.split()) in " ".join(text.split())  # not cut at 40 characters
    said = analysis.statements.iloc[0]
    assert f"#{said['statement_id']}" in text and said["stance"] in text
    assert "stance" in text.splitlines()[text.splitlines().index("Countries") + 1]


def test_stance_counts_keep_their_numbers(analysis) -> None:
    counts = stance_counts(analysis.statements, "speaker")
    shown = readable(counts.reset_index())
    assert shown["total"].sum() == counts["total"].sum()
