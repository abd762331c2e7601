"""Stance by lexicon: cue words and phrases for each label of the stance codebook (method `lexicon`).

Written from `../shared/docs/stance-codebook.md`. It is the provisional stance of a statement and a peer that the
learned stance model is measured against. A phrase counts unless a negation ("not", "no", "never", "n't") stands
within the three words before it. Where several labels match, the codebook's rules decide: a formal act wins over an
emotion (protesting over outraged), a countermeasure over worry (threatening over concerned); otherwise the cue's
own label, then the label with most matches, then protesting, outraged, threatening, concerned, supportive.
"""

from __future__ import annotations

import re
from functools import lru_cache
from typing import NamedTuple

from analysis.labels import STANCE_PRECEDENCE

#: cue lemmas (the verb or phrase that introduces a statement or names an act) and their label
CUE_LABELS: dict[str, str] = {
    # concerned
    "worry": "concerned", "fear": "concerned", "caution": "concerned", "fret": "concerned", "plead": "concerned",
    # outraged
    "condemn": "outraged", "denounce": "outraged", "slam": "outraged", "blast": "outraged", "criticize": "outraged",
    "criticise": "outraged", "accuse": "outraged", "decry": "outraged", "lambast": "outraged", "rebuke": "outraged",
    "deplore": "outraged", "castigate": "outraged", "berate": "outraged", "excoriate": "outraged", "scold": "outraged",
    "rail": "outraged", "fume": "outraged", "attack": "outraged", "mock": "outraged", "ridicule": "outraged",
    "blame": "outraged", "chide": "outraged", "assail": "outraged", "censure": "outraged",
    # protesting
    "protest": "protesting", "summon": "protesting", "lodge": "protesting", "boycott": "protesting",
    "demonstrate": "protesting", "march": "protesting", "rally": "protesting", "sue": "protesting",
    "walk out": "protesting", "petition": "protesting", "suspend": "protesting", "recall": "protesting",
    # threatening
    "threaten": "threatening", "vow": "threatening", "retaliate": "threatening", "impose": "threatening",
    "expel": "threatening", "sanction": "threatening", "deploy": "threatening", "mobilize": "threatening",
    "mobilise": "threatening", "detain": "threatening", "fire": "threatening", "launch": "threatening",
    "ultimatum": "threatening",
    # supportive
    "welcome": "supportive", "praise": "supportive", "endorse": "supportive", "applaud": "supportive",
    "commend": "supportive", "hail": "supportive", "thank": "supportive", "congratulate": "supportive",
    "defend": "supportive", "sign": "supportive", "back": "supportive", "support": "supportive",
    "reaffirm": "supportive", "pledge": "supportive", "laud": "supportive", "celebrate": "supportive",
}

#: phrases in a statement's content (or its cue) and their label; matched on lower-cased text at word boundaries
PHRASES: dict[str, tuple[str, ...]] = {
    "concerned": (
        "concern", "concerned", "concerning", "concerns", "worried", "worrying", "worries", "alarm", "alarmed",
        "alarming", "fear", "fears", "feared", "troubled", "troubling", "disturbing", "dangerous", "danger",
        "destabilize", "destabilise", "destabilizing", "destabilising", "destabilization", "destabilisation",
        "restraint", "de-escalate", "de-escalation", "deescalate", "calm", "anxious", "anxiety", "apprehensive",
        "risk of", "risks", "grave", "dismay", "dismayed", "unsettling", "precarious", "threat to peace",
        "threat to stability", "threat to regional", "humanitarian catastrophe", "spiral", "escalation",
        "escalate", "urged both sides", "urge both sides", "urged all parties", "urge all parties",
        "exercise restraint", "regret", "regrettable", "sad", "saddened", "tragic", "deeply troubled",
    ),
    "outraged": (
        "unacceptable", "outrageous", "outrage", "outraged", "provocation", "provocations", "provocative",
        "disgraceful", "disgrace", "shameful", "shame", "deplorable", "reprehensible", "irresponsible",
        "betrayal", "betrayed", "lies", "lie", "lying", "liar", "absurd", "hypocrisy", "hypocritical", "insult",
        "insulting", "aggression", "aggressive", "barbaric", "atrocity", "atrocities", "criminal", "illegitimate",
        "baseless", "groundless", "slander", "smear", "condemn", "condemned", "condemns", "condemnation",
        "denounce", "denounced", "accuse", "accused", "accusing", "blame", "blamed", "reckless", "coercive",
        "bullying", "bully", "violation", "violated", "violates", "illegal", "illegally", "inhumane", "meddling",
        "interference", "blackmail", "hostile", "disgusting", "appalling", "appalled", "furious", "angry",
        "anger", "scandalous", "ridiculous", "nonsense", "propaganda", "fabricated", "intimidation",
        "politically motivated", "political stunt", "witch hunt", "disaster", "failure", "failed", "corrupt",
        "racist", "dishonest", "crooked", "pathetic", "unfit", "incompetent",
    ),
    "protesting": (
        "summoned the ambassador", "summoned the envoy", "summon the ambassador", "lodged a protest",
        "lodge a protest", "formal protest", "diplomatic protest", "protest note", "note verbale", "demarche",
        "démarche", "protested", "protesting", "protests against", "protest against", "filed a complaint",
        "file a complaint", "official complaint", "formal complaint", "lawsuit", "sued", "boycott", "boycotted",
        "walked out", "walkout", "walk-out", "rallied against", "marched", "demonstrated against",
        "demonstrators", "general strike", "petition", "recalled its ambassador", "recalled ambassador",
        "international court of justice", "complaint with",
    ),
    "threatening": (
        "retaliate", "retaliation", "retaliatory", "countermeasures", "counter-measures", "appropriate response",
        "appropriate measures", "various measures", "necessary measures", "all necessary", "all options",
        "every option", "in kind", "consequences", "will respond", "would respond", "respond firmly",
        "respond decisively", "pay a price", "pay the price", "will not hesitate", "would not hesitate",
        "not hesitate", "sanction", "sanctions", "embargo", "cut ties", "sever ties", "severing ties",
        "military action", "use of force", "use force", "by force", "strike back", "threaten to", "threatened to",
        "threatens to", "warned of", "ultimatum", "crush", "annihilate", "wipe out", "retribution", "punish",
        "punishment", "expel", "expelled", "expulsion", "on alert", "standby force", "deploy", "deployed",
        "troops", "providing arms", "provide arms", "supply weapons", "supplies of", "arm ukraine", "deadline",
        "reciprocal", "reconsider", "withdraw", "veto", "lawful measures", "resolute measures", "firm measures",
        "decisive measures", "whatever is necessary", "whatever it takes", "run out of", "ran out of",
    ),
    "supportive": (
        "welcome", "welcomed", "welcomes", "praise", "praised", "praises", "endorse", "endorsed", "endorsement",
        "support", "supports", "supported", "backs", "backed", "backing", "applaud", "applauded", "commend",
        "commended", "hail", "hailed", "thank", "thanked", "grateful", "congratulate", "congratulated",
        "defended", "defend", "agreement", "signed", "partnership", "strategic partnership", "alliance", "ally",
        "allies", "cooperation", "cooperate", "co-operation", "solidarity", "stand with", "stands with",
        "stand by", "stands by", "stands firmly", "friendship", "friend", "aid", "assistance", "help", "helping",
        "reaffirm", "reaffirmed", "unwavering", "pact", "treaty", "accord", "mutual", "positive", "constructive",
        "great", "excellent", "proud", "ready to host", "mediate", "mediation", "dialogue", "peace talks",
        "commitment", "committed",
    ),
}

#: order among labels with as many matches: an accusation names others' threats more often than it makes one
_TIE_ORDER = ("protesting", "outraged", "threatening", "concerned", "supportive")
#: "sparked outrage", "drew condemnation": the feeling is someone else's, not the speaker's
_REACTION = re.compile(r"\b(?:sparked|sparking|drew|drawing|provoked|provoking|triggered|prompted|caused|fuelled|"
                       r"fueled|met with|amid|despite)\s+(?:\w+\s+)?$")
_NEGATION = re.compile(r"\b(?:not|no|never|without|nor|n't|cannot)\b(?:\W+\w+){0,2}\W*$")


class LexiconStance(NamedTuple):
    """The lexicon's stance for one statement, and the phrase that decided it (None for neutral)."""

    label: str
    evidence: str | None


@lru_cache(maxsize=1)
def _patterns() -> dict[str, re.Pattern[str]]:
    out = {}
    for label, phrases in PHRASES.items():
        alternatives = "|".join(re.escape(p) for p in sorted(phrases, key=len, reverse=True))
        out[label] = re.compile(rf"(?<![\w-])(?:{alternatives})(?![\w-])")
    return out


def _matches(label: str, text: str) -> list[str]:
    hits = []
    for m in _patterns()[label].finditer(text):
        before = text[max(0, m.start() - 30):m.start()]
        if not _NEGATION.search(before) and not _REACTION.search(before):
            hits.append(m.group())
    return hits


def lexicon_stance(content: str, *, cue: str | None = None, quoted: list[str] | None = None) -> LexiconStance:
    """Return the codebook label the lexicon gives a statement.

    Args:
        content: what was said or done (the statement's content).
        cue: the cue's lemma ("say", "condemn", "summon", "according to"), if any.
        quoted: the speaker's own words quoted inside the content; where they match a label, only they count
            (in "Putin's offer of weapons is 'incredibly concerning'" the weapons are the topic, the concern is the
            speaker's).

    Returns:
        `LexiconStance(label, evidence)`.
    """
    cue_label = CUE_LABELS.get((cue or "").lower().strip())
    hits = {}
    for part in ([" ".join(quoted)] if quoted else []) + [content]:
        text = " ".join(part.lower().replace("’", "'").split())
        hits = {label: _matches(label, text) for label in STANCE_PRECEDENCE if label != "neutral"}
        if any(hits.values()):
            break
    if cue_label:
        hits[cue_label] = [cue or cue_label, *hits[cue_label]]
    found = {label: h for label, h in hits.items() if h}
    if not found:
        return LexiconStance("neutral", None)
    if "protesting" in found and "outraged" in found:
        found.pop("outraged")
    if "threatening" in found and "concerned" in found:
        found.pop("concerned")
    if cue_label in found:
        return LexiconStance(cue_label, found[cue_label][0])
    best = max(found, key=lambda label: (len(found[label]), -_TIE_ORDER.index(label)))
    return LexiconStance(best, found[best][0])
