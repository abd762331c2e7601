"""What the adapted heads on the MiniLM encoder share: input record, padding, network, LoRA merge, loading, scoring.

The sentiment and stance models (`analysis.models.sentiment`, `analysis.models.stance`) are the shared encoder with a
LoRA adapter merged into its weights, optionally two learned marker embeddings, pooling and a linear head. Each model
module encodes its own inputs into `Encoded` records and keeps its own config, score type and JSONL fields; the rest
is here. The attribution tagger (`analysis.models.attribution`) loads its encoder with `merged_encoder`.
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable, Iterable, Sequence
from dataclasses import asdict
from functools import lru_cache
from pathlib import Path
from typing import Any, ClassVar, NamedTuple, TextIO, TypeVar

from analysis.errors import InvalidInputLineError, ModelNotInstalledError
from analysis.jsonl import chunks, parse_object
from analysis.models.encoder import merge_lora, merged_encoder  # noqa: F401  (the heads' loading uses them)
from analysis.models.runtime import sorted_batches

T = TypeVar("T")

HEAD_FILE = "head.safetensors"
ADAPTER_FILES = ("adapter_config.json", "adapter_model.safetensors")
DEFAULT_BATCH_SIZE = 16


class Encoded(NamedTuple):
    """One model input: token ids and where the target is (a target-free input has start_pos == end_pos == 0)."""

    input_ids: list[int]
    token_type_ids: list[int]
    start_pos: int  # position of the opening marker (or first target token when there are no markers)
    end_pos: int  # position of the closing marker (or last target token), inclusive
    marker_positions: tuple[int, ...]


class HeadConfig:
    """Mixin of the models' frozen config dataclasses: stored as pretty JSON next to the adapter.

    A config needs `base_model_sha256`, `pooling` ("+"-joined: cls, mean, target, start, local), `labels` (the head's
    order), `bf16` (encoder under bfloat16 autocast while training; inference runs in float32) and `extra`
    (head_dropout, local_window).
    """

    def to_json(self) -> str:
        """Return the config as pretty JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True) + "\n"  # type: ignore[call-overload]

    @classmethod
    def from_file(cls: type[T], path: Path) -> T:
        """Read a config written by `to_json`."""
        data = json.loads(path.read_text(encoding="utf-8"))
        if "labels" in data:
            data["labels"] = tuple(data["labels"])
        return cls(**data)


# ------------------------------------------------------------------------------------------------------------ tensors


def collate(batch: Sequence[Encoded]) -> dict[str, Any]:
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


def build_net(encoder: Any, config: Any, *, markers: bool) -> Any:
    """Return the torch module: encoder + (with `markers`) two marker embeddings + pooling + linear head.

    Parameter names (`markers`, `classifier.weight`, `classifier.bias`, `encoder.*`) are those of the shipped
    `head.safetensors` files.
    """
    import torch
    from torch import nn

    class AdaptedNet(nn.Module):
        """MiniLM (optionally LoRA-wrapped) with optional target markers and a linear head."""

        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder
            hidden = encoder.config.hidden_size
            self.pooling = tuple(config.pooling.split("+"))
            if markers:
                self.markers = nn.Parameter(torch.zeros(2, hidden))
            self.dropout = nn.Dropout(float(config.extra.get("head_dropout", 0.1)))
            self.classifier = nn.Linear(hidden * len(self.pooling), len(config.labels))
            self.bf16 = config.bf16
            self.local_window = int(config.extra.get("local_window", 8))

        def forward(self, batch: dict[str, Any]) -> Any:
            input_ids = batch["input_ids"]
            embeds = self.encoder.get_input_embeddings()(input_ids)
            marker_mask = batch["marker_mask"]
            if markers and bool(marker_mask.any()):
                # opening marker -> markers[0], closing marker -> markers[1] (the opening one comes first in a row)
                first = marker_mask & (marker_mask.cumsum(dim=1) == 1)
                vec = torch.where(first.unsqueeze(-1), self.markers[0], self.markers[1]).to(embeds.dtype)
                embeds = torch.where(marker_mask.unsqueeze(-1), vec, embeds)
            # bfloat16 only while training: at inference a CPU without bf16 units (AVX2 only) emulates it about ten
            # times slower than float32, and float32 gives the same figures on every machine
            with torch.autocast("cpu", dtype=torch.bfloat16, enabled=self.bf16 and self.training):
                hidden = self.encoder(
                    inputs_embeds=embeds,
                    attention_mask=batch["attention_mask"],
                    token_type_ids=batch["token_type_ids"],
                ).last_hidden_state
            hidden = hidden.float()
            return self.classifier(self.dropout(torch.cat([self._pool(kind, hidden, batch) for kind in self.pooling],
                                                          dim=-1)))

        def _pool(self, kind: str, hidden: Any, batch: dict[str, Any]) -> Any:
            if kind == "cls":
                return hidden[:, 0]
            if kind == "start":
                return hidden[torch.arange(hidden.shape[0]), batch["start_pos"]]
            if kind == "mean":
                m = batch["attention_mask"].unsqueeze(-1).float()
            elif kind == "target":
                m = batch["target_mask"].unsqueeze(-1)
            elif kind == "local":  # the target's neighbourhood (as in LCF): tokens within `local_window`
                pos = torch.arange(hidden.shape[1]).unsqueeze(0)
                t = batch["target_mask"]
                first = t.argmax(1, keepdim=True)
                last = t.shape[1] - 1 - t.flip(1).argmax(1, keepdim=True)
                near = (pos >= first - self.local_window) & (pos <= last + self.local_window)
                m = (near & batch["attention_mask"].bool()).unsqueeze(-1).float()
            else:
                raise ValueError(f"unknown pooling {kind!r}")
            return (hidden * m).sum(1) / m.sum(1).clamp(min=1.0)

    return AdaptedNet()


# ------------------------------------------------------------------------------------------------------------ loading


def missing_files(folder: Path, names: Iterable[str]) -> list[str]:
    """The names among `names` that are not files in `folder`, in the given order."""
    return [name for name in names if not (folder / name).is_file()]


def require_model_files(model_dir: Path, config_file: str, *, name: str, train_hint: str) -> None:
    """Fail clearly when a model folder lacks its config, head or adapter files.

    Raises:
        ModelNotInstalledError: the message names the missing files, the folder and the training command.
    """
    missing = missing_files(model_dir, (config_file, HEAD_FILE, *ADAPTER_FILES))
    if missing:
        raise ModelNotInstalledError(
            f"{name} model files {', '.join(missing)} are missing in {model_dir}; "
            f"restore data/models/{name}/ from the repository or run: {train_hint}"
        )


def load_adapted_net(
    model_dir: Path, config: Any, build: Callable[[Any, Any], Any], *, name: str, train_hint: str
) -> Any:
    """The network of one of our models: base encoder (hash checked) + the folder's LoRA merged + its head tensors.

    `build(encoder, config)` makes the network (the model's own call of `build_net`). Every tensor of
    `head.safetensors` is copied into the parameter of the same name; the network is in eval mode.

    Raises:
        ModelMismatchError: the installed base encoder or its layers do not fit the adapter.
    """
    import torch
    from safetensors.torch import load_file

    encoder = merged_encoder(model_dir, config.base_model_sha256, adapter=f"{name} adapter in {model_dir}",
                             train_hint=train_hint)
    net = build(encoder, config)
    with torch.no_grad():
        for key, value in load_file(str(model_dir / HEAD_FILE)).items():
            net.get_parameter(key).copy_(value)
    net.eval()
    return net


class HeadModel:
    """A loaded model: tokenizer, network (adapter merged, eval mode) and config.

    Subclasses (one per model) set `name` (as in `data/models/<name>/` and in messages), `config_type`,
    `config_file`, `default_dir`, `train_hint` and `markers`, and add their own encoding and scoring.
    """

    name: ClassVar[str]
    config_type: ClassVar[type[HeadConfig]]
    config_file: ClassVar[str]
    default_dir: ClassVar[Path]
    train_hint: ClassVar[str]
    markers: ClassVar[bool]

    def __init__(self, net: Any, tokenizer: Any, config: Any, *, onnx: Any = None) -> None:
        """Wrap a built torch network (in eval mode), or with `net=None` an `analysis.models.runtime.OnnxHead`."""
        self.net = net
        self.onnx = onnx
        self.tokenizer = tokenizer
        self.config = config

    @property
    def runtime(self) -> str:
        """"onnx" or "torch": what this model runs on."""
        return "onnx" if self.onnx is not None else "torch"

    def rows(self, encoded: Sequence[Encoded], batch_size: int = DEFAULT_BATCH_SIZE, *,
             temperature: float = 1.0) -> list[list[float]]:
        """Softmax rows (of logits / `temperature`) of encoded items, in input order, on this model's runtime."""
        if self.onnx is not None:
            from analysis.models.runtime import predict_rows as onnx_rows

            return onnx_rows(self.onnx, encoded, batch_size, temperature)
        return predict_probabilities(self.net, encoded, batch_size, temperature=temperature)

    @classmethod
    def build_net(cls, encoder: Any, config: Any) -> Any:
        """The model's network on `encoder` (`build_net` with or without markers); used for loading and training."""
        return build_net(encoder, config, markers=cls.markers)

    @classmethod
    def from_dir(cls: type[M], model_dir: Path) -> M:
        """Load the model from `model_dir` (uncached; prefer `load`).

        Raises:
            ModelNotInstalledError: adapter files are missing; the message names the training command.
            ModelMismatchError: the installed base encoder is not the one the adapter was trained on.
        """
        from analysis.models.encoder import load_word_pieces

        require_model_files(model_dir, cls.config_file, name=cls.name, train_hint=cls.train_hint)
        config = cls.config_type.from_file(model_dir / cls.config_file)
        net = load_adapted_net(model_dir, config, cls.build_net, name=cls.name, train_hint=cls.train_hint)
        return cls(net, load_word_pieces(), config)

    @classmethod
    def from_export(cls: type[M], model_dir: Path, *, threads: int = 0) -> M:
        """Load the model's ONNX export from `model_dir` (uncached; prefer `load`). Imports neither torch nor
        transformers.

        Raises:
            ModelNotInstalledError: adapter files, the export or `onnxruntime` are missing.
            ModelMismatchError: the export is not the one of this adapter, or the base encoder differs.
        """
        from analysis.models.encoder import load_word_pieces
        from analysis.models.runtime import OnnxHead

        require_model_files(model_dir, cls.config_file, name=cls.name, train_hint=cls.train_hint)
        config = cls.config_type.from_file(model_dir / cls.config_file)
        head = OnnxHead(model_dir, config, name=cls.name, markers=cls.markers, threads=threads)
        return cls(None, load_word_pieces(), config, onnx=head)

    @classmethod
    def load(cls: type[M], model_dir: Path | str | None = None, *, runtime: str | None = None) -> M:
        """The model of `model_dir` (default `default_dir`) on `runtime` ("onnx", "torch", "auto"; default the
        setting `STANCE_ATLAS_RUNTIME`), loaded once per process, folder and runtime; raises as `from_dir` or
        `from_export`."""
        from analysis.models.runtime import chosen_runtime

        return _load_cached(cls, Path(model_dir) if model_dir is not None else cls.default_dir,
                            chosen_runtime(runtime))


M = TypeVar("M", bound=HeadModel)


@lru_cache(maxsize=8)
def _load_cached(cls: type[M], model_dir: Path, runtime: str) -> M:
    if runtime == "onnx":
        from analysis.models.runtime import ensure_export
        from analysis.settings import load_settings

        require_model_files(model_dir, cls.config_file, name=cls.name, train_hint=cls.train_hint)
        base_sha256 = cls.config_type.from_file(model_dir / cls.config_file).base_model_sha256
        ensure_export(model_dir, name=cls.name, base_sha256=base_sha256, train_hint=cls.train_hint)
        return cls.from_export(model_dir, threads=load_settings().torch_threads)
    from analysis.models.runtime import set_torch_threads
    from analysis.settings import load_settings

    model = cls.from_dir(model_dir)
    set_torch_threads(load_settings().torch_threads)
    return model


# ------------------------------------------------------------------------------------------------------------ scoring


def predict_rows(net: Any, encoded: Sequence[Encoded], batch_size: int, rows: Callable[[Any], list[T]]) -> list[T]:
    """Run the network over encoded items in batches sorted by length (so each pads little); `rows(logits)` turns a
    batch's logits into one value per item. Returns the values in input order; the network's mode is restored."""
    import torch

    out: list[Any] = [None] * len(encoded)
    was_training = net.training
    net.eval()
    with torch.inference_mode():
        for idx in sorted_batches(encoded, batch_size):
            for i, row in zip(idx, rows(net(collate([encoded[i] for i in idx]))), strict=True):
                out[i] = row
    net.train(was_training)
    return out


def softmax_rows(logits: Any, temperature: float = 1.0) -> list[list[float]]:
    """Class probabilities of a batch of logits (divided by `temperature`), as lists."""
    import torch

    return torch.softmax(logits.float() / temperature, dim=-1).tolist()


def logit_rows(logits: Any) -> list[list[float]]:
    """The raw logits of a batch, as lists (for fitting a temperature)."""
    return logits.float().tolist()


def predict_probabilities(
    net: Any, encoded: Sequence[Encoded], batch_size: int = DEFAULT_BATCH_SIZE, *, temperature: float = 1.0
) -> list[list[float]]:
    """Softmax rows (of logits / `temperature`) of the network over encoded items, in input order (batches sorted
    by length)."""
    if temperature == 1.0:
        return predict_rows(net, encoded, batch_size, softmax_rows)
    return predict_rows(net, encoded, batch_size, lambda logits: softmax_rows(logits, temperature))


def labelled(row: Sequence[float], labels: Sequence[str]) -> tuple[str, dict[str, float]]:
    """The arg-max label (the first on ties) and the probabilities by label."""
    scores = dict(zip(labels, (float(v) for v in row), strict=True))
    return max(labels, key=lambda k: scores[k]), scores


def probabilities_ok(values: Iterable[float]) -> bool:
    """True when the probabilities are finite and sum to one."""
    values = list(values)
    return all(math.isfinite(v) for v in values) and abs(sum(values) - 1.0) < 1e-4


# ------------------------------------------------------------------------------------------------------------ JSONL


def record_with_id(line: str, lineno: int, keys: Sequence[str], *, expected: str, need: str) -> tuple[str, dict]:
    """Parse a JSONL line into (id, object): a JSON object holding `keys` (id first), with a string id.

    Raises:
        InvalidInputLineError: naming the line; `expected` and `need` word the fields in the messages.
    """
    obj = parse_object(line, lineno, expected=expected)
    missing = [k for k in keys if k not in obj]
    if missing:
        raise InvalidInputLineError(f"line {lineno}: missing key(s) {', '.join(missing)}; need {need}")
    ident = obj["id"]
    if not isinstance(ident, str):
        raise InvalidInputLineError(f"line {lineno}: id must be a string, got {json.dumps(ident)}")
    return ident, obj


def serve_jsonl(
    lines: Iterable[str],
    out: TextIO,
    parse: Callable[[str, int], T],
    score: Callable[[list[T]], Iterable[dict[str, Any]]],
    *,
    batch_size: int,
) -> None:
    """Parse lines in chunks, write one JSON line per record that `score(chunk)` returns, flush after each chunk
    (so a stream is answered as it comes)."""
    for chunk in chunks(lines, max(batch_size * 4, 256), parse):
        for record in score(chunk):
            out.write(json.dumps(record, ensure_ascii=False) + "\n")
        out.flush()
