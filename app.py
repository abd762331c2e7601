"""Stance Atlas: the Streamlit entry point. It only sets up the page and the navigation."""

import streamlit as st

from pages.ui import preload_models, require_sign_in

st.set_page_config(page_title="Stance Atlas", page_icon="static/favicon.png", layout="wide")
require_sign_in()

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
