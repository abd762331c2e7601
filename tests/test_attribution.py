"""Attribution tagger on hand-written sentences, its robustness, and the PolNeAR-format scorer."""

from __future__ import annotations

import itertools
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as hs

from analysis.errors import ModelNotInstalledError
from analysis.evaluate.polnear import read_polnear
from analysis.evaluate.quotes import evaluate
from analysis.models.attribution import (
    ADAPTER_DIR,
    Attribution,
    attribution_dicts,
    attributions,
    attributions_batch,
    balanced_windows,
    decode_labels,
    load_tagger,
    prepare_text,
    token_labels,
    windows,
)

needs_model = pytest.mark.skipif(
    not (ADAPTER_DIR / "adapter_model.safetensors").is_file(), reason="attribution adapter not trained"
)


def _find(atts: list[Attribution], cue_word: str) -> Attribution:
    for att in atts:
        if att.cue and cue_word.lower() in att.cue.text.lower():
            return att
    raise AssertionError(f"no attribution with cue {cue_word!r} in {atts}")


def _check_spans(text: str, atts: list[Attribution]) -> None:
    for att in atts:
        for span in [att.source, att.cue, *att.content]:
            if span is not None:
                assert 0 <= span.start < span.end <= len(text)
                assert span.text == text[span.start : span.end]


# ---------------------------------------------------------------------------------------------------------------
# Forms of attribution


@needs_model
def test_direct_quote_before_cue() -> None:
    text = '"We will rebuild the bridge before winter," the mayor of Tarnow said on Tuesday.'
    att = _find(attributions(text), "said")
    assert att.source is not None and "mayor" in att.source.text
    assert "rebuild the bridge" in att.content_text
    assert att.kind == "direct"


@needs_model
def test_direct_quote_after_cue() -> None:
    text = "The foreign minister told reporters: “Our borders will stay closed until the inquiry ends.”"
    att = _find(attributions(text), "told")
    assert att.source is not None and att.source.text == "The foreign minister"
    assert "borders will stay closed" in att.content_text


@needs_model
def test_split_quote_joins_both_parts() -> None:
    text = "“The talks have failed,” the envoy said. “We will try again next month.”"
    atts = attributions(text)
    att = _find(atts, "said")
    assert att.source is not None and "envoy" in att.source.text
    covered = " ".join(a.content_text for a in atts if a.source is None or "envoy" in a.source.text)
    assert "talks have failed" in covered
    assert "try again next month" in covered


@needs_model
def test_according_to() -> None:
    text = "According to the health ministry, the outbreak in the northern provinces has been contained."
    att = _find(attributions(text), "according")
    assert att.source is not None and "health ministry" in att.source.text
    assert "outbreak" in att.content_text
    assert att.kind == "indirect"


@needs_model
def test_reported_speech_with_that_clause() -> None:
    text = "The company said that its profits fell sharply in the third quarter because of higher fuel costs."
    att = _find(attributions(text), "said")
    assert att.source is not None and att.source.text == "The company"
    assert "profits fell sharply" in att.content_text
    assert "said" not in att.content_text


@needs_model
def test_reported_speech_warned() -> None:
    text = "Officials in Nairobi warned the drought could push food prices even higher this year."
    att = _find(attributions(text), "warned")
    assert att.source is not None and "Officials" in att.source.text
    assert "drought" in att.content_text


@needs_model
def test_relative_clause() -> None:
    text = "The opposition leader, who claimed that the vote had been rigged, refused to attend the ceremony."
    att = _find(attributions(text), "claimed")
    assert "vote had been rigged" in att.content_text


@needs_model
def test_partial_quote_is_mixed() -> None:
    text = "The prime minister said the agreement was “a historic step” toward peace in the region."
    att = _find(attributions(text), "said")
    assert att.source is not None and "prime minister" in att.source.text
    assert "historic step" in att.content_text
    assert att.kind == "mixed"


@needs_model
def test_sentence_without_attribution_yields_none() -> None:
    assert attributions("The river rose two metres overnight and flooded the lower town.") == []


@needs_model
def test_batch_matches_single_and_dicts_follow_the_cli_contract() -> None:
    texts = ["The minister said the talks would resume.", "", "“No comment,” he said."]
    batch = attributions_batch(texts)
    assert batch == [attributions(t) for t in texts]
    rows = attribution_dicts(texts[2])
    assert rows and set(rows[0]) >= {"kind", "speaker", "cue", "content", "speaker_actor"}
    assert rows[0]["cue"]["text"] == "said"


# ---------------------------------------------------------------------------------------------------------------
# Robustness


@needs_model
@pytest.mark.parametrize(
    "text",
    [
        "",
        "   \n\n  ",
        '"',
        "“ “ “ ” ” \" ' ‘",
        '"Unclosed quote, the spokesman said, and then nothing',
        "“Only quotes.” “Nothing else.” “At all.”",
        "“Nested ‘inner “deeper” quote’ here,” she said.",
        "\x00\x07\x1b[31m said \u200b\ufeff “x” \u2028\u2029",
        "a" * 100_000,
        "representatives " * 6250,  # a 100k-character single line of ~6k word pieces: ~30 windows
    ],
)
def test_never_crashes(text: str) -> None:
    atts = attributions(text)
    _check_spans(text, atts)


@needs_model
@settings(max_examples=25, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(hs.text(alphabet=hs.characters(codec="utf-8"), max_size=300))
def test_property_spans_are_valid(text: str) -> None:
    _check_spans(text, attributions(text))


def test_missing_adapter_raises(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalledError):
        load_tagger(str(tmp_path))


def test_text_preparation_keeps_offsets_and_windows_cover_all() -> None:
    text = "a\n\nb\r\nc"
    assert len(prepare_text(text)) == len(text)
    assert "\n" not in prepare_text(text)
    for spans in (windows(1000, size=254, step=190), balanced_windows(1000, 254, 64), balanced_windows(3, 254, 64)):
        assert spans[0][0] == 0 and spans[-1][1] in (1000, 3)
        assert all(b[0] + 64 <= a[1] for a, b in itertools.pairwise(spans))
        assert all(e - s <= 254 for s, e in spans)


def test_bio_round_trip() -> None:
    offsets = [(0, 3), (4, 8), (9, 13), (14, 18), (19, 22)]
    labels = token_labels(offsets, {"SOURCE": [(0, 8)], "CUE": [(9, 13)], "CONTENT": [(14, 22)]})
    assert decode_labels(labels, offsets) == [("SOURCE", 0, 8), ("CUE", 9, 13), ("CONTENT", 14, 22)]


# ---------------------------------------------------------------------------------------------------------------
# Scorer on a hand-built PolNeAR-format folder

_TEXT = (
    "Headline about tariffs\n\n"
    "“Tariffs hurt farmers,” the senator said. She added that exports had fallen.\n\n"
    "Prices rose, officials warned, and nobody knew why."
)


def _write_polnear(root: Path) -> str:
    (root / "text").mkdir(parents=True)
    (root / "attributions").mkdir()
    (root / "text" / "mini.txt").write_text(_TEXT, encoding="utf-8")

    def off(s: str, nth: int = 0) -> tuple[int, int]:
        start = -1
        for _ in range(nth + 1):
            start = _TEXT.index(s, start + 1)
        return start, start + len(s)

    q, s1, c1 = off("“Tariffs hurt farmers,”"), off("the senator"), off("said")
    s2, c2, x2 = off("She"), off("added"), off("that exports had fallen")
    p1, p2, s3, c3 = off("Prices rose"), off("and nobody knew why"), off("officials"), off("warned")
    lines = [
        f"T1\tContent {q[0]} {q[1]}\tx",
        f"T2\tSource {s1[0]} {s1[1]}\tx",
        f"T3\tCue {c1[0]} {c1[1]}\tx",
        f"T4\tSource {s2[0]} {s2[1]}\tx",
        f"T5\tCue {c2[0]} {c2[1]}\tx",
        f"T6\tContent {x2[0]} {x2[1]}\tx",
        f"T7\tContent {p1[0]} {p1[1]};{p2[0]} {p2[1]}\tx",
        f"T8\tSource {s3[0]} {s3[1]}\tx",
        f"T9\tCue {c3[0]} {c3[1]}\tx",
        "E1\tAttribution:T3 Source:T2 Cue:T3 Content:T1",
        "E2\tAttribution:T5 Source:T4 Cue:T5 Content:T6",
        "E3\tAttribution:T9 Source:T8 Cue:T9 Content:T7",
    ]
    (root / "attributions" / "mini_ab12.ann").write_text("\n".join(lines) + "\n", encoding="utf-8")
    (root / "attributions" / "mini_cd34.ann").write_text("", encoding="utf-8")  # second annotator: ignored
    return _TEXT


def test_scorer_on_mini_polnear(tmp_path: Path) -> None:
    text = _write_polnear(tmp_path)
    articles = read_polnear(tmp_path)
    assert len(articles) == 1 and articles[0].annotation_file == "mini_ab12.ann"
    assert len(articles[0].relations) == 3
    assert len(articles[0].relations[2].content) == 2  # discontinuous content kept as two fragments

    def span(s: str) -> dict[str, int]:
        start = text.index(s)
        return {"start": start, "end": start + len(s)}

    def predictor(_: str) -> list[dict]:
        return [
            # exact on all three roles
            {"speaker": span("the senator"), "cue": span("said"), "content": span("“Tariffs hurt farmers,”")},
            # source exact, cue exact, content overlaps only ("exports had fallen" lacks "that")
            {"speaker": span("She"), "cue": span("added"), "content": span("exports had fallen")},
            # discontinuous content given as parts: exact; a wrong cue and no source
            {"speaker": None, "cue": span("knew"), "content_parts": [span("Prices rose"), span("and nobody knew why")]},
            # a false positive everywhere
            {"speaker": span("Headline"), "cue": span("about"), "content": span("tariffs")},
        ]

    (result,) = evaluate(predictor, articles, "fixed")
    scores = {role: counts.scores() for role, counts in result.counts.items()}
    assert (result.counts["source"].predicted, result.counts["source"].gold) == (3, 3)
    assert scores["source"]["exact"] == pytest.approx((2 / 3, 2 / 3, 2 / 3))
    assert scores["cue"]["exact"] == pytest.approx((2 / 4, 2 / 3, 2 * (0.5 * 2 / 3) / (0.5 + 2 / 3)))
    assert scores["content"]["exact"][:2] == pytest.approx((2 / 4, 2 / 3))
    assert scores["content"]["overlap"][:2] == pytest.approx((3 / 4, 3 / 3))
    # "knew" lies inside the gold content, not a gold cue: no cue overlap for it
    assert scores["cue"]["overlap"][:2] == pytest.approx((2 / 4, 2 / 3))
    # proportional: the "that" of the second content is missed; "tariffs" is predicted outside any gold content
    prop_p, prop_r, _ = scores["content"]["proportional"]
    assert prop_r == pytest.approx(
        1
        - 4
        / sum(
            len(x.replace(" ", ""))
            for x in ["“Tariffs hurt farmers,”", "that exports had fallen", "Prices rose", "and nobody knew why"]
        )
    )
    assert prop_p < 1.0
    linked = result.linked_scores()
    assert linked["source"][:2] == pytest.approx((2 / 3, 2 / 3))
    assert linked["content"][:2] == pytest.approx((2 / 4, 2 / 3))
    assert scores["content"]["jaccard"][:2] == pytest.approx((3 / 4, 3 / 3))  # "exports had fallen": 16 of 20 chars
    assert result.speakers == {"direct": [1, 1], "mixed": [0, 0], "indirect": [2, 1]}  # "warned" was missed


def test_the_stricter_match_needs_half_of_the_union() -> None:
    from analysis.evaluate.polnear import GoldRelation
    from analysis.evaluate.quotes import RoleCounts, gold_kind, jaccard

    assert jaccard(frozenset(range(10)), frozenset(range(5, 15))) == pytest.approx(5 / 15)
    assert jaccard(frozenset(range(10)), frozenset(range(0, 20))) == pytest.approx(0.5)
    counts = RoleCounts()
    counts.add([frozenset(range(0, 4)), frozenset(range(10, 30))], [frozenset(range(0, 10)), frozenset(range(10, 30))])
    assert (counts.overlap, counts.jaccard) == (2, 1)  # the 4-character span only touches its gold span
    text = 'He said "we will go." She said that we "may" go. They said we go.'

    def rel(s: str) -> GoldRelation:
        start = text.index(s)
        return GoldRelation(source=None, cue=None, content=((start, start + len(s)),))

    assert [gold_kind(text, rel(s)) for s in ('"we will go."', 'we "may" go', "we go")] == [
        "direct", "mixed", "indirect"]
