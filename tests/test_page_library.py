"""The Library page through Streamlit's AppTest: stored analyses, their filters, open and delete, a broken store."""

from __future__ import annotations

import datetime as dt

from analysis import analyze
from analysis.settings import load_settings
from analysis.store import Store


def _ids(at) -> set[str]:
    return set(at.dataframe[0].value["id"]) if at.dataframe else set()


def _by_title(team_store: list, word: str):
    return next(a for a, _ in team_store if word in (a.article.title or ""))


def test_renders_without_an_analysis(app_test) -> None:
    at = app_test("library")
    assert at.title and "Traceback" not in str(at)
    assert any("No stored analyses" in i.value for i in at.info) and not at.dataframe


def test_library_opens_and_deletes_an_analysis(app_test, article_text) -> None:
    result = analyze(article_text, title="To delete")
    at = app_test("library", store=[result])
    store = Store.from_settings(load_settings())
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


def test_without_sign_in_there_is_no_gate_and_no_saved_by_column(app_test, team_store) -> None:
    at = app_test("library", store=team_store)
    assert not at.info and len(at.dataframe[0].value) == len(team_store)
    assert "saved by" not in at.dataframe[0].value.columns


def test_library_filters_by_outlet_country_actor_dates_and_search(app_test, team_store) -> None:
    stored = [a for a, _ in team_store]
    at = app_test("library", store=team_store)
    assert _ids(at) == {a.article_id for a in stored}
    assert set(at.selectbox(key="lib_source").options) == {"Wire A", "Wire B", "Wire C"}

    at.selectbox(key="lib_source").set_value("Wire A").run()
    assert _ids(at) == {a.article_id for a in stored if a.article.source == "Wire A"}
    assert any(c.value.startswith(f"{len(_ids(at))} of {len(stored)} stored analyses") for c in at.caption)
    at.selectbox(key="lib_source").set_value(None).run()

    iran = _by_title(team_store, "Iran")
    at.selectbox(key="lib_country").set_value("IRN").run()
    assert _ids(at) == {iran.article_id}
    at.selectbox(key="lib_country").set_value(None).run()

    speaker = iran.statements["speaker"].dropna().iloc[0]
    assert speaker in at.selectbox(key="lib_actor").options
    at.selectbox(key="lib_actor").set_value(speaker).run()
    assert _ids(at) == {a.article_id for a in stored if speaker in set(a.actors["name"])}
    at.selectbox(key="lib_actor").set_value(None).run()

    at.date_input(key="lib_from").set_value(dt.date(2026, 6, 1)).run()
    at.date_input(key="lib_to").set_value(dt.date(2026, 9, 30)).run()
    assert _ids(at) == {a.article_id for a in stored if a.article.published
                        and "2026-06-01" <= a.article.published <= "2026-09-30"}
    assert any("Undated analyses are left out" in c.value for c in at.caption)
    at.date_input(key="lib_from").set_value(None).run()
    at.date_input(key="lib_to").set_value(None).run()

    at.text_input(key="lib_search").input("guyana").run()
    assert _ids(at) == {_by_title(team_store, "Guyana").article_id}
    at.selectbox(key="lib_source").set_value("Wire C").run()
    assert not at.dataframe and any("No stored analysis matches" in i.value for i in at.info)


def test_a_deleted_analysis_no_longer_opens_from_its_share_link(app_test, team_store) -> None:
    gone = team_store[1][0]
    viewer = app_test(query={"a": gone.article_id}, store=team_store)  # cached by the server for every session
    assert not viewer.error
    at = app_test("library")
    at.selectbox(key="lib_choice").set_value(gone.article_id).run()
    at.button(key="lib_delete").click().run()
    assert gone.article_id not in _ids(at)
    later = app_test(query={"a": gone.article_id})
    assert any("no analysis with id" in e.value for e in later.error)


def test_an_unreachable_store_is_one_message(app_test, tmp_path, monkeypatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///file:{tmp_path}/missing/store.sqlite?mode=ro&uri=true")
    at = app_test("library")
    assert len(at.error) == 1 and "store" in at.error[0].value
