"""The Analyze page through Streamlit's AppTest: paste and analyse, the summary, share links, bad input."""

from __future__ import annotations

import pytest

from analysis.settings import load_settings
from analysis.store import Store
from tests.conftest import BAD_SHARE_IDS


def _analyse(at, text: str) -> None:
    at.text_area(key="pasted").input(text)
    next(b for b in at.button if b.label == "Analyze").click().run()


def test_renders_without_an_analysis(app_test) -> None:
    at = app_test("analyze")
    assert at.title and "Traceback" not in str(at)
    assert not at.metric


def test_paste_analyse_shows_summary_share_link_and_stores_it(app_test, article_text) -> None:
    at = app_test()
    assert any("Stance Atlas" in t.value for t in at.title)
    _analyse(at, article_text)
    assert not at.exception and not at.error
    article_id = at.query_params["a"]
    assert len(article_id) == 16
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Actors"]) >= 15 and int(metrics["Statements"]) >= 10
    assert any(f"a={article_id}" in c.value for c in at.code)
    top = at.dataframe[0].value
    assert {"Elena Marquez", "Wu Xiaomei", "Daniel Whitford"} <= set(top["name"])  # two statements each
    assert Store.from_settings(load_settings()).exists(article_id)


def test_every_page_shows_the_analysis_after_analysing(app_test, article_text, article_gold) -> None:
    at = app_test()
    _analyse(at, article_text)
    at.switch_page("pages/map.py").run()
    assert not at.exception and not at.error
    assert at.get("plotly_chart")
    countries = at.dataframe[0].value
    assert set(article_gold["countries"]) <= set(countries["code"])
    at.switch_page("pages/stance.py").run()
    assert not at.exception and len(at.get("plotly_chart")) == 3  # stance per actor, per country; sentiment
    profiles = next(df.value for df in at.dataframe if "dominant stance" in df.value.columns)  # profiles per actor
    assert profiles.set_index("name").loc["Ramon Dela Cruz", "dominant stance"] == "outraged"
    at.switch_page("pages/quotes.py").run()
    assert not at.exception
    assert "Daniel Whitford" in set(at.dataframe[0].value["speaker"])
    at.switch_page("pages/actors.py").run()
    assert {"Zhou Minghao", "Kenji Morita"} <= set(at.dataframe[0].value["name"])
    at.switch_page("pages/library.py").run()
    assert len(at.dataframe[0].value) == 1


def test_share_link_opens_the_same_analysis_for_a_new_session(app_test, article_analysis) -> None:
    at = app_test(query={"a": article_analysis.article_id}, store=[article_analysis])
    assert not at.error
    assert {"Elena Marquez", "Wu Xiaomei"} <= set(at.dataframe[0].value["name"])
    at.switch_page("pages/actors.py").run()
    shown = at.dataframe[0].value
    assert sorted(shown["name"]) == sorted(article_analysis.actors["name"])


@pytest.mark.parametrize(("article_id", "message"), BAD_SHARE_IDS)
def test_unknown_or_malformed_share_id_shows_a_message(app_test, article_id, message) -> None:
    at = app_test("analyze", query={"a": article_id})
    assert any(message in e.value for e in at.error)


@pytest.mark.parametrize(("text", "message"), [("", "empty"), ("   \n ", "empty"),
                                                ("x" * 200_001, "limit is 200,000"),
                                                ("Министр заявил в понедельник, что правительство направит "
                                                 "делегацию на переговоры.", "English")])
def test_bad_input_shows_a_message_and_keeps_the_text(app_test, text: str, message: str) -> None:
    at = app_test()
    _analyse(at, text)
    assert not at.exception
    assert any(message in e.value for e in at.error)
    assert not at.metric
    assert at.text_area(key="pasted").value == text


def test_analysing_a_corrected_article_again_keeps_the_corrections(app_test, team_store) -> None:
    manila = next(a for a, _ in team_store if "Manila" in (a.article.title or ""))
    person = next(a for a in manila.statements["speaker_actor_id"].dropna() if a.startswith("person:"))
    at = app_test(store=team_store)
    Store.from_settings(load_settings()).correct(manila.article_id, kind="country", actor_id=person, value="VNM",
                                                 made_by="local")
    at.text_area(key="pasted").input(manila.article.text)
    for label, value in (("Title", manila.article.title), ("Outlet", manila.article.source),
                         ("Date", manila.article.published)):
        next(t for t in at.text_input if t.label.startswith(label)).input(value)
    next(b for b in at.button if b.label == "Analyze").click().run()
    assert not at.exception and not at.error
    assert at.query_params["a"] == manila.article_id
    assert any("already analysed with the same models" in i.value for i in at.info)  # opened, not run again
    at.switch_page("pages/actors.py").run()
    name = manila.actors.set_index("actor_id").loc[person, "name"]
    assert at.dataframe[0].value.set_index("name").loc[name, "country"] == "Vietnam (VNM)"
