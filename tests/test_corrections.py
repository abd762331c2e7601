"""Corrections patch the tables they change: the result is what the stages would make of the corrected actors."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.dashboard.corrections import (
    KEEP_TARGET,
    actor_choices,
    apply_corrections,
    country_choices,
    missing_pick,
    missing_statement_pick,
    saved_message,
    stance_training_records,
)
from analysis.schema import frame, records
from analysis.stages.countries import involved_countries
from analysis.stages.profiles import stance_profiles


def _staged(analysis, fixed) -> tuple[pd.DataFrame, pd.DataFrame]:
    """The actors and countries tables the countries and profiles stages make of the corrected actors."""
    actors = records(fixed.actors)
    countries = involved_countries(article=analysis.article, actors=actors, mentions=records(fixed.mentions))
    countries = countries["countries"]
    profiles = stance_profiles(actors=actors, countries=countries, statements=records(fixed.statements))
    for rows, added in ((actors, profiles["actors"]), (countries, profiles["countries"])):
        for row, more in zip(rows, added, strict=True):
            row.update(more)
    return frame("actors", actors), frame("countries", countries)


def _corrections(analysis) -> list[dict]:
    """A country fixed, a country removed, two speakers merged, a country actor merged into a speaker."""
    speakers = list(dict.fromkeys(analysis.statements["speaker_actor_id"].dropna()))
    person = next(r["actor_id"] for r in analysis.actors.to_dict(orient="records")
                  if r["kind"] == "person" and r["actor_id"] not in speakers[:4])
    country = next(r["actor_id"] for r in analysis.actors.to_dict(orient="records") if r["kind"] == "country")
    said = analysis.statements
    first = said[said["speaker_actor_id"] == speakers[0]].iloc[0]
    countryless = said[said["speaker_actor_id"].isna() & said["speaker_country"].notna()]
    other = said[said["speaker_actor_id"] == speakers[3]].iloc[-1]
    return [{"kind": "country", "actor_id": person, "value": "VNM"},
            {"kind": "stance", "actor_id": speakers[0], "statement_id": int(first["statement_id"]),
             "value": "threatening"},
            {"kind": "merge", "actor_id": speakers[1], "value": speakers[0]},
            {"kind": "country", "actor_id": speakers[2], "value": None},
            {"kind": "merge", "actor_id": country, "value": speakers[3]},
            {"kind": "country", "actor_id": speakers[1], "value": "FRA"},  # merged away already: skipped
            {"kind": "target", "actor_id": speakers[3], "statement_id": int(other["statement_id"]), "value": person},
            *([{"kind": "stance", "actor_id": "", "statement_id": int(countryless["statement_id"].iloc[0]),
                "value": "protesting"}] if len(countryless) else []),
            {"kind": "stance", "actor_id": "", "statement_id": 9999, "value": "neutral"}]  # no such statement


@pytest.mark.parametrize("slug", ["iaea-board-iran-censure", "philippines-china-shoal-protest"])
def test_patched_tables_are_what_the_stages_make_of_the_corrected_actors(sample_analyses, slug) -> None:
    analysis = sample_analyses[slug][0]
    fixed = apply_corrections(analysis, _corrections(analysis))
    actors, countries = _staged(analysis, fixed)
    same = [c for c in countries.columns if c != "sentiment"]
    pd.testing.assert_frame_equal(fixed.countries[same], countries[same])
    pd.testing.assert_frame_equal(fixed.actors, actors)
    assert "VNM" in set(fixed.countries["iso3"]) and "VNM" not in set(analysis.countries["iso3"])
    for rec in fixed.countries.to_dict(orient="records"):
        scores = fixed.mentions.loc[fixed.mentions["actor_id"].isin(rec["actor_ids"]), "sentiment_score"].dropna()
        assert rec["sentiment"] == pytest.approx(float(scores.mean()), abs=1e-3)


def test_statement_corrections_set_stance_and_target_and_count_as_one_vote(sample_analyses) -> None:
    analysis = sample_analyses["philippines-china-shoal-protest"][0]
    rec = analysis.statements.dropna(subset=["speaker_actor_id", "speaker_country"]).iloc[0]
    sid, speaker = int(rec["statement_id"]), rec["speaker_actor_id"]
    target = next(r for r in analysis.actors.to_dict(orient="records")
                  if isinstance(r["country"], str) and r["country"] != rec["speaker_country"])
    fixed = apply_corrections(analysis, [
        {"kind": "stance", "actor_id": speaker, "statement_id": sid, "value": "threatening"},
        {"kind": "target", "actor_id": speaker, "statement_id": sid, "value": target["actor_id"]}])
    row = fixed.statements.set_index("statement_id").loc[sid]
    assert (row["stance"], row["stance_method"], row["stance_uncertain"]) == ("threatening", "correction", False)
    assert row["stance_scores"] == rec["stance_scores"]  # the model's scores are kept, for the record
    assert list(row["targets"]) == [target["name"]] and list(row["target_countries"]) == [target["country"]]
    mine = fixed.statements[fixed.statements["speaker_actor_id"] == speaker]
    actor = fixed.actors.set_index("actor_id").loc[speaker]
    assert actor["stance_distribution"]["threatening"] >= round(1 / len(mine), 4)  # one whole vote
    assert actor["stance_toward"][target["name"]] == "threatening"
    assert actor["stance_toward"][target["country"]] == "threatening"
    untouched = fixed.statements[fixed.statements["statement_id"] != sid]
    pd.testing.assert_frame_equal(untouched, analysis.statements[analysis.statements["statement_id"] != sid])
    removed = apply_corrections(fixed, [{"kind": "target", "actor_id": speaker, "statement_id": sid, "value": None}])
    assert list(removed.statements.set_index("statement_id").loc[sid, "targets"]) == []


def test_stance_corrections_in_the_training_format(sample_analyses) -> None:
    analysis = sample_analyses["iaea-board-iran-censure"][0]
    rec = analysis.statements.dropna(subset=["speaker"]).iloc[0]
    sid = int(rec["statement_id"])
    log = pd.DataFrame([
        {"kind": "stance", "statement_id": sid, "value": "outraged", "made_by": "a@x.org", "made_at": "t1"},
        {"kind": "target", "statement_id": sid + 1, "value": None, "made_by": "a@x.org", "made_at": "t2"},
        {"kind": "stance", "statement_id": sid, "value": "protesting", "made_by": "b@x.org", "made_at": "t3"}])
    fixed = apply_corrections(analysis, [{**r, "actor_id": ""} for r in log.to_dict(orient="records")])
    records = stance_training_records(fixed, log)
    assert len(records) == 1  # the last stance correction wins; a target-only correction is no label
    out = records[0]
    assert (out["id"], out["label"], out["made_by"], out["made_at"]) == (
        f"{analysis.article_id}:{sid}", "protesting", "b@x.org", "t3")
    assert out["content"] == rec["content_text"] and out["speaker"] in (rec["speaker_text"], rec["speaker"])
    assert out["text"] in analysis.article.text and out["content"][:20] in out["text"]


@pytest.mark.parametrize(("statement", "stance", "target", "missing"), [
    (None, "outraged", KEEP_TARGET, "Pick a statement."), (3, None, KEEP_TARGET, "Pick a stance or a target."),
    (3, "outraged", KEEP_TARGET, None), (3, None, None, None), (3, None, "person:x", None)])
def test_what_the_statement_form_still_lacks(statement, stance, target, missing) -> None:
    assert missing_statement_pick(statement, stance, target) == missing


def test_rows_no_correction_reaches_are_kept_as_stored(sample_analyses) -> None:
    analysis = sample_analyses["iaea-board-iran-censure"][0]
    person = next(r for r in analysis.actors.to_dict(orient="records")
                  if r["kind"] == "person" and isinstance(r["country"], str))
    fixed = apply_corrections(analysis, [{"kind": "country", "actor_id": person["actor_id"], "value": "VNM"}])
    untouched = [c for c in analysis.countries["iso3"] if c != person["country"]]
    pd.testing.assert_frame_equal(fixed.countries.set_index("iso3").loc[untouched],
                                  analysis.countries.set_index("iso3").loc[untouched])
    vnm = fixed.countries.set_index("iso3").loc["VNM"]
    assert list(vnm["actor_ids"]) == [person["actor_id"]] and vnm["mention_count"] == 0
    assert vnm["statement_count"] == int((analysis.statements["speaker_actor_id"] == person["actor_id"]).sum())


def test_corrections_that_all_skip_leave_the_analysis_as_it_is(sample_analyses) -> None:
    analysis = sample_analyses["iaea-board-iran-censure"][0]
    assert apply_corrections(analysis, [{"kind": "country", "actor_id": "person:nobody", "value": "VNM"}]) is analysis


def test_actor_choices_name_each_actor_with_its_kind_and_country(article_analysis) -> None:
    choices = actor_choices(article_analysis)
    assert set(choices) == set(article_analysis.actors["actor_id"])
    names = article_analysis.actors.set_index("actor_id")["name"]
    assert [names[a].lower() for a in choices] == sorted(names[a].lower() for a in choices)
    rec = article_analysis.actors.set_index("actor_id").loc["country:CHN"]
    assert choices["country:CHN"] == f"{rec['name']} (country, CHN)"
    stateless = next(r for r in article_analysis.actors.to_dict(orient="records") if not isinstance(r["country"], str))
    assert choices[stateless["actor_id"]].endswith(", no country)")


@pytest.mark.parametrize(("kind", "actor", "value", "missing"), [
    ("country", None, "VNM", "Pick an actor."), ("country", "a", None, None), ("country", "a", "VNM", None),
    ("merge", None, "b", "Pick an actor."), ("merge", "a", None, "Pick the actor to merge into."),
    ("merge", "a", "b", None)])
def test_what_a_correction_form_still_lacks(kind, actor, value, missing) -> None:
    assert missing_pick(kind, actor, value) == missing


def test_saved_corrections_in_words(article_analysis) -> None:
    names = article_analysis.actors.set_index("actor_id")["name"]
    person = next(a for a in names.index if a.startswith("person:"))
    assert saved_message(article_analysis, kind="country", actor_id=person, value="VNM") == \
        f"{names[person]}: country set to {country_choices()['VNM']}."
    assert saved_message(article_analysis, kind="country", actor_id=person, value=None) == \
        f"{names[person]}: country set to none."
    assert saved_message(article_analysis, kind="merge", actor_id=person, value="country:CHN") == \
        f"{names[person]} merged into {names['country:CHN']}."
