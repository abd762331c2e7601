"""Who said what: a MiniLM token tagger for attribution source / cue / content spans, and their grouping into relations.

The tagger reads an article in windows of word pieces (one batched forward pass for all windows of all texts), tags
each word piece O / B-x / I-x for x in SOURCE, CUE, CONTENT, and `_group` assembles the tagged spans into relations:
each content fragment and each source joins the nearest cue (content split around its cue becomes one relation with
two fragments; sources after the quote are fine). Line breaks are shown to the encoder as `¶` (same length, so the
character offsets stay those of the input).

Public API: `attributions(text)`, `attributions_batch(texts)`, `attribution_dicts(text)` (CLI-style dicts) and
`load_tagger()`. Offsets are character offsets into the given text, end exclusive.
"""

from __future__ import annotations

import bisect
import json
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from analysis.errors import ModelMismatchError, ModelNotInstalledError
from analysis.models.heads import ADAPTER_FILES, HEAD_FILE, merged_encoder, missing_files
from analysis.settings import ROOT

LABELS: tuple[str, ...] = ("O", "B-SOURCE", "I-SOURCE", "B-CUE", "I-CUE", "B-CONTENT", "I-CONTENT")
ROLE_NAMES: tuple[str, ...] = ("SOURCE", "CUE", "CONTENT")
#: word pieces per window, without [CLS] and [SEP]
WINDOW_TOKENS = 254
#: step between window starts; windows overlap by WINDOW_TOKENS - WINDOW_STEP word pieces
WINDOW_STEP = 190
#: longest window at inference (the model was trained on WINDOW_TOKENS; positions up to 512 exist)
INFER_MAX_TOKENS = 254
#: least overlap between neighbouring windows at inference
INFER_OVERLAP = 64
#: numeric precision of the encoder at inference (see `load_tagger`); "auto": bf16 where the CPU has bf16 units
PRECISION = "auto"
ADAPTER_DIR = ROOT / "data" / "models" / "attribution"
TRAIN_HINT = "python -m analysis.training.attribution"

_QUOTES = '"“”„«»'
_NEWLINES = re.compile(r"\r\n|[\r\n\u2028\u2029\x0b\x0c\x85]+")


@dataclass(frozen=True)
class Span:
    """A character span of the analysed text (end exclusive)."""

    start: int
    end: int
    text: str

    def as_dict(self) -> dict[str, Any]:
        """`{"start", "end", "text"}`."""
        return {"start": self.start, "end": self.end, "text": self.text}


@dataclass(frozen=True)
class Attribution:
    """One attribution relation: who (source), the cue (said, according to...), and what (content fragments)."""

    source: Span | None
    cue: Span | None
    content: tuple[Span, ...]
    kind: str

    @property
    def content_text(self) -> str:
        """The content fragments joined by a space."""
        return " ".join(part.text for part in self.content)


# ---------------------------------------------------------------------------------------------------------------
# Encoding shared by training and inference


def prepare_text(text: str) -> str:
    """Return `text` with each run of line breaks shown as `¶` plus spaces: same length, same offsets."""
    return _NEWLINES.sub(lambda m: "¶" + " " * (len(m.group()) - 1), text)


def encode(text: str) -> tuple[list[int], list[tuple[int, int]]]:
    """Word-piece ids and character offsets of `text` (no special tokens)."""
    from analysis.models.encoder import load_word_pieces

    tokenizer = load_word_pieces()
    enc = tokenizer(
        prepare_text(text), add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False
    )
    return list(enc["input_ids"]), [tuple(o) for o in enc["offset_mapping"]]


def windows(n_tokens: int, size: int = WINDOW_TOKENS, step: int = WINDOW_STEP) -> list[tuple[int, int]]:
    """Start/end of overlapping windows covering `n_tokens` word pieces (the last one ends at `n_tokens`)."""
    if n_tokens <= size:
        return [(0, n_tokens)]
    out = []
    start = 0
    while True:
        if start + size >= n_tokens:
            out.append((max(0, n_tokens - size), n_tokens))
            break
        out.append((start, start + size))
        start += step
    return out


def balanced_windows(
    n_tokens: int, max_size: int = INFER_MAX_TOKENS, overlap: int = INFER_OVERLAP
) -> list[tuple[int, int]]:
    """Fewest equal windows of at most `max_size` word pieces covering `n_tokens`, neighbours sharing >= `overlap`."""
    if n_tokens <= max_size:
        return [(0, n_tokens)]
    count = -(-(n_tokens - overlap) // (max_size - overlap))
    size = min(max_size, -(-(n_tokens + (count - 1) * overlap) // count))
    step = (n_tokens - size) / (count - 1)
    starts = [round(i * step) for i in range(count)]
    return [(start, min(n_tokens, start + size)) for start in starts[:-1]] + [(n_tokens - size, n_tokens)]


def window_cores(spans: Sequence[tuple[int, int]]) -> list[tuple[int, int]]:
    """For each window, the token range whose predictions it owns (the middle of each overlap goes to each side)."""
    cores = []
    for i, (start, end) in enumerate(spans):
        lo = start if i == 0 else (spans[i - 1][1] + start) // 2
        hi = end if i == len(spans) - 1 else (end + spans[i + 1][0]) // 2
        cores.append((lo, hi))
    return cores


def token_labels(offsets: Sequence[tuple[int, int]], role_fragments: dict[str, list[tuple[int, int]]]) -> list[int]:
    """BIO label ids of word pieces from character fragments per role (SOURCE, CUE, CONTENT).

    A word piece takes a role when its first character lies inside a fragment of that role; a new fragment starts
    with B-.
    """
    owner: dict[int, tuple[str, int]] = {}
    for role in ("CONTENT", "SOURCE", "CUE"):  # later roles win on (rare) conflicts
        for k, (start, end) in enumerate(role_fragments.get(role, [])):
            for i, (ts, te) in enumerate(offsets):
                if te > ts and start <= ts < end:
                    owner[i] = (role, k)
    labels = []
    prev = None
    for i in range(len(offsets)):
        cur = owner.get(i)
        if cur is None:
            labels.append(0)
        else:
            prefix = "I" if cur == prev else "B"
            labels.append(LABELS.index(f"{prefix}-{cur[0]}"))
        prev = cur
    return labels


def decode_labels(label_ids: Sequence[int], offsets: Sequence[tuple[int, int]]) -> list[tuple[str, int, int]]:
    """Turn word-piece label ids into (role, start_char, end_char) spans; a stray I- starts a span."""
    spans: list[tuple[str, int, int]] = []
    current: list[Any] | None = None
    for label_id, (start, end) in zip(label_ids, offsets, strict=False):
        if end <= start:
            continue
        label = LABELS[int(label_id)]
        if label == "O":
            if current:
                spans.append(tuple(current))  # type: ignore[arg-type]
            current = None
            continue
        prefix, role = label.split("-", 1)
        if current is not None and prefix == "I" and current[0] == role:
            current[2] = end
        else:
            if current:
                spans.append(tuple(current))  # type: ignore[arg-type]
            current = [role, start, end]
    if current:
        spans.append(tuple(current))  # type: ignore[arg-type]
    return spans


# ---------------------------------------------------------------------------------------------------------------
# Model


class _Tagger:
    """The merged encoder (base + LoRA) and the label head, on torch or (with `onnx`) on ONNX Runtime."""

    def __init__(self, model: Any, head: Any, meta: dict[str, Any], precision: str = "fp32", *,
                 onnx: Any = None) -> None:
        self.model = model
        self.head = head
        self.meta = meta
        self.precision = precision
        self.onnx = onnx

    @property
    def runtime(self) -> str:
        """"onnx" or "torch"."""
        return "onnx" if self.onnx is not None else "torch"

    def predict_labels(self, encoded: Sequence[tuple[list[int], list[tuple[int, int]]]]) -> list[list[int]]:
        """Label ids for every word piece of every encoded text, from batched forward passes and BIO Viterbi."""
        bias = self.meta.get("label_bias")
        return [_viterbi(score if not bias else score + bias) for score in self.predict_scores(encoded)]

    def predict_scores(self, encoded: Sequence[tuple[list[int], list[tuple[int, int]]]]) -> list[Any]:
        """Per-word-piece label log-probabilities (numpy, n x labels) of every encoded text, windows batched."""
        import numpy as np

        tokenizer_cls, tokenizer_sep, pad = 101, 102, 0
        batch: list[list[int]] = []
        owners: list[tuple[int, int, int, int]] = []  # text index, window start, core lo, core hi
        for t_index, (ids, _) in enumerate(encoded):
            spans = balanced_windows(len(ids), INFER_MAX_TOKENS, INFER_OVERLAP)
            for (start, end), (lo, hi) in zip(spans, window_cores(spans), strict=True):
                batch.append([tokenizer_cls, *ids[start:end], tokenizer_sep])
                owners.append((t_index, start, lo, hi))
        scores = [np.zeros((len(ids), len(LABELS)), dtype=np.float32) for ids, _ in encoded]
        order = sorted(range(len(batch)), key=lambda i: len(batch[i]))
        chunk = 8  # windows per forward pass: 8 x 256 word pieces keeps the attention buffers small (memory)
        for c in range(0, len(order), chunk):
            idx = order[c : c + chunk]
            width = max(len(batch[i]) for i in idx)
            input_ids = np.full((len(idx), width), pad, dtype=np.int64)
            mask = np.zeros((len(idx), width), dtype=np.int64)
            for row, i in enumerate(idx):
                input_ids[row, : len(batch[i])] = batch[i]
                mask[row, : len(batch[i])] = 1
            logp = self._log_probabilities(input_ids, mask)
            for row, i in enumerate(idx):
                t_index, start, lo, hi = owners[i]
                scores[t_index][lo:hi] = logp[row, lo - start + 1 : hi - start + 1]
        return scores

    def _log_probabilities(self, input_ids: Any, mask: Any) -> Any:
        """Label log-probabilities (rows, width, labels) of padded windows."""
        import numpy as np

        if self.onnx is not None:
            hidden = self.onnx.hidden(input_ids, mask, np.zeros_like(input_ids))
            logits = hidden @ self.head["weight"].T + self.head["bias"]
            logits = logits - logits.max(axis=-1, keepdims=True)
            return logits - np.log(np.exp(logits).sum(axis=-1, keepdims=True))
        import torch

        with torch.inference_mode():
            ids, attention = torch.from_numpy(input_ids), torch.from_numpy(mask)
            if self.precision == "bf16":
                with torch.autocast("cpu", dtype=torch.bfloat16):
                    hidden = self.model(input_ids=ids, attention_mask=attention).last_hidden_state
            else:
                hidden = self.model(input_ids=ids, attention_mask=attention).last_hidden_state
            return torch.log_softmax(self.head(hidden).float(), dim=-1).numpy()


@lru_cache(maxsize=1)
def _transitions() -> Any:
    """Allowed BIO transitions as an additive matrix (0 allowed, -inf forbidden): I-x only after B-x or I-x."""
    import numpy as np

    trans = np.zeros((len(LABELS), len(LABELS)), dtype=np.float32)
    for j, label in enumerate(LABELS):
        if label.startswith("I-"):
            role = label[2:]
            for i, prev in enumerate(LABELS):
                if prev not in (f"B-{role}", f"I-{role}"):
                    trans[i, j] = -np.inf
    return trans


def _viterbi(logp: Any) -> list[int]:
    """Best BIO-consistent label sequence for per-token log-probabilities (n, labels)."""
    import numpy as np

    n = logp.shape[0]
    if n == 0:
        return []
    trans = _transitions()
    start_ok = np.array([0.0 if not lab.startswith("I-") else -np.inf for lab in LABELS], dtype=np.float32)
    best = logp[0] + start_ok
    back = np.zeros((n, len(LABELS)), dtype=np.int64)
    for t in range(1, n):
        cand = best[:, None] + trans
        back[t] = cand.argmax(0)
        best = cand.max(0) + logp[t]
    path = [int(best.argmax())]
    for t in range(n - 1, 0, -1):
        path.append(int(back[t, path[-1]]))
    return path[::-1]


def _cpu_has_bf16() -> bool:
    """Whether the CPU advertises bf16 instructions (AVX512-BF16 or AMX-BF16), read from /proc/cpuinfo on Linux."""
    try:
        with open("/proc/cpuinfo", encoding="utf-8", errors="replace") as fh:
            for line in fh:
                if line.startswith("flags"):
                    flags = set(line.split(":", 1)[1].split())
                    return bool(flags & {"avx512_bf16", "amx_bf16"})
    except OSError:
        return False
    return False


def _read_meta(adapter_dir: Path) -> dict[str, Any]:
    missing = missing_files(adapter_dir, ("tagger.json", *ADAPTER_FILES, HEAD_FILE))
    if missing:
        raise ModelNotInstalledError(
            f"attribution tagger is missing {', '.join(missing)} under {adapter_dir}; train it with: {TRAIN_HINT}"
        )
    return json.loads((adapter_dir / "tagger.json").read_text(encoding="utf-8"))


def load_tagger(adapter_dir: str | None = None, precision: str | None = None, *, runtime: str | None = None) -> _Tagger:
    """Load the attribution tagger once per process (base MiniLM + shipped LoRA adapter merged, plus head).

    Args:
        adapter_dir: folder of the adapter (default: the shipped one, `ADAPTER_DIR`).
        precision: on the torch runtime: "auto", "bf16" (autocast; as accurate as fp32 on PolNeAR dev, faster where
            the CPU has bf16 instructions), "fp32", or "int8" (torch's dynamic int8 linear layers, per tensor: ~5 F1
            points worse on dev); default `PRECISION`. The ONNX runtime runs the shipped export (see its onnx.json).
        runtime: "onnx", "torch" or "auto" (default: the setting `STANCE_ATLAS_RUNTIME`).

    Raises:
        ModelNotInstalledError: the adapter files, the base encoder or (ONNX) the export are missing.
        ModelMismatchError: the installed base weights are not those the adapter was trained on, or the export is
            not the one of this adapter.
    """
    from analysis.models.runtime import chosen_runtime

    return _load_tagger(adapter_dir, precision, chosen_runtime(runtime))


@lru_cache(maxsize=4)
def _load_tagger(adapter_dir: str | None, precision: str | None, runtime: str) -> _Tagger:
    folder = Path(adapter_dir) if adapter_dir else ADAPTER_DIR
    meta = _read_meta(folder)
    if list(meta.get("labels", [])) != list(LABELS):
        raise ModelMismatchError(f"attribution tagger under {folder} has labels {meta.get('labels')}, not {LABELS}")
    if runtime == "onnx":
        from analysis.models.runtime import OnnxEncoder, ensure_export, read_head
        from analysis.settings import load_settings

        ensure_export(folder, name="attribution", base_sha256=meta["base_model_sha256"], train_hint=TRAIN_HINT)
        encoder = OnnxEncoder(folder, name="attribution tagger", base_sha256=meta["base_model_sha256"],
                              threads=load_settings().torch_threads)
        return _Tagger(None, read_head(folder), meta, str(encoder.manifest.get("precision", "?")), onnx=encoder)
    import torch
    from safetensors.torch import load_file

    # base (hash checked) + LoRA merged by hand: the same weights as peft's merge_and_unload(), without peft
    model = merged_encoder(folder, meta["base_model_sha256"], adapter="attribution tagger", train_hint=TRAIN_HINT)
    head = torch.nn.Linear(model.config.hidden_size, len(LABELS))
    head.load_state_dict(load_file(str(folder / HEAD_FILE)))
    head.eval()
    precision = precision or PRECISION
    if precision == "auto":
        precision = "bf16" if _cpu_has_bf16() else "fp32"
    if precision == "int8":
        import warnings

        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            model = torch.ao.quantization.quantize_dynamic(model, {torch.nn.Linear}, dtype=torch.qint8)
    elif precision not in {"fp32", "bf16"}:
        raise ValueError(f"precision must be int8, bf16 or fp32, not {precision!r}")
    from analysis.models.runtime import set_torch_threads
    from analysis.settings import load_settings

    set_torch_threads(load_settings().torch_threads)
    return _Tagger(model, head, meta, precision)


# ---------------------------------------------------------------------------------------------------------------
# Grouping tagged spans into relations


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    """Snap a span outwards to whole words, then strip whitespace at its edges."""
    while 0 < start < len(text) and text[start - 1].isalnum() and text[start].isalnum():
        start -= 1
    while 0 < end < len(text) and text[end - 1].isalnum() and text[end].isalnum():
        end += 1
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _gap_cost(text: str, a: tuple[int, int], b: tuple[int, int]) -> float:
    """Distance between two spans in characters, plus 400 per line break between them."""
    lo, hi = (a[1], b[0]) if a[1] <= b[0] else (b[1], a[0])
    if hi <= lo:
        return 0.0
    gap = text[lo:hi]
    breaks = len(re.findall(r"\n\s*", gap))
    return (hi - lo) + 400.0 * breaks


def _kind(text: str, content: Sequence[tuple[int, int]]) -> str:
    pieces = [text[s:e] for s, e in content]
    joined = " ".join(pieces).strip()
    if not joined:
        return "indirect"
    n_quotes = sum(joined.count(q) for q in _QUOTES)
    if n_quotes == 0:
        return "indirect"
    starts_quoted = joined[0] in _QUOTES
    ends_quoted = joined[-1] in _QUOTES or (len(joined) > 1 and joined[-2] in _QUOTES)
    return "direct" if starts_quoted and ends_quoted else "mixed"


def _group(text: str, spans: Sequence[tuple[str, int, int]], max_gap: int = 600) -> list[Attribution]:
    """Assemble tagged spans into relations: every source and content joins the cheapest cue (see `_gap_cost`)."""
    clean: list[tuple[str, int, int]] = []
    for role, start, end in sorted(spans, key=lambda sp: (sp[1], sp[2])):
        start, end = _trim(text, start, end)
        if end <= start:
            continue
        gap = text[clean[-1][2] : start] if clean else "x"
        if clean and clean[-1][0] == role and not gap.strip() and (role != "CONTENT" or "\n" not in gap):
            clean[-1] = (role, clean[-1][1], max(end, clean[-1][2]))  # a span the tagger restarted (B- after B-)
        else:
            clean.append((role, start, end))
    cues = [(s, e) for role, s, e in clean if role == "CUE"]
    cue_starts, cue_ends = [c[0] for c in cues], [c[1] for c in cues]
    sources: dict[int, list[tuple[int, int]]] = {i: [] for i in range(len(cues))}
    contents: dict[int, list[tuple[int, int]]] = {i: [] for i in range(len(cues))}
    orphans: list[tuple[int, int]] = []
    for role, start, end in clean:
        if role == "CUE":
            continue
        if not cues:
            if role == "CONTENT":
                orphans.append((start, end))
            continue
        reach = max_gap * 3  # only cues this close in raw characters can be cheap enough
        lo, hi = bisect.bisect_left(cue_ends, start - reach), bisect.bisect_right(cue_starts, end + reach)
        costs = {i: _gap_cost(text, (start, end), cues[i]) for i in range(lo, hi)}
        best = min(costs, key=lambda i: (costs[i], i)) if costs else -1
        if role == "SOURCE":
            if best >= 0 and costs[best] <= max_gap:
                sources[best].append((start, end))
        elif best >= 0 and costs[best] <= reach:
            contents[best].append((start, end))
        else:
            orphans.append((start, end))
    out = []
    for i, (cs, ce) in enumerate(cues):
        src = None
        if sources[i]:
            s0, e0 = min(sources[i], key=lambda sp: (_gap_cost(text, sp, (cs, ce)), sp))
            src = Span(s0, e0, text[s0:e0])
        frags = sorted(contents[i])
        out.append(
            Attribution(
                source=src,
                cue=Span(cs, ce, text[cs:ce]),
                content=tuple(Span(s, e, text[s:e]) for s, e in frags),
                kind=_kind(text, frags),
            )
        )
    for s, e in orphans:
        out.append(Attribution(source=None, cue=None, content=(Span(s, e, text[s:e]),), kind=_kind(text, [(s, e)])))
    out.sort(key=lambda a: min([a.cue.start] if a.cue else [c.start for c in a.content]))
    return _merge_split_cues(text, out)


def _merge_split_cues(text: str, relations: list[Attribution], max_gap: int = 25) -> list[Attribution]:
    """Join a cue without content to the next cue on the same line when that one has content and no source of its
    own before the quote (`X told reporters: "..."`, tagged as cue `told` + cue `:`): one relation, first cue."""
    out: list[Attribution] = []
    for rel in relations:
        prev = out[-1] if out else None
        if (
            prev is not None
            and prev.cue is not None
            and rel.cue is not None
            and not prev.content
            and rel.content
            and 0 <= rel.cue.start - prev.cue.end <= max_gap
            and "\n" not in text[prev.cue.end : rel.cue.start]
            and (rel.source is None or prev.cue.end <= rel.source.start < rel.cue.start)
        ):
            out[-1] = Attribution(source=prev.source, cue=prev.cue, content=rel.content, kind=rel.kind)
            continue
        out.append(rel)
    return out


# ---------------------------------------------------------------------------------------------------------------
# Public API


def tag_spans_batch(texts: Sequence[str]) -> list[list[tuple[str, int, int]]]:
    """Tagged (role, start, end) spans of each text, before grouping."""
    tagger = load_tagger()
    encoded = [encode(text) if text else ([], []) for text in texts]
    labels = tagger.predict_labels(encoded)
    return [decode_labels(lab, offs) for lab, (_, offs) in zip(labels, encoded, strict=True)]


def attributions_batch(texts: Sequence[str]) -> list[list[Attribution]]:
    """Attribution relations of many texts, tagged in shared batched forward passes (a single text started with
    `prefetch` is taken from there).

    Raises:
        ModelNotInstalledError: the tagger's adapter or the base encoder is missing.
        ModelMismatchError: the installed base weights differ from those the adapter was trained on.
    """
    if len(texts) == 1:
        with _PREFETCH_LOCK:
            future = _PREFETCHED.pop(texts[0], None)
        if future is not None:
            return [future.result()]
    return [_group(text, spans) for text, spans in zip(texts, tag_spans_batch(texts), strict=True)]


#: texts being tagged ahead of their turn (`prefetch`), oldest first; a few at most
_PREFETCHED: OrderedDict[str, Future] = OrderedDict()
_PREFETCH_LOCK = threading.Lock()
_PREFETCH_KEEP = 8


@lru_cache(maxsize=1)
def _prefetch_pool() -> ThreadPoolExecutor:
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="stance-atlas-tagger")


def prefetch(text: str) -> None:
    """Start tagging `text` in a background thread, so that the tagger (native code, no GIL) runs while spaCy parses
    the same article; the next `attributions_batch([text])` takes the result (or its error). A no-op when the tagger
    runs on torch."""
    if load_tagger().runtime != "onnx":
        return
    with _PREFETCH_LOCK:
        if text in _PREFETCHED:
            return
        _PREFETCHED[text] = _prefetch_pool().submit(lambda: _group(text, tag_spans_batch([text])[0]))
        while len(_PREFETCHED) > _PREFETCH_KEEP:
            _PREFETCHED.popitem(last=False)


def attributions(text: str) -> list[Attribution]:
    """Attribution relations (source, cue, content fragments) of one text, in text order."""
    return attributions_batch([text])[0]


def attribution_dicts(text: str) -> list[dict[str, Any]]:
    """The relations of `text` as statement dicts: kind, speaker, cue, content (first to last fragment), parts."""
    out = []
    for att in attributions(text):
        content = None
        if att.content:
            start, end = att.content[0].start, att.content[-1].end
            content = {"start": start, "end": end, "text": text[start:end]}
        out.append(
            {
                "kind": att.kind,
                "speaker": att.source.as_dict() if att.source else None,
                "cue": att.cue.as_dict() if att.cue else None,
                "content": content,
                "content_parts": [part.as_dict() for part in att.content],
                "speaker_actor": None,
            }
        )
    return out
