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


def dominant_stance(votes: Mapping[str, float], *, tiebreak: Mapping[str, float] | None = None) -> str | None:
    """An actor's or a country's stance: its most frequent non-neutral stance; neutral only when it has nothing else.

    Args:
        votes: label -> number of statements (or any weight); missing labels count 0.
        tiebreak: label -> weight that decides between non-neutral labels with as many votes (e.g. the summed model
            probabilities); remaining ties go to the label earlier in `STANCE_PRECEDENCE` (the more specific one).

    Returns:
        The label; "neutral" when only neutral has votes; None when nothing has.
    """
    counted = {label: float(votes.get(label, 0.0)) for label in STANCE_PRECEDENCE}
    best = max(v for label, v in counted.items() if label != "neutral")
    if best <= 0:
        return "neutral" if counted["neutral"] > 0 else None
    tied = [label for label in STANCE_PRECEDENCE if label != "neutral" and counted[label] >= best - 1e-9]
    if tiebreak:
        tied.sort(key=lambda label: -float(tiebreak.get(label, 0.0)))  # stable: precedence among equals
    return tied[0]
