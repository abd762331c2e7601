"""The two long wire stories in data/samples (1,000+ words: bylines, a dateline, credits, a photo caption, a link
list, appositive speakers, pronouns, a quote whose speaker follows it, two experts in a row, a reaction inside a
statement): the pipeline held to their gold statements.

The issue's goal is 95% of gold statements found with the right speaker; the floors here are what the pipeline
reaches today (`python -m analysis.evaluate statements -v` prints the misses), so that it cannot slide back.
"""

from __future__ import annotations

import re

import pytest

from analysis.evaluate.statements import score_sample
from analysis.settings import ROOT
from analysis.stages.article import furniture_spans

LONG = ["trade-dispute-tariffs-wire", "arctic-shipping-summit-wire"]
SAMPLES = ROOT / "data" / "samples"


@pytest.fixture(scope="module", params=LONG)
def scored(request) -> tuple[str, dict]:
    return request.param, score_sample(SAMPLES / f"{request.param}.txt")


def test_most_gold_statements_are_found_with_their_speaker(scored) -> None:
    _, score = scored
    right = score["speaker_ok"] / score["gold"]
    assert score["matched"] / score["gold"] >= 0.85, score["missed"]
    assert right >= 0.88, score["wrong_speaker"]


def test_no_statement_loses_a_speaker_the_text_names_more_than_today(scored) -> None:
    _, score = scored
    lost = [w for w in score["wrong_speaker"] if w[0] is None and w[1] is not None]
    assert len(lost) <= 1, lost


def test_reporters_and_photographers_are_no_actors() -> None:
    from analysis import analyze

    for slug in LONG:
        text = (SAMPLES / f"{slug}.txt").read_text(encoding="utf-8")
        furniture = " ".join(text[s:e] for s, e in furniture_spans(text))
        assert "By " in furniture and "contributed to this report" in furniture and "(AP Photo/" in furniture
        credited = {n.lower() for n in re.findall(r"[A-Z][A-Za-z]+(?: [A-Z][A-Za-z]+)+", furniture)}
        assert {"helen brandt", "marit halvorsen", "freja lund", "chen yufan"} & credited, furniture
        names = {n.lower() for n in analyze(text).actors["name"]}
        assert not (credited - {"associated press"}) & names, credited & names
