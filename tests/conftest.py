"""Shared fixtures: the shared data folder, the seed article, analyses made once per session."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from analysis.settings import ROOT, shared_dir

SAMPLES = ROOT / "data" / "samples"
SAMPLE_SLUGS = sorted(p.stem for p in SAMPLES.glob("*.txt"))


#: the PostgreSQL database the store tests use; `.ci/run` creates it on a server on loopback
PG_URL = os.environ.get("STANCE_ATLAS_TEST_PG_URL",
                        "postgresql+psycopg://stance:stance@127.0.0.1:5432/stance_atlas_test")


def _postgres_reachable() -> str | None:
    """None when the test database answers, else the reason."""
    try:
        import sqlalchemy as sa

        engine = sa.create_engine(PG_URL, connect_args={"connect_timeout": 3})
        with engine.connect() as conn:
            conn.execute(sa.text("select 1"))
        engine.dispose()
        return None
    except Exception as exc:
        return str(exc).splitlines()[0][:200]


@pytest.fixture(params=["sqlite", "postgresql"])
def backend_url(request, tmp_path) -> str:
    """The same store tests on both backends. PostgreSQL: a real server on loopback; in CI an unreachable server
    fails the test, locally it is skipped with the reason."""
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'store.sqlite'}"
    reason = _postgres_reachable()
    if reason:
        if os.environ.get("CI"):
            pytest.fail(f"PostgreSQL test server unreachable at {PG_URL}: {reason}")
        pytest.skip(f"no PostgreSQL test server at {PG_URL} ({reason}); .ci/run starts one")
    return PG_URL


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared data folder (../shared or $STANCE_ATLAS_SHARED); tests that need it fail if it is missing."""
    path = shared_dir()
    assert path.is_dir(), f"shared data folder {path} is missing; set STANCE_ATLAS_SHARED"
    return path


@pytest.fixture(scope="session")
def seed_path(shared: Path) -> Path:
    """The seed article's file in the shared folder (never copied into the repo)."""
    return shared / "seeds" / "article-russia-north-korea.txt"


@pytest.fixture(scope="session")
def seed_text(seed_path: Path) -> str:
    """The seed article, read from the shared folder (never copied into the repo)."""
    return seed_path.read_text(encoding="utf-8")


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


@pytest.fixture(scope="session")
def outlet_analyses() -> list:
    """The sample articles analysed once with their gold dates and two outlets (Wire A, Wire B, alternating),
    plus an undated copy of the first one from a third outlet (Wire C): five analyses for the Library and Trends."""
    from analysis import analyze

    out = []
    for i, slug in enumerate(SAMPLE_SLUGS):
        gold = json.loads((SAMPLES / f"{slug}.gold.json").read_text(encoding="utf-8"))
        text = (SAMPLES / f"{slug}.txt").read_text(encoding="utf-8")
        out.append(analyze(text, title=gold["title"], source=("Wire A", "Wire B")[i % 2], published=gold["published"]))
    first = (SAMPLES / f"{SAMPLE_SLUGS[0]}.txt").read_text(encoding="utf-8")
    out.append(analyze(first, title="Undated copy", source="Wire C"))
    return out
