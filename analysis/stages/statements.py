"""Statements: who said or did what, with which cue, attributed to an actor.

Spans come from the attribution tagger (`analysis.models.attribution`: source, cue and content of quoted and reported
speech) and from the parse (`analysis.rules.acts`: summoning an ambassador, imposing sanctions, signing an agreement).
This stage links each speaker span to an actor (a pronoun or a description such as "the spokesperson" to the actor
it refers back to), names the outlet a statement was reported through ("according to The Guardian"), decides the
kind (direct, indirect, mixed, action) and gives each statement the lexicon's provisional stance.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass, field
from functools import cached_property
from typing import Any

from analysis.rules.acts import stance_acts
from analysis.rules.gazetteer import load_gazetteer
from analysis.rules.lexicon import lexicon_stance
from analysis.schema import Row
from analysis.stages.article import LINK_LIST, Article, furniture_spans, in_spans
from analysis.stages.geo import StoryGeo, story_geo

_QUOTE_CHARS = '"“”„«»‘’\''
_OPEN_QUOTES = '"“„«'
_PRONOUNS_PERSON = frozenset({"he", "she", "him", "her", "his"})
_PRONOUNS_GROUP = frozenset({"it", "they", "we", "its", "their"})
#: nouns of descriptions that refer back to a person by role ("the spokesperson", "the minister")
_ROLE_WORDS = {
    "spokesperson": ("spokesperson", "spokesman", "spokeswoman"),
    "spokesman": ("spokesperson", "spokesman", "spokeswoman"),
    "spokeswoman": ("spokesperson", "spokesman", "spokeswoman"),
}
#: descriptions that refer back to a body
_BODY_WORDS = frozenset({"ministry", "department", "agency", "office", "board", "body", "bloc", "alliance", "council",
                         "commission", "government", "administration", "junta", "military", "army", "group",
                         "movement", "organisation", "organization", "court", "embassy", "company", "party",
                         "union", "coalition", "presidency", "kremlin", "committee", "association", "federation",
                         "institute", "chamber", "authority", "regulator", "firm"})
#: the kinds of actor a description can refer back to ("the bloc" is an international body, not a country)
_BODY_KINDS: dict[str, tuple[str, ...]] = {
    "bloc": ("international",), "alliance": ("international",), "body": ("international", "organization"),
    "union": ("international",), "council": ("international", "organization"),
    "commission": ("international", "organization"), "junta": ("organization", "group"),
    "military": ("organization",), "army": ("organization",), "movement": ("group",), "group": ("group",),
    "government": ("country",), "administration": ("country",), "presidency": ("country", "organization"),
    "kremlin": ("country",), "association": ("organization", "group", "international"),
    "federation": ("organization", "group", "international"), "institute": ("organization",),
    "chamber": ("organization",), "authority": ("organization",), "regulator": ("organization",),
    "firm": ("organization",),
}
_MEDIA_CUES = frozenset({"according to", "report", "cite", "quote"})
_HEADLINE_MAX = 200
_MAX_TARGETS = 5
#: cues whose grammatical subject is their speaker, where the tagger found none ("Seoul has also said ...")
_SPEECH_VERBS = frozenset("""
say tell add state claim warn announce accuse insist argue note write believe think deny confirm explain suggest
report urge call vow stress acknowledge admit ask reply respond declare assert contend maintain predict promise
threaten condemn criticize criticise praise welcome reiterate emphasize emphasise caution allege charge complain
concede demand estimate hope fear recall reveal signal tweet post testify describe dismiss reject blame hail
""".split())
_QUOTED = re.compile(r"[\"“„«]([^\"“”„«»]{2,}?)[\"”»]")
#: a content fragment must hold a word beyond a relative pronoun or conjunction ("who", "that")
_WORDY = re.compile(r"(?i)\b(?!(?:who|which|that|and|but|as|the|a|an|of|to)\b)[^\W\d_]{2,}")


@dataclass
class _Statement:
    kind: str
    cue: tuple[int, int] | None  # character spans
    content: list[tuple[int, int]]
    source: tuple[int, int] | None = None
    cue_lemma: str | None = None
    speaker_actor_id: str | None = None
    outlet: str | None = None
    act_label: str | None = None
    sentence: int = 0
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def start(self) -> int:
        return min([s for s, _ in self.content] + ([self.cue[0]] if self.cue else []))


class _Context:
    """What the linking steps need: the doc, its actors and mentions, sorted for lookups."""

    def __init__(self, article: Article, actors: list[Row], mentions: list[Row]) -> None:
        self.doc = article.doc
        self.text = article.text
        self.actors = {r["actor_id"]: r for r in actors}
        self.mentions = sorted(mentions, key=lambda m: m["start"])
        self.geo = StoryGeo()  # where the story is set: read once the statements are found

    def mentions_in(self, start: int, end: int) -> list[dict[str, Any]]:
        return [m for m in self.mentions if m["start"] < end and m["end"] > start]

    def kind(self, actor_id: str) -> str:
        return str(self.actors[actor_id]["kind"])

    @cached_property
    def genders(self) -> dict[str, str]:
        """Person actor id -> "f" or "m", as the article's own pronouns and honorifics say (see `_genders`)."""
        return _genders(self)


_HONORIFIC = {"mr": "m", "mr.": "m", "ms": "f", "ms.": "f", "mrs": "f", "mrs.": "f", "miss": "f", "madam": "f",
              "sir": "m", "lady": "f", "lord": "m"}
_SHE, _HE = frozenset({"she", "her", "hers", "herself"}), frozenset({"he", "him", "his", "himself"})


def _genders(ctx: _Context) -> dict[str, str]:
    """Each person's grammatical gender as the article uses it: an honorific before a mention ("Ms. Duval"), else
    the first personal pronoun after a sentence that names that person and no other (in it or the next sentence),
    by majority. Persons the text never refers to so stay unknown."""
    votes: dict[str, list[str]] = {}
    people = [m for m in ctx.mentions if ctx.kind(m["actor_id"]) == "person"]
    for m in people:
        before = ctx.text[max(0, m["start"] - 6):m["start"]].split()
        if before and before[-1].lower() in _HONORIFIC:
            votes.setdefault(m["actor_id"], []).extend([_HONORIFIC[before[-1].lower()]] * 3)
    sents = list(ctx.doc.sents)
    for i, sent in enumerate(sents):
        named = {m["actor_id"] for m in people if sent.start_char <= m["start"] < sent.end_char}
        if len(named) != 1:
            continue
        (who,) = named
        last = max(m["end"] for m in people if m["actor_id"] == who and sent.start_char <= m["start"] < sent.end_char)
        window = [t for t in sent if t.idx >= last] + (list(sents[i + 1]) if i + 1 < len(sents) else [])
        for t in window:
            if t.idx > last and t.ent_type_ == "PERSON":
                break  # someone else is named before a pronoun comes
            if t.lower_ in _SHE or t.lower_ in _HE:
                votes.setdefault(who, []).append("f" if t.lower_ in _SHE else "m")
                break
    out = {}
    for who, got in votes.items():
        f, m = got.count("f"), got.count("m")
        if f != m:
            out[who] = "f" if f > m else "m"
    return out


def headline_end(text: str) -> int:
    """Return where a leading headline line ends (0 when the text has none).

    A headline is a first line of at most 200 characters, without a final full stop, followed by a line break.
    """
    first, sep, _ = text.partition("\n")
    line = first.strip()
    if sep and line and len(line) <= _HEADLINE_MAX and not line.endswith((".", "”", '"', "’")):
        return len(first)
    return 0


def trailer_start(text: str) -> int:
    """Where a trailing list of links ("Read more:", "Related:") starts: statements there are other articles'."""
    matches = list(LINK_LIST.finditer(text))
    return matches[-1].start() if matches else len(text)


def _clipped(text: str, fragments: list[tuple[int, int]], outside: list[tuple[int, int]]) -> list[tuple[int, int]]:
    """The fragments with the parts that lie in `outside` spans cut off their ends (whitespace trimmed); fragments
    left empty are dropped."""
    out = []
    for start, end in fragments:
        for lo, hi in outside:
            if lo <= start < hi:
                start = hi
            if lo < end <= hi:
                end = lo
        while start < end and text[start].isspace():
            start += 1
        while end > start and text[end - 1].isspace():
            end -= 1
        if start < end:
            out.append((start, end))
    return out


def _char_span_tokens(doc: Any, start: int, end: int) -> Any:
    return doc.char_span(start, end, alignment_mode="expand")


def _link_span(ctx: _Context, start: int, end: int) -> str | None:
    """The actor a speaker span names: the mention holding the span's head, else a person, body, or country in it."""
    inside = ctx.mentions_in(start, end)
    span = _char_span_tokens(ctx.doc, start, end)
    if not inside and span is not None:  # "officials" tagged alone: look at its noun phrase, "US officials"
        start, end = _noun_phrase(span.root)
        inside = ctx.mentions_in(start, end)
    if not inside:
        return None
    if span is not None:
        root = span.root
        for m in inside:
            if m["start"] <= root.idx < m["end"]:
                return str(m["actor_id"])
        if any(t.dep_ == "cc" for t in span):  # "Putin and Kim": the first of them
            return str(inside[0]["actor_id"])
    order = {"person": 0, "organization": 1, "international": 1, "group": 1, "media": 2, "country": 3}
    best = min(inside, key=lambda m: (order.get(ctx.kind(m["actor_id"]), 4), m["start"]))
    return str(best["actor_id"])


def _refer_back(ctx: _Context, start: int, end: int, before: int, previous: list[_Statement]) -> str | None:
    """Resolve a pronoun or a description ("he", "the spokesperson", "the ministry") to an earlier actor."""
    words = [w.lower() for w in re.findall(r"[\w’'-]+", ctx.text[start:end])]
    if not words:
        return None
    head = words[-1]
    if len(words) == 1 and head in ("who", "which", "that"):  # "Orlov, who claimed ...": the antecedent
        span = _char_span_tokens(ctx.doc, start, end)
        verb = span.root.head if span is not None else None
        if verb is not None and verb.dep_ == "relcl":
            return _link_span(ctx, *_noun_phrase(verb.head))
        return None
    earlier = [m for m in ctx.mentions if m["end"] <= before]
    recent_speakers = [s.speaker_actor_id for s in previous if s.speaker_actor_id and s.start < before]
    if len(words) == 1 and head in _PRONOUNS_PERSON:
        wanted = "f" if head in _SHE else "m"

        def fits(actor_id: str) -> bool:  # "she" is never a man the article calls "he"
            return ctx.kind(actor_id) == "person" and ctx.genders.get(actor_id) in (None, wanted)

        for actor_id in reversed(recent_speakers[-2:]):
            if fits(actor_id):
                return actor_id
        people = [m for m in earlier if fits(m["actor_id"])]
        return str(people[-1]["actor_id"]) if people else None
    if len(words) == 1 and head in _PRONOUNS_GROUP:
        for actor_id in reversed(recent_speakers[-2:]):
            if ctx.kind(actor_id) != "person":
                return actor_id
        # else the latest state or body that was the subject of a clause in this or the previous sentence
        here = _char_span_tokens(ctx.doc, start, end)
        first = here.sent.start if here is not None else 0
        if here is not None and first > 0:
            first = ctx.doc[first - 1].sent.start
        for m in reversed(earlier):
            token = ctx.doc.char_span(m["start"], m["end"], alignment_mode="expand")
            if token is None or token.start < first:
                break
            if ctx.kind(m["actor_id"]) not in ("person", "media") and token.root.dep_ in ("nsubj", "nsubjpass"):
                return str(m["actor_id"])
        return None
    if words[0] not in ("the", "this", "that", "its", "his", "her", "their"):
        return None
    roles = _ROLE_WORDS.get(head, (head,))
    for m in reversed(earlier):
        actor = ctx.actors[m["actor_id"]]
        role = str(actor["role"]).lower() if isinstance(actor["role"], str) else ""
        if actor["kind"] == "person" and any(r in role.split() for r in roles):
            return str(m["actor_id"])
    if head in _BODY_WORDS:
        for m in reversed(earlier):
            actor = ctx.actors[m["actor_id"]]
            if actor["kind"] in ("organization", "international", "group") and head in str(actor["name"]).lower():
                return str(m["actor_id"])
        kinds = _BODY_KINDS.get(head, ("organization", "international", "group"))
        for actor_id in reversed(recent_speakers):  # "the bloc said" after ECOWAS spoke
            if ctx.kind(actor_id) in kinds:
                return actor_id
        for m in reversed(earlier):  # else the latest body of that kind named before
            if ctx.kind(m["actor_id"]) in kinds:
                return str(m["actor_id"])
    return None


def statement_kind(text: str, content: Sequence[tuple[int, int]]) -> str:
    """direct when every content fragment is a quotation, mixed when a quotation is inside, else indirect."""
    parts = []
    for start, end in content:
        a, b = start, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and (text[b - 1].isspace() or text[b - 1] in ",.;:"):
            b -= 1
        parts.append((a, b))
    quoted = 0
    inner = False
    for a, b in parts:
        before = text[max(0, a - 1):a]
        after = text[b:b + 2]
        body = text[a:b]
        opens = (body[:1] and body[:1] in _OPEN_QUOTES) or (before and before in _OPEN_QUOTES)
        closes = body[-1:] in '"”»' or any(c in '"”»' for c in after)
        if opens and closes:
            quoted += 1
        elif any(c in _OPEN_QUOTES + "”" for c in body):
            inner = True
    if quoted == len(parts):
        return "direct"
    return "mixed" if inner or quoted else "indirect"


def _lemma(doc: Any, start: int, end: int) -> str:
    span = _char_span_tokens(doc, start, end)
    if span is None:
        return doc.text[start:end].lower()
    words = [t for t in span if not t.is_punct]
    if len(words) > 1 and words[0].lower_ == "according":
        return "according to"
    verbs = [t for t in words if t.pos_ in ("VERB", "AUX") and t.lemma_.lower() not in ("be", "have", "do", "will")]
    if verbs:
        return verbs[0].lemma_.lower()
    return " ".join(t.lemma_.lower() for t in words) or doc.text[start:end].lower()


def _parse_source(doc: Any, cue: tuple[int, int]) -> tuple[int, int] | None:
    """The speaker the parse gives a cue where the tagger gave none: the verb's subject ("who" -> its antecedent),
    or the object of "according to"."""
    span = _char_span_tokens(doc, *cue)
    if span is None:
        return None
    verb = span.root
    if verb.lower_ == "according" or (verb.lower_ == "to" and verb.head.lower_ == "according"):
        prep = verb if verb.lower_ == "to" else next((c for c in verb.children if c.lower_ == "to"), None)
        obj = next((c for c in prep.children if c.dep_ == "pobj"), None) if prep is not None else None
        return _noun_phrase(obj) if obj is not None else None
    subj = next((c for c in verb.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subj is None and verb.dep_ == "conj":
        subj = next((c for c in verb.head.children if c.dep_ in ("nsubj", "nsubjpass")), None)
    if subj is None:
        return None
    if subj.tag_ in ("WP", "WDT") and verb.dep_ == "relcl":  # "Zinoviev, who claimed that ..."
        subj = verb.head
    name = next((c for c in subj.children if c.dep_ == "appos" and c.pos_ == "PROPN"), None)
    if name is not None:  # "A spokesperson for the Foreign Ministry, Zhao Minglu,": the name
        return _noun_phrase(name)
    return _noun_phrase(subj, keep_preps=True)


def _parse_content(doc: Any, cue: tuple[int, int], *, has_source: bool = False) -> list[tuple[int, int]]:
    """What the parse says a cue introduces, where the tagger found no content: its clausal complement
    ("said [that ...]"), or the clause it is attached to ("[...], he said")."""
    span = _char_span_tokens(doc, *cue)
    if span is None:
        return []
    verb = span.root
    clause = next((c for c in verb.children if c.dep_ in ("ccomp", "xcomp") and c.i > verb.i), None)
    if clause is not None:
        sub = list(clause.subtree)
    elif verb.dep_ in ("parataxis", "ccomp") and verb.head.i < verb.i:
        own = {t.i for t in verb.subtree}
        sub = [t for t in verb.head.subtree if t.i not in own and t.i < min(own)]
    elif has_source or verb.lemma_.lower() in _SPEECH_VERBS:  # "X said in an interview [...]": rest of sentence
        own = set(range(span.start, span.end))
        own |= {t.i for c in verb.children if c.dep_ in ("nsubj", "nsubjpass") for t in c.subtree}
        sub = [t for t in verb.sent if t.i not in own and t.i > max(own)] or \
              [t for t in verb.sent if t.i not in own and t.i < min(own)]
    else:
        return []
    words = [t for t in sub if not (t.is_punct or t.is_space)]
    if len(words) < 3:
        return []
    return [(words[0].idx, words[-1].idx + len(words[-1]))]


def _description(text: str, span: tuple[int, int]) -> bool:
    """A definite description that can refer back to a body or a role ("The council", "the spokeswoman")."""
    words = re.findall(r"[\w’'-]+", text[span[0]:span[1]].lower())
    return len(words) in (2, 3) and words[0] in ("the", "its", "this") and (words[-1] in _BODY_WORDS
                                                                          or words[-1] in _ROLE_WORDS)


_APPOSITIVE_NAME = re.compile(r",\s+([^,;.]{3,60}?),")


def _appositive_name(ctx: _Context, source: tuple[int, int]) -> tuple[int, int]:
    """A role given as the speaker, with the name set off after it ("Russia’s deputy foreign minister, Arkady
    Lyubimov, said"): the name is the speaker."""
    if any(ctx.kind(m["actor_id"]) == "person" for m in ctx.mentions_in(*source)):
        return source
    m = _APPOSITIVE_NAME.match(ctx.text, source[1])
    if m is None:
        return source
    people = [x for x in ctx.mentions_in(m.start(1), m.end(1)) if ctx.kind(x["actor_id"]) == "person"]
    if len(people) == 1 and people[0]["start"] == m.start(1) and people[0]["end"] == m.end(1):
        return people[0]["start"], people[0]["end"]
    return source


def _is_pronoun(doc: Any, span: tuple[int, int]) -> bool:
    tokens = _char_span_tokens(doc, *span)
    return tokens is not None and len(tokens) == 1 and tokens[0].pos_ == "PRON"


def _noun_phrase(token: Any, *, keep_preps: bool = False) -> tuple[int, int]:
    """Character span of a noun phrase: the token with its modifiers, without relative clauses or appositions (and
    without prepositional phrases unless `keep_preps`: "a spokesman for the ministry")."""
    keep = [token]
    drop = ("relcl", "appos", "punct", "acl", "cc", "conj") + (() if keep_preps else ("prep",))
    for child in token.children:
        if child.dep_ not in drop or child.i < token.i:
            keep.extend(child.subtree)
    idx = sorted(t.i for t in keep)
    doc = token.doc
    return doc[idx[0]].idx, doc[idx[-1]].idx + len(doc[idx[-1]])


def _from_attributions(ctx: _Context, raw: Sequence[Any], skip_before: int, skip_after: int) -> list[_Statement]:
    out = []
    for a in raw:
        content = [(s.start, s.end) for s in a.content if _WORDY.search(s.text)]
        cue = (a.cue.start, a.cue.end) if a.cue else None
        if not content and cue is not None:
            content = _parse_content(ctx.doc, cue, has_source=a.source is not None)
        if not content:
            continue
        anchor = cue[0] if cue else content[0][0]
        if anchor < skip_before or anchor >= skip_after:
            continue
        if cue is not None and _infinitive_cue(ctx.doc, cue):
            continue  # "to instruct", "to consider": a purpose or a plan, not a statement (a fragment)
        represents = cue is not None and re.match(r"(?:.*\s)?for\b", ctx.text[cue[0]:cue[1] + 4])
        if represents and _lemma(ctx.doc, *cue) == "speak":
            continue  # "the association, which speaks for millions of farmers": whom it represents, not a statement
        content = [_whole_phrase(ctx.doc, s, e) for s, e in content]
        source = (a.source.start, a.source.end) if a.source else None
        if source is None and cue is not None and _lemma(ctx.doc, *cue) in _SPEECH_VERBS:
            found = _parse_source(ctx.doc, cue)
            if found and (ctx.mentions_in(*found) or _is_pronoun(ctx.doc, found) or _description(ctx.text, found)):
                source = found
        stmt = _Statement(kind=statement_kind(ctx.text, content), cue=cue, content=content, source=source)
        stmt.cue_lemma = _lemma(ctx.doc, *cue) if cue else None
        out.append(stmt)
    return out


def _infinitive_cue(doc: Any, cue: tuple[int, int]) -> bool:
    """Whether a cue is an infinitive fragment ("to instruct"): it starts with "to" before a bare verb."""
    span = _char_span_tokens(doc, *cue)
    return span is not None and len(span) >= 2 and span[0].lower_ == "to" and span[1].tag_ == "VB"


def _whole_phrase(doc: Any, start: int, end: int) -> tuple[int, int]:
    """A content span that stops inside a phrase ("... the additional tariffs came a") grown to the end of the
    phrase its last word belongs to, within its sentence: a statement's content is a clause, never a cut phrase."""
    span = _char_span_tokens(doc, start, end)
    if span is None or not len(span):
        return start, end
    last = span[-1]
    sent_end = last.sent.end
    grow = last.i
    while grow + 1 < sent_end and doc[grow].dep_ in ("det", "amod", "compound", "nummod", "poss", "case", "prep",
                                                     "aux", "neg", "nmod") and doc[grow].head.i > grow:
        grow = doc[grow].head.i
    if grow == last.i:
        return start, end
    return start, doc[grow].idx + len(doc[grow])


def _from_acts(ctx: _Context, statements: list[_Statement], skip_before: int, skip_after: int) -> list[_Statement]:
    """Acts from the parse that no attribution covers (an act inside a quote is part of what was said).

    Where the tagger took an act's verb for a cue ("summoned", "signed"), that statement becomes the act.
    """
    doc = ctx.doc
    taken = [(s, e) for stmt in statements for s, e in stmt.content]
    acts = list(stance_acts(doc))
    out: list[_Statement] = []
    spans = [(doc[a.content[0]].idx, doc[a.content[1] - 1].idx + len(doc[a.content[1] - 1])) for a in acts]
    for a, (cs, ce) in zip(acts, spans, strict=True):
        verb = doc[a.verb]
        if verb.idx < skip_before or verb.idx >= skip_after or a.subject is None:
            continue
        as_cue = next((stmt for stmt in statements if stmt.cue and stmt.cue[0] <= verb.idx < stmt.cue[1]), None)
        if as_cue is not None:  # the act, described by its own verb phrase
            as_cue.kind, as_cue.act_label, as_cue.cue_lemma, as_cue.content = "action", a.label, a.lemma, [(cs, ce)]
            if as_cue.source is None:  # "The EU imposed tariffs and filed a complaint": the shared subject
                subj = doc[a.subject[0]:a.subject[1]]
                as_cue.source = (subj.start_char, subj.end_char)
            continue
        if any(s <= verb.idx < e for s, e in taken):
            continue
        if any(s <= verb.idx < e and (s, e) != (cs, ce) for s, e in spans):
            continue  # "summoned the ambassador to protest": the protest is part of the summons
        subj = doc[a.subject[0]:a.subject[1]]
        cue_span = doc[a.cue[0]:a.cue[1]]
        stmt = _Statement(kind="action", cue=(cue_span.start_char, cue_span.end_char), content=[(cs, ce)],
                        source=(subj.start_char, subj.end_char), cue_lemma=a.lemma, act_label=a.label)
        out.append(stmt)
    return out


#: "... in a statement that sparked outrage from Z": a reaction reported inside another statement is Z's own
_REACTION = re.compile(
    r"\b(?:sparked|sparking|drew|drawing|draws|prompted|prompting|triggered|triggering|provoked|provoking|"
    r"earned|earning|won|winning)\s+(?:an?\s+)?(?:angry\s+|sharp\s+|swift\s+|strong\s+|immediate\s+)?"
    r"(outrage|anger|fury|condemnation|criticism|rebuke|protests?|concern|alarm|praise|support|welcome)"
    r"\s+from\s+", re.IGNORECASE)
_REACTION_LABEL = {"outrage": "outraged", "anger": "outraged", "fury": "outraged", "condemnation": "outraged",
                   "criticism": "outraged", "rebuke": "outraged", "protest": "protesting", "protests": "protesting",
                   "concern": "concerned", "alarm": "concerned", "praise": "supportive", "support": "supportive",
                   "welcome": "supportive"}
#: where the clause that reports the reaction starts, just before its verb ("in a statement that", "which")
_REACTION_CLAUSE = re.compile(r"(?:,?\s+in\s+an?\s+\w+(?:\s+\w+)?\s+that|,?\s+which|,\s+a\s+move\s+that|"
                              r",?\s+that)\s*$", re.IGNORECASE)


def _token_at(doc: Any, char: int) -> int:
    """Index of the first token starting at or after a character offset."""
    return next((t.i for t in doc if t.idx >= char), len(doc))


def _reactor(ctx: _Context, start: int) -> tuple[int, int] | None:
    """The noun phrase after "... outrage from" (its object: "Russian ambassador Georgy Zinoviev"), when it names an
    actor; else None."""
    at = _token_at(ctx.doc, start)
    before = [t for t in ctx.doc[max(0, at - 2):at] if t.lower_ == "from"]
    obj = next((c for c in before[-1].children if c.dep_ == "pobj"), None) if before else None
    if obj is None:
        return None
    span = _noun_phrase(obj)
    return span if ctx.mentions_in(*span) else None


def _reactions(ctx: _Context, statements: list[_Statement], skip_before: int, skip_after: int) -> list[_Statement]:
    """Reactions reported inside a statement ("Seoul said it would arm Ukraine in a statement that sparked outrage
    from Russia's ambassador"): each becomes its reactor's own statement (kind action, cue "sparked outrage",
    labelled by the reaction's noun), and the statement it sat in ends before the clause that reports it."""
    out: list[_Statement] = []
    for m in _REACTION.finditer(ctx.text):
        if m.start() < skip_before or m.start() >= skip_after:
            continue
        source = _reactor(ctx, m.end())
        if source is None:
            continue
        source_end = source[1]
        cue = (m.start(), m.end(1))
        stmt = _Statement(kind="action", cue=cue, content=[(m.start(), source_end)], source=source,
                          cue_lemma=m.group(1).lower(), act_label=_REACTION_LABEL[m.group(1).lower()])
        out.append(stmt)
        for host in statements:
            if host.cue and host.cue[0] <= m.start() and any(s <= m.start() < e for s, e in host.content):
                clause = _REACTION_CLAUSE.search(ctx.text, 0, m.start())
                cut = clause.start() if clause and m.start() - clause.start() < 40 else m.start()
                host.content = _clipped(ctx.text, host.content, [(cut, max(e for _, e in host.content))])
    return out


#: a quote paragraph whose speaker is named after it: "“...” The warning came from Sigrid Aasen, a researcher ..."
_POST_SPEAKER = re.compile(
    r"\s*(?:The|That|This|Those|These|Such)\s+(?P<cue>warning|remarks?|comments?|words|assessment|criticism|appeal|"
    r"call|message|plea|threat|verdict|view|prediction|forecast|complaint|rebuke)\s+(?:came|comes|was|were)\s+from\s+"
    r"(?P<who>[^.,;:()]+)")
_POST_CUE_LEMMA = {"warning": "warn", "threat": "threaten", "criticism": "criticize", "prediction": "predict",
                   "assessment": "assess", "complaint": "complain", "rebuke": "rebuke"}


def _post_speakers(ctx: _Context, statements: list[_Statement]) -> list[_Statement]:
    """Quote paragraphs that name their speaker only after the quote ("“…” The warning came from X, …"): the quote
    becomes X's own statement, and leaves the statement of an earlier paragraph it had been joined to."""
    text = ctx.text
    out: list[_Statement] = []
    for m in _POST_SPEAKER.finditer(text):
        para = text.rfind("\n", 0, m.start()) + 1
        before = text[para:m.start()].strip()
        if not before or before[0] not in _OPEN_QUOTES or before[-1] not in _QUOTE_CHARS:
            continue  # only a paragraph that is a quote up to this sentence
        who = (m.start("who"), m.end("who") - (len(m.group("who")) - len(m.group("who").rstrip())))
        if not ctx.mentions_in(*who):
            continue
        quote = (para + text[para:m.start()].index(before[0]), para + len(text[para:m.start()].rstrip()))
        for host in statements:  # emptied hosts (the quote tagged without a speaker) are dropped by the caller
            host.content = _clipped(text, host.content, [quote])
        word = m.group("cue").lower()
        out.append(_Statement(kind="direct", cue=(m.start("cue"), m.end("cue")), content=[quote], source=who,
                              cue_lemma=_POST_CUE_LEMMA.get(word, word.rstrip("s"))))
    return [s for s in out if s.content]


def _outlets(ctx: _Context, statements: list[_Statement]) -> list[_Statement]:
    """A statement by a news outlet that wraps another statement names that one's outlet, and goes."""
    media = {aid for aid, a in ctx.actors.items() if a["kind"] == "media"}
    keep = []
    for stmt in statements:
        if stmt.speaker_actor_id in media and stmt.cue_lemma in _MEDIA_CUES:
            sent = ctx.doc[ctx.doc.char_span(*stmt.cue, alignment_mode="expand").start].sent if stmt.cue else None
            inner = [o for o in statements if o is not stmt and o.speaker_actor_id not in media and sent is not None
                     and o.cue and sent.start_char <= o.cue[0] < sent.end_char]
            if inner:
                for o in inner:
                    o.outlet = str(ctx.actors[stmt.speaker_actor_id]["name"])
                continue
        keep.append(stmt)
    # "X told Reuters", "in an interview with the BBC": a media actor in the cue's clause
    for stmt in keep:
        if stmt.outlet or not stmt.cue or stmt.speaker_actor_id in media:
            continue
        span = _char_span_tokens(ctx.doc, *stmt.cue)
        if span is None:
            continue
        verb = span.root
        near = [t for t in verb.subtree if t.dep_ in ("dobj", "dative", "pobj", "iobj")]
        for t in near:
            m = next((m for m in ctx.mentions if m["start"] <= t.idx < m["end"] and m["actor_id"] in media), None)
            if m is not None:
                stmt.outlet = str(ctx.actors[m["actor_id"]]["name"])
                break
    return keep


def find_statements(article: Article, actors: list[Row], mentions: list[Row], *,
                    raw: Sequence[Any] | None = None) -> dict[str, list[Row]]:
    """Every quoted or reported statement and every stance-bearing act of an article.

    Needs: `article.doc` and `article.sentences`; `actors` and `mentions`.
    Adds: the `statements` table, every column but the stance model's and the sentiment ones; `lexicon_stance`
    and `lexicon_evidence` hold what the lexicon (and, for acts, the act rules) say.

    Args:
        article: the parsed article.
        actors: its actors.
        mentions: their mentions.
        raw: attributions already tagged for this text (from `analysis.models.attribution.attributions_batch`); tagged
            here when None.

    Returns:
        {"statements": rows} in text order. A statement whose speaker the text does not give keeps a null speaker:
        it is never guessed from the nearest name.
    """
    from analysis.models.attribution import attributions_batch

    ctx = _Context(article, actors, mentions)
    skip, stop = headline_end(article.text), trailer_start(article.text)
    if raw is None:
        raw = attributions_batch([article.text])[0]
    statements = _from_attributions(ctx, raw, skip, stop)
    statements += _from_acts(ctx, statements, skip, stop)
    statements += _reactions(ctx, statements, skip, stop)
    statements += _post_speakers(ctx, statements)
    statements = [s for s in statements if s.content]
    furniture = furniture_spans(article.text)  # a credit line ("Doe reported from Beijing.") is no statement
    statements = [s for s in statements if not in_spans(furniture, s.cue[0] if s.cue else s.start)]
    outside = [(0, skip), *furniture] if skip else furniture
    for stmt in statements:  # a content or a speaker never runs back into the headline, a byline or a dateline
        stmt.content = _clipped(article.text, stmt.content, outside) or stmt.content
        if stmt.source:
            source = _clipped(article.text, [stmt.source], outside)
            stmt.source = source[0] if source else None
    statements.sort(key=lambda s: s.start)
    done: list[_Statement] = []
    for stmt in statements:
        if stmt.source:
            stmt.source = _appositive_name(ctx, stmt.source)
            stmt.speaker_actor_id = _link_span(ctx, *stmt.source)
            if stmt.speaker_actor_id is None:
                stmt.speaker_actor_id = _refer_back(ctx, *stmt.source, before=stmt.source[0], previous=done)
        anchor = stmt.cue[0] if stmt.cue else stmt.content[0][0]
        stmt.sentence = article.sentences.of_char(anchor)
        done.append(stmt)
    statements = _outlets(ctx, done)
    statements = [stmt for stmt in statements if not _nested_orphan(stmt, statements)]
    ctx.geo = story_geo(article.text, article.doc, ctx.mentions, ctx.actors, load_gazetteer(), body_start=skip)
    return _rows(article, ctx, statements)


def _nested_orphan(stmt: _Statement, statements: list[_Statement]) -> bool:
    """A statement with no speaker whose cue sits inside another statement's content ("passed a resolution
    [censuring] Iran") is part of that statement, not one of its own."""
    if stmt.source is not None or stmt.cue is None:
        return False
    return any(o is not stmt and any(s <= stmt.cue[0] < e for s, e in o.content) for o in statements)


def _targets(ctx: _Context, stmt: _Statement, speaker: dict[str, Any] | None) -> dict[str, list[str]]:
    """Actors the statement names in its content (not the speaker, not media), and their countries."""
    own = speaker["actor_id"] if speaker else None
    own_country = speaker["country"] if speaker and isinstance(speaker["country"], str) else None
    names: list[str] = []
    countries: list[str] = []
    for start, end in stmt.content:
        for m in ctx.mentions_in(start, end):
            actor = ctx.actors[m["actor_id"]]
            if actor["actor_id"] == own or actor["kind"] == "media" or actor["name"] in names:
                continue
            names.append(str(actor["name"]))
            country = actor["country"] if isinstance(actor["country"], str) else None
            if country and country != own_country and country not in countries:
                countries.append(country)
    return {"targets": names[:_MAX_TARGETS], "target_countries": countries[:_MAX_TARGETS]}


_THE_COUNTRYS = re.compile(r"(?i)\b(?:the|this)\s+(?:country|nation)(?:'s|’s)")


def _span_country(ctx: _Context, span: tuple[int, int]) -> str | None:
    """The country a speaker's own words name: a country mention in the span, else a country name or demonym there
    that NER left untagged ("Belarusian opposition leader X": in a speaker's description a demonym is a
    nationality)."""
    own = [m for m in ctx.mentions_in(*span) if ctx.kind(m["actor_id"]) == "country"]
    if own:
        return str(ctx.actors[own[0]["actor_id"]]["country"])
    gaz = load_gazetteer()
    for word in re.findall(r"[A-Z][\w’'-]+", ctx.text[span[0]:span[1]]):
        entry = gaz.lookup(word)
        if entry is not None and entry.kind == "country" and entry.form in ("name", "short", "demonym"):
            return entry.country
    return None


def _speaker_country(ctx: _Context, stmt: _Statement, speaker: dict[str, Any] | None) -> dict[str, Any]:
    """The speaker's country and how it was known.

    A speaker actor's own country comes first (its `country_evidence`). A speaker the text describes without naming
    an actor ("officials said", "the finance minister said", "Kharkiv's mayor said", "the country's data-protection
    chief warned"), or a person or body with no country: the place in its words (`place`), "the country's" read as
    the story's country (`modifier`), the dateline's country (`dateline`), the story's one country (`story`).
    International bodies, media and groups never take a dateline's or story's country.
    """
    none = {"speaker_country": None, "speaker_country_source": None, "speaker_country_confidence": None}
    weak = speaker is not None and speaker["country_evidence"] in ("dateline", "story", "place")
    if speaker is not None and isinstance(speaker["country"], str) and not (
            weak and stmt.source and _span_country(ctx, stmt.source)):
        conf = speaker.get("country_confidence")
        return {"speaker_country": speaker["country"], "speaker_country_source": speaker["country_evidence"],
                "speaker_country_confidence": float(conf) if isinstance(conf, float) else None}
    if stmt.source is None or (speaker is not None and speaker["kind"] == "international"):
        return none
    geo = ctx.geo
    words = ctx.text[stmt.source[0]:stmt.source[1]]
    own = _span_country(ctx, stmt.source)
    if own:  # "Lebanon's top Sunni cleric ...", "a commander of Mali's presidential guard", "North Korea's KCNA"
        return {"speaker_country": own, "speaker_country_source": "modifier", "speaker_country_confidence": 0.95}
    if speaker is not None and speaker["kind"] not in ("person", "organization"):
        return none  # a group or an outlet takes no dateline's or story's country
    place = geo.place_in(*stmt.source) if speaker is None or not isinstance(speaker["country"], str) else None
    if place:
        return {"speaker_country": place[0], "speaker_country_source": "place",
                "speaker_country_confidence": round(0.9 * place[1], 3)}
    if _THE_COUNTRYS.search(words) and geo.story_country:
        return {"speaker_country": geo.story_country, "speaker_country_source": "modifier",
                "speaker_country_confidence": round(0.9 * geo.story_confidence, 3)}
    if _is_pronoun(ctx.doc, stmt.source):
        return none  # "he said" that no earlier actor resolves: no guess
    if geo.dateline and geo.dateline.iso3:
        return {"speaker_country": geo.dateline.iso3, "speaker_country_source": "dateline",
                "speaker_country_confidence": round(0.8 * geo.dateline.confidence, 3)}
    if geo.story_country:
        return {"speaker_country": geo.story_country, "speaker_country_source": "story",
                "speaker_country_confidence": round(0.7 * geo.story_confidence, 3)}
    return none


def _speaker_org(ctx: _Context, stmt: _Statement, speaker: dict[str, Any] | None) -> str | None:
    """The body a person speaks for, as the speaker's own words give it ("Jane Roe, a spokesperson for the State
    Department", "a US State Department spokesperson, Matthew Miller"): the first organisation, international body
    or group named in the speaker span (else a country), other than the speaker. Null for speakers that are bodies."""
    if stmt.source is None or speaker is None or speaker["kind"] != "person":
        return None
    bodies = [ctx.actors[m["actor_id"]] for m in ctx.mentions_in(*stmt.source)
              if m["actor_id"] != speaker["actor_id"] and ctx.kind(m["actor_id"]) not in ("person", "media")]
    bodies.sort(key=lambda a: a["kind"] == "country")
    return str(bodies[0]["name"]) if bodies else None


def _rows(article: Article, ctx: _Context, statements: list[_Statement]) -> dict[str, list[Row]]:
    text = article.text
    rows = []
    for n, stmt in enumerate(statements):
        actor = ctx.actors.get(stmt.speaker_actor_id) if stmt.speaker_actor_id else None
        content_text = " … ".join(text[s:e].strip() for s, e in stmt.content)
        quoted = [q for s, e in stmt.content for q in _QUOTED.findall(text[max(0, s - 1):e + 1])]
        stance = lexicon_stance(content_text, cue=stmt.cue_lemma, quoted=quoted)
        label = stmt.act_label if stmt.kind == "action" and stance.label == "neutral" else stance.label
        if stmt.kind == "action" and stmt.act_label in ("protesting", "threatening", "supportive"):
            label = stmt.act_label  # a formal act is its own label (codebook rule 3)
        rows.append({
            "article_id": article.article_id,
            "statement_id": n,
            "kind": stmt.kind,
            "sentence": stmt.sentence,
            "speaker_text": text[stmt.source[0]:stmt.source[1]] if stmt.source else None,
            "speaker_start": stmt.source[0] if stmt.source else None,
            "speaker_end": stmt.source[1] if stmt.source else None,
            "speaker_actor_id": stmt.speaker_actor_id,
            "speaker": actor["name"] if actor else None,
            **_speaker_country(ctx, stmt, actor),
            "speaker_org": _speaker_org(ctx, stmt, actor),
            "cue_text": text[stmt.cue[0]:stmt.cue[1]] if stmt.cue else None,
            "cue_start": stmt.cue[0] if stmt.cue else None,
            "cue_end": stmt.cue[1] if stmt.cue else None,
            "cue_lemma": stmt.cue_lemma,
            "content_text": content_text,
            "content_start": stmt.content[0][0],
            "content_end": stmt.content[-1][1],
            "content_spans": [[s, e] for s, e in stmt.content],
            "outlet": stmt.outlet,
            "lexicon_stance": label,
            "lexicon_evidence": stance.evidence if label == stance.label else stmt.cue_lemma,
            **_targets(ctx, stmt, actor),
        })
    return {"statements": rows}
