"""How the statements of `data/stance/codebook_labels.tsv` were drawn (seeded; reproduces the table's ids).

Dev (never trained on): a random sample of 300 complete PolNeAR dev relations (canonical annotator files) and 100
NewsMTSC dev sentences (rw + mt), with no filter of any kind. Train, round 1: 1,200 random PolNeAR train relations,
1,200 more that the lexicon reads as non-neutral (rare labels first), 800 NewsMTSC train sentences with a speech or
act verb, 1,000 GoodNewsEveryone headlines. Train, round 2 (the rare labels were short): 1,471 items not drawn before
whose words suggest protesting, threatening or concerned (the lexicon, or a word list: warn, threat, protest, sue,
boycott, sanction, fear, ...). Train, round 3 (threatening was still short): 400 items not drawn before whose words
suggest a threat (threat, vow, retaliate, sanction, tariff, veto, impeach, prosecute, ...). The labels themselves came
from reading, not from these filters.

`python -m analysis.training.stance_sample --check` draws again and compares the ids with the table.
"""

from __future__ import annotations

import argparse
import csv
import json
import random
import re
from pathlib import Path

from analysis.evaluate.polnear import canonical_ann_files, parse_ann, read_article, split_dir
from analysis.evaluate.stance_gold import relation_parts
from analysis.evaluate.stance_labels import DEFAULT_LABELS_PATH, read_label_table
from analysis.rules.lexicon import lexicon_stance
from analysis.settings import shared_dir

SEED = 20261201
_SPEECH = re.compile(
    r"\b(said|says|say|told|tells|stated|announced|warned|warns|accused|accuses|condemned|condemns|criticized|"
    r"criticised|blamed|blames|praised|praises|welcomed|called|urged|urges|vowed|threatened|protested|denied|argued|"
    r"claimed|insisted|slammed|blasted|attacked|defended|tweeted|wrote|according to|responded|rejected|demanded|"
    r"pledged|promised|sued|endorsed|backed|added|noted|declared|asked|admitted|suggested|expressed|objected|"
    r"complained|boycotted|summoned|signed)\b", re.I)
_RARE = re.compile(
    r"\b(warn\w*|threat\w*|vow\w*|retaliat\w*|sanction\w*|protest\w*|su(e|ed|es|ing)|lawsuit|boycott\w*|summon\w*|"
    r"complain\w*|demonstrat\w*|rall(y|ied|ies)|march(ed|es)?|walk(ed)? out|veto\w*|block\w*|ban(ned|s)?|concern\w*|"
    r"worr\w*|fear\w*|alarm\w*|danger\w*|risk\w*|troubl\w*|urg(e|ed|es)|calm|restraint|consequence\w*|punish\w*|"
    r"prosecut\w*|charg(e|es|ed)|impeach\w*|object\w*|petition\w*|strike|picket\w*|revok\w*|withdr[ae]w\w*|"
    r"condemn\w*)\b", re.I)
_THREAT = re.compile(
    r"\b(threat\w*|vow\w*|retaliat\w*|sanction\w*|consequence\w*|punish\w*|tariff\w*|veto\w*|"
    r"will (respond|block|fight|sue|stop|act|repeal|defund|cut|ban)|ultimatum|troops|military action|"
    r"strike back|crack ?down|deport\w*|impeach\w*|prosecut\w*|indict\w*|arrest\w*|lock (her|him) up|"
    r"warn\w* (that )?(he|she|they|we|it) would|response|revenge|war)\b", re.I)


def _polnear(split: str) -> list[dict]:
    folder = split_dir(split)
    items = []
    for name in canonical_ann_files(folder):
        text = None
        for rel in parse_ann(folder / "attributions" / name).values():
            if rel.cue is None or rel.content is None:
                continue
            text = text or read_article(folder, name)
            parts = relation_parts(text, rel)
            items.append({"id": f"polnear:{split}:{name}:{rel.id}", "passage": parts["text"], "cue": parts["cue"],
                          "content": parts["content"]})
    return items


def _newsmtsc(file: str, split: str, *, cue_only: bool) -> list[dict]:
    items = []
    for line in (shared_dir() / "data" / "raw" / "newsmtsc" / file).read_text(encoding="utf-8").split("\n"):
        if line.strip():
            rec = json.loads(line)
            if not cue_only or _SPEECH.search(rec["sentence_normalized"]):
                items.append({"id": f"newsmtsc:{split}:{rec['primary_gid']}", "passage": rec["sentence_normalized"],
                              "cue": "", "content": ""})
    return items


def _gne() -> list[dict]:
    path = shared_dir() / "data" / "raw" / "goodnewseveryone" / "gne-release-v1.0.tsv"
    with open(path, encoding="utf-8", newline="") as fh:
        return [{"id": f"gne:{r['id']}", "passage": r["headline"], "cue": "", "content": ""}
                for r in csv.DictReader(fh, delimiter="\t")]


def _lex(item: dict) -> str:
    return lexicon_stance(item["content"] or item["passage"], cue=item["cue"] or None).label


def _round(pools: tuple[list[dict], list[dict], list[dict]], seen: set[str], seed: int, labels: tuple[str, ...],
           words: re.Pattern[str], sizes: tuple[int, int, int]) -> list[dict]:
    """A later round: items not drawn before whose lexicon label is one of `labels` or whose words match, from
    PolNeAR relations, NewsMTSC sentences and headlines, `sizes` of each, shuffled."""
    rng = random.Random(seed)
    relations, sentences, headlines = pools
    parts = [[it for it in relations if it["id"] not in seen
              and (_lex(it) in labels or words.search(f"{it['content']} {it['cue']}"))],
             [it for it in sentences if it["id"] not in seen and words.search(it["passage"])],
             [it for it in headlines if it["id"] not in seen and words.search(it["passage"])]]
    for part in parts:
        rng.shuffle(part)
    drawn = [it for part, size in zip(parts, sizes, strict=True) for it in part[:size]]
    rng.shuffle(drawn)
    return drawn


def draw() -> dict[str, list[str]]:
    """The ids of each part, in drawing order: dev, train (round 1), train2 and train3 (rounds 2 and 3)."""
    rng = random.Random(SEED)
    dev_pool = _newsmtsc("rw/dev.jsonl", "dev-rw", cue_only=False) + _newsmtsc("mt/dev.jsonl", "dev-mt", cue_only=False)
    dev = rng.sample(_polnear("dev"), 300) + rng.sample(dev_pool, 100)
    rng.shuffle(dev)
    ptr = _polnear("train")
    rng.shuffle(ptr)
    rest = ptr[1200:]
    enriched = ([it for it in rest if _lex(it) in ("protesting", "threatening")][:500]
                + [it for it in rest if _lex(it) in ("concerned", "outraged", "supportive")][:700])
    ntr = _newsmtsc("train.jsonl", "train", cue_only=True)
    rng.shuffle(ntr)
    gne = _gne()
    rng.shuffle(gne)
    train = ptr[:1200] + enriched + ntr[:800] + gne[:1000]
    rng.shuffle(train)
    pools = (_polnear("train"), _newsmtsc("train.jsonl", "train", cue_only=True), _gne())
    seen = {it["id"] for it in dev + train}
    train2 = _round(pools, seen, SEED + 2, ("protesting", "threatening", "concerned"), _RARE, (800, 350, 350))
    seen |= {it["id"] for it in train2}
    train3 = _round(pools, seen, SEED + 3, ("threatening",), _THREAT, (200, 50, 150))
    return {"dev": [it["id"] for it in dev], "train": [it["id"] for it in train],
            "train2": [it["id"] for it in train2], "train3": [it["id"] for it in train3]}


def main(argv: list[str] | None = None) -> int:
    """`python -m analysis.training.stance_sample [--check] [--out FILE]`."""
    parser = argparse.ArgumentParser(prog="python -m analysis.training.stance_sample",
                                     description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true", help="compare the drawn ids with the label table")
    parser.add_argument("--out", type=Path, help="write the drawn ids as JSON")
    args = parser.parse_args(argv)
    drawn = draw()
    if args.out:
        args.out.write_text(json.dumps(drawn, indent=1), encoding="utf-8")
    for part, ids in drawn.items():
        print(f"{part}: {len(ids)} drawn, {len(set(ids))} distinct")
    if args.check:
        table = read_label_table(DEFAULT_LABELS_PATH)
        want = {"dev": set(drawn["dev"]), "train": set(drawn["train"]) | set(drawn["train2"]) | set(drawn["train3"])}
        for split, ids in want.items():
            have = set(table.loc[table["split"] == split, "id"])
            print(f"{split}: table {len(have)}, drawn {len(ids)}, same ids: {have == ids}")
            if have != ids:
                return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
