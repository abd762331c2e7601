"""Stance Atlas analysis: actors, countries, statements, stance and sentiment of news articles.

Plain Python (no Streamlit). Entry point: `analyze(text, *, title=None, published=None, source=None)`.
Importing the package is cheap: the pipeline and its models load on first use.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from analysis.errors import AnalysisError

if TYPE_CHECKING:
    from analysis.pipeline import Analysis, analyze

__all__ = ["Analysis", "AnalysisError", "analyze"]


def __getattr__(name: str) -> Any:
    if name in ("Analysis", "analyze"):
        from analysis import pipeline

        return getattr(pipeline, name)
    raise AttributeError(f"module 'analysis' has no attribute {name!r}")
