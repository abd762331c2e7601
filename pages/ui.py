"""Helpers shared by the pages: cached models and analyses, settings, error display. The only UI-side cache."""

from __future__ import annotations

import streamlit as st

from analysis.errors import AnalysisError
from analysis.pipeline import Analysis, analyze
from analysis.settings import Settings, load_settings


@st.cache_resource(show_spinner="Loading the language models…")
def warm_models() -> bool:
    """Load the models once per server process (spaCy now; the transformers as they arrive)."""
    from analysis.nlp import load_spacy

    load_spacy()
    return True


def settings() -> Settings:
    """Settings from the environment, overlaid with Streamlit secrets where they exist."""
    try:
        secrets = {k: str(v) for k, v in st.secrets.items() if not isinstance(v, dict)}
    except (FileNotFoundError, st.errors.StreamlitSecretNotFoundError):
        secrets = {}
    return load_settings(overrides=secrets)


def run_analysis(text: str, *, title: str | None, source: str | None, published: str | None) -> Analysis | None:
    """Analyse text; show a user error as a message and return None."""
    warm_models()
    try:
        return analyze(text, title=title or None, source=source or None, published=published or None,
                       settings=settings())
    except AnalysisError as exc:
        st.error(str(exc))
        return None
