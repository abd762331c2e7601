"""The command line, run as a user runs it: `python -m analysis ...` in a subprocess."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from analysis.settings import ROOT


def run(*args: str, stdin: bytes | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "analysis", *args], input=stdin, capture_output=True, cwd=ROOT,
                          timeout=120)


def test_analyze_prints_the_seed_actors_and_countries(shared: Path) -> None:
    proc = run("analyze", str(shared / "seeds" / "article-russia-north-korea.txt"))
    assert proc.returncode == 0, proc.stderr.decode()
    out = proc.stdout.decode()
    for expected in ("Vladimir Putin", "Matthew Miller", "State Department spokesperson", "Kim Jong-un",
                     "Georgy Zinoviev", "South Korea", "North Korea", "Vietnam", "Ukraine", "Israel", "media"):
        assert expected in out


def test_analyze_json_has_a_list_of_records_per_table(shared: Path) -> None:
    proc = run("analyze", str(shared / "seeds" / "article-russia-north-korea.txt"), "--json")
    assert proc.returncode == 0
    data = json.loads(proc.stdout)
    assert set(data["tables"]) == {"actors", "mentions", "countries", "statements"}
    actors = {a["name"]: a for a in data["tables"]["actors"]}
    assert actors["Matthew Miller"]["country"] == "USA"
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
