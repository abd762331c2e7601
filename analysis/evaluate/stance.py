"""Evaluate statement stance on the hand-labelled dev set: our model, the lexicon and zero-shot MiniLM similarity.

Usage::

    python -m analysis.evaluate stance --gold data/stance/dev_gold.tsv [--json] [--subset random]
    python -m analysis.evaluate stance --labels data/stance/codebook_labels.tsv --split dev

`--labels` scores the codebook-labelled set (`data/stance/codebook_labels.tsv`, `none` rows dropped) instead of the
older targeted dev set; for ours it also prints the top-label expected calibration error (15 bins) of the model's
probabilities with temperature 1 (before) and with the shipped temperature (after).

Prints macro-F1, accuracy, per-label precision/recall/F1 and the confusion matrix of each method on the same rows:

- **ours**: `analysis.models.stance` (MiniLM + LoRA, input `speaker [SEP] cue [SEP] content`);
- **lexicon**: `analysis.rules.lexicon.lexicon_stance` on the content, with the cue's lemma (spaCy, as the
  pipeline finds it) and the quoted words of the content, as in the statements table;
- **zero-shot**: cosine similarity of the MiniLM mean-pooled, normalised embedding of the passage to an embedding of
  each label's description from the codebook (`LABEL_DESCRIPTIONS`); the most similar label wins.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
import time
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from analysis.evaluate.sentiment import metrics
from analysis.labels import STANCE_LABELS as LABELS

#: each label's description, from the codebook's "the actor..." column and typical cues (docs/stance-codebook.md)
LABEL_DESCRIPTIONS: dict[str, str] = {
    "concerned": "voices worry, alarm or fear of consequences; calls something troubling, destabilising, dangerous; "
    "appeals for calm or restraint. concerning, worried, alarmed, could destabilise, urged restraint, deeply troubled",
    "outraged": "condemns, denounces, accuses, insults; calls something unacceptable, outrageous, a provocation. "
    "condemned, denounced, slammed, unacceptable, outrageous, sparked outrage, accused",
    "protesting": "objects through a formal act or a public action: summons an ambassador, lodges an official protest "
    "or complaint, demonstrates, boycotts, walks out, files a complaint. summoned the ambassador, lodged a protest, "
    "protested against, filed a complaint, rallied against",
    "threatening": "warns of retaliation or countermeasures; threatens sanctions, force, cutting ties; announces a "
    "response in kind. will consider various measures, appropriate response, will retaliate, warned of consequences, "
    "could provide arms",
    "supportive": "approves, praises, endorses, defends, welcomes; signs or seeks agreements and partnerships; offers "
    "aid or cooperation. welcomed, praised, signed an agreement, seeking a strategic partnership, backs, defended",
    "neutral": "states facts, assessments, plans or predictions with no evaluative charge. said the talks begin "
    "Monday, officials believe X wants Y, according to the report",
}
_QUOTED = re.compile(r"[\"“„«]([^\"“”„«»]{2,}?)[\"”»]")


def _run_ours(gold: Any, batch_size: int) -> tuple[list[str], dict[str, float]]:
    from analysis.evaluate.calibration import ece
    from analysis.models.stance import StanceInput, load_stance_model

    t0 = time.perf_counter()
    model = load_stance_model()
    load_s = time.perf_counter() - t0
    items = [StanceInput(r.text, r.speaker, r.cue, r.content) for r in gold.itertuples()]
    t0 = time.perf_counter()
    scores = model.predict(items, batch_size=batch_size)
    pred = [s.stance for s in scores]
    elapsed = time.perf_counter() - t0
    index = {lab: i for i, lab in enumerate(model.config.labels)}
    gold_idx = [index[g] for g in gold["label"]]
    raw = model.probabilities(items, batch_size=batch_size, calibrated=False)
    after = [[s.scores[lab] for lab in model.config.labels] for s in scores]
    return pred, {"load_s": load_s, "seconds": elapsed, "temperature": model.config.temperature,
                  "ece_before": ece(raw, gold_idx), "ece_after": ece(after, gold_idx)}


def _run_pipeline(gold: Any, batch_size: int) -> tuple[list[str], dict[str, float]]:
    """What the pipeline decides: the model, with the lexicon where the model is unsure (`analysis.stages.stance`)."""
    from analysis.models.stance import StanceInput, load_stance_model
    from analysis.stages.stance import combine

    model = load_stance_model()
    t0 = time.perf_counter()
    scores = model.predict([StanceInput(r.text, r.speaker, r.cue, r.content) for r in gold.itertuples()],
                           batch_size=batch_size)
    lexicon = lexicon_predictions(gold)
    pred = [combine(s.stance, s.scores, lex)[0] for s, lex in zip(scores, lexicon, strict=True)]
    return pred, {"load_s": 0.0, "seconds": time.perf_counter() - t0}


def cue_lemma(passage: str, cue: str) -> str:
    """The cue's lemma as the pipeline finds it (first content verb, "according to", else the lemmas joined)."""
    from analysis.models.nlp import load_spacy
    from analysis.stages.statements import _lemma

    start = passage.find(cue)
    if start < 0:
        return _lemma(load_spacy()(cue), 0, len(cue))
    return _lemma(load_spacy()(passage), start, start + len(cue))


def lexicon_predictions(gold: Any) -> list[str]:
    """The lexicon's label for each gold row (content, cue lemma, quoted words of the content)."""
    from analysis.rules.lexicon import lexicon_stance

    pred = []
    for r in gold.itertuples():
        content = r.content if isinstance(r.content, str) and r.content else r.text
        cue = cue_lemma(r.text, r.cue) if isinstance(r.cue, str) and r.cue else None
        quoted = _QUOTED.findall(content)
        pred.append(lexicon_stance(content, cue=cue, quoted=quoted).label)
    return pred


def _run_lexicon(gold: Any) -> tuple[list[str], dict[str, float]]:
    t0 = time.perf_counter()
    pred = lexicon_predictions(gold)
    return pred, {"load_s": 0.0, "seconds": time.perf_counter() - t0}


def embed(texts: Sequence[str], batch_size: int = 64) -> Any:
    """MiniLM sentence embeddings: mean-pooled last hidden states, L2-normalised (as sentence-transformers does)."""
    import torch

    from analysis.models.encoder import load_base_encoder, load_tokenizer

    tokenizer, encoder = load_tokenizer(), load_base_encoder()
    rows = []
    with torch.inference_mode():
        for b in range(0, len(texts), batch_size):
            batch = tokenizer(list(texts[b : b + batch_size]), padding=True, truncation=True, max_length=256,
                              return_tensors="pt")
            hidden = encoder(**batch).last_hidden_state
            mask = batch["attention_mask"].unsqueeze(-1).float()
            rows.append(torch.nn.functional.normalize((hidden * mask).sum(1) / mask.sum(1).clamp(min=1.0), dim=-1))
    return torch.cat(rows) if rows else torch.zeros((0, encoder.config.hidden_size))


def zero_shot_predictions(texts: Sequence[str]) -> list[str]:
    """The label whose codebook description is most similar (cosine) to each text's MiniLM embedding."""
    labels = list(LABEL_DESCRIPTIONS)
    vectors = embed([LABEL_DESCRIPTIONS[k] for k in labels] + list(texts))  # one encoder load for both
    sims = vectors[len(labels) :] @ vectors[: len(labels)].T
    return [labels[i] for i in sims.argmax(1).tolist()]


def _run_zero_shot(gold: Any) -> tuple[list[str], dict[str, float]]:
    t0 = time.perf_counter()
    pred = zero_shot_predictions(list(gold["text"]))
    return pred, {"load_s": 0.0, "seconds": time.perf_counter() - t0}


def _print_report(name: str, r: dict[str, Any], out: Any) -> None:
    print(f"\n== {name}", file=out)
    print(f"macro-F1 {r['f1m']:.4f}   accuracy {r['accuracy']:.4f}   n {r['n']}   ({r['seconds']:.1f} s)", file=out)
    print(f"{'label':<12}{'precision':>10}{'recall':>10}{'f1':>10}{'support':>10}", file=out)
    for lab, c in r["per_class"].items():
        print(f"{lab:<12}{c['precision']:>10.4f}{c['recall']:>10.4f}{c['f1']:>10.4f}{c['support']:>10d}", file=out)
    print("confusion (rows gold, columns predicted):", file=out)
    print(f"{'':<12}" + "".join(f"{lab[:10]:>11}" for lab in LABELS), file=out)
    for lab, row in zip(LABELS, r["confusion"], strict=True):
        print(f"{lab:<12}" + "".join(f"{v:>11d}" for v in row), file=out)


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation; returns the process exit status."""
    from analysis.evaluate.stance_gold import DEFAULT_GOLD_PATH, load_stance_gold

    parser = argparse.ArgumentParser(
        prog="python -m analysis.evaluate stance",
        description="Statement stance on the hand-labelled dev set: ours vs the lexicon vs zero-shot MiniLM.",
    )
    parser.add_argument("--gold", type=Path, default=DEFAULT_GOLD_PATH, help="gold TSV (data/stance/dev_gold.tsv)")
    parser.add_argument("--polnear-dir", type=Path, default=None, help="PolNeAR dev folder (text/, attributions/)")
    parser.add_argument("--subset", choices=["all", "random", "targeted"], default="all", help="rows to score")
    parser.add_argument("--labels", type=Path, default=None,
                        help="score the codebook-labelled set (data/stance/codebook_labels.tsv) instead of --gold")
    parser.add_argument("--split", choices=["dev", "train"], default="dev", help="with --labels: the split scored")
    parser.add_argument("--batch-size", type=int, default=64)
    parser.add_argument("--threads", type=int, default=None, help="torch threads (default: torch's default)")
    parser.add_argument("--no-peers", action="store_true", help="score our model only")
    parser.add_argument("--json", action="store_true", help="print one JSON object instead of the tables")
    args = parser.parse_args(argv)

    if args.threads:
        import torch

        torch.set_num_threads(args.threads)
    if args.labels:
        from analysis.evaluate.stance_labels import load_stance_labels

        gold = load_stance_labels(args.labels, split=args.split).reset_index(drop=True)
        gold = gold.astype(object).where(gold.notna(), None)  # missing parts are None, not NaN
        gold["subset"] = args.split
        args.gold, args.subset = args.labels, "all"
    else:
        gold = load_stance_gold(args.gold, args.polnear_dir)
    if args.subset != "all":
        gold = gold[gold["subset"] == args.subset].reset_index(drop=True)
    runners = {"ours": lambda: _run_ours(gold, args.batch_size),
               "pipeline": lambda: _run_pipeline(gold, args.batch_size)}
    if not args.no_peers:
        runners.update(lexicon=lambda: _run_lexicon(gold), zero_shot=lambda: _run_zero_shot(gold))
    report: dict[str, Any] = {"gold": str(args.gold), "subset": args.subset, "n": len(gold)}
    subsets = list(gold["subset"])
    for name, run in runners.items():
        pred, timing = run()
        result = metrics(list(gold["label"]), pred, LABELS)
        rand = [i for i, s in enumerate(subsets) if s == "random"]
        if args.subset == "all" and rand:
            result["random_part"] = {
                k: v
                for k, v in metrics([gold["label"][i] for i in rand], [pred[i] for i in rand], LABELS).items()
                if k in ("f1m", "accuracy", "n")
            }
        result.update(timing)
        report[name] = result
    if args.json:
        print(json.dumps(report, indent=2))
        return 0
    titles = {
        "ours": "ours (MiniLM + LoRA, speaker [SEP] cue [SEP] content)",
        "pipeline": "pipeline (ours, with the lexicon where ours is below 0.7 and the lexicon finds a stance)",
        "lexicon": "lexicon (analysis/lexicon.py: cue lemma + content phrases)",
        "zero_shot": "zero-shot (MiniLM mean-pooled similarity to codebook label descriptions)",
    }
    where = f"split {args.split}" if args.labels else f"subset {args.subset}"
    print(f"Stance evaluation: {args.gold} ({len(gold)} statements, {where})")
    for name in runners:
        _print_report(titles[name], report[name], sys.stdout)
        if "ece_before" in report[name]:
            r = report[name]
            print(f"ECE (top label, 15 bins): {r['ece_before']:.4f} with temperature 1, {r['ece_after']:.4f} with the "
                  f"shipped temperature {r['temperature']}")
        if "random_part" in report[name]:
            rp = report[name]["random_part"]
            print(f"random part only: macro-F1 {rp['f1m']:.4f}  accuracy {rp['accuracy']:.4f}  n {rp['n']}")
    return 0
