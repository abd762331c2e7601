"""Score attribution extractors (source / cue / content spans) on PolNeAR-format data, against textacy as a peer.

Usage::

    python -m analysis.evaluate quotes --polnear ../shared/data/raw/polnear/dev [--predictors pipeline,tagger,...]

Data: a PolNeAR-format folder with `text/<article>.txt` and `attributions/<article>_<annotator>.ann` (brat standoff).
Where an article has several annotator files, the first in sorted order is the gold standard.

Metrics, per role (source, cue, content), micro-averaged over all articles:

* exact: a predicted span is correct when its non-whitespace characters are exactly those of a gold span of the same
  role (one-to-one).
* overlap: a predicted span matches a gold span of the same role when they share at least one non-whitespace
  character; matching is one-to-one (greedy, largest shared character count first), so one long prediction covering
  two gold spans counts once. P = matched / predicted, R = matched / gold.
* jaccard (the stricter match): as overlap, but a pair counts only when the two spans share at least half of the
  union of their non-whitespace characters (character Jaccard >= 0.5); one-to-one, greedy by Jaccard.
* proportional (Citron's "overlap" metric): P = shared characters / predicted characters, R = shared characters /
  gold characters, summed over the corpus (Citron counts tokens; we count non-whitespace characters).

Speaker accuracy per kind: each gold relation is direct (its content is one quotation), mixed (a quotation inside
reported speech), indirect (no quotation mark); among the gold relations of each kind, the share whose cue a prediction
matches (overlap, one-to-one) with that prediction's source matching the gold source at Jaccard >= 0.5.

A discontinuous span (content split around its cue, or the fragments of one predicted content tuple) is one span:
the set of the characters of all its fragments.
"""

from __future__ import annotations

import argparse
import json
import sys
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pandas as pd

from analysis.evaluate.polnear import Fragments, GoldRelation, PolnearArticle, read_polnear
from analysis.models.nlp import load_spacy

ROLES: tuple[str, ...] = ("source", "cue", "content")
OVERLAP_RULE = (
    "overlap: a predicted span matches a gold span of the same role when they share >= 1 non-whitespace character; "
    "one-to-one greedy matching by shared characters; a discontinuous span is the union of its fragments"
)

Predictor = Callable[[str], list[dict[str, Any]]]



def _span_fragments(value: Any) -> Fragments | None:
    """Turn a predicted span value (None, {"start","end"}, (start, end) or a list of these) into fragments."""
    if value is None:
        return None
    if isinstance(value, dict):
        return ((int(value["start"]), int(value["end"])),)
    if isinstance(value, tuple) and len(value) == 2 and all(isinstance(v, int) for v in value):
        return (value,)
    if hasattr(value, "start") and hasattr(value, "end"):
        return ((int(value.start), int(value.end)),)
    frags: list[tuple[int, int]] = []
    for item in value:
        frags.extend(_span_fragments(item) or ())
    return tuple(sorted(frags)) or None


def prediction_to_relation(statement: dict[str, Any]) -> GoldRelation:
    """Convert one predicted statement dict (keys speaker|source, cue, content_parts|content) to fragments."""
    source = statement.get("source", statement.get("speaker"))
    content = statement.get("content_parts") or statement.get("content")
    return GoldRelation(
        source=_span_fragments(source),
        cue=_span_fragments(statement.get("cue")),
        content=_span_fragments(content),
    )


def _chars(frags: Fragments, text: str) -> frozenset[int]:
    return frozenset(
        i for start, end in frags for i in range(max(0, start), min(len(text), end)) if not text[i].isspace()
    )


def role_spans(relations: Sequence[GoldRelation], role: str, text: str) -> list[frozenset[int]]:
    """Distinct, non-empty character sets of one role over a list of relations."""
    seen: dict[frozenset[int], None] = {}
    for rel in relations:
        frags = getattr(rel, role)
        if frags:
            chars = _chars(frags, text)
            if chars:
                seen.setdefault(chars, None)
    return list(seen)


@dataclass
class RoleCounts:
    """Micro-averaged counts of one role."""

    predicted: int = 0
    gold: int = 0
    exact: int = 0
    overlap: int = 0
    jaccard: int = 0
    shared_chars: int = 0
    predicted_chars: int = 0
    gold_chars: int = 0

    def add(self, pred: list[frozenset[int]], gold: list[frozenset[int]]) -> None:
        """Add one article's predicted and gold spans of this role."""
        self.predicted += len(pred)
        self.gold += len(gold)
        gold_set = set(gold)
        self.exact += sum(1 for p in set(pred) if p in gold_set)
        pairs = []
        for i, p in enumerate(pred):
            for j, g in enumerate(gold):
                shared = len(p & g)
                if shared:
                    pairs.append((shared, i, j))
        pairs.sort(key=lambda item: (-item[0], item[1], item[2]))
        used_p: set[int] = set()
        used_g: set[int] = set()
        for _, i, j in pairs:
            if i not in used_p and j not in used_g:
                used_p.add(i)
                used_g.add(j)
        self.overlap += len(used_p)
        self.jaccard += len(_one_to_one([(j, i, k) for i, p in enumerate(pred) for k, g in enumerate(gold)
                                         if (j := jaccard(p, g)) >= JACCARD_MIN]))
        pred_union = frozenset().union(*pred) if pred else frozenset()
        gold_union = frozenset().union(*gold) if gold else frozenset()
        self.shared_chars += len(pred_union & gold_union)
        self.predicted_chars += len(pred_union)
        self.gold_chars += len(gold_union)

    def scores(self) -> dict[str, tuple[float, float, float]]:
        """Precision, recall and F1 for the exact, overlap and proportional metrics."""
        return {
            "exact": _prf(self.exact, self.predicted, self.exact, self.gold),
            "overlap": _prf(self.overlap, self.predicted, self.overlap, self.gold),
            "jaccard": _prf(self.jaccard, self.predicted, self.jaccard, self.gold),
            "proportional": _prf(self.shared_chars, self.predicted_chars, self.shared_chars, self.gold_chars),
        }


#: the stricter match: two spans match when they share at least half of their union of characters
JACCARD_MIN = 0.5


def jaccard(a: frozenset[int], b: frozenset[int]) -> float:
    """Character Jaccard of two spans: shared / union (0 for two empty spans)."""
    union = len(a | b)
    return len(a & b) / union if union else 0.0


def _one_to_one(pairs: list[tuple[float, int, int]]) -> dict[int, int]:
    """Greedy one-to-one matching of (score, i, j) pairs, best score first: i -> j."""
    match: dict[int, int] = {}
    used: set[int] = set()
    for _, i, j in sorted(pairs, key=lambda item: (-item[0], item[1], item[2])):
        if i not in match and j not in used:
            match[i] = j
            used.add(j)
    return match


def gold_kind(text: str, relation: GoldRelation) -> str:
    """direct (the content is one quotation), mixed (a quotation inside reported speech) or indirect."""
    if not is_direct(text, relation):
        return "indirect"
    content = "".join(text[a:b] for a, b in relation.content).strip().rstrip(".,;:")
    inner = content.strip(_QUOTE_CHARS + " ").rstrip(".,;:")
    opened = content[:1] in _QUOTE_CHARS
    return "direct" if opened and not any(ch in _QUOTE_CHARS for ch in inner) else "mixed"


KINDS = ("direct", "mixed", "indirect")


def _prf(tp_p: int, n_pred: int, tp_r: int, n_gold: int) -> tuple[float, float, float]:
    precision = tp_p / n_pred if n_pred else 0.0
    recall = tp_r / n_gold if n_gold else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return precision, recall, f1


@dataclass
class EvalResult:
    """Scores of one predictor over a corpus."""

    name: str
    counts: dict[str, RoleCounts] = field(default_factory=lambda: {role: RoleCounts() for role in ROLES})
    #: relation-level "linked" counts per role: [matched predicted, predicted with role, matched gold, gold with role]
    linked: dict[str, list[int]] = field(default_factory=lambda: {role: [0, 0, 0, 0] for role in ("source", "content")})
    #: per gold kind: [gold relations, speaker right (cue matched and source at Jaccard >= 0.5)]
    speakers: dict[str, list[int]] = field(default_factory=lambda: {kind: [0, 0] for kind in KINDS})
    articles: int = 0
    seconds: float = 0.0
    failures: int = 0

    def linked_scores(self) -> dict[str, tuple[float, float, float]]:
        """P/R/F1 of sources and contents attached to the right cue (see `score_links`)."""
        return {role: _prf(c[0], c[1], c[2], c[3]) for role, c in self.linked.items()}

    def as_dict(self) -> dict[str, Any]:
        """JSON-ready summary."""
        return {
            "predictor": self.name,
            "articles": self.articles,
            "articles_per_second": self.articles / self.seconds if self.seconds else 0.0,
            "failures": self.failures,
            "roles": {
                role: {"predicted": c.predicted, "gold": c.gold, **{k: list(v) for k, v in c.scores().items()}}
                for role, c in self.counts.items()
            },
            "linked_overlap": {role: list(v) for role, v in self.linked_scores().items()},
            "speaker_accuracy_by_kind": {kind: {"gold": n, "right": right, "accuracy": right / n if n else None}
                                         for kind, (n, right) in self.speakers.items()},
        }


def score_article(
    result: EvalResult, text: str, gold: Sequence[GoldRelation], predicted: Sequence[GoldRelation]
) -> None:
    """Add one article's predictions to `result`."""
    for role in ROLES:
        result.counts[role].add(role_spans(predicted, role, text), role_spans(gold, role, text))
    score_links(result, text, gold, predicted)


def score_links(result: EvalResult, text: str, gold: Sequence[GoldRelation], predicted: Sequence[GoldRelation]) -> None:
    """Relation-level counts: a predicted source (content) is right when its relation's cue overlaps a gold cue
    (one-to-one, by shared characters) and it overlaps that gold relation's source (content)."""
    pred_cues = [_chars(p.cue, text) if p.cue else frozenset() for p in predicted]
    gold_cues = [_chars(g.cue, text) if g.cue else frozenset() for g in gold]
    pairs = sorted(
        ((len(pc & gc), i, j) for i, pc in enumerate(pred_cues) for j, gc in enumerate(gold_cues) if pc & gc),
        key=lambda item: (-item[0], item[1], item[2]),
    )
    match = _one_to_one(pairs)
    gold_of = {j: i for i, j in match.items()}
    for j, g in enumerate(gold):
        counts = result.speakers[gold_kind(text, g)]
        counts[0] += 1
        i = gold_of.get(j)
        if i is not None and g.source and predicted[i].source and \
                jaccard(_chars(predicted[i].source, text), _chars(g.source, text)) >= JACCARD_MIN:
            counts[1] += 1
    for role in ("source", "content"):
        counts = result.linked[role]
        counts[1] += sum(1 for p in predicted if getattr(p, role))
        counts[3] += sum(1 for g in gold if getattr(g, role))
        for i, j in match.items():
            p_span, g_span = getattr(predicted[i], role), getattr(gold[j], role)
            if p_span and g_span and _chars(p_span, text) & _chars(g_span, text):
                counts[0] += 1
                counts[2] += 1


def evaluate(
    predictor: Predictor, articles: Sequence[PolnearArticle], name: str, direct_only_too: bool = False
) -> list[EvalResult]:
    """Run `predictor` over every article (timed) and score its spans.

    Args:
        predictor: `text -> list[statement dict]` with character spans.
        articles: the gold corpus.
        name: label of the predictor in the report.
        direct_only_too: also score against the gold relations whose content holds a quotation mark (for peers that
            only look for direct quotes), from the same run.

    Returns:
        One result, or two when `direct_only_too` (all gold, then quoted-content gold only).
    """
    result = EvalResult(name)
    direct = EvalResult(f"{name} (gold: quoted contents only)")
    first_error = ""
    for article in articles:
        start = time.perf_counter()
        try:
            statements = predictor(article.text)
        except Exception as exc:  # a peer's crash is a finding, not a reason to stop the evaluation
            first_error = first_error or f"{article.name}: {type(exc).__name__}: {str(exc)[:160]}"
            statements = []
            result.failures += 1
            direct.failures += 1
        elapsed = time.perf_counter() - start
        predicted = [prediction_to_relation(s) for s in statements]
        for res, gold in (
            (result, article.relations),
            (direct, [g for g in article.relations if is_direct(article.text, g)]),
        ):
            res.seconds += elapsed
            res.articles += 1
            score_article(res, article.text, gold, predicted)
    if first_error:
        print(f"[{name}] raised on {result.failures} articles (scored as empty); first: {first_error}", file=sys.stderr)
    return [result, direct] if direct_only_too else [result]


_QUOTE_CHARS = '"“”«»'


def is_direct(text: str, relation: GoldRelation) -> bool:
    """Whether a gold relation's content holds a quotation mark (a direct or mixed quote)."""
    if not relation.content:
        return False
    return any(ch in _QUOTE_CHARS for start, end in relation.content for ch in text[start:end])


# ---------------------------------------------------------------------------------------------------------------
# Predictors


def _token_span(tokens: Sequence[Any]) -> dict[str, int] | None:
    if not tokens:
        return None
    return {"start": min(t.idx for t in tokens), "end": max(t.idx + len(t.text) for t in tokens)}


def textacy_predictor(nlp: Any | None = None) -> Predictor:
    """textacy's `direct_quotations` on spaCy's parse, as a `text -> statements` predictor (parse time included)."""
    from textacy.extract.triples import direct_quotations

    nlp = nlp or load_spacy(paragraphs=False)

    def predict(text: str) -> list[dict[str, Any]]:
        doc = nlp(text)
        out = []
        for triple in direct_quotations(doc):
            content = triple.content
            out.append(
                {
                    "kind": "direct",
                    "speaker": _token_span(triple.speaker),
                    "cue": _token_span(triple.cue),
                    "content": {"start": content.start_char, "end": content.end_char},
                }
            )
        return out

    return predict


def pipeline_predictor(text: str) -> list[dict[str, Any]]:
    """The whole pipeline, as `python -m analysis quotes` runs it: tagger, parse-based speakers, acts, outlets."""
    from analysis.pipeline import analyze

    result = analyze(text)
    out = []
    for stmt in result.statements.to_dict(orient="records"):
        speaker = None if stmt["speaker_start"] is None or stmt["speaker_start"] is pd.NA else \
            {"start": int(stmt["speaker_start"]), "end": int(stmt["speaker_end"])}
        cue = None if stmt["cue_start"] is None or stmt["cue_start"] is pd.NA else \
            {"start": int(stmt["cue_start"]), "end": int(stmt["cue_end"])}
        out.append({"speaker": speaker, "cue": cue,
                    "content_parts": [{"start": int(a), "end": int(b)} for a, b in stmt["content_spans"]]})
    return out


def _predictor(name: str) -> Predictor:
    if name == "pipeline":
        return pipeline_predictor
    if name == "tagger":
        from analysis.models.attribution import attribution_dicts

        return attribution_dicts
    if name == "rules":
        from analysis.evaluate.quote_rules import rule_predictor

        return rule_predictor()
    if name == "textacy":
        return textacy_predictor()
    raise ValueError(f"unknown predictor {name!r} (tagger, rules, textacy)")


# ---------------------------------------------------------------------------------------------------------------
# Report


def format_result(result: EvalResult) -> str:
    """A plain-text table of one predictor's scores."""
    rate = result.articles / result.seconds if result.seconds else 0.0
    lines = [
        f"== {result.name}: {result.articles} articles, {rate:.2f} articles/s "
        f"({1000 * result.seconds / max(1, result.articles):.1f} ms/article), failures {result.failures}",
        f"{'role':8} {'pred':>6} {'gold':>6} | {'exact P':>7} {'R':>6} {'F1':>6} | {'overlap P':>9} {'R':>6} "
        f"{'F1':>6} | {'jacc. P':>7} {'R':>6} {'F1':>6} | {'prop. P':>7} {'R':>6} {'F1':>6}",
    ]
    for role, counts in result.counts.items():
        s = counts.scores()
        cells = " | ".join(" ".join(f"{100 * v:6.1f}" for v in s[k])
                           for k in ("exact", "overlap", "jaccard", "proportional"))
        lines.append(f"{role:8} {counts.predicted:6d} {counts.gold:6d} | {cells}")
    linked = result.linked_scores()
    lines.append(
        "linked (cue overlaps a gold cue and the span overlaps that relation's span): "
        + ", ".join(f"{role} P/R/F1 " + "/".join(f"{100 * v:.1f}" for v in linked[role]) for role in linked)
    )
    lines.append("speaker right (cue matched, source at Jaccard >= 0.5), by gold kind: " + ", ".join(
        f"{kind} {right / n:.3f} ({right}/{n})" if n else f"{kind} -" for kind, (n, right) in result.speakers.items()))
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    """Evaluate attribution predictors on a PolNeAR-format folder and print exact/overlap P/R/F1 and speed."""
    parser = argparse.ArgumentParser(prog="python -m analysis.evaluate quotes", description=__doc__.splitlines()[0])
    parser.add_argument("--polnear", required=True, help="PolNeAR-format folder (text/ + attributions/)")
    parser.add_argument("--predictors", default="pipeline,tagger,rules,textacy",
                        help="comma list of pipeline (ours, as `python -m analysis quotes` runs it), tagger (the "
                             "tagger alone), rules (spaCy rule baseline), textacy (peer)")
    parser.add_argument("--limit", type=int, default=None, help="only the first N articles")
    parser.add_argument("--threads", type=int, default=2, help="torch threads (timings are per process)")
    parser.add_argument("--tagger-window", type=int, default=None, help="longest tagger window at inference")
    parser.add_argument("--tagger-adapter", default=None, help="tagger adapter folder (default: the shipped one)")
    parser.add_argument("--tagger-precision", default=None, help="int8, bf16 or fp32 (default: the module's)")
    parser.add_argument("--json", dest="json_out", default=None, help="also write the figures as JSON here")
    args = parser.parse_args(argv)
    import torch

    torch.set_num_threads(args.threads)
    if args.tagger_adapter:
        import analysis.models.attribution

        analysis.models.attribution.ADAPTER_DIR = Path(args.tagger_adapter)
    if args.tagger_precision:
        import analysis.models.attribution

        analysis.models.attribution.PRECISION = args.tagger_precision
    if args.tagger_window:
        import analysis.models.attribution

        analysis.models.attribution.INFER_MAX_TOKENS = args.tagger_window
    try:
        articles = read_polnear(args.polnear, args.limit)
    except FileNotFoundError as exc:
        print(str(exc), file=sys.stderr)
        return 2
    n_rel = sum(len(a.relations) for a in articles)
    n_direct = sum(is_direct(a.text, r) for a in articles for r in a.relations)
    print(
        f"{len(articles)} articles, {n_rel} gold relations ({n_direct} with a quotation mark in the content); "
        f"first sorted annotator file per article"
    )
    print(OVERLAP_RULE)
    print("jaccard: the same one-to-one match, a pair counting only at character Jaccard >= 0.5 (the stricter match)")
    print(
        "exact: same non-whitespace characters; proportional: Citron's overlap metric (shared/predicted and "
        "shared/gold characters)"
    )
    results = []
    for name in [n.strip() for n in args.predictors.split(",") if n.strip()]:
        predictor = _predictor(name)
        try:  # load models outside the timing
            predictor("Warm-up: the minister said the talks would resume.")
        except Exception as exc:  # a peer that fails on the warm-up is still scored (its failures counted)
            print(f"[{name}] warm-up raised {type(exc).__name__}: {str(exc)[:160]}", file=sys.stderr)
        for result in evaluate(predictor, articles, name, direct_only_too=name == "textacy"):
            print(format_result(result), flush=True)
            results.append(result.as_dict())
    if args.json_out:
        Path(args.json_out).write_text(json.dumps(results, indent=2), encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
