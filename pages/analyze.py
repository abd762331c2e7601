"""Analyze: paste an article, see its actors and countries."""

import streamlit as st

from pages.ui import run_analysis

st.title("Stance Atlas")
st.caption("Who said what, with which stance, in international news.")

with st.form("article"):
    text = st.text_area("Article text", height=260, placeholder="Paste the text of a news article…")
    c1, c2, c3 = st.columns(3)
    title = c1.text_input("Title (optional)")
    source = c2.text_input("Outlet (optional)")
    published = c3.text_input("Date (optional, YYYY-MM-DD)")
    submitted = st.form_submit_button("Analyze", type="primary")

if submitted:
    result = run_analysis(text, title=title, source=source, published=published)
    if result is not None:
        st.session_state["analysis"] = result

result = st.session_state.get("analysis")
if result is not None:
    st.subheader("Actors")
    st.dataframe(result.actors.drop(columns=["article_id"]), hide_index=True, width="stretch")
    st.subheader("Countries")
    st.dataframe(result.countries.drop(columns=["article_id", "actor_ids"]), hide_index=True, width="stretch")
