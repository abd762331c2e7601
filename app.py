"""Stance Atlas: the Streamlit entry point. It only sets up the page, the sign-in gate and the navigation.

The pages live in `app_pages/`, not `pages/`: Streamlit runs a script in a folder named `pages/` on its own (its
older multipage mode) when a fresh server's first visitor opens a page's address, skipping this file and its
sign-in gate.
"""

import streamlit as st

from app_pages.ui import preload_models, require_sign_in

st.set_page_config(page_title="Stance Atlas", page_icon="static/favicon.png", layout="wide")
require_sign_in()

navigation = st.navigation([
    st.Page("app_pages/analyze.py", title="Analyze", icon=":material/edit_note:", default=True),
    st.Page("app_pages/map.py", title="Map", icon=":material/public:"),
    st.Page("app_pages/stance.py", title="Stance", icon=":material/bar_chart:"),
    st.Page("app_pages/quotes.py", title="Quotes", icon=":material/format_quote:"),
    st.Page("app_pages/actors.py", title="Actors", icon=":material/groups:"),
    st.Page("app_pages/library.py", title="Library", icon=":material/library_books:"),
    st.Page("app_pages/trends.py", title="Trends", icon=":material/timeline:"),
])
preload_models()
navigation.run()
