"""Actor detection on short texts: aliases merged into one actor, kinds, roles and countries."""

from __future__ import annotations

import pytest

from analysis import analyze


def actors(text: str) -> dict[str, dict]:
    result = analyze(text)
    return {row["name"]: row for row in result.actors.to_dict(orient="records")}


def by_id(text: str) -> dict[str, dict]:
    return {row["actor_id"]: row for row in analyze(text).actors.to_dict(orient="records")}


@pytest.mark.parametrize(
    ("text", "full", "short"),
    [
        ("Chancellor Ingrid Halvorsen met the envoy on Monday. Halvorsen said the talks had gone well.",
         "Ingrid Halvorsen", "Halvorsen"),
        ("Defence Minister Rustam Akhmedov visited the base. Later, Akhmedov said the troops were ready.",
         "Rustam Akhmedov", "Akhmedov"),
        ("Kim Yo-jong, a senior official, issued a statement. Kim said the drills were a rehearsal for war.",
         "Kim Yo-jong", "Kim"),
    ],
)
def test_surname_joins_the_full_name(text: str, full: str, short: str) -> None:
    found = actors(text)
    assert full in found
    assert short in found[full]["aliases"]
    assert short not in found  # no separate actor
    assert found[full]["mention_count"] == 2


@pytest.mark.parametrize(
    ("text", "iso3", "aliases"),
    [
        ("Seoul summoned the envoy. South Korea said the deal was a threat.", "KOR", {"Seoul"}),
        ("The Kremlin denied the report, and Moscow said Russia would respond.", "RUS", {"Kremlin", "Moscow"}),
        ("The White House said the United States and America's allies agreed. Washington welcomed it.",
         "USA", {"White House", "America", "Washington"}),
        ("The U.S. and the UK signed the pact. Britain said the US had agreed.", "USA", {"U.S.", "US"}),
        ("Beijing protested, and a Chinese spokesperson said China was ready.", "CHN", {"Beijing", "Chinese"}),
    ],
)
def test_capitals_metonyms_demonyms_and_short_forms_join_their_country(text, iso3, aliases) -> None:
    found = by_id(text)
    country = found[f"country:{iso3}"]
    assert country["kind"] == "country" and country["country"] == iso3
    assert aliases <= set(country["aliases"]) | {country["name"]}


def test_the_north_is_north_korea_only_in_an_article_about_the_koreas() -> None:
    korea = by_id("Pyongyang fired a missile on Sunday. Seoul said the North had violated the agreement.")
    assert "the North" in korea["country:PRK"]["aliases"]
    assert "Pyongyang" in korea["country:PRK"]["aliases"]
    elsewhere = by_id("Voters in the North of England went to the polls as the South stayed calm.")
    assert "country:PRK" not in elsewhere and "country:KOR" not in elsewhere


@pytest.mark.parametrize(
    ("text", "name", "role", "iso3"),
    [
        ("“It is incredibly concerning,” said Laura Fenwick, a US State Department spokesperson.",
         "Laura Fenwick", "State Department spokesperson", "USA"),
        ("Russian ambassador Pavel Orlov said the move was unacceptable.", "Pavel Orlov", "ambassador", "RUS"),
        ("US President Daniel Archer said his country would consider various measures.",
         "Daniel Archer", "President", "USA"),
        ("Iran's foreign minister, Reza Tavakoli, rejected the resolution.",
         "Reza Tavakoli", "foreign minister", "IRN"),
        ("Philippine Foreign Secretary Elena Marquez spoke to reporters.", "Elena Marquez", "Foreign Secretary", "PHL"),
    ],
)
def test_role_and_country_from_titles_and_appositions(text, name, role, iso3) -> None:
    person = actors(text)[name]
    assert person["kind"] == "person"
    assert person["role"] == role
    assert person["country"] == iso3


def test_a_bare_name_gets_no_country_but_a_known_office_holder_does() -> None:
    found = actors("Martin Okafor said the plan would fail. Vladimir Putin said nothing.")
    assert found["Martin Okafor"]["country"] is None or str(found["Martin Okafor"]["country"]) == "<NA>"
    assert found["Vladimir Putin"]["country"] == "RUS"
    assert found["Vladimir Putin"]["country_evidence"] == "known_person"


@pytest.mark.parametrize(
    ("text", "name", "kind", "iso3"),
    [
        ("The UN Security Council met on Friday.", "UN Security Council", "international", None),
        ("NATO said the alliance would stay united.", "NATO", "international", None),
        ("Hamas attacked Israel in 2023.", "Hamas", "group", None),
        ("The US State Department issued a warning.", "State Department", "organization", "USA"),
        ("The Russian Foreign Ministry summoned the envoy.", "Russian Foreign Ministry", "organization", "RUS"),
        ("Officials spoke to Reuters on Tuesday.", "Reuters", "media", None),
        ("The claim was reported by The Guardian.", "The Guardian", "media", None),
    ],
)
def test_kinds_and_countries_of_non_people(text, name, kind, iso3) -> None:
    actor = actors(text)[name]
    assert actor["kind"] == kind
    assert (actor["country"] if isinstance(actor["country"], str) else None) == iso3


def test_generic_state_bodies_of_two_countries_stay_apart() -> None:
    found = actors("The Chinese Foreign Ministry said one thing; the French Foreign Ministry said another.")
    assert found["Chinese Foreign Ministry"]["country"] == "CHN"
    assert found["French Foreign Ministry"]["country"] == "FRA"


def test_ambiguous_country_names_need_ner() -> None:
    found = actors("Chad Williams, a farmer, said the harvest was poor. Jordan Lee agreed with him.")
    assert "Chad" not in found and "Jordan" not in found
    assert "Chad Williams" in found


def test_place_names_inside_other_names_are_not_countries() -> None:
    found = by_id("Ships sailed through the South China Sea while officials in New Mexico watched.")
    assert "country:CHN" not in found and "country:MEX" not in found


def test_a_capital_named_only_as_a_venue_is_not_a_party() -> None:
    found = by_id("The board met in Vienna on Wednesday. Iran said the resolution was illegal.")
    assert "country:AUT" not in found
    assert "country:IRN" in found


def test_mentions_point_into_the_text() -> None:
    text = "Seoul summoned the Russian ambassador. The Kremlin said Moscow would respond."
    result = analyze(text)
    for row in result.mentions.to_dict(orient="records"):
        assert text[row["start"]:row["end"]] == row["text"]
    assert set(result.mentions["actor_id"]) == set(result.actors["actor_id"])
