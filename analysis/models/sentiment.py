"""Target-dependent sentiment (NewsMTSC task): negative / neutral / positive towards one marked mention.

The model is the shared MiniLM encoder (`analysis.models.encoder`) with a LoRA adapter, two learned marker embeddings
that are inserted around the target mention, and a linear head over pooled hidden states. Everything we ship lives
in `data/models/sentiment/` (see its MODEL_CARD.md); `analysis/training/sentiment.py` reproduces it.

Typical use::

    from analysis.models.sentiment import predict
    predict([("The minister was praised for the reform.", 4, 12)])
    # [SentimentScore(polarity='positive', negative=0.01, neutral=0.05, positive=0.94)]
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from analysis.errors import InvalidInputLineError, SpanError
from analysis.labels import SENTIMENT_LABELS
from analysis.models.heads import (
    DEFAULT_BATCH_SIZE,
    Encoded,
    HeadConfig,
    HeadModel,
    labelled,
    record_with_id,
    serve_jsonl,
)
from analysis.settings import ROOT

#: Folder of the shipped sentiment model (adapter, head, config, model card).
DEFAULT_MODEL_DIR = ROOT / "data" / "models" / "sentiment"
CONFIG_FILE = "sentiment_config.json"
TRAIN_HINT = "python -m analysis.training.sentiment --out data/models/sentiment"


class SentimentScore(NamedTuple):
    """Sentiment towards one target: the arg-max label and the three class probabilities (summing to 1)."""

    polarity: str
    negative: float
    neutral: float
    positive: float


@dataclass(frozen=True)
class SentimentConfig(HeadConfig):
    """How inputs are built and pooled; stored as `sentiment_config.json` next to the adapter.

    Attributes:
        base_model_sha256: sha256 of the base `model.safetensors` the adapter was trained on.
        max_length: longest input in tokens, [CLS]/[SEP]/markers included; longer texts are cropped around the target.
        markers: "tokens" inserts two learned marker embeddings around the target; "none" marks nothing.
        pair: also append the mention as a second segment ("text [SEP] mention [SEP]").
        pooling: "+"-joined pooled vectors fed to the head: cls, mean, target (mean over the marked span), start
            (the opening marker), local (mean over the span and `extra["local_window"]` tokens either side).
        labels: output classes, in the head's order.
        bf16: train the encoder under bfloat16 autocast (inference runs in float32).
    """

    base_model_sha256: str
    max_length: int = 128
    markers: str = "tokens"
    pair: bool = False
    pooling: str = "cls+target"
    labels: tuple[str, ...] = SENTIMENT_LABELS
    bf16: bool = True
    extra: dict[str, Any] = field(default_factory=dict)


# --------------------------------------------------------------------------------------------------- input encoding


def _validate_span(text: str, start: int, end: int) -> None:
    if not isinstance(text, str):
        raise SpanError(f"text must be a string, got {type(text).__name__}")
    if isinstance(start, bool) or isinstance(end, bool) or not isinstance(start, int) or not isinstance(end, int):
        raise SpanError(f"start and end must be integers, got {start!r} and {end!r}")
    if not 0 <= start < end <= len(text):
        raise SpanError(
            f"target span [{start}, {end}) is not inside the text of {len(text)} characters; "
            "give 0 <= start < end <= len(text) (end exclusive)"
        )
    if not text[start:end].strip():
        raise SpanError(f"target span [{start}, {end}) covers only whitespace; give the span of the mention")


def encode_targets(
    tokenizer: Any, items: Sequence[tuple[str, int, int]], config: SentimentConfig, marker_ids: tuple[int, int]
) -> list[Encoded]:
    """Tokenize texts, find the target tokens, crop a window around them and insert the markers."""
    texts = [text for text, _, _ in items]
    enc = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    mention_ids: list[list[int]] = []
    if config.pair:
        mention_ids = tokenizer([t[s:e] for t, s, e in items], add_special_tokens=False, verbose=False)["input_ids"]
    use_markers = config.markers == "tokens"
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    out: list[Encoded] = []
    for i, (_text, start, end) in enumerate(items):
        ids: list[int] = enc["input_ids"][i]
        offsets = enc["offset_mapping"][i]
        inside = [j for j, (a, b) in enumerate(offsets) if a < end and b > start]
        if not inside:  # a span between tokens (cannot happen for validated non-blank spans, but stay total)
            pos = next((j for j, (a, _) in enumerate(offsets) if a >= start), len(ids))
            t0, t1 = pos, pos
        else:
            t0, t1 = inside[0], inside[-1] + 1
        pair_part: list[int] = []
        if config.pair:
            pair_part = [*mention_ids[i][:16], sep_id]
        budget = config.max_length - 2 - (2 if use_markers else 0) - len(pair_part)
        if t1 - t0 > budget:  # a mention longer than the window: keep its beginning
            t1 = t0 + budget
        if len(ids) > budget:
            left = max(0, min(t0 - (budget - (t1 - t0)) // 2, len(ids) - budget))
            ids = ids[left : left + budget]
            t0, t1 = t0 - left, t1 - left
        if use_markers:
            body = [*ids[:t0], marker_ids[0], *ids[t0:t1], marker_ids[1], *ids[t1:]]
            start_pos, end_pos = 1 + t0, 1 + t1 + 1
            markers: tuple[int, ...] = (start_pos, end_pos)
        else:
            body = ids
            start_pos, end_pos = 1 + t0, max(1 + t0, t1)
            markers = ()
        input_ids = [cls_id, *body, sep_id]
        token_type_ids = [0] * len(input_ids)
        if pair_part:
            input_ids += pair_part
            token_type_ids += [1] * len(pair_part)
        out.append(Encoded(input_ids, token_type_ids, start_pos, end_pos, markers))
    return out


def marker_init_ids(tokenizer: Any) -> tuple[int, int]:
    """Vocabulary ids whose embeddings initialise the two markers (the bracket tokens)."""
    return tuple(tokenizer.convert_tokens_to_ids(["[", "]"]))  # type: ignore[return-value]


# ------------------------------------------------------------------------------------------------------------ model


class SentimentModel(HeadModel):
    """A loaded sentiment model: tokenizer, network (adapter merged, with markers) and config.

    Use `load_sentiment_model()`; `SentimentModel.build_net` makes the network for training.
    """

    name, config_type, config_file, default_dir = "sentiment", SentimentConfig, CONFIG_FILE, DEFAULT_MODEL_DIR
    train_hint, markers = TRAIN_HINT, True
    config: SentimentConfig

    def __init__(self, net: Any, tokenizer: Any, config: SentimentConfig, *, onnx: Any = None) -> None:
        """Wrap a built network (in eval mode) or an ONNX head (see `HeadModel`)."""
        super().__init__(net, tokenizer, config, onnx=onnx)
        # marker positions carry placeholder ids (the bracket tokens); their embeddings are replaced by `net.markers`
        self.marker_ids = marker_init_ids(tokenizer)

    def encode(self, items: Sequence[tuple[str, int, int]]) -> list[Encoded]:
        """Encode validated (text, start, end) items into model inputs."""
        return encode_targets(self.tokenizer, items, self.config, self.marker_ids)

    def predict(
        self, items: Sequence[tuple[str, int, int]], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> list[SentimentScore]:
        """Score items; see the module-level `predict`."""
        for text, start, end in items:
            _validate_span(text, start, end)
        probs = self.rows(self.encode(items), batch_size)
        return [_score(row, self.config.labels) for row in probs]


def _score(row: list[float], labels: Sequence[str]) -> SentimentScore:
    best, by_label = labelled(row, labels)
    return SentimentScore(best, by_label["negative"], by_label["neutral"], by_label["positive"])


def load_sentiment_model(model_dir: Path | None = None) -> SentimentModel:
    """The sentiment model of `model_dir` (default: the shipped `data/models/sentiment/`), loaded once per process.

    Raises:
        ModelNotInstalledError: adapter files are missing (the message names the training command);
        ModelMismatchError: the installed base encoder is not the one the adapter was trained on.
    """
    return SentimentModel.load(model_dir)


def predict(
    items: Sequence[tuple[str, int, int]],
    *,
    batch_size: int = DEFAULT_BATCH_SIZE,
    model_dir: Path | None = None,
) -> list[SentimentScore]:
    """Predict the sentiment towards each target.

    Args:
        items: (text, start, end) with the target mention at `text[start:end]` (character offsets, end exclusive).
            Texts longer than the encoder window are cropped to a window around the target.
        batch_size: targets per forward pass (items are sorted by length internally, output order is input order).
        model_dir: folder of the model; defaults to the shipped one.

    Returns:
        One `SentimentScore` per item, in input order.

    Raises:
        SpanError: a span is empty, blank or outside its text.
        ModelNotInstalledError, ModelMismatchError: see `load_sentiment_model`.
    """
    if not items:
        return []
    return load_sentiment_model(model_dir).predict(items, batch_size=batch_size)


# ------------------------------------------------------------------------------------------------------------ JSONL


def _parse_line(line: str, lineno: int) -> tuple[str, str, int, int]:
    ident, obj = record_with_id(line, lineno, ("id", "text", "start", "end"), expected="id, text, start, end",
                                need="id, text, start, end")
    text, start, end = obj["text"], obj["start"], obj["end"]
    if not isinstance(text, str):
        raise InvalidInputLineError(f"line {lineno}: text must be a string")
    try:
        _validate_span(text, start, end)
    except SpanError as exc:
        raise InvalidInputLineError(f"line {lineno} (id {ident!r}): {exc}") from exc
    return ident, text, start, end


def sentiment_jsonl(
    lines: Iterable[str], out: TextIO, *, batch_size: int = DEFAULT_BATCH_SIZE, model_dir: Path | None = None
) -> None:
    """Serve the CLI contract: read target lines, write one sentiment line per target (same order).

    Input lines are `{"id": str, "text": str, "start": int, "end": int}` (blank lines are skipped); output lines are
    `{"id": str, "polarity": "negative"|"neutral"|"positive", "scores": {"negative": p, "neutral": p, "positive": p}}`.
    Lines are read and scored in chunks, so a stream is answered as it comes.

    Raises:
        InvalidInputLineError: a line is not JSON, lacks a key, has a wrong type or a span outside its text; the message
            names the line number. Lines before it have already been written.
    """
    model = load_sentiment_model(model_dir)

    def score(chunk: list[tuple[str, str, int, int]]) -> Iterable[dict[str, Any]]:
        scores = model.predict([(t, s, e) for _, t, s, e in chunk], batch_size=batch_size)
        for (ident, *_), sc in zip(chunk, scores, strict=True):
            probs = {"negative": sc.negative, "neutral": sc.neutral, "positive": sc.positive}
            yield {"id": ident, "polarity": sc.polarity, "scores": {k: round(v, 6) for k, v in probs.items()}}

    serve_jsonl(lines, out, _parse_line, score, batch_size=batch_size)
