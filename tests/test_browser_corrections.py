"""A stance correction made in a real browser reaches the Map of a new session opened from the share link, and the
export for training.

Marked `browser` (skipped with the reason where /usr/bin/chromium is missing; CI installs it). The app runs with
`streamlit run app.py` on its own SQLite store; the test reads that store to choose a statement whose country has no
other statement, so that its correction must change the country's colour.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis.settings import ROOT, load_settings
from analysis.store import Store
from tests.served import BROWSER_MARKS, chromium, settle, streamlit_server

pytestmark = BROWSER_MARKS
SAMPLE = ROOT / "data" / "samples" / "philippines-china-shoal-protest.txt"
ARTIFACTS = ROOT / "artifacts" / "screenshots"
#: the plotly traces of the map as (trace name, iso3) pairs: a country's trace is named after its stance
MAP_TRACES = """() => {
  const plot = document.querySelector('.js-plotly-plot');
  if (!plot || !plot.data) return null;
  return plot.data.filter(t => t.type === 'choropleth')
                  .flatMap(t => Array.from(t.locations || []).map(iso => [t.name, iso]));
}"""


@pytest.fixture(scope="module")
def store_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    return tmp_path_factory.mktemp("store")


@pytest.fixture(scope="module")
def server(store_dir: Path) -> Iterator[str]:
    with streamlit_server(store_dir) as base:
        yield base


def _pick(page, label: str, option: str) -> None:
    """Choose `option` in the selectbox labelled `label` (typing filters the options)."""
    box = page.locator('[data-testid="stSelectbox"]').filter(has_text=label).first
    box.click()
    box.locator("input").fill(option)
    page.get_by_role("option").filter(has_text=option).first.click()


def _map_stances(browser, url: str) -> dict[str, str]:
    """iso3 -> stance as the Map of a new session (a new browser context) paints it."""
    context = browser.new_context(viewport={"width": 1300, "height": 1400})
    page = context.new_page()
    page.goto(url, wait_until="domcontentloaded")
    page.locator("path.choroplethlocation").first.wait_for(timeout=60_000)
    settle(page, 1000)
    pairs = page.evaluate(MAP_TRACES)
    context.close()
    return {iso: name for name, iso in pairs}


def test_a_stance_correction_reaches_the_map_of_a_new_session_and_the_export(server, store_dir) -> None:
    with chromium() as browser:
        page = browser.new_page(viewport={"width": 1300, "height": 1800})
        page.goto(server + "/", wait_until="domcontentloaded")
        page.get_by_label("Article text").fill(SAMPLE.read_text(encoding="utf-8"), timeout=60_000)
        page.get_by_role("button", name="Analyze").click()
        page.get_by_text("Share this analysis").wait_for(timeout=120_000)
        page.wait_for_function("() => window.location.search.includes('a=')", timeout=60_000)
        article_id = page.url.split("a=")[1][:16]

        store = Store.from_settings(load_settings({"STANCE_ATLAS_DATA_DIR": str(store_dir)}))
        analysis = store.load(article_id)
        said = analysis.statements.dropna(subset=["speaker_country"])
        alone = said.groupby("speaker_country").filter(lambda g: len(g) == 1)
        assert len(alone), "the sample has no country with a single statement"
        stmt = alone.iloc[0]
        iso3, sid = str(stmt["speaker_country"]), int(stmt["statement_id"])
        new = "threatening" if stmt["stance"] != "threatening" else "supportive"
        before = _map_stances(browser, f"{server}/map?a={article_id}")
        assert before[iso3] == stmt["stance"]

        page.goto(f"{server}/quotes?a={article_id}", wait_until="domcontentloaded")
        page.get_by_text("Correct a statement").wait_for(timeout=60_000)
        settle(page, 1000)
        _pick(page, "Statement", f"#{sid} ·")
        _pick(page, "Stance", new)
        page.get_by_role("button", name="Save the correction").click()
        page.get_by_text("Saved.").wait_for(timeout=60_000)
        settle(page, 1000)
        assert page.get_by_text(f"stance set to {new}").count() >= 1
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "quotes-corrected.png"), full_page=True)

        after = _map_stances(browser, f"{server}/map?a={article_id}")
        assert after[iso3] == new
        assert {k: v for k, v in after.items() if k != iso3} == {k: v for k, v in before.items() if k != iso3}

    env = {**os.environ, "STANCE_ATLAS_DATA_DIR": str(store_dir), "DATABASE_URL": ""}
    done = subprocess.run([sys.executable, "-m", "analysis", "corrections", "export", "--jsonl"], cwd=ROOT, env=env,
                          capture_output=True, text=True, check=True)
    records = [json.loads(line) for line in done.stdout.splitlines()]
    assert [(r["id"], r["label"], r["made_by"]) for r in records] == [(f"{article_id}:{sid}", new, "local")]
    assert records[0]["content"] == stmt["content_text"]
    assert records[0]["text"] in analysis.article.text  # the sentence(s) around it, as the model sees them
