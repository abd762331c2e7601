"""Many sessions at once on one store: 8 writers and 8 readers, on SQLite and PostgreSQL; nothing lost or corrupt.

`STANCE_ATLAS_CONCURRENCY_ROUNDS=20 python -m pytest tests/test_concurrency.py` repeats the whole test 20 times.
"""

from __future__ import annotations

import hashlib
import json
import os
import random
import threading

import pytest

from analysis import analyze
from analysis.pipeline import Analysis
from analysis.store import Store

WRITERS = 8
READERS = 8
PER_WRITER = 10
ROUNDS = int(os.environ.get("STANCE_ATLAS_CONCURRENCY_ROUNDS", "1"))


@pytest.fixture(scope="module")
def template() -> dict:
    return analyze("Seoul summoned the Russian ambassador on Tuesday. “This is unacceptable,” said Foreign "
                   "Minister Park Min-jun. Moscow said it would respond in kind.", published="2024-06-20").to_dict()


def _variant(template: dict, writer: int, n: int) -> Analysis:
    data = json.loads(json.dumps(template))
    new_id = hashlib.sha256(f"{writer}-{n}".encode()).hexdigest()[:16]
    data["article_id"] = new_id
    data["article"]["title"] = f"writer {writer} article {n}"
    for rows in data["tables"].values():
        for row in rows:
            row["article_id"] = new_id
    return Analysis.from_dict(data)


@pytest.mark.parametrize("round_", range(ROUNDS))
def test_concurrent_writers_and_readers_lose_nothing(backend_url, template, round_) -> None:
    Store(backend_url).clear()
    shared = _variant(template, -1, 0)
    expected = {a.article_id: a for w in range(WRITERS) for a in (_variant(template, w, n) for n in range(PER_WRITER))}
    expected[shared.article_id] = shared
    errors: list[BaseException] = []
    done = threading.Event()
    start = threading.Barrier(WRITERS + READERS)

    def writer(w: int) -> None:
        try:
            store = Store(backend_url)
            start.wait()
            mine = [expected[_variant(template, w, n).article_id] for n in range(PER_WRITER)]
            for n, analysis in enumerate(mine):
                store.save(analysis, saved_by=f"writer{w}@example.org")
                if n == PER_WRITER // 2:
                    store.save(shared, saved_by=f"writer{w}@example.org")  # all writers save one id at once
            store.dispose()
        except BaseException as exc:
            errors.append(exc)

    def reader(r: int) -> None:
        try:
            store = Store(backend_url)
            start.wait()
            rng = random.Random(r)
            while not done.is_set():
                listed = store.list(limit=500)
                for aid in rng.sample(list(listed["article_id"]), min(3, len(listed))):
                    loaded = store.load(aid)
                    assert loaded.article_id == aid
                    assert len(loaded.actors) == len(expected[aid].actors)
                store.stance_over_time()
            store.dispose()
        except BaseException as exc:
            errors.append(exc)

    threads = [threading.Thread(target=writer, args=(w,)) for w in range(WRITERS)]
    readers = [threading.Thread(target=reader, args=(r,)) for r in range(READERS)]
    for t in threads + readers:
        t.start()
    for t in threads:
        t.join(timeout=300)
    done.set()
    for t in readers:
        t.join(timeout=60)
    assert not errors, errors[:3]

    store = Store(backend_url)
    assert store.count() == len(expected) == WRITERS * PER_WRITER + 1
    for aid, analysis in expected.items():
        loaded = store.load(aid)
        assert loaded.to_dict()["tables"] == analysis.to_dict()["tables"], aid
        assert loaded.article.title == analysis.article.title
    listed = store.list(limit=500)
    assert set(listed["article_id"]) == set(expected)
    assert listed["saved_by"].str.endswith("@example.org").all()
    store.dispose()
