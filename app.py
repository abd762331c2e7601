"""Stance Atlas: the Streamlit entry point. It only sets up the page, the sign-in gate and the navigation.

Every run goes through this file, also a fresh server's first visit to a page's address: Streamlit's older
multipage mode would run a script of `pages/` on its own there, so `pages/ui.py` (imported first by every page)
switches that mode off and reruns (see `through_app`).
"""

import streamlit as st

from pages.ui import preload_models, require_sign_in, signed_in_sidebar

st.set_page_config(page_title="Stance Atlas", page_icon="static/favicon.png", layout="wide")
require_sign_in()
signed_in_sidebar()

navigation = st.navigation([
    st.Page("pages/analyze.py", title="Analyze", icon=":material/edit_note:", default=True),
    st.Page("pages/map.py", title="Map", icon=":material/public:"),
    st.Page("pages/stance.py", title="Stance", icon=":material/bar_chart:"),
    st.Page("pages/quotes.py", title="Quotes", icon=":material/format_quote:"),
    st.Page("pages/actors.py", title="Actors", icon=":material/groups:"),
    st.Page("pages/library.py", title="Library", icon=":material/library_books:"),
    st.Page("pages/trends.py", title="Trends", icon=":material/timeline:"),
])
preload_models()
navigation.run()
