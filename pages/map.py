"""Map: the countries involved, coloured by dominant stance or sentiment, with arcs from speaker to target."""

import streamlit as st

from analysis.dashboard.charts import TOPOJSON_URL, stance_map
from analysis.dashboard.views import arcs, country_view
from pages import ui

result = ui.page_with_analysis("Map")

c1, c2 = st.columns([1, 1])
mode = c1.segmented_control("Colour by", ["stance", "sentiment"], default="stance", key="map_mode") or "stance"
view = c2.segmented_control("View", ["world", "countries involved"], default="world", key="map_view") or "world"
countries = country_view(result)
if mode == "sentiment" and countries["sentiment"].isna().all():
    st.info("No sentiment scores in this analysis: the sentiment model had not run when it was made.")
arc_rows = arcs(result)
fig = stance_map(countries, arc_rows, color_by=mode, fit=view != "world")
st.plotly_chart(fig, width="stretch", config={"topojsonURL": TOPOJSON_URL, "displaylogo": False},
                key="stance_map")
st.caption("Country colour: the dominant stance of that country's actors' statements (grey-blue: involved, no "
           "statement). Arcs run from a speaker's country to the country its statement reacts to.")

st.subheader("Countries")
st.dataframe(countries.drop(columns=["lat", "lon"]), hide_index=True, width="stretch")
ui.downloads(countries, f"countries-{result.article_id}", key="countries")
if len(arc_rows):
    st.subheader("Arcs")
    st.dataframe(arc_rows[["from_iso3", "to_iso3", "stance", "count", "example"]], hide_index=True, width="stretch")
