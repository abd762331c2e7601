"""The dashboard through Streamlit's AppTest: every page, the analyse loop, share links, filters, bad input.

The store is pointed at a fresh SQLite file per test (STANCE_ATLAS_DATA_DIR), so tests never share state.
"""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis import analyze
from analysis.settings import ROOT, load_settings
from analysis.store import Store

PAGES = [f"pages/{name}.py" for name in ("analyze", "map", "stance", "quotes", "actors", "library", "trends")]


@pytest.fixture
def store_dir(tmp_path, monkeypatch):
    monkeypatch.setenv("STANCE_ATLAS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    return tmp_path


def new_app(**query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


@pytest.fixture(scope="module")
def seed_stored(seed_text, tmp_path_factory):
    """The seed analysed once and saved into a store folder of its own; returns (folder, analysis)."""
    folder = tmp_path_factory.mktemp("seedstore")
    result = analyze(seed_text)
    Store.from_settings(load_settings(env={"STANCE_ATLAS_DATA_DIR": str(folder)})).save(result)
    return folder, result


@pytest.mark.parametrize("page", PAGES)
def test_every_page_renders_without_an_analysis(store_dir, page) -> None:
    at = new_app()
    at.switch_page(page).run()
    assert not at.exception
    assert at.title and "Traceback" not in str(at)


def test_paste_analyse_shows_summary_share_link_and_stores_it(store_dir, seed_text) -> None:
    at = new_app()
    assert any("Stance Atlas" in t.value for t in at.title)
    at.text_area(key="pasted").input(seed_text)
    at.button[0].click().run()
    assert not at.exception and not at.error
    article_id = at.query_params["a"]
    assert len(article_id) == 16
    metrics = {m.label: m.value for m in at.metric}
    assert int(metrics["Actors"]) >= 15 and int(metrics["Statements"]) >= 5
    assert any(f"a={article_id}" in c.value for c in at.code)
    top = at.dataframe[0].value
    assert {"Vladimir Putin", "Matthew Miller"} <= set(top["name"])
    assert Store.from_settings(load_settings()).exists(article_id)


def test_every_page_shows_the_analysis_after_analysing(store_dir, seed_text) -> None:
    at = new_app()
    at.text_area(key="pasted").input(seed_text)
    at.button[0].click().run()
    at.switch_page("pages/map.py").run()
    assert not at.exception and not at.error
    assert at.get("plotly_chart")
    countries = at.dataframe[0].value
    assert {"RUS", "PRK", "KOR", "USA"} <= set(countries["iso3"])
    at.switch_page("pages/stance.py").run()
    assert not at.exception and len(at.get("plotly_chart")) == 3  # stance per actor, per country; sentiment
    profiles = at.dataframe[1].value
    assert profiles.set_index("who").loc["Georgy Zinoviev", "dominant"] == "outraged"
    at.switch_page("pages/quotes.py").run()
    assert not at.exception
    assert "Matthew Miller" in set(at.dataframe[0].value["speaker"])
    at.switch_page("pages/actors.py").run()
    assert {"Georgy Zinoviev", "Kim Jong-un"} <= set(at.dataframe[0].value["name"])
    at.switch_page("pages/library.py").run()
    assert len(at.dataframe[0].value) == 1


def test_share_link_opens_the_same_analysis_for_a_new_session(seed_stored, monkeypatch) -> None:
    folder, result = seed_stored
    monkeypatch.setenv("STANCE_ATLAS_DATA_DIR", str(folder))
    at = new_app(a=result.article_id)
    assert not at.error
    assert {"Vladimir Putin", "Matthew Miller"} <= set(at.dataframe[0].value["name"])
    at.switch_page("pages/actors.py").run()
    shown = at.dataframe[0].value
    assert sorted(shown["name"]) == sorted(result.actors["name"])


@pytest.mark.parametrize(("article_id", "message"), [("0123456789abcdef", "no analysis with id"),
                                                      ("not-an-id", "is not an analysis id"),
                                                      ("<script>", "is not an analysis id")])
@pytest.mark.parametrize("page", ["pages/analyze.py", "pages/map.py", "pages/quotes.py"])
def test_unknown_or_malformed_share_id_shows_a_message(store_dir, page, article_id, message) -> None:
    at = new_app(a=article_id)
    at.switch_page(page).run()
    assert not at.exception
    assert any(message in e.value for e in at.error)


@pytest.mark.parametrize(("text", "message"), [("", "empty"), ("   \n ", "empty"),
                                                ("x" * 200_001, "limit is 200,000"),
                                                ("Министр заявил в понедельник, что правительство направит "
                                                 "делегацию на переговоры.", "English")])
def test_bad_input_shows_a_message_and_keeps_the_text(store_dir, text: str, message: str) -> None:
    at = new_app()
    at.text_area(key="pasted").input(text)
    at.button[0].click().run()
    assert not at.exception
    assert any(message in e.value for e in at.error)
    assert not at.metric
    assert at.text_area(key="pasted").value == text


def test_quotes_filters_narrow_the_table(seed_stored, monkeypatch) -> None:
    folder, result = seed_stored
    monkeypatch.setenv("STANCE_ATLAS_DATA_DIR", str(folder))
    at = new_app(a=result.article_id)
    at.switch_page("pages/quotes.py").run()
    everything = len(at.dataframe[0].value)
    at.multiselect(key="q_stance").select("concerned").run()
    concerned = at.dataframe[0].value
    assert 0 < len(concerned) < everything
    assert set(concerned["stance"]) == {"concerned"}
    at.multiselect(key="q_stance").unselect("concerned").run()
    at.text_input(key="q_search").input("reciprocal").run()
    assert set(at.dataframe[0].value["speaker"]) == {"Vladimir Putin"}


def test_quotes_highlights_the_chosen_statement_as_escaped_text(seed_stored, monkeypatch) -> None:
    folder, result = seed_stored
    monkeypatch.setenv("STANCE_ATLAS_DATA_DIR", str(folder))
    at = new_app(a=result.article_id)
    at.switch_page("pages/quotes.py").run()
    box = at.selectbox(key="q_highlight")
    putin = next(i for i in box.options if "reciprocal" in i)
    box.select(putin).run()
    article = next(m.value for m in at.markdown if "stance-atlas-article" in m.value)
    assert article.count("<mark") >= 3  # speaker, cue, content
    assert 'title="speaker"' in article and 'title="cue"' in article and 'title="content"' in article


def test_library_opens_and_deletes_an_analysis(seed_text, store_dir) -> None:
    store = Store.from_settings(load_settings())
    result = analyze(seed_text, title="To delete")
    store.save(result)
    at = new_app()
    at.switch_page("pages/library.py").run()
    assert "To delete" in set(at.dataframe[0].value["title"])
    at.selectbox(key="lib_choice").select(result.article_id).run()
    at.button(key="lib_open").click().run()
    assert not at.exception
    assert at.query_params["a"] == result.article_id
    at.switch_page("pages/library.py").run()
    at.button(key="lib_delete").click().run()
    assert not at.exception
    assert not store.exists(result.article_id)
    assert any("No stored analyses" in i.value for i in at.info)
