"""Shared fixtures: the shared data folder, the seed article, analyses made once per session."""

from __future__ import annotations

import json
import os
from pathlib import Path

import pytest

from analysis.settings import ROOT, shared_dir

SAMPLES = ROOT / "data" / "samples"
SAMPLE_SLUGS = sorted(p.stem for p in SAMPLES.glob("*.txt"))
#: the four short samples (under 800 words): the team store of the Library and Trends tests and the load test's texts
#: (the two long wire stories are held to their gold in tests/test_long_articles.py)
SHORT_SAMPLE_SLUGS = [s for s in SAMPLE_SLUGS if len((SAMPLES / f"{s}.txt").read_text(encoding="utf-8").split()) <= 800]


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


#: the public sources of the corpora in the shared folder (each dataset folder's SOURCE.md has the commit and licence)
CORPORA = ("PolNeAR (https://github.com/networkdynamics/PolNeAR), NewsMTSC (https://github.com/fhamborg/NewsMTSC), "
           "GoEmotions (https://github.com/google-research/google-research, goemotions/) and GoodNewsEveryone "
           "(University of Stuttgart, IMS)")
#: the short sample that stands for "an article" in the tests that need one: four countries that speak to each
#: other, actions, direct, indirect and mixed statements, all six stances, people, bodies and an outlet
ARTICLE_SLUG = "philippines-china-shoal-protest"


def _missing(reason: str) -> None:
    """Skip with the reason on a user's fresh clone; fail in CI, which has the shared folder."""
    if os.environ.get("CI"):
        pytest.fail(reason)
    pytest.skip(reason)


@pytest.fixture(scope="session")
def shared() -> Path:
    """The shared data folder (../shared or $STANCE_ATLAS_SHARED: the corpora and the seed article, which are not
    in the repository). On a user's fresh clone the tests that need it are skipped, saying why; in CI (which has
    it) a missing folder fails them."""
    path = shared_dir()
    if not path.is_dir():
        _missing(f"shared data folder {path} is missing: it holds the seed article (the team's own copy, not in the "
                 f"repository) and the corpora {CORPORA} under data/raw/; put it beside the repository or set "
                 "STANCE_ATLAS_SHARED")
    return path


@pytest.fixture(scope="session")
def seed_path() -> Path:
    """The seed article's file in the shared folder (never copied into the repo). Only the tests about the seed
    itself use it (its goldens, its fact-check flag); a test that needs an article uses `article_text`."""
    path = shared_dir() / "seeds" / "article-russia-north-korea.txt"
    if not path.is_file():
        _missing(f"seed article {path} is missing: the news text the project started from is not "
                 "redistributed with the repository; it comes only with the team's shared folder "
                 "(../shared beside the repository, or set STANCE_ATLAS_SHARED); the tests of any article run on "
                 "data/samples/")
    return path


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
def article_text() -> str:
    """An article for the tests that need one: the sample `ARTICLE_SLUG` (in the repository), headline first."""
    return (SAMPLES / f"{ARTICLE_SLUG}.txt").read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def article_gold() -> dict:
    """The gold data of `article_text` (its actors, countries and statements as an analyst reads them)."""
    return json.loads((SAMPLES / f"{ARTICLE_SLUG}.gold.json").read_text(encoding="utf-8"))


@pytest.fixture(scope="session")
def article_analysis(article_text: str):
    """`article_text` analysed once per test session, as pasted: no title, outlet or date."""
    from analysis import analyze

    return analyze(article_text)


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
    for i, slug in enumerate(SHORT_SAMPLE_SLUGS):
        gold = json.loads((SAMPLES / f"{slug}.gold.json").read_text(encoding="utf-8"))
        text = (SAMPLES / f"{slug}.txt").read_text(encoding="utf-8")
        out.append(analyze(text, title=gold["title"], source=("Wire A", "Wire B")[i % 2], published=gold["published"]))
    first = (SAMPLES / f"{SHORT_SAMPLE_SLUGS[0]}.txt").read_text(encoding="utf-8")
    out.append(analyze(first, title="Undated copy", source="Wire C"))
    return out


# ---- the dashboard under Streamlit's AppTest ----------------------------------------------------------------------

#: the pages of the dashboard, by the name of their file in `pages/`
PAGES = ("analyze", "map", "stance", "quotes", "actors", "library", "trends")
#: an `[auth]` secrets section: sign-in on (the identity provider is never contacted)
AUTH = {"redirect_uri": "http://localhost:8501/oauth2callback", "cookie_secret": "test-only-cookie-secret",
        "client_id": "stance-atlas", "client_secret": "not-a-secret",
        "server_metadata_url": "https://login.example.org/.well-known/openid-configuration"}
#: the two teammates who saved the sample analyses in `team_store`
SAVERS = ("ana@newsroom.example", "ben@newsroom.example")


@pytest.fixture
def app_test(tmp_path, monkeypatch):
    """A factory of the dashboard under AppTest: `app_test(page, query=..., store=..., auth=..., user=...)`.

    The store is a fresh SQLite file in this test's folder (STANCE_ATLAS_DATA_DIR; DATABASE_URL and the allowed
    viewers unset; a test may set them again before it calls the factory). Each call saves `store` into it
    (analyses, or (analysis, saved_by) pairs), then runs `app.py` on `pages/<page>.py` (the Analyze page when
    `page` is None) with `query` as the address's query (`{"a": id}`: a share link). `auth` turns sign-in on (an
    `[auth]` secrets section); `user` plays the identity provider's answer. The run must not raise.
    """
    from streamlit.testing.v1 import AppTest

    from analysis.settings import load_settings
    from analysis.store import Store

    monkeypatch.setenv("STANCE_ATLAS_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    monkeypatch.delenv("STANCE_ATLAS_ALLOWED_VIEWERS", raising=False)

    def make(page: str | None = None, *, query: dict[str, str] | None = None, store=(), auth: bool = False,
             user: dict | None = None) -> AppTest:
        if store:
            opened = Store.from_settings(load_settings())
            for item in store:
                analysis, saved_by = item if isinstance(item, tuple) else (item, None)
                opened.save(analysis, saved_by=saved_by)
            opened.dispose()
        at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
        if auth:
            at.secrets["auth"] = dict(AUTH)
        if user is not None:
            at.user = user
        for key, value in (query or {}).items():
            at.query_params[key] = value
        if page is not None:
            at.switch_page(f"pages/{page}.py")
        at.run()
        assert not at.exception, at.exception
        return at

    return make


@pytest.fixture(scope="session")
def team_store(outlet_analyses) -> list[tuple]:
    """The five sample analyses as two teammates saved them, the dated ones in turn, the undated one by nobody:
    (analysis, saved_by) pairs for `app_test(store=...)`."""
    return [(a, SAVERS[i % 2] if a.article.published else None) for i, a in enumerate(outlet_analyses)]
#: share ids a page must refuse with a message: (id, what the message says)
BAD_SHARE_IDS = [("0123456789abcdef", "no analysis with id"), ("not-an-id", "is not an analysis id"),
                 ("<script>", "is not an analysis id")]


@pytest.fixture
def without_analysis(app_test):
    """A check each page that shows an analysis (`ui.page_with_analysis`) runs: `without_analysis(page)`.

    Without a current analysis the page renders, says there is none yet and draws nothing of one; with an unknown or
    malformed share id it shows that id's message.
    """
    def check(page: str) -> None:
        at = app_test(page)
        assert at.title and "Traceback" not in str(at)
        assert any("No analysis yet" in i.value for i in at.info)
        assert not at.dataframe and not at.get("plotly_chart") and not at.metric
        for article_id, message in BAD_SHARE_IDS:
            at = app_test(page, query={"a": article_id})
            assert any(message in e.value for e in at.error), (article_id, [e.value for e in at.error])

    return check


# ---- the dashboard served for a real browser ----------------------------------------------------------------------


@pytest.fixture(scope="module")
def server(tmp_path_factory: pytest.TempPathFactory):
    """`streamlit run app.py` on a free loopback port with its own empty SQLite store, for one test module: its
    base URL (a module needing other settings defines its own `server`)."""
    from tests.served import streamlit_server

    with streamlit_server(tmp_path_factory.mktemp("store")) as base:
        yield base


@pytest.fixture(scope="module")
def browser():
    """Debian's Chromium driven by Playwright, for one test module (`tests.served.chromium`)."""
    from tests.served import chromium

    with chromium() as b:
        yield b
