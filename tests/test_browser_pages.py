"""What an analyst reads, in a real browser: every page after an analysis, the map's zoom, a run that goes on while
the analyst is elsewhere, and a stored article opened at once.

Marked `browser` (skipped with the reason where /usr/bin/chromium is missing; CI installs it). The article is a short
European story written for this test, so the zoom can be checked against Europe's size.
"""

from __future__ import annotations

import re

from analysis.dashboard.display import is_snake_case
from analysis.settings import ROOT
from tests.served import BROWSER_MARKS, settle

pytestmark = BROWSER_MARKS
ARTIFACTS = ROOT / "artifacts" / "screenshots"
PAGES = ["analyze", "map", "stance", "quotes", "actors", "library", "trends"]
EUROPEAN = (
    "BRUSSELS (Reuters) - Poland's foreign minister said on Monday that Hungary's plan to block the European "
    "Union's new aid package for Ukraine was \"a betrayal of our common security\", as ministers met in Brussels.\n\n"
    "\"We cannot let one capital hold the whole union hostage,\" Polish Foreign Minister Radoslaw Sikorski told "
    "reporters.\n\nHungarian Prime Minister Viktor Orban warned that Budapest would veto any deal that did not "
    "protect its farmers. German Chancellor Olaf Scholz said he was concerned about the delay and urged all sides to "
    "compromise.\n\nFrance's foreign ministry welcomed the talks and said it supported the package."
)
#: the text of every table on the page: glide-data-grid keeps an accessible copy of its headers and visible cells
_TABLE_TEXT = """() => Array.from(document.querySelectorAll(
    '[data-testid="stDataFrame"] [role=columnheader], [data-testid="stDataFrame"] th, '
    + '[data-testid="stDataFrame"] [role=gridcell], [data-testid="stDataFrame"] td')).map(e => e.textContent.trim())"""
_HEADERS = """() => Array.from(document.querySelectorAll(
    '[data-testid="stDataFrame"] [role=columnheader], [data-testid="stDataFrame"] th'))
    .map(e => e.textContent.trim())"""
#: the map's longitude and latitude ranges as plotly drew them
_MAP_RANGES = """() => { const gd = document.querySelector('.js-plotly-plot');
    return [gd._fullLayout.geo.lonaxis.range, gd._fullLayout.geo.lataxis.range]; }"""


def _nav(page, name: str) -> None:
    page.locator('[data-testid="stSidebarNav"]').get_by_text(name, exact=True).click()


def test_a_run_goes_on_while_the_analyst_reads_another_page(server: str, browser) -> None:
    # runs first on its server: the models are still loading, so the analysis takes long enough to leave it
    page = browser.new_page(viewport={"width": 1400, "height": 1800})
    page.goto(server + "/", wait_until="domcontentloaded")
    page.get_by_label("Article text").fill(EUROPEAN)
    page.get_by_label("Title (optional)").fill("Aid package row")
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("Checking the text", exact=False).or_(page.get_by_text("Loading the language models")).or_(
        page.get_by_text("Parsing", exact=False)).first.wait_for(timeout=30_000)
    _nav(page, "Map")  # leave Analyze while it works
    page.get_by_role("heading", name="Map").first.wait_for(timeout=30_000)
    page.get_by_text("this page shows it when it is done").wait_for(timeout=30_000)
    page.locator("path.choroplethlocation").first.wait_for(timeout=240_000)  # the same page, once it is done
    settle(page)
    assert "Aid package row" in page.inner_text("body") and "a=" in page.url
    page.close()


def test_every_page_reads_as_words_and_the_map_zooms_to_europe(server: str, browser) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    page = browser.new_page(viewport={"width": 1400, "height": 2200})
    page.goto(server + "/", wait_until="domcontentloaded")
    page.get_by_label("Article text").fill(EUROPEAN)
    page.get_by_role("button", name="Analyze").click()
    page.get_by_text("Share this analysis").wait_for(timeout=240_000)
    settle(page)
    article_id = page.url.split("a=")[1][:16]
    checked = 0
    for name in PAGES:
        page.goto(f"{server}/{'' if name == 'analyze' else name}?a={article_id}", wait_until="domcontentloaded")
        page.locator('[data-testid="stSidebarNav"]').wait_for(timeout=60_000)
        if name == "map":
            page.locator("path.choroplethlocation").first.wait_for(timeout=60_000)
        settle(page, 2000)
        page.screenshot(path=str(ARTIFACTS / f"pages-{name}.png"), full_page=True)
        body = page.inner_text("body")
        cells = page.evaluate(_TABLE_TEXT)
        headers = page.evaluate(_HEADERS)
        checked += len(cells)
        assert "Traceback" not in body, name
        for text in [body, *cells]:
            found = re.findall(r"\b(None|nan|NaN|<NA>)\b", text)
            assert not found, (name, found, text[:300])
        snake = [h for h in headers if is_snake_case(h)]
        assert not snake, (name, snake)
        if name == "map":
            (lon0, lon1), (lat0, lat1) = page.evaluate(_MAP_RANGES)
            assert lon1 - lon0 < 90 and lat1 - lat0 < 60, ((lon0, lon1), (lat0, lat1))
            assert lon0 > -30 and lon1 < 60  # Europe, not French Guiana
            assert "Poland (POL)" in cells and "Hungary (HUN)" in cells  # the arcs, by name
        if name == "stance":
            assert "Radoslaw Sikorski" in cells
    assert checked > 100  # the tables were read, not skipped


def test_a_stored_article_opens_at_once(server: str, browser) -> None:
    page = browser.new_page(viewport={"width": 1400, "height": 1600})
    for attempt in range(2):  # the same text and title twice: the second time the stored analysis opens
        page.goto(server + "/", wait_until="domcontentloaded")
        page.get_by_label("Article text").fill(EUROPEAN)
        page.get_by_label("Title (optional)").fill("Stored twice")
        page.get_by_role("button", name="Analyze").click()
        page.get_by_text("Share this analysis").wait_for(timeout=240_000)
        settle(page)
        reused = page.get_by_text("already analysed with the same models").count()
        assert reused == attempt, attempt
    assert page.get_by_text("Opened the stored analysis").count() == 1
    page.close()
