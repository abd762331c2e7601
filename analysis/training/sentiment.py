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
import random
import sys
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from analysis.labels import SENTIMENT_LABELS
from analysis.settings import shared_dir
from analysis.training.common import (
    argument_parser,
    card_base_model,
    card_command,
    card_hyper,
    card_run_tables,
    card_software,
    card_soup,
    lora_net,
    saved_state,
    ship,
    start,
    train_soup,
    trainer,
)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argument_parser("sentiment", __doc__.splitlines()[0])
    p.add_argument("--markers", choices=["tokens", "none"], default="tokens")
    p.add_argument("--pair", action="store_true", help="append the mention as a second segment")
    p.add_argument("--local-window", type=int, default=8, help="tokens either side of the target for `local`")
    p.add_argument("--further-mentions", choices=["ignore", "augment"], default="ignore")
    p.add_argument("--multi-repeat", type=int, default=1, help="repeat targets of multi-target sentences N times")
    p.add_argument("--swap-mentions", type=float, default=0.0, help="per epoch, replace this share of mentions")
    p.add_argument("--ema", type=float, default=0.0, help="keep an EMA of the weights with this decay (0: off)")
    p.add_argument("--select", choices=["best", "last"], default="best", help="epoch to keep in each run")
    p.add_argument("--limit", type=int, default=0, help="use only the first N training targets (smoke tests)")
    return p.parse_args(argv)


def _swap_mention(
    item: tuple[str, int, int], pool: Sequence[str], rng: random.Random, p: float
) -> tuple[str, int, int]:
    """With probability p, put a random mention of the pool in place of the target mention."""
    if rng.random() >= p:
        return item
    text, start, end = item
    mention = pool[rng.randrange(len(pool))]
    return text[:start] + mention + text[end:], start, start + len(mention)


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
    label_index = {lab: i for i, lab in enumerate(SENTIMENT_LABELS)}
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


def _dev_scores(net: Any, data: _Data) -> dict[str, Any]:
    from analysis.evaluate.sentiment import metrics
    from analysis.models.heads import predict_rows

    def labels(logits: Any) -> list[str]:
        return [SENTIMENT_LABELS[k] for k in logits.argmax(-1).tolist()]

    return {
        k: metrics(data.dev_gold[k], predict_rows(net, enc, 128, labels), SENTIMENT_LABELS)
        for k, enc in data.dev_encoded.items()
    }


def _train_run(args: argparse.Namespace, data: _Data, data_seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train one run from the shared initialisation; return its best state (peft key names) and its log."""
    import torch

    from analysis.models.sentiment import SentimentModel, encode_targets

    net, encoder = lora_net(args, SentimentModel.build_net, data.config)
    with torch.no_grad():
        net.markers.copy_(encoder.get_input_embeddings().weight[list(data.marker_ids)])
    label_tensor = torch.tensor(data.labels)
    run = trainer(args, net, label_tensor, len(SENTIMENT_LABELS), data_seed)
    trainable = run.trainable
    ema = {n: p.detach().clone() for n, p in trainable.items()} if args.ema else None

    def ema_step() -> None:
        with torch.no_grad():
            for n, p in trainable.items():
                ema[n].lerp_(p.detach(), 1.0 - args.ema)  # type: ignore[index]

    encoded = encode_targets(data.tokenizer, data.items, data.config, data.marker_ids)
    log: dict[str, Any] = {"data_seed": data_seed, "n_layers": encoder.config.num_hidden_layers, "epochs": []}
    best_score, best_state = -1.0, None
    for epoch in range(1, args.epochs + 1):
        t_epoch = time.perf_counter()
        if args.swap_mentions > 0:  # replace some mentions by other training mentions: context, not names, decides
            swapped = [_swap_mention(it, data.mention_pool, run.rng, args.swap_mentions) for it in data.items]
            encoded = encode_targets(data.tokenizer, swapped, data.config, data.marker_ids)
        loss = run.epoch(encoded, label_tensor, ema_step if ema is not None else None)
        raw = None
        if ema is not None:  # evaluate (and keep) the exponential moving average of the weights
            raw = {n: p.detach().clone() for n, p in trainable.items()}
            with torch.no_grad():
                for n, p in trainable.items():
                    p.copy_(ema[n])
        scores = _dev_scores(net, data)
        entry = _entry(epoch, scores, loss, time.perf_counter() - t_epoch)
        log["epochs"].append(entry)
        print(f"[seed {data_seed}] {_describe(entry)}", flush=True)
        if args.select == "last" or entry["mean_f1m"] > best_score:
            best_score, log["best_epoch"] = entry["mean_f1m"], epoch
            best_state = saved_state(trainable)
        if raw is not None:
            with torch.no_grad():
                for n, p in trainable.items():
                    p.copy_(raw[n])
        if run.done:
            break
    assert best_state is not None
    log["best"] = log["epochs"][log["best_epoch"] - 1]
    return best_state, log


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


def _summary(final: dict[str, Any]) -> str:
    return (
        f"rw F1m {final['rw_f1m']:.4f} acc {final['rw_acc']:.4f}  mt F1m {final['mt_f1m']:.4f} "
        f"acc {final['mt_acc']:.4f}  mean {final['mean_f1m']:.4f}"
    )


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train `--soup` run(s), average them, save to `args.out`, evaluate what was saved; return the log."""
    from analysis.models.sentiment import SentimentModel

    t_start = start(args)
    data = _prepare(args)
    trained = train_soup(args, lambda data_seed: _train_run(args, data, data_seed))
    return ship(
        args, SentimentModel, data.config, trained, t_start=t_start, n_train=len(data.items),
        score=lambda net: _entry(0, _dev_scores(net, data), float("nan"), 0.0), summary=_summary,
        card=lambda log: _model_card(args, data.config, log),
    )


def _model_card(args: argparse.Namespace, config: Any, log: dict[str, Any]) -> str:
    final = log["final"]
    command = "python -m analysis.training.sentiment " + " ".join(sys.argv[1:])
    columns = {"rw F1m": "rw_f1m", "rw acc": "rw_acc", "mt F1m": "mt_f1m", "mt acc": "mt_acc"}
    tables = card_run_tables(log, columns, lambda run: f"kept epoch {run['best_epoch']}")
    runs_md = "\n".join(tables)
    seeds = ", ".join(str(r["data_seed"]) for r in log["runs"])
    soup = card_soup(args, f"data order and dropout (data seeds {seeds})", ", so inference costs one model")
    return f"""# Sentiment model card: target-dependent sentiment (NewsMTSC task)

Negative / neutral / positive sentiment of a sentence towards one marked target mention, with probabilities.

{card_base_model(config)}
- **What is shipped here** ({log["size_bytes"] / 1e6:.2f} MB): a LoRA adapter in peft's format
  (`adapter_model.safetensors` in float16, `adapter_config.json`), two learned marker embeddings and a linear head
  (`head.safetensors`), the input/pooling config (`sentiment_config.json`). The adapter is {soup}. Inference merges
  the adapter into the base weights (no peft needed at run time).
- **Input**: `[CLS] left [T-open] mention [T-close] right [SEP]`; the markers are learned vectors; texts longer than
  {config.max_length} tokens are cropped to a window centred on the target. Pooling `{config.pooling}` ([CLS] and the
  mean over the marked span) into a linear softmax head. The encoder ran under bfloat16 autocast in training
  ({config.bf16}); inference runs in float32.
- **Data**: NewsMTSC (Hamborg & Donnay, EACL 2021), `train.jsonl` ({log["n_train"]} training targets,
  polarity 2/4/6 -> negative/neutral/positive), from `../shared/data/raw/newsmtsc/` (see its SOURCE.md; MIT licence).
  The rw and mt dev files are used only to select each run's epoch (best mean F1m). No test data was used.
{card_software()}

{card_command(command, log, "data loading, dev evaluation and saving")}

{card_hyper(args)}

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
