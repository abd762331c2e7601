"""The stance stage: the stance model decides each statement's stance, with every label's probability.

Each statement goes to the model as its attribution parts, as the model was trained: the speaker as written (or the
actor's name), the cue, the content, and the sentence(s) holding them for context. All statements of an article go
through the model in one batched call. Where the model is unsure (its top probability under `LEXICON_BELOW`) and the
cue-and-phrase lexicon found a stance, the lexicon's label stands (`stance_method` = `lexicon`, with its evidence);
otherwise the model's (`model`). `stance_scores` always holds the model's six probabilities. On the dev set this
combination scores macro-F1 0.604 against 0.585 for the model alone (`python -m analysis.evaluate stance`; the
threshold was chosen on that set, so the gain is optimistic).
"""

from __future__ import annotations

from typing import Any

import pandas as pd

from analysis.schema import conform, is_missing
from analysis.stages.article import Article

#: below this top probability of the model, a stance the lexicon found decides
LEXICON_BELOW = 0.7
#: longest passage given as context, in characters (the model crops to its own token budget)
_CONTEXT_CHARS = 800


def _text(value: Any) -> str | None:
    return None if is_missing(value) or not str(value).strip() else str(value)


def _passage(article: Article, bounds: list[tuple[int, int]], start: int, end: int) -> str:
    lo = next((s for s, e in bounds if s <= start < e), start)
    hi = next((e for s, e in bounds if s < end <= e), end)
    if hi - lo > _CONTEXT_CHARS:
        lo, hi = start, min(end, start + _CONTEXT_CHARS)
    return article.text[lo:hi]


def combine(model_label: str, model_scores: dict[str, float], lexicon_label: str | None) -> tuple[str, str]:
    """(label, method): the model's label, unless it is unsure and the lexicon found a stance."""
    if lexicon_label and lexicon_label != "neutral" and model_scores[model_label] < LEXICON_BELOW:
        return lexicon_label, "lexicon"
    return model_label, "model"


def model_stance(article: Article, statements: pd.DataFrame) -> pd.DataFrame:
    """Return `statements` with `stance`, `stance_method`, `stance_evidence` and `stance_scores` from the model.

    Raises:
        ModelNotInstalledError, ModelMismatchError: the stance model is missing or does not fit the encoder.
    """
    if not len(statements):
        return statements
    from analysis.models.stance import StanceInput, predict_stance

    bounds = [(s.start_char, s.end_char) for s in article.doc.sents] if article.doc is not None else []
    items = []
    for rec in statements.to_dict(orient="records"):
        starts = [int(rec[k]) for k in ("speaker_start", "cue_start", "content_start") if not is_missing(rec[k])]
        ends = [int(rec[k]) for k in ("speaker_end", "cue_end", "content_end") if not is_missing(rec[k])]
        items.append(StanceInput(_passage(article, bounds, min(starts), max(ends)),
                                 speaker=_text(rec["speaker_text"]) or _text(rec["speaker"]),
                                 cue=_text(rec["cue_text"]), content=_text(rec["content_text"])))
    scores = predict_stance(items)
    decided = [combine(s.stance, s.scores, _text(lex)) for s, lex in zip(scores, statements["stance"], strict=True)]
    out = statements.copy()
    out["stance"] = pd.array([d[0] for d in decided], dtype="string")
    out["stance_method"] = pd.array([d[1] for d in decided], dtype="string")
    out["stance_evidence"] = pd.array([ev if d[1] == "lexicon" else None
                                       for d, ev in zip(decided, statements["stance_evidence"], strict=True)],
                                      dtype="string")
    out["stance_scores"] = [{k: round(float(v), 4) for k, v in s.scores.items()} for s in scores]
    return conform("statements", out)
