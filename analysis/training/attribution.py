"""Train the attribution tagger (LoRA on MiniLM's top layers + a BIO head) on PolNeAR train.

Usage::

    python -m analysis.training.attribution [--epochs 3] [--frozen-layers 3] [--threads 2] [--out DIR]

The bottom `--frozen-layers` encoder layers carry no adapter, so their outputs for every training window are
computed once and cached (fp16); each epoch then runs only the top layers (LoRA on query/key/value/dense) and the
linear head. Seeds are fixed; the result is deterministic on a given machine and thread count.
Data: `../shared/data/raw/polnear/{train,dev}` (or `$STANCE_ATLAS_SHARED/data/raw/polnear`), first sorted
annotator file per article.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import time
from datetime import date
from pathlib import Path
from typing import Any

from analysis.evaluate.polnear import PolnearArticle, read_polnear
from analysis.models.attribution import ADAPTER_DIR, LABELS, WINDOW_STEP, WINDOW_TOKENS, encode, token_labels, windows
from analysis.settings import shared_dir
from analysis.training.common import seed_everything

CLS_ID, SEP_ID, PAD_ID = 101, 102, 0


def polnear_dir() -> Path:
    """The PolNeAR folder under the shared data (`analysis.settings.shared_dir`)."""
    return shared_dir() / "data" / "raw" / "polnear"


def _trimmed(text: str, start: int, end: int) -> tuple[int, int] | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return (start, end) if end > start else None


def article_windows(article: PolnearArticle) -> list[tuple[list[int], list[int]]]:
    """(word-piece ids, label ids) per window of one article, from its gold relations."""
    ids, offsets = encode(article.text)
    frags: dict[str, list[tuple[int, int]]] = {"SOURCE": [], "CUE": [], "CONTENT": []}
    for rel in article.relations:
        for role, value in (("SOURCE", rel.source), ("CUE", rel.cue), ("CONTENT", rel.content)):
            for start, end in value or ():
                piece = _trimmed(article.text, start, end)
                if piece and piece not in frags[role]:
                    frags[role].append(piece)
    labels = token_labels(offsets, frags)
    return [(ids[s:e], labels[s:e]) for s, e in windows(len(ids))]


def _batches(items: list[Any], size: int) -> list[list[Any]]:
    return [items[i : i + size] for i in range(0, len(items), size)]


def _pad(examples: list[tuple[list[int], list[int]]]) -> tuple[Any, Any, Any]:
    import torch

    width = max(len(ids) for ids, _ in examples) + 2
    input_ids = torch.full((len(examples), width), PAD_ID, dtype=torch.long)
    labels = torch.full((len(examples), width), -100, dtype=torch.long)
    mask = torch.zeros((len(examples), width), dtype=torch.bool)
    for row, (ids, labs) in enumerate(examples):
        n = len(ids)
        input_ids[row, : n + 2] = torch.tensor([CLS_ID, *ids, SEP_ID])
        labels[row, 1 : n + 1] = torch.tensor(labs)
        mask[row, : n + 2] = True
    return input_ids, labels, mask


def _extended(mask: Any) -> Any:
    import torch

    return torch.where(mask[:, None, None, :], 0.0, torch.finfo(torch.float32).min)


def cache_lower(model: Any, examples: list[tuple[list[int], list[int]]], k: int, batch: int = 32) -> list[Any]:
    """Hidden states after the bottom `k` layers for each example window (fp16, sorted-length batches)."""
    import torch

    order = sorted(range(len(examples)), key=lambda i: len(examples[i][0]))
    cached: list[Any] = [None] * len(examples)
    with torch.inference_mode():
        for idx in _batches(order, batch):
            input_ids, _, mask = _pad([examples[i] for i in idx])
            hidden = model.embeddings(input_ids=input_ids)
            ext = _extended(mask)
            for layer in model.encoder.layer[:k]:
                hidden = layer(hidden, attention_mask=ext)
            for row, i in enumerate(idx):
                cached[i] = hidden[row, : len(examples[i][0]) + 2].to(torch.float16).clone()
    return cached


def _stack(cached: list[Any], examples: list[tuple[list[int], list[int]]], idx: list[int]) -> tuple[Any, Any, Any]:
    import torch

    _, labels, mask = _pad([examples[i] for i in idx])
    hidden = torch.zeros((len(idx), mask.shape[1], cached[idx[0]].shape[-1]), dtype=torch.float32)
    for row, i in enumerate(idx):
        hidden[row, : cached[i].shape[0]] = cached[i].float()
    return hidden, labels, mask


def _upper(layers: Any, head: Any, hidden: Any, mask: Any, dropout: Any) -> Any:
    ext = _extended(mask)
    for layer in layers:
        hidden = layer(hidden, attention_mask=ext)
    return head(dropout(hidden))


def token_scores(
    layers: Any, head: Any, cached: list[Any], examples: list[tuple[list[int], list[int]]]
) -> dict[str, float]:
    """Token-level F1 per role (B/I merged) on cached windows: a quick dev signal during training."""
    import torch

    tp = dict.fromkeys(("SOURCE", "CUE", "CONTENT"), 0)
    fp, fn = dict(tp), dict(tp)
    identity = torch.nn.Identity()
    order = sorted(range(len(examples)), key=lambda i: len(examples[i][0]))
    with torch.inference_mode():
        for idx in _batches(order, 32):
            hidden, labels, mask = _stack(cached, examples, idx)
            pred = _upper(layers, head, hidden, mask, identity).argmax(-1)
            keep = labels != -100
            for role in tp:
                ids = [LABELS.index(f"B-{role}"), LABELS.index(f"I-{role}")]
                p = (pred == ids[0]) | (pred == ids[1])
                g = (labels == ids[0]) | (labels == ids[1])
                tp[role] += int((p & g & keep).sum())
                fp[role] += int((p & ~g & keep).sum())
                fn[role] += int((~p & g & keep).sum())
    out = {}
    for role in tp:
        denom = 2 * tp[role] + fp[role] + fn[role]
        out[role] = 2 * tp[role] / denom if denom else 0.0
    return out


def main(argv: list[str] | None = None) -> int:
    """Train the tagger and write adapter, head and metadata to `--out`."""
    parser = argparse.ArgumentParser(
        prog="python -m analysis.training.attribution", description=__doc__.splitlines()[0]
    )
    parser.add_argument("--epochs", type=int, default=3)
    parser.add_argument("--frozen-layers", type=int, default=3, help="bottom encoder layers without LoRA (cached)")
    parser.add_argument("--rank", type=int, default=16)
    parser.add_argument("--lr", type=float, default=1e-3)
    parser.add_argument("--batch", type=int, default=16)
    parser.add_argument("--cue-weight", type=float, default=1.5, help="loss weight of the B-/I-CUE labels")
    parser.add_argument("--seed", type=int, default=13)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--dev-every-epoch", action="store_true", help="token F1 on dev after every epoch")
    parser.add_argument("--limit", type=int, default=None, help="only the first N train articles (smoke test)")
    parser.add_argument("--out", default=str(ADAPTER_DIR))
    args = parser.parse_args(argv)

    import torch
    from peft import LoraConfig, get_peft_model
    from safetensors.torch import save_file

    from analysis.models.encoder import BASE_MODEL_NAME, BASE_MODEL_SHA256, load_base_encoder

    torch.set_num_threads(args.threads)
    seed_everything(args.seed)
    t0 = time.time()
    data = polnear_dir()
    train_articles = read_polnear(data / "train", args.limit)
    dev_articles = read_polnear(data / "dev")
    train = [w for a in train_articles for w in article_windows(a)]
    dev = [w for a in dev_articles for w in article_windows(a)]
    n_tokens = sum(len(ids) for ids, _ in train)
    print(
        f"{len(train_articles)} train articles, {len(train)} windows, {n_tokens} word pieces; "
        f"{len(dev)} dev windows ({time.time() - t0:.0f}s)",
        flush=True,
    )

    base = load_base_encoder()
    k = args.frozen_layers
    n_layers = base.config.num_hidden_layers
    cached_train = cache_lower(base, train, k)
    cached_dev = cache_lower(base, dev, k)
    print(f"cached layer-{k} states ({time.time() - t0:.0f}s)", flush=True)

    config = LoraConfig(
        r=args.rank,
        lora_alpha=2 * args.rank,
        lora_dropout=0.1,
        target_modules=["query", "key", "value", "dense"],
        layers_to_transform=list(range(k, n_layers)),
        bias="none",
    )
    peft_model = get_peft_model(base, config)
    layers = peft_model.base_model.model.encoder.layer[k:]
    head = torch.nn.Linear(base.config.hidden_size, len(LABELS))
    dropout = torch.nn.Dropout(0.1)
    params = [p for p in peft_model.parameters() if p.requires_grad] + list(head.parameters())
    print(f"trainable parameters: {sum(p.numel() for p in params)}", flush=True)
    optimizer = torch.optim.AdamW(params, lr=args.lr, weight_decay=0.01)
    steps_per_epoch = (len(train) + args.batch - 1) // args.batch
    total = steps_per_epoch * args.epochs
    warmup = max(1, total // 20)
    scheduler = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total - step) / max(1, total - warmup)))
    )
    weights = torch.tensor([args.cue_weight if "CUE" in label else 1.0 for label in LABELS])
    loss_fn = torch.nn.CrossEntropyLoss(weight=weights, ignore_index=-100)
    rng = random.Random(args.seed)
    history = []
    for epoch in range(args.epochs):
        peft_model.train()
        head.train()
        order = list(range(len(train)))
        rng.shuffle(order)
        running = 0.0
        for step, idx in enumerate(_batches(order, args.batch)):
            hidden, labels, mask = _stack(cached_train, train, idx)
            logits = _upper(layers, head, hidden, mask, dropout)
            loss = loss_fn(logits.reshape(-1, len(LABELS)), labels.reshape(-1))
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_(params, 1.0)
            optimizer.step()
            scheduler.step()
            running += float(loss.detach())
            if (step + 1) % 50 == 0:
                print(
                    f"epoch {epoch + 1} step {step + 1}/{steps_per_epoch} loss {running / 50:.4f} "
                    f"({time.time() - t0:.0f}s)",
                    flush=True,
                )
                running = 0.0
        peft_model.eval()
        head.eval()
        if epoch + 1 < args.epochs and not args.dev_every_epoch:
            continue
        scores = token_scores(layers, head, cached_dev, dev)
        history.append({"epoch": epoch + 1, "dev_token_f1": scores})
        print(
            f"epoch {epoch + 1} dev token F1 {json.dumps({r: round(v, 4) for r, v in scores.items()})} "
            f"({time.time() - t0:.0f}s)",
            flush=True,
        )

    out = Path(args.out)
    out.mkdir(parents=True, exist_ok=True)
    peft_model.peft_config["default"].base_model_name_or_path = BASE_MODEL_NAME  # not this machine's path
    peft_model.save_pretrained(str(out))
    (out / "README.md").unlink(missing_ok=True)  # peft's template card; MODEL_CARD.md is ours
    save_file({name: t.detach().contiguous() for name, t in head.state_dict().items()}, str(out / "head.safetensors"))
    meta = {
        "base_model": BASE_MODEL_NAME,
        "base_model_sha256": BASE_MODEL_SHA256,
        "labels": list(LABELS),
        "window_tokens": WINDOW_TOKENS,
        "window_step": WINDOW_STEP,
        "frozen_layers": k,
        "hyper_parameters": {
            "epochs": args.epochs,
            "rank": args.rank,
            "alpha": 2 * args.rank,
            "lr": args.lr,
            "batch": args.batch,
            "seed": args.seed,
            "cue_weight": args.cue_weight,
            "lora_dropout": 0.1,
            "head_dropout": 0.1,
            "weight_decay": 0.01,
            "warmup": "5%",
        },
        "train": {"articles": len(train_articles), "windows": len(train), "word_pieces": n_tokens},
        "history": history,
        "threads": args.threads,
        "train_seconds": round(time.time() - t0, 1),
        "date": date.today().isoformat(),
        "command": "python -m analysis.training.attribution " + " ".join(argv if argv is not None else sys.argv[1:]),
    }
    (out / "tagger.json").write_text(json.dumps(meta, indent=2) + "\n", encoding="utf-8")
    print(f"saved to {out} in {time.time() - t0:.0f}s", flush=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
