"""The team features through Streamlit's AppTest: the sign-in gate, Library filters, Trends, corrections.

Each test points the store at a fresh SQLite file (STANCE_ATLAS_DATA_DIR) holding the sample analyses. Sign-in is on
when the secrets hold an `[auth]` section (`at.secrets`); `at.user` plays the identity provider's answer.
"""

from __future__ import annotations

import datetime as dt
import json

import pandas as pd
import pytest
from streamlit.testing.v1 import AppTest

from analysis.settings import ROOT, load_settings
from analysis.store import Store

PAGES = [f"pages/{name}.py" for name in ("analyze", "map", "stance", "quotes", "actors", "library", "trends")]
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-only-cookie-secret",
        "client_id": "stance-atlas", "client_secret": "not-a-secret",
        "server_metadata_url": "https://login.example.org/.well-known/openid-configuration"}
SAVERS = ("ana@newsroom.example", "ben@newsroom.example")


@pytest.fixture
def stored(tmp_path, monkeypatch, outlet_analyses) -> list:
    """A fresh store holding the five sample analyses, saved by two teammates (the undated one by nobody)."""
    monkeypatch.setenv("STANCE_ATLAS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("STANCE_ATLAS_ALLOWED_VIEWERS", raising=False)
    store = Store.from_settings(load_settings())
    for i, analysis in enumerate(outlet_analyses):
        store.save(analysis, saved_by=SAVERS[i % 2] if analysis.article.published else None)
    store.dispose()
    return outlet_analyses


def _app(*, auth: bool = False, user: dict | None = None, **query: str) -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    if auth:
        at.secrets["auth"] = dict(AUTH)
    if user is not None:
        at.user = user
    for key, value in query.items():
        at.query_params[key] = value
    at.run()
    assert not at.exception, at.exception
    return at


def _by_title(analyses: list, word: str):
    return next(a for a in analyses if word in (a.article.title or ""))


def _shows_nothing_of(at: AppTest, analyses: list) -> None:
    assert not at.dataframe and not at.get("plotly_chart") and not at.metric
    text = " ".join(str(e.value) for kind in ("markdown", "caption", "code", "info") for e in getattr(at, kind))
    for analysis in analyses:
        assert analysis.article_id not in text and analysis.article.title not in text


# ---- the sign-in gate ------------------------------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
def test_with_sign_in_on_every_page_asks_a_signed_out_visitor_to_sign_in(stored, page) -> None:
    at = _app(auth=True, user={"is_logged_in": False})
    at.switch_page(page).run()
    assert not at.exception
    assert [t.value for t in at.title] == ["Stance Atlas"]
    assert any("sign in to see its analyses" in i.value for i in at.info)
    assert [b.label for b in at.button] == ["Sign in"]
    _shows_nothing_of(at, stored)


@pytest.mark.parametrize("page", ["pages/analyze.py", "pages/map.py", "pages/quotes.py",
                                  "pages/actors.py"])
def test_a_share_link_needs_sign_in_too(stored, page) -> None:
    shared = stored[0]
    at = _app(auth=True, a=shared.article_id)  # AppTest's default user: an e-mail but not logged in
    at.switch_page(page).run()
    assert any("sign in to see its analyses" in i.value for i in at.info)
    _shows_nothing_of(at, stored)


def test_a_signed_in_user_outside_the_allowed_viewers_is_refused(stored, monkeypatch) -> None:
    monkeypatch.setenv("STANCE_ATLAS_ALLOWED_VIEWERS", "@newsroom.example, editor@partner.example")
    at = _app(auth=True, user={"is_logged_in": True, "email": "eve@elsewhere.example"}, a=stored[0].article_id)
    assert any("eve@elsewhere.example may not view" in e.value for e in at.error)
    assert [b.label for b in at.button] == ["Sign out"]
    for page in ("pages/map.py", "pages/library.py", "pages/trends.py"):
        at.switch_page(page).run()
        assert any("may not view" in e.value for e in at.error)
        _shows_nothing_of(at, stored)


@pytest.mark.parametrize("email", ["ana@newsroom.example", "Editor@Partner.example"])
def test_an_allowed_user_sees_the_shared_analysis_and_who_saved_what(stored, monkeypatch, email) -> None:
    monkeypatch.setenv("STANCE_ATLAS_ALLOWED_VIEWERS", "@newsroom.example, editor@partner.example")
    shared = stored[0]
    at = _app(auth=True, user={"is_logged_in": True, "email": email}, a=shared.article_id)
    assert not at.error
    assert any(f"Signed in as {email}" in c.value for c in at.sidebar.caption)
    assert any(f"a={shared.article_id}" in c.value for c in at.code)
    at.switch_page("pages/library.py").run()
    table = at.dataframe[0].value
    assert "saved_by" in table.columns
    saved = dict(zip(table["article_id"], table["saved_by"], strict=True))
    assert {saved[a.article_id] for a in stored if a.article.published} == set(SAVERS)
    assert pd.isna(saved[stored[-1].article_id])


def test_without_sign_in_there_is_no_gate_and_no_saved_by_column(stored) -> None:
    at = _app()
    at.switch_page("pages/library.py").run()
    assert not at.info and len(at.dataframe[0].value) == len(stored)
    assert "saved_by" not in at.dataframe[0].value.columns


def test_an_analysis_made_while_signed_in_records_who_saved_it(stored, monkeypatch) -> None:
    monkeypatch.setenv("STANCE_ATLAS_ALLOWED_VIEWERS", "@newsroom.example")
    text = (ROOT / "data" / "samples" / "venezuela-guyana-essequibo-incursion.txt").read_text(encoding="utf-8")
    at = _app(auth=True, user={"is_logged_in": True, "email": "ben@newsroom.example"})
    at.text_area(key="pasted").input(text)
    next(b for b in at.button if b.label == "Analyze").click().run()
    assert not at.exception and not at.error
    made = at.query_params["a"]
    row = Store.from_settings(load_settings()).list(search=None).set_index("article_id").loc[made]
    assert row["saved_by"] == "ben@newsroom.example"


# ---- Library filters -------------------------------------------------------------------------------------------


def _ids(at: AppTest) -> set[str]:
    return set(at.dataframe[0].value["article_id"]) if at.dataframe else set()


def test_library_filters_by_outlet_country_actor_dates_and_search(stored) -> None:
    at = _app()
    at.switch_page("pages/library.py").run()
    assert _ids(at) == {a.article_id for a in stored}
    assert set(at.selectbox(key="lib_source").options) == {"Wire A", "Wire B", "Wire C"}

    at.selectbox(key="lib_source").set_value("Wire A").run()
    assert _ids(at) == {a.article_id for a in stored if a.article.source == "Wire A"}
    assert any(c.value.startswith(f"{len(_ids(at))} of {len(stored)} stored analyses") for c in at.caption)
    at.selectbox(key="lib_source").set_value(None).run()

    iran = _by_title(stored, "Iran")
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
    assert _ids(at) == {_by_title(stored, "Guyana").article_id}
    at.selectbox(key="lib_source").set_value("Wire C").run()
    assert not at.dataframe and any("No stored analysis matches" in i.value for i in at.info)


# ---- Trends ----------------------------------------------------------------------------------------------------


def test_trends_with_too_few_analyses_says_so(tmp_path, monkeypatch, outlet_analyses) -> None:
    monkeypatch.setenv("STANCE_ATLAS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    Store.from_settings(load_settings()).save(outlet_analyses[0])
    at = _app()
    at.switch_page("pages/trends.py").run()
    assert any("at least 2 stored analyses" in i.value and "has 1" in i.value for i in at.info)
    assert not at.get("plotly_chart")


def _chart(at: AppTest, key: str = "trend_chart") -> dict:
    chart = next(c for c in at.get("plotly_chart") if c.proto.id and key in c.proto.id)
    return json.loads(chart.proto.spec)


def test_trends_show_stance_per_country_over_dates(stored) -> None:
    at = _app()
    at.switch_page("pages/trends.py").run()
    assert not at.exception and not at.error
    assert any("1 of 5 stored analyses have no publication date: they are left out" in c.value for c in at.caption)
    countries = at.multiselect(key="tr_countries")
    assert len(countries.value) == 4
    countries.set_value(["PHL"]).run()
    spec = _chart(at)
    assert [a["text"] for a in spec["layout"]["annotations"]] == ["Philippines"]
    philippines = _by_title(stored, "Manila")
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


def test_trends_compare_two_analyses_side_by_side(stored) -> None:
    at = _app()
    at.switch_page("pages/trends.py").run()
    iran, manila = _by_title(stored, "Iran"), _by_title(stored, "Manila")
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
    table = _table_with(at, "iso3", "stance_a")
    both = set(iran.countries["iso3"]) & set(manila.countries["iso3"])
    assert both and set(table["iso3"].iloc[:len(both)]) == both
    row = table.set_index("iso3").loc["PHL"]
    assert row["stance_a"] == "not involved" and row["statements_b"] == int(
        (manila.statements["speaker_country"] == "PHL").sum())
    at.selectbox(key="tr_second").set_value(iran.article_id).run()
    assert any("two different analyses" in w.value for w in at.warning)


# ---- corrections on the Actors page ----------------------------------------------------------------------------


def _table_with(at: AppTest, *columns: str):
    """The first table on the page with these columns (tables without selection carry no key in AppTest)."""
    return next(d.value for d in at.dataframe if set(columns) <= set(d.value.columns))


def _submit(at: AppTest, label: str) -> None:
    next(b for b in at.button if b.label == label).click().run()
    assert not at.exception


def test_fixing_a_country_is_stored_with_who_and_shown_on_every_page(stored) -> None:
    manila = _by_title(stored, "Manila")
    speakers = manila.statements.dropna(subset=["speaker_actor_id"])
    person = next(a for a in speakers["speaker_actor_id"]
                  if a.startswith("person:") and manila.actors.set_index("actor_id").loc[a, "country"] != "VNM")
    name = manila.actors.set_index("actor_id").loc[person, "name"]
    said = int((speakers["speaker_actor_id"] == person).sum())
    at = _app(a=manila.article_id)
    at.switch_page("pages/actors.py").run()
    assert any("No corrections yet" in c.value for c in at.caption)
    at.selectbox(key="fix_actor").set_value(person)
    at.selectbox(key="fix_country_value").set_value("VNM")
    _submit(at, "Save the country")
    assert any(f"{name}: country set to" in s.value for s in at.success)
    actors = at.dataframe[0].value
    assert actors.set_index("name").loc[name, "country"] == "VNM"
    log = _table_with(at, "correction", "made_by")
    assert list(log["made_by"]) == ["local"] and "(VNM)" in log["correction"].iloc[0]

    at.switch_page("pages/map.py").run()  # the map's countries table: the new country, with her statements
    countries = at.dataframe[0].value.set_index("iso3")
    assert countries.loc["VNM", "statements"] == said
    at.switch_page("pages/quotes.py").run()
    quotes = at.dataframe[0].value
    assert set(quotes.loc[quotes["speaker"] == name, "speaker_country"]) == {"VNM"}

    again = _app(a=manila.article_id)  # a teammate opening the share link later
    again.switch_page("pages/map.py").run()
    assert "VNM" in set(again.dataframe[0].value["iso3"])
    store = Store.from_settings(load_settings())
    assert store.load(manila.article_id, corrected=False).actors.set_index("actor_id").loc[person, "country"] != "VNM"
    assert "VNM" in store.list(country="VNM")["countries"].iloc[0]


def test_merging_two_actors_on_the_actors_page(stored, monkeypatch) -> None:
    monkeypatch.setenv("STANCE_ATLAS_ALLOWED_VIEWERS", "@newsroom.example")
    manila = _by_title(stored, "Manila")
    people = [a for a in dict.fromkeys(manila.statements["speaker_actor_id"].dropna()) if a.startswith("person:")]
    source, target = people[0], people[1]
    names = manila.actors.set_index("actor_id")["name"]
    at = _app(auth=True, user={"is_logged_in": True, "email": "ana@newsroom.example"}, a=manila.article_id)
    at.switch_page("pages/actors.py").run()
    at.selectbox(key="merge_source").set_value(source)
    at.selectbox(key="merge_target").set_value(source)
    _submit(at, "Merge")
    assert any("cannot be merged into itself" in e.value for e in at.error)
    at.selectbox(key="merge_target").set_value(target)
    _submit(at, "Merge")
    assert any(f"{names[source]} merged into {names[target]}" in s.value for s in at.success)
    assert at.selectbox(key="merge_source").value is None and at.selectbox(key="merge_target").value is None
    assert source not in at.selectbox(key="merge_source").options
    actors = at.dataframe[0].value
    assert names[source] not in set(actors["name"]) and names[source] in actors.set_index("name").loc[
        names[target], "aliases"]
    log = Store.from_settings(load_settings()).corrections(manila.article_id)
    assert list(log["made_by"]) == ["ana@newsroom.example"] and list(log["kind"]) == ["merge"]
    at.switch_page("pages/quotes.py").run()
    speakers = at.dataframe[0].value["speaker"]
    assert names[source] not in set(speakers)
    assert int((speakers == names[target]).sum()) == int(manila.statements["speaker_actor_id"].isin(
        [source, target]).sum())


def test_a_deleted_analysis_no_longer_opens_from_its_share_link(stored) -> None:
    gone = stored[1]
    viewer = _app(a=gone.article_id)  # cached by the server for every session
    assert not viewer.error
    at = _app()
    at.switch_page("pages/library.py").run()
    at.selectbox(key="lib_choice").set_value(gone.article_id).run()
    at.button(key="lib_delete").click().run()
    assert gone.article_id not in _ids(at)
    later = _app(a=gone.article_id)
    assert any("no analysis with id" in e.value for e in later.error)


def test_analysing_a_corrected_article_again_keeps_the_corrections(stored) -> None:
    manila = _by_title(stored, "Manila")
    person = next(a for a in manila.statements["speaker_actor_id"].dropna() if a.startswith("person:"))
    Store.from_settings(load_settings()).correct(manila.article_id, kind="country", actor_id=person, value="VNM",
                                                 made_by="local")
    at = _app()
    at.text_area(key="pasted").input(manila.article.text)
    for label, value in (("Title", manila.article.title), ("Outlet", manila.article.source),
                         ("Date", manila.article.published)):
        next(t for t in at.text_input if t.label.startswith(label)).input(value)
    next(b for b in at.button if b.label == "Analyze").click().run()
    assert not at.exception and not at.error
    assert at.query_params["a"] == manila.article_id
    at.switch_page("pages/actors.py").run()
    assert at.dataframe[0].value.set_index("actor_id").loc[person, "country"] == "VNM"
