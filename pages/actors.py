"""Actors: every actor with kind, role, country, mentions and aliases; analysts fix an actor's country or merge two."""

import streamlit as st

from analysis.dashboard.corrections import (
    actor_choices,
    correction_log,
    country_choices,
    missing_pick,
    saved_message,
)
from analysis.dashboard.views import actor_kinds, actor_table, fact_flags, mention_table
from analysis.errors import AnalysisError
from analysis.pipeline import Analysis
from pages import ui

result = ui.page_with_analysis("Actors")

flags = fact_flags(result)
if len(flags):
    st.warning(f"{len(flags)} {'facts that do' if len(flags) > 1 else 'fact that does'} not add up: the text gives a "
               "role that the office-holder table says someone else held on the article's date (the text itself is "
               "unchanged; the table is in data/knowledge).")
    for flag in flags.itertuples():
        st.text(f"{flag.name}: {flag.fact_check}")  # plain text: names come from the article
kinds = st.multiselect("Kind", actor_kinds(result), key="a_kind")
actors = actor_table(result, kinds)
ui.table(actors, ["name", "kind", "role", "country", "country_evidence", "country_confidence", "mention_count",
                  "statement_count", "dominant_stance", "sentiment_mean", "aliases", "fact_check"], key="actors_table",
         config={"name": st.column_config.TextColumn(width="medium"),
                 "country_evidence": st.column_config.TextColumn(width="medium")})
st.caption("\"country from\": how the country was known (the text's words first, then the office-holder table, the "
           "dateline, a place, the story). The downloads hold every column.")
ui.downloads(actors, f"actors-{result.article_id}", key="actors")

st.subheader("Corrections")
st.caption("Fix what the models got wrong. A correction is stored with who made it and applied whenever this "
           "analysis is shown, on every page and for everyone; the models do not run again.")
store = ui.correctable(result)

#: the widget keys of each form: the actor picked, and the country or the actor to merge into
_FORMS = {"country": ("fix_actor", "fix_country_value"), "merge": ("merge_source", "merge_target")}


def _save(kind: str, shown: Analysis) -> None:
    """Record the form's correction (a callback: it runs before the page draws, so the page shows the result and the
    form can be emptied)."""
    actor_key, value_key = _FORMS[kind]
    actor_id, value = st.session_state.get(actor_key), st.session_state.get(value_key)
    if problem := missing_pick(kind, actor_id, value):
        st.session_state["a_error"] = problem
        return
    try:
        fixed = ui.store().correct(shown.article_id, kind=kind, actor_id=actor_id, value=value, made_by=ui.made_by())
    except AnalysisError as exc:
        st.session_state["a_error"] = str(exc)
        return
    ui.corrected(fixed)
    for key in _FORMS[kind]:  # an empty form after a save; an error keeps the picks
        st.session_state[key] = None
    st.session_state["a_done"] = saved_message(shown, kind=kind, actor_id=actor_id, value=value)


if store is not None:
    if done := st.session_state.pop("a_done", None):
        st.success(f"Saved. {done}")
    if problem := st.session_state.pop("a_error", None):
        st.error(problem)

    choices = actor_choices(result)
    countries = country_choices()
    left, right = st.columns(2)
    with left, st.form("fix_country", border=True):
        st.markdown("**Fix an actor's country**")
        st.selectbox("Actor", list(choices), index=None, format_func=choices.get, key="fix_actor",
                     placeholder="pick an actor")
        st.selectbox("Country", list(countries), index=None, format_func=lambda c: f"{countries[c]} ({c})",
                     key="fix_country_value", placeholder="no country (leave empty to remove it)")
        st.form_submit_button("Save the country", type="primary", on_click=_save, args=("country", result))
    with right, st.form("merge_actors", border=True):
        st.markdown("**Merge two actors** (the same actor found under two names)")
        st.selectbox("Merge this actor", list(choices), index=None, format_func=choices.get, key="merge_source",
                     placeholder="pick an actor")
        st.selectbox("into this one", list(choices), index=None, format_func=choices.get, key="merge_target",
                     placeholder="pick an actor")
        st.form_submit_button("Merge", type="primary", on_click=_save, args=("merge", result))

    log = store.corrections(result.article_id)
    if len(log):
        st.markdown("**Corrections of this analysis**, oldest first")
        original = store.load(result.article_id, corrected=False)
        ui.table(correction_log(log, original), key="a_corrections")
    else:
        st.caption("No corrections yet.")


st.subheader("Mentions")
mentions = mention_table(result)
ui.table(mentions, ["mention_id", "text", "actor", "form", "ner_label", "sentence", "start", "sentiment",
                    "sentiment_score"], key="mentions_table")
ui.downloads(mentions, f"mentions-{result.article_id}", key="mentions")
