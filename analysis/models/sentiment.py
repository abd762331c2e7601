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

import json
import math
from collections.abc import Iterable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import Any, NamedTuple, TextIO

from analysis.errors import InvalidInputLineError, ModelMismatchError, ModelNotInstalledError, SpanError
from analysis.settings import ROOT

LABELS: tuple[str, str, str] = ("negative", "neutral", "positive")
#: Folder of the shipped sentiment model (adapter, head, config, model card).
DEFAULT_MODEL_DIR = ROOT / "data" / "models" / "sentiment"
CONFIG_FILE = "sentiment_config.json"
HEAD_FILE = "head.safetensors"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
TRAIN_HINT = "python -m analysis.training.sentiment --out data/models/sentiment"
DEFAULT_BATCH_SIZE = 64


class SentimentScore(NamedTuple):
    """Sentiment towards one target: the arg-max label and the three class probabilities (summing to 1)."""

    polarity: str
    negative: float
    neutral: float
    positive: float


@dataclass(frozen=True)
class SentimentConfig:
    """How inputs are built and pooled; stored as `sentiment_config.json` next to the adapter.

    Attributes:
        base_model_sha256: sha256 of the base `model.safetensors` the adapter was trained on.
        max_length: longest input in tokens, [CLS]/[SEP]/markers included; longer texts are cropped around the target.
        markers: "tokens" inserts two learned marker embeddings around the target; "none" marks nothing.
        pair: also append the mention as a second segment ("text [SEP] mention [SEP]").
        pooling: "+"-joined pooled vectors fed to the head: cls, mean, target (mean over the marked span), start
            (the opening marker), local (mean over the span and `extra["local_window"]` tokens either side).
        labels: output classes, in the head's order.
        bf16: run the encoder under bfloat16 autocast (as in training).
    """

    base_model_sha256: str
    max_length: int = 128
    markers: str = "tokens"
    pair: bool = False
    pooling: str = "cls+target"
    labels: tuple[str, ...] = LABELS
    bf16: bool = True
    extra: dict[str, Any] = field(default_factory=dict)

    def to_json(self) -> str:
        """Return the config as pretty JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"

    @classmethod
    def from_file(cls, path: Path) -> SentimentConfig:
        """Read a config written by `to_json`."""
        data = json.loads(path.read_text(encoding="utf-8"))
        data["labels"] = tuple(data.get("labels", LABELS))
        return cls(**data)


# --------------------------------------------------------------------------------------------------- input encoding


class _Encoded(NamedTuple):
    input_ids: list[int]
    token_type_ids: list[int]
    start_pos: int  # position of the opening marker (or first target token when markers == "none")
    end_pos: int  # position of the closing marker (or last target token), inclusive
    marker_positions: tuple[int, ...]


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


def _encode_batch(
    tokenizer: Any, items: Sequence[tuple[str, int, int]], config: SentimentConfig, marker_ids: tuple[int, int]
) -> list[_Encoded]:
    """Tokenize texts, find the target tokens, crop a window around them and insert the markers."""
    texts = [text for text, _, _ in items]
    enc = tokenizer(texts, add_special_tokens=False, return_offsets_mapping=True, verbose=False)
    mention_ids: list[list[int]] = []
    if config.pair:
        mention_ids = tokenizer([t[s:e] for t, s, e in items], add_special_tokens=False, verbose=False)["input_ids"]
    use_markers = config.markers == "tokens"
    cls_id, sep_id = tokenizer.cls_token_id, tokenizer.sep_token_id
    out: list[_Encoded] = []
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
        out.append(_Encoded(input_ids, token_type_ids, start_pos, end_pos, markers))
    return out


def _collate(batch: Sequence[_Encoded]) -> dict[str, Any]:
    """Pad a batch of encoded items into tensors (dynamic padding to the longest item)."""
    import torch

    n, width = len(batch), max(len(e.input_ids) for e in batch)
    input_ids = torch.zeros((n, width), dtype=torch.long)
    token_type_ids = torch.zeros((n, width), dtype=torch.long)
    attention_mask = torch.zeros((n, width), dtype=torch.long)
    target_mask = torch.zeros((n, width), dtype=torch.float32)
    marker_mask = torch.zeros((n, width), dtype=torch.bool)
    start_pos = torch.zeros(n, dtype=torch.long)
    for i, e in enumerate(batch):
        k = len(e.input_ids)
        input_ids[i, :k] = torch.tensor(e.input_ids)
        token_type_ids[i, :k] = torch.tensor(e.token_type_ids)
        attention_mask[i, :k] = 1
        target_mask[i, e.start_pos : e.end_pos + 1] = 1.0
        for p in e.marker_positions:
            marker_mask[i, p] = True
        start_pos[i] = e.start_pos
    return {
        "input_ids": input_ids,
        "token_type_ids": token_type_ids,
        "attention_mask": attention_mask,
        "target_mask": target_mask,
        "marker_mask": marker_mask,
        "start_pos": start_pos,
    }


# ------------------------------------------------------------------------------------------------------------ model


def _build_net(encoder: Any, config: SentimentConfig) -> Any:
    """Return the torch module: encoder + marker embeddings + pooling + linear head."""
    import torch
    from torch import nn

    class SentimentNet(nn.Module):
        """MiniLM (optionally LoRA-wrapped) with target markers and a linear head."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            hidden = encoder.config.hidden_size
            self.pooling = tuple(config.pooling.split("+"))
            self.markers = nn.Parameter(torch.zeros(2, hidden))
            self.dropout = nn.Dropout(float(config.extra.get("head_dropout", 0.1)))
            self.classifier = nn.Linear(hidden * len(self.pooling), len(config.labels))
            self.bf16 = config.bf16
            self.local_window = int(config.extra.get("local_window", 8))

        def head_state(self) -> dict[str, Any]:
            return {
                "markers": self.markers.detach(),
                "classifier.weight": self.classifier.weight.detach(),
                "classifier.bias": self.classifier.bias.detach(),
            }

        def forward(self, batch: dict[str, Any]) -> Any:
            input_ids = batch["input_ids"]
            embeds = self.encoder.get_input_embeddings()(input_ids)
            marker_mask = batch["marker_mask"]
            if bool(marker_mask.any()):
                # opening marker -> markers[0], closing marker -> markers[1] (the opening one comes first in a row)
                first = marker_mask & (marker_mask.cumsum(dim=1) == 1)
                vec = torch.where(first.unsqueeze(-1), self.markers[0], self.markers[1]).to(embeds.dtype)
                embeds = torch.where(marker_mask.unsqueeze(-1), vec, embeds)
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16):
                hidden = self.encoder(
                    inputs_embeds=embeds,
                    attention_mask=batch["attention_mask"],
                    token_type_ids=batch["token_type_ids"],
                ).last_hidden_state
            hidden = hidden.float()
            pooled = []
            for kind in self.pooling:
                if kind == "cls":
                    pooled.append(hidden[:, 0])
                elif kind == "mean":
                    m = batch["attention_mask"].unsqueeze(-1).float()
                    pooled.append((hidden * m).sum(1) / m.sum(1).clamp(min=1.0))
                elif kind == "target":
                    m = batch["target_mask"].unsqueeze(-1)
                    pooled.append((hidden * m).sum(1) / m.sum(1).clamp(min=1.0))
                elif kind == "start":
                    pooled.append(hidden[torch.arange(hidden.shape[0]), batch["start_pos"]])
                elif kind == "local":  # the target's neighbourhood (as in LCF): tokens within `local_window`
                    pos = torch.arange(hidden.shape[1]).unsqueeze(0)
                    t = batch["target_mask"]
                    first = t.argmax(1, keepdim=True)
                    last = t.shape[1] - 1 - t.flip(1).argmax(1, keepdim=True)
                    near = (pos >= first - self.local_window) & (pos <= last + self.local_window)
                    m = (near & batch["attention_mask"].bool()).unsqueeze(-1).float()
                    pooled.append((hidden * m).sum(1) / m.sum(1).clamp(min=1.0))
                else:
                    raise ValueError(f"unknown pooling {kind!r}")
            return self.classifier(self.dropout(torch.cat(pooled, dim=-1)))

    return SentimentNet()


def marker_init_ids(tokenizer: Any) -> tuple[int, int]:
    """Vocabulary ids whose embeddings initialise the two markers (the bracket tokens)."""
    return tuple(tokenizer.convert_tokens_to_ids(["[", "]"]))  # type: ignore[return-value]


class SentimentModel:
    """A loaded sentiment model: tokenizer, network (adapter merged) and config. Use `load_sentiment_model()`."""

    def __init__(self, net: Any, tokenizer: Any, config: SentimentConfig) -> None:
        """Wrap a built network; `net` must be in eval mode."""
        self.net = net
        self.tokenizer = tokenizer
        self.config = config
        # marker positions carry placeholder ids (the bracket tokens); their embeddings are replaced by `net.markers`
        self.marker_ids = marker_init_ids(tokenizer)

    def encode(self, items: Sequence[tuple[str, int, int]]) -> list[_Encoded]:
        """Encode validated (text, start, end) items into model inputs."""
        return _encode_batch(self.tokenizer, items, self.config, self.marker_ids)

    def predict(
        self, items: Sequence[tuple[str, int, int]], *, batch_size: int = DEFAULT_BATCH_SIZE
    ) -> list[SentimentScore]:
        """Score items; see the module-level `predict`."""
        import torch

        for text, start, end in items:
            _validate_span(text, start, end)
        encoded = self.encode(items)
        # sort by length so that each batch pads little; restore the input order at the end
        order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].input_ids))
        probs: list[list[float]] = [[]] * len(encoded)
        with torch.inference_mode():
            for b in range(0, len(order), batch_size):
                idx = order[b : b + batch_size]
                logits = self.net(_collate([encoded[i] for i in idx]))
                for i, row in zip(idx, torch.softmax(logits.float(), dim=-1).tolist(), strict=True):
                    probs[i] = row
        return [_score(row, self.config.labels) for row in probs]


def _score(row: list[float], labels: Sequence[str]) -> SentimentScore:
    by_label = dict(zip(labels, row, strict=True))
    best = max(labels, key=lambda k: by_label[k])
    return SentimentScore(best, by_label["negative"], by_label["neutral"], by_label["positive"])


def _missing(model_dir: Path) -> list[str]:
    return [name for name in (CONFIG_FILE, HEAD_FILE, *ADAPTER_FILES) if not (model_dir / name).is_file()]


def _merge_lora(encoder: Any, model_dir: Path, train_hint: str = TRAIN_HINT) -> None:
    """Add the peft LoRA deltas `scale * B @ A` of `model_dir` into the encoder's Linear weights, in place.

    Done by hand so that inference does not import peft (seconds of start-up); the files are peft's own format.
    Shared by every adapter on the MiniLM encoder; `train_hint` is the training command named in errors.
    """
    import torch
    from safetensors.torch import load_file

    adapter = json.loads((model_dir / "adapter_config.json").read_text(encoding="utf-8"))
    if adapter.get("peft_type") != "LORA" or adapter.get("use_dora") or adapter.get("modules_to_save"):
        raise ModelMismatchError(f"{model_dir} holds no plain LoRA adapter; retrain: {train_hint}")
    r, alpha = int(adapter["r"]), float(adapter["lora_alpha"])
    scale = alpha / math.sqrt(r) if adapter.get("use_rslora") else alpha / r
    state = load_file(str(model_dir / "adapter_model.safetensors"))
    modules = dict(encoder.named_modules())
    prefix, suffix_a = "base_model.model.", ".lora_A.weight"
    with torch.no_grad():
        for key, a in state.items():
            if not key.endswith(suffix_a):
                continue
            name = key[len(prefix) : -len(suffix_a)]
            b = state[key[: -len(suffix_a)] + ".lora_B.weight"]
            module = modules.get(name)
            if module is None or tuple(module.weight.shape) != (b.shape[0], a.shape[1]):
                raise ModelMismatchError(f"LoRA weight {key} does not fit the base encoder; retrain: {train_hint}")
            module.weight += scale * (b.float() @ a.float())


def load_adapted_net(model_dir: Path, config: Any, *, name: str, train_hint: str) -> Any:
    """The network of one of our models: base encoder (hash checked) + the folder's LoRA merged + its head tensors.

    Shared by the sentiment and stance models: `config` needs `base_model_sha256` and what `_build_net` reads; every
    tensor of `head.safetensors` is copied into the parameter of the same name.

    Raises:
        ModelMismatchError: the installed base encoder or its layers do not fit the adapter.
    """
    from analysis.models.encoder import check_base_model, load_base_encoder

    check_base_model(config.base_model_sha256, adapter=f"{name} adapter in {model_dir}")

    import torch
    from safetensors.torch import load_file

    encoder = load_base_encoder()
    _merge_lora(encoder, model_dir, train_hint)
    net = _build_net(encoder, config)
    with torch.no_grad():
        for key, value in load_file(str(model_dir / HEAD_FILE)).items():
            net.get_parameter(key).copy_(value)
    net.eval()
    return net


def load_from_dir(model_dir: Path) -> SentimentModel:
    """Load a sentiment model from `model_dir` (uncached; prefer `load_sentiment_model`).

    Raises:
        ModelNotInstalledError: adapter files are missing; the message names the training command.
        ModelMismatchError: the installed base encoder is not the one the adapter was trained on.
    """
    from analysis.models.encoder import load_tokenizer

    missing = _missing(model_dir)
    if missing:
        raise ModelNotInstalledError(
            f"sentiment model files {', '.join(missing)} are missing in {model_dir}; "
            f"restore data/models/sentiment/ from the repository or run: {TRAIN_HINT}"
        )
    config = SentimentConfig.from_file(model_dir / CONFIG_FILE)
    net = load_adapted_net(model_dir, config, name="sentiment", train_hint=TRAIN_HINT)
    return SentimentModel(net, load_tokenizer(), config)


@lru_cache(maxsize=4)
def load_sentiment_model(model_dir: Path | None = None) -> SentimentModel:
    """Return the sentiment model, loaded once per process (per folder).

    Args:
        model_dir: folder with the adapter; defaults to `data/models/sentiment/` of this repository.

    Raises:
        ModelNotInstalledError: adapter files are missing; the message names the training command.
        ModelMismatchError: the installed base encoder is not the one the adapter was trained on.
    """
    return load_from_dir(Path(model_dir) if model_dir is not None else DEFAULT_MODEL_DIR)


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
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInputLineError(f"line {lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(obj, dict):
        raise InvalidInputLineError(f"line {lineno}: expected a JSON object with id, text, start, end")
    missing = [k for k in ("id", "text", "start", "end") if k not in obj]
    if missing:
        raise InvalidInputLineError(f"line {lineno}: missing key(s) {', '.join(missing)}; need id, text, start, end")
    ident, text, start, end = obj["id"], obj["text"], obj["start"], obj["end"]
    if not isinstance(ident, str):
        raise InvalidInputLineError(f"line {lineno}: id must be a string, got {json.dumps(ident)}")
    if not isinstance(text, str):
        raise InvalidInputLineError(f"line {lineno}: text must be a string")
    try:
        _validate_span(text, start, end)
    except SpanError as exc:
        raise InvalidInputLineError(f"line {lineno} (id {ident!r}): {exc}") from exc
    return ident, text, start, end


def _chunks(lines: Iterable[str], size: int) -> Iterator[list[tuple[str, str, int, int]]]:
    chunk: list[tuple[str, str, int, int]] = []
    for lineno, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        chunk.append(_parse_line(line, lineno))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


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
    for chunk in _chunks(lines, max(batch_size * 4, 256)):
        scores = model.predict([(t, s, e) for _, t, s, e in chunk], batch_size=batch_size)
        for (ident, *_), sc in zip(chunk, scores, strict=True):
            probs = {"negative": sc.negative, "neutral": sc.neutral, "positive": sc.positive}
            record = {"id": ident, "polarity": sc.polarity, "scores": {k: round(v, 6) for k, v in probs.items()}}
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()


def _check_probabilities(score: SentimentScore) -> bool:
    """True when the three probabilities are finite and sum to one (used by tests and the evaluator)."""
    total = score.negative + score.neutral + score.positive
    return all(math.isfinite(v) for v in score[1:]) and abs(total - 1.0) < 1e-4
