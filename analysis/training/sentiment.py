"""Train the target-dependent sentiment adapter (MiniLM + LoRA + target markers) on NewsMTSC train.

Usage::

    python -m analysis.training.sentiment [--out data/models/sentiment] [--threads 2] [--soup 2] [...]

Reads `train.jsonl`, `rw/dev.jsonl` and `mt/dev.jsonl` from `../shared/data/raw/newsmtsc/` (or
`$STANCE_ATLAS_SHARED/data/raw/newsmtsc/`). The dev files only select the epoch of each run (best mean F1m of rw and
mt dev). With `--soup K`, K runs share the initialisation and differ in data order and dropout; their weights are
averaged into one adapter (a "model soup": the K LoRA deltas are concatenated into one rank-K·r LoRA, so inference
costs the same as one model). Seeded and deterministic on CPU; writes adapter, head, config and MODEL_CARD.md to
`--out`.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

REPO_ROOT = Path(__file__).resolve().parents[2]
LORA_TARGETS = {
    "qv": r"attention\.self\.(query|value)",
    "qkv": r"attention\.self\.(query|key|value)",
    "attn": r"(attention\.self\.(query|key|value)|attention\.output\.dense)",
    "all": r"(attention\.self\.(query|key|value)|attention\.output\.dense|intermediate\.dense|output\.dense)",
    "ffn": r"(intermediate\.dense|output\.dense)",
}
_PEFT_PREFIX = "base_model.model."


def shared_dir() -> Path:
    """Return the shared data folder: `$STANCE_ATLAS_SHARED` or `../shared` next to the repository."""
    env = os.environ.get("STANCE_ATLAS_SHARED")
    return Path(env) if env else (REPO_ROOT / ".." / "shared").resolve()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m analysis.training.sentiment", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO_ROOT / "data" / "models" / "sentiment")
    p.add_argument("--seed", type=int, default=13, help="seed of the initialisation (and of the first run's order)")
    p.add_argument("--data-seed", type=int, default=None, help="seed of data order and dropout (default: --seed)")
    p.add_argument("--soup", type=int, default=1, help="average K runs with data seeds data-seed, data-seed+1, ...")
    p.add_argument("--threads", type=int, default=2, help="torch CPU threads")
    p.add_argument("--epochs", type=int, default=6)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate of the LoRA weights")
    p.add_argument("--head-lr", type=float, default=1e-3, help="learning rate of head and marker embeddings")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup", type=float, default=0.1, help="fraction of steps with linear warm-up")
    p.add_argument("--lora-r", type=int, default=16)
    p.add_argument("--lora-alpha", type=float, default=32)
    p.add_argument("--lora-dropout", type=float, default=0.1)
    p.add_argument("--lora-targets", choices=sorted(LORA_TARGETS), default="all")
    p.add_argument("--lora-layers", default="", help="comma-separated layer indices (default: all six)")
    p.add_argument("--max-length", type=int, default=128)
    p.add_argument("--markers", choices=["tokens", "none"], default="tokens")
    p.add_argument("--pair", action="store_true", help="append the mention as a second segment")
    p.add_argument("--pooling", default="cls+target")
    p.add_argument("--local-window", type=int, default=8, help="tokens either side of the target for `local`")
    p.add_argument("--head-dropout", type=float, default=0.1)
    p.add_argument("--class-weights", choices=["none", "balanced", "sqrt"], default="none")
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--further-mentions", choices=["ignore", "augment"], default="ignore")
    p.add_argument("--multi-repeat", type=int, default=1, help="repeat targets of multi-target sentences N times")
    p.add_argument("--swap-mentions", type=float, default=0.0, help="per epoch, replace this share of mentions")
    p.add_argument("--ema", type=float, default=0.0, help="keep an EMA of the weights with this decay (0: off)")
    p.add_argument("--no-bf16", action="store_true", help="train in float32 instead of bfloat16 autocast")
    p.add_argument("--select", choices=["best", "last"], default="best", help="epoch to keep in each run")
    p.add_argument("--limit", type=int, default=0, help="use only the first N training targets (smoke tests)")
    p.add_argument("--no-card", action="store_true", help="do not write MODEL_CARD.md (experiments)")
    p.add_argument("--log", type=Path, default=None, help="also write the per-epoch log as JSON here")
    return p.parse_args(argv)


def _seed_everything(seed: int) -> None:
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def _length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
    """Shuffle, then sort within pools of 50 batches by length so that batches pad little; shuffle the batches."""
    idx = list(range(len(lengths)))
    rng.shuffle(idx)
    pool = batch_size * 50
    batches: list[list[int]] = []
    for p in range(0, len(idx), pool):
        chunk = sorted(idx[p : p + pool], key=lambda i: lengths[i])
        batches.extend(chunk[b : b + batch_size] for b in range(0, len(chunk), batch_size))
    rng.shuffle(batches)
    return batches


def _swap_mention(
    item: tuple[str, int, int], pool: Sequence[str], rng: random.Random, p: float
) -> tuple[str, int, int]:
    """With probability p, put a random mention of the pool in place of the target mention."""
    if rng.random() >= p:
        return item
    text, start, end = item
    mention = pool[rng.randrange(len(pool))]
    return text[:start] + mention + text[end:], start, start + len(mention)


def _predict_labels(net: Any, encoded: Sequence[Any], labels: Sequence[str]) -> list[str]:
    import torch

    from analysis.models.heads import collate

    was_training = net.training
    net.eval()
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].input_ids))
    pred: list[str] = [""] * len(encoded)
    with torch.inference_mode():
        for b in range(0, len(order), 128):
            idx = order[b : b + 128]
            logits = net(collate([encoded[i] for i in idx]))
            for i, k in zip(idx, logits.argmax(-1).tolist(), strict=True):
                pred[i] = labels[k]
    net.train(was_training)
    return pred


@dataclass
class _Data:
    config: Any
    tokenizer: Any
    marker_ids: tuple[int, int]
    items: list[tuple[str, int, int]]
    labels: list[int]
    mention_pool: list[str]
    dev_encoded: dict[str, list[Any]]
    dev_gold: dict[str, list[str]]


def _prepare(args: argparse.Namespace) -> _Data:
    from analysis.evaluate.sentiment import read_newsmtsc
    from analysis.labels import SENTIMENT_LABELS as LABELS
    from analysis.models.encoder import base_model_sha256, load_tokenizer
    from analysis.models.sentiment import SentimentConfig, encode_targets, marker_init_ids

    data = shared_dir() / "data" / "raw" / "newsmtsc"
    train_targets = read_newsmtsc(data / "train.jsonl")
    if args.limit:
        train_targets = train_targets[: args.limit]
    dev = {name: read_newsmtsc(data / name / "dev.jsonl") for name in ("rw", "mt")}
    config = SentimentConfig(
        base_model_sha256=base_model_sha256(),
        max_length=args.max_length,
        markers=args.markers,
        pair=args.pair,
        pooling=args.pooling,
        bf16=not args.no_bf16,
        extra={"head_dropout": args.head_dropout, "local_window": args.local_window},
    )
    tokenizer = load_tokenizer()
    marker_ids = marker_init_ids(tokenizer)
    label_index = {lab: i for i, lab in enumerate(LABELS)}
    items = [(t.text, t.start, t.end) for t in train_targets]
    labels = [label_index[t.polarity] for t in train_targets]
    if args.further_mentions == "augment":
        for t in train_targets:
            for s, e in t.further:
                items.append((t.text, s, e))
                labels.append(label_index[t.polarity])
    if args.multi_repeat > 1:  # sentences with several targets teach target-dependence: repeat them
        per_sentence: dict[str, int] = {}
        for t in train_targets:
            per_sentence[t.text] = per_sentence.get(t.text, 0) + 1
        extra = [(it, lab) for it, lab in zip(items, labels, strict=True) if per_sentence.get(it[0], 0) > 1]
        for _ in range(args.multi_repeat - 1):
            items.extend(it for it, _ in extra)
            labels.extend(lab for _, lab in extra)
    return _Data(
        config=config,
        tokenizer=tokenizer,
        marker_ids=marker_ids,
        items=items,
        labels=labels,
        mention_pool=sorted({t.text[t.start : t.end] for t in train_targets}),
        dev_encoded={
            k: encode_targets(tokenizer, [(t.text, t.start, t.end) for t in v], config, marker_ids)
            for k, v in dev.items()
        },
        dev_gold={k: [t.polarity for t in v] for k, v in dev.items()},
    )


def _lora_config(args: argparse.Namespace, n_layers: int, soup: int = 1) -> Any:
    from peft import LoraConfig

    from analysis.models.encoder import BASE_MODEL_NAME

    layers = [int(x) for x in args.lora_layers.split(",") if x.strip()] or list(range(n_layers))
    return LoraConfig(
        r=args.lora_r * soup,
        lora_alpha=args.lora_alpha * soup,  # same scale alpha/r as each run's adapter
        lora_dropout=args.lora_dropout,
        target_modules=rf".*encoder\.layer\.({'|'.join(map(str, layers))})\.{LORA_TARGETS[args.lora_targets]}",
        bias="none",
        base_model_name_or_path=BASE_MODEL_NAME,
    )


def _dev_scores(net: Any, data: _Data) -> dict[str, Any]:
    from analysis.evaluate.sentiment import metrics
    from analysis.labels import SENTIMENT_LABELS as LABELS

    return {
        k: metrics(data.dev_gold[k], _predict_labels(net, enc, LABELS), LABELS) for k, enc in data.dev_encoded.items()
    }


def _train_run(args: argparse.Namespace, data: _Data, data_seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train one run from the shared initialisation; return its best state (peft key names) and its log."""
    import torch
    from peft import get_peft_model

    from analysis.labels import SENTIMENT_LABELS as LABELS
    from analysis.models.encoder import load_base_encoder
    from analysis.models.heads import collate
    from analysis.models.sentiment import encode_targets, sentiment_net

    _seed_everything(args.seed)  # same initialisation (LoRA A matrices, head) in every run of a soup
    encoder = load_base_encoder()
    peft_encoder = get_peft_model(encoder, _lora_config(args, encoder.config.num_hidden_layers))
    net = sentiment_net(peft_encoder, data.config)
    with torch.no_grad():
        net.markers.copy_(encoder.get_input_embeddings().weight[list(data.marker_ids)])
    net.train()
    torch.manual_seed(data_seed)  # from here on the data seed drives order and dropout
    rng = random.Random(data_seed)

    trainable = {n: p for n, p in net.named_parameters() if p.requires_grad}
    lora_params = [p for n, p in trainable.items() if "lora_" in n]
    head_params = [p for n, p in trainable.items() if "lora_" not in n]
    optimizer = torch.optim.AdamW(
        [{"params": lora_params, "lr": args.lr}, {"params": head_params, "lr": args.head_lr}],
        weight_decay=args.weight_decay,
    )
    counts = torch.bincount(torch.tensor(data.labels), minlength=len(LABELS)).float()
    weight = None
    if args.class_weights == "balanced":
        weight = counts.sum() / (len(LABELS) * counts)
    elif args.class_weights == "sqrt":
        weight = (counts.sum() / (len(LABELS) * counts)).sqrt()
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight, label_smoothing=args.label_smoothing)

    encoded = encode_targets(data.tokenizer, data.items, data.config, data.marker_ids)
    lengths = [len(e.input_ids) for e in encoded]
    total_steps = math.ceil(len(encoded) / args.batch_size) * args.epochs
    warmup = max(1, int(total_steps * args.warmup))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup)))
    )
    label_tensor = torch.tensor(data.labels)
    ema = {n: p.detach().clone() for n, p in trainable.items()} if args.ema else None

    log: dict[str, Any] = {"data_seed": data_seed, "n_layers": encoder.config.num_hidden_layers, "epochs": []}
    best_score, best_state = -1.0, None
    for epoch in range(1, args.epochs + 1):
        t_epoch, total_loss = time.perf_counter(), 0.0
        if args.swap_mentions > 0:  # replace some mentions by other training mentions: context, not names, decides
            swapped = [_swap_mention(it, data.mention_pool, rng, args.swap_mentions) for it in data.items]
            encoded = encode_targets(data.tokenizer, swapped, data.config, data.marker_ids)
            lengths = [len(e.input_ids) for e in encoded]
        for batch_idx in _length_batches(lengths, args.batch_size, rng):
            logits = net(collate([encoded[i] for i in batch_idx]))
            loss = loss_fn(logits.float(), label_tensor[batch_idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(trainable.values()), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            total_loss += loss.item() * len(batch_idx)
            if ema is not None:
                with torch.no_grad():
                    for n, p in trainable.items():
                        ema[n].lerp_(p.detach(), 1.0 - args.ema)
        raw = None
        if ema is not None:  # evaluate (and keep) the exponential moving average of the weights
            raw = {n: p.detach().clone() for n, p in trainable.items()}
            with torch.no_grad():
                for n, p in trainable.items():
                    p.copy_(ema[n])
        scores = _dev_scores(net, data)
        entry = _entry(epoch, scores, total_loss / len(encoded), time.perf_counter() - t_epoch)
        log["epochs"].append(entry)
        print(f"[seed {data_seed}] {_describe(entry)}", flush=True)
        if args.select == "last" or entry["mean_f1m"] > best_score:
            best_score, log["best_epoch"] = entry["mean_f1m"], epoch
            best_state = {n: p.detach().clone() for n, p in trainable.items()}
        if raw is not None:
            with torch.no_grad():
                for n, p in trainable.items():
                    p.copy_(raw[n])
    assert best_state is not None
    log["best"] = log["epochs"][log["best_epoch"] - 1]
    return _to_saved_names(best_state), log


def _entry(epoch: int, scores: dict[str, Any], loss: float, seconds: float) -> dict[str, Any]:
    return {
        "epoch": epoch,
        "loss": loss,
        "seconds": seconds,
        "mean_f1m": sum(s["f1m"] for s in scores.values()) / len(scores),
        **{f"{k}_f1m": s["f1m"] for k, s in scores.items()},
        **{f"{k}_acc": s["accuracy"] for k, s in scores.items()},
        **{f"{k}_confusion": s["confusion"] for k, s in scores.items()},
    }


def _describe(e: dict[str, Any]) -> str:
    return (
        f"epoch {e['epoch']}: loss {e['loss']:.4f}  rw F1m {e['rw_f1m']:.4f} acc {e['rw_acc']:.4f}  "
        f"mt F1m {e['mt_f1m']:.4f} acc {e['mt_acc']:.4f}  mean {e['mean_f1m']:.4f}  ({e['seconds']:.0f} s)"
    )


def _to_saved_names(state: dict[str, Any]) -> dict[str, Any]:
    """Map net parameter names to the names we save: peft's adapter keys, and the head's own names."""
    out = {}
    for name, tensor in state.items():
        if name.startswith("encoder."):
            out[name.removeprefix("encoder.").replace(".default.", ".")] = tensor
        else:
            out[name] = tensor
    return out


def _soup(states: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
    """Average K runs: concatenate LoRA factors (B scaled by 1/K) into rank K·r, average head tensors.

    mean_k(B_k A_k) == [B_1/K ... B_K/K] @ [A_1; ...; A_K], so the soup is exactly the mean of the K deltas.
    """
    import torch

    k = len(states)
    adapter, head = {}, {}
    for name in states[0]:
        tensors = [s[name] for s in states]
        if ".lora_A." in name:
            adapter[name] = torch.cat(tensors, dim=0)
        elif ".lora_B." in name:
            adapter[name] = torch.cat(tensors, dim=1) / k
        else:
            head[name] = torch.stack(tensors).mean(0)
    return adapter, head


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train `--soup` run(s), average them, save to `args.out`, evaluate what was saved; return the log."""
    import torch
    from safetensors.torch import save_file

    from analysis.models.sentiment import CONFIG_FILE, HEAD_FILE, load_from_dir

    t_start = time.perf_counter()
    torch.set_num_threads(args.threads)
    data = _prepare(args)
    first_seed = args.seed if args.data_seed is None else args.data_seed
    runs, states = [], []
    for i in range(args.soup):
        state, run_log = _train_run(args, data, first_seed + i)
        states.append(state)
        runs.append(run_log)
    adapter, head = _soup(states)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    _lora_config(args, runs[0]["n_layers"], soup=args.soup).save_pretrained(str(out))
    save_file({k: v.to(torch.float16).contiguous() for k, v in adapter.items()}, str(out / "adapter_model.safetensors"))
    save_file({k: v.float().contiguous() for k, v in head.items()}, str(out / HEAD_FILE))
    (out / CONFIG_FILE).write_text(data.config.to_json(), encoding="utf-8")

    # evaluate exactly what ships: the saved files, loaded by the inference code
    shipped = load_from_dir(out)
    final = _entry(0, _dev_scores(shipped.net, data), float("nan"), 0.0)
    log: dict[str, Any] = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "n_train": len(data.items),
        "runs": runs,
        "final": final,
        "train_seconds": time.perf_counter() - t_start,
        "threads": args.threads,
        "size_bytes": sum(f.stat().st_size for f in out.iterdir() if f.is_file() and f.name != "MODEL_CARD.md"),
    }
    print(
        f"shipped model: rw F1m {final['rw_f1m']:.4f} acc {final['rw_acc']:.4f}  mt F1m {final['mt_f1m']:.4f} "
        f"acc {final['mt_acc']:.4f}  mean {final['mean_f1m']:.4f}; {log['size_bytes']} bytes in {out}; "
        f"wall time {log['train_seconds']:.0f} s on {args.threads} thread(s)",
        flush=True,
    )
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text(json.dumps(log, indent=2), encoding="utf-8")
    if not args.no_card:
        (out / "MODEL_CARD.md").write_text(_model_card(args, data.config, log), encoding="utf-8")
    return log


def _model_card(args: argparse.Namespace, config: Any, log: dict[str, Any]) -> str:
    import peft
    import torch
    import transformers

    from analysis.models.encoder import BASE_MODEL_NAME, BASE_MODEL_PACKAGE

    final = log["final"]
    command = "python -m analysis.training.sentiment " + " ".join(sys.argv[1:])
    tables = []
    for run in log["runs"]:
        rows = "\n".join(
            f"| {e['epoch']} | {e['loss']:.4f} | {e['rw_f1m']:.4f} | {e['rw_acc']:.4f} | {e['mt_f1m']:.4f} | "
            f"{e['mt_acc']:.4f} | {e['seconds']:.0f} |"
            for e in run["epochs"]
        )
        tables.append(
            f"Run with data seed {run['data_seed']} (kept epoch {run['best_epoch']}):\n\n"
            "| epoch | train loss | rw F1m | rw acc | mt F1m | mt acc | seconds |\n"
            f"|---|---|---|---|---|---|---|\n{rows}\n"
        )
    runs_md = "\n".join(tables)
    hyper = "\n".join(f"| `{k}` | `{v}` |" for k, v in sorted(vars(args).items()) if k not in {"out", "log", "no_card"})
    soup = (
        f'a weight average ("model soup") of {args.soup} runs that share the initialisation and differ in data order '
        f"and dropout (data seeds {', '.join(str(r['data_seed']) for r in log['runs'])}); their LoRA deltas are "
        f"concatenated into one adapter of rank {args.soup * args.lora_r}, so inference costs one model"
        if args.soup > 1
        else "a single run"
    )
    return f"""# Sentiment model card: target-dependent sentiment (NewsMTSC task)

Negative / neutral / positive sentiment of a sentence towards one marked target mention, with probabilities.

- **Base model**: `{BASE_MODEL_NAME}` from the PyPI package `{BASE_MODEL_PACKAGE}`,
  `model.safetensors` sha256 `{config.base_model_sha256}` (checked at load time; a mismatch raises
  `ModelMismatchError`).
- **What is shipped here** ({log["size_bytes"] / 1e6:.2f} MB): a LoRA adapter in peft's format
  (`adapter_model.safetensors` in float16, `adapter_config.json`), two learned marker embeddings and a linear head
  (`head.safetensors`), the input/pooling config (`sentiment_config.json`). The adapter is {soup}. Inference merges
  the adapter into the base weights (no peft needed at run time).
- **Input**: `[CLS] left [T-open] mention [T-close] right [SEP]`; the markers are learned vectors; texts longer than
  {config.max_length} tokens are cropped to a window centred on the target. Pooling `{config.pooling}` ([CLS] and the
  mean over the marked span) into a linear softmax head. The encoder runs under bfloat16 autocast ({config.bf16}).
- **Data**: NewsMTSC (Hamborg & Donnay, EACL 2021), `train.jsonl` ({log["n_train"]} training targets,
  polarity 2/4/6 -> negative/neutral/positive), from `../shared/data/raw/newsmtsc/` (see its SOURCE.md; MIT licence).
  The rw and mt dev files are used only to select each run's epoch (best mean F1m). No test data was used.
- **Date**: {dt.date.today().isoformat()}
- **Software**: Python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__},
  peft {peft.__version__}.

## Training command

```
{command}
```

Wall time: {log["train_seconds"]:.0f} s ({log["train_seconds"] / 60:.1f} min) with
`torch.set_num_threads({log["threads"]})` on {platform.processor() or platform.machine()} ({os.cpu_count()} visible
cores), data loading, dev evaluation and saving included.

## Hyper-parameters

| name | value |
|---|---|
{hyper}

## Dev figures

F1m is the macro F1 over the three classes (the NewsMTSC paper's metric). The shipped model (the files in this
folder, loaded by `analysis.models.sentiment`): rw dev F1m **{final["rw_f1m"]:.4f}** (accuracy {final["rw_acc"]:.4f}),
mt dev F1m **{final["mt_f1m"]:.4f}** (accuracy {final["mt_acc"]:.4f}). The dev sets chose the epochs and the
hyper-parameters, so these figures are optimistic; the held-out test splits are measured outside this repository.

{runs_md}
Evaluate: `python -m analysis.evaluate sentiment --newsmtsc ../shared/data/raw/newsmtsc/rw/dev.jsonl`.

## Limits

Trained on English political news sentences (mostly US outlets); sentiment is what the sentence conveys about the
target, not the author's stance. Coreferent mentions are not marked: give the span of the mention you care about.
"""


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    train(_parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
