"""Quotes: every statement with filters and search, and the article with the chosen statement highlighted."""

import streamlit as st

from analysis.dashboard.views import (
    PART_COLORS,
    filter_statements,
    highlighted_html,
    statement_parts,
    with_uncertain,
)
from pages import ui

result = ui.page_with_analysis("Quotes")

statements = result.statements
f1, f2, f3, f4 = st.columns(4)
actors = f1.multiselect("Actor", sorted(statements["speaker"].dropna().unique()), key="q_actor")
countries = f2.multiselect("Country", sorted(statements["speaker_country"].dropna().unique()), key="q_country")
stances = f3.multiselect("Stance", sorted(statements["stance"].dropna().unique()), key="q_stance")
kinds = f4.multiselect("Kind", sorted(statements["kind"].dropna().unique()), key="q_kind")
search = st.text_input("Search the statements", key="q_search")
shown = filter_statements(statements, actors=actors, countries=countries, stances=stances, kinds=kinds,
                          search=search)
table = with_uncertain(shown)

columns = [c for c in ("statement_id", "speaker", "speaker_country", "kind", "cue_text", "content_text", "stance",
                       "uncertain", "sentiment", "outlet") if c in table.columns]
st.dataframe(ui.styled(table[columns]), hide_index=True, width="stretch", key="q_table",
             column_config={"content_text": st.column_config.TextColumn("content", width="large"),
                            "cue_text": "cue", "speaker_country": "country",
                            "statement_id": st.column_config.NumberColumn("id", width="small")})
st.caption(f"{len(shown)} of {len(statements)} statements. \"uncertain\": the stance model's top probability is "
           "under 0.5.")
ui.downloads(shown, f"statements-{result.article_id}", key="statements")

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
