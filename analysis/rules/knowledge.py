"""Knowledge with dates: who held which office in which country, when.

`data/knowledge/holders/*.csv` (one file a region) list heads of state and government, foreign and defence
ministers and UN ambassadors from 2000 on, each row with its start and end dates and the page to check it against.
They were written from the knowledge of our annotating sessions (this workplace reaches no encyclopedia) and are
checked by `python -m analysis.rules.knowledge check`, which also prints the coverage. See `data/knowledge/README.md`.

The pipeline uses them two ways: a named person with no country in the text gets the country of the office they
held (`country_evidence` `knowledge`), and a person the text gives a role that the table says someone else held on
the article's date is flagged (`fact_check`): the seed's "US President Joe Blinken".
"""

from __future__ import annotations

import csv
import datetime as _dt
import re
import sys
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from analysis.rules.places import fold
from analysis.settings import ROOT

KNOWLEDGE_DIR = ROOT / "data" / "knowledge" / "holders"
OFFICES = ("head_of_state", "head_of_government", "foreign_minister", "defence_minister", "un_ambassador")
_FIELDS = ("iso3", "office", "title", "name", "aliases", "start", "end", "source", "note")
_NOTES = ("", "approx", "acting", "co-holder")

#: role words as news writes them (lower case, country words removed) -> the office they name
ROLE_OFFICES: dict[str, tuple[str, ...]] = {
    "president": ("head_of_state",), "king": ("head_of_state",), "queen": ("head_of_state",),
    "emir": ("head_of_state",), "sultan": ("head_of_state",), "monarch": ("head_of_state",),
    "supreme leader": ("head_of_state",),
    "prime minister": ("head_of_government",), "premier": ("head_of_government",),
    "chancellor": ("head_of_government",),
    "foreign minister": ("foreign_minister",), "secretary of state": ("foreign_minister",),
    "foreign secretary": ("foreign_minister",), "minister of foreign affairs": ("foreign_minister",),
    "foreign affairs minister": ("foreign_minister",), "external affairs minister": ("foreign_minister",),
    "minister of external affairs": ("foreign_minister",),
    "defence minister": ("defence_minister",), "defense minister": ("defence_minister",),
    "defense secretary": ("defence_minister",), "defence secretary": ("defence_minister",),
    "secretary of defense": ("defence_minister",), "minister of defence": ("defence_minister",),
    "minister of defense": ("defence_minister",),
    "ambassador to the un": ("un_ambassador",), "un ambassador": ("un_ambassador",),
    "ambassador to the united nations": ("un_ambassador",), "u.n. ambassador": ("un_ambassador",),
}
#: countries whose president is not its head of state in our table's sense (none), and offices whose title in
#: a country differs: a "president" of a parliamentary republic is its head of state too, so no exception is needed


@dataclass(frozen=True)
class Holder:
    """One term of one person in one office."""

    iso3: str
    office: str
    title: str
    name: str
    aliases: tuple[str, ...]
    start: _dt.date
    end: _dt.date | None
    source: str
    note: str

    def held_on(self, day: _dt.date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    @property
    def surnames(self) -> set[str]:
        return {fold(n).split()[-1] for n in (self.name, *self.aliases) if n.strip()}


def _rows(directory: Path) -> Iterator[tuple[Path, int, dict[str, str]]]:
    for path in sorted(directory.glob("*.csv")):
        with open(path, encoding="utf-8", newline="") as fh:
            lines = [line for line in fh if not line.startswith("#")]
        for n, row in enumerate(csv.DictReader(lines), start=2):
            yield path, n, row


def _date(text: str) -> _dt.date | None:
    return _dt.date.fromisoformat(text.strip()) if text.strip() else None


class Knowledge:
    """The office-holder table, indexed by (country, office) and by every spelling of a holder's name."""

    def __init__(self, directory: Path = KNOWLEDGE_DIR) -> None:
        self.holders: list[Holder] = []
        self.problems: list[str] = []
        for path, line, row in _rows(directory):
            try:
                holder = Holder(row["iso3"].strip(), row["office"].strip(), row["title"].strip(), row["name"].strip(),
                                tuple(a.strip() for a in (row["aliases"] or "").split("|") if a.strip()),
                                _date(row["start"]), _date(row["end"]), row["source"].strip(),
                                (row["note"] or "").strip())
            except (ValueError, TypeError, AttributeError) as exc:
                self.problems.append(f"{path.name}:{line}: {exc}")
                continue
            if holder.office not in OFFICES or holder.note not in _NOTES or holder.start is None \
                    or (holder.end is not None and holder.end < holder.start) or not re.fullmatch(r"[A-Z]{3}",
                                                                                               holder.iso3):
                self.problems.append(f"{path.name}:{line}: bad row {row}")
                continue
            self.holders.append(holder)
        self._office: dict[tuple[str, str], list[Holder]] = defaultdict(list)
        self._names: dict[str, list[Holder]] = defaultdict(list)
        self._first: frozenset[str] | None = None
        for h in self.holders:
            self._office[h.iso3, h.office].append(h)
            for name in {fold(n) for n in (h.name, *h.aliases)}:
                self._names[name].append(h)

    def __len__(self) -> int:
        return len(self.holders)

    def held(self, iso3: str, office: str, day: _dt.date) -> list[Holder]:
        """Who held an office of a country on a day (several for co-holders and acting terms)."""
        return [h for h in self._office.get((iso3, office), ()) if h.held_on(day)]

    def covers(self, iso3: str, office: str, day: _dt.date) -> bool:
        """Whether the table has any term of this office of this country within a year of the day (else an
        empty `held` means 'not known', not 'nobody')."""
        year = _dt.timedelta(days=366)
        return any(h.start - year <= day and (h.end is None or day <= h.end + year)
                   for h in self._office.get((iso3, office), ()))

    def person(self, name: str) -> list[Holder]:
        """Every term of the person a full name (or listed alias) names."""
        return list(self._names.get(fold(name), ()))

    @property
    def first_words(self) -> frozenset[str]:
        """The first words (folded) of the holders' names of two or more words: where a name can start."""
        if self._first is None:
            self._first = frozenset(n.split()[0] for n in self._names if " " in n)
        return self._first

    def knows(self, name: str) -> bool:
        """Whether a name of two or more words is a holder's name or alias."""
        return " " in name and fold(name) in self._names

    def countries_of(self, name: str, day: _dt.date | None = None) -> set[str]:
        """The countries a person held offices of; with a day, those held that day if any (a person who has served
        two countries, or none that day, gives every country they served)."""
        terms = self.person(name)
        own = [h for h in terms if h.note != "co-holder"] or terms  # Sarkozy: France, not Andorra (co-prince)
        if day is not None:
            now = {h.iso3 for h in own if h.held_on(day)}
            if now:
                return now
        return {h.iso3 for h in own}

    def by_surname(self, iso3: str, surname: str) -> list[Holder]:
        """Terms in one country of people with this surname ("Blinken" -> Antony Blinken's)."""
        key = fold(surname)
        return [h for h in self.holders if h.iso3 == iso3 and key in h.surnames]

    def coverage(self) -> dict[str, object]:
        """Counts for the card: countries, rows per office, countries per office, the years covered."""
        per_office = Counter(h.office for h in self.holders)
        countries = {o: len({h.iso3 for h in self.holders if h.office == o}) for o in OFFICES}
        years = [h.start.year for h in self.holders] + [h.end.year for h in self.holders if h.end]
        return {"rows": len(self.holders), "countries": len({h.iso3 for h in self.holders}),
                "rows_per_office": dict(per_office), "countries_per_office": countries,
                "first_year": min(years, default=None), "last_year": max(years, default=None),
                "open_terms": sum(h.end is None for h in self.holders), "problems": len(self.problems)}


def offices_of_role(role: str) -> tuple[str, ...]:
    """The offices a role names, only for a plain office title ("President", "Foreign Minister"); a vice, deputy,
    former, acting or elect holder, and any other role, names none."""
    words = " ".join(re.sub(r"[^\w.\s]", " ", role.lower()).split())
    if re.search(r"\b(?:vice|deputy|former|ex|late|acting|elect|interim|assistant|under|shadow|junior|state)\b",
                 words.replace("secretary of state", "")):
        return ()
    return ROLE_OFFICES.get(words, ())


@lru_cache(maxsize=1)
def load_knowledge() -> Knowledge:
    """The office-holder table, read once per process."""
    return Knowledge()


def _main(argv: Iterable[str]) -> int:
    args = list(argv)
    if args[:1] != ["check"]:
        print("usage: python -m analysis.rules.knowledge check", file=sys.stderr)
        return 2
    kn = Knowledge()
    for problem in kn.problems:
        print(problem)
    for key, value in kn.coverage().items():
        print(f"{key}: {value}")
    return 1 if kn.problems else 0


if __name__ == "__main__":
    raise SystemExit(_main(sys.argv[1:]))
