"""Corrections patch the tables they change: the result is what the stages would make of the corrected actors."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.dashboard.corrections import apply_corrections
from analysis.schema import conform
from analysis.stages.countries import involved_countries
from analysis.stages.profiles import stance_profiles


def _corrections(analysis) -> list[dict]:
    """A country fixed, a country removed, two speakers merged, a country actor merged into a speaker."""
    speakers = list(dict.fromkeys(analysis.statements["speaker_actor_id"].dropna()))
    person = next(r["actor_id"] for r in analysis.actors.to_dict(orient="records")
                  if r["kind"] == "person" and r["actor_id"] not in speakers[:4])
    country = next(r["actor_id"] for r in analysis.actors.to_dict(orient="records") if r["kind"] == "country")
    return [{"kind": "country", "actor_id": person, "value": "VNM"},
            {"kind": "merge", "actor_id": speakers[1], "value": speakers[0]},
            {"kind": "country", "actor_id": speakers[2], "value": None},
            {"kind": "merge", "actor_id": country, "value": speakers[3]},
            {"kind": "country", "actor_id": speakers[1], "value": "FRA"}]  # merged away already: skipped


@pytest.mark.parametrize("slug", ["iaea-board-iran-censure", "philippines-china-shoal-protest"])
def test_patched_tables_are_what_the_stages_make_of_the_corrected_actors(sample_analyses, slug) -> None:
    analysis = sample_analyses[slug][0]
    fixed = apply_corrections(analysis, _corrections(analysis))
    countries = involved_countries(analysis.article, fixed.actors, fixed.mentions)
    actors, countries = stance_profiles(fixed.actors, countries, fixed.statements)
    countries = conform("countries", countries)
    same = [c for c in countries.columns if c != "sentiment"]
    pd.testing.assert_frame_equal(fixed.countries[same], countries[same])
    pd.testing.assert_frame_equal(fixed.actors, conform("actors", actors))
    assert "VNM" in set(fixed.countries["iso3"]) and "VNM" not in set(analysis.countries["iso3"])
    for rec in fixed.countries.to_dict(orient="records"):
        scores = fixed.mentions.loc[fixed.mentions["actor_id"].isin(rec["actor_ids"]), "sentiment_score"].dropna()
        assert rec["sentiment"] == pytest.approx(float(scores.mean()), abs=1e-3)


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
