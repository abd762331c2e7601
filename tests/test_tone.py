"""The sentiment stage in the pipeline: mentions, actors, countries and statements get the model's sentiment."""

from __future__ import annotations

import json
import subprocess
import sys

import pandas as pd

from analysis.settings import ROOT


def test_every_mention_is_scored_and_actors_aggregate_their_mentions(article_analysis) -> None:
    mentions, actors = article_analysis.mentions, article_analysis.actors
    assert mentions["sentiment"].notna().all()
    assert set(mentions["sentiment"]) <= {"negative", "neutral", "positive"}
    assert mentions["sentiment_score"].between(-1, 1).all()
    for rec in actors.to_dict(orient="records"):
        own = mentions[mentions["actor_id"] == rec["actor_id"]]
        counts = own["sentiment"].value_counts()
        assert rec["sentiment_negative"] == counts.get("negative", 0)
        assert rec["sentiment_neutral"] == counts.get("neutral", 0)
        assert rec["sentiment_positive"] == counts.get("positive", 0)
        assert abs(rec["sentiment_mean"] - own["sentiment_score"].mean()) < 1e-3


def test_the_article_portrays_china_negatively(article_analysis) -> None:
    actors = article_analysis.actors.set_index("name")
    assert actors.loc["China", "sentiment_mean"] < -0.3  # its coast guard's water cannon attack
    countries = article_analysis.countries.set_index("iso3")
    assert countries.loc["CHN", "sentiment"] < 0
    assert countries["sentiment"].dropna().between(-1, 1).all()


def test_statement_tone_follows_its_content(article_analysis) -> None:
    stmt = article_analysis.statements
    assert stmt["sentiment"].notna().all() and stmt["sentiment_score"].between(-1, 1).all()
    unacceptable = stmt[stmt["content_text"].str.contains("unacceptable", na=False)]
    assert len(unacceptable) and (unacceptable["sentiment"] == "negative").all()
    for score, label in zip(stmt["sentiment_score"], stmt["sentiment"], strict=True):
        assert label == ("negative" if score <= -0.33 else "positive" if score >= 0.33 else "neutral")


def test_sentiment_cli_contract_round_trip() -> None:
    text = "Critics condemned the general, while the mayor won wide praise for the rescue."
    lines = [{"id": "general", "text": text, "start": text.index("general"), "end": text.index("general") + 7},
             {"id": "mayor", "text": text, "start": text.index("mayor"), "end": text.index("mayor") + 5}]
    proc = subprocess.run([sys.executable, "-m", "analysis", "sentiment", "--jsonl", "-"], cwd=ROOT,
                          input="\n".join(json.dumps(x) for x in lines) + "\n", capture_output=True, text=True,
                          timeout=120, check=True)
    out = [json.loads(x) for x in proc.stdout.splitlines()]
    assert [o["id"] for o in out] == ["general", "mayor"]
    assert out[0]["polarity"] == "negative" and out[1]["polarity"] == "positive"
    for o in out:
        assert set(o["scores"]) == {"negative", "neutral", "positive"}
        assert abs(sum(o["scores"].values()) - 1) < 1e-3


def test_sentiment_cli_bad_line_is_one_clear_error() -> None:
    proc = subprocess.run([sys.executable, "-m", "analysis", "sentiment", "--jsonl", "-"], cwd=ROOT,
                          input='{"id": "x", "text": "Hello there", "start": 0, "end": 99}\n', capture_output=True,
                          text=True, timeout=120)
    assert proc.returncode == 2
    assert proc.stderr.startswith("error: line 1") and "Traceback" not in proc.stderr


def test_stored_analysis_keeps_sentiment(article_analysis) -> None:
    from analysis.pipeline import Analysis

    back = Analysis.from_dict(json.loads(article_analysis.to_json()))
    pd.testing.assert_frame_equal(back.mentions, article_analysis.mentions)
    pd.testing.assert_frame_equal(back.actors, article_analysis.actors)
