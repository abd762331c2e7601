"""Actors: every actor with kind, role, country, mentions and aliases."""

import streamlit as st

from pages import ui

st.title("Actors")
result = ui.current_analysis()
if result is None:
    ui.no_analysis_yet()
    st.stop()
ui.header(result)

actors = result.actors.drop(columns=["article_id"])
kinds = st.multiselect("Kind", sorted(actors["kind"].unique()), key="a_kind")
if kinds:
    actors = actors[actors["kind"].isin(kinds)]
st.dataframe(actors, hide_index=True, width="stretch",
             column_config={"aliases": st.column_config.ListColumn("aliases"),
                            "mention_count": st.column_config.NumberColumn("mentions")})
ui.downloads(actors, f"actors-{result.article_id}", key="actors")

st.subheader("Mentions")
mentions = result.mentions.drop(columns=["article_id"])
st.dataframe(mentions, hide_index=True, width="stretch")
ui.downloads(mentions, f"mentions-{result.article_id}", key="mentions")
