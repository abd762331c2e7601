"""The sentiment stage: how the article portrays each actor, and the tone of each statement.

Uses the target-dependent sentiment model (`analysis.models.sentiment`, MiniLM fine-tuned on NewsMTSC). Every mention is
scored in its sentence with the mention as the target. A statement's tone is the mean score toward the actors its
content names (how the statement portrays them); where it names none, the content itself is the target. Scores are
P(positive) - P(negative), in [-1, 1]. All targets of an article go through the model in one batched call.
"""

from __future__ import annotations

from typing import Any, NamedTuple

import pandas as pd

from analysis.schema import conform
from analysis.stages.article import Article

#: longest context given around a target, in characters (the model crops word pieces to its own window)
_CONTEXT_CHARS = 600


class SentimentTables(NamedTuple):
    """The four tables with their sentiment columns filled."""

    actors: pd.DataFrame
    mentions: pd.DataFrame
    countries: pd.DataFrame
    statements: pd.DataFrame


def _sentence_bounds(doc: Any) -> list[tuple[int, int]]:
    return [(s.start_char, s.end_char) for s in doc.sents]


def _context(text: str, bounds: list[tuple[int, int]], start: int, end: int) -> tuple[str, int, int]:
    """The sentence(s) holding [start, end), cropped to `_CONTEXT_CHARS` around it; offsets made relative."""
    lo = next((s for s, e in bounds if s <= start < e), max(0, start - 200))
    hi = next((e for s, e in bounds if s < end <= e), min(len(text), end + 200))
    if hi - lo > _CONTEXT_CHARS:
        lo = max(lo, start - (_CONTEXT_CHARS - (end - start)) // 2)
        hi = min(hi, lo + max(_CONTEXT_CHARS, end - start))
    return text[lo:hi], start - lo, end - lo


def score_sentiment(article: Article, actors: pd.DataFrame, mentions: pd.DataFrame, countries: pd.DataFrame,
                    statements: pd.DataFrame) -> SentimentTables:
    """Add sentiment to every mention, actor, country and statement.

    Requires: `article.doc` and the four tables of the earlier stages.

    Returns:
        `SentimentTables` with the `sentiment*` columns of `analysis.schema.TABLES` filled.

    Raises:
        ModelNotInstalledError, ModelMismatchError: the sentiment model is missing or does not fit the encoder.
    """
    from analysis.models.sentiment import predict

    text = article.text
    bounds = _sentence_bounds(article.doc)
    items: list[tuple[str, int, int]] = []
    for rec in mentions.itertuples(index=False):
        items.append(_context(text, bounds, int(rec.start), int(rec.end)))
    n_mentions = len(items)
    plans: list[list[int] | int] = []  # per statement: indexes of its target mentions, or one extra item
    by_actor_mentions: dict[str, list[int]] = {}
    for i, rec in enumerate(mentions.itertuples(index=False)):
        by_actor_mentions.setdefault(str(rec.actor_id), []).append(i)
    mention_spans = [(int(r.start), int(r.end), str(r.actor_id)) for r in mentions.itertuples(index=False)]
    for st in statements.to_dict(orient="records"):
        spans = st["content_spans"] if isinstance(st["content_spans"], list) else []
        own = st["speaker_actor_id"] if isinstance(st["speaker_actor_id"], str) else None
        inside = [i for i, (s, e, a) in enumerate(mention_spans)
                  if a != own and any(cs <= s and e <= ce for cs, ce in spans)]
        if inside:
            plans.append(inside)
        else:
            cs, ce = int(st["content_start"]), int(st["content_end"])
            items.append(_context(text, bounds, cs, ce) if ce - cs < _CONTEXT_CHARS else (text[cs:ce], 0, ce - cs))
            plans.append(len(items) - 1)
    scores = predict(items) if items else []
    values = [s.positive - s.negative for s in scores]

    m = mentions.copy()
    m["sentiment"] = pd.array([scores[i].polarity for i in range(n_mentions)], dtype="string")
    m["sentiment_score"] = pd.array([round(values[i], 4) for i in range(n_mentions)], dtype="Float64")

    a = actors.copy()
    a_stats = [_aggregate([values[i] for i in by_actor_mentions.get(aid, [])],
                          [scores[i].polarity for i in by_actor_mentions.get(aid, [])]) for aid in a["actor_id"]]
    _put(a, a_stats)

    c = countries.copy()
    c_stats = []
    for ids in c["actor_ids"]:
        idx = [i for aid in ids for i in by_actor_mentions.get(aid, [])]
        c_stats.append(_aggregate([values[i] for i in idx], [scores[i].polarity for i in idx]))
    c["sentiment"] = pd.array([s[0] for s in c_stats], dtype="Float64")

    s = statements.copy()
    tones, polarities = [], []
    for plan in plans:
        idx = plan if isinstance(plan, list) else [plan]
        tone = sum(values[i] for i in idx) / len(idx)
        tones.append(round(tone, 4))
        polarities.append("negative" if tone <= -0.33 else "positive" if tone >= 0.33 else "neutral")
    s["sentiment"] = pd.array(polarities, dtype="string")
    s["sentiment_score"] = pd.array(tones, dtype="Float64")
    return SentimentTables(conform("actors", a), conform("mentions", m), conform("countries", c),
                           conform("statements", s))


def _aggregate(values: list[float], polarities: list[str]) -> tuple[float | None, int, int, int]:
    if not values:
        return None, 0, 0, 0
    return (round(sum(values) / len(values), 4), polarities.count("negative"), polarities.count("neutral"),
            polarities.count("positive"))


def _put(actors: pd.DataFrame, stats: list[tuple[float | None, int, int, int]]) -> None:
    actors["sentiment_mean"] = pd.array([s[0] for s in stats], dtype="Float64")
    actors["sentiment_negative"] = pd.array([s[1] for s in stats], dtype="Int64")
    actors["sentiment_neutral"] = pd.array([s[2] for s in stats], dtype="Int64")
    actors["sentiment_positive"] = pd.array([s[3] for s in stats], dtype="Int64")
