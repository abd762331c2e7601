"""Word lists and patterns the actor stage matches: entity labels, title nouns, media and state-body names."""

from __future__ import annotations

import re

#: spaCy entity labels that can name an actor
ACTOR_LABELS = frozenset({"PERSON", "ORG", "GPE", "NORP", "LOC", "FAC"})


#: entity labels that confirm a `needs_ner` gazetteer form (a place, nationality or organisation; not a person)
CONFIRMING_LABELS = frozenset({"GPE", "LOC", "NORP", "ORG", "FAC"})


LINKERS = frozenset({"of", "and", "for", "the", "on", "in", "de", "la", "du", "des"})


POSSESSIVE = frozenset({"'s", "’s", "'", "’"})


HONORIFICS = frozenset({"mr", "mr.", "mrs", "mrs.", "ms", "ms.", "dr", "dr.", "sir", "dame", "madam"})


#: words in an organisation's name that make it a news outlet
MEDIA_WORDS = re.compile(
    r"\b(Times|Post|News|Journal|Tribune|Herald|Gazette|Telegraph|Guardian|Observer|Daily|Radio|TV|Television|"
    r"Broadcasting|Newspaper|Magazine|Press Agency|News Agency|Chronicle|Courier|Wire)\b"
)


#: names of state bodies that exist in every country: two countries' "Foreign Ministry" are two actors
GENERIC_ORG = re.compile(
    r"^(?:the\s+)?(?:(?:foreign|defen[cs]e|interior|justice|finance|economy|trade|health|energy)\s+ministry|"
    r"ministry\s+of\s+[\w\s,&]+|department\s+of\s+[\w\s,&]+|coast\s+guard|navy|army|air\s+force|military|"
    r"armed\s+forces|parliament|supreme\s+court|constitutional\s+court|central\s+bank|embassy|foreign\s+office|"
    r"presidency|cabinet|government|national\s+assembly|senate|house\s+of\s+representatives|security\s+council|"
    r"national\s+security\s+council|police|border\s+guard|intelligence\s+service)$",
    re.IGNORECASE,
)


#: words that make the part after a possessive an organisation ("Johns Hopkins University’s School of ...")
ORG_HEADS = re.compile(
    r"\b(University|School|College|Institute|Ministry|Department|Committee|Party|Council|Agency|Office|Court|Bank|"
    r"Foundation|Center|Centre|Commission|Board|Bureau|Authority|Service|Forces?|Army|Navy|Guard|Corps|Company|Group|"
    r"Association|Federation|Union|Chamber|Alliance|League|Society|Network|Coalition|Movement|Front)\b"
)


#: gazetteer entries found only by their contextual pattern ("the West" but not "West African")
CONTEXT_ONLY = frozenset({"international:the-west"})


PLACE_PREPOSITIONS = frozenset({"in", "at", "near", "outside", "from", "to", "into", "toward", "towards", "via",
                                 "around", "across", "inside", "within", "through", "between", "off"})


#: state bodies named in title case, found even where NER misses them
STATE_BODY = re.compile(
    r"\b(?:(?:Foreign|Defen[cs]e|Interior|Justice|Finance|Economy|Trade|Health|Energy|Home) Ministry|"
    r"Ministry of (?:Foreign|Defen[cs]e|Home|Internal|National)? ?[A-Z][a-z]+(?: (?:and|of) [A-Z][a-z]+)*|"
    r"Foreign Office|Coast Guard|Defen[cs]e Forces|Armed Forces)\b"
)


LEFT_DEPS = frozenset({"compound", "amod", "nmod", "poss", "case", "npadvmod", "nummod"})


DROP_FROM_ROLE_DEPS = frozenset({"det", "poss", "case", "punct", "predet"})


#: head nouns of roles and titles ("spokesperson", "ambassador"); words ending in -ist, -man, -woman, -person count too
TITLE_NOUNS = frozenset("""
president minister secretary spokesperson spokesman spokeswoman ambassador envoy diplomat official officer chancellor
premier king queen prince princess emir sheikh sultan monarch leader ruler dictator general commander chief head
director chairman chairwoman chair chairperson governor mayor senator congressman congresswoman representative
lawmaker legislator mp deputy adviser advisor aide counselor counsellor negotiator prosecutor judge justice attorney
lawyer analyst expert researcher professor scholar economist reporter correspondent editor columnist commentator
activist campaigner candidate nominee ceo founder owner executive colonel major lieutenant admiral marshal sergeant
captain commissioner delegate consul attache attaché secretary-general director-general president-elect speaker whip
strategist pollster manager coordinator superintendent inspector administrator ombudsman mediator representative
bishop pope cardinal imam cleric rabbi priest ayatollah patriarch celebrity singer actor actress star player coach
member founder co-founder partner surgeon doctor physician nurse scientist engineer teacher student veteran
governor-general viceroy magistrate sheriff detective agent operative fighter militant soldier commander-in-chief
premier-elect prime premier vice mp mep senator-elect secretary-of-state foreign-minister host author writer historian
""".split())


KOREA = re.compile(r"\bKoreas?\b|\bKorean\b|\bPyongyang\b|\bSeoul\b")
