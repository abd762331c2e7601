"""What the sentiment and stance training scripts share: arguments, LoRA wrapping, seeding, the training loop, the
weight soup, saving, the log and the model card's common parts.

Both train the network of `analysis.models.heads` (MiniLM + LoRA + pooling + linear head) with AdamW (one learning
rate for the LoRA weights, one for the head), linear warm-up and decay, gradient clipping at 1 and batches of similar
length; `--soup K` runs share the initialisation and differ in the data seed, and their weights are averaged.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import math
import os
import platform
import random
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from analysis.models.heads import ADAPTER_FILES, HEAD_FILE, HeadModel, collate
from analysis.settings import ROOT

LORA_TARGETS = {
    "qv": r"attention\.self\.(query|value)",
    "qkv": r"attention\.self\.(query|key|value)",
    "attn": r"(attention\.self\.(query|key|value)|attention\.output\.dense)",
    "all": r"(attention\.self\.(query|key|value)|attention\.output\.dense|intermediate\.dense|output\.dense)",
    "ffn": r"(intermediate\.dense|output\.dense)",
}
#: arguments that do not decide the weights (left out of the model card's hyper-parameter table)
NOT_HYPER = frozenset({"out", "log", "no_card", "max_steps"})


#: the models trained with the shared flags, in the column order of the two tables below
MODELS = ("sentiment", "stance")
#: defaults of the shared flags that differ between the models (each the shipped model's setting): (sentiment, stance)
MODEL_DEFAULTS: dict[str, tuple[Any, Any]] = {
    "soup": (1, 2),
    "threads": (2, 1),
    "epochs": (6, 2),
    "lora_r": (16, 8),
    "lora_alpha": (32, 16),
    "max_length": (128, 96),
    "pooling": ("cls+target", "cls+mean"),
    "class_weights": ("none", "sqrt"),
}
#: help texts of the shared flags that differ between the models: (sentiment, stance)
MODEL_HELPS: dict[str, tuple[str, str]] = {
    "seed": ("seed of the initialisation (and of the first run's order)",
             "seed of the initialisation and of the data sample"),
    "data_seed": ("seed of data order and dropout (default: --seed)", "seed of data order, masking and dropout"),
    "threads": ("torch CPU threads", "torch CPU threads (the shipped model: 1)"),
    "head_lr": ("learning rate of head and marker embeddings", "learning rate of the head"),
}


def argument_parser(model: str, description: str) -> argparse.ArgumentParser:
    """The argument parser of `python -m analysis.training.<model>` with the flags both scripts have."""
    column = MODELS.index(model)
    default = {name: values[column] for name, values in MODEL_DEFAULTS.items()}
    helps = {name: values[column] for name, values in MODEL_HELPS.items()}
    p = argparse.ArgumentParser(prog=f"python -m analysis.training.{model}", description=description)
    p.add_argument("--out", type=Path, default=ROOT / "data" / "models" / model)
    p.add_argument("--seed", type=int, default=13, help=helps["seed"])
    p.add_argument("--data-seed", type=int, default=None, help=helps["data_seed"])
    p.add_argument("--soup", type=int, default=default["soup"],
                   help="average K runs with data seeds data-seed, data-seed+1, ...")
    p.add_argument("--threads", type=int, default=default["threads"], help=helps["threads"])
    p.add_argument("--epochs", type=int, default=default["epochs"])
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate of the LoRA weights")
    p.add_argument("--head-lr", type=float, default=1e-3, help=helps["head_lr"])
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup", type=float, default=0.1, help="fraction of steps with linear warm-up")
    p.add_argument("--lora-r", type=int, default=default["lora_r"])
    p.add_argument("--lora-alpha", type=float, default=default["lora_alpha"])
    p.add_argument("--lora-dropout", type=float, default=0.1)
    p.add_argument("--lora-targets", choices=sorted(LORA_TARGETS), default="all")
    p.add_argument("--lora-layers", default="", help="comma-separated layer indices (default: all six)")
    p.add_argument("--max-length", type=int, default=default["max_length"])
    p.add_argument("--pooling", default=default["pooling"])
    p.add_argument("--head-dropout", type=float, default=0.1)
    p.add_argument("--class-weights", choices=["none", "balanced", "sqrt"], default=default["class_weights"])
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--no-bf16", action="store_true", help="train in float32 instead of bfloat16 autocast")
    p.add_argument("--no-card", action="store_true", help="do not write MODEL_CARD.md (experiments)")
    p.add_argument("--log", type=Path, default=None, help="also write the per-epoch log as JSON here")
    p.add_argument("--max-steps", type=int, default=0,
                   help="stop each run after N optimisation steps (smoke tests; 0: no limit)")
    return p


def seed_everything(seed: int) -> None:
    """Seed Python's, numpy's and torch's generators."""
    import numpy as np
    import torch

    random.seed(seed)
    np.random.seed(seed)
    torch.manual_seed(seed)


def length_batches(lengths: Sequence[int], batch_size: int, rng: random.Random) -> list[list[int]]:
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


def lora_config(args: argparse.Namespace, n_layers: int, soup: int = 1) -> Any:
    """peft's LoRA config from the flags; a soup of K runs is one adapter of rank K·r with the same scale."""
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


def lora_net(args: argparse.Namespace, build: Callable[[Any, Any], Any], config: Any) -> tuple[Any, Any]:
    """The shared initialisation of every run (seeded with --seed): a fresh base encoder wrapped with LoRA, and the
    network `build(wrapped, config)` on it. Returns (network, the unwrapped encoder)."""
    from peft import get_peft_model

    from analysis.models.encoder import load_base_encoder

    seed_everything(args.seed)  # same initialisation (LoRA A matrices, head) in every run of a soup
    encoder = load_base_encoder()
    return build(get_peft_model(encoder, lora_config(args, encoder.config.num_hidden_layers)), config), encoder


@dataclass
class Trainer:
    """One run's optimisation state: the network, its trainable tensors, optimiser, schedule, loss and data order."""

    net: Any
    trainable: dict[str, Any]
    optimizer: Any
    scheduler: Any
    loss_fn: Any
    rng: random.Random
    batch_size: int
    max_steps: int = 0
    steps: int = 0

    @property
    def done(self) -> bool:
        """True once `max_steps` optimisation steps are made (never without a limit)."""
        return bool(self.max_steps) and self.steps >= self.max_steps

    def epoch(self, encoded: Sequence[Any], labels: Any, after_step: Callable[[], None] | None = None) -> float:
        """One pass over the encoded items (length-sorted batches in a seeded order); returns the mean loss."""
        import torch

        total_loss = 0.0
        for batch_idx in length_batches([len(e.input_ids) for e in encoded], self.batch_size, self.rng):
            if self.done:
                break
            logits = self.net(collate([encoded[i] for i in batch_idx]))
            loss = self.loss_fn(logits.float(), labels[batch_idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(self.trainable.values()), 1.0)
            self.optimizer.step()
            self.scheduler.step()
            self.optimizer.zero_grad(set_to_none=True)
            total_loss += loss.item() * len(batch_idx)
            self.steps += 1
            if after_step is not None:
                after_step()
        return total_loss / len(encoded)


def trainer(
    args: argparse.Namespace, net: Any, labels: Any, n_labels: int, data_seed: int, *, count_floor: float = 0.0
) -> Trainer:
    """Put the network in training mode and set up a run: from here on `data_seed` drives data order and dropout.

    `labels` is the tensor of the training items' label ids (their count sets the schedule; their frequencies the
    class weights of `--class-weights`, each count raised to at least `count_floor` when that is set).
    """
    import torch

    net.train()
    torch.manual_seed(data_seed)
    rng = random.Random(data_seed)
    trainable = {n: p for n, p in net.named_parameters() if p.requires_grad}
    optimizer = torch.optim.AdamW(
        [
            {"params": [p for n, p in trainable.items() if "lora_" in n], "lr": args.lr},
            {"params": [p for n, p in trainable.items() if "lora_" not in n], "lr": args.head_lr},
        ],
        weight_decay=args.weight_decay,
    )
    counts = torch.bincount(labels, minlength=n_labels).float()
    if count_floor:
        counts = counts.clamp(min=count_floor)
    weight = None
    if args.class_weights == "balanced":
        weight = counts.sum() / (n_labels * counts)
    elif args.class_weights == "sqrt":
        weight = (counts.sum() / (n_labels * counts)).sqrt()
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight, label_smoothing=args.label_smoothing)
    total_steps = math.ceil(len(labels) / args.batch_size) * args.epochs
    warmup = max(1, int(total_steps * args.warmup))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup)))
    )
    return Trainer(net, trainable, optimizer, scheduler, loss_fn, rng, args.batch_size, args.max_steps)


def saved_state(trainable: dict[str, Any]) -> dict[str, Any]:
    """A copy of the trainable tensors under the names we save: peft's adapter keys, and the head's own names."""
    out = {}
    for name, tensor in trainable.items():
        tensor = tensor.detach().clone()
        if name.startswith("encoder."):
            out[name.removeprefix("encoder.").replace(".default.", ".")] = tensor
        else:
            out[name] = tensor
    return out


def soup(states: Sequence[dict[str, Any]]) -> tuple[dict[str, Any], dict[str, Any]]:
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


def train_soup(
    args: argparse.Namespace, run: Callable[[int], tuple[dict[str, Any], dict[str, Any]]]
) -> tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]]:
    """Make `--soup` runs, `run(data_seed)` -> (saved state, run log), with data seeds from --data-seed (default
    --seed) on; return the averaged adapter and head tensors and the run logs."""
    first_seed = args.seed if args.data_seed is None else args.data_seed
    runs, states = [], []
    for i in range(args.soup):
        state, run_log = run(first_seed + i)
        states.append(state)
        runs.append(run_log)
    adapter, head = soup(states)
    return adapter, head, runs


def start(args: argparse.Namespace) -> float:
    """Give torch `--threads` threads; return the start time of the training (for the wall time)."""
    import torch

    t_start = time.perf_counter()
    torch.set_num_threads(args.threads)
    return t_start


def save_model(args: argparse.Namespace, n_layers: int, adapter: dict[str, Any], head: dict[str, Any], config: Any,
               config_file: str) -> Path:
    """Write adapter (peft's format, float16), head (float32) and config to `--out`; return the folder."""
    import torch
    from safetensors.torch import save_file

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    lora_config(args, n_layers, soup=args.soup).save_pretrained(str(out))
    save_file({k: v.to(torch.float16).contiguous() for k, v in adapter.items()}, str(out / ADAPTER_FILES[1]))
    save_file({k: v.float().contiguous() for k, v in head.items()}, str(out / HEAD_FILE))
    (out / config_file).write_text(config.to_json(), encoding="utf-8")
    return out


def ship(
    args: argparse.Namespace,
    model_type: type[HeadModel],
    config: Any,
    trained: tuple[dict[str, Any], dict[str, Any], list[dict[str, Any]]],
    *,
    t_start: float,
    n_train: int,
    score: Callable[[Any], dict[str, Any]],
    summary: Callable[[dict[str, Any]], str],
    card: Callable[[dict[str, Any]], str],
    **extra: Any,
) -> dict[str, Any]:
    """Save what `train_soup` returned to `--out`, score the saved files as the inference code loads them, print a
    summary line, write the log and the model card; return the log.

    `score(net)` gives the final figures, `summary(final)` words them, `card(log)` is the model card; `extra` goes
    into the log after `n_train`.
    """
    adapter, head, runs = trained
    out = save_model(args, runs[0]["n_layers"], adapter, head, config, model_type.config_file)
    final = score(model_type.from_dir(out).net)  # evaluate exactly what ships: the saved files, loaded for inference
    log = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "n_train": n_train,
        **extra,
        "runs": runs,
        "final": final,
        "train_seconds": time.perf_counter() - t_start,
        "threads": args.threads,
        "size_bytes": sum(f.stat().st_size for f in out.iterdir() if f.is_file() and f.name != "MODEL_CARD.md"),
    }
    print(f"shipped model: {summary(final)}; {log['size_bytes']} bytes in {out}; "
          f"wall time {log['train_seconds']:.0f} s on {args.threads} thread(s)", flush=True)
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text(json.dumps(log, indent=2), encoding="utf-8")
    if not args.no_card:
        (out / "MODEL_CARD.md").write_text(card(log), encoding="utf-8")
    return log


# ------------------------------------------------------------------------------------------------------ model card


def card_base_model(config: Any) -> str:
    """The card's base-model bullet."""
    from analysis.models.encoder import BASE_MODEL_NAME, BASE_MODEL_PACKAGE

    return f"""- **Base model**: `{BASE_MODEL_NAME}` from the PyPI package `{BASE_MODEL_PACKAGE}`,
  `model.safetensors` sha256 `{config.base_model_sha256}` (checked at load time; a mismatch raises
  `ModelMismatchError`)."""


def card_software() -> str:
    """The card's date and software bullets."""
    import peft
    import torch
    import transformers

    return f"""- **Date**: {dt.date.today().isoformat()}
- **Software**: Python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__},
  peft {peft.__version__}."""


def card_run_tables(log: dict[str, Any], columns: dict[str, str], kept: Callable[[dict[str, Any]], str]) -> list[str]:
    """One table per run of the epochs' train loss, the figures `columns` (header -> log key) and seconds;
    `kept(run)` says which epoch the run kept."""
    head = " | ".join(["epoch", "train loss", *columns, "seconds"])
    rule = "---|" * (len(columns) + 3)
    tables = []
    for run in log["runs"]:
        rows = "\n".join(
            "| " + " | ".join([str(e["epoch"]), f"{e['loss']:.4f}", *(f"{e[k]:.4f}" for k in columns.values()),
                               f"{e['seconds']:.0f}"]) + " |"
            for e in run["epochs"]
        )
        tables.append(f"Run with data seed {run['data_seed']} ({kept(run)}):\n\n| {head} |\n|{rule}\n{rows}\n")
    return tables


def card_soup(args: argparse.Namespace, differ: str, tail: str = "") -> str:
    """What the adapter is: one run, or the soup of `--soup` runs that differ in `differ`."""
    if args.soup <= 1:
        return "a single run"
    return (
        f'a weight average ("model soup") of {args.soup} runs that share the initialisation and differ in {differ}; '
        f"their LoRA deltas are concatenated into one adapter of rank {args.soup * args.lora_r}{tail}"
    )


def card_command(command: str, log: dict[str, Any], included: str, note: str = "") -> str:
    """The card's training command section with its wall time (`included` names what the time covers)."""
    return f"""## Training command

```
{command}
```
{note}
Wall time: {log["train_seconds"]:.0f} s ({log["train_seconds"] / 60:.1f} min) with
`torch.set_num_threads({log["threads"]})` on {platform.processor() or platform.machine()} ({os.cpu_count()} visible
cores), {included} included."""


def card_hyper(args: argparse.Namespace) -> str:
    """The card's hyper-parameter table (every flag that decides the weights)."""
    rows = "\n".join(f"| `{k}` | `{v}` |" for k, v in sorted(vars(args).items()) if k not in NOT_HYPER)
    return f"""## Hyper-parameters

| name | value |
|---|---|
{rows}"""
