"""The code passes ruff with the project's settings (pyproject.toml)."""

from __future__ import annotations

import subprocess
import sys

from analysis.settings import ROOT


def test_ruff_passes() -> None:
    proc = subprocess.run([sys.executable, "-m", "ruff", "check", "."], cwd=ROOT, capture_output=True, timeout=120)
    assert proc.returncode == 0, proc.stdout.decode()[-3000:]
