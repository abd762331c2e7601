"""Stance profiles: per actor and per country, the stance distribution, the dominant stance and its evidence.

An actor's profile is built from the statements it speaks or acts in (`speaker_actor_id`); a country's from the
statements of all its actors (`speaker_country`), as on the map. The distribution gives each of the six labels its
share of those statements; where the stance model gave probabilities (`stance_scores`), a statement counts as its
probabilities (so a hesitant statement weighs less on its label), otherwise as one vote for its label. The dominant
stance is the label with the largest share; a tie, or neutral level with another label, goes to the more specific
label in the codebook's order (the non-neutral one). The evidence is the ids of the statements with the dominant
stance, the most confident first.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import pandas as pd

from analysis.schema import is_missing

#: the six labels in the codebook's order of precedence (the more specific first)
STANCE_LABELS: tuple[str, ...] = ("protesting", "threatening", "outraged", "supportive", "concerned", "neutral")


def dominant_label(weights: dict[str, float]) -> str | None:
    """The label with the largest weight; ties go to the label earlier in `STANCE_LABELS`; None when all are 0."""
    best = max(weights.values(), default=0.0)
    if best <= 0:
        return None
    return next(label for label in STANCE_LABELS if weights.get(label, 0.0) >= best - 1e-9)


def _weights(rec: dict[str, Any]) -> dict[str, float]:
    scores = rec.get("stance_scores")
    if isinstance(scores, dict) and scores:
        return {label: float(scores.get(label, 0.0)) for label in STANCE_LABELS}
    stance = rec.get("stance")
    return {label: 1.0 if label == stance else 0.0 for label in STANCE_LABELS}


def profile(statements: Sequence[dict[str, Any]]) -> tuple[int, dict[str, float] | None, str | None, list[int]]:
    """(number of statements, distribution, dominant stance, evidence ids) of a group of statement records."""
    if not statements:
        return 0, None, None, []
    totals = dict.fromkeys(STANCE_LABELS, 0.0)
    for rec in statements:
        for label, w in _weights(rec).items():
            totals[label] += w
    mass = sum(totals.values()) or 1.0
    distribution = {label: round(totals[label] / mass, 4) for label in STANCE_LABELS}
    label = dominant_label(distribution)
    chosen = [rec for rec in statements if rec.get("stance") == label]
    chosen.sort(key=lambda r: -_weights(r)[label] if label else 0.0)
    return len(statements), distribution, label, [int(r["statement_id"]) for r in chosen]


def _columns(groups: list[list[dict[str, Any]]]) -> dict[str, pd.api.extensions.ExtensionArray | list]:
    out = [profile(g) for g in groups]
    return {
        "statement_count": pd.array([o[0] for o in out], dtype="Int64"),
        "stance_distribution": [o[1] for o in out],
        "dominant_stance": pd.array([o[2] for o in out], dtype="string"),
        "stance_evidence_ids": [o[3] for o in out],
    }


def stance_profiles(actors: pd.DataFrame, countries: pd.DataFrame,
                    statements: pd.DataFrame) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Return `actors` and `countries` with their stance profile columns filled (see the module docstring)."""
    records = statements.to_dict(orient="records")
    by_actor: dict[str, list[dict[str, Any]]] = {}
    by_country: dict[str, list[dict[str, Any]]] = {}
    for rec in records:
        if not is_missing(rec.get("speaker_actor_id")):
            by_actor.setdefault(str(rec["speaker_actor_id"]), []).append(rec)
        if not is_missing(rec.get("speaker_country")):
            by_country.setdefault(str(rec["speaker_country"]), []).append(rec)
    a = actors.copy()
    for name, values in _columns([by_actor.get(str(aid), []) for aid in a["actor_id"]]).items():
        a[name] = values
    c = countries.copy()
    for name, values in _columns([by_country.get(str(iso), []) for iso in c["iso3"]]).items():
        c[name] = values
    return a, c
