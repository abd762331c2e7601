"""The brief to send: one self-contained HTML file of an analysis (analysis.dashboard.brief), its command and button.

Made from a real analysis of the Arctic shipping sample (six countries, arcs, a fact-check flag). The browser tests
open the file from disk in Debian's Chromium with every request that is not `file:` refused and the context offline,
and check that the map draws: country shapes in their stance colours and plotly's base map.
"""

from __future__ import annotations

import dataclasses
import json
import os
import re
import subprocess
import sys
from html.parser import HTMLParser
from pathlib import Path

import pytest

from analysis.dashboard.brief import brief_html, brief_map, stored_brief
from analysis.dashboard.charts import mainland_box
from analysis.dashboard.views import STANCE_COLORS, country_view, top_statements
from analysis.settings import ROOT, load_settings
from analysis.store import SQLITE_FILE, Store
from tests.served import BROWSER_MARKS, chromium, settle, streamlit_server

SAMPLE = "arctic-shipping-summit-wire"
ARTIFACTS = ROOT / "artifacts" / "screenshots"
LINK = "http://atlas.example:8501/?a="
#: what article text an attacker could paste, one per field the brief shows
INJECTED = {
    "title": '</script><script>alert("title")</script>',
    "source": "<img src=x onerror=alert('source')>",
    "content": '<script>alert("content")</script> & "the rest"',
    "speaker": "<b onmouseover=alert('speaker')>Eve</b>",
    "flag": "<script>alert('flag')</script>",
}


@pytest.fixture(scope="module")
def arctic():
    from analysis import analyze

    gold = json.loads((ROOT / "data" / "samples" / f"{SAMPLE}.gold.json").read_text(encoding="utf-8"))
    text = (ROOT / "data" / "samples" / f"{SAMPLE}.txt").read_text(encoding="utf-8")
    return analyze(text, title=gold["title"], source=gold["source"], published=gold["published"])


@pytest.fixture(scope="module")
def brief(arctic) -> str:
    return brief_html(arctic, share_url=LINK + arctic.article_id)


@pytest.fixture(scope="module")
def injected(arctic):
    """The sample analysis with markup pasted into its title, outlet, top statement, speaker and a flag."""
    art = dataclasses.replace(arctic.article, title=INJECTED["title"], source=INJECTED["source"])
    statements = arctic.statements.copy()
    first = top_statements(arctic, 1).index[0]
    statements.loc[first, "content_text"] = INJECTED["content"]
    statements.loc[first, "speaker"] = INJECTED["speaker"]
    actors = arctic.actors.copy()
    actors.loc[actors["fact_check"].notna(), "fact_check"] = INJECTED["flag"]
    return dataclasses.replace(arctic, article=art, statements=statements, actors=actors)


class _Visible(HTMLParser):
    """The text a reader sees: everything outside <script>, <style> and <head>."""

    def __init__(self) -> None:
        super().__init__()
        self.hidden = 0
        self.parts: list[str] = []

    def handle_starttag(self, tag, attrs) -> None:
        self.hidden += tag in ("script", "style", "head")

    def handle_endtag(self, tag) -> None:
        self.hidden -= tag in ("script", "style", "head")

    def handle_data(self, data) -> None:
        if not self.hidden:
            self.parts.append(data)


def visible_text(page: str) -> str:
    parser = _Visible()
    parser.feed(page)
    return " ".join(" ".join(parser.parts).split())


def _figure_strings(value) -> list[str]:
    if isinstance(value, str):
        return [value]
    if isinstance(value, dict):
        return [s for v in value.values() for s in _figure_strings(v)]
    if isinstance(value, list | tuple):
        return [s for v in value for s in _figure_strings(v)]
    return []


# ---- contents ---------------------------------------------------------------------------------------------------


def test_the_brief_names_the_article_its_link_and_what_the_figures_are(arctic, brief) -> None:
    text = visible_text(brief)
    assert arctic.article.title in text and "Stance Atlas sample" in text and "2026-10-01" in text
    assert f"pipeline {arctic.pipeline_version}" in text and arctic.article_id in text
    assert f"<a href='{LINK}{arctic.article_id}'>{LINK}{arctic.article_id}</a>" in brief
    assert "output of language models" in text
    assert f"<title>{arctic.article.title} · Stance Atlas brief</title>" in brief


def test_the_brief_has_stance_per_country_and_per_actor(arctic, brief) -> None:
    text = visible_text(brief)
    country = text[text.index("Stance per country"):text.index("Stance per actor")]
    for rec in arctic.countries.to_dict(orient="records"):
        assert rec["name"] in country
    for rec in country_view(arctic).to_dict(orient="records"):
        assert f"{rec['name']} {rec['dominant_stance']} {rec['statements']}" in country  # its stance, beside it
    actor = text[text.index("Stance per actor"):text.index("Top statements")]
    for name in ("Ingrid Solheim", "Mads Kjærgaard", "Geneviève Tremblay", "Arkady Lyubimov"):
        assert name in actor
    who = arctic.actors.set_index("name").loc["Geneviève Tremblay"]
    assert f"Geneviève Tremblay person {who['role']} Canada {who['dominant_stance']}" in actor
    for label in ("supportive", "outraged", "concerned", "protesting"):
        assert f"background:{STANCE_COLORS[label]}" in brief


def test_the_brief_lists_the_top_statements_with_speaker_cue_and_stance(arctic, brief) -> None:
    text = visible_text(brief)
    part = text[text.index("Top statements"):text.index("Fact-check flags")]
    top = arctic.statements.loc[top_statements(arctic, 10).index]
    assert f"{len(top)} of {len(arctic.statements)}" in part
    for rec in top.to_dict(orient="records"):
        assert " ".join(rec["content_text"].split()) in part and rec["stance"] in part
        for key in ("speaker", "cue_text"):
            assert (rec[key] if isinstance(rec[key], str) else "—") in part
    assert "Speaker country" in part and "Uncertain" in part and "Decided by" in part


def test_the_brief_shows_the_fact_check_flag_and_no_corrections(brief) -> None:
    text = visible_text(brief)
    flags = text[text.index("Fact-check flags"):text.index("Analysts' corrections")]
    assert "Ingrid Solheim" in flags and "Jonas Gahr Støre" in flags
    assert "No corrections recorded" in text  # not read from a store


def test_no_none_or_nan_anywhere_a_reader_sees(arctic, brief) -> None:
    text = visible_text(brief)
    for word in (r"\bNone\b", r"\bnan\b", r"\bNaN\b", r"\bNaT\b", r"<NA>", r"\bnull\b"):
        assert not re.search(word, text), (word, re.search(f".{{60}}{word}.{{60}}", text))
    assert "—" in text  # what a missing value reads as (actors without a role)
    hover = " ".join(_figure_strings(brief_map(arctic).to_plotly_json()["data"]))
    assert not re.search(r"\b(None|nan|NaN)\b", hover)


def test_article_text_is_escaped_everywhere(injected) -> None:
    page = brief_html(injected, share_url=LINK + injected.article_id)
    assert page.count("<script") == 2  # plotly.js and the map: nothing the article brought
    document = page.partition("<script>")[0]  # all but plotly.js and the map's script (checked below)
    assert not re.search(r"<[^>]*\bon(error|mouseover)\s*=", document)
    assert "<img" not in document and "<b " not in document
    text = visible_text(page)
    for value in INJECTED.values():
        assert value in text, value  # shown as typed
    assert "&lt;/script&gt;&lt;script&gt;alert(&quot;title&quot;)&lt;/script&gt;" in page
    figure = page[page.index("var figure = "):].split("\n", 1)[0]
    assert "<" not in figure and ">" not in figure  # no way out of the script, whatever the text holds
    assert "\\u0026lt;script\\u0026gt;alert(" in figure  # the map's hover text: escaped for plotly, then for JS


def test_the_brief_is_self_contained(brief) -> None:
    size = len(brief.encode("utf-8"))
    assert 4_500_000 < size < 6_000_000, size  # plotly.js (4.8 MB) once, the rest is small
    head, _, scripts = brief.partition("<script>")
    assert scripts.count("* plotly.js v") == 1
    assert 'assets.topojson["world_110m"] = {"type":"Topology"' in brief
    assert "Content-Security-Policy" in head and "default-src 'none'" in head
    for pattern in (r"<link\b", r"<img\b", r"<iframe\b", r"@import", r"url\(", r"\bsrc\s*="):
        assert not re.search(pattern, head), pattern
    assert re.findall(r"href='([^']*)'", head) == [LINK + brief.split(LINK)[1][:16]]


def test_each_country_trace_carries_only_its_own_shapes(arctic) -> None:
    fig = brief_map(arctic)
    areas = [t for t in fig.data if t.type == "choropleth"]
    assert areas and all(len(t.locations) for t in areas)
    for trace in areas:
        assert {f["properties"]["iso3"] for f in trace.geojson["features"]} == set(trace.locations)
    box = mainland_box(list(arctic.countries["iso3"]))  # the app's frame: the main land, or the world for a story
    assert tuple(fig.layout.geo.lonaxis.range) == (box[0] if box else (-180, 180))  # that spans the globe


def test_a_stored_analysis_lists_its_corrections_and_shows_them_applied(tmp_path: Path, arctic) -> None:
    store = Store(f"sqlite:///{tmp_path / 'store.sqlite'}")
    store.save(arctic)
    zorin = arctic.actors.set_index("name").loc["Dmitry Zorin", "actor_id"]
    top = arctic.statements.loc[top_statements(arctic, 1).index[0]]
    first, label = int(top["statement_id"]), "outraged" if top["stance"] == "concerned" else "concerned"
    store.correct(arctic.article_id, kind="country", actor_id=zorin, value="RUS", made_by="ana@newsroom.example")
    store.correct(arctic.article_id, kind="stance", statement_id=first, value=label,
                  made_by="<i>ben</i>@newsroom.example")
    page = stored_brief(store, arctic.article_id, share_url=LINK + arctic.article_id)
    store.dispose()
    text = visible_text(page)
    fixes = text[text.index("Analysts' corrections"):]
    assert "Dmitry Zorin: country set to Russia (RUS) ana@newsroom.example" in fixes
    assert f"stance set to {label}" in fixes and "<i>ben</i>@newsroom.example" in fixes
    assert re.search(r"\d{4}-\d\d-\d\d \d\d:\d\d UTC", fixes)
    actors = text[text.index("Stance per actor"):text.index("Top statements")]
    assert "Dmitry Zorin person ambassador Russia" in actors
    row = re.search(rf"<tr><td class='num'>{first}</td>.*?</tr>", page)
    assert row and f">{label}</span>" in row.group(0) and "<td>analyst</td>" in row.group(0), row


def test_the_command_writes_the_brief_of_a_stored_analysis(tmp_path: Path, arctic, monkeypatch) -> None:
    monkeypatch.setenv("STANCE_ATLAS_DATA_DIR", str(tmp_path))
    monkeypatch.setenv("DATABASE_URL", "")
    store = Store.from_settings(load_settings())
    store.save(arctic)
    store.dispose()
    out = tmp_path / "brief.html"

    def run(*args: str) -> subprocess.CompletedProcess:
        return subprocess.run([sys.executable, "-m", "analysis", "brief", *args], capture_output=True, cwd=ROOT,
                              env=os.environ.copy(), timeout=180)

    proc = run(arctic.article_id, "-o", str(out), "--app-url", "http://atlas.example:8501/")
    assert proc.returncode == 0, proc.stderr.decode()
    assert proc.stdout.decode().startswith(f"wrote {out} (")
    page = out.read_text(encoding="utf-8")
    assert arctic.article.title in page and f"{LINK}{arctic.article_id}" in page
    proc = run("0123456789abcdef", "-o", str(tmp_path / "none.html"))
    assert proc.returncode == 2 and "no analysis with id 0123456789abcdef" in proc.stderr.decode()
    assert "Traceback" not in proc.stderr.decode() and not (tmp_path / "none.html").exists()
    proc = run(str(tmp_path / "missing.txt"))
    assert proc.returncode == 2 and "no such file" in proc.stderr.decode()


def test_the_analyze_page_offers_the_brief_beside_the_json(app_test, arctic) -> None:
    at = app_test(query={"a": arctic.article_id}, store=[arctic])
    labels = [b.label for b in at.download_button]
    assert labels == ["Download the whole analysis (JSON)", "Download brief (HTML)"]


# ---- in a browser, offline --------------------------------------------------------------------------------------


def _in_browser(test):
    """Mark a test as a browser test (skipped, saying why, where Chromium is missing)."""
    for mark in BROWSER_MARKS:
        test = mark(test)
    return test


def _open_offline(browser, path: Path, *, viewport: dict | None = None):
    """Open a file in a fresh context that refuses every request not to `file:`; return (page, context, requests,
    refused, dialogs, errors)."""
    context = browser.new_context(viewport=viewport or {"width": 1280, "height": 900})
    requests: list[str] = []
    refused: list[str] = []
    dialogs: list[str] = []
    errors: list[str] = []

    def only_files(route) -> None:
        if route.request.url.startswith("file:"):
            route.continue_()
        else:
            refused.append(route.request.url)
            route.abort()

    context.route("**/*", only_files)
    context.set_offline(True)
    page = context.new_page()
    page.on("request", lambda r: requests.append(r.url))
    page.on("dialog", lambda d: (dialogs.append(d.message), d.dismiss()))
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.on("console", lambda m: errors.append(m.text) if m.type == "error" else None)
    page.goto(path.as_uri(), wait_until="load")
    page.wait_for_selector("body[data-map]", timeout=60_000)
    return page, context, requests, refused, dialogs, errors


@_in_browser
def test_the_brief_draws_its_map_offline(tmp_path: Path, arctic, brief) -> None:
    path = tmp_path / "brief.html"
    path.write_text(brief, encoding="utf-8")
    with chromium() as browser:
        page, context, requests, refused, dialogs, errors = _open_offline(browser, path)
        assert page.get_attribute("body", "data-map") == "drawn", page.inner_text("#stance-map")
        shapes = page.locator(".geo path.choroplethlocation")
        assert shapes.count() == len(arctic.countries), shapes.count()
        fills = set(shapes.evaluate_all("els => els.map(e => getComputedStyle(e).fill)"))
        expected = {_rgb(STANCE_COLORS[label]) for label in
                    set(arctic.countries["dominant_stance"].dropna()) & set(STANCE_COLORS)}
        assert expected and expected <= fills, (fills, expected)
        land = page.locator(".geo .layer.land path")
        assert land.count() == 1 and len(land.get_attribute("d") or "") > 1000  # the base map's land drew
        assert page.locator(".geo .layer.countries path").count() > 0  # and its country borders
        assert page.locator(".scattergeo path.js-line").count() > 0  # arcs
        assert "Ingrid Solheim" in page.inner_text("body")
        ARTIFACTS.mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(ARTIFACTS / "brief.png"), full_page=True)
        context.close()
    assert requests == [path.as_uri()] and not refused, (requests, refused)
    assert not dialogs and not errors, (dialogs, errors)


@_in_browser
def test_pasted_markup_shows_as_text_and_never_runs(tmp_path: Path, injected) -> None:
    path = tmp_path / "injected.html"
    path.write_text(brief_html(injected, share_url=None), encoding="utf-8")
    with chromium() as browser:
        page, context, requests, refused, dialogs, errors = _open_offline(browser, path)
        assert page.get_attribute("body", "data-map") == "drawn"
        body = page.inner_text("body")
        for value in INJECTED.values():
            assert " ".join(value.split()) in " ".join(body.split()), value
        assert page.title().startswith(INJECTED["title"])
        assert page.locator("main img, main b[onmouseover]").count() == 0
        assert requests == [path.as_uri()]
        hovers = []
        for box in page.locator(".geo path.choroplethlocation").evaluate_all(
                "els => els.map(e => { const b = e.getBoundingClientRect(); return [b.x + b.width / 2, "
                "b.y + b.height / 2]; })"):
            page.mouse.move(*box)
            page.wait_for_timeout(300)
            hovers.append(page.locator(".hoverlayer").text_content() or "")
        assert any(h.strip() for h in hovers), hovers  # the hover labels show (article text in them, as text)
        context.close()
    assert not dialogs and not refused and not errors, (dialogs, refused, errors)


@_in_browser
def test_the_analyze_page_button_downloads_the_brief(tmp_path: Path, arctic) -> None:
    store = Store(f"sqlite:///{tmp_path / SQLITE_FILE}")
    store.save(arctic)
    store.correct(arctic.article_id, kind="country",
                  actor_id=arctic.actors.set_index("name").loc["Dmitry Zorin", "actor_id"], value="RUS",
                  made_by="ana@newsroom.example")
    store.dispose()
    with streamlit_server(tmp_path) as base, chromium() as browser:
        page = browser.new_page()
        page.goto(f"{base}/?a={arctic.article_id}", wait_until="domcontentloaded")
        button = page.get_by_role("button", name="Download brief (HTML)")
        button.wait_for(timeout=90_000)
        settle(page)
        with page.expect_download(timeout=60_000) as info:
            button.click()
        download = info.value
        assert download.suggested_filename == f"stance-atlas-brief-{arctic.article_id}.html"
        saved = tmp_path / "downloaded.html"
        download.save_as(saved)
    page_text = visible_text(saved.read_text(encoding="utf-8"))
    assert arctic.article.title in page_text
    assert re.search(rf"{re.escape(base)}/?\?a={arctic.article_id}", page_text)  # the page's share link
    assert "Dmitry Zorin: country set to Russia (RUS) ana@newsroom.example" in page_text


def _rgb(hex_color: str) -> str:
    r, g, b = (int(hex_color[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgb({r}, {g}, {b})"
