"""Library and Trends with a store that cannot be opened: one clear message, no traceback."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis.settings import ROOT


@pytest.mark.parametrize("page", ["pages/library.py", "pages/trends.py"])
def test_unreachable_store_is_one_message(page: str, tmp_path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("DATABASE_URL", f"sqlite:///file:{tmp_path}/missing/store.sqlite?mode=ro&uri=true")
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=180)
    at.run()
    at.switch_page(page).run()
    assert not at.exception
    assert len(at.error) == 1 and "store" in at.error[0].value
