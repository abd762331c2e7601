"""Train the stance adapter (MiniLM + LoRA + linear head) on distant labels, mapped GoEmotions and written examples.

Usage::

    python -m analysis.training.stance [--out data/models/stance] [--threads 1] [--soup 2] [...]

With `--labels data/stance/codebook_labels.tsv` it trains on the codebook-labelled set instead (the shipped model; see
`analysis/training/stance_codebook.py` and data/models/stance/MODEL_CARD.md for its command); without it, on the
distant labels below (the earlier model).

The training set is built by `analysis.training.stance_data` (PolNeAR train cues, GoEmotions train, the written
examples in `data/stance/written_examples.tsv`); see that module and the model card for every mapping. The stance dev
set (`data/stance/dev_gold.tsv`, PolNeAR dev) is never trained on: it is scored after each epoch for the log only, and
the last epoch is kept. Seeded and deterministic on CPU; writes adapter, head, config and MODEL_CARD.md to `--out`.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from collections import Counter
from pathlib import Path
from typing import Any

from analysis.labels import STANCE_LABELS
from analysis.training import common
from analysis.training.stance_codebook import (
    HISTORY,
    OUT_NOTE,
    _epoch_inputs,
    _weight_flags,
    start_run,
    train_codebook,
)


def _parse_args(argv: list[str] | None) -> argparse.Namespace:
    p = common.argument_parser("stance", __doc__.splitlines()[0])
    p.add_argument("--input-format", choices=["parts", "text"], default="parts")
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
    p.add_argument("--labels", type=Path, default=None,
                   help="codebook label table (data/stance/codebook_labels.tsv): train on its train split (none rows "
                        "dropped) instead of the distant labels; a held-apart share chooses the epoch and the "
                        "temperature")
    p.add_argument("--holdout", type=float, default=0.1, help="with --labels: share of train held apart (stratified)")
    p.add_argument("--holdout-seed", type=int, default=20261201, help="with --labels: seed of the held-apart draw")
    p.add_argument("--distant", action="store_true",
                   help="with --labels: add the distant sources (PolNeAR cues and lexicon, GoEmotions, written)")
    p.add_argument("--context", choices=["none", "passage"], default="none",
                   help="passage: the passage around the statement follows the content as a 4th segment")
    p.add_argument("--no-calibrate", action="store_true", help="with --labels: keep temperature 1")
    p.add_argument("--with-corrections", nargs="?", const="store", default=None, metavar="JSONL",
                   help="add the team's stance corrections to the training data (codebook training; implies --labels "
                        "data/stance/codebook_labels.tsv when not given): from a file written by `python -m analysis "
                        "corrections export --jsonl`, or, with no file, from the store (DATABASE_URL or the SQLite "
                        "file)")
    p.add_argument("--history", type=Path, default=HISTORY,
                   help="with --labels: append this run's held-apart figures to this TSV (the card shows it)")
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
    from analysis.models.stance import encode_inputs

    net, labels, run, log = start_run(args, examples, config, data_seed)
    for epoch in range(1, args.epochs + 1):
        t_epoch = time.perf_counter()
        encoded = encode_inputs(tokenizer, _epoch_inputs(examples, args.mask_cue, run.rng), config)
        loss = run.epoch(encoded, labels)
        scores = _dev_scores(net, dev, STANCE_LABELS)
        entry = _entry(epoch, scores, loss, time.perf_counter() - t_epoch)
        log["epochs"].append(entry)
        print(f"[seed {data_seed}] {_describe(entry)}", flush=True)
        if run.done:
            break
    return common.saved_state(run.trainable), log


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
    """Build the training set, train `--soup` run(s), average them, save to `args.out`, evaluate what was saved;
    return the log."""
    from analysis.models.encoder import base_model_sha256, load_tokenizer
    from analysis.models.stance import StanceConfig, StanceModel
    from analysis.training.stance_data import counts

    t_start = common.start(args)
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
    trained = common.train_soup(args, lambda data_seed: _train_run(args, examples, config, tokenizer, dev, data_seed))
    return common.ship(
        args, StanceModel, config, trained, t_start=t_start, n_train=len(examples),
        score=lambda net: _entry(0, _dev_scores(net, dev, config.labels), float("nan"), 0.0), summary=_describe,
        card=lambda log: _model_card(args, config, log),
        train_counts=counts(examples), label_counts=dict(Counter(ex.label for ex in examples)),
    )


def _model_card(args: argparse.Namespace, config: Any, log: dict[str, Any]) -> str:
    from analysis.training.stance_data import CUE_LEMMAS, GOEMOTIONS_MAP, NEUTRAL_CUES, WRITTEN_EXAMPLES

    final = log["final"]
    command = "python -m analysis.training.stance " + " ".join(_weight_flags(sys.argv[1:]))
    columns = {"dev F1m": "f1m", "dev acc": "accuracy", "random-part F1m": "random_f1m",
               "random-part acc": "random_accuracy"}
    tables = common.card_run_tables(log, columns, lambda run: "the last epoch is kept")
    per_class = "\n".join(f"| {lab} | {final['per_class_f1'][lab]:.4f} |" for lab in STANCE_LABELS)
    cue_map = "\n".join(f"| {lab} | {', '.join(lemmas)} |" for lab, lemmas in CUE_LEMMAS.items())
    go_map = ", ".join(f"{k} -> {v}" for k, v in GOEMOTIONS_MAP.items())
    counts_md = "\n".join(
        f"| {src} | " + " | ".join(str(c.get(lab, 0)) for lab in STANCE_LABELS) + " |"
        for src, c in log["train_counts"].items()
    )
    vader_md = (
        f" and whose content VADER (vaderSentiment) also reads as neutral (|compound| < {args.neutral_vader})"
        if args.neutral_vader > 0
        else ""
    )
    soup = common.card_soup(args, "data order, cue masking and dropout")
    with open(WRITTEN_EXAMPLES, encoding="utf-8") as fh:
        n_written = sum(1 for line in fh if line.strip() and not line.startswith("#"))
    return f"""# Stance model card: statement stance (six-label CAMEO-based codebook)

One label per statement, with probabilities: {", ".join(STANCE_LABELS)} (definitions in the shared
`docs/stance-codebook.md`).

{common.card_base_model(config)}
- **What is shipped here** ({log["size_bytes"] / 1e6:.2f} MB): a LoRA adapter in peft's format
  (`adapter_model.safetensors` in float16, `adapter_config.json`), a linear head (`head.safetensors`) and the
  input/pooling config (`stance_config.json`). The adapter is {soup}. Inference merges the adapter into the base
  weights (no peft at run time); `analysis/stance.py` loads it.
- **Input**: `[CLS] speaker [SEP] cue [SEP] content [SEP]` (at most {config.max_length} tokens; speaker 16 and cue 8
  tokens at most; the sentence stands for the content when no content is given). Pooling `{config.pooling}` into a
  linear softmax head; the encoder runs under bfloat16 autocast ({config.bf16}).
{common.card_software()}

## Training data (no public corpus carries these labels; all labels below are distant or written)

Built by `analysis/training/stance_data.py`; {log["n_train"]} examples per epoch:

| source | {" | ".join(STANCE_LABELS)} |
|---|{"---|" * len(STANCE_LABELS)}
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
3. **Written examples**: `data/stance/written_examples.tsv`, {n_written} news-style statements written for
   this project (own sentences, no copied text), mostly protesting and threatening (summoned ambassadors, lodged
   protests, lawsuits, marches; countermeasures, "appropriate response", sanctions, veto threats). Each is used
   {args.written_repeat} times per epoch.

The stance dev set (`data/stance/dev_gold.tsv`, hand labels on PolNeAR dev) is **not** trained on; it is scored after
each epoch for this log, and it guided the choice of the hyper-parameters below among a handful of runs (see
"Dev figures"). No test data exists here.

{common.card_command(command, log, "data building, dev scoring and saving", note=OUT_NOTE)}

{common.card_hyper(args)}

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
    args = _parse_args(argv)
    if args.with_corrections and not args.labels:
        from analysis.evaluate.stance_labels import DEFAULT_LABELS_PATH

        args.labels = DEFAULT_LABELS_PATH
    if args.labels:
        train_codebook(args, build_training_set)
    else:
        train(args)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
