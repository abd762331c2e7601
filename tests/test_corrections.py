"""Corrections patch the tables they change: the result is what the stages would make of the corrected actors."""

from __future__ import annotations

import pandas as pd
import pytest

from analysis.dashboard.corrections import (
    actor_choices,
    apply_corrections,
    country_choices,
    missing_pick,
    saved_message,
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
    return [{"kind": "country", "actor_id": person, "value": "VNM"},
            {"kind": "merge", "actor_id": speakers[1], "value": speakers[0]},
            {"kind": "country", "actor_id": speakers[2], "value": None},
            {"kind": "merge", "actor_id": country, "value": speakers[3]},
            {"kind": "country", "actor_id": speakers[1], "value": "FRA"}]  # merged away already: skipped


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


def test_actor_choices_name_each_actor_with_its_kind_and_country(seed_analysis) -> None:
    choices = actor_choices(seed_analysis)
    assert set(choices) == set(seed_analysis.actors["actor_id"])
    names = seed_analysis.actors.set_index("actor_id")["name"]
    assert [names[a].lower() for a in choices] == sorted(names[a].lower() for a in choices)
    rec = seed_analysis.actors.set_index("actor_id").loc["country:RUS"]
    assert choices["country:RUS"] == f"{rec['name']} (country, RUS)"
    stateless = next(r for r in seed_analysis.actors.to_dict(orient="records") if not isinstance(r["country"], str))
    assert choices[stateless["actor_id"]].endswith(", no country)")


@pytest.mark.parametrize(("kind", "actor", "value", "missing"), [
    ("country", None, "VNM", "Pick an actor."), ("country", "a", None, None), ("country", "a", "VNM", None),
    ("merge", None, "b", "Pick an actor."), ("merge", "a", None, "Pick the actor to merge into."),
    ("merge", "a", "b", None)])
def test_what_a_correction_form_still_lacks(kind, actor, value, missing) -> None:
    assert missing_pick(kind, actor, value) == missing


def test_saved_corrections_in_words(seed_analysis) -> None:
    names = seed_analysis.actors.set_index("actor_id")["name"]
    person = next(a for a in names.index if a.startswith("person:"))
    assert saved_message(seed_analysis, kind="country", actor_id=person, value="VNM") == \
        f"{names[person]}: country set to {country_choices()['VNM']}."
    assert saved_message(seed_analysis, kind="country", actor_id=person, value=None) == \
        f"{names[person]}: country set to none."
    assert saved_message(seed_analysis, kind="merge", actor_id=person, value="country:RUS") == \
        f"{names[person]} merged into {names['country:RUS']}."
