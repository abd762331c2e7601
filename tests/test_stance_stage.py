"""The stance stage in the pipeline: the model's stance per statement, the lexicon where the model is unsure."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.stages.stance import LEXICON_BELOW, combine


def test_every_statement_has_the_models_probabilities(article_analysis) -> None:
    stmt = article_analysis.statements
    assert len(stmt)
    for rec in stmt.to_dict(orient="records"):
        scores = rec["stance_scores"]
        assert set(scores) == {"concerned", "outraged", "protesting", "threatening", "supportive", "neutral"}
        assert abs(sum(scores.values()) - 1) < 1e-3
        if rec["stance_method"] == "model":
            assert rec["stance"] == max(scores, key=scores.get) and pd.isna(rec["stance_evidence"])
        else:
            assert rec["stance_method"] == "lexicon" and isinstance(rec["stance_evidence"], str)
            assert max(scores.values()) < LEXICON_BELOW


def test_seed_stances(seed_analysis) -> None:
    stmt = seed_analysis.statements
    by_speaker = {s: set(g["stance"]) for s, g in stmt.groupby("speaker")}
    assert by_speaker["Georgy Zinoviev"] == {"outraged"}
    assert by_speaker["Matthew Miller"] == {"concerned"}
    summoned = stmt[stmt["cue_text"] == "summoned"]
    assert list(summoned["stance"]) == ["protesting"]
    assert {"RUS", "PRK"} <= set(summoned.iloc[0]["target_countries"])
    signed = stmt[stmt["cue_text"] == "signed"]
    assert list(signed["stance"]) == ["supportive"]
    response = stmt[stmt["content_text"].str.contains("response", na=False)]
    assert len(response) and set(response["stance"]) == {"threatening"}
    measures = stmt[stmt["content_text"].str.contains("various measures", na=False)]  # the codebook's own example
    assert len(measures) and set(measures["stance"]) == {"threatening"}
    arms = stmt[stmt["content_text"].str.contains("providing arms to Ukraine", na=False)]  # Seoul's, not Zinoviev's
    assert len(arms) and set(arms["stance"]) == {"threatening"}


@pytest.mark.parametrize("starts", [
    "summoned China’s ambassador", "lodged a formal diplomatic protest", "This is not how a",
    "Three of the boat’s four", "The Chinese vessels aimed their", "the Philippine boat had “illegally",
    "If the Philippine side insists", "Washington “stands firmly with our", "Beijing of “coercive and reckless”",
    "Tokyo was “seriously concerned” by"])
def test_article_stances(article_analysis, article_gold, starts) -> None:
    """The sample's statements the gold and the pipeline agree on (by the gold's `content_starts`)."""
    [gold] = [g for g in article_gold["statements"] if g["content_starts"].startswith(starts)]
    found = article_analysis.statements[article_analysis.statements["content_text"].str.contains(starts, na=False,
                                                                                                  regex=False)]
    assert len(found) == 1, found["content_text"].tolist()
    assert found["stance"].iloc[0] == gold["stance"]
    if gold["kind"] == "action":  # Manila's summons and protest note are against Beijing
        assert set(gold["targets"]) <= set(found["target_countries"].iloc[0])


def test_the_lexicon_decides_only_where_the_model_is_unsure() -> None:
    sure = {"concerned": 0.05, "outraged": 0.05, "protesting": 0.0, "threatening": 0.0, "supportive": 0.0,
            "neutral": 0.9}
    unsure = {"concerned": 0.3, "outraged": 0.1, "protesting": 0.0, "threatening": 0.2, "supportive": 0.0,
              "neutral": 0.4}
    assert combine("neutral", sure, "threatening") == ("neutral", "model")
    assert combine("neutral", unsure, "threatening") == ("threatening", "lexicon")
    assert combine("neutral", unsure, "neutral") == ("neutral", "model")
    assert combine("neutral", unsure, None) == ("neutral", "model")
