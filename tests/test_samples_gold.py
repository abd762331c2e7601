"""Checks that the sample articles in data/samples and their gold files are well formed and agree with each other."""

from __future__ import annotations

import datetime as dt
import json
import re
from pathlib import Path

import pytest

_SAMPLES = Path(__file__).resolve().parents[1] / "data" / "samples"
_SLUGS = sorted(p.name.removesuffix(".txt") for p in _SAMPLES.glob("*.txt"))

_TOP_KEYS = {"title", "source", "published", "actors", "countries", "statements"}
_ACTOR_KINDS = {"person", "organization", "country", "international", "group", "media"}
_STATEMENT_KINDS = {"direct", "indirect", "mixed", "action"}
_STANCES = {"concerned", "outraged", "protesting", "threatening", "supportive", "neutral"}
_ISO3 = re.compile(r"[A-Z]{3}")
_CURLY_QUOTES = ("\u201c", "\u201d")


def _text(slug: str) -> str:
    return (_SAMPLES / f"{slug}.txt").read_text(encoding="utf-8")


def _gold(slug: str) -> dict:
    return json.loads((_SAMPLES / f"{slug}.gold.json").read_text(encoding="utf-8"))


def _occurs(form: str, text: str) -> bool:
    """True if ``form`` occurs in ``text`` as a whole token sequence (case-sensitive)."""
    return re.search(rf"(?<!\w){re.escape(form)}(?!\w)", text) is not None


def test_there_are_samples_with_gold_and_readme():
    assert len(_SLUGS) >= 4
    assert (_SAMPLES / "README.md").is_file()
    for slug in _SLUGS:
        assert (_SAMPLES / f"{slug}.gold.json").is_file(), slug


@pytest.mark.parametrize("slug", _SLUGS)
def test_article_layout_and_length(slug: str):
    text = _text(slug)
    headline, blank, *body = text.split("\n")
    assert headline.strip() and headline == headline.strip()
    assert blank == ""
    assert "".join(body).strip()
    assert 300 <= len(text.split()) <= 1300  # the two long wire stories run to about 1,100 words
    assert text.count("\u201c") == text.count("\u201d"), "unbalanced curly quotes"
    assert text.count('"') % 2 == 0, "unbalanced straight quotes"


@pytest.mark.parametrize("slug", _SLUGS)
def test_gold_header(slug: str):
    gold = _gold(slug)
    assert set(gold) == _TOP_KEYS
    assert gold["title"] == _text(slug).split("\n", 1)[0]
    assert isinstance(gold["source"], str) and gold["source"]
    dt.date.fromisoformat(gold["published"])


@pytest.mark.parametrize("slug", _SLUGS)
def test_gold_actors(slug: str):
    gold, text = _gold(slug), _text(slug)
    names = [a["name"] for a in gold["actors"]]
    assert len(names) == len(set(names)), "duplicate actor names"
    for actor in gold["actors"]:
        kind = actor["kind"]
        assert kind in _ACTOR_KINDS, actor
        expected = {"name", "kind", "country", "aliases"} | ({"role"} if kind == "person" else set())
        assert set(actor) == expected, actor
        country = actor["country"]
        assert country is None or _ISO3.fullmatch(country), actor
        if kind == "country":
            assert country is not None, actor
        if kind in {"international", "media"}:
            assert country is None, actor
        if kind == "person":
            assert isinstance(actor["role"], str) and actor["role"], actor
        forms = [actor["name"], *actor["aliases"]]
        assert any(_occurs(form, text) for form in forms), f"{actor['name']} not in text"
        for alias in actor["aliases"]:
            assert _occurs(alias, text), f"alias {alias!r} of {actor['name']} not in text"


@pytest.mark.parametrize("slug", _SLUGS)
def test_gold_countries(slug: str):
    gold = _gold(slug)
    countries = gold["countries"]
    assert len(countries) == len(set(countries))
    assert all(_ISO3.fullmatch(code) for code in countries), countries
    involved = {a["country"] for a in gold["actors"] if a["kind"] != "media" and a["country"]}
    assert set(countries) == involved


@pytest.mark.parametrize("slug", _SLUGS)
def test_gold_statements(slug: str):
    gold, text = _gold(slug), _text(slug)
    body = text.split("\n", 2)[2]
    names = {a["name"] for a in gold["actors"]}
    assert gold["statements"]
    for stmt in gold["statements"]:
        assert set(stmt) == {"speaker", "kind", "cue", "content_starts", "stance", "targets"}, stmt
        assert stmt["speaker"] is None or stmt["speaker"] in names, stmt
        assert stmt["kind"] in _STATEMENT_KINDS, stmt
        assert isinstance(stmt["cue"], str) and stmt["cue"], stmt
        assert stmt["content_starts"] in body, stmt
        assert stmt["stance"] in _STANCES, stmt
        for target in stmt["targets"]:
            assert target in names or target in gold["countries"], stmt


def test_samples_cover_all_stances_kinds_and_quote_styles():
    stances, kinds, actor_kinds = set(), set(), set()
    curly = straight = 0
    for slug in _SLUGS:
        gold, text = _gold(slug), _text(slug)
        stances |= {stmt["stance"] for stmt in gold["statements"]}
        kinds |= {stmt["kind"] for stmt in gold["statements"]}
        actor_kinds |= {a["kind"] for a in gold["actors"]}
        curly += any(q in text for q in _CURLY_QUOTES)
        straight += '"' in text
    assert stances == _STANCES
    assert kinds == _STATEMENT_KINDS
    assert actor_kinds == _ACTOR_KINDS
    assert curly and straight
