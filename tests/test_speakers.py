"""Speakers as a reader resolves them (issue 13): titles before names, the body a spokesperson speaks for, a role
with its name set off after it, a quote whose speaker is named after it, surnames the tagger missed."""

from __future__ import annotations

from analysis import analyze

LEAD = "Iceland and Norway meet over fishing quotas\n\n"


def rows(text: str) -> list[dict]:
    return analyze(LEAD + text).statements.to_dict("records")


def about(text: str, words: str) -> dict:
    [row] = [r for r in rows(text) if words in r["content_text"]]
    return row


def test_a_title_before_a_name_is_not_the_speaker_and_the_body_is_kept_apart() -> None:
    row = about("Spokesperson for the State Department Jane Roe says the talks were still going on.", "talks")
    assert row["speaker"] == "Jane Roe"
    assert row["speaker_org"] == "State Department"
    assert row["speaker_country"] == "USA"


def test_a_spokesperson_named_after_the_body_speaks_for_it() -> None:
    row = about("A spokesperson for the European Commission, Lena Horvat, said the bloc was ready to talk.", "bloc")
    assert (row["speaker"], row["speaker_org"]) == ("Lena Horvat", "European Commission")


def test_a_role_with_the_name_after_it_gives_the_name() -> None:
    row = about("Iceland's deputy fisheries minister, Gunnar Thorsson, said the quotas were unfair.", "unfair")
    assert row["speaker"] == "Gunnar Thorsson"
    assert row["speaker_org"] is None or row["speaker_org"] != "Gunnar Thorsson"


def test_a_quote_whose_speaker_is_named_after_it() -> None:
    out = rows("“The stocks are collapsing faster than anyone admits.” The warning came from Paul Ndiaye, an "
               "economist at the University of Dakar.")
    [row] = [r for r in out if "collapsing" in r["content_text"]]
    assert row["speaker"] == "Paul Ndiaye"
    assert row["cue_lemma"] == "warn"


def test_a_surname_the_tagger_misses_still_joins_the_full_name() -> None:
    row = about("The European Union's trade commissioner, Marguerite Duval, met fishing groups on Tuesday.\n\n"
                "Duval said the Commission had raised the quotas with Norway a dozen times.", "raised the quotas")
    assert row["speaker"] == "Marguerite Duval"


def test_a_body_that_speaks_for_its_members_is_no_statement() -> None:
    out = rows("The Icelandic Fishing Association, which speaks for most of the island's trawler owners, called "
               "the quotas “a disgrace”.")
    assert [r["cue_lemma"] for r in out] == ["call"]
    assert out[0]["speaker"] == "Icelandic Fishing Association"
