"""Golden tests: the seed article (read from ../shared; skipped with the reason where it is missing) and the sample
articles with their gold files (always run)."""

from __future__ import annotations

import pytest

from analysis.evaluate.actors import match_actors
from tests.conftest import SAMPLE_SLUGS


def _actor(result, name: str) -> dict:
    rows = result.actors[result.actors["name"] == name].to_dict(orient="records")
    assert rows, f"{name} not found among {result.actors['name'].tolist()}"
    return rows[0]


@pytest.mark.parametrize(
    ("name", "kind", "iso3", "role"),
    [
        ("Vladimir Putin", "person", "RUS", None),
        ("Matthew Miller", "person", "USA", "State Department spokesperson"),
        ("Kim Jong-un", "person", "PRK", None),
        ("Georgy Zinoviev", "person", "RUS", "ambassador"),
        ("The Guardian", "media", None, None),
    ],
)
def test_seed_people_and_media(seed_analysis, name, kind, iso3, role) -> None:
    actor = _actor(seed_analysis, name)
    assert actor["kind"] == kind
    assert (actor["country"] if isinstance(actor["country"], str) else None) == iso3
    if role:
        assert actor["role"] == role


def test_seed_aliases_merge_into_one_actor(seed_analysis) -> None:
    ids = seed_analysis.actors.set_index("actor_id")
    assert "Seoul" in ids.loc["country:KOR", "aliases"]
    assert {"Pyongyang", "the North"} <= set(ids.loc["country:PRK", "aliases"])
    assert "Putin" in ids.loc["person:vladimir-putin", "aliases"]
    assert "Miller" in ids.loc["person:matthew-miller", "aliases"]
    names = set(seed_analysis.actors["name"])
    assert not names & {"Seoul", "Pyongyang", "Putin", "Miller", "the North"}


def test_seed_countries(seed_analysis) -> None:
    countries = set(seed_analysis.countries["iso3"])
    assert {"RUS", "PRK", "KOR", "USA", "VNM", "UKR", "ISR"} <= countries
    assert "GBR" not in countries  # The Guardian is an outlet, not a party
    rus = seed_analysis.countries.set_index("iso3").loc["RUS"]
    assert {"Vladimir Putin", "Georgy Zinoviev", "Russia"} <= set(rus["actors"])
    assert seed_analysis.actors.set_index("name").loc["Hamas", "kind"] == "group"


@pytest.mark.parametrize("slug", SAMPLE_SLUGS)
def test_sample_actors_match_gold(sample_analyses, slug) -> None:
    result, gold = sample_analyses[slug]
    found = result.actors.to_dict(orient="records")
    pairs = match_actors(found, gold["actors"])
    precision, recall = len(pairs) / len(found), len(pairs) / len(gold["actors"])
    # measured 0.83-1.00 precision and 0.91-1.00 recall per sample; these floors catch regressions
    assert recall >= 0.85, [g["name"] for g in gold["actors"] if all(g is not p for _, p in pairs)]
    assert precision >= 0.75, [f["name"] for f in found if all(f is not p for p, _ in pairs)]
    kinds = sum(f["kind"] == g["kind"] for f, g in pairs) / len(pairs)
    assert kinds >= 0.9


@pytest.mark.parametrize("slug", SAMPLE_SLUGS)
def test_sample_countries_cover_gold(sample_analyses, slug) -> None:
    result, gold = sample_analyses[slug]
    assert set(gold["countries"]) <= set(result.countries["iso3"])


@pytest.mark.parametrize("slug", SAMPLE_SLUGS)
def test_sample_people_with_a_country_in_the_text_get_it(sample_analyses, slug) -> None:
    result, gold = sample_analyses[slug]
    pairs = match_actors(result.actors.to_dict(orient="records"), gold["actors"])
    with_country = [(f, g) for f, g in pairs if g.get("country")]
    right = sum(f["country"] == g["country"] for f, g in with_country)
    assert right / len(with_country) >= 0.6


def _statement(result, words: str) -> dict:
    rows = [s for s in result.statements.to_dict(orient="records") if words in s["content_text"]]
    assert rows, f"no statement with {words!r}: {result.statements['content_text'].tolist()}"
    return rows[0]


@pytest.mark.parametrize(
    ("words", "speaker", "cue", "kind"),
    [
        ("incredibly concerning", "Matthew Miller", "said", None),
        ("would destabilize", "Matthew Miller", "stated", None),
        ("various measures", "Joe Blinken", "said", "mixed"),
        ("summoned the Russian ambassador", "South Korea", "summoned", "action"),
        ("attempts to threaten Russia were unacceptable", "Georgy Zinoviev", "claimed", "indirect"),
        ("reciprocal supplies", "Vladimir Putin", "said", "indirect"),
        ("North Korea wants to receive aircraft", "United States", "believe", "indirect"),
    ],
)
def test_seed_statements(seed_analysis, words, speaker, cue, kind) -> None:
    stmt = _statement(seed_analysis, words)
    assert stmt["speaker"] == speaker
    assert stmt["cue_text"] == cue
    if kind:
        assert stmt["kind"] == kind


def test_seed_outlet_and_no_statements_from_the_link_list(seed_analysis) -> None:
    assert _statement(seed_analysis, "incredibly concerning")["outlet"] == "The Guardian"
    text = seed_analysis.article.text
    links = text.index("Read more")
    assert all(s < links for s in seed_analysis.statements["content_start"])


@pytest.mark.parametrize(
    ("starts", "cue"),
    [
        ("summoned China’s ambassador", "summoned"),
        ("lodged a formal diplomatic protest", "lodged"),
        ("This is not how a", "told"),
        ("Three of the boat’s four", "according to"),
        ("Manila had broken a promise", "claimed"),
        ("the Philippine boat had “illegally", "said"),
        ("If the Philippine side insists", "added"),
        ("Beijing of “coercive and reckless”", "accused"),
        ("Tokyo was “seriously concerned” by", "said"),
    ],
)
def test_article_statements(article_analysis, article_gold, starts, cue) -> None:
    """The sample's statements with the speaker and kind of its gold (found by the gold's `content_starts`)."""
    [gold] = [g for g in article_gold["statements"] if g["content_starts"].startswith(starts)]
    stmt = _statement(article_analysis, starts)
    assert (stmt["speaker"], stmt["kind"], stmt["cue_text"]) == (gold["speaker"], gold["kind"], cue)
