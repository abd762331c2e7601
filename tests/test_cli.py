"""The command line, run as a user runs it: `python -m analysis ...` in a subprocess."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.settings import ROOT
from tests.conftest import ARTICLE_SLUG, SAMPLES

#: the sample that stands for an article (tests/conftest.py)
ARTICLE = SAMPLES / f"{ARTICLE_SLUG}.txt"


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], input=stdin, capture_output=True, cwd=ROOT,
                          timeout=120)


def test_analyze_prints_the_article_s_actors_and_countries(article_gold) -> None:
    proc = run("analyze", str(ARTICLE))
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    people = [a["name"] for a in article_gold["actors"] if a["kind"] in ("person", "country")]
    assert len(people) == 13  # nine people and four countries
    for expected in (*people, "Foreign Secretary", "maritime security analyst", "Philippine News Agency", "media"):
        assert expected in out


def test_analyze_json_has_a_list_of_records_per_table() -> None:
    proc = run("analyze", str(ARTICLE), "--json")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert set(data["tables"]) == {"actors", "mentions", "countries", "statements"}
    actors = {a["name"]: a for a in data["tables"]["actors"]}
    assert actors["Daniel Whitford"]["country"] == "USA"
    assert data["models"]["spacy"].startswith("en_core_web_sm")


def test_analyze_reads_standard_input_and_reduces_html() -> None:
    html = b"<html><body><script>alert(1)</script><p>Seoul said on Monday that Japan had agreed.</p></body></html>"
    proc = run("analyze", "-", "--json", stdin=html)
    assert proc.returncode == 0, proc.stderr.decode()
    data = json.loads(proc.stdout)
    assert data["article"]["text"] == "Seoul said on Monday that Japan had agreed."
    assert {a["country"] for a in data["tables"]["actors"]} == {"KOR", "JPN"}


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (None, "no such file"),
        ("café".encode("latin-1") + b" au lait", "not UTF-8"),
        (b"", "empty"),
        (b"  \n\t \n", "empty"),
        (b"The talks went on. " * 10_600, "limit is 200,000"),
        (b"%PDF-1.4 binary", "binary"),
    ],
)
def test_bad_input_exits_2_with_one_line_and_no_traceback(tmp_path: Path, content, message) -> None:
    path = tmp_path / "article.txt"
    if content is not None:
        path.write_bytes(content)
    proc = run("analyze", str(path))
    err = proc.stderr.decode()
    assert proc.returncode == 2
    assert message in err
    assert "Traceback" not in err
    assert len(err.strip().splitlines()) == 1
    assert proc.stdout == b""


def test_a_folder_is_not_a_file(tmp_path: Path) -> None:
    proc = run("analyze", str(tmp_path))
    assert proc.returncode == 2 and "folder" in proc.stderr.decode()


def test_schema_prints_every_table() -> None:
    proc = run("schema")
    assert proc.returncode == 0
    for table in ("actors", "mentions", "countries", "statements"):
        assert f"### `{table}`" in proc.stdout.decode()


def test_corrections_export_writes_the_stance_fixes_in_the_training_format(tmp_path: Path, sample_analyses) -> None:
    from analysis.errors import InvalidInputLineError
    from analysis.settings import load_settings
    from analysis.store import Store
    from analysis.training.stance_codebook import correction_examples

    env = {"STANCE_ATLAS_DATA_DIR": str(tmp_path / "store"), "DATABASE_URL": ""}
    store = Store.from_settings(load_settings(env))
    analysis = sample_analyses["venezuela-guyana-essequibo-incursion"][0]
    store.save(analysis)
    sid = int(analysis.statements["statement_id"].iloc[-1])
    store.correct(analysis.article_id, kind="stance", statement_id=sid, value="threatening", made_by="a@x.org")
    person = next(a for a in analysis.actors["actor_id"] if a.startswith("person:"))
    store.correct(analysis.article_id, kind="country", actor_id=person, value="FRA", made_by="a@x.org")
    store.dispose()
    proc = subprocess.run([sys.executable, "-m", "analysis", "corrections", "export", "--jsonl"], capture_output=True,
                          cwd=ROOT, timeout=120, env={**os.environ, **env}, text=True)
    assert proc.returncode == 0, proc.stderr
    records = [json.loads(line) for line in proc.stdout.splitlines()]
    assert [(r["id"], r["label"], r["made_by"]) for r in records] == [(f"{analysis.article_id}:{sid}",
                                                                        "threatening", "a@x.org")]
    out = tmp_path / "fixes.jsonl"
    out.write_text(proc.stdout, encoding="utf-8")
    examples = correction_examples(str(out))
    assert [(e.label, e.source, e.group, e.content) for e in examples] == [
        ("threatening", "correction", records[0]["id"], records[0]["content"])]
    csv = subprocess.run([sys.executable, "-m", "analysis", "corrections", "export"], capture_output=True, cwd=ROOT,
                         timeout=120, env={**os.environ, **env}, text=True)
    assert csv.stdout.splitlines()[0].split(",")[2:5] == ["kind", "actor_id", "statement_id"]
    assert sorted(line.split(",")[2] for line in csv.stdout.splitlines()[1:]) == ["country", "stance"]
    out.write_text(proc.stdout.replace('"threatening"', '"furious"'), encoding="utf-8")
    with pytest.raises(InvalidInputLineError, match="not a stance"):
        correction_examples(str(out))
