"""Train the stance adapter (MiniLM + LoRA + linear head) on distant labels, mapped GoEmotions and written examples.

Usage::

    python -m analysis.training.stance [--out data/models/stance] [--threads 1] [--soup 2] [...]

The defaults are the shipped model's settings (it was trained with `--threads 1`; see its MODEL_CARD.md).

The training set is built by `analysis.training.stance_data` (PolNeAR train cues, GoEmotions train, the written
examples in `data/stance/written_examples.tsv`); see that module and the model card for every mapping. The stance dev
set (`data/stance/dev_gold.tsv`, PolNeAR dev) is never trained on: it is scored after each epoch for the log only, and
the last epoch is kept. Seeded and deterministic on CPU; writes adapter, head, config and MODEL_CARD.md to `--out`.
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
from collections import Counter
from pathlib import Path
from typing import Any

from analysis.training.sentiment import (
    LORA_TARGETS,
    _length_batches,
    _lora_config,
    _seed_everything,
    _soup,
    _to_saved_names,
)

REPO_ROOT = Path(__file__).resolve().parents[2]


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = argparse.ArgumentParser(prog="python -m analysis.training.stance", description=__doc__.splitlines()[0])
    p.add_argument("--out", type=Path, default=REPO_ROOT / "data" / "models" / "stance")
    p.add_argument("--seed", type=int, default=13, help="seed of the initialisation and of the data sample")
    p.add_argument("--data-seed", type=int, default=None, help="seed of data order, masking and dropout")
    p.add_argument("--soup", type=int, default=2, help="average K runs with data seeds data-seed, data-seed+1, ...")
    p.add_argument("--threads", type=int, default=1, help="torch CPU threads (the shipped model: 1)")
    p.add_argument("--epochs", type=int, default=2)
    p.add_argument("--batch-size", type=int, default=32)
    p.add_argument("--lr", type=float, default=1e-3, help="learning rate of the LoRA weights")
    p.add_argument("--head-lr", type=float, default=1e-3, help="learning rate of the head")
    p.add_argument("--weight-decay", type=float, default=0.01)
    p.add_argument("--warmup", type=float, default=0.1, help="fraction of steps with linear warm-up")
    p.add_argument("--lora-r", type=int, default=8)
    p.add_argument("--lora-alpha", type=float, default=16)
    p.add_argument("--lora-dropout", type=float, default=0.1)
    p.add_argument("--lora-targets", choices=sorted(LORA_TARGETS), default="all")
    p.add_argument("--lora-layers", default="", help="comma-separated layer indices (default: all six)")
    p.add_argument("--max-length", type=int, default=96)
    p.add_argument("--input-format", choices=["parts", "text"], default="parts")
    p.add_argument("--pooling", default="cls+mean")
    p.add_argument("--head-dropout", type=float, default=0.1)
    p.add_argument("--mask-cue", type=float, default=0.5, help="share of PolNeAR/written examples with the cue hidden")
    p.add_argument("--neutral-cap", type=int, default=2500, help="PolNeAR neutral relations kept")
    p.add_argument("--lexicon-labels", default="concerned,outraged,supportive",
                   help="comma-separated labels taken from `polnear-lexicon` (empty: none)")
    p.add_argument("--lexicon-cap", type=int, default=1000, help="`polnear-lexicon` relations kept per label")
    p.add_argument("--neutral-vader", type=float, default=0.3,
                   help="keep a PolNeAR neutral relation only if VADER's |compound| of its content is < this (0: off)")
    p.add_argument("--goemotions-cap", type=int, default=600, help="GoEmotions comments kept per label")
    p.add_argument("--no-goemotions", action="store_true")
    p.add_argument("--written-repeat", type=int, default=4, help="times each written example is used per epoch")
    p.add_argument("--class-weights", choices=["none", "balanced", "sqrt"], default="sqrt")
    p.add_argument("--label-smoothing", type=float, default=0.0)
    p.add_argument("--no-bf16", action="store_true", help="train in float32 instead of bfloat16 autocast")
    p.add_argument("--no-card", action="store_true", help="do not write MODEL_CARD.md (experiments)")
    p.add_argument("--log", type=Path, default=None, help="also write the per-epoch log as JSON here")
    return p.parse_args(argv)


def build_training_set(args: argparse.Namespace) -> list[Any]:
    """Return the (seeded) training examples: PolNeAR distant labels, GoEmotions, written examples (repeated)."""
    from analysis.training.stance_data import goemotions_examples, polnear_examples, sample, written_examples

    rng = random.Random(args.seed)
    polnear = polnear_examples()
    if args.neutral_vader > 0:  # a neutral relation must also read as neutral to VADER (|compound| below the bound)
        from vaderSentiment.vaderSentiment import SentimentIntensityAnalyzer

        vader = SentimentIntensityAnalyzer()
        polnear = [
            ex for ex in polnear
            if ex.source != "polnear-neutral" or abs(vader.polarity_scores(ex.content)["compound"]) < args.neutral_vader
        ]
    examples = sample([ex for ex in polnear if ex.source != "polnear-lexicon"], {"neutral": args.neutral_cap}, rng)
    lexicon_labels = [lab for lab in args.lexicon_labels.split(",") if lab]
    if lexicon_labels:
        chosen = [ex for ex in polnear if ex.source == "polnear-lexicon" and ex.label in lexicon_labels]
        examples += sample(chosen, dict.fromkeys(lexicon_labels, args.lexicon_cap), rng)
    if not args.no_goemotions:
        caps = dict.fromkeys(("outraged", "supportive", "neutral", "concerned"), args.goemotions_cap)
        examples += sample(goemotions_examples(), caps, rng)
    examples += written_examples() * args.written_repeat
    return examples


def _epoch_inputs(examples: list[Any], p_mask: float, rng: random.Random) -> list[Any]:
    """StanceInputs for one epoch: the cue replaced by the mask token with probability p_mask."""
    from analysis.models.stance import StanceInput

    out = []
    for ex in examples:
        cue = "[MASK]" if ex.cue == "[MASK]" or rng.random() < p_mask else ex.cue
        out.append(StanceInput(ex.content, ex.speaker, cue, ex.content))
    return out


def _dev(tokenizer: Any, config: Any) -> tuple[list[Any], list[str], list[str]]:
    from analysis.evaluate.stance_gold import load_stance_gold
    from analysis.models.stance import StanceInput, encode_inputs

    gold = load_stance_gold()
    items = [StanceInput(r.text, r.speaker, r.cue, r.content) for r in gold.itertuples()]
    return encode_inputs(tokenizer, items, config), list(gold["label"]), list(gold["subset"])


def _dev_scores(net: Any, dev: tuple[list[Any], list[str], list[str]], labels: tuple[str, ...]) -> dict[str, Any]:
    from analysis.evaluate.sentiment import metrics
    from analysis.models.heads import predict_probabilities

    encoded, gold, subsets = dev
    probs = predict_probabilities(net, encoded, 128)
    pred = [labels[max(range(len(labels)), key=row.__getitem__)] for row in probs]
    rand = [i for i, s in enumerate(subsets) if s == "random"]
    return {
        "all": metrics(gold, pred, labels),
        "random": metrics([gold[i] for i in rand], [pred[i] for i in rand], labels),
    }


def _train_run(args: argparse.Namespace, examples: list[Any], config: Any, tokenizer: Any, dev: Any,
               data_seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train one run from the shared initialisation; return its last state (peft key names) and its log."""
    import torch
    from peft import get_peft_model

    from analysis.labels import STANCE_LABELS as LABELS
    from analysis.models.encoder import load_base_encoder
    from analysis.models.heads import collate
    from analysis.models.stance import encode_inputs, stance_net

    _seed_everything(args.seed)
    encoder = load_base_encoder()
    peft_encoder = get_peft_model(encoder, _lora_config(args, encoder.config.num_hidden_layers))
    net = stance_net(peft_encoder, config)
    net.train()
    torch.manual_seed(data_seed)
    rng = random.Random(data_seed)

    trainable = {n: p for n, p in net.named_parameters() if p.requires_grad}
    lora_params = [p for n, p in trainable.items() if "lora_" in n]
    head_params = [p for n, p in trainable.items() if "lora_" not in n]
    optimizer = torch.optim.AdamW(
        [{"params": lora_params, "lr": args.lr}, {"params": head_params, "lr": args.head_lr}],
        weight_decay=args.weight_decay,
    )
    index = {lab: i for i, lab in enumerate(LABELS)}
    labels = torch.tensor([index[ex.label] for ex in examples])
    counts = torch.bincount(labels, minlength=len(LABELS)).float().clamp(min=1.0)
    weight = None
    if args.class_weights == "balanced":
        weight = counts.sum() / (len(LABELS) * counts)
    elif args.class_weights == "sqrt":
        weight = (counts.sum() / (len(LABELS) * counts)).sqrt()
    loss_fn = torch.nn.CrossEntropyLoss(weight=weight, label_smoothing=args.label_smoothing)

    total_steps = math.ceil(len(examples) / args.batch_size) * args.epochs
    warmup = max(1, int(total_steps * args.warmup))
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda s: min((s + 1) / warmup, max(0.0, (total_steps - s) / max(1, total_steps - warmup)))
    )
    log: dict[str, Any] = {"data_seed": data_seed, "n_layers": encoder.config.num_hidden_layers, "epochs": []}
    for epoch in range(1, args.epochs + 1):
        t_epoch, total_loss = time.perf_counter(), 0.0
        encoded = encode_inputs(tokenizer, _epoch_inputs(examples, args.mask_cue, rng), config)
        lengths = [len(e.input_ids) for e in encoded]
        for batch_idx in _length_batches(lengths, args.batch_size, rng):
            logits = net(collate([encoded[i] for i in batch_idx]))
            loss = loss_fn(logits.float(), labels[batch_idx])
            loss.backward()
            torch.nn.utils.clip_grad_norm_(list(trainable.values()), 1.0)
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad(set_to_none=True)
            total_loss += loss.item() * len(batch_idx)
        scores = _dev_scores(net, dev, LABELS)
        entry = _entry(epoch, scores, total_loss / len(encoded), time.perf_counter() - t_epoch)
        log["epochs"].append(entry)
        print(f"[seed {data_seed}] {_describe(entry)}", flush=True)
    state = {n: p.detach().clone() for n, p in trainable.items()}
    return _to_saved_names(state), log


def _entry(epoch: int, scores: dict[str, Any], loss: float, seconds: float) -> dict[str, Any]:
    return {
        "epoch": epoch,
        "loss": loss,
        "seconds": seconds,
        "f1m": scores["all"]["f1m"],
        "accuracy": scores["all"]["accuracy"],
        "random_f1m": scores["random"]["f1m"],
        "random_accuracy": scores["random"]["accuracy"],
        "per_class_f1": {k: v["f1"] for k, v in scores["all"]["per_class"].items()},
        "confusion": scores["all"]["confusion"],
    }


def _describe(e: dict[str, Any]) -> str:
    per = " ".join(f"{k[:4]} {v:.2f}" for k, v in e["per_class_f1"].items())
    return (
        f"epoch {e['epoch']}: loss {e['loss']:.4f}  dev F1m {e['f1m']:.4f} acc {e['accuracy']:.4f}  "
        f"random F1m {e['random_f1m']:.4f} acc {e['random_accuracy']:.4f}  [{per}]  ({e['seconds']:.0f} s)"
    )


def train(args: argparse.Namespace) -> dict[str, Any]:
    """Train `--soup` run(s), average them, save to `args.out`, evaluate what was saved; return the log."""
    import torch
    from safetensors.torch import save_file

    from analysis.models.encoder import base_model_sha256, load_tokenizer
    from analysis.models.stance import CONFIG_FILE, HEAD_FILE, StanceConfig, load_from_dir
    from analysis.training.stance_data import counts

    t_start = time.perf_counter()
    torch.set_num_threads(args.threads)
    examples = build_training_set(args)
    config = StanceConfig(
        base_model_sha256=base_model_sha256(),
        max_length=args.max_length,
        input_format=args.input_format,
        pooling=args.pooling,
        bf16=not args.no_bf16,
        extra={"head_dropout": args.head_dropout},
    )
    tokenizer = load_tokenizer()
    dev = _dev(tokenizer, config)
    print(f"{len(examples)} training examples: {json.dumps(counts(examples))}", flush=True)
    first_seed = args.seed if args.data_seed is None else args.data_seed
    runs, states = [], []
    for i in range(args.soup):
        state, run_log = _train_run(args, examples, config, tokenizer, dev, first_seed + i)
        states.append(state)
        runs.append(run_log)
    adapter, head = _soup(states)

    out: Path = args.out
    out.mkdir(parents=True, exist_ok=True)
    _lora_config(args, runs[0]["n_layers"], soup=args.soup).save_pretrained(str(out))
    save_file({k: v.to(torch.float16).contiguous() for k, v in adapter.items()}, str(out / "adapter_model.safetensors"))
    save_file({k: v.float().contiguous() for k, v in head.items()}, str(out / HEAD_FILE))
    (out / CONFIG_FILE).write_text(config.to_json(), encoding="utf-8")

    shipped = load_from_dir(out)  # evaluate exactly what ships: the saved files, loaded by the inference code
    final = _entry(0, _dev_scores(shipped.net, dev, config.labels), float("nan"), 0.0)
    log: dict[str, Any] = {
        "args": {k: str(v) for k, v in vars(args).items()},
        "n_train": len(examples),
        "train_counts": counts(examples),
        "label_counts": dict(Counter(ex.label for ex in examples)),
        "runs": runs,
        "final": final,
        "train_seconds": time.perf_counter() - t_start,
        "threads": args.threads,
        "size_bytes": sum(f.stat().st_size for f in out.iterdir() if f.is_file() and f.name != "MODEL_CARD.md"),
    }
    print(f"shipped model: {_describe(final)}; {log['size_bytes']} bytes in {out}; "
          f"wall time {log['train_seconds']:.0f} s on {args.threads} thread(s)", flush=True)
    if args.log:
        args.log.parent.mkdir(parents=True, exist_ok=True)
        args.log.write_text(json.dumps(log, indent=2), encoding="utf-8")
    if not args.no_card:
        (out / "MODEL_CARD.md").write_text(_model_card(args, config, log), encoding="utf-8")
    return log


def _weight_flags(argv: list[str]) -> list[str]:
    """The command-line flags that decide the weights: `--out`, `--log` and `--no-card` (and their values) dropped."""
    out, skip = [], False
    for arg in argv:
        if skip:
            skip = False
        elif arg in ("--out", "--log"):
            skip = True
        elif not arg.startswith(("--out=", "--log=")) and arg != "--no-card":
            out.append(arg)
    return out


def _model_card(args: argparse.Namespace, config: Any, log: dict[str, Any]) -> str:
    import peft
    import torch
    import transformers

    from analysis.labels import STANCE_LABELS as LABELS
    from analysis.models.encoder import BASE_MODEL_NAME, BASE_MODEL_PACKAGE
    from analysis.training.stance_data import CUE_LEMMAS, GOEMOTIONS_MAP, NEUTRAL_CUES

    final = log["final"]
    command = "python -m analysis.training.stance " + " ".join(_weight_flags(sys.argv[1:]))
    tables = []
    for run in log["runs"]:
        rows = "\n".join(
            f"| {e['epoch']} | {e['loss']:.4f} | {e['f1m']:.4f} | {e['accuracy']:.4f} | {e['random_f1m']:.4f} | "
            f"{e['random_accuracy']:.4f} | {e['seconds']:.0f} |"
            for e in run["epochs"]
        )
        tables.append(
            f"Run with data seed {run['data_seed']} (the last epoch is kept):\n\n"
            "| epoch | train loss | dev F1m | dev acc | random-part F1m | random-part acc | seconds |\n"
            f"|---|---|---|---|---|---|---|\n{rows}\n"
        )
    per_class = "\n".join(f"| {lab} | {final['per_class_f1'][lab]:.4f} |" for lab in LABELS)
    hyper = "\n".join(f"| `{k}` | `{v}` |" for k, v in sorted(vars(args).items()) if k not in {"out", "log", "no_card"})
    cue_map = "\n".join(f"| {lab} | {', '.join(lemmas)} |" for lab, lemmas in CUE_LEMMAS.items())
    go_map = ", ".join(f"{k} -> {v}" for k, v in GOEMOTIONS_MAP.items())
    counts_md = "\n".join(
        f"| {src} | " + " | ".join(str(c.get(lab, 0)) for lab in LABELS) + " |"
        for src, c in log["train_counts"].items()
    )
    vader_md = (
        f" and whose content VADER (vaderSentiment) also reads as neutral (|compound| < {args.neutral_vader})"
        if args.neutral_vader > 0
        else ""
    )
    soup = (
        f"a weight average (\"model soup\") of {args.soup} runs that share the initialisation and differ in data "
        f"order, cue masking and dropout; their LoRA deltas are concatenated into one adapter of rank "
        f"{args.soup * args.lora_r}"
        if args.soup > 1
        else "a single run"
    )
    return f"""# Stance model card: statement stance (six-label CAMEO-based codebook)

One label per statement, with probabilities: {", ".join(LABELS)} (definitions in the shared
`docs/stance-codebook.md`).

- **Base model**: `{BASE_MODEL_NAME}` from the PyPI package `{BASE_MODEL_PACKAGE}`,
  `model.safetensors` sha256 `{config.base_model_sha256}` (checked at load time; a mismatch raises
  `ModelMismatchError`).
- **What is shipped here** ({log["size_bytes"] / 1e6:.2f} MB): a LoRA adapter in peft's format
  (`adapter_model.safetensors` in float16, `adapter_config.json`), a linear head (`head.safetensors`) and the
  input/pooling config (`stance_config.json`). The adapter is {soup}. Inference merges the adapter into the base
  weights (no peft at run time); `analysis/stance.py` loads it.
- **Input**: `[CLS] speaker [SEP] cue [SEP] content [SEP]` (at most {config.max_length} tokens; speaker 16 and cue 8
  tokens at most; the sentence stands for the content when no content is given). Pooling `{config.pooling}` into a
  linear softmax head; the encoder runs under bfloat16 autocast ({config.bf16}).
- **Date**: {dt.date.today().isoformat()}
- **Software**: Python {platform.python_version()}, torch {torch.__version__}, transformers {transformers.__version__},
  peft {peft.__version__}.

## Training data (no public corpus carries these labels; all labels below are distant or written)

Built by `analysis/training/stance_data.py`; {log["n_train"]} examples per epoch:

| source | {" | ".join(LABELS)} |
|---|{"---|" * len(LABELS)}
{counts_md}

1. **PolNeAR train** (Newell, Margolin & Ruths, LREC 2018; `../shared/data/raw/polnear/train/`, see its SOURCE.md;
   one annotator file per article). Distant labels from the attribution **cue**: a relation whose cue holds an
   inflected form of one of these words gets the label (negated cues and "pleaded guilty" are skipped; "filed" with
   complaint/suit/lawsuit is protesting; the bare forms back, pan, march, fear, rail, lash, beg(s) are ambiguous
   and do not count, their other inflections do):

   | label | cue words (base forms) |
   |---|---|
{cue_map}

   `polnear-neutral`: a relation whose cue is a plain reporting cue ({len(NEUTRAL_CUES)} forms: said, told,
   according to, wrote, noted, reported, ...) and whose content the lexicon (`analysis/lexicon.py`) finds no stance
   in{vader_md}; a seeded sample of {args.neutral_cap} is kept. `polnear-lexicon`: a relation with any other cue
   (a reporting cue or one outside both lists) whose content the lexicon does give a stance keeps the lexicon's
   label; used for {args.lexicon_labels or "no label"} (at most {args.lexicon_cap} per label, seeded sample; the
   lexicon's protesting and threatening are too imprecise to use). All other relations are left out. In training
   the cue is
   replaced by the mask token in a share of {args.mask_cue} of the examples (drawn anew each epoch), so that the
   model learns the stance from the content and speaker, not only from the cue word.
2. **GoEmotions train** (Demszky et al., ACL 2020; `../shared/data/raw/goemotions/train.tsv`, Apache-2.0 per the
   dataset card). A Reddit comment is used when all its emotions map to one label: {go_map}; other emotions are
   left out. At most {args.goemotions_cap} comments per label (seeded sample). Speaker empty, cue masked.
3. **Written examples**: `data/stance/written_examples.tsv`, {sum(1 for _ in open(REPO_ROOT / "data" / "stance" /
   "written_examples.tsv", encoding="utf-8") if _.strip() and not _.startswith("#"))} news-style statements written for
   this project (own sentences, no copied text), mostly protesting and threatening (summoned ambassadors, lodged
   protests, lawsuits, marches; countermeasures, "appropriate response", sanctions, veto threats). Each is used
   {args.written_repeat} times per epoch.

The stance dev set (`data/stance/dev_gold.tsv`, hand labels on PolNeAR dev) is **not** trained on; it is scored after
each epoch for this log, and it guided the choice of the hyper-parameters below among a handful of runs (see
"Dev figures"). No test data exists here.

## Training command

```
{command}
```

(`--out` defaults to `data/models/stance`; the output and log folders do not change the weights.)

Wall time: {log["train_seconds"]:.0f} s ({log["train_seconds"] / 60:.1f} min) with
`torch.set_num_threads({log["threads"]})` on {platform.processor() or platform.machine()} ({os.cpu_count()} visible
cores), data building, dev scoring and saving included.

## Hyper-parameters

| name | value |
|---|---|
{hyper}

## Dev figures

On `data/stance/dev_gold.tsv` (437 relations; the `random` part, 180 relations, is the unbiased sample; see
`data/stance/LABELLING.md`), the shipped files loaded by `analysis.models.stance`: macro-F1 **{final["f1m"]:.4f}**
(accuracy {final["accuracy"]:.4f}); random part macro-F1 {final["random_f1m"]:.4f} (accuracy
{final["random_accuracy"]:.4f}; protesting and threatening have 3 examples each there). The dev set chose among a few
configurations, so these figures are optimistic.

| label | F1 |
|---|---|
{per_class}

{"".join(tables)}
Evaluate with the two peers (lexicon, zero-shot MiniLM similarity):
`python -m analysis.evaluate stance --gold data/stance/dev_gold.tsv`.

## Limits

Distant labels are noisy (a cue word is not always the speaker's stance; neutral reporting cues hide many campaign
attacks). GoEmotions is Reddit, not news. The written examples are few and come from one writer. The dev set is US
campaign news of 2016 labelled by one annotator; diplomatic statements (summoned ambassadors, countermeasures) are
rare in it.
"""


def main(argv: list[str] | None = None) -> int:
    """Command-line entry point."""
    train(_parse_args(argv))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
