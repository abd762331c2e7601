"""The dashboard through Streamlit's AppTest: paste an article, see its actors; bad input shows a message."""

from __future__ import annotations

import pytest
from streamlit.testing.v1 import AppTest

from analysis.settings import ROOT


@pytest.fixture
def app() -> AppTest:
    at = AppTest.from_file(str(ROOT / "app.py"), default_timeout=120)
    at.run()
    assert not at.exception
    return at


def test_home_page_renders_with_the_title(app: AppTest) -> None:
    assert any("Stance Atlas" in t.value for t in app.title)
    assert app.text_area and app.button


def test_pasting_the_seed_shows_its_actors_and_countries(app: AppTest, seed_text: str) -> None:
    app.text_area[0].input(seed_text)
    app.button[0].click().run()
    assert not app.exception and not app.error
    actors = app.dataframe[0].value
    assert {"Vladimir Putin", "Matthew Miller", "Kim Jong-un", "Georgy Zinoviev"} <= set(actors["name"])
    countries = app.dataframe[1].value
    assert {"RUS", "PRK", "KOR", "USA"} <= set(countries["iso3"])


@pytest.mark.parametrize(("text", "message"), [("", "empty"), ("   \n ", "empty"),
                                                ("Министр заявил в понедельник, что правительство направит "
                                                 "делегацию на переговоры.", "English")])
def test_bad_input_shows_a_message_not_a_traceback(app: AppTest, text: str, message: str) -> None:
    app.text_area[0].input(text)
    app.button[0].click().run()
    assert not app.exception
    assert any(message in e.value for e in app.error)
    assert not app.dataframe
