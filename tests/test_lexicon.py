"""The stance lexicon: codebook cues and phrases, negation, the codebook's precedence rules."""

from __future__ import annotations

import pytest

from analysis.labels import STANCE_LABELS as LABELS
from analysis.rules.lexicon import lexicon_stance


@pytest.mark.parametrize(
    ("content", "cue", "label"),
    [
        ("the situation is deeply troubling", "say", "concerned"),
        ("the move could destabilise the region", "say", "concerned"),
        ("the visit was an unacceptable provocation", "say", "outraged"),
        ("the resolution", "condemn", "outraged"),
        ("the Russian ambassador to protest against the deal", "summon", "protesting"),
        ("his country would consider various measures", "say", "threatening"),
        ("Lisbon would respond in kind", "say", "threatening"),
        ("the agreement as a step towards peace", "welcome", "supportive"),
        ("the talks would begin on Monday", "say", "neutral"),
    ],
)
def test_codebook_cues(content: str, cue: str, label: str) -> None:
    assert lexicon_stance(content, cue=cue).label == label


def test_negated_phrases_do_not_count() -> None:
    assert lexicon_stance("the decision was not unacceptable", cue="say").label == "neutral"


def test_formal_act_wins_over_emotion_and_countermeasure_over_worry() -> None:
    assert lexicon_stance("lodged a formal protest over the outrageous seizure", cue="lodge").label == "protesting"
    assert lexicon_stance("worried, the ministry said it will retaliate", cue="say").label == "threatening"


def test_the_speakers_quoted_words_decide_over_the_topic() -> None:
    content = "Putin's offer to supply weapons to North Korea is “incredibly concerning”"
    assert lexicon_stance(content, cue="say", quoted=["incredibly concerning"]).label == "concerned"


def test_others_reactions_are_not_the_speakers() -> None:
    assert lexicon_stance("it would send aid in a statement that sparked outrage", cue="say").label == "supportive"


def test_labels_are_the_codebooks() -> None:
    assert set(LABELS) == {"concerned", "outraged", "protesting", "threatening", "supportive", "neutral"}
