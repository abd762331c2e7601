"""A rule baseline for attribution spans on spaCy's dependency parse (measured by `analysis.evaluate quotes`).

Rules: a reporting verb (lexicon) is a cue together with its auxiliaries and negation; its nominal subject's subtree
is the source (the antecedent for `who` in a relative clause); its clausal complement's subtree is the content, or,
when the verb hangs off the quoted clause (`"...," X said`), the rest of the sentence. `according to X` is a cue with
X as source and the rest of the sentence as content. A quotation with no cue yet takes the nearest cue of the same
or the previous sentence.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from typing import Any

REPORTING_LEMMAS = frozenset(
    [
        "say",
        "tell",
        "claim",
        "state",
        "warn",
        "believe",
        "add",
        "argue",
        "note",
        "explain",
        "insist",
        "deny",
        "report",
        "write",
        "announce",
        "suggest",
        "think",
        "acknowledge",
        "admit",
        "allege",
        "assert",
        "contend",
        "declare",
        "emphasize",
        "stress",
        "predict",
        "promise",
        "reply",
        "respond",
        "testify",
        "confirm",
        "complain",
        "accuse",
        "urge",
        "ask",
        "describe",
        "recall",
        "reveal",
        "tweet",
        "post",
        "indicate",
        "find",
        "learn",
        "hope",
        "fear",
        "expect",
        "estimate",
        "concede",
        "agree",
        "maintain",
        "mention",
        "observe",
        "remark",
        "speculate",
        "vow",
        "pledge",
        "threaten",
        "boast",
        "joke",
        "quip",
        "lament",
        "caution",
        "hint",
        "conclude",
        "counter",
        "charge",
        "propose",
        "demand",
        "doubt",
        "wonder",
        "feel",
        "know",
        "argue",
        "criticize",
        "praise",
        "blame",
        "question",
        "dismiss",
        "call",
        "announce",
        "disclose",
        "insist",
        "recommend",
        "worry",
    ]
)
_QUOTE_RE = re.compile(r"[\"“][^\"“”]{3,}?[\"”]", re.S)
_TRAIL = " \t\n,;:—–-"


def _span(tokens: list[Any]) -> tuple[int, int] | None:
    toks = [t for t in tokens if not t.is_space]
    if not toks:
        return None
    return min(t.idx for t in toks), max(t.idx + len(t.text) for t in toks)


def _clean(text: str, span: tuple[int, int] | None) -> tuple[int, int] | None:
    if span is None:
        return None
    start, end = span
    while start < end and text[start] in _TRAIL:
        start += 1
    while end > start and (text[end - 1] in _TRAIL or (text[end - 1] == "." and text[start] not in '"“')):
        end -= 1
    return (start, end) if end > start else None


def _as_dict(text: str, span: tuple[int, int] | None) -> dict[str, Any] | None:
    return None if span is None else {"start": span[0], "end": span[1], "text": text[span[0] : span[1]]}


def _cue_relation(text: str, verb: Any) -> dict[str, Any] | None:
    cue_tokens = [verb] + [c for c in verb.children if c.dep_ in {"aux", "auxpass", "neg"} and c.i < verb.i]
    cue_tokens += [c for c in verb.children if c.dep_ == "prt"]
    source = None
    for child in verb.children:
        if child.dep_ in {"nsubj", "nsubjpass"}:
            subject = child
            if subject.tag_ in {"WP", "WDT"} and verb.dep_ == "relcl":
                subject = verb.head
                source = _span([t for t in subject.subtree if t.i < verb.i and t not in verb.subtree])
            else:
                source = _span(list(subject.subtree))
    content = None
    comps = [c for c in verb.children if c.dep_ in {"ccomp", "xcomp"}]
    if comps:
        content = _span([t for c in comps for t in c.subtree])
    elif verb.dep_ in {"ccomp", "parataxis"} and verb.head.i != verb.i:
        sent = verb.sent
        content = _span([t for t in sent if (t not in verb.subtree and not t.is_punct) or t.text in '"“”'])
    if content is None:
        return None
    return {"kind": "indirect", "speaker": source, "cue": _span(cue_tokens), "content": content}


def _according_to(verb: Any) -> dict[str, Any] | None:
    to = next((c for c in verb.children if c.lower_ == "to"), None)
    if to is None:
        return None
    obj = next((c for c in to.children if c.dep_ == "pobj"), None)
    if obj is None:
        return None
    phrase = {verb.i, to.i, *[t.i for t in obj.subtree]}
    sent = verb.sent
    rest = [t for t in sent if t.i not in phrase]
    return {"kind": "indirect", "speaker": _span(list(obj.subtree)), "cue": _span([verb, to]), "content": _span(rest)}


def rule_predictor(nlp: Any | None = None) -> Callable[[str], list[dict[str, Any]]]:
    """A `text -> statements` predictor from the rules above (parse time included)."""
    if nlp is None:
        from analysis.models.nlp import load_spacy

        nlp = load_spacy(paragraphs=False)

    def predict(text: str) -> list[dict[str, Any]]:
        doc = nlp(text)
        found: list[dict[str, Any]] = []
        for token in doc:
            rel = None
            if token.lower_ == "according" and token.i + 1 < len(doc) and doc[token.i + 1].lower_ == "to":
                rel = _according_to(token)
            elif token.pos_ == "VERB" and token.lemma_.lower() in REPORTING_LEMMAS:
                rel = _cue_relation(text, token)
            if rel:
                found.append(rel)
        covered = [r["content"] for r in found if r["content"]]
        for match in _QUOTE_RE.finditer(text):
            qs, qe = match.span()
            if any(s < qe and qs < e for s, e in covered):
                continue
            sents = [s for s in doc.sents if s.start_char <= qs < s.end_char + 1]
            if not sents:
                continue
            candidates = [r for r in found if r["cue"] and abs(r["cue"][0] - qs) < 400 and not r.get("quote_used")]
            if candidates:
                best = min(candidates, key=lambda r: abs(r["cue"][0] - qs))
                best["content"] = (min(best["content"][0], qs), max(best["content"][1], qe))
                best["quote_used"] = True
        out = []
        for rel in found:
            content = _clean(text, rel["content"])
            if content is None:
                continue
            kind = "direct" if text[content[0]] in '"“' else "indirect"
            out.append(
                {
                    "kind": kind,
                    "speaker": _as_dict(text, _clean(text, rel["speaker"])),
                    "cue": _as_dict(text, rel["cue"]),
                    "content": _as_dict(text, content),
                }
            )
        return out

    return predict
