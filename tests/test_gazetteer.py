"""The gazetteer: lookups, and that countries.json is what the build makes from pycountry and countryinfo."""

from __future__ import annotations

import json
import re

import pytest

from analysis.rules.gazetteer import GAZETTEER_DIR, build_countries, load_gazetteer


@pytest.mark.parametrize(
    ("surface", "iso3"),
    [("US", "USA"), ("U.S.", "USA"), ("America", "USA"), ("White House", "USA"), ("UK", "GBR"), ("Britain", "GBR"),
     ("Kremlin", "RUS"), ("Russian", "RUS"), ("Pyongyang", "PRK"), ("Seoul", "KOR"), ("the United States", "USA"),
     ("Kyiv", "UKR"), ("Kosovo", "XKX"), ("Türkiye", "TUR"), ("Ivory Coast", "CIV"), ("Burma", "MMR")],
)
def test_country_forms(surface: str, iso3: str) -> None:
    entry = load_gazetteer().lookup(surface)
    assert entry is not None and entry.kind == "country" and entry.country == iso3


@pytest.mark.parametrize(("surface", "kind"), [("NATO", "international"), ("EU", "international"),
                                               ("Hamas", "group"), ("Reuters", "media"), ("IAEA", "international")])
def test_entities(surface: str, kind: str) -> None:
    assert load_gazetteer().lookup(surface).kind == kind


def test_every_country_has_codes_a_name_and_a_point() -> None:
    gaz = load_gazetteer()
    assert len(gaz.countries) >= 249
    for c in gaz.countries.values():
        assert re.fullmatch(r"[A-Z]{3}", c.iso3) and re.fullmatch(r"[A-Z]{2}", c.iso2)
        assert c.name and c.adjective
        if c.iso3 not in ("BES", "BVT", "UMI", "ALA", "BLM", "MAF"):
            assert c.lat is not None and c.lon is not None, c.iso3
    assert gaz.countries["GBR"].name == "United Kingdom"  # countryinfo's GBR record is Wales: overridden


def test_ambiguous_demonyms_are_left_out() -> None:
    gaz = load_gazetteer()
    assert gaz.lookup("Congolese") is None  # two Congos
    assert gaz.lookup("Korean") is None


def test_countries_json_is_up_to_date_with_its_sources() -> None:
    shipped = json.loads((GAZETTEER_DIR / "countries.json").read_text(encoding="utf-8"))
    assert shipped == build_countries(), "run: python -m analysis.rules.gazetteer build"
