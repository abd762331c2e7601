"""Country inference with its reason (issue 14): the text's words, the dateline, places, the story's country and the
office-holder table; facts that do not add up. Texts are written here; no corpus is needed."""

from __future__ import annotations

import pytest

from analysis import analyze
from analysis.rules.knowledge import load_knowledge, offices_of_role


def speaker(text: str, published: str = "2024-06-20") -> dict:
    rows = analyze(text, published=published).statements.to_dict("records")
    assert rows, "no statement found"
    return rows[0]


@pytest.mark.parametrize(("text", "country", "source"), [
    ("Fuel prices to rise\n\nACCRA (AFP) - The finance minister said on Monday that fuel prices would rise by 15 "
     "percent from next month.", "GHA", "dateline"),
    ("Whaling plan rejected\n\nWELLINGTON : Prosecutors said on Tuesday they would appeal the ruling.", "NZL",
     "dateline"),
    ("Strife warning\n\nLebanon's top Sunni cleric Sheikh Abdul Latif Derian warned on Sunday against new strife.",
     "LBN", "modifier"),
    ("Beef exports\n\nThe Brazilian Ministry of Agriculture says exports of beef to China rose sharply.", "BRA", None),
    ("Data fines\n\nDUBLIN - The country's data-protection chief warned on Monday that fines would follow.", "IRL",
     "modifier"),
    ("Envoy expelled\n\nThe Democratic Republic of Congo said on Monday it would expel the Rwandan envoy.", "COD",
     None),
    ("Handover on track\n\nBAGHDAD (Reuters) - Colin Powell said on Tuesday the handover would go ahead as planned.",
     "USA", "knowledge"),
    ("Strike halts trains\n\nUnion leaders said on Thursday that most trains were halted by a strike against "
     "Emmanuel Macron's pension reform in Paris and Lyon.", "FRA", "story"),
])
def test_the_speaker_gets_the_country_a_reader_gives_it(text: str, country: str, source: str | None) -> None:
    row = speaker(text)
    assert row["speaker_country"] == country, row
    if source:
        assert row["speaker_country_source"] == source, row
    assert 0 < row["speaker_country_confidence"] <= 1


def test_a_speaker_visiting_another_capital_keeps_their_own_country() -> None:
    row = speaker("Talks in Vilnius\n\nVILNIUS (Reuters) - Belarusian opposition leader Sviatlana Tsikhanouskaya said "
                  "on Monday that the election had been stolen.", published="2020-08-10")
    assert row["speaker_country"] == "BLR"


def test_an_international_body_takes_no_dateline_country() -> None:
    row = speaker("Aid appeal\n\nGENEVA (Reuters) - The World Health Organization said on Monday that cases were "
                  "rising.")
    assert row["speaker_country"] is None


def test_a_city_below_country_level_resolves_through_the_gazetteer() -> None:
    analysis = analyze("Missiles hit city\n\nThe mayor of Kharkiv said the city had been hit by three missiles "
                       "overnight, and officials in Mosul reported new fighting.")
    assert "UKR" in set(analysis.countries["iso3"])


def test_a_role_the_table_says_someone_else_held_is_flagged_with_both_facts() -> None:
    analysis = analyze("Plan criticised\n\nWASHINGTON (AP) - US President Joe Blinken said on Thursday that the plan "
                       "was dangerous.", published="2024-06-20")
    actors = analysis.actors.set_index("name")
    flag = actors.loc["Joe Blinken", "fact_check"]
    assert "Joe Biden" in flag and "Antony Blinken was Secretary of State" in flag
    assert "Joe Blinken" in analysis.article.text


def test_a_correct_role_and_a_company_president_are_not_flagged() -> None:
    analysis = analyze("Plan criticised\n\nUS President Joe Biden said on Thursday that the plan was dangerous. "
                       "Akio Toyoda, president of Toyota, said sales would recover.", published="2024-06-20")
    assert analysis.actors["fact_check"].isna().all(), analysis.actors[["name", "fact_check"]]


def test_the_office_table_is_dated_and_reads_roles_strictly() -> None:
    import datetime as dt

    table = load_knowledge()
    assert [h.name for h in table.held("USA", "head_of_state", dt.date(2004, 6, 1))] == ["George W. Bush"]
    assert offices_of_role("Foreign Minister") == ("foreign_minister",)
    assert offices_of_role("Vice President") == () and offices_of_role("former President") == ()
    assert table.coverage()["countries"] >= 190 and not table.problems
