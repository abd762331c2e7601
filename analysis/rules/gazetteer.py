"""Gazetteer of countries and named actors: ISO codes, names, short forms, demonyms, capitals, metonyms.

`countries.json` is built by `python -m analysis.rules.gazetteer build` from `pycountry` (ISO 3166) and `countryinfo`
(capitals, demonyms, spellings, centroids) plus our hand-written `country_aliases.csv`; `entities.csv`,
`people.csv` and `blockers.csv` are hand-written. See `data/gazetteer/README.md`.
"""

from __future__ import annotations

import csv
import json
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analysis.settings import ROOT

GAZETTEER_DIR = ROOT / "data" / "gazetteer"

#: mention types of country forms, from most to least literal
FORM_TYPES = ("name", "short", "demonym", "capital", "metonym", "territory")


@dataclass(frozen=True)
class Country:
    """One country: codes, display name and a point to draw it at."""

    iso3: str
    iso2: str
    name: str
    adjective: str
    lat: float | None
    lon: float | None


@dataclass(frozen=True)
class Entry:
    """What one surface form refers to.

    Attributes:
        key: the actor key, e.g. `country:RUS`, `international:nato`, `media:reuters`; `blocker:` for blockers.
        name: the actor's display name.
        kind: country, international, group, organization, media, or blocker.
        country: ISO alpha-3 code of the actor's country, if any.
        form: how the surface refers to it (name, short, demonym, capital, metonym, territory, alias).
        needs_ner: count the form only where spaCy's NER tags it too.
    """

    key: str
    name: str
    kind: str
    country: str | None
    form: str
    needs_ner: bool


@dataclass(frozen=True)
class Person:
    """A widely reported office holder (fallback country and role)."""

    name: str
    country: str
    role: str


def slug(text: str) -> str:
    """Return a lower-case ASCII slug of a name: 'US State Department' -> 'us-state-department'."""
    ascii_text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode()
    return re.sub(r"[^a-z0-9]+", "-", ascii_text.lower()).strip("-") or "x"


def _rows(path: Path) -> Iterator[dict[str, str]]:
    with open(path, encoding="utf-8", newline="") as fh:
        lines = [line for line in fh if not line.startswith("#")]
    yield from csv.DictReader(lines)


class Gazetteer:
    """Lookup tables for countries and named actors, read from `data/gazetteer/`."""

    def __init__(self, directory: Path = GAZETTEER_DIR) -> None:
        with open(directory / "countries.json", encoding="utf-8") as fh:
            records = json.load(fh)
        self.countries: dict[str, Country] = {}
        self.surfaces: dict[str, Entry] = {}
        for rec in records:
            country = Country(rec["iso3"], rec["iso2"], rec["name"], rec["adjective"], rec["lat"], rec["lon"])
            self.countries[country.iso3] = country
            for form in rec["forms"]:
                self._add(form["text"], Entry(f"country:{country.iso3}", country.name, "country", country.iso3,
                                              form["type"], bool(form["needs_ner"])))
        for row in (r for name in ("entities.csv", "entities_more.csv") if (directory / name).exists()
                    for r in _rows(directory / name)):
            name, kind = row["name"].strip(), row["kind"].strip()
            entry = Entry(f"{kind}:{slug(name)}", name, kind, row["country"].strip() or None, "name", False)
            self._add(name, entry)
            for alias in filter(None, (a.strip() for a in row["aliases"].split("|"))):
                self._add(alias, Entry(entry.key, name, kind, entry.country, "alias", row["needs_ner"] == "1"))
        for row in _rows(directory / "blockers.csv"):
            phrase = row["phrase"].strip()
            self._add(phrase, Entry(f"blocker:{slug(phrase)}", phrase, "blocker", None, "name", False))
        self.people: dict[str, Person] = {}
        for row in _rows(directory / "people.csv"):
            person = Person(row["name"].strip(), row["country"].strip(), row["role"].strip())
            for alias in [person.name, *filter(None, (a.strip() for a in row["aliases"].split("|")))]:
                self.people[alias.lower()] = person
        self._by_lower = {s.lower(): e for s, e in self.surfaces.items() if e.kind == "country"}

    def _add(self, surface: str, entry: Entry) -> None:
        surface = " ".join(surface.split())
        if surface.lower().startswith("the ") and len(surface) > 4:
            surface = surface[4:]
        # first writer wins: hand-written entities never replace a country form
        self.surfaces.setdefault(surface, entry)

    def lookup(self, surface: str) -> Entry | None:
        """Return what a surface form refers to (exact spelling; a leading 'the' is ignored)."""
        surface = " ".join(surface.split())
        if surface.lower().startswith("the "):
            surface = surface[4:]
        return self.surfaces.get(surface)

    def country_of_form(self, surface: str) -> str | None:
        """Return the ISO alpha-3 code a country form refers to, case-insensitively, or None."""
        entry = self._by_lower.get(" ".join(surface.split()).lower())
        return entry.country if entry else None

    def person(self, name: str) -> Person | None:
        """Return the fallback record of a widely reported person by full name, or None."""
        return self.people.get(name.lower())


@lru_cache(maxsize=1)
def load_gazetteer() -> Gazetteer:
    """Return the gazetteer, read once per process."""
    return Gazetteer()


# ---------------------------------------------------------------------------------------------------------------
# Building countries.json from pycountry + countryinfo + country_aliases.csv

#: countryinfo records known to describe another place (its GBR record describes Wales).
_COUNTRYINFO_BROKEN = frozenset({"GBR"})
_EXTRA_COUNTRIES = {"XKX": ("XK", "Kosovo", 42.6, 20.9)}
#: centroids (lat, lon) where countryinfo has none or a wrong one
_LATLON = {"GBR": (54.0, -2.0), "PSE": (31.9, 35.2), "CUW": (12.2, -69.0), "SXM": (18.0, -63.1),
          "VGB": (18.4, -64.6), "VIR": (18.3, -64.9), "TCA": (21.8, -71.8), "ATA": (-80.0, 0.0)}
_UNPLURAL = ("ese", "ish", "ch", "ss", "sh", "i")


def _usable_spelling(text: str) -> bool:
    return (
        len(text) >= 4
        and "," not in text
        and text[0].isupper()
        and all(c.isascii() or unicodedata.name(c, "").startswith("LATIN") for c in text if c.isalpha())
        and not (text.isupper() and len(text) <= 3)
    )


def _plural(demonym: str) -> str | None:
    if " " in demonym or demonym.endswith(_UNPLURAL[:-1]):
        return None
    return demonym + "s"


def build_countries(aliases_path: Path = GAZETTEER_DIR / "country_aliases.csv") -> list[dict]:
    """Build the country records from pycountry, countryinfo and our alias table.

    Returns:
        One dict per country: iso3, iso2, name, adjective, lat, lon, forms (text, type, needs_ner).
    """
    import pycountry
    from countryinfo import all_countries

    info: dict[str, dict] = {}
    for item in all_countries():
        rec = item if isinstance(item, dict) else item.info()
        code = (rec.get("ISO") or {}).get("alpha3")
        if code and code not in _COUNTRYINFO_BROKEN:
            info[code] = rec

    overrides: dict[str, list[dict[str, str]]] = defaultdict(list)
    for row in _rows(aliases_path):
        overrides[row["iso3"].strip()].append(row)

    auto: dict[str, dict[str, tuple[str, bool]]] = {}
    base: dict[str, dict] = {}
    for c in pycountry.countries:
        rec = info.get(c.alpha_3, {})
        forms: dict[str, tuple[str, bool]] = {}
        for name in (c.name, getattr(c, "common_name", None), getattr(c, "official_name", None), rec.get("name")):
            if name and "," not in name:
                forms.setdefault(name, ("name", False))
        for alt in rec.get("altSpellings") or []:
            if _usable_spelling(alt):
                forms.setdefault(alt, ("name", False))
        if rec.get("capital"):
            forms.setdefault(rec["capital"], ("capital", True))
        demonym = (rec.get("demonym") or "").strip()
        if demonym:
            forms.setdefault(demonym, ("demonym", True))
            if plural := _plural(demonym):
                forms.setdefault(plural, ("demonym", True))
        auto[c.alpha_3] = forms
        lat, lon = _LATLON.get(c.alpha_3) or (rec.get("latlng") or [None, None])[:2]
        display = getattr(c, "common_name", None) or (c.name if "," not in c.name else rec.get("name", c.name))
        base[c.alpha_3] = {"iso3": c.alpha_3, "iso2": c.alpha_2, "name": display, "lat": lat, "lon": lon}
    for code, (iso2, name, lat, lon) in _EXTRA_COUNTRIES.items():
        base[code] = {"iso3": code, "iso2": iso2, "name": name, "lat": lat, "lon": lon}
        auto[code] = {}

    # a form the packages give to two countries (Congolese, Guinean) is ambiguous: drop it
    owners: dict[str, set[str]] = defaultdict(set)
    for code, forms in auto.items():
        for text in forms:
            owners[text].add(code)
    records = []
    for code in sorted(base):
        forms = {t: v for t, v in auto[code].items() if len(owners[t]) == 1}
        display = None
        for row in overrides.get(code, []):
            kind, text = row["type"].strip(), row["alias"].strip()
            if kind == "display":
                display = display or text
                kind = "name"
            forms[text] = (kind, row["needs_ner"].strip() == "1")
        record = dict(base[code])
        if display:
            record["name"] = display
        demonyms = [r["alias"].strip() for r in overrides.get(code, []) if r["type"].strip() == "demonym"]
        auto_demonym = next((t for t, (k, _) in auto[code].items() if k == "demonym"), None)
        record["adjective"] = (demonyms or [auto_demonym or record["name"]])[0]
        record["forms"] = [{"text": t, "type": k, "needs_ner": n} for t, (k, n) in sorted(forms.items())]
        records.append(record)
    return records


def write_countries(path: Path = GAZETTEER_DIR / "countries.json") -> int:
    """Build and write `countries.json`; return the number of countries."""
    records = build_countries()
    path.write_text(json.dumps(records, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    return len(records)


def _main(argv: Iterable[str]) -> int:
    args = list(argv)
    if args[:1] != ["build"]:
        print("usage: python -m analysis.rules.gazetteer build", file=sys.stderr)
        return 2
    n = write_countries()
    print(f"wrote {n} countries to {GAZETTEER_DIR / 'countries.json'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
