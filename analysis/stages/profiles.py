"""The profiles stage: per actor and per country, the stance distribution, the dominant stance, its evidence and the
stance toward each target.

An actor's profile is built from the statements it speaks or acts in (`speaker_actor_id`); a country's from the
statements of all its actors (`speaker_country`), as on the map. The distribution gives each of the six labels its
share of those statements; where the stance model gave probabilities (`stance_scores`), a statement counts as its
probabilities, otherwise (and where an analyst corrected the stance) as one vote for its label. The dominant stance
is the most frequent non-neutral stance of the statements (`analysis.labels.dominant_stance`): an actor that warns
twice and reports twice is concerned; neutral only when it says nothing else; ties go to the label with more
probability mass, then to the more specific label. The evidence is the ids of the statements with the dominant
stance, the most confident first. The stance toward each target (the actors a statement names, and their countries)
is kept apart: Russia can be supportive toward North Korea and threatening toward the United States.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from analysis.labels import STANCE_PRECEDENCE, dominant_stance
from analysis.schema import Row, is_missing


def _weights(rec: Row) -> dict[str, float]:
    scores = rec.get("stance_scores")
    if isinstance(scores, dict) and scores and rec.get("stance_method") != "correction":
        return {label: float(scores.get(label, 0.0)) for label in STANCE_PRECEDENCE}
    stance = rec.get("stance")
    return {label: 1.0 if label == stance else 0.0 for label in STANCE_PRECEDENCE}


def profile(statements: Sequence[Row]) -> tuple[int, dict[str, float] | None, str | None, list[int]]:
    """(number of statements, distribution, dominant stance, evidence ids) of a group of statement records."""
    if not statements:
        return 0, None, None, []
    totals = dict.fromkeys(STANCE_PRECEDENCE, 0.0)
    for rec in statements:
        for label, w in _weights(rec).items():
            totals[label] += w
    mass = sum(totals.values()) or 1.0
    distribution = {label: round(totals[label] / mass, 4) for label in STANCE_PRECEDENCE}
    votes = Counter(str(rec.get("stance")) for rec in statements)
    label = dominant_stance(votes, tiebreak=distribution)
    chosen = [rec for rec in statements if rec.get("stance") == label]
    chosen.sort(key=lambda r: -_weights(r)[label] if label else 0.0)
    return len(statements), distribution, label, [int(r["statement_id"]) for r in chosen]


def stance_toward(statements: Sequence[Row], *, home: Mapping[str, str] | None = None) -> dict[str, str]:
    """Target -> the dominant stance of the statements that name it.

    Args:
        statements: one actor's or country's statements.
        home: actor name -> its country (ISO3): a target of the speaker's own country is not a target.

    Returns:
        Keys are the target actors' names and the targets' countries (ISO3); ties between labels go to the one with
        more model probability.
    """
    votes: dict[str, Counter[str]] = {}
    mass: dict[str, dict[str, float]] = {}
    for rec in statements:
        own = rec.get("speaker_country") if isinstance(rec.get("speaker_country"), str) else None
        names = rec.get("targets") if isinstance(rec.get("targets"), list) else []
        codes = rec.get("target_countries") if isinstance(rec.get("target_countries"), list) else []
        names = [n for n in names if own is None or (home or {}).get(n) != own]
        for target in dict.fromkeys([*names, *codes]):
            votes.setdefault(str(target), Counter())[str(rec.get("stance"))] += 1
            for label, weight in _weights(rec).items():
                mass.setdefault(str(target), Counter())[label] += weight
    return {target: label for target, counted in votes.items()
            if (label := dominant_stance(counted, tiebreak=mass[target]))}


def profile_columns(group: Sequence[Row], *, home: Mapping[str, str] | None = None) -> dict[str, Any]:
    """The profile columns (`schema`: statement_count ... stance_toward) of one actor's or country's statements;
    `home` as in `stance_toward`."""
    count, distribution, label, evidence = profile(group)
    return {"statement_count": count, "stance_distribution": distribution, "dominant_stance": label,
            "stance_evidence_ids": evidence, "stance_toward": stance_toward(group, home=home)}


def stance_profiles(actors: list[Row], countries: list[Row], statements: list[Row]) -> dict[str, list[Row]]:
    """Each actor's and each country's stance profile (see the module docstring).

    Needs: `statements` (speaker_actor_id, speaker_country, stance, stance_scores, statement_id, targets,
    target_countries); `actors` (actor_id); `countries` (iso3).
    Adds: `actors` and `countries` columns statement_count, stance_distribution, dominant_stance,
    stance_evidence_ids, stance_toward.
    """
    by_actor: dict[str, list[Row]] = {}
    by_country: dict[str, list[Row]] = {}
    for rec in statements:
        if not is_missing(rec.get("speaker_actor_id")):
            by_actor.setdefault(str(rec["speaker_actor_id"]), []).append(rec)
        if not is_missing(rec.get("speaker_country")):
            by_country.setdefault(str(rec["speaker_country"]), []).append(rec)
    home = {str(a["name"]): a["country"] for a in actors if isinstance(a.get("country"), str)}
    return {"actors": [profile_columns(by_actor.get(str(a["actor_id"]), []), home=home) for a in actors],
            "countries": [profile_columns(by_country.get(str(c["iso3"]), []), home=home) for c in countries]}
