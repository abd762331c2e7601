"""Quotes: every statement with filters and search, a form to correct a statement's stance or target, and the article
with the chosen statement highlighted."""

import streamlit as st

from analysis.dashboard.corrections import (
    KEEP_TARGET,
    STATEMENT_KINDS,
    actor_choices,
    correction_log,
    missing_statement_pick,
    saved_message,
    statement_choices,
)
from analysis.dashboard.display import country_label
from analysis.dashboard.views import (
    PART_COLORS,
    filter_statements,
    highlighted_html,
    statement_parts,
    with_uncertain,
)
from analysis.errors import AnalysisError
from analysis.labels import STANCE_LABELS
from analysis.pipeline import Analysis
from pages import ui

result = ui.page_with_analysis("Quotes")

statements = result.statements
f1, f2, f3, f4 = st.columns(4)
actors = f1.multiselect("Actor", sorted(statements["speaker"].dropna().unique()), key="q_actor")
countries = f2.multiselect("Country", sorted(statements["speaker_country"].dropna().unique()), key="q_country",
                           format_func=country_label)
stances = f3.multiselect("Stance", sorted(statements["stance"].dropna().unique()), key="q_stance")
kinds = f4.multiselect("Kind", sorted(statements["kind"].dropna().unique()), key="q_kind")
search = st.text_input("Search the statements", key="q_search")
shown = filter_statements(statements, actors=actors, countries=countries, stances=stances, kinds=kinds,
                          search=search)
table = with_uncertain(shown)
table["uncertain"] = table["uncertain"].map(lambda mark: "yes" if mark else "no")

columns = [c for c in ("statement_id", "speaker", "speaker_org", "speaker_country", "kind", "cue_text",
                       "content_text", "stance", "uncertain", "stance_method", "targets", "sentiment", "outlet")
           if c in table.columns]
ui.table(table, columns, key="q_table",
         config={"content_text": st.column_config.TextColumn(width="large"),
                 "statement_id": st.column_config.NumberColumn(width="small")})
st.caption(f"{len(shown)} of {len(statements)} statements. \"uncertain\": the stance model's top probability is "
           "under 0.5. \"stance by\": model, lexicon (cue words, where the model was unsure) or correction (an "
           "analyst).")
ui.downloads(shown, f"statements-{result.article_id}", key="statements")

st.subheader("Correct a statement")
st.caption("Set a statement's stance (see the codebook's labels) or the actor it reacts to. The fix is stored with who "
           "made it and when, applied on every page for everyone who opens this analysis, and exported for training "
           "(`python -m analysis corrections export --jsonl`).")
store = ui.correctable(result)
#: the form's widget keys: the statement, the stance, the target
_KEYS = ("fix_statement", "fix_stance", "fix_target")
#: the target choice that removes the statement's target
_NO_TARGET = "(no target)"


def _save(shown_analysis: Analysis) -> None:
    """Record the form's stance and/or target correction (a callback: it runs before the page draws)."""
    sid, stance, target = (st.session_state.get(k) for k in _KEYS)
    target = KEEP_TARGET if target is None else target
    if problem := missing_statement_pick(sid, stance, target):
        st.session_state["q_error"] = problem
        return
    changes = ([("stance", stance)] if stance is not None else []) + \
        ([("target", None if target == _NO_TARGET else target)] if target != KEEP_TARGET else [])
    done = []
    for kind, value in changes:
        try:
            ui.corrected(ui.store().correct(shown_analysis.article_id, kind=kind, statement_id=sid, value=value,
                                            made_by=ui.made_by()))
        except AnalysisError as exc:  # an earlier change of this form stays saved and shown
            st.session_state["q_error"] = str(exc)
            return
        done.append(saved_message(shown_analysis, kind=kind, statement_id=sid, value=value))
    for key in _KEYS:
        st.session_state[key] = None
    st.session_state["q_done"] = " ".join(done)


if store is not None:
    if done := st.session_state.pop("q_done", None):
        st.success(f"Saved. {done}")
    if problem := st.session_state.pop("q_error", None):
        st.error(problem)
    said = statement_choices(result)
    actors = actor_choices(result)
    targets = {KEEP_TARGET: "keep the target as it is", _NO_TARGET: "no target", **actors}
    with st.form("fix_statement_form", border=True):
        st.selectbox("Statement", list(said), index=None, format_func=said.get, key="fix_statement",
                     placeholder="pick a statement")
        c1, c2 = st.columns(2)
        c1.selectbox("Stance", list(STANCE_LABELS), index=None, key="fix_stance",
                     placeholder="keep the stance as it is")
        c2.selectbox("Target (the actor it reacts to)", list(targets), index=None, format_func=targets.get,
                     key="fix_target", placeholder="keep the target as it is")
        st.form_submit_button("Save the correction", type="primary", on_click=_save, args=(result,))
    log = store.corrections(result.article_id, kinds=STATEMENT_KINDS)
    if len(log):
        st.markdown("**Statement corrections of this analysis**, oldest first")
        ui.table(correction_log(log, store.load(result.article_id, corrected=False)), key="q_corrections")

st.subheader("Article")
labels = {int(i): f"#{r['statement_id']} · {r['speaker'] if isinstance(r['speaker'], str) else '(no speaker)'} · "
                  f"{r['stance']} · {str(r['content_text'])[:90]}" for i, r in shown.iterrows()}
chosen = st.selectbox("Highlight a statement", [None, *labels], key="q_highlight",
                      format_func=lambda i: "(none)" if i is None else labels[i])
parts = statement_parts(shown.loc[chosen].to_dict()) if chosen is not None else []
st.markdown(" ".join(f'<span style="background:{color}; padding:1px 6px; border-radius:3px;">{role}</span>'
                     for role, color in PART_COLORS.items()), unsafe_allow_html=True)
# the article is escaped character by character in highlighted_html: pasted HTML shows as text
st.markdown(highlighted_html(result.article.text, parts), unsafe_allow_html=True)
