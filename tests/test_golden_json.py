"""Golden outputs: `python -m analysis analyze FILE --json` for the samples and the seed must not change by accident.

The files in `tests/golden/` hold the whole JSON (without the volatile `created`) for each sample article; for the
seed (whose text stays in ../shared) only the sha256 of that JSON. A change of the pipeline that is meant to change
the output updates them on purpose: `STANCE_ATLAS_UPDATE_GOLDEN=1 python -m pytest tests/test_golden_json.py`.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
from pathlib import Path

import pytest

from analysis.cli import main
from tests.conftest import SAMPLE_SLUGS, SAMPLES

GOLDEN = Path(__file__).parent / "golden"
_UPDATE = os.environ.get("STANCE_ATLAS_UPDATE_GOLDEN") == "1"


def _analyze_json(path: Path) -> dict:
    out = io.StringIO()
    assert main(["analyze", str(path), "--json"], out=out) == 0
    data = json.loads(out.getvalue())
    assert data.pop("created")
    return data


@pytest.mark.parametrize("slug", SAMPLE_SLUGS)
def test_sample_output_unchanged(slug: str) -> None:
    data = _analyze_json(SAMPLES / f"{slug}.txt")
    golden = GOLDEN / f"{slug}.json"
    text = json.dumps(data, ensure_ascii=False, indent=1) + "\n"
    if _UPDATE:
        golden.write_text(text, encoding="utf-8")
    expected = golden.read_text(encoding="utf-8")
    if text != expected:
        want = json.loads(expected)
        for table, rows in want["tables"].items():
            assert data["tables"][table] == rows, f"table {table} differs from {golden}"
        assert data == want
    assert text == expected


def test_seed_output_unchanged(seed_path: Path) -> None:
    data = _analyze_json(seed_path)
    digest = hashlib.sha256(json.dumps(data, ensure_ascii=False).encode()).hexdigest()
    golden = GOLDEN / "seed.sha256"
    if _UPDATE:
        golden.write_text(digest + "\n", encoding="utf-8")
    assert digest == golden.read_text(encoding="utf-8").strip(), "the seed's analysis changed"
