"""Where a story is set: its dateline, the places it names below country level, and the one country it is set in.

Country inference (issue 14) reads these after the text's own words: an unnamed speaker ("officials said",
"the finance minister said") gets the dateline's country, else the story's country; a speaker described by a place
("Kharkiv's mayor") gets the place's country. Places resolve through the GeoNames gazetteer
(`analysis.rules.places`), ambiguity decided by the countries the story names, then by population.
"""

from __future__ import annotations

import re
from collections import Counter
from dataclasses import dataclass, field
from typing import Any

from analysis.rules.gazetteer import Gazetteer
from analysis.rules.places import Places, load_places
from analysis.stages.article import DATELINE

_MONTHS = re.compile(r"(?i)^(?:jan|feb|mar|apr|may|jun|jul|aug|sep|sept|oct|nov|dec)[a-z]*\.?\s+\d")
#: agency names and words that open a paragraph in capitals without being a place
_NOT_CITIES = frozenset({"AP", "AFP", "UPDATE", "BREAKING", "UPDATED", "EXCLUSIVE", "ANALYSIS", "OPINION", "WATCH",
                         "EDITOR'S NOTE", "NOTE", "CORRECTION", "FILE", "PHOTO", "VIDEO", "UNITED NATIONS", "UN"})
#: entity labels that name places
PLACE_LABELS = frozenset({"GPE", "LOC", "FAC"})


@dataclass(frozen=True)
class Dateline:
    """Where the story was filed: the city as written, and its country with how sure that is."""

    city: str
    start: int
    end: int
    iso3: str | None
    confidence: float


@dataclass
class StoryGeo:
    """What an article says of where it is set.

    Attributes:
        dateline: the dateline, if the article opens with one.
        places: (start, end, name, iso3, confidence) for place names below country level the text resolves.
        votes: country -> weight (country mentions, resolved places, the dateline twice).
        story_country: the one country the story is set in (None when the story spans several).
        story_confidence: the story country's share of the votes.
    """

    dateline: Dateline | None = None
    places: list[tuple[int, int, str, str, float]] = field(default_factory=list)
    votes: Counter[str] = field(default_factory=Counter)
    story_country: str | None = None
    story_confidence: float = 0.0
    grounded: str | None = None  # the story country by places, country names and the dateline alone

    def context(self) -> list[str]:
        """The story's countries, each repeated by its (rounded) vote: the context a place name is read in."""
        return [code for code, weight in self.votes.items() for _ in range(max(1, round(weight)))]

    def place_in(self, start: int, end: int) -> tuple[str, float] | None:
        """The country of a resolved place inside a character span, if any."""
        for s, e, _, iso3, conf in self.places:
            if start <= s and e <= end:
                return iso3, conf
        return None


def _city_country(city: str, region: str | None, gaz: Gazetteer, places: Places,
                  context: Counter) -> tuple[str | None, float]:
    title = " ".join(w.capitalize() for w in city.split())
    if region and not _MONTHS.match(region):
        found = resolve_place(places, gaz, region)
        if found:
            return found[0], round(0.9 * found[1], 3)
    found = resolve_place(places, gaz, title, context)
    if found is None:
        return None, 0.0
    return found[0], round((0.95 if found[2] == "country form" else 0.9) * found[1], 3)


def find_dateline(text: str, start: int, gaz: Gazetteer, places: Places | None = None,
                  context: Counter | None = None) -> Dateline | None:
    """The dateline opening the story's first paragraph after `start` (the headline's end), if it has one."""
    places = places or load_places()
    m, at = None, start
    for _ in range(3):  # the first paragraph of the story, after a byline or a standfirst at most
        body = text[at:]
        at += len(body) - len(body.lstrip())
        m = DATELINE.match(text, at)
        if m is not None or at >= len(text):
            break
        end = text.find("\n", at)
        if end < 0:
            break
        at = end
    if m is None or m.group("city").strip(" .") in _NOT_CITIES:
        return None
    iso3, conf = _city_country(m.group("city").strip(), m.group("region"), gaz, places, context or Counter())
    return Dateline(m.group("city").strip(), m.start(), m.end(), iso3, conf)


#: dependent territories with codes of their own, read as the state that governs them (the labelling convention:
#: Noumea is in France, San Juan in the United States); disputed ones (Western Sahara, Palestine) keep their own code
SOVEREIGN = {"HKG": "CHN", "MAC": "CHN", "NCL": "FRA", "PYF": "FRA", "GLP": "FRA", "MTQ": "FRA", "GUF": "FRA",
             "REU": "FRA", "MYT": "FRA", "SPM": "FRA", "WLF": "FRA", "BLM": "FRA", "MAF": "FRA", "PRI": "USA",
             "GUM": "USA", "VIR": "USA", "ASM": "USA", "MNP": "USA", "FLK": "GBR", "GIB": "GBR", "BMU": "GBR",
             "CYM": "GBR", "VGB": "GBR", "TCA": "GBR", "MSR": "GBR", "AIA": "GBR", "SHN": "GBR", "PCN": "GBR",
             "IMN": "GBR", "JEY": "GBR", "GGY": "GBR", "GRL": "DNK", "FRO": "DNK", "ABW": "NLD", "CUW": "NLD",
             "SXM": "NLD", "BES": "NLD", "NFK": "AUS", "CXR": "AUS", "CCK": "AUS", "COK": "NZL", "NIU": "NZL",
             "TKL": "NZL", "ALA": "FIN", "SJM": "NOR", "BVT": "NOR"}
#: generic words after a place's own name ("Swat Valley", "Manus Island", "Independence Square")
_GENERIC = re.compile(r"\s+(?:Valley|Island|Islands|Province|Region|District|State|City|Governorate|Oblast|"
                      r"Prefecture|County|Municipality)$")


def resolve_place(places: Places, gaz: Gazetteer, name: str, context: Counter | list[str] | tuple[()] = ()
                  ) -> tuple[str, float, str] | None:
    """A place name's country: (iso3, confidence, reason), else None. Tries the name, then without an "al-" article
    or with one ("Fallujah" / "Al Fallujah"), then without a generic word ("Swat Valley"); a dependent territory's
    own code becomes its governing state's, and a country form of the country gazetteer (a territory such as
    Western Sahara) is its country."""
    elements = list(context.elements()) if isinstance(context, Counter) else list(context)
    tries = [name]
    bare = re.sub(r"^(?:[Aa]l|[Ee]l)[- ]", "", name)
    tries += [bare] if bare != name else [f"Al {name}"]
    trimmed = _GENERIC.sub("", name)
    tries += [trimmed] if trimmed != name else []
    found = next((r for r in (places.resolve(a, elements) for a in tries) if r is not None), None)
    iso3 = gaz.country_of_form(name)
    if iso3 and (found is None or found.reason != "context"):  # "Kingston" is Jamaica's unless the story says not
        return SOVEREIGN.get(iso3, iso3), 0.9, "country form"
    if found is not None:
        return SOVEREIGN.get(found.iso3, found.iso3), found.confidence, found.reason
    return None


def _notable(places: Places, name: str) -> bool:
    """A name no tagger calls a place counts only as a region or a town of 50,000 or more (a surname is often a
    village somewhere)."""
    return any(p.kind != "city" or p.population >= 50_000 for p in places.candidates(name))


def story_geo(text: str, doc: Any, mentions: list[dict[str, Any]], actors: dict[str, dict[str, Any]],
              gaz: Gazetteer, *, body_start: int = 0, places: Places | None = None) -> StoryGeo:
    """Read where a story is set from its country mentions, the places NER finds, and its dateline.

    Args:
        text: the article text.
        doc: its spaCy doc.
        mentions: the actor mentions (character `start`, `end`, `actor_id`).
        actors: actor id -> actor row (`kind`, `country`).
        gaz: the country gazetteer.
        body_start: where the story starts (after a headline line).
    """
    places = places or load_places()
    geo = StoryGeo()
    people: Counter[str] = Counter()  # votes of the people and bodies the text places (counted after the places)
    for m in mentions:
        actor = actors.get(m["actor_id"])
        if actor is None or not isinstance(actor["country"], str):
            continue
        if actor["kind"] == "country":  # a capital is where things happen more than a name is ("Havana would ...")
            capital = gaz.lookup(text[m["start"]:m["end"]])
            geo.votes[actor["country"]] += _CAPITAL if capital is not None and capital.form == "capital" else 1.0
        elif actor["kind"] == "person" and actor.get("country_evidence") not in _WEAK:
            people[actor["country"]] += 1.0  # "a strike against Emmanuel Macron's reform"
        elif actor["kind"] == "organization" and actor.get("country_evidence") not in _WEAK:
            people[actor["country"]] += 0.5
    known = [(m["start"], m["end"]) for m in mentions]
    context = Counter({k: round(v) for k, v in geo.votes.items()})
    candidates: list[tuple[int, int, str, bool]] = []  # (start, end, name, NER says it is a place)
    for ent in doc.ents:
        if ent.label_ in PLACE_LABELS and not any(s < ent.end_char and ent.start_char < e for s, e in known):
            name = re.sub(r"^(?:the|The)\s+", "", ent.text).strip()
            candidates.append((ent.end_char - len(name), ent.end_char, name, ent.label_ == "GPE"))
    for m in mentions:  # a place the tagger took for a person or body ("The mayor of Marawi", "in Tigray")
        actor = actors.get(m["actor_id"])
        if actor is not None and actor["kind"] in ("person", "organization") and not actor["country"] \
                and len(str(actor["name"]).split()) == 1:
            candidates.append((m["start"], m["end"], text[m["start"]:m["end"]], False))
    taken = [(s, e) for s, e, _, _ in candidates] + known
    for token in doc:  # a proper noun no tagger marked ("the uprising in Andijan")
        if token.pos_ == "PROPN" and token.is_title and token.i > token.sent.start \
                and not any(s <= token.idx < e for s, e in taken):
            candidates.append((token.idx, token.idx + len(token), token.text, False))
    for start, end, name, tagged in candidates:
        if not name or not name[0].isupper() or (places.is_common_word(name) and not tagged):
            continue
        found = resolve_place(places, gaz, name, context)
        if found is None or (not tagged and not _notable(places, name)):
            continue
        geo.places.append((start, end, name, found[0], found[1]))
        geo.votes[found[0]] += _PLACE
    geo.dateline = find_dateline(text, body_start, gaz, places, context)
    if geo.dateline and geo.dateline.iso3:
        geo.votes[geo.dateline.iso3] += _DATELINE_VOTE
    geo.grounded = _winner(geo.votes)[0]
    geo.votes.update(people)
    geo.story_country, geo.story_confidence = _winner(geo.votes)
    return geo


def _winner(votes: Counter[str]) -> tuple[str | None, float]:
    """The country with most of the votes (at least `_STORY_SHARE` and more than any other), with its share."""
    if not votes:
        return None, 0.0
    ranked = votes.most_common(2)
    total = sum(votes.values())
    top, weight = ranked[0]
    if weight / total >= _STORY_SHARE and (len(ranked) == 1 or weight > ranked[1][1]):
        return top, round(weight / total, 3)
    return None, 0.0


#: votes for the country a story is set in: a place below country level (where things happen) and a capital count
#: more than a country's name, a person or body the text's own words place in a country counts too; countries of
#: actors known only from the dateline or the story itself never vote
_PLACE, _CAPITAL, _DATELINE_VOTE, _STORY_SHARE = 2.0, 1.5, 3.0, 0.45
_WEAK = ("dateline", "story", "place", None)
