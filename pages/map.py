"""Map: the countries involved, coloured by dominant stance or sentiment, with arcs from speaker to target."""

import streamlit as st

from analysis.dashboard.charts import TOPOJSON_URL, stance_map
from analysis.dashboard.views import arcs, country_view, toward_targets
from pages import ui

result = ui.page_with_analysis("Map")

c1, c2, c3 = st.columns([1, 1, 1])
mode = c1.segmented_control("Colour by", ["stance", "sentiment"], default="stance", key="map_mode") or "stance"
view = c2.segmented_control("View", ["countries involved", "world"], default="countries involved",
                            key="map_view") or "countries involved"
targets = toward_targets(result)
chosen = c3.selectbox("Stance toward", ["all", *targets], key="map_toward",
                      format_func=lambda k: k if k == "all" else targets[k],
                      help="Colour each speaker country by its stance toward one target its statements name.")
toward = None if chosen == "all" else chosen
countries = country_view(result, toward=toward)
if mode == "sentiment" and countries["sentiment"].isna().all():
    st.info("No sentiment scores in this analysis: the sentiment model had not run when it was made.")
arc_rows = arcs(result, toward=toward)
fig = stance_map(countries, arc_rows, color_by=mode, fit=view == "countries involved")
st.plotly_chart(fig, width="stretch", config={"topojsonURL": TOPOJSON_URL, "displaylogo": False},
                key="stance_map")
if mode == "sentiment":
    st.caption("Country colour: how the article portrays that country's actors, the mean sentiment of their mentions "
               "(red negative, grey neutral, green positive). Arcs run from a speaker's country to the country its "
               "statement reacts to, coloured by the statement's stance.")
elif toward is None:
    st.caption("Country colour: the dominant stance of that country's actors' statements (grey-blue: involved, no "
               "statement). Arcs run from a speaker's country to the country its statement reacts to.")
else:
    st.caption(f"Country colour: that country's stance toward {targets[toward]}, from its actors' statements naming "
               "it (grey-blue: no statement toward it). Arcs: those statements, to its country.")

st.subheader("Countries")
ui.table(countries, ["name", "iso3", "dominant_stance", "statements", "actors", "main_statement", "sentiment"],
         key="countries_table", config={"main_statement": st.column_config.TextColumn(width="large")})
ui.downloads(countries, f"countries-{result.article_id}", key="countries")
if len(arc_rows):
    st.subheader("Arcs")
    ui.table(arc_rows, ["from_iso3", "to_iso3", "stance", "count", "example"], key="arcs_table",
             config={"example": st.column_config.TextColumn(width="large")})
