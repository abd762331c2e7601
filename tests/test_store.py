"""The analysis store on SQLite: round trip, listing, filters, deletion, ids, a read-only file."""

from __future__ import annotations

import dataclasses

import pandas as pd
import pytest

from analysis import analyze
from analysis.errors import AnalysisNotFoundError, CorrectionError, InvalidAnalysisIdError, StoreUnavailableError
from analysis.schema import TABLES
from analysis.store import SCHEMA_VERSION, Store, check_id

ARTICLE = ("Seoul summoned the Russian ambassador on Tuesday. “This is unacceptable,” said Foreign Minister "
           "Park Min-jun of South Korea. Moscow said it would respond.")


@pytest.fixture
def store(backend_url) -> Store:
    """A fresh store on each backend (conftest's `backend_url`: a SQLite file, and PostgreSQL on loopback)."""
    opened = Store(backend_url)
    opened.clear()
    yield opened
    opened.dispose()


@pytest.fixture(scope="module")
def two_analyses():
    a = analyze(ARTICLE, title="Seoul protests", source="Wire", published="2024-06-20")
    b = analyze("Japan and the Philippines signed a defence agreement in Manila on Monday, officials said.",
                title="Tokyo and Manila sign pact", source="Other", published="2024-07-01")
    return a, dataclasses.replace(b, created="2099-01-01T00:00:00+00:00")  # made later than a


def test_round_trip_keeps_every_table(store, two_analyses) -> None:
    a, _ = two_analyses
    assert store.save(a) is a  # no corrections: the analysis itself
    again = store.load(a.article_id)
    assert again.article.text == a.article.text and again.article.title == "Seoul protests"
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(again, name), getattr(a, name))


def test_saved_analyses_survive_a_restart(store, backend_url, two_analyses) -> None:
    store.save(two_analyses[0])
    store.dispose()
    assert Store(backend_url).load(two_analyses[0].article_id).article_id == two_analyses[0].article_id


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
    assert len(store.list(search="%")) == 0  # a literal %, not a LIKE wildcard
    assert len(store.list(search="seoul")) == 1
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


def test_a_read_only_sqlite_store_gives_a_clear_error(tmp_path, two_analyses) -> None:
    path = tmp_path / "ro.sqlite"
    Store(f"sqlite:///{path}").save(two_analyses[0])
    read_only = Store(f"sqlite:///file:{path}?mode=ro&uri=true")  # read-only even for root
    assert read_only.load(two_analyses[0].article_id).article_id == two_analyses[0].article_id
    with pytest.raises(StoreUnavailableError, match="cannot write to the store"):
        read_only.save(two_analyses[1])


def test_corrections_are_stored_with_who_and_applied_on_every_load(store, backend_url, two_analyses) -> None:
    a, _ = two_analyses
    store.save(a)
    actor = next(r for r in a.actors.to_dict(orient="records") if r["kind"] == "person")
    fixed = store.correct(a.article_id, kind="country", actor_id=actor["actor_id"], value="JPN",
                          made_by="analyst@example.org")
    assert fixed.actors.set_index("actor_id").loc[actor["actor_id"], "country"] == "JPN"
    again = Store(backend_url).load(a.article_id)
    assert again.actors.set_index("actor_id").loc[actor["actor_id"], "country"] == "JPN"
    assert "JPN" in set(again.countries["iso3"])
    assert list(store.list(country="JPN")["article_id"]) == [a.article_id]
    raw = store.load(a.article_id, corrected=False)
    assert str(raw.actors.set_index("actor_id").loc[actor["actor_id"], "country"]) != "JPN"
    log = store.corrections(a.article_id)
    assert list(log["made_by"]) == ["analyst@example.org"] and list(log["value"]) == ["JPN"]


def test_saving_again_returns_the_analysis_with_its_corrections(store, backend_url, two_analyses) -> None:
    a, _ = two_analyses
    store.save(a)
    actor = next(r for r in a.actors.to_dict(orient="records") if r["kind"] == "person")
    store.correct(a.article_id, kind="country", actor_id=actor["actor_id"], value="JPN", made_by="analyst@example.org")
    saved = store.save(a)  # the same article analysed again
    assert saved.actors.set_index("actor_id").loc[actor["actor_id"], "country"] == "JPN"
    assert "JPN" in set(saved.countries["iso3"]) and "JPN" not in set(a.countries["iso3"])
    for name in TABLES:
        pd.testing.assert_frame_equal(getattr(saved, name), getattr(Store(backend_url).load(a.article_id), name))


def test_merging_two_actors(store, two_analyses) -> None:
    a, _ = two_analyses
    store.save(a)
    ids = dict(zip(a.actors["name"], a.actors["actor_id"], strict=True))
    merged = store.correct(a.article_id, kind="merge", actor_id=ids["Russia"], value=ids["South Korea"],
                           made_by="anonymous")
    row = merged.actors.set_index("actor_id").loc[ids["South Korea"]]
    assert "Russia" in row["aliases"] and ids["Russia"] not in set(merged.actors["actor_id"])
    before = a.actors.set_index("actor_id")
    assert row["mention_count"] == before.loc[ids["Russia"], "mention_count"] + before.loc[ids["South Korea"],
                                                                                          "mention_count"]
    assert set(merged.mentions["actor_id"]) == set(merged.actors["actor_id"])


@pytest.mark.parametrize(("kind", "actor", "value", "message"), [
    ("country", "person:nobody", "FRA", "no actor"), ("country", None, "ZZZ", "not an ISO"),
    ("merge", None, None, "no actor"), ("rename", None, "x", "unknown correction")])
def test_bad_corrections_are_refused(store, two_analyses, kind, actor, value, message) -> None:
    a, _ = two_analyses
    store.save(a)
    with pytest.raises(CorrectionError, match=message):
        store.correct(a.article_id, kind=kind, actor_id=actor or a.actors["actor_id"].iloc[0], value=value,
                      made_by="x")


def test_stance_over_time_and_facets(store, two_analyses) -> None:
    a, b = two_analyses
    store.save(a)
    store.save(b)
    trend = store.stance_over_time()
    assert set(trend.columns) == {"date", "iso3", "stance", "statements", "articles"}
    assert set(trend["date"]) <= {"2024-06-20", "2024-07-01"}
    assert trend["statements"].sum() == a.statements["speaker_country"].notna().sum() + \
        b.statements["speaker_country"].notna().sum()
    facets = store.facets()
    assert facets["sources"] == ["Other", "Wire"] and "KOR" in facets["countries"]


def test_migrates_a_version_1_store(tmp_path, two_analyses) -> None:
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = Store(url)
    old.save(two_analyses[0])
    with old.engine.begin() as conn:  # make it look like a store written before version 2
        conn.execute(text("DELETE FROM analysis_stances"))
        conn.execute(text("UPDATE schema_version SET version = 1"))
    old.dispose()
    reopened = Store(url)
    assert reopened.version() == SCHEMA_VERSION
    assert len(reopened.stance_over_time()) > 0


def test_migrates_a_version_2_store_to_statement_corrections(tmp_path, two_analyses) -> None:
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = Store(url)
    a = two_analyses[0]
    old.save(a)
    actor = next(r["actor_id"] for r in a.actors.to_dict(orient="records") if r["kind"] == "person")
    old.correct(a.article_id, kind="country", actor_id=actor, value="JPN", made_by="analyst@example.org")
    with old.engine.begin() as conn:  # make it look like a store written before version 3
        conn.execute(text("ALTER TABLE corrections DROP COLUMN statement_id"))
        conn.execute(text("UPDATE schema_version SET version = 2"))
    old.dispose()
    reopened = Store(url)
    assert reopened.version() == SCHEMA_VERSION
    sid = int(a.statements["statement_id"].iloc[0])
    fixed = reopened.correct(a.article_id, kind="stance", statement_id=sid, value="threatening", made_by="b@x.org")
    assert fixed.actors.set_index("actor_id").loc[actor, "country"] == "JPN"  # the old correction still applies
    assert fixed.statements.set_index("statement_id").loc[sid, "stance"] == "threatening"
    log = reopened.corrections(a.article_id)
    assert list(log["kind"]) == ["country", "stance"] and log["statement_id"].isna().tolist() == [True, False]


def test_migrates_a_version_3_store_to_opening_words(tmp_path, two_analyses) -> None:
    from sqlalchemy import text

    url = f"sqlite:///{tmp_path / 'old.sqlite'}"
    old = Store(url)
    a = two_analyses[0]
    old.save(a)
    with old.engine.begin() as conn:  # make it look like a store written before version 4
        conn.execute(text("ALTER TABLE analyses DROP COLUMN opening"))
        conn.execute(text("UPDATE schema_version SET version = 3"))
    old.dispose()
    reopened = Store(url)
    assert reopened.version() == SCHEMA_VERSION == 4
    listed = reopened.list()
    first = " ".join(a.article.text.split()[:5])
    assert listed["opening"].iloc[0].startswith(first) and listed["opening"].iloc[0].endswith("…")
    # the Library's search finds an analysis by its opening words too
    assert list(reopened.list(search=a.article.text.split()[1].upper())["article_id"]) == [a.article_id]


def test_stance_and_target_corrections_are_stored_and_applied(store, backend_url, two_analyses) -> None:
    a, _ = two_analyses
    store.save(a)
    said = a.statements.dropna(subset=["speaker_actor_id", "speaker_country"]).iloc[0]
    sid = int(said["statement_id"])
    new = "protesting" if said["stance"] != "protesting" else "supportive"
    target = next(r for r in a.actors.to_dict(orient="records")
                  if r["actor_id"] != said["speaker_actor_id"] and isinstance(r["country"], str)
                  and r["country"] != said["speaker_country"])
    store.correct(a.article_id, kind="stance", statement_id=sid, value=new, made_by="analyst@example.org")
    store.correct(a.article_id, kind="target", statement_id=sid, value=target["actor_id"], made_by="b@example.org")
    again = Store(backend_url).load(a.article_id)
    row = again.statements.set_index("statement_id").loc[sid]
    assert (row["stance"], row["stance_method"], bool(row["stance_uncertain"])) == (new, "correction", False)
    assert list(row["targets"]) == [target["name"]] and list(row["target_countries"]) == [target["country"]]
    speaker = again.actors.set_index("actor_id").loc[said["speaker_actor_id"]]
    assert speaker["stance_toward"][target["name"]] == new
    log = store.corrections(a.article_id)
    assert list(zip(log["kind"], log["statement_id"], log["actor_id"], log["made_by"], strict=True)) == [
        ("stance", sid, said["speaker_actor_id"], "analyst@example.org"),
        ("target", sid, said["speaker_actor_id"], "b@example.org")]
    assert list(store.corrections(kinds=("stance",))["kind"]) == ["stance"]


@pytest.mark.parametrize(("kind", "statement", "value", "message"), [
    ("stance", 999, "threatening", "no statement #999"), ("stance", 0, "angry", "not a stance"),
    ("stance", None, "neutral", "not a statement number"), ("target", 0, "person:nobody", "no actor")])
def test_bad_statement_corrections_are_refused(store, two_analyses, kind, statement, value, message) -> None:
    a, _ = two_analyses
    store.save(a)
    with pytest.raises(CorrectionError, match=message):
        store.correct(a.article_id, kind=kind, statement_id=statement, value=value, made_by="x")


def test_an_unopenable_store_gives_a_clear_error(tmp_path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("not a folder")
    with pytest.raises(StoreUnavailableError, match="cannot open the store"):
        Store(f"sqlite:///{blocker / 'sub' / 'store.sqlite'}")


def test_undated_analyses_are_counted_and_can_be_left_out_of_trends(store, two_analyses) -> None:
    a, _ = two_analyses
    undated = analyze(ARTICLE, title="Seoul protests (no date)")
    store.save(a)
    store.save(undated)
    assert store.count() == 2 and store.count(undated=True) == 1
    spoken = int(a.statements["speaker_country"].notna().sum())
    dated = store.stance_over_time(dated_only=True)
    assert set(dated["date"]) == {"2024-06-20"} and dated["statements"].sum() == spoken
    everything = store.stance_over_time()
    assert set(everything["date"]) == {"2024-06-20", undated.created[:10]}  # undated: on the day it was saved
    assert everything["statements"].sum() == 2 * spoken


def test_list_filters_by_actor_and_date_range_together(store, two_analyses) -> None:
    a, b = two_analyses
    store.save(a)
    store.save(b)
    person = next(r["name"] for r in a.actors.to_dict(orient="records") if r["kind"] == "person")
    assert person in store.facets()["actors"]
    assert list(store.list(actor=person)["article_id"]) == [a.article_id]
    assert list(store.list(published_from="2024-06-01", published_to="2024-06-30")["article_id"]) == [a.article_id]
    assert len(store.list(actor=person, published_from="2024-06-25")) == 0
    assert len(store.list(actor="' OR '1'='1")) == 0
