"""The sentiment stage: how the article portrays each actor, and the tone of each statement.

Uses the target-dependent sentiment model (`analysis.models.sentiment`, MiniLM fine-tuned on NewsMTSC). Every mention is
scored in its sentence with the mention as the target. A statement's tone is the mean score toward the actors its
content names (how the statement portrays them); where it names none, the content itself is the target. Scores are
P(positive) - P(negative), in [-1, 1]. All targets of an article go through the model in one batched call.
"""

from __future__ import annotations

from analysis.schema import Row
from analysis.stages.article import Article

#: longest context given around a target, in characters (the model crops word pieces to its own window)
_CONTEXT_CHARS = 600


def _context(article: Article, start: int, end: int) -> tuple[str, int, int]:
    """The sentence(s) holding [start, end), cropped to `_CONTEXT_CHARS` around it; offsets made relative."""
    text, index = article.text, article.sentences
    lo = index.start_of(start, max(0, start - 200))
    hi = index.end_of(end, min(len(text), end + 200))
    if hi - lo > _CONTEXT_CHARS:
        lo = max(lo, start - (_CONTEXT_CHARS - (end - start)) // 2)
        hi = min(hi, lo + max(_CONTEXT_CHARS, end - start))
    return text[lo:hi], start - lo, end - lo


def score_sentiment(article: Article, actors: list[Row], mentions: list[Row], countries: list[Row],
                    statements: list[Row]) -> dict[str, list[Row]]:
    """Add sentiment to every mention, actor, country and statement.

    Needs: `article.sentences`; `mentions` (start, end, actor_id), `actors` (actor_id), `countries` (actor_ids),
    `statements` (content spans, speaker_actor_id).
    Adds: `mentions` sentiment, sentiment_score; `actors` sentiment_mean, sentiment_negative, sentiment_neutral,
    sentiment_positive; `countries` sentiment; `statements` sentiment, sentiment_score.

    Raises:
        ModelNotInstalledError, ModelMismatchError: the sentiment model is missing or does not fit the encoder.
    """
    from analysis.models.sentiment import predict

    text = article.text
    items: list[tuple[str, int, int]] = [_context(article, int(m["start"]), int(m["end"])) for m in mentions]
    n_mentions = len(items)
    plans: list[list[int] | int] = []  # per statement: indexes of its target mentions, or one extra item
    by_actor_mentions: dict[str, list[int]] = {}
    for i, m in enumerate(mentions):
        by_actor_mentions.setdefault(str(m["actor_id"]), []).append(i)
    mention_spans = [(int(m["start"]), int(m["end"]), str(m["actor_id"])) for m in mentions]
    for stmt in statements:
        spans = stmt["content_spans"] if isinstance(stmt["content_spans"], list) else []
        own = stmt["speaker_actor_id"] if isinstance(stmt["speaker_actor_id"], str) else None
        inside = [i for i, (s, e, a) in enumerate(mention_spans)
                  if a != own and any(cs <= s and e <= ce for cs, ce in spans)]
        if inside:
            plans.append(inside)
        else:
            cs, ce = int(stmt["content_start"]), int(stmt["content_end"])
            items.append(_context(article, cs, ce) if ce - cs < _CONTEXT_CHARS else (text[cs:ce], 0, ce - cs))
            plans.append(len(items) - 1)
    scores = predict(items) if items else []
    values = [s.positive - s.negative for s in scores]

    mention_rows = [{"sentiment": scores[i].polarity, "sentiment_score": round(values[i], 4)}
                    for i in range(n_mentions)]
    actor_rows = []
    for actor in actors:
        idx = by_actor_mentions.get(str(actor["actor_id"]), [])
        mean, neg, neu, pos = _aggregate([values[i] for i in idx], [scores[i].polarity for i in idx])
        actor_rows.append({"sentiment_mean": mean, "sentiment_negative": neg, "sentiment_neutral": neu,
                           "sentiment_positive": pos})
    country_rows = []
    for country in countries:
        idx = [i for aid in country["actor_ids"] for i in by_actor_mentions.get(aid, [])]
        country_rows.append({"sentiment": _aggregate([values[i] for i in idx], [scores[i].polarity for i in idx])[0]})
    statement_rows = []
    for plan in plans:
        idx = plan if isinstance(plan, list) else [plan]
        tone = sum(values[i] for i in idx) / len(idx)
        statement_rows.append({"sentiment": "negative" if tone <= -0.33 else "positive" if tone >= 0.33 else "neutral",
                               "sentiment_score": round(tone, 4)})
    return {"mentions": mention_rows, "actors": actor_rows, "countries": country_rows, "statements": statement_rows}


def _aggregate(values: list[float], polarities: list[str]) -> tuple[float | None, int, int, int]:
    if not values:
        return None, 0, 0, 0
    return (round(sum(values) / len(values), 4), polarities.count("negative"), polarities.count("neutral"),
            polarities.count("positive"))
