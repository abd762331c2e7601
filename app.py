"""Stance Atlas: the Streamlit entry point. It only sets up the page and the navigation."""

import streamlit as st

st.set_page_config(page_title="Stance Atlas", page_icon="🗺️", layout="wide")

pages = [
    st.Page("pages/analyze.py", title="Analyze", icon="📝", default=True),
]
st.navigation(pages).run()
