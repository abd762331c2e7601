"""Load: 20 browser sessions analyse at once on one `streamlit run` server, and each gets its own result.

Streamlit's AppTest cannot run sessions side by side in threads: every run sets and then clears the process-wide
`Runtime._instance` (and patches global config), so concurrent runs fail with "Runtime hasn't been created!". So
this test starts the real server and opens 20 pages (one browser context each, that is 20 websocket sessions) in one
headless Chromium. Every session pastes one of the four sample articles under a title of its own (so every article id
differs) and all click Analyze within a second; then each must show its own title and id, the actor and statement
counts of its own sample, and the store must hold its analysis, whose top actors are its sample's (as the pipeline
gives them, and named in the sample's gold data). Marked `browser`, like tests/test_browser.py; skipped where
/usr/bin/chromium is missing (CI installs it).
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest

from analysis.dashboard.views import top_actors
from analysis.store import SQLITE_FILE, Store
from tests.conftest import SAMPLES, SHORT_SAMPLE_SLUGS
from tests.served import BROWSER_MARKS, chromium, streamlit_server

SESSIONS = 20

pytestmark = BROWSER_MARKS


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory) -> Iterator[tuple[str, Path]]:
    """A `streamlit run app.py` on a free loopback port with a store of its own: (base URL, store folder)."""
    folder = tmp_path_factory.mktemp("loadstore")
    with streamlit_server(folder) as base:
        yield base, folder


def _metrics(page) -> dict[str, int]:
    """The summary's metrics as label -> number (each metric reads 'label\nvalue')."""
    page.locator('[data-testid="stMetric"]').first.wait_for(timeout=240_000)  # correctness under load, not speed
    out = {}
    for box in page.locator('[data-testid="stMetric"]').all():
        lines = [line.strip() for line in box.inner_text().splitlines() if line.strip()]
        out[lines[0]] = int(lines[-1])
    return out


def test_twenty_simultaneous_sessions_each_get_their_own_result(server, sample_analyses) -> None:
    base, folder = server
    texts = {slug: (SAMPLES / f"{slug}.txt").read_text(encoding="utf-8") for slug in SHORT_SAMPLE_SLUGS}
    sessions = [(slug, f"{slug} · reader {n}") for n in range(SESSIONS // len(SHORT_SAMPLE_SLUGS))
                for slug in SHORT_SAMPLE_SLUGS]
    assert len(sessions) == SESSIONS
    results: dict[str, tuple[str, str]] = {}  # title -> (slug, article id)
    with chromium() as browser:
        pages = []
        for slug, title in sessions:  # every session opens and fills in its form
            page = browser.new_context().new_page()
            page.goto(base + "/", wait_until="domcontentloaded")
            page.get_by_label("Article text").fill(texts[slug], timeout=120_000)
            page.get_by_label("Title (optional)").fill(title)
            pages.append(page)
        for page in pages:  # then all submit at once: the server analyses 20 articles side by side
            page.get_by_role("button", name="Analyze").click()
        for (slug, title), page in zip(sessions, pages, strict=True):
            page.get_by_text("Share this analysis").wait_for(timeout=480_000)  # a slow 2-core machine: no speed test
            page.wait_for_function("() => window.location.search.includes('a=')", timeout=60_000)
            article_id = page.url.split("a=")[1][:16]
            page.get_by_text(f"id {article_id}").first.wait_for(timeout=240_000)
            caption = page.get_by_text(f"id {article_id}").first.inner_text()
            assert caption.startswith(title), (caption, title)
            reference = sample_analyses[slug][0]
            metrics = _metrics(page)
            assert {"Actors", "Statements"} <= set(metrics), metrics
            assert (metrics["Actors"], metrics["Statements"]) == (len(reference.actors), len(reference.statements))
            assert page.get_by_text("Traceback").count() == 0 and page.get_by_text("Not saved").count() == 0
            results[title] = (slug, article_id)

    ids = [aid for _, aid in results.values()]
    assert len(results) == SESSIONS and len(set(ids)) == SESSIONS  # every session has its own analysis id
    store = Store(f"sqlite:///{folder / SQLITE_FILE}")
    assert store.count() == SESSIONS
    for title, (slug, article_id) in results.items():
        reference, gold = sample_analyses[slug]
        stored = store.load(article_id)
        assert stored.article.title == title
        assert stored.article.text == texts[slug]
        top = list(top_actors(stored)["name"])
        assert top == list(top_actors(reference)["name"]), title
        gold_names = {a["name"] for a in gold["actors"]} | {x for a in gold["actors"] for x in a["aliases"]}
        others = set().union(*({a["name"] for a in g["actors"]} for s, (_, g) in sample_analyses.items()
                               if s != slug)) - gold_names
        assert len(set(top) & gold_names) >= len(top) - 2, (title, set(top) - gold_names)
        assert not set(top) & others, (title, set(top) & others)
    store.dispose()
