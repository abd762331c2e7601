"""The dashboard in a real browser: `streamlit run app.py` on a free loopback port, driven by Debian's Chromium.

Marked `browser`. It pastes a sample, waits for the results, visits every page (screenshots go to
`artifacts/screenshots/`), checks that the map draws country shapes, and records every network request to check that
none leaves 127.0.0.1. Locally it skips, with the reason, when /usr/bin/chromium is missing; CI installs it.
"""

from __future__ import annotations

from analysis.settings import ROOT
from tests.served import BROWSER_MARKS, settle

ARTIFACTS = ROOT / "artifacts" / "screenshots"
PAGES = ["map", "stance", "quotes", "actors", "library"]
pytestmark = BROWSER_MARKS


def test_a_deep_link_to_a_fresh_server_goes_through_the_app(server: str, browser) -> None:
    # the first visit after the server starts is a share link to an inner page (this test runs first on its server):
    # it must run app.py (navigation, sign-in gate), not pages/map.py alone as Streamlit's old `pages/` mode would
    page = browser.new_page()
    page.goto(server + "/map?a=0123456789abcdef", wait_until="domcontentloaded")
    page.locator('[data-testid="stSidebarNav"]').get_by_text("Analyze", exact=True).wait_for(timeout=60_000)
    settle(page)
    nav = page.locator('[data-testid="stSidebarNav"]').inner_text()
    assert "Analyze" in nav and "Library" in nav
    assert "ui" not in nav.split() and "app" not in nav.split()
    assert "0123456789abcdef" in page.inner_text("body")  # the unknown id's message, on the Map page
    page.close()


def test_whole_loop_offline_with_screenshots(server: str, browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    requests: list[str] = []
    page = browser.new_page(viewport={"width": 1400, "height": 2000})
    page.on("request", lambda r: requests.append(r.url))

    page.goto(server + "/", wait_until="domcontentloaded")
    page.get_by_text("Article from").wait_for(timeout=60_000)
    page.get_by_role("radio", name="Sample").click() if page.get_by_role("radio", name="Sample").count() else \
        page.get_by_role("button", name="Sample").click()
    page.get_by_text("Sample text").wait_for(timeout=30_000)
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("Share this analysis").wait_for(timeout=120_000)
    settle(page)
    assert "a=" in page.url
    article_id = page.url.split("a=")[1][:16]
    page.screenshot(path=str(ARTIFACTS / "analyze.png"), full_page=True)

    for name in PAGES:
        page.goto(f"{server}/{name}?a={article_id}", wait_until="domcontentloaded")
        page.get_by_role("heading", name=name.capitalize()).first.wait_for(timeout=60_000)
        if name == "map":
            page.locator("path.choroplethlocation").first.wait_for(timeout=60_000)
            page.wait_for_timeout(1500)
            shapes = page.locator("path.choroplethlocation").count()
            assert shapes >= 4, f"only {shapes} country shapes on the map"
            base_paths = page.locator(".geo .layer path, .geo path.countries, .geo .countries path").count()
            assert base_paths > 0, "plotly's base map did not draw (topojson not served?)"
        settle(page)
        assert page.get_by_text("Traceback").count() == 0
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)

    outside = [u for u in requests if not u.startswith(("http://127.0.0.1", "data:", "blob:", "about:"))]
    assert not outside, f"requests left 127.0.0.1: {outside[:5]}"
    assert any("world_110m.json" in u for u in requests), "the base map was not loaded from the app"


def test_share_link_opens_for_a_new_visitor_and_unknown_ids_get_a_message(server: str, browser) -> None:
    page = browser.new_page()
    page.goto(server + "/quotes?a=0123456789abcdef", wait_until="domcontentloaded")
    page.get_by_text("no analysis with id 0123456789abcdef").wait_for(timeout=60_000)
    page.goto(server + "/map?a=not-an-id", wait_until="domcontentloaded")
    page.get_by_text("is not an analysis id").wait_for(timeout=60_000)
    assert page.get_by_text("Traceback").count() == 0


def test_pasted_html_is_shown_as_text_not_run(server: str, browser) -> None:
    page = browser.new_page()
    dialogs: list[str] = []
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.goto(server + "/", wait_until="domcontentloaded")
    page.get_by_label("Article text").fill(
        'Russia said on Monday that the talks with Japan would resume. "<img src=x onerror=alert(1)>", '
        "the spokesperson said. <script>alert(2)</script> Tokyo agreed to the plan on Tuesday."
    )
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("Share this analysis").wait_for(timeout=120_000)
    page.goto(page.url.replace("/?", "/quotes?"), wait_until="domcontentloaded")
    page.get_by_role("heading", name="Article").wait_for(timeout=60_000)
    page.get_by_text("Tokyo agreed to the plan", exact=False).first.wait_for(timeout=60_000)  # the article is drawn
    page.wait_for_timeout(1500)
    assert not dialogs
    assert page.get_by_text("onerror=alert(1)", exact=False).count() >= 1  # shown as text
