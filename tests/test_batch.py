"""The batch command: a folder of articles into the store on a local Dask cluster, resumable."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest

from analysis.errors import InputFileNotFoundError
from analysis.settings import load_settings
from analysis.store import Store
from analysis.tools.batch import read_folder, run_batch
from tests.conftest import SAMPLE_SLUGS, SAMPLES


def _folder(tmp_path: Path) -> Path:
    folder = tmp_path / "articles"
    (folder / "sub").mkdir(parents=True)
    shutil.copy(SAMPLES / f"{SAMPLE_SLUGS[0]}.txt", folder / f"{SAMPLE_SLUGS[0]}.txt")
    text = (SAMPLES / f"{SAMPLE_SLUGS[1]}.txt").read_text(encoding="utf-8")
    html = f"<html><head><title>Shoal row</title><script>alert(1)</script></head><body><p>{text}</p></body></html>"
    (folder / "sub" / "page.html").write_text(html, encoding="utf-8")
    lines = [json.dumps({"id": "a", "text": (SAMPLES / f"{SAMPLE_SLUGS[2]}.txt").read_text(encoding="utf-8"),
                         "title": "Board vote", "source": "Wire", "published": "2026-10-02"}),
             "{broken",
             json.dumps({"id": "empty", "text": "   "})]
    (folder / "more.jsonl").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (folder / "latin1.txt").write_bytes("Caf\xe9 r\xe9sum\xe9 na\xefve".encode("latin-1"))
    (folder / "notes.md").write_text("not an article file", encoding="utf-8")
    return folder


def test_read_folder_takes_metadata_and_reports_unreadable_files(tmp_path: Path) -> None:
    items, bad = read_folder(_folder(tmp_path), source="Desk")
    by_origin = {i.origin: i for i in items}
    assert set(by_origin) == {f"{SAMPLE_SLUGS[0]}.txt", "sub/page.html", "more.jsonl:1 (a)", "more.jsonl:3 (empty)"}
    assert by_origin[f"{SAMPLE_SLUGS[0]}.txt"].title == SAMPLE_SLUGS[0].replace("-", " ")
    assert by_origin["sub/page.html"].title is None  # the page's <title> is taken when it is analysed
    assert by_origin["more.jsonl:1 (a)"].source == "Wire" and by_origin["more.jsonl:1 (a)"].published == "2026-10-02"
    assert by_origin[f"{SAMPLE_SLUGS[0]}.txt"].source == "Desk"
    assert {o for o, _ in bad} == {"more.jsonl:2", "latin1.txt"}
    assert "UTF-8" in dict(bad)["latin1.txt"]


def test_missing_or_empty_folder_is_one_clear_error(tmp_path: Path) -> None:
    with pytest.raises(InputFileNotFoundError, match="no such folder"):
        read_folder(tmp_path / "nope")
    with pytest.raises(InputFileNotFoundError, match="holds no"):
        read_folder(tmp_path)


def test_batch_stores_every_article_and_resumes(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("STANCE_ATLAS_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.delenv("DATABASE_URL", raising=False)
    settings = load_settings()
    folder = _folder(tmp_path)
    report = run_batch(folder, workers=1, settings=settings, progress=False)
    assert len(report.analysed) == 3 and not report.skipped
    assert {o for o, _ in report.failed} == {"more.jsonl:2", "more.jsonl:3 (empty)", "latin1.txt"}
    store = Store.from_settings(settings)
    try:
        listed = store.list()
        assert set(listed["article_id"]) == set(report.analysed)
        assert set(listed["title"]) == {SAMPLE_SLUGS[0].replace("-", " "), "Shoal row", "Board vote"}
        for aid in report.analysed:
            analysis = store.load(aid)
            assert len(analysis.actors) and len(analysis.statements)
            assert analysis.mentions["sentiment"].notna().all()
    finally:
        store.dispose()
    again = run_batch(folder, workers=1, settings=settings, progress=False)
    assert not again.analysed and sorted(again.skipped) == sorted(report.analysed)


def test_a_worker_saves_its_chunk_itself_or_hands_analyses_back(tmp_path: Path) -> None:
    from analysis.pipeline import Analysis
    from analysis.tools.batch import BatchItem, analyse_and_save, chunk_size

    text = (SAMPLES / f"{SAMPLE_SLUGS[1]}.txt").read_text(encoding="utf-8")
    items = [BatchItem("one.txt", text, title="Shoal one"), BatchItem("blank.txt", "  "),
             BatchItem("two.txt", text, title="Shoal two")]
    url = f"sqlite:///{tmp_path / 'store.db'}"
    saved = analyse_and_save(items, url)
    assert [(origin, error is None) for origin, _, error in saved] == [
        ("one.txt", True), ("blank.txt", False), ("two.txt", True)]
    assert "empty" in saved[1][2]
    store = Store(url)
    try:
        assert set(store.list()["article_id"]) == {saved[0][1], saved[2][1]}
        assert store.load(saved[0][1]).statements.shape[0] > 0
    finally:
        store.dispose()
    handed = analyse_and_save(items[:1], None)  # remote workers, SQLite here: the analysis comes back as data
    assert Analysis.from_dict(handed[0][1]).article_id == saved[0][1]
    assert [chunk_size(n, w) for n, w in ((3, 2), (40, 2), (1000, 2), (40, 1))] == [1, 5, 8, 8]
