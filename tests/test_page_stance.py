"""The Stance page through Streamlit's AppTest: stance bars, the actor x stance table, profiles, sentiment."""

from __future__ import annotations

from analysis import analyze
from analysis.dashboard.views import STANCE_COLORS


def test_without_an_analysis_or_with_a_bad_share_link(without_analysis) -> None:
    without_analysis("stance")


def test_the_article_in_bars_tables_profiles_and_sentiment(app_test, article_analysis) -> None:
    statements = article_analysis.statements
    at = app_test("stance", query={"a": article_analysis.article_id}, store=[article_analysis])
    assert not at.error
    assert len(at.get("plotly_chart")) == 3  # stance per actor, per country; sentiment
    by_actor = at.dataframe[0].value.set_index("speaker")
    assert by_actor.loc["Philippines", "protesting"] == 2  # Manila's summons and its protest note
    assert by_actor["total"].sum() == int(statements["speaker"].notna().sum())
    unsure = statements[statements["stance_uncertain"].astype(bool)]
    assert by_actor["uncertain"].sum() == int(unsure["speaker"].notna().sum()) > 0
    assert by_actor.loc[unsure["speaker"].dropna().iloc[0], "uncertain"] >= 1
    matrix = at.dataframe[1].value.set_index("speaker")
    assert matrix.loc["Elena Marquez", "China"] == "outraged" and matrix.loc["Daniel Whitford", "United States"] == "—"
    styles = at.dataframe[1].proto.arrow_data.styler.styles
    assert STANCE_COLORS["outraged"].lower() in styles.lower()
    profiles, by_country = at.dataframe[2].value, at.dataframe[3].value  # per actor, then per country
    assert profiles.set_index("name").loc["Ramon Dela Cruz", "dominant stance"] == "outraged"
    assert "Philippines" in set(profiles["name"]) and set(profiles["kind"]) <= {
        "person", "country", "organization", "international", "group", "media"}
    assert "kind" not in by_country.columns and set(by_country["name"]) <= set(article_analysis.countries["name"])
    alone, together = profiles.set_index("name")["statements"], by_country.set_index("name")["statements"]
    both = [n for n in together.index if n in alone.index]  # countries that speak as themselves too ("Manila said")
    assert both and all(together[n] >= alone[n] for n in both)
    assert any(together[n] > alone[n] for n in both)  # the country's actors together, not the state alone
    sentiment = at.dataframe[4].value
    assert list(sentiment["sentiment"]) == sorted(sentiment["sentiment"])
    unattributed = int(statements["speaker"].isna().sum())
    assert any(c.value.startswith("Stance method: ") and f"({unattributed} of {len(statements)})" in c.value
               for c in at.caption)


def test_an_article_without_statements_says_there_is_nothing_to_chart(app_test) -> None:
    quiet = analyze("Japan and France held a meeting in Paris on Monday. The weather in the city was warm.")
    assert not len(quiet.statements)
    at = app_test("stance", query={"a": quiet.article_id}, store=[quiet])
    assert any("no attributed statements" in i.value for i in at.info)
    assert not at.get("plotly_chart") and not at.dataframe
