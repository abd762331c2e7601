"""The article stage: bytes or text in, a clean, validated `Article` out (or a one-line `InputError`), then parsed.

`prepare_article` checks and cleans the text and metadata; `parse_article` adds the spaCy `Doc` and the one
`SentenceIndex` every later stage uses.
"""

from __future__ import annotations

import bisect
import datetime as _dt
import hashlib
import json
import re
from dataclasses import dataclass, field, replace
from html import unescape
from html.parser import HTMLParser
from typing import Any

from analysis.errors import (
    ArticleTooLongError,
    BinaryFileError,
    EmptyArticleError,
    InvalidMetadataError,
    NoSentencesError,
    NotEnglishError,
    NotUtf8Error,
)

#: Bytes that start common binary formats: PDF, PNG, JPEG, GIF, ZIP (docx, xlsx), gzip, 7z, RAR, ELF, OLE (doc).
_MAGIC = (b"%PDF", b"\x89PNG", b"\xff\xd8\xff", b"GIF8", b"PK\x03\x04", b"\x1f\x8b", b"7z\xbc\xaf", b"Rar!",
          b"\x7fELF", b"\xd0\xcf\x11\xe0")
_HTML_HINT = re.compile(
    r"<\s*(?:!doctype|html|head|body|article|section|div|p|span|br|h[1-6]|script|style|a\s|img|ul|ol|li|table|meta|"
    r"title|header|footer|main|nav|figure|blockquote|em|strong|b|i)\b[^>]*>",
    re.IGNORECASE,
)
_BLOCK_TAG = re.compile(r"<\s*(?:p|div|br|h[1-6]|li|ul|ol|section|article|table|tr|blockquote)\b", re.IGNORECASE)
#: C0/C1 controls, line/paragraph separators, bidi embeddings/overrides/isolates (which can make shown text read
#: differently from the stored text) and a BOM inside the text. Marks LRM/RLM and zero-width joiners stay.
_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f\x80-\x9f\u2028\u2029\u202a-\u202e\u2066-\u2069\ufeff]")
_WORD = re.compile(r"[^\W\d_]+", re.UNICODE)
_LONG_WORD = re.compile(r"[^\W\d_]{2,}", re.UNICODE)
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")
#: English function words: in English prose a quarter to a half of all words are among them.
_FUNCTION_WORDS = frozenset(
    "the a an and or but of to in on at by for with from as is are was were be been being has have had do does did "
    "not no that this these those it its he she they we you i his her their our your him them us who which what when "
    "where why how there here than then so if would will can could should may might must about into over after "
    "before between against during under also said says".split()
)


@dataclass(frozen=True, eq=False)
class Article:
    """One article, its metadata and (once parsed) its spaCy `Doc`.

    Attributes:
        article_id: stable id of the article and the settings it is analysed with (16 hex digits).
        text: the clean text; every character offset in every table points into it.
        title: headline, if given or found in HTML.
        source: the outlet the article comes from, if given.
        published: publication date as `YYYY-MM-DD`, if given.
        doc: the spaCy `Doc` of `text` (None until parsed).
    """

    article_id: str
    text: str
    title: str | None = None
    source: str | None = None
    published: str | None = None
    doc: Any = field(default=None, repr=False, compare=False)
    sentences: SentenceIndex | None = field(default=None, repr=False, compare=False)

    @property
    def opening(self) -> str:
        """The text's first words (`opening_words`): what names an untitled article."""
        return opening_words(self.text)

    @property
    def shown_title(self) -> str:
        """The title, or for an untitled article its opening words in quotes (how every page and the brief name it)."""
        return self.title or quoted_opening(self.opening)


def opening_words(text: str, n: int = 12) -> str:
    """The first `n` words of a text (with "…" when there are more): what names an untitled analysis."""
    words = text.split()
    return " ".join(words[:n]) + ("…" if len(words) > n else "")


def quoted_opening(opening: str) -> str:
    """Opening words as a title: in quotes, so that they read as the article's words, not a headline."""
    return f"“{opening}”" if opening else "Untitled article"


@dataclass(frozen=True)
class SentenceIndex:
    """The sentences of a parsed article, made once from the parse: every stage finds sentences through it.

    Attributes:
        bounds: (start, end) character offsets of each sentence, in order (end exclusive).
        of_token: the sentence number of each token of the doc.
    """

    bounds: tuple[tuple[int, int], ...]
    of_token: tuple[int, ...]

    @classmethod
    def from_doc(cls, doc: Any) -> SentenceIndex:
        """Build the index from a parsed spaCy `Doc`."""
        bounds, of_token = [], [0] * len(doc)
        for n, sent in enumerate(doc.sents):
            bounds.append((sent.start_char, sent.end_char))
            of_token[sent.start : sent.end] = [n] * (sent.end - sent.start)
        return cls(tuple(bounds), tuple(of_token))

    def of_char(self, pos: int) -> int:
        """Number of the sentence holding character `pos` (the last one starting at or before it; 0 before all)."""
        return max(0, bisect.bisect_right([s for s, _ in self.bounds], pos) - 1)

    def start_of(self, pos: int, default: int) -> int:
        """Start of the sentence that holds character `pos`, or `default` when none does."""
        return next((s for s, e in self.bounds if s <= pos < e), default)

    def end_of(self, pos: int, default: int) -> int:
        """End of the sentence that holds the character before `pos`, or `default` when none does."""
        return next((e for s, e in self.bounds if s < pos <= e), default)


class _TextExtractor(HTMLParser):
    """Collects the visible text of an HTML page: no scripts, styles or comments; blocks become paragraphs."""

    _SKIP = frozenset({"script", "style", "noscript", "template", "head", "svg", "iframe", "object"})
    _BLOCK = frozenset({"p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "section", "article",
                        "header", "footer", "blockquote", "tr", "table", "figure", "figcaption", "main", "hr", "pre"})

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.title_parts: list[str] = []
        self._skip_depth = 0
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "title":
            self._in_title = True
        elif tag in self._SKIP:
            self._skip_depth += 1
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False
        elif tag in self._SKIP:
            self._skip_depth = max(0, self._skip_depth - 1)
        elif tag in self._BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title_parts.append(data)
        elif not self._skip_depth:
            self.parts.append(re.sub(r"\s+", " ", data))


def looks_like_html(text: str) -> bool:
    """Return True when `text` is an HTML page or fragment, not prose that happens to hold a tag.

    It is HTML when it starts with a tag, has a document-level tag (doctype, html, body), or has three or more
    block tags (p, div, br, h1-h6, li...). A plain article quoting "<script>" stays text and is shown as text.
    """
    head = text[:100_000]
    if head.lstrip().startswith("<") and _HTML_HINT.match(head.lstrip()):
        return True
    hits = [h.lower() for h in _HTML_HINT.findall(head)]
    if any(h.startswith(("<!doctype", "<html", "<body")) for h in hits):
        return True
    return sum(1 for h in hits if _BLOCK_TAG.match(h)) >= 3


def html_to_text(html: str) -> tuple[str, str | None]:
    """Reduce HTML to its visible text.

    Args:
        html: an HTML page or fragment.

    Returns:
        The text, with block elements as paragraphs, and the page's `<title>` (or None).
    """
    parser = _TextExtractor()
    parser.feed(html)
    parser.close()
    text = "".join(parser.parts)
    text = re.sub(r"[ \t]*\n[ \t]*", "\n", text)
    text = re.sub(r"\n{3,}", "\n\n", text)
    title = " ".join("".join(parser.title_parts).split()) or None
    return unescape(text).strip(), title


def decode_bytes(data: bytes, *, name: str = "the file") -> str:
    """Decode uploaded bytes as text: UTF-8 (with or without BOM), or UTF-16 with a BOM.

    Raises:
        BinaryFileError: the bytes are a binary format (PDF, image, archive) or hold NUL bytes.
        NotUtf8Error: the bytes are text in another encoding.
    """
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        try:
            return data.decode("utf-16")
        except UnicodeDecodeError as exc:
            raise NotUtf8Error(f"{name} starts like UTF-16 but is not valid UTF-16; save it as UTF-8 text") from exc
    if data.startswith(_MAGIC) or b"\x00" in data[:8192]:
        raise BinaryFileError(f"{name} is a binary file, not text; paste the article or upload a .txt or .html file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise NotUtf8Error(
            f"{name} is not UTF-8 text (byte 0x{data[exc.start]:02x} at position {exc.start}); save it as UTF-8"
        ) from exc


def clean_text(text: str) -> str:
    """Make pasted text safe to parse without moving any character.

    Control characters (and bidi overrides and isolates) become spaces, so offsets into the clean text are offsets
    into the text given.
    """
    return _CONTROL.sub(" ", text)


def _english_share(text: str) -> tuple[int, float, float]:
    """Return (letters, share of letters in Latin script, share of words that are English function words)."""
    sample = text[:20_000]
    letters = [c for c in sample if c.isalpha()]
    if not letters:
        return 0, 0.0, 0.0
    latin = sum(1 for c in letters if c < "\u0250" or "\u1e00" <= c <= "\u1eff")
    words = [w.lower() for w in _WORD.findall(sample)]
    function = sum(1 for w in words if w in _FUNCTION_WORDS)
    return len(letters), latin / len(letters), function / max(1, len(words))


def check_language(text: str) -> None:
    """Refuse text that is clearly not English.

    Short texts (under 20 words) pass: too little to tell. The rule: over half of the letters outside the Latin
    script, or (from 20 words) fewer than 8% of the words among English function words.

    Raises:
        NotEnglishError: the text is not English.
    """
    letters, latin, function = _english_share(text)
    words = len(_WORD.findall(text[:20_000]))
    if letters and latin < 0.5:
        raise NotEnglishError("the text is not in English (most letters are in another script); "
                              "Stance Atlas reads English articles only")
    if words >= 20 and function < 0.08:
        raise NotEnglishError("the text does not look like English (few English words such as 'the', 'and', 'of'); "
                              "Stance Atlas reads English articles only")


def normalise_date(value: str | _dt.date | None) -> str | None:
    """Return a publication date as `YYYY-MM-DD`, or None.

    Raises:
        InvalidMetadataError: the value is not a date.
    """
    if value is None or value == "":
        return None
    if isinstance(value, _dt.datetime):
        return value.date().isoformat()
    if isinstance(value, _dt.date):
        return value.isoformat()
    text = str(value).strip()
    try:
        if _DATE.match(text):
            return _dt.date.fromisoformat(text).isoformat()
        return _dt.datetime.fromisoformat(text).date().isoformat()
    except ValueError as exc:
        raise InvalidMetadataError(f"published date {text[:40]!r} is not a date; use YYYY-MM-DD") from exc


def _clean_meta(value: str | None, what: str) -> str | None:
    if value is None:
        return None
    value = " ".join(clean_text(str(value)).split())
    if len(value) > 500:
        raise InvalidMetadataError(f"the {what} has {len(value):,} characters; the limit is 500")
    return value or None


def article_id_for(text: str, *, title: str | None, source: str | None, published: str | None,
                   fingerprint: str) -> str:
    """Return the stable id of an article analysed under given settings (`fingerprint`): 16 hex digits."""
    payload = json.dumps([text, title, source, published, fingerprint], ensure_ascii=False)
    return hashlib.sha256(payload.encode("utf-8")).hexdigest()[:16]


def prepare_article(
    text: str,
    *,
    title: str | None = None,
    source: str | None = None,
    published: str | _dt.date | None = None,
    max_chars: int,
    fingerprint: str,
) -> Article:
    """Validate and clean article text and metadata into an `Article` (not yet parsed).

    HTML is reduced to its visible text (its `<title>` becomes the title if none is given). Control characters
    become spaces. The language is checked.

    Raises:
        EmptyArticleError, ArticleTooLongError, NotEnglishError, NoSentencesError, InvalidMetadataError.
    """
    if not isinstance(text, str):
        raise TypeError(f"text must be str, not {type(text).__name__}")
    if looks_like_html(text):
        text, html_title = html_to_text(text)
        title = title or html_title
    text = clean_text(text)
    if not text.strip():
        raise EmptyArticleError("the article is empty; paste or upload the text of a news article")
    if len(text) > max_chars:
        raise ArticleTooLongError(
            f"the article has {len(text):,} characters; the limit is {max_chars:,}: analyse it in parts"
        )
    if not _WORD.search(text):
        raise NoSentencesError("the text has no words to analyse, only digits, punctuation or symbols")
    if not _LONG_WORD.search(text):
        raise NoSentencesError("the text has no words to analyse, only single letters, digits or symbols")
    check_language(text)
    title = _clean_meta(title, "title")
    source = _clean_meta(source, "outlet")
    date = normalise_date(published)
    return Article(
        article_id=article_id_for(text, title=title, source=source, published=date, fingerprint=fingerprint),
        text=text,
        title=title,
        source=source,
        published=date,
    )


def parse_article(article: Article, nlp: Any) -> Article:
    """Return the article with its spaCy `Doc` and its `SentenceIndex`.

    Args:
        article: a prepared article.
        nlp: the loaded spaCy pipeline (`analysis.models.nlp.load_spacy()`).
    """
    doc = nlp(article.text)
    return replace(article, doc=doc, sentences=SentenceIndex.from_doc(doc))


# ---- newsroom furniture: bylines, datelines, credits, captions, link lists -----------------------------------------

_NAME = r"[A-Z][\w.'’-]*(?:\s+[A-Z][\w.'’-]*)*"
#: "By JANE ROE and JOHN DOE, Associated Press" / "By Jane Roe | Reuters": a line of capitalised words after "By"
_BYLINE = re.compile(rf"^[ \t]*By\s+{_NAME}(?:\s*(?:,|and|&|\|)\s*{_NAME})*[ \t]*$", re.MULTILINE)
#: "BRUSSELS (AP) —", "GENEVA, Switzerland (Reuters) -", "WELLINGTON : ", "BEIJING, Aug. 17 (Xinhua) -- ": where the
#: story was filed (a city in capitals at a paragraph's start, an optional region or date and agency, a dash or colon)
DATELINE = re.compile(
    r"^[ \t]*(?P<city>[A-Z][A-Z.'’-]*(?:[ ][A-Z][A-Z.'’-]*){0,3})(?:,[ \t]*(?P<region>[A-Z][\w.'’-]*(?:[ ][\w.'’-]+)"
    r"{0,3}))?[ \t]*(?:\([A-Za-z .]{2,20}\)[ \t]*)?(?:[—–-]+|:)[ \t]*(?=\S)", re.MULTILINE)
#: credits at the foot: "Doe reported from Beijing.", "Associated Press writers A and B contributed to this report.",
#: "Reporting by A; Editing by B"
_CREDIT = re.compile(
    rf"(?:(?<=^)|(?<=[.!?]\s)|(?<=\n))[ \t]*(?:{_NAME}\s+reported\s+from\s+{_NAME}(?:,\s*{_NAME})?\."
    r"|[^.\n]{0,200}\bcontributed\s+(?:to\s+)?(?:this\s+)?(?:report|reporting|story)\b[^.\n]{0,80}\.?"
    r"|(?:Additional\s+)?(?:Reporting|Writing|Editing)\s+by\s+[^\n]{0,200})",
    re.MULTILINE)
#: photo captions and credits: "Photo: ... (AP Photo/Jane Roe)", a line ending in "(Getty Images)"
_CAPTION = re.compile(r"^[ \t]*(?:(?:Photo|Image|Caption|Picture|Video)\s*:[^\n]*"
                      r"|[^\n]*\((?:AP|AFP|Reuters|EPA)\s+Photo[^\n)]*\)[^\n]*"
                      r"|[^\n]*\((?:Getty Images|Reuters|AFP|EPA)[^\n)]*\)[ \t]*)$", re.MULTILINE | re.IGNORECASE)
#: the line that opens a trailing list of links to other articles
LINK_LIST = re.compile(r"^\s*(?:read more|related|see also|more on this|further reading|recommended)\s*:?\s*$",
                        re.IGNORECASE | re.MULTILINE)


def furniture_spans(text: str) -> list[tuple[int, int]]:
    """The parts of an article that are newsroom furniture, not its story: bylines, datelines, credit lines (who
    reported from where, who contributed), photo captions, and a trailing list of links ("Read more:") to the end.
    No actor or statement is taken from them. Sorted (start, end) character ranges."""
    spans = [m.span() for rx in (_BYLINE, _CREDIT, _CAPTION) for m in rx.finditer(text) if m.end() > m.start()]
    spans += [m.span() for m in DATELINE.finditer(text) if _opens_paragraph(text, m.start())]
    links = list(LINK_LIST.finditer(text))
    if links:
        spans.append((links[-1].start(), len(text)))
    return sorted(spans)


def _opens_paragraph(text: str, start: int) -> bool:
    return start == 0 or text[start - 1] == "\n"


def in_spans(spans: list[tuple[int, int]], pos: int) -> bool:
    """Whether a character offset lies inside one of the spans (a handful per article: a plain scan)."""
    return any(s <= pos < e for s, e in spans)
