"""Library: stored analyses, newest first, searched and filtered by outlet, date, country and actor; open or delete."""

import streamlit as st

from analysis.dashboard.trends import analysis_label, country_name, shown_title
from analysis.errors import AnalysisError
from pages import ui

ui.page("Library")

try:
    store = ui.store()
    total = store.count()
    facets = store.facets() if total else {}
except AnalysisError as exc:  # the store cannot be opened or read: its one-line message, no traceback
    st.error(str(exc))
    st.stop()
if not total:
    st.info("No stored analyses yet. Every article analysed on the Analyze page is stored here.")
    ui.link_to_analyze()
    st.stop()

search = st.text_input("Search titles, opening words, outlets and actors", key="lib_search")
f1, f2, f3, f4, f5 = st.columns([2, 2, 2, 1.6, 1.6])
source = f1.selectbox("Outlet", facets["sources"], index=None, placeholder="any outlet", key="lib_source")
country = f2.selectbox("Country", facets["countries"], index=None, format_func=lambda c: f"{country_name(c)} ({c})",
                       placeholder="any country", key="lib_country")
actor = f3.selectbox("Actor", facets["actors"], index=None, placeholder="any actor", key="lib_actor")
date_from = f4.date_input("Published from", value=None, key="lib_from", format="YYYY-MM-DD")
date_to = f5.date_input("Published to", value=None, key="lib_to", format="YYYY-MM-DD")
if date_from and date_to and date_from > date_to:
    st.warning("The start date is after the end date: nothing can match.")

dated = bool(date_from or date_to)
try:
    table = store.list(search=search or None, source=source, country=country, actor=actor,
                       published_from=date_from.isoformat() if date_from else None,
                       published_to=date_to.isoformat() if date_to else None, limit=500)
except AnalysisError as exc:
    st.error(str(exc))
    st.stop()
filtered = bool(search or source or country or actor or dated)
if not len(table):
    st.info("No stored analysis matches these filters." + (" Undated analyses never match a date range." if dated
                                                           else ""))
    st.stop()

table = table.assign(title=[shown_title(r) for r in table.to_dict(orient="records")],
                     created=table["created"].str.slice(0, 16).str.replace("T", " "),
                     countries=table["countries"].map(lambda codes: [country_name(c) for c in codes]))
columns = ["title", "source", "published", "countries", "actor_count", "statement_count", "created", "article_id"]
if ui.auth_enabled():
    columns.insert(-1, "saved_by")
ui.table(table, columns, key="lib_table",
         config={"title": st.column_config.TextColumn(width="large"),
                 "source": st.column_config.TextColumn(width="small"),
                 "countries": st.column_config.TextColumn(width="medium"),
                 "created": st.column_config.TextColumn(width="small"),
                 "actor_count": st.column_config.NumberColumn("actors", width="small"),
                 "statement_count": st.column_config.NumberColumn("statements", width="small"),
                 "published": st.column_config.TextColumn(width="small"),
                 "article_id": st.column_config.TextColumn(width="small")})
shown = f"{len(table)} of {total} stored analyses" if filtered else f"{len(table)} stored analyses"
st.caption(f"{shown}, newest first." + (" Undated analyses are left out when a date range is set." if dated else ""))

labels = {r["article_id"]: analysis_label(r) for r in table.to_dict(orient="records")}
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
        ui.forget(chosen)
        st.toast("Deleted.")
        st.rerun()
