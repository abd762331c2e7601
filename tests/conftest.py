"""Shared fixtures: the shared data folder, the seed article, analyses made once per session."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from analysis.settings import ROOT, shared_dir

SAMPLES = ROOT / "data" / "samples"
SAMPLE_SLUGS = sorted(p.stem for p in SAMPLES.glob("*.txt"))


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared data folder (../shared or $STANCE_ATLAS_SHARED); tests that need it fail if it is missing."""
    path = shared_dir()
    assert path.is_dir(), f"shared data folder {path} is missing; set STANCE_ATLAS_SHARED"
    return path


@pytest.fixture(scope="session")
def seed_text(shared: Path) -> str:
    """The seed article, read from the shared folder (never copied into the repo)."""
    return (shared / "seeds" / "article-russia-north-korea.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_analysis(seed_text: str):
    """The seed article analysed once per test session."""
    from analysis import analyze

    return analyze(seed_text)


@pytest.fixture(scope="session")
def sample_analyses() -> dict:
    """Every sample article analysed once, with its gold data: slug -> (analysis, gold)."""
    from analysis import analyze

    out = {}
    for slug in SAMPLE_SLUGS:
        gold = json.loads((SAMPLES / f"{slug}.gold.json").read_text(encoding="utf-8"))
        text = (SAMPLES / f"{slug}.txt").read_text(encoding="utf-8")
        out[slug] = (analyze(text, title=gold["title"], source=gold["source"], published=gold["published"]), gold)
    return out
