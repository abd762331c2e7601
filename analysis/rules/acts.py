"""Stance-bearing acts: summoning an ambassador, lodging a protest, imposing sanctions, signing an agreement...

An act is found on spaCy's dependency parse: a verb of `_ACTS` whose object (when the act needs one) is of the right
kind, with a subject that can be an actor. Each act is reported as a statement of kind `action` by its subject.
"""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any, NamedTuple

_ENVOYS = frozenset({"ambassador", "envoy", "diplomat", "chargé", "charge", "attaché", "attache", "representative",
                     "consul", "emissary", "diplomats", "envoys", "ambassadors"})
_PROTEST_NOUNS = frozenset({"protest", "complaint", "objection", "note", "demarche", "démarche", "grievance",
                            "lawsuit", "suit", "case", "petition", "appeal"})
_PENALTIES = frozenset({"sanction", "sanctions", "tariff", "tariffs", "embargo", "ban", "restriction", "restrictions",
                        "penalty", "penalties", "levy", "duties", "measures", "blockade"})
_ACCORDS = frozenset({"agreement", "deal", "pact", "treaty", "accord", "memorandum", "declaration", "contract",
                      "partnership", "alliance", "charter", "protocol", "communique", "communiqué", "framework"})
_WEAPONS = frozenset({"missile", "missiles", "cannon", "shot", "shots", "rocket", "rockets", "drone", "drones",
                      "shell", "shells", "salvo", "flare", "flares", "torpedo", "round", "rounds"})
_FORCES = frozenset({"troops", "forces", "force", "soldiers", "warship", "warships", "ship", "ships", "vessel",
                     "vessels", "jets", "fighter", "fighters", "aircraft", "tanks", "units", "battalion", "brigade",
                     "army", "navy", "fleet", "reservists", "military"})
_TERRITORY = frozenset({"waters", "airspace", "territory", "zone", "border"})
_TIES = frozenset({"ties", "relations", "contact", "contacts", "cooperation"})

#: verb lemma -> (label, objects that make it an act or None for any, cue words to report)
_ACTS: dict[str, tuple[str, frozenset[str] | None]] = {
    "summon": ("protesting", _ENVOYS),
    "lodge": ("protesting", _PROTEST_NOUNS),
    "file": ("protesting", _PROTEST_NOUNS),
    "submit": ("protesting", _PROTEST_NOUNS),
    "deliver": ("protesting", frozenset({"protest", "note", "demarche", "démarche", "complaint"})),
    "register": ("protesting", frozenset({"protest", "complaint", "objection"})),
    "protest": ("protesting", None),
    "boycott": ("protesting", None),
    "demonstrate": ("protesting", None),
    "march": ("protesting", None),
    "rally": ("protesting", None),
    "picket": ("protesting", None),
    "recall": ("protesting", _ENVOYS),
    "suspend": ("protesting", None),
    "sue": ("protesting", None),
    "impose": ("threatening", _PENALTIES),
    "slap": ("threatening", _PENALTIES),
    "announce": ("threatening", _PENALTIES),
    "extend": ("threatening", _PENALTIES),
    "tighten": ("threatening", _PENALTIES),
    "expand": ("threatening", _PENALTIES),
    "expel": ("threatening", None),
    "detain": ("threatening", None),
    "arrest": ("threatening", None),
    "fire": ("threatening", _WEAPONS),
    "launch": ("threatening", _WEAPONS | frozenset({"strike", "strikes", "attack", "attacks", "offensive", "raid"})),
    "deploy": ("threatening", _FORCES),
    "mobilize": ("threatening", _FORCES),
    "mobilise": ("threatening", _FORCES),
    "mass": ("threatening", _FORCES),
    "place": ("threatening", _FORCES),
    "put": ("threatening", _FORCES),
    "enter": ("threatening", _TERRITORY),
    "cut": ("threatening", _TIES),
    "sever": ("threatening", _TIES),
    "sign": ("supportive", _ACCORDS),
    "conclude": ("supportive", _ACCORDS),
    "seal": ("supportive", _ACCORDS),
    "ink": ("supportive", _ACCORDS),
    "forge": ("supportive", _ACCORDS),
    "pass": ("protesting", frozenset({"resolution", "motion"})),
    "adopt": ("protesting", frozenset({"resolution", "motion"})),
}
#: acts with `place`/`put` count only with "on alert" / "on standby"
_ALERT = frozenset({"alert", "standby", "readiness"})
_OBJECT_DEPS = frozenset({"dobj", "obj", "attr", "nsubjpass", "pobj", "dative", "oprd"})
_SKIP_CHILD_DEPS = frozenset({"nsubj", "nsubjpass", "csubj", "conj", "cc", "punct", "mark", "advmod", "aux",
                              "auxpass", "neg"})


class Act(NamedTuple):
    """One act found in the parse (token indexes into the doc)."""

    verb: int
    subject: tuple[int, int] | None  # token range of the subject phrase
    cue: tuple[int, int]  # token range of the cue (the verb and its particle)
    content: tuple[int, int]  # token range of the act's description (the verb phrase)
    label: str
    lemma: str


def _objects(verb: Any) -> list[Any]:
    objs = []
    for child in verb.children:
        if child.dep_ in _OBJECT_DEPS:
            objs.append(child)
        elif child.dep_ in ("prep", "agent"):
            objs.extend(g for g in child.children if g.dep_ == "pobj")
    # a passive verb's object is its subject: "sanctions were imposed"
    return objs


def _subject(verb: Any) -> Any | None:
    for child in verb.children:
        if child.dep_ in ("nsubj",):
            return child
    for child in verb.children:  # passive: "... were imposed by the EU"
        if child.dep_ == "agent":
            return next((g for g in child.children if g.dep_ == "pobj"), None)
    if verb.dep_ in ("conj", "xcomp") and verb.head.pos_ in ("VERB", "AUX"):  # "summoned ... and lodged ..."
        return _subject(verb.head)
    if verb.dep_ in ("acl", "relcl") and verb.head.pos_ in ("NOUN", "PROPN"):
        return verb.head
    return None


def _phrase(token: Any) -> tuple[int, int]:
    sub = list(token.subtree)
    return sub[0].i, sub[-1].i + 1


def _content(verb: Any) -> tuple[int, int]:
    keep = [verb]
    for child in verb.children:
        if child.dep_ not in _SKIP_CHILD_DEPS:
            keep.extend(child.subtree)
    idx = sorted(t.i for t in keep)
    start, end = idx[0], idx[-1] + 1
    doc = verb.doc
    while end > start + 1 and (doc[end - 1].is_punct or doc[end - 1].is_space):
        end -= 1
    return start, end


def stance_acts(doc: Any) -> Iterator[Act]:
    """Yield the stance-bearing acts of a parsed doc, in text order."""
    for token in doc:
        if token.pos_ not in ("VERB", "AUX") or token.lemma_.lower() not in _ACTS:
            continue
        lemma = token.lemma_.lower()
        label, objects = _ACTS[lemma]
        objs = _objects(token)
        if objects is not None and not any(o.lower_ in objects or o.lemma_.lower() in objects for o in objs):
            continue
        if lemma in ("place", "put") and not any(t.lower_ in _ALERT for t in token.subtree):
            continue
        if lemma == "announce" and not any(o.lower_ in ("sanction", "sanctions", "tariffs", "embargo") for o in objs):
            continue
        if any(child.dep_ == "neg" for child in token.children):
            continue  # "did not sign"
        cue_end = token.i + 1
        for child in token.children:  # "walk out", "lodge ... protest"
            if child.dep_ == "prt" and child.i == cue_end:
                cue_end = child.i + 1
        subject = _subject(token)
        yield Act(
            verb=token.i,
            subject=_phrase(subject) if subject is not None else None,
            cue=(token.i, cue_end),
            content=_content(token),
            label=label,
            lemma=lemma + (" " + doc[cue_end - 1].lower_ if cue_end > token.i + 1 else ""),
        )
