"""Train the target-dependent sentiment adapter (MiniLM + LoRA + target markers) on NewsMTSC train.

Usage::

    python -m analysis.training.sentiment [--out data/models/sentiment] [--threads 2] [...]

Reads `train.jsonl`, `rw/dev.jsonl` and `mt/dev.jsonl` from `../shared/data/raw/newsmtsc/` (or
`$STANCE_ATLAS_SHARED/data/raw/newsmtsc/`). The dev files only select the epoch (best mean F1m of rw and mt dev).
Seeded and deterministic on CPU; writes the adapter, head, config and MODEL_CARD.md to `--out`.
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


def shared_dir() -> Path:
    """Return the shared data folder: `$STANCE_ATLAS_SHARED` or `../shared` next to the repository."""
    env = os.environ.get("STANCE_ATLAS_SHARED")
    return Path(env) if env else (REPO_ROOT / ".." / "shared").resolve()


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m analysis.training.sentiment", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO_ROOT / "data" / "models" / "sentiment")
    p.add_argument("--seed", type=int, default=13)
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
    p.add_argument("--head-dropout", type=float, default=0.1)
    p.add_argument("--class-weights", choices=["none", "balanced", "sqrt"], default="none")
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--further-mentions", choices=["ignore", "augment"], default="ignore")
    p.add_argument("--no-bf16", action="store_true", help="train in float32 instead of bfloat16 autocast")
    p.add_argument("--select", choices=["best", "last"], default="best", help="epoch to keep")
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


def _evaluate(net: Any, encoded: Sequence[Any], gold: Sequence[str], labels: Sequence[str]) -> dict[str, Any]:
    import torch

    from analysis.evaluate.sentiment import metrics
    from analysis.sentiment import _collate

    net.eval()
    order = sorted(range(len(encoded)), key=lambda i: len(encoded[i].input_ids))
    pred: list[str] = [""] * len(encoded)
    with torch.inference_mode():
        for b in range(0, len(order), 128):
            idx = order[b : b + 128]
            logits = net(_collate([encoded[i] for i in idx]))
            for i, k in zip(idx, logits.argmax(-1).tolist(), strict=True):
                pred[i] = labels[k]
    net.train()
    return metrics(gold, pred, labels)


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train, select the best epoch on dev, save to `args.out`; return the log."""
    import torch
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import save_file

    from analysis.encoder import BASE_MODEL_NAME, base_model_sha256, load_base_encoder, load_tokenizer
    from analysis.evaluate.sentiment import read_newsmtsc
    from analysis.sentiment import (
        CONFIG_FILE,
        HEAD_FILE,
        LABELS,
        SentimentConfig,
        _build_net,
        _collate,
        _encode_batch,
        marker_init_ids,
    )

    t_start = time.perf_counter()
    torch.set_num_threads(args.threads)
    _seed_everything(args.seed)
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
        extra={"head_dropout": args.head_dropout},
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
    encoded = _encode_batch(tokenizer, items, config, marker_ids)
    dev_encoded = {
        k: _encode_batch(tokenizer, [(t.text, t.start, t.end) for t in v], config, marker_ids) for k, v in dev.items()
    }
    dev_gold = {k: [t.polarity for t in v] for k, v in dev.items()}

    encoder = load_base_encoder()
    layers = [int(x) for x in args.lora_layers.split(",") if x.strip()] or list(range(encoder.config.num_hidden_layers))
    lora = LoraConfig(
        r=args.lora_r,
        lora_alpha=args.lora_alpha,
        lora_dropout=args.lora_dropout,
        target_modules=rf".*encoder\.layer\.({'|'.join(map(str, layers))})\.{LORA_TARGETS[args.lora_targets]}",
        bias="none",
    )
    peft_encoder = get_peft_model(encoder, lora)
    net = _build_net(peft_encoder, config)
    with torch.no_grad():
        net.markers.copy_(encoder.get_input_embeddings().weight[list(marker_ids)])
    net.train()

    lora_params = [p for n, p in net.named_parameters() if p.requires_grad and "lora_" in n]
    head_params = [net.markers, *net.classifier.parameters()]
    optimizer = torch.optim.AdamW(
        [{"params": lora_params, "lr": args.lr}, {"params": head_params, "lr": args.head_lr}],
        weight_decay=args.weight_decay,
    )
    counts = torch.bincount(torch.tensor(labels), minlength=len(LABELS)).float()
    weight = None
    if args.class_weights == "balanced":
        weight = counts.sum() / (len(LABELS) * counts)
    elif args.class_weights == "sqrt":
        weight = (counts.sum() / (len(LABELS) * counts)).sqrt()
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight, label_smoothing=args.label_smoothing)

    rng = random.Random(args.seed)
    lengths = [len(e.input_ids) for e in encoded]
    steps_per_epoch = math.ceil(len(encoded) / args.batch_size)
    total_steps = steps_per_epoch * args.epochs
    warmup = max(1, int(total_steps * args.warmup))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup)))
    )
    label_tensor = torch.tensor(labels)

    log: dict[str, Any] = {"epochs": [], "n_train": len(encoded), "args": {k: str(v) for k, v in vars(args).items()}}
    best_score, best_state, best_epoch = -1.0, None, 0
    for epoch in range(1, args.epochs + 1):
        t_epoch, total_loss = time.perf_counter(), 0.0
        for batch_idx in _length_batches(lengths, args.batch_size, rng):
            batch = _collate([encoded[i] for i in batch_idx])
            logits = net(batch)
            loss = loss_fn(logits.float(), label_tensor[batch_idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_([*lora_params, *head_params], 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            total_loss += loss.item() * len(batch_idx)
        scores = {k: _evaluate(net, dev_encoded[k], dev_gold[k], LABELS) for k in dev_encoded}
        mean_f1m = sum(s["f1m"] for s in scores.values()) / len(scores)
        entry = {
            "epoch": epoch,
            "loss": total_loss / len(encoded),
            "seconds": time.perf_counter() - t_epoch,
            "mean_f1m": mean_f1m,
            **{f"{k}_f1m": s["f1m"] for k, s in scores.items()},
            **{f"{k}_acc": s["accuracy"] for k, s in scores.items()},
            **{f"{k}_confusion": s["confusion"] for k, s in scores.items()},
        }
        log["epochs"].append(entry)
        print(
            f"epoch {epoch}: loss {entry['loss']:.4f}  rw F1m {entry['rw_f1m']:.4f} acc {entry['rw_acc']:.4f}  "
            f"mt F1m {entry['mt_f1m']:.4f} acc {entry['mt_acc']:.4f}  mean {mean_f1m:.4f}  ({entry['seconds']:.0f} s)",
            flush=True,
        )
        if args.select == "last" or mean_f1m > best_score:
            best_score, best_epoch = mean_f1m, epoch
            best_state = {n: p.detach().clone() for n, p in net.named_parameters() if p.requires_grad}
    assert best_state is not None
    with torch.no_grad():
        for n, p in net.named_parameters():
            if n in best_state:
                p.copy_(best_state[n])
    log["best_epoch"] = best_epoch
    log["best"] = next(e for e in log["epochs"] if e["epoch"] == best_epoch)
    log["train_seconds"] = time.perf_counter() - t_start
    log["threads"] = args.threads

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    peft_encoder.peft_config["default"].base_model_name_or_path = BASE_MODEL_NAME
    peft_encoder.save_pretrained(str(out), save_embedding_layers=False)
    (out / "README.md").unlink(missing_ok=True)  # peft's template card; MODEL_CARD.md is ours
    save_file({k: v.contiguous() for k, v in net.head_state().items()}, str(out / HEAD_FILE))
    (out / CONFIG_FILE).write_text(config.to_json(), encoding="utf-8")
    log["size_bytes"] = sum(f.stat().st_size for f in out.iterdir() if f.is_file() and f.name != "MODEL_CARD.md")
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text(json.dumps(log, indent=2), encoding="utf-8")
    if not args.no_card:
        (out / "MODEL_CARD.md").write_text(_model_card(args, config, log), encoding="utf-8")
    print(
        f"best epoch {best_epoch}: mean dev F1m {best_score:.4f}; saved to {out} ({log['size_bytes']} bytes); "
        f"wall time {log['train_seconds']:.0f} s on {args.threads} thread(s)"
    )
    return log


def _model_card(args: argparse.Namespace, config: Any, log: dict[str, Any]) -> str:
    import peft
    import torch
    import transformers

    from analysis.encoder import BASE_MODEL_NAME, BASE_MODEL_PACKAGE

    best = log["best"]
    command = "python -m analysis.training.sentiment " + " ".join(sys.argv[1:])
    rows = "\n".join(
        f"| {e['epoch']} | {e['loss']:.4f} | {e['rw_f1m']:.4f} | {e['rw_acc']:.4f} | {e['mt_f1m']:.4f} | "
        f"{e['mt_acc']:.4f} | {e['seconds']:.0f} |"
        for e in log["epochs"]
    )
    hyper = "\n".join(f"| `{k}` | `{v}` |" for k, v in sorted(vars(args).items()) if k not in {"out", "log", "no_card"})
    return f"""# Sentiment model card: target-dependent sentiment (NewsMTSC task)

Negative / neutral / positive sentiment of a sentence towards one marked target mention, with probabilities.

- **Base model**: `{BASE_MODEL_NAME}` from the PyPI package `{BASE_MODEL_PACKAGE}`,
  `model.safetensors` sha256 `{config.base_model_sha256}` (checked at load time; a mismatch raises
  `ModelMismatchError`).
- **What is shipped here** ({log["size_bytes"] / 1e6:.2f} MB): a LoRA adapter (`adapter_model.safetensors`,
  `adapter_config.json`, peft), two learned marker embeddings and a linear head (`head.safetensors`), the input/pooling
  config (`sentiment_config.json`). Inference merges the adapter into the base weights.
- **Input**: `[CLS] left [T-open] mention [T-close] right [SEP]`; the markers are learned vectors; texts longer than
  {config.max_length} tokens are cropped to a window centred on the target. Pooling `{config.pooling}` (the [CLS]
  vector and the mean of the marked span) into a linear softmax head. Encoder runs under bfloat16 autocast
  ({config.bf16}).
- **Data**: NewsMTSC (Hamborg & Donnay, EACL 2021), `train.jsonl` ({log["n_train"]} training targets,
  polarity 2/4/6 -> negative/neutral/positive), from `../shared/data/raw/newsmtsc/` (see its SOURCE.md; MIT licence).
  The rw and mt dev files are used only to select the epoch (best mean F1m). No test data was used.
- **Date**: {dt.date.today().isoformat()}
- **Software**: Python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__},
  peft {peft.__version__}.

## Training command

```
{command}
```

Wall time: {log["train_seconds"]:.0f} s ({log["train_seconds"] / 60:.1f} min) with
`torch.set_num_threads({log["threads"]})` on {platform.processor() or platform.machine()} ({os.cpu_count()} visible
cores), data loading and dev evaluation included.

## Hyper-parameters

| name | value |
|---|---|
{hyper}

## Dev figures (model selection)

F1m is the macro F1 over the three classes (the NewsMTSC paper's metric). Selected epoch: **{log["best_epoch"]}** —
rw dev F1m **{best["rw_f1m"]:.4f}** (accuracy {best["rw_acc"]:.4f}), mt dev F1m **{best["mt_f1m"]:.4f}**
(accuracy {best["mt_acc"]:.4f}). These figures selected the epoch, so they are optimistic; the held-out test splits
are measured outside this repository.

| epoch | train loss | rw F1m | rw acc | mt F1m | mt acc | seconds |
|---|---|---|---|---|---|---|
{rows}

Evaluate: `python -m analysis.evaluate sentiment --newsmtsc ../shared/data/raw/newsmtsc/rw/dev.jsonl`.

## Limits

Trained on English political news sentences (US outlets); sentiment is what the sentence conveys about the target,
not the author's stance. Coreferent mentions are not marked: give the span of the mention you care about.
"""


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    train(_parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
