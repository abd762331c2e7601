"""The documentation tells the truth: settings, tables and commands in the README exist and are current."""

from __future__ import annotations

import re

from analysis.schema import markdown
from analysis.settings import ROOT, SETTINGS, load_settings

README = (ROOT / "README.md").read_text(encoding="utf-8")


def test_every_setting_is_documented_with_its_default() -> None:
    for setting in SETTINGS.values():
        row = next((line for line in README.splitlines() if line.startswith(f"| `{setting.env}`")), None)
        assert row, f"README lacks a row for {setting.env}"
        assert (setting.default or "(empty)") in row


def test_settings_have_defaults_and_help_and_parse() -> None:
    defaults = load_settings(env={})
    assert defaults.max_chars == 200_000
    assert defaults.database_url == ""
    assert defaults.data_dir == ROOT / "data" / "store"
    changed = load_settings(env={"STANCE_ATLAS_MAX_CHARS": "5000", "STANCE_ATLAS_DATA_DIR": "/tmp/sa"})
    assert changed.max_chars == 5000 and str(changed.data_dir) == "/tmp/sa"
    assert load_settings(env={"STANCE_ATLAS_MAX_CHARS": "1"}, overrides={"STANCE_ATLAS_MAX_CHARS": "7"}).max_chars == 7
    for setting in SETTINGS.values():
        assert setting.help.endswith(".")


def test_tables_doc_is_the_schema() -> None:
    assert (ROOT / "docs" / "tables.md").read_text(encoding="utf-8") == markdown(), \
        "run: python -m analysis schema > docs/tables.md"


def test_readme_has_exactly_two_setup_commands() -> None:
    block = re.search(r"## Quick start.*?```bash\n(.*?)```", README, re.S).group(1)
    commands = [line for line in block.splitlines() if line and not line.startswith("#")]
    assert len(commands) == 2
    assert "streamlit run app.py" in commands[0] and "requirements.txt" in commands[0]
    assert "pytest" in commands[1] and "requirements-dev.txt" in commands[1]
