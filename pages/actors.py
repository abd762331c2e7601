"""Actors: every actor with kind, role, country, mentions and aliases; analysts fix an actor's country or merge two."""

import streamlit as st

from analysis.dashboard.corrections import correction_log, country_choices
from analysis.errors import AnalysisError
from pages import ui

result = ui.page_with_analysis("Actors")

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


_FORMS = {"country": ("fix_actor", "fix_country_value"), "merge": ("merge_source", "merge_target")}


def _save(kind: str, article_id: str, names: dict[str, str], countries: dict[str, str]) -> None:
    """Record the form's correction (a callback: it runs before the page draws, so the page shows the result and the
    form can be emptied)."""
    actor_key, value_key = _FORMS[kind]
    actor_id, value = st.session_state.get(actor_key), st.session_state.get(value_key)
    if actor_id is None or (kind == "merge" and value is None):
        st.session_state["a_error"] = "Pick an actor." if actor_id is None else "Pick the actor to merge into."
        return
    try:
        fixed = ui.store().correct(article_id, kind=kind, actor_id=actor_id, value=value, made_by=ui.made_by())
    except AnalysisError as exc:
        st.session_state["a_error"] = str(exc)
        return
    ui.corrected(fixed)
    for key in _FORMS[kind]:  # an empty form after a save; an error keeps the picks
        st.session_state[key] = None
    st.session_state["a_done"] = (f"{names[actor_id]}: country set to {countries.get(value, 'none')}."
                                  if kind == "country" else f"{names[actor_id]} merged into {names[value]}.")


if stored:
    if done := st.session_state.pop("a_done", None):
        st.success(f"Saved. {done}")
    if problem := st.session_state.pop("a_error", None):
        st.error(problem)

    left, right = st.columns(2)
    with left, st.form("fix_country", border=True):
        st.markdown("**Fix an actor's country**")
        st.selectbox("Actor", ids, index=None, format_func=_actor_label, key="fix_actor", placeholder="pick an actor")
        st.selectbox("Country", list(countries), index=None, format_func=lambda c: f"{countries[c]} ({c})",
                     key="fix_country_value", placeholder="no country (leave empty to remove it)")
        st.form_submit_button("Save the country", type="primary", on_click=_save,
                              args=("country", result.article_id, names, countries))
    with right, st.form("merge_actors", border=True):
        st.markdown("**Merge two actors** (the same actor found under two names)")
        st.selectbox("Merge this actor", ids, index=None, format_func=_actor_label, key="merge_source",
                     placeholder="pick an actor")
        st.selectbox("into this one", ids, index=None, format_func=_actor_label, key="merge_target",
                     placeholder="pick an actor")
        st.form_submit_button("Merge", type="primary", on_click=_save,
                              args=("merge", result.article_id, names, countries))

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
