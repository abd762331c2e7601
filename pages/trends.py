"""Trends: stance per country over publication dates across stored analyses, and two analyses side by side."""

import streamlit as st

from analysis.dashboard.charts import stance_bars, stance_trend_chart
from analysis.dashboard.trends import (
    MIN_ANALYSES,
    PERIODS,
    analysis_label,
    compare_actors,
    compare_countries,
    countries_by_statements,
    country_name,
    stance_trend,
)
from analysis.dashboard.views import country_stance, summary, top_statements
from analysis.errors import AnalysisError
from pages import ui

ui.page("Trends")

try:
    store = ui.store()
    total = store.count()
except AnalysisError as exc:  # the store cannot be opened or read: its one-line message, no traceback
    st.error(str(exc))
    st.stop()
if total < MIN_ANALYSES:
    st.info(f"Trends need at least {MIN_ANALYSES} stored analyses; this Stance Atlas has {total}. Analyse more "
            "articles on the Analyze page (each one is stored), or load a folder of articles with "
            "`python -m analysis batch DIR`.")
    ui.link_to_analyze()
    st.stop()

over_time_tab, compare_tab = st.tabs(["Stance over time", "Compare two analyses"])

with over_time_tab:
    undated = store.count(undated=True)
    include_undated = False
    if undated:
        include_undated = st.toggle("Include undated analyses on the day they were saved", value=False,
                                    key="tr_undated")
        where = "placed on the day they were saved" if include_undated else "left out of this chart"
        st.caption(f"{undated} of {total} stored analyses have no publication date: they are {where}.")
    over_time = store.stance_over_time(dated_only=not include_undated)
    ranked = countries_by_statements(over_time)
    if not ranked:
        st.info("No stored analysis has a statement by an actor of a known country"
                + (" and a publication date." if not include_undated else ".")
                + " Give articles a date (YYYY-MM-DD) when analysing them to follow stances over time.")
    else:
        c1, c2, c3 = st.columns([4, 2, 2])
        chosen = c1.multiselect("Countries", ranked, default=ranked[:4], format_func=country_name,
                                key="tr_countries", help="Countries whose actors made statements, most first.")
        period = c2.segmented_control("Group dates by", list(PERIODS), default="day", key="tr_period") or "day"
        measure = c3.segmented_control("Show", ["statements", "share"], default="statements",
                                       key="tr_measure") or "statements"
        if not chosen:
            st.info("Pick one or more countries.")
        else:
            trend = stance_trend(over_time[over_time["iso3"].isin(chosen)], period=period,
                                 share=measure == "share")
            order = {iso3: i for i, iso3 in enumerate(chosen)}
            trend = trend.sort_values("iso3", key=lambda s: s.map(order), kind="stable")
            names = {iso3: country_name(iso3) for iso3 in chosen}
            periods = trend["period"].nunique()
            if periods < 2:
                st.info(f"All these statements fall in one {period}: there is no change over time to show yet.")
            st.plotly_chart(stance_trend_chart(trend, names, share=measure == "share"), width="stretch",
                            key="trend_chart")
            st.caption(f"Each bar: the statements by actors of that country in the analyses published that "
                       f"{period}, by stance ({PERIODS[period]} on the axis; periods without an article are not "
                       "drawn). Statements whose speaker has no known country are not counted.")
            ui.downloads(trend.assign(country=trend["iso3"].map(names)), "stance-trend", key="trend")

with compare_tab:
    table = store.list(limit=500)
    labels = {r["article_id"]: analysis_label(r) for r in table.to_dict(orient="records")}
    ids = list(labels)
    c1, c2 = st.columns(2)
    first = c1.selectbox("First analysis", ids, index=0, format_func=labels.get, key="tr_first")
    second = c2.selectbox("Second analysis", ids, index=1, format_func=labels.get, key="tr_second")
    if first == second:
        st.warning("Pick two different analyses.")
        st.stop()
    a, b = ui.stored_analysis(first), ui.stored_analysis(second)
    if a is None or b is None:
        st.stop()

    sides = st.columns(2)
    for side, analysis, letter in ((sides[0], a, "A"), (sides[1], b, "B")):
        with side:
            facts = summary(analysis)
            st.subheader(f"Analysis {letter}")
            with st.container(height=64, border=False):  # same height on both sides, so the figures line up
                st.markdown(f"**{ui.plain(str(facts['title']))}**")
            st.caption(" · ".join(str(x) for x in (facts["source"], facts["published"] or "undated",
                                                   f"id {analysis.article_id}") if x))
            ui.metrics(facts)
            by_country = country_stance(analysis)
            if len(by_country):
                st.plotly_chart(stance_bars(by_country, title="Stance per country", height=320), width="stretch",
                                key=f"compare_bars_{letter}")
            else:
                st.info("No statement by an actor of a known country.")
            st.markdown("**Top statements**")
            ui.table(top_statements(analysis), key=f"compare_top_{letter}",
                     config={"content_text": st.column_config.TextColumn(width="large")})

    st.subheader("Countries in A and B")
    ui.table(compare_countries(a, b), key="compare_countries", stance=("stance_a", "stance_b"))
    st.caption("Stance: the dominant stance of the country's actors' statements; \"not involved\": the country is "
               "not in that article; \"no statement\": involved, but none of its actors is quoted.")
    shared = compare_actors(a, b)
    st.subheader("Actors quoted in both")
    if len(shared):
        ui.table(shared, key="compare_actors", stance=("stance_a", "stance_b"))
    else:
        st.caption("No actor is quoted in both analyses.")
