"""Statement stance (CAMEO-based codebook): concerned, outraged, protesting, threatening, supportive or neutral.

The model is the shared MiniLM encoder (`analysis.models.encoder`) with a LoRA adapter and a linear head over pooled
hidden states, built like the sentiment model (network, LoRA merge and loading from `analysis.models.heads`, without
target markers). The input is a statement's attribution parts, `[CLS] speaker [SEP] cue [SEP] content [SEP]`; where
the content is not given the sentence or passage stands for it. Everything we ship lives in `data/models/stance/` (see
its MODEL_CARD.md); `analysis/training/stance.py` reproduces it. The labels are defined in the shared
`docs/stance-codebook.md`.

Typical use::

    from analysis.models.stance import StanceInput, predict_stance
    predict_stance([StanceInput("Seoul summoned the Russian ambassador.", speaker="Seoul", cue="summoned",
                                content="the Russian ambassador")])
    # [StanceScore(stance='protesting', scores={'concerned': 0.01, ..., 'protesting': 0.93, ...})]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from analysis.errors import InvalidInputLineError, InvalidStatementError
from analysis.labels import STANCE_LABELS
from analysis.models import heads
from analysis.models.heads import DEFAULT_BATCH_SIZE, Encoded
from analysis.settings import ROOT

#: Folder of the shipped stance model (adapter, head, config, model card).
DEFAULT_MODEL_DIR = ROOT / "data" / "models" / "stance"
CONFIG_FILE = "stance_config.json"
TRAIN_HINT = "python -m analysis.training.stance --out data/models/stance"
#: token budgets of the speaker and cue segments (the content gets the rest of `max_length`)
SPEAKER_TOKENS = 16
CUE_TOKENS = 8


class StanceInput(NamedTuple):
    """One statement: the sentence or passage, and the attribution's parts where known (empty or None when not)."""

    text: str
    speaker: str | None = None
    cue: str | None = None
    content: str | None = None


class StanceScore(NamedTuple):
    """Stance of one statement: the arg-max label and every label's probability (summing to 1)."""

    stance: str
    scores: dict[str, float]


@dataclass(frozen=True)
class StanceConfig(heads.HeadConfig):
    """How inputs are built and pooled; stored as `stance_config.json` next to the adapter.

    Attributes:
        base_model_sha256: sha256 of the base `model.safetensors` the adapter was trained on.
        max_length: longest input in tokens, special tokens included; the content is cut at the end.
        input_format: "parts" (speaker [SEP] cue [SEP] content) or "text" (the sentence or passage alone).
        pooling: "+"-joined pooled vectors fed to the head (cls, mean), as in `analysis.models.heads`.
        labels: output classes, in the head's order.
        bf16: train the encoder under bfloat16 autocast (inference runs in float32).
        markers: always "none" (the network has no target markers).
        context: "none", or "passage": the passage (sentence(s) around the statement) follows the content as a 4th
            segment, `... content [SEP] passage [SEP]`, when it differs from the content (it gets what is left of
            `max_length`).
        temperature: the logits are divided by it before the softmax (temperature scaling, fitted on held-apart
            training data), so that the probabilities are calibrated; 1.0 leaves them as trained.
    """

    base_model_sha256: str
    max_length: int = 128
    input_format: str = "parts"
    pooling: str = "cls+mean"
    labels: tuple[str, ...] = STANCE_LABELS
    bf16: bool = True
    markers: str = "none"
    extra: dict[str, Any] = field(default_factory=dict)
    context: str = "none"
    temperature: float = 1.0


def _clean(value: str | None) -> str:
    return " ".join(value.split()) if isinstance(value, str) else ""


def _validate(item: Any) -> StanceInput:
    """Return the item as a `StanceInput`, or raise `InvalidStatementError` naming the bad field."""
    if not isinstance(item, StanceInput):
        try:
            item = StanceInput(item) if isinstance(item, str) else StanceInput(*item)
        except TypeError as exc:
            raise InvalidStatementError(
                f"a statement is a text or (text, speaker, cue, content), got {type(item).__name__}: {exc}"
            ) from exc
    if not isinstance(item.text, str):
        raise InvalidStatementError(f"text must be a string, got {type(item.text).__name__}")
    for name in ("speaker", "cue", "content"):
        value = getattr(item, name)
        if value is not None and not isinstance(value, str):
            raise InvalidStatementError(f"{name} must be a string or None, got {type(value).__name__}")
    return item


def encode_inputs(tokenizer: Any, items: Sequence[StanceInput], config: StanceConfig) -> list[Encoded]:
    """Tokenize statements into encoded inputs (no target span, no markers).

    With `input_format == "parts"` the sequence is `[CLS] speaker [SEP] cue [SEP] content [SEP]` (the content falls
    back to the text when empty); a cue of exactly "[MASK]" is the mask token (used in training to hide the cue).
    """
    cls_id, sep_id, mask_id = tokenizer.cls_token_id, tokenizer.sep_token_id, tokenizer.mask_token_id
    out: list[Encoded] = []
    if config.input_format == "text":
        enc = tokenizer([_clean(it.text) for it in items], add_special_tokens=False, verbose=False)["input_ids"]
        for ids in enc:
            input_ids = [cls_id, *ids[: config.max_length - 2], sep_id]
            out.append(Encoded(input_ids, [0] * len(input_ids), 0, 0, ()))
        return out
    if config.input_format != "parts":
        raise ValueError(f"unknown input_format {config.input_format!r}")
    speakers = tokenizer([_clean(it.speaker) for it in items], add_special_tokens=False, verbose=False)["input_ids"]
    cues = [_clean(it.cue) for it in items]
    cue_ids = tokenizer(cues, add_special_tokens=False, verbose=False)["input_ids"]
    contents = [_clean(it.content) or _clean(it.text) for it in items]
    content_ids = tokenizer(contents, add_special_tokens=False, verbose=False)["input_ids"]
    if config.context not in ("none", "passage"):
        raise ValueError(f"unknown context {config.context!r}")
    context_ids: list[list[int]] = [[] for _ in items]
    if config.context == "passage":
        passages = [_clean(it.text) if _clean(it.content) and _clean(it.text) != _clean(it.content) else ""
                    for it in items]
        context_ids = tokenizer(passages, add_special_tokens=False, verbose=False)["input_ids"]
    for i in range(len(items)):
        speaker = speakers[i][:SPEAKER_TOKENS]
        cue = [mask_id] if cues[i] == "[MASK]" else cue_ids[i][:CUE_TOKENS]
        budget = config.max_length - 4 - len(speaker) - len(cue)
        content = content_ids[i][:budget]
        input_ids = [cls_id, *speaker, sep_id, *cue, sep_id, *content, sep_id]
        room = config.max_length - len(input_ids) - 1
        if context_ids[i] and room > 0:
            input_ids += [*context_ids[i][:room], sep_id]
        out.append(Encoded(input_ids, [0] * len(input_ids), 0, 0, ()))
    return out


class StanceModel(heads.HeadModel):
    """A loaded stance model: tokenizer, network (adapter merged, no target markers) and config.

    Use `load_stance_model()`; `StanceModel.build_net` makes the network for training.
    """

    name, config_type, config_file, default_dir = "stance", StanceConfig, CONFIG_FILE, DEFAULT_MODEL_DIR
    train_hint, markers = TRAIN_HINT, False
    config: StanceConfig

    def probabilities(self, items: Sequence[StanceInput], *, batch_size: int = DEFAULT_BATCH_SIZE,
                      calibrated: bool = True) -> list[list[float]]:
        """Return each item's class probabilities in `config.labels` order: softmax(logits / `config.temperature`),
        or the plain softmax with `calibrated=False`."""
        temperature = self.config.temperature if calibrated else 1.0
        return self.rows(encode_inputs(self.tokenizer, items, self.config), batch_size, temperature=temperature)

    def predict(self, items: Sequence[StanceInput], *, batch_size: int = DEFAULT_BATCH_SIZE,
                calibrated: bool = True) -> list[StanceScore]:
        """Score items; see the module-level `predict_stance` (`calibrated=False`: temperature 1)."""
        checked = [_validate(it) for it in items]
        return [StanceScore(*heads.labelled(row, self.config.labels))
                for row in self.probabilities(checked, batch_size=batch_size, calibrated=calibrated)]


def load_stance_model(model_dir: Path | None = None) -> StanceModel:
    """The stance model of `model_dir` (default `DEFAULT_MODEL_DIR`, the shipped one), loaded once per process; raises
    `ModelNotInstalledError` (files missing; names the training command) or `ModelMismatchError` (base encoder)."""
    return StanceModel.load(model_dir)


def predict_stance(
    items: Sequence[StanceInput | tuple[str, ...] | str],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    model_dir: Path | None = None,
) -> list[StanceScore]:
    """Predict the stance of each statement.

    Args:
        items: `StanceInput(text, speaker, cue, content)` (plain tuples in that order, or a bare text, also do).
            `text` is the sentence or passage; speaker, cue and content are the attribution's parts as found in it
            (the statements table's speaker, cue_text and content_text). Missing parts may be None or empty.
        batch_size: statements per forward pass (sorted by length internally; output order is input order).
        model_dir: folder of the model; defaults to the shipped one.

    Returns:
        One `StanceScore` per item, in input order.

    Raises:
        InvalidStatementError: a field is not a string (or None).
        ModelNotInstalledError, ModelMismatchError: see `load_stance_model`.
    """
    if not items:
        return []
    return load_stance_model(model_dir).predict(items, batch_size=batch_size)  # type: ignore[arg-type]


# ------------------------------------------------------------------------------------------------------------ JSONL


def _parse_line(line: str, lineno: int) -> tuple[str, StanceInput]:
    ident, obj = heads.record_with_id(line, lineno, ("id", "text"), expected="id, text (speaker, cue, content)",
                                need="id and text")
    for key in ("text", "speaker", "cue", "content"):
        value = obj.get(key)
        if (key == "text" or value is not None) and not isinstance(value, str):
            raise InvalidInputLineError(f"line {lineno} (id {ident!r}): {key} must be a string")
    return ident, StanceInput(obj["text"], obj.get("speaker"), obj.get("cue"), obj.get("content"))


def stance_jsonl(
    lines: Iterable[str], out: TextIO, *, batch_size: int = DEFAULT_BATCH_SIZE, model_dir: Path | None = None
) -> None:
    """Serve the CLI contract: read statement lines, write one stance line per statement (same order).

    Input lines are `{"id": str, "text": str, "speaker": str?, "cue": str?, "content": str?}` (blank lines are
    skipped); output lines are `{"id": str, "stance": label, "scores": {label: p, ...}}`. Lines are read and scored
    in chunks, so a stream is answered as it comes.

    Raises:
        InvalidInputLineError: a line is not JSON, lacks id or text, or has a field of the wrong type; the message
            names the line number. Lines before it have already been written.
    """
    model = load_stance_model(model_dir)

    def score(chunk: list[tuple[str, StanceInput]]) -> Iterable[dict[str, Any]]:
        scores = model.predict([item for _, item in chunk], batch_size=batch_size)
        for (ident, _), sc in zip(chunk, scores, strict=True):
            yield {"id": ident, "stance": sc.stance, "scores": {k: round(v, 6) for k, v in sc.scores.items()}}

    heads.serve_jsonl(lines, out, _parse_line, score, batch_size=batch_size)
