"""The sign-in gate in a real browser: a fresh server whose first visitor opens a page's address or a share link.

Marked `browser`. `streamlit run app.py` with an `[auth]` section in a secrets file of its own (the identity provider
is never contacted: nobody signs in) and a store holding one analysis. Streamlit once ran a page on its own, without
`app.py` and its gate, when a fresh server's first request named that page (its older multipage mode, triggered by a
folder named `pages/`); each test starts its own server so that each address is a first visit.
"""

from __future__ import annotations

import os
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis import analyze
from analysis.settings import ROOT
from analysis.store import Store

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--headless", "--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run",
                 "--disable-background-networking", "--disable-component-update", "--disable-sync"]
SECRETS = """[auth]
redirect_uri = "http://127.0.0.1:8501/oauth2callback"
cookie_secret = "test-only-cookie-secret"
client_id = "stance-atlas"
client_secret = "not-a-secret"
server_metadata_url = "http://127.0.0.1:9/.well-known/openid-configuration"
"""

pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not CHROMIUM.exists() and not os.environ.get("CI"),
                       reason="Chromium not installed (apt-get install chromium); CI installs it"),
]


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
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    env = {**os.environ, "STANCE_ATLAS_DATA_DIR": str(stored[0]), "DATABASE_URL": ""}
    proc = subprocess.Popen(
        [sys.executable, "-m", "streamlit", "run", "app.py", "--server.port", str(port), "--server.address",
         "127.0.0.1", "--server.headless", "true", "--secrets.files", str(secrets)],
        cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.STDOUT,
    )
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{base}/_stcore/health", timeout=2) as resp:
                if resp.read() == b"ok":
                    break
        except OSError:
            time.sleep(0.3)
    else:
        proc.kill()
        pytest.fail(f"streamlit did not start: {proc.stdout.read().decode()[-2000:]}")
    yield base
    proc.terminate()
    proc.wait(timeout=20)


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        yield b
        b.close()


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
