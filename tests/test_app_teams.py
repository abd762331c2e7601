"""The sign-in gate through Streamlit's AppTest: on every page and share link, for allowed and refused users.

Sign-in is on when the secrets hold an `[auth]` section (`app_test(auth=True)`); `user` plays the identity provider's
answer. The page-by-page team features (Library filters, Trends, corrections) are in the `test_page_*.py` files.
"""

from __future__ import annotations

import pytest

from analysis.settings import ROOT, load_settings
from analysis.store import Store
from tests.conftest import PAGES, SAVERS


def _shows_nothing_of(at, team_store: list) -> None:
    assert not at.dataframe and not at.get("plotly_chart") and not at.metric
    text = " ".join(str(e.value) for kind in ("markdown", "caption", "code", "info") for e in getattr(at, kind))
    for analysis, _ in team_store:
        assert analysis.article_id not in text and analysis.article.title not in text


@pytest.mark.parametrize("page", PAGES)
def test_with_sign_in_on_every_page_asks_a_signed_out_visitor_to_sign_in(app_test, team_store, page) -> None:
    at = app_test(page, store=team_store, auth=True, user={"is_logged_in": False})
    assert [t.value for t in at.title] == ["Stance Atlas"]
    assert any("sign in to see its analyses" in i.value for i in at.info)
    assert [b.label for b in at.button] == ["Sign in"]
    _shows_nothing_of(at, team_store)


@pytest.mark.parametrize("page", ["analyze", "map", "quotes", "actors"])
def test_a_share_link_needs_sign_in_too(app_test, team_store, page) -> None:
    shared = team_store[0][0]
    # AppTest's default user: an e-mail but not logged in
    at = app_test(page, query={"a": shared.article_id}, store=team_store, auth=True)
    assert any("sign in to see its analyses" in i.value for i in at.info)
    _shows_nothing_of(at, team_store)


def test_a_signed_in_user_outside_the_allowed_viewers_is_refused(app_test, team_store, monkeypatch) -> None:
    monkeypatch.setenv("STANCE_ATLAS_ALLOWED_VIEWERS", "@newsroom.example, editor@partner.example")
    at = app_test(query={"a": team_store[0][0].article_id}, store=team_store, auth=True,
                  user={"is_logged_in": True, "email": "eve@elsewhere.example"})
    assert any("eve@elsewhere.example may not view" in e.value for e in at.error)
    assert [b.label for b in at.button] == ["Sign out"]
    for page in ("pages/map.py", "pages/library.py", "pages/trends.py"):
        at.switch_page(page).run()
        assert any("may not view" in e.value for e in at.error)
        _shows_nothing_of(at, team_store)


@pytest.mark.parametrize("email", ["ana@newsroom.example", "Editor@Partner.example"])
def test_an_allowed_user_sees_the_shared_analysis_and_who_saved_what(app_test, team_store, monkeypatch,
                                                                      email) -> None:
    monkeypatch.setenv("STANCE_ATLAS_ALLOWED_VIEWERS", "@newsroom.example, editor@partner.example")
    shared = team_store[0][0]
    at = app_test(query={"a": shared.article_id}, store=team_store, auth=True,
                  user={"is_logged_in": True, "email": email})
    assert not at.error
    assert any(f"Signed in as {email}" in c.value for c in at.sidebar.caption)
    assert any(f"a={shared.article_id}" in c.value for c in at.code)
    at.switch_page("pages/library.py").run()
    table = at.dataframe[0].value
    assert "saved by" in table.columns
    saved = dict(zip(table["id"], table["saved by"], strict=True))
    assert {saved[a.article_id] for a, _ in team_store if a.article.published} == set(SAVERS)
    assert saved[team_store[-1][0].article_id] == "—"  # saved by nobody


def test_an_analysis_made_while_signed_in_records_who_saved_it(app_test, team_store, monkeypatch) -> None:
    monkeypatch.setenv("STANCE_ATLAS_ALLOWED_VIEWERS", "@newsroom.example")
    text = (ROOT / "data" / "samples" / "venezuela-guyana-essequibo-incursion.txt").read_text(encoding="utf-8")
    at = app_test(store=team_store, auth=True, user={"is_logged_in": True, "email": "ben@newsroom.example"})
    at.text_area(key="pasted").input(text)
    next(b for b in at.button if b.label == "Analyze").click().run()
    assert not at.exception and not at.error
    made = at.query_params["a"]
    row = Store.from_settings(load_settings()).list(search=None).set_index("article_id").loc[made]
    assert row["saved_by"] == "ben@newsroom.example"
