"""The analysis store on SQLite: round trip, listing, filters, deletion, ids, a read-only file."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from analysis import analyze
from analysis.errors import AnalysisNotFoundError, InvalidAnalysisIdError, StoreUnavailableError
from analysis.schema import TABLES
from analysis.store import Store, check_id

ARTICLE = ("Seoul summoned the Russian ambassador on Tuesday. “This is unacceptable,” said Foreign Minister "
           "Park Min-jun of South Korea. Moscow said it would respond.")


@pytest.fixture
def store(tmp_path) -> Store:
    return Store(f"sqlite:///{tmp_path / 'store.sqlite'}")


@pytest.fixture(scope="module")
def two_analyses():
    a = analyze(ARTICLE, title="Seoul protests", source="Wire", published="2024-06-20")
    b = analyze("Japan and the Philippines signed a defence agreement in Manila on Monday, officials said.",
                title="Tokyo and Manila sign pact", source="Other", published="2024-07-01")
    return a, dataclasses.replace(b, created="2099-01-01T00:00:00+00:00")  # made later than a


def test_round_trip_keeps_every_table(store, two_analyses) -> None:
    a, _ = two_analyses
    assert store.save(a) == a.article_id
    again = store.load(a.article_id)
    assert again.article.text == a.article.text and again.article.title == "Seoul protests"
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(a, name))


def test_saved_analyses_survive_a_restart(tmp_path, two_analyses) -> None:
    url = f"sqlite:///{tmp_path / 'store.sqlite'}"
    Store(url).save(two_analyses[0])
    assert Store(url).load(two_analyses[0].article_id).article_id == two_analyses[0].article_id


def test_saving_twice_keeps_one_row(store, two_analyses) -> None:
    store.save(two_analyses[0])
    store.save(two_analyses[0])
    assert store.count() == 1


def test_list_is_newest_first_and_filters(store, two_analyses) -> None:
    a, b = two_analyses
    store.save(a)
    store.save(b)
    assert list(store.list()["article_id"]) == [b.article_id, a.article_id]
    assert list(store.list(country="KOR")["article_id"]) == [a.article_id]
    assert list(store.list(source="Other")["article_id"]) == [b.article_id]
    assert list(store.list(search="manila")["article_id"]) == [b.article_id]
    assert list(store.list(published_from="2024-06-25")["article_id"]) == [b.article_id]
    assert "KOR" in store.list(country="KOR")["countries"].iloc[0]


def test_search_text_is_a_parameter_not_sql(store, two_analyses) -> None:
    store.save(two_analyses[0])
    assert len(store.list(search="' OR 1=1 --")) == 0
    assert len(store.list(search="%")) == 1  # a literal in a LIKE pattern, not an injection
    assert store.count() == 1


def test_delete(store, two_analyses) -> None:
    store.save(two_analyses[0])
    assert store.delete(two_analyses[0].article_id)
    assert not store.delete(two_analyses[0].article_id)
    with pytest.raises(AnalysisNotFoundError, match="no analysis with id"):
        store.load(two_analyses[0].article_id)


@pytest.mark.parametrize("bad", ["", "abc", "0123456789ABCDEFG", "../../etc/passwd", "'; DROP TABLE analyses;--",
                                 "0123456789abcdeg"])
def test_malformed_ids_are_refused(store, bad) -> None:
    with pytest.raises(InvalidAnalysisIdError, match="not an analysis id"):
        store.load(bad)


def test_ids_are_normalised() -> None:
    assert check_id(" 0123456789ABCDEF ") == "0123456789abcdef"


def test_a_read_only_store_gives_a_clear_error(tmp_path, two_analyses) -> None:
    path = tmp_path / "ro.sqlite"
    Store(f"sqlite:///{path}").save(two_analyses[0])
    read_only = Store(f"sqlite:///file:{path}?mode=ro&uri=true")  # read-only even for root
    assert read_only.load(two_analyses[0].article_id).article_id == two_analyses[0].article_id
    with pytest.raises(StoreUnavailableError, match="cannot write to the store"):
        read_only.save(two_analyses[1])


def test_an_unopenable_store_gives_a_clear_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreUnavailableError, match="cannot open the store"):
        Store(f"sqlite:///{blocker / 'sub' / 'store.sqlite'}")
