"""Statements on short texts: direct, reported and mixed speech, acts, speakers, outlets, kinds."""

from __future__ import annotations

import json
import subprocess
import sys

import pytest

from analysis import analyze
from analysis.settings import ROOT
from analysis.stages.statements import headline_end, statement_kind, trailer_start


def statements(text: str) -> list[dict]:
    return analyze(text).statements.to_dict(orient="records")


def one(text: str, cue: str) -> dict:
    found = [s for s in statements(text) if s["cue_lemma"] == cue]
    assert found, f"no statement with cue {cue!r} in {[s['cue_lemma'] for s in statements(text)]}"
    return found[0]


@pytest.mark.parametrize(
    ("text", "cue", "kind", "speaker", "words"),
    [
        ('Foreign Minister Anna Lindqvist said: "We will not accept this decision." The talks ended.',
         "say", "direct", "Anna Lindqvist", "will not accept"),
        ("“The border must stay open,” said Carlos Mendes, the Brazilian foreign minister.",
         "say", "direct", "Carlos Mendes", "border must stay open"),
        ("Defence Minister Rustam Akhmedov warned that any incursion would be met with force.",
         "warn", "indirect", "Rustam Akhmedov", "incursion would be met"),
        ("Prime Minister Kofi Mensah said that the agreement would be signed next week.",
         "say", "indirect", "Kofi Mensah", "agreement would be signed"),
        ("Ambassador Lena Park said her country would consider “all necessary measures” in response.",
         "say", "mixed", "Lena Park", "all necessary measures"),
        ("According to Ambassador Omar Haddad, the negotiations have collapsed.",
         "according to", "indirect", "Omar Haddad", "negotiations have collapsed"),
    ],
)
def test_forms_of_speech(text, cue, kind, speaker, words) -> None:
    stmt = one(text, cue)
    assert stmt["kind"] == kind
    assert stmt["speaker"] == speaker
    assert words in stmt["content_text"]
    assert text[stmt["content_start"]:stmt["content_end"]].strip().startswith(stmt["content_text"][:10])


def test_split_quote_is_one_statement_with_two_fragments() -> None:
    text = ("“We have no choice,” Foreign Secretary Elena Marquez said. “Beijing must answer for this.” "
            "The meeting ended at noon.")
    found = statements(text)
    quoted = [s for s in found if s["speaker"] == "Elena Marquez"]
    assert quoted
    joined = " ".join(s["content_text"] for s in quoted)
    assert "no choice" in joined and "Beijing must answer" in joined
    assert all(s["kind"] == "direct" for s in quoted)


def test_pronoun_speaker_resolves_to_the_person() -> None:
    text = ("Chancellor Ingrid Halvorsen met the envoy on Monday. "
            "“This is a grave mistake,” she said after the meeting.")
    stmt = next(s for s in statements(text) if "grave mistake" in s["content_text"])
    assert stmt["speaker_text"] is not None
    assert stmt["speaker"] == "Ingrid Halvorsen"


def test_a_description_resolves_to_the_person_with_that_role() -> None:
    text = ("Maria Santos, a spokesperson for the Department of Foreign Affairs, briefed reporters. "
            "The spokesperson said the ship had left the area.")
    stmt = next(s for s in statements(text) if "ship had left" in s["content_text"])
    assert stmt["speaker"] == "Maria Santos"


def test_relative_clause_speaker() -> None:
    text = ("The plan was criticised by Russian ambassador Pavel Orlov, who claimed that the sanctions were "
            "illegal.")
    stmt = next(s for s in statements(text) if "sanctions were illegal" in s["content_text"])
    assert stmt["speaker"] == "Pavel Orlov"


def test_collective_speaker_is_its_country() -> None:
    stmt = next(s for s in statements("US officials believe Iran wants to rebuild its air force.")
          if "rebuild" in s["content_text"])
    assert stmt["speaker_country"] == "USA"


@pytest.mark.parametrize(
    ("text", "speaker", "label"),
    [
        ("South Korea summoned the Russian ambassador to protest against the deal.", "South Korea", "protesting"),
        ("The European Union imposed new sanctions on Belarus on Monday.", "European Union", "threatening"),
        ("Guyana signed an agreement with the United States on defence cooperation.", "Guyana", "supportive"),
        ("The Philippines lodged a formal diplomatic protest with China.", "Philippines", "protesting"),
    ],
)
def test_acts_are_statements_of_their_actor(text, speaker, label) -> None:
    acts = [s for s in statements(text) if s["kind"] == "action"]
    assert acts, statements(text)
    assert acts[0]["speaker"] == speaker
    assert acts[0]["stance"] == label


def test_outlet_of_a_statement_reported_through_the_press() -> None:
    text = ("The proposal is “deeply troubling,” said Laura Fenwick, a US State Department spokesperson, "
            "according to The Guardian.")
    found = statements(text)
    stmt = next(s for s in found if "deeply troubling" in s["content_text"])
    assert stmt["speaker"] == "Laura Fenwick"
    assert stmt["outlet"] == "The Guardian"
    assert not [s for s in found if s["speaker"] == "The Guardian"]


def test_a_statement_without_a_findable_speaker_keeps_speaker_null() -> None:
    found = statements("“The ceasefire will not hold,” one diplomat said, asking not to be named. "
                       "President Ali Karimov arrived later.")
    stmt = next(s for s in found if "ceasefire" in s["content_text"])
    assert stmt["speaker"] is None or str(stmt["speaker"]) == "<NA>"


def test_offsets_point_into_the_text(article_analysis) -> None:
    text = article_analysis.article.text
    for stmt in article_analysis.statements.to_dict(orient="records"):
        for s, e in stmt["content_spans"]:
            assert 0 <= s < e <= len(text)
        if isinstance(stmt["speaker_text"], str):
            assert text[stmt["speaker_start"]:stmt["speaker_end"]] == stmt["speaker_text"]
        if isinstance(stmt["cue_text"], str):
            assert text[stmt["cue_start"]:stmt["cue_end"]] == stmt["cue_text"]


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ('"We will respond," he said.', "direct"),
        ("He said the talks had failed.", "indirect"),
        ('He said the talks were "a failure" and would end.', "mixed"),
        ("“Split,” he said, “quote.”", "direct"),
    ],
)
def test_statement_kind_from_quote_marks(text: str, kind: str) -> None:
    import re

    spans = [m.span() for m in re.finditer(r"[\"“][^\"“”]+[\"”]", text)] if kind == "direct" else \
        [(text.index("the talks"), len(text))]
    assert statement_kind(text, spans) == kind


def test_headline_and_trailing_links_are_not_statements() -> None:
    text = "Seoul protests deal\n\nSouth Korea said the deal was a threat.\nRead more:\n- Japan says no"
    assert text[:headline_end(text)] == "Seoul protests deal"
    assert text[trailer_start(text):].strip().startswith("Read more")
    assert headline_end("One sentence. Another.\nNext") == 0


def test_quotes_cli_contract() -> None:
    lines = [{"id": "a", "text": "“We will not back down,” said Foreign Minister Ana Reyes of Peru."},
             {"id": "b", "text": ""},
             {"id": "c", "text": "Iran said the resolution was illegal."}]
    proc = subprocess.run([sys.executable, "-m", "analysis", "quotes", "--jsonl", "-"], cwd=ROOT, timeout=120,
                          input="\n".join(json.dumps(x) for x in lines).encode(), capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()
    out = [json.loads(line) for line in proc.stdout.decode().splitlines()]
    assert [o["id"] for o in out] == ["a", "b", "c"]
    assert out[1]["statements"] == [] and "empty" in out[1]["error"]
    for rec, src in zip(out, lines, strict=True):
        for stmt in rec["statements"]:
            assert set(stmt) >= {"kind", "speaker", "cue", "content", "speaker_actor"}
            for part in ("speaker", "cue", "content"):
                if stmt[part] is not None:
                    assert src["text"][stmt[part]["start"]:stmt[part]["end"]] == stmt[part]["text"]
    a = out[0]["statements"][0]
    assert a["kind"] == "direct" and a["speaker_actor"] == "Ana Reyes"
    assert out[2]["statements"][0]["speaker_actor"] == "Iran"


def test_quotes_cli_names_a_malformed_line() -> None:
    proc = subprocess.run([sys.executable, "-m", "analysis", "quotes", "--jsonl", "-"], cwd=ROOT, timeout=60,
                          input=b'{"id": "a", "text": "x"}\nnot json\n', capture_output=True)
    assert proc.returncode == 2
    assert "line 2" in proc.stderr.decode() and "Traceback" not in proc.stderr.decode()


WIRE = (
    "Trade war deepens as Brussels hits back\n\n"
    "By JANE ROE and JOHN DOE, Associated Press\n\n"
    "BRUSSELS (AP) — The European Union said on Monday it would impose tariffs on American steel. "
    "\"We will respond in kind,\" said Anna Berg, a spokesperson for the European Commission.\n\n"
    "Photo: Trucks wait at the border in Calais. (AP Photo/Mark Lee)\n\n"
    "Washington criticised the decision.\n\n"
    "Doe reported from Beijing. Associated Press writers Kim Lee and Tom Hart contributed to this report.\n"
)


def test_bylines_datelines_credits_and_captions_are_neither_actors_nor_statements() -> None:
    from analysis.stages.article import furniture_spans

    parts = [WIRE[s:e].strip() for s, e in furniture_spans(WIRE)]
    assert parts == ["By JANE ROE and JOHN DOE, Associated Press", "BRUSSELS (AP) —",
                     "Photo: Trucks wait at the border in Calais. (AP Photo/Mark Lee)", "Doe reported from Beijing.",
                     "Associated Press writers Kim Lee and Tom Hart contributed to this report."]
    result = analyze(WIRE)
    names = set(result.actors["name"])
    assert not names & {"JANE", "JANE ROE", "JOHN DOE", "Doe", "Kim Lee", "Tom Hart", "Mark Lee"}
    assert {"European Union", "Anna Berg", "United States"} <= names
    said = {(s["speaker"], s["content_text"]) for s in result.statements.to_dict(orient="records")}
    assert ("European Union", "it would impose tariffs on American steel") in said  # not run back into the byline
    assert ("Anna Berg", '"We will respond in kind,"') in said
    assert all("reported from" not in str(c) and "contributed" not in str(c) for _, c in said)


def test_a_body_sentence_that_looks_like_furniture_stays() -> None:
    from analysis.stages.article import furniture_spans

    text = "By Monday, Japan said the talks had failed.\n\nKIM said it was too late.\n\nThe ministers met in Rome."
    assert furniture_spans(text) == []


def test_a_reaction_inside_a_statement_is_the_reactors_own() -> None:
    text = ("Seoul has also said it would consider providing arms to Ukraine in a statement that sparked outrage "
            "from Russian ambassador Georgy Zinoviev.")
    said = {s["speaker"]: s for s in statements(text)}
    assert said["South Korea"]["content_text"] == "it would consider providing arms to Ukraine"
    assert said["Georgy Zinoviev"]["kind"] == "action" and said["Georgy Zinoviev"]["cue_text"] == "sparked outrage"
    assert said["Georgy Zinoviev"]["lexicon_stance"] == "outraged"
