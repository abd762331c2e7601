"""The stance stage: the stance model decides each statement's stance, with every label's probability.

Each statement goes to the model as its attribution parts, as the model was trained: the speaker as written (or the
actor's name), the cue, the content, and the sentence(s) holding them for context. All statements of an article go
through the model in one batched call. Where the model is unsure (its top probability under `LEXICON_BELOW`) and the
cue-and-phrase lexicon found a stance (`lexicon_stance` of the statements stage), the lexicon's label stands
(`stance_method` = `lexicon`, with its evidence); otherwise the model's (`model`). `stance_scores` always holds the
model's six probabilities. On the dev set this combination scores macro-F1 0.604 against 0.585 for the model alone
(`python -m analysis.evaluate stance`; the threshold was chosen on that set, so the gain is optimistic).
"""

from __future__ import annotations

from typing import Any

from analysis.schema import Row, is_missing
from analysis.stages.article import Article

#: below this top probability of the model, a stance the lexicon found decides
LEXICON_BELOW = 0.7
#: below this top probability of the model, the statement's stance is marked uncertain on every page
UNCERTAIN_BELOW = 0.5
#: longest passage given as context, in characters (the model crops to its own token budget)
_CONTEXT_CHARS = 800


def _text(value: Any) -> str | None:
    return None if is_missing(value) or not str(value).strip() else str(value)


def _passage(article: Article, start: int, end: int) -> str:
    index = article.sentences
    lo = index.start_of(start, start) if index else start
    hi = index.end_of(end, end) if index else end
    if hi - lo > _CONTEXT_CHARS:
        lo, hi = start, min(end, start + _CONTEXT_CHARS)
    return article.text[lo:hi]


def statement_passage(article: Article, rec: Row) -> str:
    """The sentence(s) around a statement (from its speaker, cue or content to the last of them), as the model sees
    them."""
    starts = [int(rec[k]) for k in ("speaker_start", "cue_start", "content_start") if not is_missing(rec[k])]
    ends = [int(rec[k]) for k in ("speaker_end", "cue_end", "content_end") if not is_missing(rec[k])]
    return _passage(article, min(starts), max(ends))


def combine(model_label: str, model_scores: dict[str, float], lexicon_label: str | None) -> tuple[str, str]:
    """(label, method): the model's label, unless it is unsure and the lexicon found a stance."""
    if lexicon_label and lexicon_label != "neutral" and model_scores[model_label] < LEXICON_BELOW:
        return lexicon_label, "lexicon"
    return model_label, "model"


def decide_stance(article: Article, statements: list[Row]) -> dict[str, list[Row]]:
    """Decide each statement's stance with the model (and the lexicon where the model is unsure).

    Needs: `article.sentences`; `statements` (speaker, spans, cue and content texts, `lexicon_stance`,
    `lexicon_evidence`).
    Adds: `statements` columns `stance`, `stance_method`, `stance_evidence`, `stance_scores`, `stance_uncertain`.

    Raises:
        ModelNotInstalledError, ModelMismatchError: the stance model is missing or does not fit the encoder.
    """
    if not statements:
        return {"statements": []}
    from analysis.models.stance import StanceInput, predict_stance

    items = []
    for rec in statements:
        items.append(StanceInput(statement_passage(article, rec),
                                 speaker=_text(rec["speaker_text"]) or _text(rec["speaker"]),
                                 cue=_text(rec["cue_text"]), content=_text(rec["content_text"])))
    rows = []
    for rec, score in zip(statements, predict_stance(items), strict=True):
        label, method = combine(score.stance, score.scores, _text(rec["lexicon_stance"]))
        rows.append({"stance": label, "stance_method": method,
                     "stance_evidence": rec["lexicon_evidence"] if method == "lexicon" else None,
                     "stance_scores": {k: round(float(v), 4) for k, v in score.scores.items()},
                     "stance_uncertain": max(score.scores.values()) < UNCERTAIN_BELOW})
    return {"statements": rows}
