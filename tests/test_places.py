"""The place gazetteer: real GeoNames lookups, ambiguity decided by context then population, the common-word guard."""

from __future__ import annotations

import time
import timeit

import pytest

from analysis.rules.places import ATTRIBUTION, KINDS, PLACES_PATH, Places, fold, is_common_word, load_places


@pytest.fixture(scope="module")
def places() -> Places:
    return load_places()


@pytest.mark.parametrize(
    ("name", "iso3"),
    [("Kharkiv", "UKR"), ("Mosul", "IRQ"), ("Kiev", "UKR"), ("Kyiv", "UKR"), ("Gaza City", "PSE"),
     ("Bombay", "IND"), ("Peking", "CHN"), ("Kharkov", "UKR"), ("Avdiivka", "UKR"), ("Idlib", "SYR"),
     ("Tigray", "ETH"), ("Cabo Delgado", "MOZ"), ("North Darfur", "SDN"), ("Darfur", "SDN"), ("Crimea", "UKR"),
     ("West Bank", "PSE"), ("Gaza Strip", "PSE"), ("Golan Heights", "SYR"), ("Bucha", "UKR"), ("Mariupol", "UKR"),
     ("Aleppo", "SYR"), ("Sanaa", "YEM"), ("Hyderabad", "IND"), ("Tripoli", "LBY"), ("Florence", "ITA")],
)
def test_resolves_to_its_country(places: Places, name: str, iso3: str) -> None:
    resolution = places.resolve(name)
    assert resolution is not None and resolution.iso3 == iso3, (name, resolution)


def test_case_and_diacritics_do_not_matter(places: Places) -> None:
    assert places.resolve("KHARKIV").iso3 == places.resolve("kharkiv").iso3 == "UKR"
    assert places.resolve("Lodz").iso3 == places.resolve("Łódź").iso3 == "POL"
    assert places.resolve("Sana'a").iso3 == places.resolve("Sanaa").iso3 == "YEM"
    assert places.resolve("Ivano Frankivsk").iso3 == "UKR"
    assert fold("  St.  Petersburg ") == fold("St Petersburg") == "st petersburg"


def test_kiev_and_kyiv_are_one_city(places: Places) -> None:
    kiev = [p for p in places.candidates("Kiev") if p.kind == "city"]
    kyiv = [p for p in places.candidates("Kyiv") if p.kind == "city"]
    assert kiev and kyiv and kiev[0] == kyiv[0]
    assert kiev[0].name == "Kyiv" and kiev[0].geonameid == 703448 and kiev[0].population > 2_000_000


def test_gaza_city_is_gaza(places: Places) -> None:
    (city,) = places.candidates("Gaza City")
    assert city.name == "Gaza" and city.iso3 == "PSE" and city.kind == "city"


def test_darfur_is_a_region_of_sudan(places: Places) -> None:
    (darfur,) = places.candidates("Darfur")
    assert darfur.kind == "territory" and darfur.iso3 == "SDN" and darfur.population > 1_000_000
    assert places.candidates("North Darfur")[0].kind == "admin1"


@pytest.mark.parametrize(
    ("name", "context", "iso3"),
    [("Tripoli", ["LBY"], "LBY"), ("Tripoli", ["LBN"], "LBN"), ("Tripoli", ["LBN", "LBN", "LBY"], "LBN"),
     ("Hyderabad", ["PAK"], "PAK"), ("Hyderabad", ["IND"], "IND"), ("Kashmir", ["PAK"], "PAK"),
     ("Kashmir", ["IND", "IND", "PAK"], "IND"), ("Perth", ["GBR"], "GBR"), ("Birmingham", ["USA"], "USA")],
)
def test_context_decides(places: Places, name: str, context: list[str], iso3: str) -> None:
    resolution = places.resolve(name, context)
    assert resolution.iso3 == iso3 and resolution.reason == "context"
    assert 0 < resolution.confidence <= 1


def test_context_outside_the_candidates_is_ignored(places: Places) -> None:
    assert places.resolve("Tripoli", ["USA", "FRA"]) == places.resolve("Tripoli")


def test_population_decides_without_context(places: Places) -> None:
    resolution = places.resolve("Tripoli")
    assert resolution.reason == "population" and resolution.iso3 == "LBY"
    assert 0.5 < resolution.confidence < 1 and resolution.candidates >= 2
    paris = places.resolve("Paris")
    assert paris.iso3 == "FRA" and paris.confidence > 0.9


def test_one_country_is_certain(places: Places) -> None:
    resolution = places.resolve("Mosul")
    assert resolution.reason == "only" and resolution.confidence == 1.0


def test_unknown_names(places: Places) -> None:
    assert places.resolve("Nowhereville Xyz") is None
    assert places.candidates("") == []
    assert "Kharkiv" in places and "Nowhereville Xyz" not in places


@pytest.mark.parametrize("name", ["Of", "Mobile", "Split", "Reading", "Bath", "Nice", "Florence", "Orange", "Sale"])
def test_common_words_are_guarded(places: Places, name: str) -> None:
    assert places.candidates(name), name  # they are places ...
    assert is_common_word(name) and is_common_word(name.lower())  # ... and words or names too


@pytest.mark.parametrize("name", ["Kharkiv", "Mosul", "Paris", "Berlin", "Tripoli", "Hyderabad", "Kiev", "Shanghai"])
def test_place_names_are_not_common_words(name: str) -> None:
    assert not is_common_word(name)


def test_alternate_names_that_are_words_or_other_places_are_left_out(places: Places) -> None:
    # GeoNames lists "Logos" for Lagos, "Soul" for Seoul, "White House" for Casablanca, "Islamabad" for Chattogram
    assert all(p.iso3 != "NGA" for p in places.candidates("Logos"))
    assert all(p.iso3 != "KOR" for p in places.candidates("Soul"))
    assert all(p.iso3 != "MAR" for p in places.candidates("White House"))
    assert places.resolve("Islamabad").iso3 == "PAK"


def test_the_file(places: Places) -> None:
    size = PLACES_PATH.stat().st_size
    assert size < 8_000_000, size
    lines = PLACES_PATH.read_text(encoding="utf-8").splitlines()
    assert any(ATTRIBUTION in line for line in lines if line.startswith("#"))
    header = next(line for line in lines if not line.startswith("#"))
    assert header.split("\t") == ["name", "iso3", "kind", "population", "lat", "lon", "admin1", "geonameid"]
    rows = [line.split("\t") for line in lines[lines.index(header) + 1:]]
    assert len(rows) == len(places) > 50_000
    assert all(len(r) == 8 and len(r[1]) == 3 and r[1].isupper() and r[2] in KINDS for r in rows)
    assert {r[2] for r in rows} == set(KINDS)


def test_load_and_lookup_are_fast() -> None:
    start = time.perf_counter()
    fresh = Places()
    load = time.perf_counter() - start
    assert load < 1.5, load  # about 0.25 s on a quiet core; generous for a loaded CI machine
    fresh.resolve("Tripoli", ("LBN",))
    per_call = timeit.timeit(lambda: fresh.resolve("Tripoli", ("LBN",)), number=2000) / 2000
    assert per_call < 100e-6, per_call
