"""Library: stored analyses, newest first, to open or delete."""

import streamlit as st

from analysis.errors import AnalysisError
from pages import ui

st.title("Library")
store = ui.store()
search = st.text_input("Search titles, outlets and actors", key="lib_search")
table = store.list(search=search or None)
if not len(table):
    st.info("No stored analyses yet." if not search else "No stored analysis matches.")
    st.stop()

shown = table.drop(columns=["saved_by"]) if table["saved_by"].isna().all() else table
st.dataframe(shown, hide_index=True, width="stretch",
             column_config={"countries": st.column_config.ListColumn("countries"),
                            "article_id": st.column_config.TextColumn("id"),
                            "chars": st.column_config.NumberColumn("characters")})
st.caption(f"{len(table)} stored analyses, newest first.")

labels = {r["article_id"]: f"{r['title'] or 'Untitled'} · {r['published'] or r['created'][:10]} · {r['article_id']}"
          for r in table.to_dict(orient="records")}
chosen = st.selectbox("Analysis", list(labels), format_func=labels.get, key="lib_choice")
c1, c2, _ = st.columns([1, 1, 5])
if c1.button("Open", type="primary", key="lib_open", icon=":material/open_in_new:"):
    st.switch_page("pages/analyze.py", query_params={"a": chosen})
if c2.button("Delete", key="lib_delete", icon=":material/delete:"):
    try:
        store.delete(chosen)
    except AnalysisError as exc:
        st.error(str(exc))
    else:
        held = st.session_state.get("analysis")
        if held is not None and held.article_id == chosen:
            del st.session_state["analysis"]
            st.query_params.clear()
        st.toast("Deleted.")
        st.rerun()
