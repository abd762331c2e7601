"""Analyze: paste, upload or pick an article; see a summary and a share link."""

import streamlit as st

from analysis.dashboard.views import summary, top_actors, top_statements
from analysis.errors import AnalysisError
from analysis.stages.article import decode_bytes
from analysis.store import sample_articles
from pages import ui

ui.page(ui.APP_TITLE)
st.caption("Who said what, with which stance, in international news. Paste an article, upload a file, or pick a "
           "sample; then read the map, the stance charts and the statements, and share the link.")

samples = sample_articles()
source_kind = st.segmented_control("Article from", ["Paste", "Upload", "Sample"], default="Paste",
                                   key="source_kind")
text, title = "", ""
unreadable = False  # an upload that is not text: its message is shown, and Analyze does nothing more
if source_kind == "Upload":
    upload = st.file_uploader("A .txt or .html file (UTF-8)", type=["txt", "html", "htm"], key="upload")
    if upload is not None:
        try:
            text = decode_bytes(upload.getvalue(), name=upload.name)
        except AnalysisError as exc:
            st.error(str(exc))
            unreadable = True
elif source_kind == "Sample":
    slug = st.selectbox("Sample article", list(samples), format_func=lambda s: samples[s][0], key="sample")
    if slug:
        title, text = samples[slug][0], samples[slug][1]
        with st.expander("Sample text", expanded=False):
            st.text(text)

with st.form("article"):
    if source_kind == "Paste":
        text = st.text_area("Article text", height=260, key="pasted",
                            placeholder="Paste the text of a news article (or its HTML)…")
    c1, c2, c3 = st.columns(3)
    title = c1.text_input("Title (optional)", value=title)
    source = c2.text_input("Outlet (optional)")
    published = c3.text_input("Date (optional, YYYY-MM-DD)")
    submitted = st.form_submit_button("Analyze", type="primary")

if submitted and not unreadable:
    ui.run_analysis(text, title=title, source=source, published=published)
else:
    ui.follow_run()

result = ui.current_analysis()
if result is not None:
    ui.header(result)
    if not submitted:  # opened from a share link, the Library or an earlier run: which article this is
        st.markdown(f"**Showing:** {ui.plain(result.article.shown_title)}")
        with st.expander("Article text", expanded=False):
            st.text(result.article.text)
    st.subheader("Summary")
    ui.metrics(summary(result))
    st.markdown("**Share this analysis.** Anyone who can reach this Stance Atlas opens it with this link:")
    st.code(ui.share_url(result.article_id), language=None)

    left, right = st.columns([2, 3])
    with left:
        st.markdown("**Top actors**")
        ui.table(top_actors(result), key="top_actors")
    with right:
        st.markdown("**Top statements**")
        ui.table(top_statements(result), key="top_statements",
                 config={"content_text": st.column_config.TextColumn(width="large")})
    ui.download_analysis(result)
