"""Actors: every actor with kind, role, country, mentions and aliases; analysts fix an actor's country or merge two."""

import streamlit as st

from analysis.corrections import correction_log, country_choices
from analysis.errors import AnalysisError
from app_pages import ui

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

st.subheader("Corrections")
st.caption("Fix what the models got wrong. A correction is stored with who made it and applied whenever this "
           "analysis is shown, on every page and for everyone; the models do not run again.")
store = ui.store()
stored = store.exists(result.article_id)
if not stored:
    st.info("This analysis is not in the store, so it cannot be corrected.")

names = dict(zip(result.actors["actor_id"], result.actors["name"], strict=True))
countries = country_choices()
ids = sorted(names, key=lambda a: names[a].lower())


def _actor_label(actor_id: str) -> str:
    row = result.actors.set_index("actor_id").loc[actor_id]
    country = row["country"] if isinstance(row["country"], str) else "no country"
    return f"{row['name']} ({row['kind']}, {country})"


def _save(kind: str, actor_id: str | None, value: str | None) -> None:
    if actor_id is None:
        st.error("Pick an actor.")
        return
    try:
        fixed = store.correct(result.article_id, kind=kind, actor_id=actor_id, value=value, made_by=ui.made_by())
    except AnalysisError as exc:
        st.error(str(exc))
        return
    ui.corrected(fixed)
    for key in ("fix_actor", "fix_country_value", "merge_source", "merge_target"):  # empty forms after a save
        st.session_state.pop(key, None)
    st.session_state["a_done"] = (f"{names[actor_id]}: country set to {countries.get(value, 'none')}."
                                  if kind == "country" else f"{names[actor_id]} merged into {names[value]}.")
    st.rerun()


if stored:
    if done := st.session_state.pop("a_done", None):
        st.success(f"Saved. {done}")

    left, right = st.columns(2)
    with left, st.form("fix_country", border=True):
        st.markdown("**Fix an actor's country**")
        who = st.selectbox("Actor", ids, index=None, format_func=_actor_label, key="fix_actor",
                           placeholder="pick an actor")
        where = st.selectbox("Country", [None, *countries], format_func=lambda c: "(no country)" if c is None else
                             f"{countries[c]} ({c})", key="fix_country_value")
        if st.form_submit_button("Save the country", type="primary"):
            _save("country", who, where)
    with right, st.form("merge_actors", border=True):
        st.markdown("**Merge two actors** (the same actor found under two names)")
        source = st.selectbox("Merge this actor", ids, index=None, format_func=_actor_label, key="merge_source",
                              placeholder="pick an actor")
        target = st.selectbox("into this one", ids, index=None, format_func=_actor_label, key="merge_target",
                              placeholder="pick an actor")
        if st.form_submit_button("Merge", type="primary"):
            if target is None:
                st.error("Pick the actor to merge into.")
            else:
                _save("merge", source, target)

    log = store.corrections(result.article_id)
    if len(log):
        st.markdown("**Corrections of this analysis**, oldest first")
        original = store.load(result.article_id, corrected=False)
        st.dataframe(correction_log(log, original), hide_index=True, width="stretch", key="a_corrections",
                     column_config={"made_by": "made by", "made_at": "made at (UTC)"})
    else:
        st.caption("No corrections yet.")


st.subheader("Mentions")
mentions = result.mentions.drop(columns=["article_id"])
st.dataframe(mentions, hide_index=True, width="stretch")
ui.downloads(mentions, f"mentions-{result.article_id}", key="mentions")
