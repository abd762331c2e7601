"""The label sets of Stance Atlas and the one rule that picks an actor's or a country's dominant stance.

Stance labels follow the shared codebook (`../shared/docs/stance-codebook.md`, CAMEO-based); sentiment labels the
NewsMTSC task. Every module that names a label takes it from here.
"""

from __future__ import annotations

from collections.abc import Mapping

#: the codebook's six stance labels, in the codebook's (and the stance model head's) order
STANCE_LABELS: tuple[str, ...] = ("concerned", "outraged", "protesting", "threatening", "supportive", "neutral")
#: the same labels by precedence: where two fit equally, the more specific one wins (codebook rule 3; neutral last)
STANCE_PRECEDENCE: tuple[str, ...] = ("protesting", "threatening", "outraged", "supportive", "concerned", "neutral")
#: the three sentiment polarities, in the sentiment model head's order
SENTIMENT_LABELS: tuple[str, ...] = ("negative", "neutral", "positive")


def dominant_stance(weights: Mapping[str, float]) -> str | None:
    """The stance with the largest weight (a count of statements or a sum of probabilities).

    Ties go to the label earlier in `STANCE_PRECEDENCE` (so a non-neutral label level with neutral wins).

    Args:
        weights: label -> weight; missing labels weigh 0.

    Returns:
        The label, or None when every weight is 0.
    """
    best = max((float(weights.get(label, 0.0)) for label in STANCE_PRECEDENCE), default=0.0)
    if best <= 0:
        return None
    return next(label for label in STANCE_PRECEDENCE if float(weights.get(label, 0.0)) >= best - 1e-9)
