"""Plotly figures of an analysis: the world map with stance arcs, and stance bars. No Streamlit here.

The map draws offline: country shapes come from `data/geo/countries_110m.geojson` (Natural Earth 110m, public
domain) and plotly's base map from the app's own `static/world_110m.json` (the page passes `topojsonURL`).
"""

from __future__ import annotations

import html
import json
from functools import lru_cache
from itertools import pairwise
from typing import Any

import pandas as pd
import plotly.graph_objects as go
from plotly.subplots import make_subplots

from analysis.dashboard.display import shorten
from analysis.dashboard.views import STANCE_COLORS
from analysis.labels import STANCE_LABELS
from analysis.settings import ROOT

GEOJSON_PATH = ROOT / "data" / "geo" / "countries_110m.geojson"
#: where the app serves plotly's base map (Streamlit static serving); pass as `config={"topojsonURL": ...}`
TOPOJSON_URL = "app/static/"
_NO_STATEMENT = "#C9D6E3"
_ARC_POINTS = 24
#: negative red through grey to positive green, for every sentiment colour in the app
SENTIMENT_SCALE = [[0, "#C62828"], [0.5, "#EEEEEE"], [1, "#2E7D32"]]


@lru_cache(maxsize=1)
def country_shapes() -> dict[str, Any]:
    """The country polygons (GeoJSON FeatureCollection; `properties.iso3` is the ISO alpha-3 code)."""
    with open(GEOJSON_PATH, encoding="utf-8") as fh:
        return json.load(fh)


def _geo_layout(fig: go.Figure, height: int) -> go.Figure:
    fig.update_geos(projection_type="natural earth", showcountries=True, countrycolor="#B0B7C3",
                    showcoastlines=False, showland=True, landcolor="#F4F6F8", showocean=True, oceancolor="#FFFFFF",
                    showframe=False, projection_rotation_lon=0, lonaxis_range=[-180, 180], lataxis_range=[-58, 85])
    fig.update_layout(height=height, margin={"l": 0, "r": 0, "t": 10, "b": 0},
                      legend={"orientation": "h", "y": -0.02, "x": 0, "title": {"text": ""}})
    return fig


def stance_map(countries: pd.DataFrame, arc_rows: pd.DataFrame, *, color_by: str = "stance",
               height: int = 560, fit: bool = False) -> go.Figure:
    """World map of the countries involved, coloured by dominant stance (or sentiment), with stance arcs.

    Args:
        countries: `analysis.dashboard.views.country_view` rows.
        arc_rows: `analysis.dashboard.views.arcs` rows.
        color_by: "stance" (categorical, fixed colours) or "sentiment" (negative red to positive green).
        height: figure height in pixels.
        fit: zoom to the countries involved instead of the whole world.
    """
    fig = go.Figure()
    shapes = country_shapes()
    hover = ("<b>%{customdata[0]}</b><br>stance: %{customdata[1]}<br>%{customdata[3]} statements<br>"
             "actors: %{customdata[2]}<br>%{customdata[4]}<extra></extra>")
    custom = countries[["name", "dominant_stance", "actors", "statements", "main_statement"]].copy()
    custom["actors"] = custom["actors"].map(lambda s: _wrap(s, 70))
    custom["main_statement"] = custom["main_statement"].map(lambda s: _wrap(s, 70))
    if color_by == "sentiment":
        fig.add_trace(go.Choropleth(
            geojson=shapes, featureidkey="properties.iso3", locations=countries["iso3"],
            z=countries["sentiment"].fillna(0.0), zmin=-1, zmax=1,
            colorscale=SENTIMENT_SCALE,
            colorbar={"title": {"text": "sentiment"}, "len": 0.6}, customdata=custom.values, hovertemplate=hover,
            marker_line_color="#FFFFFF", marker_line_width=0.6, name="sentiment",
        ))
    else:
        for label in [*STANCE_LABELS, "no statement"]:
            part = countries[countries["dominant_stance"] == label]
            color = STANCE_COLORS.get(label, _NO_STATEMENT)
            fig.add_trace(go.Choropleth(
                geojson=shapes, featureidkey="properties.iso3", locations=part["iso3"],
                z=[1] * len(part), colorscale=[[0, color], [1, color]], showscale=False,
                customdata=custom.loc[part.index].values, hovertemplate=hover, name=label,
                showlegend=True, marker_line_color="#FFFFFF", marker_line_width=0.6, visible=True,
                legendgroup=label,
            ))
    areas = set(countries["dominant_stance"]) if color_by != "sentiment" else set()
    shown: set[str] = set()
    for rec in arc_rows.to_dict(orient="records"):
        label = rec["stance"]
        lons, lats = arc_path(rec["from_lon"], rec["from_lat"], rec["to_lon"], rec["to_lat"])
        fig.add_trace(go.Scattergeo(
            lon=lons, lat=lats, mode="lines",
            line={"width": 1.5 + min(4, rec["count"]), "color": STANCE_COLORS.get(label, "#666")}, opacity=0.85,
            name=label, legendgroup=label, showlegend=label not in shown and label not in areas,
            hovertext=f"{rec['from_iso3']} → {rec['to_iso3']}: {label} ×{rec['count']}<br>{_wrap(rec['example'], 70)}",
            hoverinfo="text",
        ))
        fig.add_trace(go.Scattergeo(  # an arrow head at the target
            lon=[lons[-1]], lat=[lats[-1]], mode="markers", showlegend=False, legendgroup=label, hoverinfo="skip",
            marker={"size": 9, "symbol": "circle", "color": STANCE_COLORS.get(label, "#666"),
                    "line": {"color": "white", "width": 1}},
        ))
        shown.add(label)
    fig = _geo_layout(fig, height)
    box = mainland_box(list(countries["iso3"])) if fit else None
    if box is not None:
        (lon0, lon1), (lat0, lat1) = box
        fig.update_geos(projection_type="mercator", projection_rotation_lon=(lon0 + lon1) / 2,
                        lonaxis_range=[lon0, lon1], lataxis_range=[lat0, lat1])
    return fig


#: the least span a fitted map shows, in degrees (one small country is not drawn across the whole map)
_MIN_SPAN = (24.0, 14.0)
#: the margin around the fitted countries, as a share of their span
_PAD = 0.12


def mainland_box(iso3s: list[str]) -> tuple[tuple[float, float], tuple[float, float]] | None:
    """The longitude and latitude ranges that frame these countries' main land: each country's largest polygon (not
    French Guiana for France, not Alaska for the United States), with a margin; None when there is nothing to frame
    or the frame would wrap round the globe (a world view is better then)."""
    features = {f["properties"]["iso3"]: f for f in country_shapes()["features"]}
    lons: list[float] = []
    lats: list[float] = []
    for code in iso3s:
        feature = features.get(code)
        if feature is None:
            continue
        ring = _largest_ring(feature["geometry"])
        lons += [p[0] for p in ring]
        lats += [p[1] for p in ring]
    if not lons:
        return None
    lon0, lon1, lat0, lat1 = min(lons), max(lons), min(lats), max(lats)
    if lon1 - lon0 > 200:
        return None
    pad_lon = max((lon1 - lon0) * _PAD, (_MIN_SPAN[0] - (lon1 - lon0)) / 2, 1.0)
    pad_lat = max((lat1 - lat0) * _PAD, (_MIN_SPAN[1] - (lat1 - lat0)) / 2, 1.0)
    return ((max(-180.0, lon0 - pad_lon), min(180.0, lon1 + pad_lon)),
            (max(-80.0, lat0 - pad_lat), min(84.0, lat1 + pad_lat)))


def _largest_ring(geometry: dict[str, Any]) -> list[list[float]]:
    """The outer ring of a (Multi)Polygon's largest part, by its area in square degrees."""
    polygons = geometry["coordinates"] if geometry["type"] == "MultiPolygon" else [geometry["coordinates"]]
    return max((poly[0] for poly in polygons), key=lambda ring: abs(_ring_area(ring)))


def _ring_area(ring: list[list[float]]) -> float:
    return sum(x0 * y1 - x1 * y0 for (x0, y0, *_), (x1, y1, *_) in pairwise(ring)) / 2


def arc_path(lon1: float, lat1: float, lon2: float, lat2: float) -> tuple[list[float], list[float]]:
    """Points of a gentle curve from one place to another, drawn across the map rather than over a pole."""
    dlon, dlat = lon2 - lon1, lat2 - lat1
    bulge = 0.18
    cx, cy = (lon1 + lon2) / 2 - dlat * bulge, (lat1 + lat2) / 2 + dlon * bulge
    cy = max(-80.0, min(80.0, cy))
    lons, lats = [], []
    for i in range(_ARC_POINTS + 1):
        t = i / _ARC_POINTS
        lons.append((1 - t) ** 2 * lon1 + 2 * (1 - t) * t * cx + t**2 * lon2)
        lats.append((1 - t) ** 2 * lat1 + 2 * (1 - t) * t * cy + t**2 * lat2)
    return lons, lats


#: the longest actor or country name a bar chart writes out; a longer one is cut, with the full name on hover
BAR_LABEL_CHARS = 32


def bar_labels(names: list[str], n: int = BAR_LABEL_CHARS) -> list[str]:
    """Axis labels for these names: each cut to `n` characters with "…", kept distinct (a chart would merge two
    equal labels into one bar), escaped (plotly reads a little HTML in labels)."""
    out: list[str] = []
    for name in names:
        short = shorten(name, n)
        while short in out:
            short += "\u200b"  # an invisible difference keeps two bars apart
        out.append(short)
    return [html.escape(s) for s in out]


def stance_bars(counts: pd.DataFrame, *, title: str = "", height: int | None = None) -> go.Figure:
    """Stacked horizontal bars: one bar per row of `analysis.dashboard.views.stance_counts`, one colour per stance.

    Long names are cut on the axis (full name on hover); the legend sits above the bars, clear of the axis title.
    """
    counts = counts.head(25)
    names = [str(i) for i in counts.index][::-1]
    labels = bar_labels(names)
    full = [html.escape(n) for n in names]
    fig = go.Figure()
    for stance in STANCE_LABELS:
        if stance not in counts.columns:
            continue
        fig.add_trace(go.Bar(y=labels, x=counts[stance].tolist()[::-1], name=stance, orientation="h",
                             marker_color=STANCE_COLORS[stance], customdata=full,
                             hovertemplate=f"%{{customdata}}: %{{x}} {stance}<extra></extra>"))
    top = 78 if title else 48
    fig.update_layout(barmode="stack", height=height or max(280, top + 60 + 28 * len(labels)),
                      title={"text": title, "y": 1.0, "yref": "container", "yanchor": "top", "pad": {"t": 8}},
                      margin={"l": 10, "r": 10, "t": top, "b": 10},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0, "x": 0, "traceorder": "normal"},
                      xaxis={"title": {"text": "statements"}, "dtick": 1 if counts["total"].max() <= 10 else None})
    return fig


def stance_trend_chart(trend: pd.DataFrame, names: dict[str, str], *, share: bool = False) -> go.Figure:
    """Stacked stance bars over time, one small chart per country (rows of `analysis.dashboard.trends.stance_trend`).

    Args:
        trend: period, iso3, stance, value.
        names: ISO code -> country name, for the chart titles.
        share: the values are shares (0 to 1): label the axis in percent.
    """
    countries = list(dict.fromkeys(trend["iso3"]))
    periods = sorted(set(trend["period"]))
    fig = make_subplots(rows=max(1, len(countries)), cols=1, shared_xaxes=True,
                        vertical_spacing=min(0.12, 0.45 / max(1, len(countries))),
                        subplot_titles=[names.get(c, c) for c in countries] or None)
    for row, iso3 in enumerate(countries, start=1):
        mine = trend[trend["iso3"] == iso3]
        for stance in STANCE_LABELS:
            part = mine[mine["stance"] == stance]
            if not len(part):
                continue
            fig.add_trace(go.Bar(
                x=part["period"].tolist(), y=part["value"].tolist(), name=stance, marker_color=STANCE_COLORS[stance],
                legendgroup=stance, showlegend=False,
                hovertemplate=f"{html.escape(names.get(iso3, iso3))} · %{{x}}<br>{stance}: "
                              + ("%{y:.0%}" if share else "%{y} statements") + "<extra></extra>",
            ), row=row, col=1)
    for stance in STANCE_LABELS:  # one legend entry per stance present, in the app's order
        if stance in set(trend["stance"]):
            fig.add_trace(go.Bar(x=[None], y=[None], name=stance, marker_color=STANCE_COLORS[stance],
                                 legendgroup=stance, showlegend=True, hoverinfo="skip"), row=1, col=1)
    fig.update_xaxes(type="category", categoryorder="array", categoryarray=periods, showticklabels=True)
    fig.update_yaxes(tickformat=".0%" if share else None, rangemode="tozero", title_text="")
    if not share:  # whole statements: no 0.5 ticks on small counts
        for row, iso3 in enumerate(countries, start=1):
            most = trend[trend["iso3"] == iso3].groupby("period")["value"].sum().max()
            fig.update_yaxes(dtick=1 if most <= 6 else None, row=row, col=1)
    height = 130 + 200 * max(1, len(countries))
    fig.update_layout(barmode="stack", height=height, bargap=0.35, margin={"l": 10, "r": 10, "t": 50, "b": 10},
                      legend={"orientation": "h", "yanchor": "bottom", "y": 1.0 + 36 / height, "x": 0,
                              "traceorder": "normal"})
    return fig


def sentiment_bars(actors: pd.DataFrame, *, limit: int = 25) -> go.Figure:
    """Horizontal diverging bars: each actor's mean sentiment (negative red to positive green), most mentioned first."""
    rows = actors.dropna(subset=["sentiment_mean"]).sort_values("mention_count", ascending=False).head(limit)
    rows = rows.sort_values("sentiment_mean")
    counts = (rows["sentiment_negative"].astype(int).astype(str) + " negative, "
              + rows["sentiment_neutral"].astype(int).astype(str) + " neutral, "
              + rows["sentiment_positive"].astype(int).astype(str) + " positive")
    fig = go.Figure(go.Bar(
        y=bar_labels([str(n) for n in rows["name"]]), x=rows["sentiment_mean"].astype(float).tolist(),
        orientation="h", customdata=[[html.escape(str(n)), c] for n, c in zip(rows["name"], counts, strict=True)],
        marker={"color": rows["sentiment_mean"].astype(float).tolist(), "colorscale": SENTIMENT_SCALE,
                "cmin": -1, "cmax": 1},
        hovertemplate="%{customdata[0]}: %{x:.2f} (%{customdata[1]} mentions)<extra></extra>"))
    fig.update_layout(height=max(220, 80 + 26 * len(rows)), margin={"l": 10, "r": 10, "t": 10, "b": 10},
                      xaxis={"range": [-1, 1], "title": {"text": "mean sentiment toward the actor (-1 to 1)"},
                             "zeroline": True})
    return fig


def _wrap(text: str, width: int) -> str:
    """Escape article text for plotly's hover labels (which read a little HTML) and wrap it in lines."""
    words, lines, line = html.escape(str(text)).split(), [], ""
    for w in words:
        if line and len(line) + len(w) + 1 > width:
            lines.append(line)
            line = w
        else:
            line = f"{line} {w}".strip()
    if line:
        lines.append(line)
    return "<br>".join(lines[:4])
