"""Train the stance model on the codebook-labelled set (`python -m analysis.training.stance --labels ...`).

The train split of `data/stance/codebook_labels.tsv` (`none` rows dropped) is the training data; a seeded,
label-stratified share (`--holdout`, 10%) is held apart. After each epoch the run is scored on the held-apart part and
the best epoch is kept; the temperature of the shipped model is fitted on the held-apart part too. The dev split is
never trained or tuned on: it is scored once, on the saved files, for the model card. `--distant` adds the distant
sources of `analysis.training.stance_data` to the training data.
"""

from __future__ import annotations

import argparse
import dataclasses
import datetime as dt
import random
import sys
import time
from collections import Counter
from typing import Any

from analysis.labels import STANCE_LABELS
from analysis.settings import ROOT
from analysis.training import common

#: every `--labels` run's held-apart figures, one line each (shown in the model card)
HISTORY = ROOT / "data" / "stance" / "training_history.tsv"
HISTORY_COLUMNS = ("date", "flags", "held-apart F1m per epoch", "kept", "held-apart F1m (shipped)", "temperature",
                   "seconds")

OUT_NOTE = "\n(`--out` defaults to `data/models/stance`; the output and log folders do not change the weights.)\n"



def _epoch_inputs(examples: list[Any], p_mask: float, rng: random.Random) -> list[Any]:
    """StanceInputs for one epoch: the cue replaced by the mask token with probability p_mask."""
    from analysis.models.stance import StanceInput

    out = []
    for ex in examples:
        cue = "[MASK]" if ex.cue == "[MASK]" or (ex.cue and rng.random() < p_mask) else ex.cue
        out.append(StanceInput(ex.text or ex.content, ex.speaker, cue, ex.content))
    return out


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


def _inputs(examples: list[Any]) -> list[Any]:
    from analysis.models.stance import StanceInput

    return [StanceInput(ex.text or ex.content, ex.speaker or None, ex.cue or None, ex.content or None)
            for ex in examples]


def _logits(net: Any, encoded: list[Any]) -> list[list[float]]:
    from analysis.models.heads import logit_rows, predict_rows

    return predict_rows(net, encoded, 128, logit_rows)


def _figures(logits: list[list[float]], gold: list[str], temperature: float) -> dict[str, Any]:
    from analysis.evaluate.calibration import ece, softmax
    from analysis.evaluate.sentiment import metrics

    index = {lab: i for i, lab in enumerate(STANCE_LABELS)}
    gold_idx = [index[g] for g in gold]
    pred = [STANCE_LABELS[max(range(len(row)), key=row.__getitem__)] for row in logits]
    out = metrics(gold, pred, STANCE_LABELS)
    out["ece_before"] = ece([softmax(r) for r in logits], gold_idx)
    out["ece_after"] = ece([softmax(r, temperature) for r in logits], gold_idx)
    out["temperature"] = temperature
    return out


def start_run(args: argparse.Namespace, examples: list[Any], config: Any, data_seed: int) -> tuple[Any, Any, Any,
                                                                                                  dict[str, Any]]:
    """What every stance training run starts from: the LoRA net, the label tensor, the trainer and an empty log."""
    import torch

    from analysis.models.stance import StanceModel

    net, encoder = common.lora_net(args, StanceModel.build_net, config)
    index = {lab: i for i, lab in enumerate(STANCE_LABELS)}
    labels = torch.tensor([index[ex.label] for ex in examples])
    run = common.trainer(args, net, labels, len(STANCE_LABELS), data_seed, count_floor=1.0)
    log: dict[str, Any] = {"data_seed": data_seed, "n_layers": encoder.config.num_hidden_layers, "epochs": []}
    return net, labels, run, log


def _run(args: argparse.Namespace, examples: list[Any], config: Any, tokenizer: Any, held: tuple[list, list[str]],
         data_seed: int) -> tuple[dict[str, Any], dict[str, Any]]:
    """Train one run; keep the epoch with the best held-apart macro-F1."""
    from analysis.evaluate.sentiment import metrics
    from analysis.models.stance import encode_inputs

    net, labels, run, log = start_run(args, examples, config, data_seed)
    best, best_state = -1.0, None
    for epoch in range(1, args.epochs + 1):
        t_epoch = time.perf_counter()
        encoded = encode_inputs(tokenizer, _epoch_inputs(examples, args.mask_cue, run.rng), config)
        loss = run.epoch(encoded, labels)
        logits = _logits(net, held[0])
        pred = [STANCE_LABELS[max(range(len(r)), key=r.__getitem__)] for r in logits]
        m = metrics(held[1], pred, STANCE_LABELS)
        entry = {"epoch": epoch, "loss": loss, "seconds": time.perf_counter() - t_epoch, "held_f1m": m["f1m"],
                 "held_accuracy": m["accuracy"], "per_class_f1": {k: v["f1"] for k, v in m["per_class"].items()}}
        log["epochs"].append(entry)
        per = " ".join(f"{k[:4]} {v:.2f}" for k, v in entry["per_class_f1"].items())
        print(f"[seed {data_seed}] epoch {epoch}: loss {loss:.4f}  held-apart F1m {m['f1m']:.4f} "
              f"acc {m['accuracy']:.4f}  [{per}]  ({entry['seconds']:.0f} s)", flush=True)
        if m["f1m"] > best:
            best, best_state, log["kept"] = m["f1m"], common.saved_state(run.trainable), epoch
        if run.done:
            break
    return best_state, log


def train_codebook(args: argparse.Namespace, build_distant: Any = None) -> dict[str, Any]:
    """Train on the codebook labels (see the module doc), calibrate, save to `args.out`; return the log."""
    from analysis.evaluate.calibration import fit_temperature
    from analysis.evaluate.stance_labels import load_stance_labels
    from analysis.models.encoder import base_model_sha256, load_tokenizer
    from analysis.models.stance import StanceConfig, StanceModel, encode_inputs
    from analysis.training.stance_data import codebook_examples, counts, holdout_split

    t_start = common.start(args)
    kept, held_apart = holdout_split(codebook_examples(args.labels, "train"), args.holdout, args.holdout_seed)
    examples = list(kept)
    if args.distant:
        examples += build_distant(args)
    if getattr(args, "with_corrections", None):
        fixes = correction_examples(args.with_corrections)
        print(f"{len(fixes)} analysts' stance corrections added ({args.with_corrections})", flush=True)
        examples += fixes
    config = StanceConfig(
        base_model_sha256=base_model_sha256(), max_length=args.max_length, input_format=args.input_format,
        pooling=args.pooling, bf16=not args.no_bf16, extra={"head_dropout": args.head_dropout}, context=args.context,
    )
    tokenizer = load_tokenizer()
    held = (encode_inputs(tokenizer, _inputs(held_apart), config), [ex.label for ex in held_apart])
    print(f"{len(examples)} training examples, {len(held_apart)} held apart: {counts(examples)}", flush=True)
    adapter, head, runs = common.train_soup(
        args, lambda seed: _run(args, examples, config, tokenizer, held, seed))
    # fit the temperature on the held-apart part, with the saved files loaded as inference loads them
    common.save_model(args, runs[0]["n_layers"], adapter, head, config, StanceModel.config_file)
    index = {lab: i for i, lab in enumerate(STANCE_LABELS)}
    held_logits = _logits(StanceModel.from_dir(args.out).net, held[0])
    temperature = 1.0 if args.no_calibrate else fit_temperature(held_logits, [index[g] for g in held[1]])
    config = dataclasses.replace(config, temperature=temperature)
    print(f"temperature fitted on the held-apart part: {temperature}", flush=True)
    dev = load_stance_labels(args.labels, split="dev")
    dev_encoded = encode_inputs(tokenizer, _inputs(_dev_examples(dev)), config)

    def score(net: Any) -> dict[str, Any]:
        return {"held": _figures(_logits(net, held[0]), held[1], temperature),
                "dev": _figures(_logits(net, dev_encoded), list(dev["label"]), temperature),
                "dev_sources": dict(Counter(dev["source"]))}

    def summary(final: dict[str, Any]) -> str:
        d, h = final["dev"], final["held"]
        per = " ".join(f"{k[:4]} {v['f1']:.2f}" for k, v in d["per_class"].items())
        return (f"held-apart F1m {h['f1m']:.4f}; dev F1m {d['f1m']:.4f} acc {d['accuracy']:.4f} [{per}] "
                f"ECE {d['ece_before']:.4f} -> {d['ece_after']:.4f} (T {temperature})")

    log = common.ship(
        args, StanceModel, config, (adapter, head, runs), t_start=t_start, n_train=len(examples), score=score,
        summary=summary, card=lambda log: _card(args, config, log),
        n_held=len(held_apart), train_counts=counts(examples), label_counts=dict(Counter(ex.label for ex in examples)),
    )
    _append_history(args, log)
    if not args.no_card:  # re-render with this run in the history
        (args.out / "MODEL_CARD.md").write_text(_card(args, config, log), encoding="utf-8")
    return log


def correction_examples(source: str) -> list[Any]:
    """The team's stance corrections as training examples (source `correction`): read from a JSONL file written by
    `python -m analysis corrections export --jsonl`, or, when `source` is "store", from the configured store.

    Raises:
        InputFileNotFoundError: no such file. InvalidInputLineError: a line is not a correction record.
    """
    from analysis.training.stance_data import Example

    if source == "store":
        from analysis.dashboard.corrections import team_stance_records
        from analysis.settings import load_settings
        from analysis.store import Store

        records = team_stance_records(Store.from_settings(load_settings()))
    else:
        from analysis.cli import read_jsonl

        records = read_jsonl(source, {"id": str, "label": str, "speaker": str, "cue": str, "content": str,
                                      "text": str})
    out = []
    for rec in records:
        if rec["label"] not in STANCE_LABELS:
            from analysis.errors import InvalidInputLineError

            raise InvalidInputLineError(f"correction {rec['id']}: {rec['label']!r} is not a stance")
        out.append(Example(rec["label"], rec["speaker"], rec["cue"], rec["content"], "correction", rec["id"],
                           rec["text"]))
    return out


def _dev_examples(dev: Any) -> list[Any]:
    from analysis.training.stance_data import Example

    return [Example(r.label, r.speaker or "", r.cue or "", r.content or "", r.source, r.id, r.text)
            for r in dev.itertuples()]


def _append_history(args: argparse.Namespace, log: dict[str, Any]) -> None:
    if not args.history:
        return
    runs = "; ".join(" ".join(f"{e['held_f1m']:.4f}" for e in run["epochs"]) for run in log["runs"])
    kept = ",".join(str(run.get("kept")) for run in log["runs"])
    row = [dt.date.today().isoformat(), " ".join(_weight_flags(sys.argv[1:])) or "(defaults)", runs, kept,
           f"{log['final']['held']['f1m']:.4f}", str(log["final"]["held"]["temperature"]),
           f"{log['train_seconds']:.0f}"]
    new = not args.history.is_file()
    with open(args.history, "a", encoding="utf-8") as fh:
        if new:
            fh.write("\t".join(HISTORY_COLUMNS) + "\n")
        fh.write("\t".join(row) + "\n")


def _history_md(args: argparse.Namespace) -> str:
    if not args.history or not args.history.is_file():
        return "(no history file)"
    lines = [ln.split("\t") for ln in args.history.read_text(encoding="utf-8").splitlines() if ln.strip()]
    head, rows = lines[0], lines[1:]
    return "\n".join([f"| {' | '.join(head)} |", "|" + "---|" * len(head),
                      *(f"| {' | '.join(c.replace('|', '/') for c in r)} |" for r in rows)])


def _card(args: argparse.Namespace, config: Any, log: dict[str, Any]) -> str:
    final, dev, held = log["final"], log["final"]["dev"], log["final"]["held"]
    command = "python -m analysis.training.stance " + " ".join(_weight_flags(sys.argv[1:]))
    counts_md = "\n".join(f"| {src} | " + " | ".join(str(c.get(lab, 0)) for lab in STANCE_LABELS) + " |"
                          for src, c in log["train_counts"].items())
    per_class = "\n".join(
        f"| {lab} | {c['precision']:.4f} | {c['recall']:.4f} | {c['f1']:.4f} | {c['support']} |"
        for lab, c in dev["per_class"].items())
    confusion = "\n".join(f"| {lab} | " + " | ".join(str(v) for v in row) + " |"
                          for lab, row in zip(STANCE_LABELS, dev["confusion"], strict=True))
    runs = "\n".join(
        f"- data seed {run['data_seed']}: held-apart F1m per epoch "
        + ", ".join(f"{e['held_f1m']:.4f}" for e in run["epochs"]) + f"; epoch {run.get('kept')} kept"
        for run in log["runs"])
    soup = common.card_soup(args, "data order, cue masking and dropout")
    context = ("the passage around the statement follows as a 4th segment, `... content [SEP] passage [SEP]`, "
               "when it differs from the content" if config.context == "passage" else "no passage segment")
    distant = ("PolNeAR cue-word and lexicon labels, mapped GoEmotions and the written examples, built as in "
               "`analysis/training/stance_data.py` (see the flags), are added" if args.distant else
               "the distant sources of the earlier model (PolNeAR cue words, lexicon labels, GoEmotions, written "
               "examples) are **not** used (`--distant` adds them; whether they help on the held-apart part is not yet "
               "measured)")
    goals = [
        f"dev macro-F1 ≥ 0.75: {'met' if dev['f1m'] >= 0.75 else 'not met'} ({dev['f1m']:.4f})",
        "every label's dev F1 ≥ 0.60: " + ("met" if min(c["f1"] for c in dev["per_class"].values()) >= 0.6
                                          else "not met (" + ", ".join(
                                              f"{k} {c['f1']:.2f}" for k, c in dev["per_class"].items()
                                              if c["f1"] < 0.6) + ")"),
        f"dev ECE ≤ 0.05: {'met' if dev['ece_after'] <= 0.05 else 'not met'} ({dev['ece_after']:.4f} after, "
        f"{dev['ece_before']:.4f} before temperature scaling)",
        f"one command on {args.threads} thread(s) under an hour: {log['train_seconds'] / 60:.1f} min",
    ]
    return f"""# Stance model card: statement stance (six-label CAMEO-based codebook)

One label per statement, with calibrated probabilities: {", ".join(STANCE_LABELS)} (definitions in the shared
`docs/stance-codebook.md`).

{common.card_base_model(config)}
- **What is shipped here** ({log["size_bytes"] / 1e6:.2f} MB): a LoRA adapter in peft's format
  (`adapter_model.safetensors` in float16, `adapter_config.json`), a linear head (`head.safetensors`) and the
  input/pooling config (`stance_config.json`, with the `temperature`). The adapter is {soup}. Inference merges the
  adapter into the base weights (no peft at run time); `analysis/models/stance.py` loads it.
- **Input**: `[CLS] speaker [SEP] cue [SEP] content [SEP]` (at most {config.max_length} tokens; speaker 16 and cue 8
  tokens at most; the sentence stands for the content when no content is given); {context}. Pooling
  `{config.pooling}` into a linear softmax head; the encoder runs under bfloat16 autocast ({config.bf16}).
- **Calibration**: the logits are divided by the temperature **{config.temperature}** before the softmax
  (temperature scaling fitted by negative log-likelihood on the held-apart part), so `stance_scores` are calibrated
  probabilities.
{common.card_software()}

## Training data

The **train** split of `data/stance/codebook_labels.tsv` (`data/stance/CODEBOOK_LABELS.md`: PolNeAR train relations,
NewsMTSC train sentences, GoodNewsEveryone headlines, each labelled by two passes and adjudication), `none` rows
dropped. A seeded (seed {args.holdout_seed}), label-stratified share of {args.holdout} of it ({log["n_held"]}
statements) is **held apart**: it chose the epoch of each run and the settings (history below) and fitted the
temperature; it is not trained on. The rest is trained on; {distant}. {log["n_train"]} examples per epoch:

| source | {" | ".join(STANCE_LABELS)} |
|---|{"---|" * len(STANCE_LABELS)}
{counts_md}

In training the cue is replaced by the mask token in a share of {args.mask_cue} of the statements that have one (drawn
anew each epoch). The **dev** split (400 statements, {final["dev_sources"]}; 382 without `none`) is never trained or
tuned on: it is scored once, on the saved files, for this card.

{common.card_command(command, log, "data loading, held-apart scoring, calibration, dev scoring and saving",
                     note=OUT_NOTE)}

{common.card_hyper(args)}

## Figures

Dev split of the codebook set ({dev["n"]} statements), the shipped files: macro-F1 **{dev["f1m"]:.4f}**, accuracy
{dev["accuracy"]:.4f}; top-label ECE (15 bins) **{dev["ece_before"]:.4f}** with temperature 1 and
**{dev["ece_after"]:.4f}** with the fitted temperature. Held-apart part: macro-F1 {held["f1m"]:.4f}, ECE
{held["ece_before"]:.4f} -> {held["ece_after"]:.4f}. Dev has only {dev["per_class"]["protesting"]["support"]}
protesting and {dev["per_class"]["threatening"]["support"]} threatening statements: their F1 moves by about 0.1 with
one statement.

| label | precision | recall | F1 | support |
|---|---|---|---|---|
{per_class}

Confusion on dev (rows gold, columns predicted: {", ".join(STANCE_LABELS)}):

| gold | {" | ".join(lab[:4] for lab in STANCE_LABELS)} |
|---|{"---|" * len(STANCE_LABELS)}
{confusion}

Goals: {"; ".join(goals)}.

Runs of this training:

{runs}

Peers and the pipeline combination: `python -m analysis.evaluate stance --labels data/stance/codebook_labels.tsv
--split dev`; the older targeted dev set: `python -m analysis.evaluate stance --gold data/stance/dev_gold.tsv`.

## History (every `--labels` run; held-apart macro-F1, never dev)

{_history_md(args)}

## Limits

The training statements are US political news (PolNeAR 2016 campaign, NewsMTSC) and headlines; diplomatic statements
(summoned ambassadors, countermeasures) are rarer than in the dashboard's intended use. The held-apart part is drawn
per statement, not per article, so relations of one article can sit on both sides. Labels are two passes of helper
sessions plus adjudication (kappa about 0.90), not expert annotation.
"""
