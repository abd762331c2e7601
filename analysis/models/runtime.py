"""The ONNX runtime of the three adapted models, and the choice between it and torch.

Each model (sentiment, stance, attribution tagger) is the MiniLM encoder with its own LoRA adapter merged in, plus a
small head. The exports are not shipped: each machine builds them from the adapters, on the first load
(`ensure_export`, about 20 s for the three, importing torch that once) or with `python -m analysis.models export`.
Next to each adapter they write the merged encoder *body* as an ONNX graph (`encoder.onnx`: position and segment
embeddings and the six layers; inputs_embeds in, last_hidden_state out) at the model's precision
(`EXPORT_PRECISION`: int8 weight products, or float16-stored weights run in float32), and a manifest (`onnx.json`)
with the sha256 of the graph and of the adapter files it was made from. At inference:

- the word-piece embedding table (30522 x 384, unchanged by the adapters) is read once from the installed base
  weights and shared by the three models; the sentiment model's two marker vectors replace rows of it;
- ONNX Runtime runs the body; pooling and the linear head (from `head.safetensors`) run in numpy;
- neither torch nor transformers is imported (the tokenizer is `tokenizers` on the base model's tokenizer.json).

`chosen_runtime()` picks the path from the setting `STANCE_ATLAS_RUNTIME`: "auto" (ONNX where `onnxruntime` is
installed, else torch), "onnx" or "torch". A missing or stale export is an error naming the command that rebuilds it,
never a silent switch to the other path.
"""

from __future__ import annotations

import hashlib
import importlib.util
import json
import os
import re
import sys
import threading
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis.errors import ModelMismatchError, ModelNotInstalledError

ONNX_FILE = "encoder.onnx"
MANIFEST_FILE = "onnx.json"
#: the adapter files the exported graph is made from (the head is read from head.safetensors at run time)
SOURCE_FILES = ("adapter_config.json", "adapter_model.safetensors")
ORT_PACKAGE = "onnxruntime==1.32.0"
EXPORT_HINT = "python -m analysis.models export"
RUNTIMES = ("auto", "onnx", "torch")
PRECISIONS = ("int8", "fp16", "fp32")
#: the precision each export is built with (`python -m analysis.models export`, or the first load). float16-stored
#: weights give
#: the torch fp32 dev figures (NewsMTSC rw/mt, both stance sets, PolNeAR); int8 moved one or more dev figures of every
#: model by half a point or more (up to 1.4 on sentiment rw, 1.0 on PolNeAR content Jaccard, +2.6 on the stance
#: codebook set: label flips at near-ties, 0.4-4.1 % of training items), so no model is built int8 (docs/runtime.md)
EXPORT_PRECISION = {"sentiment": "fp16", "stance": "fp16", "attribution": "fp16"}
PRECISION_NOTES = {
    "int8": "dynamic int8 (onnxruntime.quantization.quantize_dynamic, per output channel) on every weight product but "
            "the feed-forward output projections, which are stored as float16 and run in float32",
    "fp16": "every weight product stored as float16 (half the bytes) and run in float32",
    "fp32": "float32, as exported",
}
#: weight products left out of int8: the feed-forward output projections (1536 -> 384), whose inputs (GELU outputs
#: with large outliers) lose most under per-tensor activation quantisation; stored as float16 (`store_half`)
KEEP_FLOAT = re.compile(r"layer\.\d+/output/dense/MatMul$")
#: graph inputs and output
INPUTS = ("inputs_embeds", "attention_mask", "token_type_ids")
OUTPUT = "last_hidden_state"


def onnxruntime_installed() -> bool:
    """Whether `onnxruntime` can be imported (checked without importing it)."""
    return importlib.util.find_spec("onnxruntime") is not None


def chosen_runtime(setting: str | None = None) -> str:
    """The runtime the models load on: "onnx" or "torch".

    Args:
        setting: "auto", "onnx" or "torch"; default the setting `STANCE_ATLAS_RUNTIME`.

    Raises:
        ModelNotInstalledError: "onnx" is asked for and `onnxruntime` is not installed.
    """
    if setting is None:
        from analysis.settings import load_settings

        setting = load_settings().runtime
    if setting == "auto":
        return "onnx" if onnxruntime_installed() else "torch"
    if setting == "onnx" and not onnxruntime_installed():
        raise ModelNotInstalledError(f"STANCE_ATLAS_RUNTIME=onnx needs ONNX Runtime; run: pip install {ORT_PACKAGE}")
    if setting not in ("onnx", "torch"):
        raise ValueError(f"runtime must be one of {', '.join(RUNTIMES)}, not {setting!r}")
    return setting


def runtime_label(runtime: str) -> str:
    """How the runtime is named in model versions and reports: "onnxruntime (attribution fp16, sentiment fp16,
    stance fp16)" with the precision of each export as its manifest gives it (`EXPORT_PRECISION` before it is
    built), or "torch fp32"."""
    if runtime != "onnx":
        return "torch fp32"
    from analysis.settings import ROOT

    parts = []
    for name in ("attribution", "sentiment", "stance"):
        try:  # an export built with another precision (`export --precision`) says so; one not built yet will be
            manifest = json.loads((ROOT / "data" / "models" / name / MANIFEST_FILE).read_text(encoding="utf-8"))
            parts.append(f"{name} {manifest.get('precision', '?')}")
        except (OSError, ValueError):
            parts.append(f"{name} {EXPORT_PRECISION[name]}")
    return f"onnxruntime ({', '.join(parts)})"


# ------------------------------------------------------------------------------------------------------------ files


def file_sha256(path: Path) -> str:
    """sha256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def check_export(model_dir: Path, *, name: str) -> dict[str, Any]:
    """Return the export manifest of `model_dir` after checking that the graph and the adapter are the ones it names.

    Raises:
        ModelNotInstalledError: the graph or manifest is missing (the message names the export command).
        ModelMismatchError: the graph's bytes or an adapter file differ from what the manifest recorded.
    """
    graph, manifest_path = model_dir / ONNX_FILE, model_dir / MANIFEST_FILE
    if not graph.is_file() or not manifest_path.is_file():
        missing = ", ".join(p.name for p in (graph, manifest_path) if not p.is_file())
        raise ModelNotInstalledError(
            f"{name} model has no ONNX export ({missing} missing in {model_dir}); run: {EXPORT_HINT} "
            "(or set STANCE_ATLAS_RUNTIME=torch)"
        )
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if file_sha256(graph) != manifest.get("sha256"):
        raise ModelMismatchError(f"{graph} does not match the sha256 in {manifest_path.name}; rebuild: {EXPORT_HINT}")
    for fname, expected in manifest.get("sources", {}).items():
        if not (model_dir / fname).is_file() or file_sha256(model_dir / fname) != expected:
            raise ModelMismatchError(
                f"the {name} ONNX export was made from another {fname} than the one in {model_dir}; "
                f"rebuild: {EXPORT_HINT}"
            )
    return manifest


# ------------------------------------------------------------------------------------------------------------ loading


_EMBEDDINGS_LOCK = threading.Lock()


def word_embeddings() -> Any:
    """The base encoder's word-piece embedding table (numpy float32, read once per process from the installed
    weights, checked by hash); the three models load in parallel threads and share it.

    Raises:
        ModelNotInstalledError, ModelMismatchError: as `analysis.models.encoder.check_base_model`.
    """
    with _EMBEDDINGS_LOCK:
        return _word_embeddings()


@lru_cache(maxsize=1)
def _word_embeddings() -> Any:
    from analysis.models.encoder import base_model_path, check_base_model

    check_base_model()
    return mapped_tensor(base_model_path() / "model.safetensors", "embeddings.word_embeddings.weight")


def mapped_tensor(path: Path, name: str) -> Any:
    """A float32 tensor of a safetensors file as a read-only numpy memory map: only the rows a text uses are read
    from disk, and processes on one machine (batch workers, app sessions) share them in the page cache.

    Raises:
        ModelMismatchError: the file holds no float32 tensor of that name.
    """
    import numpy as np

    with open(path, "rb") as fh:
        size = int.from_bytes(fh.read(8), "little")
        header = json.loads(fh.read(size))
    entry = header.get(name)
    if not isinstance(entry, dict) or entry.get("dtype") != "F32":
        raise ModelMismatchError(f"{path} holds no float32 tensor {name}")
    start, end = entry["data_offsets"]
    shape = tuple(entry["shape"])
    if end - start != 4 * int(np.prod(shape)):
        raise ModelMismatchError(f"{path}: tensor {name} has {end - start} bytes for shape {shape}")
    return np.memmap(path, dtype="<f4", mode="r", offset=8 + size + start, shape=shape)


def set_torch_threads(threads: int) -> None:
    """Give torch this many threads (0: leave torch's default, one per core). Does nothing before torch is imported:
    the torch models call it as they load, and the ONNX runtime takes the setting when its sessions open."""
    if threads > 0 and "torch" in sys.modules:
        import torch

        if torch.get_num_threads() != threads:
            torch.set_num_threads(threads)


def session(path: Path, threads: int = 0) -> Any:
    """An ONNX Runtime CPU session on `path` (`threads` intra-op threads; 0: one per core).

    Raises:
        ModelNotInstalledError: `onnxruntime` is not installed.
    """
    try:
        import onnxruntime as ort
    except ImportError as exc:
        raise ModelNotInstalledError(f"ONNX Runtime is not installed; run: pip install {ORT_PACKAGE}") from exc
    options = ort.SessionOptions()
    options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
    options.inter_op_num_threads = 1
    if threads > 0:
        options.intra_op_num_threads = threads
    options.log_severity_level = 3
    # no busy-waiting between runs: three sessions (and spaCy) share the cores, and a pool that spins after its run
    # takes them from the next model's
    options.add_session_config_entry("session.intra_op.allow_spinning", "0")
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def read_head(model_dir: Path) -> dict[str, Any]:
    """The tensors of `head.safetensors` as numpy arrays."""
    from safetensors.numpy import load_file

    return load_file(str(model_dir / "head.safetensors"))


class OnnxEncoder:
    """One model's exported encoder body on ONNX Runtime, fed from the shared embedding table."""

    def __init__(self, model_dir: Path, *, name: str, base_sha256: str, threads: int = 0) -> None:
        """Check that the installed base encoder is `base_sha256` (the one the adapter was trained on) and that the
        export of `model_dir` is the adapter's, then open its session.

        Raises:
            ModelMismatchError: the base encoder, the graph or the adapter files differ (see `check_export`).
            ModelNotInstalledError: the base encoder, the export or `onnxruntime` is missing.
        """
        from analysis.models.encoder import check_base_model

        check_base_model(base_sha256, adapter=f"{name} adapter in {model_dir}")
        self.manifest = check_export(model_dir, name=name)
        if self.manifest.get("base_model_sha256") != base_sha256:
            raise ModelMismatchError(f"the {name} ONNX export was made on another base encoder than its adapter's; "
                                     f"rebuild: {EXPORT_HINT}")
        self.embeddings = word_embeddings()
        self.session = session(model_dir / ONNX_FILE, threads)

    def hidden(self, input_ids: Any, attention_mask: Any, token_type_ids: Any,
               replace: Sequence[tuple[int, int, Any]] = ()) -> Any:
        """Last hidden states (n, width, 384) of padded id rows; `replace` sets (row, position) embeddings to a
        vector (the target markers)."""
        embeds = self.embeddings[input_ids]
        for row, pos, vec in replace:
            embeds[row, pos] = vec
        return self.session.run([OUTPUT], {"inputs_embeds": embeds, "attention_mask": attention_mask,
                                           "token_type_ids": token_type_ids})[0]


class OnnxHead:
    """A sentiment or stance network on ONNX Runtime: encoder body, optional target markers, pooling, linear head.

    Computes what `analysis.models.heads.build_net` computes in eval mode (dropout is the identity).
    """

    def __init__(self, model_dir: Path, config: Any, *, name: str, markers: bool, threads: int = 0) -> None:
        """Load the export and head of `model_dir`; raises as `OnnxEncoder`."""
        self.encoder = OnnxEncoder(model_dir, name=name, base_sha256=config.base_model_sha256, threads=threads)
        head = read_head(model_dir)
        self.weight = head["classifier.weight"].T.copy()
        self.bias = head["classifier.bias"]
        self.markers = head["markers"] if markers else None
        self.pooling = tuple(config.pooling.split("+"))
        self.local_window = int(config.extra.get("local_window", 8))

    def logits(self, batch: Sequence[Any]) -> Any:
        """Logits (n, labels) of a batch of `heads.Encoded` items (padded to the longest)."""
        import numpy as np

        n, width = len(batch), max(len(e.input_ids) for e in batch)
        input_ids = np.zeros((n, width), dtype=np.int64)
        token_type_ids = np.zeros((n, width), dtype=np.int64)
        attention_mask = np.zeros((n, width), dtype=np.int64)
        target_mask = np.zeros((n, width), dtype=np.float32)
        start_pos = np.zeros(n, dtype=np.int64)
        replace: list[tuple[int, int, Any]] = []
        for i, e in enumerate(batch):
            k = len(e.input_ids)
            input_ids[i, :k] = e.input_ids
            token_type_ids[i, :k] = e.token_type_ids
            attention_mask[i, :k] = 1
            target_mask[i, e.start_pos : e.end_pos + 1] = 1.0
            start_pos[i] = e.start_pos
            if self.markers is not None:
                replace += [(i, p, self.markers[0 if j == 0 else 1]) for j, p in enumerate(e.marker_positions)]
        hidden = self.encoder.hidden(input_ids, attention_mask, token_type_ids, replace)
        masks = {"attention": attention_mask.astype(np.float32), "target": target_mask}
        pooled = [self._pool(kind, hidden, masks, start_pos) for kind in self.pooling]
        return np.concatenate(pooled, axis=-1) @ self.weight + self.bias

    def _pool(self, kind: str, hidden: Any, masks: dict[str, Any], start_pos: Any) -> Any:
        import numpy as np

        if kind == "cls":
            return hidden[:, 0]
        if kind == "start":
            return hidden[np.arange(hidden.shape[0]), start_pos]
        if kind == "mean":
            m = masks["attention"]
        elif kind == "target":
            m = masks["target"]
        elif kind == "local":
            t = masks["target"]
            pos = np.arange(hidden.shape[1])[None, :]
            first = t.argmax(1)[:, None]
            last = t.shape[1] - 1 - t[:, ::-1].argmax(1)[:, None]
            m = ((pos >= first - self.local_window) & (pos <= last + self.local_window)
                 & (masks["attention"] > 0)).astype(np.float32)
        else:
            raise ValueError(f"unknown pooling {kind!r}")
        m = m[:, :, None]
        return (hidden * m).sum(1) / np.maximum(m.sum(1), 1.0)


def sorted_batches(encoded: Sequence[Any], batch_size: int) -> list[list[int]]:
    """Item indexes in batches of `batch_size`, items sorted by length (so each batch pads little)."""
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].input_ids))
    return [order[b : b + batch_size] for b in range(0, len(order), batch_size)]


def predict_rows(head: OnnxHead, encoded: Sequence[Any], batch_size: int,
                 temperature: float = 1.0) -> list[list[float]]:
    """Softmax rows (of logits / `temperature`) of `head` over encoded items, in input order, batches sorted by length
    (as `analysis.models.heads.predict_rows`)."""
    import numpy as np

    out: list[Any] = [None] * len(encoded)
    for idx in sorted_batches(encoded, batch_size):
        logits = head.logits([encoded[i] for i in idx]).astype(np.float64) / temperature
        logits -= logits.max(axis=1, keepdims=True)
        probs = np.exp(logits)
        probs /= probs.sum(axis=1, keepdims=True)
        for i, row in zip(idx, probs.tolist(), strict=True):
            out[i] = row
    return out


# ------------------------------------------------------------------------------------------------------------ export


def export_encoder(encoder: Any, out_dir: Path, *, precision: str) -> Path:
    """Write `encoder` (a merged torch BertModel) as `ONNX_FILE` in `out_dir`: inputs_embeds, attention_mask and
    token_type_ids in, last_hidden_state out, dynamic batch and length (opset 17, TorchScript exporter).

    `precision`: "int8" (dynamic int8 quantisation of the weight products, per output channel, but the `KEEP_FLOAT`
    ones, stored as float16), "fp16" (every weight product stored as float16, run in float32) or "fp32". Needs torch,
    onnx and onnxruntime."""
    import tempfile
    import warnings

    import torch
    from torch import nn

    if precision not in PRECISIONS:
        raise ValueError(f"precision must be one of {', '.join(PRECISIONS)}, not {precision!r}")

    class Body(nn.Module):
        def __init__(self) -> None:
            super().__init__()
            self.encoder = encoder

        def forward(self, inputs_embeds: Any, attention_mask: Any, token_type_ids: Any) -> Any:
            return self.encoder(inputs_embeds=inputs_embeds, attention_mask=attention_mask,
                                token_type_ids=token_type_ids).last_hidden_state

    hidden_size = encoder.config.hidden_size
    sample = (torch.randn(2, 12, hidden_size), torch.ones(2, 12, dtype=torch.long),
              torch.zeros(2, 12, dtype=torch.long))
    sample[1][1, 9:] = 0
    axes = {"inputs_embeds": {0: "batch", 1: "seq"}, "attention_mask": {0: "batch", 1: "seq"},
            "token_type_ids": {0: "batch", 1: "seq"}, OUTPUT: {0: "batch", 1: "seq"}}
    out = out_dir / ONNX_FILE
    with tempfile.TemporaryDirectory() as tmp:
        plain = Path(tmp) / "encoder.fp32.onnx"
        with torch.no_grad(), warnings.catch_warnings():
            warnings.simplefilter("ignore")
            torch.onnx.export(Body().eval(), sample, str(plain), input_names=list(INPUTS), output_names=[OUTPUT],
                              dynamic_axes=axes, opset_version=17, dynamo=False, do_constant_folding=True)
        out.write_bytes(plain.read_bytes())
        if precision == "fp32":
            return out
        import onnx

        products = [n.name for n in onnx.load(str(plain)).graph.node if n.op_type == "MatMul"]
        if precision == "fp16":
            store_half(out, products)
            return out
        import logging

        from onnxruntime.quantization import QuantType, quantize_dynamic

        keep = [name for name in products if KEEP_FLOAT.search(name)]
        # quiets the quantiser's advice to pre-process the graph first (tried: the same dev figures)
        logging.disable(logging.WARNING)
        try:
            quantize_dynamic(str(plain), str(out), op_types_to_quantize=["MatMul"], per_channel=True,
                             weight_type=QuantType.QInt8, nodes_to_exclude=keep)
        finally:
            logging.disable(logging.NOTSET)
        store_half(out, keep)
    return out


def store_half(path: Path, nodes: Sequence[str]) -> None:
    """Store the float weights of the MatMul `nodes` of the graph at `path` as float16, each followed by a Cast back
    to float32: half the bytes on disk; ONNX Runtime folds the Cast when the session opens, so the products run in
    float32 on weights rounded to float16 (relative error ~5e-4, against ~1e-2 for int8)."""
    import numpy as np
    import onnx
    from onnx import numpy_helper

    model = onnx.load(str(path))
    graph = model.graph
    inits = {init.name: init for init in graph.initializer}
    names = {n.name for n in graph.node if n.name in set(nodes)}
    done: set[str] = set()
    for node in graph.node:
        if node.name not in names:
            continue
        for weight in node.input:
            if weight not in inits or weight in done:
                continue
            half = numpy_helper.from_array(numpy_helper.to_array(inits[weight]).astype(np.float16), weight + "_fp16")
            graph.initializer.remove(inits[weight])
            graph.initializer.append(half)
            graph.node.insert(0, onnx.helper.make_node("Cast", [half.name], [weight], to=onnx.TensorProto.FLOAT,
                                                       name=weight + "_cast"))
            done.add(weight)
    onnx.checker.check_model(model)
    onnx.save(model, str(path))


def build_export(model_dir: Path, *, name: str, base_sha256: str, train_hint: str,
                 precision: str | None = None) -> dict[str, Any]:
    """Build the export of the adapter in `model_dir` (graph, then manifest; each written under a temporary name and
    moved into place, so a reader never sees half a file) and return its manifest. Imports torch (the adapter is
    merged into a fresh, hash-checked base encoder). `precision` defaults to `EXPORT_PRECISION[name]`.

    Raises:
        ModelMismatchError: the installed base encoder is not the one the adapter was trained on.
        ModelNotInstalledError: torch, transformers or onnx is missing (the message names requirements.txt).
    """
    import tempfile

    from analysis.models.encoder import merged_encoder

    for lib in ("torch", "transformers", "onnx"):
        if importlib.util.find_spec(lib) is None:
            raise ModelNotInstalledError(f"building the {name} model's ONNX export needs {lib}; run: "
                                         "pip install -r requirements.txt")
    chosen = precision or EXPORT_PRECISION[name]
    encoder = merged_encoder(model_dir, base_sha256, adapter=f"{name} adapter in {model_dir}", train_hint=train_hint)
    with tempfile.TemporaryDirectory(dir=model_dir, prefix=".export-") as tmp:
        os.replace(export_encoder(encoder, Path(tmp), precision=chosen), model_dir / ONNX_FILE)
    return write_manifest(model_dir, name=name, precision=chosen)


def ensure_export(model_dir: Path, *, name: str, base_sha256: str, train_hint: str) -> None:
    """Build the export of `model_dir` if it has none (the first run after an install or a retraining: the exports
    are made on this machine from the adapters, not shipped); an existing one is left for `check_export` to judge.
    A build holds the models' `LOAD_LOCK` (as loading the torch encoder does); when the export exists, no lock is
    taken, so the loading threads of `load_models` (which holds that lock and builds first) never wait on it."""
    from analysis.models.encoder import LOAD_LOCK

    def missing() -> bool:
        return not (model_dir / ONNX_FILE).is_file() or not (model_dir / MANIFEST_FILE).is_file()

    if missing():
        with LOAD_LOCK:
            if missing():
                build_export(model_dir, name=name, base_sha256=base_sha256, train_hint=train_hint)


def write_manifest(model_dir: Path, *, name: str, precision: str) -> dict[str, Any]:
    """Write `MANIFEST_FILE` for the graph in `model_dir`: its sha256 and size, the sha256 of its source files, how it
    was made (library versions, quantisation)."""
    from importlib.metadata import version

    from analysis.models.encoder import BASE_MODEL_SHA256

    graph = model_dir / ONNX_FILE
    manifest = {
        "model": name,
        "file": ONNX_FILE,
        "sha256": file_sha256(graph),
        "bytes": graph.stat().st_size,
        "sources": {fname: file_sha256(model_dir / fname) for fname in SOURCE_FILES},
        "base_model_sha256": BASE_MODEL_SHA256,
        "graph": "merged encoder body: inputs_embeds, attention_mask, token_type_ids -> last_hidden_state; opset 17",
        "precision": precision,
        "weights": PRECISION_NOTES[precision],
        "made_with": {lib: version(lib) for lib in ("torch", "transformers", "onnx", "onnxruntime")},
        "command": EXPORT_HINT,
    }
    partial = model_dir / f".{MANIFEST_FILE}.{os.getpid()}.{threading.get_ident()}"  # processes may build at once
    partial.write_text(json.dumps(manifest, indent=2, sort_keys=True) + "\n", encoding="utf-8")
    partial.replace(model_dir / MANIFEST_FILE)
    return manifest
