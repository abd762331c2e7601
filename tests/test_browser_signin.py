"""The sign-in gate in a real browser: a fresh server whose first visitor opens a page's address or a share link.

Marked `browser`. `streamlit run app.py` with an `[auth]` section in a secrets file of its own (the identity provider
is never contacted: nobody signs in) and a store holding one analysis. Streamlit once ran a page on its own, without
`app.py` and its gate, when a fresh server's first request named that page (its older multipage mode, triggered by a
folder named `pages/`); each test starts its own server so that each address is a first visit.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis import analyze
from analysis.settings import ROOT
from analysis.store import Store
from tests.served import BROWSER_MARKS, streamlit_server

SECRETS = """[auth]
redirect_uri = "http://127.0.0.1:8501/oauth2callback"
cookie_secret = "test-only-cookie-secret"
client_id = "stance-atlas"
client_secret = "not-a-secret"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"
"""

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def stored(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """A store folder with one analysis; returns (folder, id, title)."""
    folder = tmp_path_factory.mktemp("gatestore")
    text = (ROOT / "data" / "samples" / "iaea-board-iran-censure.txt").read_text(encoding="utf-8")
    result = analyze(text, title="Gate test article", source="Wire A", published="2026-06-10")
    store = Store(f"sqlite:///{folder / 'stance_atlas.sqlite'}")
    store.save(result)
    store.dispose()
    return folder, result.article_id, "Gate test article"


@pytest.fixture
def server(stored, tmp_path) -> Iterator[str]:
    """A fresh server (so the test's request is its first) with sign-in on."""
    secrets = tmp_path / "secrets.toml"
    secrets.write_text(SECRETS, encoding="utf-8")
    with streamlit_server(stored[0], "--secrets.files", str(secrets)) as base:
        yield base


@pytest.mark.parametrize("address", ["library", "map?a={id}", "trends", "actors?a={id}"])
def test_first_visit_to_a_page_address_meets_the_sign_in_gate(server, browser, stored, address) -> None:
    _, article_id, title = stored
    page = browser.new_page(viewport={"width": 1400, "height": 1000})
    page.goto(f"{server}/{address.format(id=article_id)}", wait_until="domcontentloaded")
    page.get_by_text("sign in to see its analyses").wait_for(timeout=60_000)
    page.wait_for_timeout(1500)
    assert page.get_by_role("button", name="Sign in").count() == 1
    assert page.locator('[data-testid="stDataFrame"]').count() == 0
    assert page.get_by_text(title).count() == 0 and page.get_by_text(article_id).count() == 0
    nav = page.locator('[data-testid="stSidebarNav"]')
    # no page menu on the sign-in screen (a first visitor's browser may hold the old pages-folder menu: it is hidden)
    assert nav.count() == 0 or not nav.is_visible()
    page.close()
