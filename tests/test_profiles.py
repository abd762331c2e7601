"""Stance profiles per actor and per country: distribution, dominant stance, evidence."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.labels import STANCE_LABELS, dominant_stance
from analysis.stages.profiles import profile, stance_toward


def _stmt(i: int, stance: str, scores: dict | None = None) -> dict:
    return {"statement_id": i, "stance": stance, "stance_scores": scores}


def test_votes_give_shares_and_the_majority_dominates() -> None:
    n, dist, label, evidence = profile([_stmt(0, "concerned"), _stmt(1, "neutral"), _stmt(2, "concerned")])
    assert n == 3 and label == "concerned" and evidence == [0, 2]
    assert dist is not None and set(dist) == set(STANCE_LABELS)
    assert abs(dist["concerned"] - 2 / 3) < 1e-3 and abs(sum(dist.values()) - 1) < 1e-3


def test_ties_go_to_the_more_specific_label() -> None:
    assert dominant_stance({"neutral": 0.5, "supportive": 0.5}) == "supportive"
    assert dominant_stance({"threatening": 1, "protesting": 1}) == "protesting"
    assert dominant_stance(dict.fromkeys(STANCE_LABELS, 0.0)) is None


def test_model_probabilities_weigh_and_order_the_evidence() -> None:
    sure = dict.fromkeys(STANCE_LABELS, 0.0) | {"outraged": 0.9, "neutral": 0.1}
    unsure = dict.fromkeys(STANCE_LABELS, 0.0) | {"outraged": 0.4, "concerned": 0.35, "neutral": 0.25}
    _, dist, label, evidence = profile([_stmt(4, "outraged", unsure), _stmt(7, "outraged", sure)])
    assert label == "outraged" and evidence == [7, 4]
    assert abs(dist["outraged"] - 0.65) < 1e-3 and abs(dist["concerned"] - 0.175) < 1e-3


def test_no_statements_no_profile() -> None:
    assert profile([]) == (0, None, None, [])


def test_profiles_agree_with_the_statements(article_analysis) -> None:
    stmt = article_analysis.statements.set_index("statement_id")
    for table, key in ((article_analysis.actors, "speaker_actor_id"), (article_analysis.countries, "speaker_country")):
        ident = "actor_id" if key == "speaker_actor_id" else "iso3"
        for rec in table.to_dict(orient="records"):
            own = stmt[stmt[key] == rec[ident]]
            assert rec["statement_count"] == len(own)
            if not len(own):
                assert pd.isna(rec["dominant_stance"]) and rec["stance_evidence_ids"] == []
                continue
            assert rec["dominant_stance"] in STANCE_LABELS
            assert rec["stance_evidence_ids"], rec
            assert set(rec["stance_evidence_ids"]) <= set(own.index)
            assert (own.loc[rec["stance_evidence_ids"], "stance"] == rec["dominant_stance"]).all()
    actors = article_analysis.actors.set_index("name")
    assert actors.loc["Ramon Dela Cruz", "dominant_stance"] == "outraged"
    assert actors.loc["Kenji Morita", "dominant_stance"] == "concerned"


@pytest.mark.parametrize(("votes", "tiebreak", "expected"), [
    ({"concerned": 2, "neutral": 5}, None, "concerned"),  # the most frequent NON-neutral stance
    ({"neutral": 3}, None, "neutral"),  # neutral only when there is nothing else
    ({}, None, None),
    ({"supportive": 1, "threatening": 1}, {"supportive": 0.9, "threatening": 0.4}, "supportive"),
    ({"supportive": 1, "threatening": 1}, None, "threatening"),  # then the more specific label
])
def test_an_actors_stance_is_its_most_frequent_non_neutral_stance(votes, tiebreak, expected) -> None:
    assert dominant_stance(votes, tiebreak=tiebreak) == expected


def test_stance_toward_each_target_is_kept_apart() -> None:
    statements = [
        {**_stmt(0, "supportive"), "speaker_country": "RUS", "targets": ["North Korea"], "target_countries": ["PRK"]},
        {**_stmt(1, "threatening"), "speaker_country": "RUS", "targets": ["the West", "Russia"],
         "target_countries": []},
        {**_stmt(2, "neutral"), "speaker_country": "RUS", "targets": ["the West"], "target_countries": []},
    ]
    toward = stance_toward(statements, home={"Russia": "RUS", "North Korea": "PRK"})
    assert toward == {"North Korea": "supportive", "PRK": "supportive", "the West": "threatening"}


def test_the_philippines_are_outraged_at_china(article_analysis) -> None:
    phl = article_analysis.countries.set_index("iso3").loc["PHL"]
    # Marquez's and Dela Cruz's outrage outweighs Manila's two protesting acts and the neutral reports
    assert phl["dominant_stance"] == "outraged"
    assert phl["stance_toward"].get("China") == "outraged"
