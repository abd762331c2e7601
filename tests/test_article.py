"""Article intake: decoding, HTML, cleaning, validation."""

from __future__ import annotations

import pytest

from analysis.errors import (
    ArticleTooLongError,
    BinaryFileError,
    EmptyArticleError,
    InvalidMetadataError,
    NoSentencesError,
    NotEnglishError,
    NotUtf8Error,
)
from analysis.stages.article import (
    check_language,
    clean_text,
    decode_bytes,
    html_to_text,
    looks_like_html,
    normalise_date,
    prepare_article,
)

ENGLISH = ("The foreign minister said on Monday that the government would send a delegation to the talks, "
           "and that it was ready to discuss the proposal with its neighbours in the region.")


def prepare(text: str, **kw):
    return prepare_article(text, max_chars=kw.pop("max_chars", 200_000), fingerprint="test", **kw)


@pytest.mark.parametrize(
    ("data", "expected"),
    [
        ("Kyiv said “no”.".encode(), "Kyiv said “no”."),
        (b"\xef\xbb\xbfWith a BOM.", "With a BOM."),
        ("UTF-16 from Notepad: café".encode("utf-16"), "UTF-16 from Notepad: café"),
    ],
)
def test_decode_bytes_accepts_utf8_and_utf16_with_bom(data: bytes, expected: str) -> None:
    assert decode_bytes(data) == expected


def test_decode_bytes_names_the_bad_byte_of_latin1() -> None:
    with pytest.raises(NotUtf8Error, match=r"byte 0xe9 at position 3.*UTF-8"):
        decode_bytes("café au lait".encode("latin-1"), name="note.txt")


@pytest.mark.parametrize("data", [b"%PDF-1.7\n...", b"\x89PNG\r\n\x1a\n", b"PK\x03\x04docx", b"abc\x00def"])
def test_decode_bytes_refuses_binary_files(data: bytes) -> None:
    with pytest.raises(BinaryFileError, match="binary"):
        decode_bytes(data)


def test_html_is_reduced_to_visible_text_without_scripts() -> None:
    html = ("<html><head><title>Talks stall</title><script>alert('x')</script><style>p{}</style></head>"
            "<body><h1>Talks stall</h1><p>Seoul &amp; Tokyo said <b>no</b>.</p><p>Second&nbsp;paragraph.</p>"
            "<img src=x onerror=alert(1)></body></html>")
    assert looks_like_html(html)
    text, title = html_to_text(html)
    assert title == "Talks stall"
    assert "alert" not in text and "onerror" not in text and "<" not in text
    assert "Seoul & Tokyo said no." in text
    assert "Second paragraph." in text  # &nbsp; is a space
    assert text.count("\n\n") >= 2  # block elements became paragraphs


@pytest.mark.parametrize("text", ["a < b and c > d", "Use <angle brackets> sparingly.", "x<y"])
def test_plain_text_with_angle_brackets_is_not_html(text: str) -> None:
    assert not looks_like_html(text)


def test_clean_text_keeps_every_offset() -> None:
    raw = "Line one\r\nTab\there\x00and\x07bell\u2028end"
    cleaned = clean_text(raw)
    assert len(cleaned) == len(raw)
    assert "\x00" not in cleaned and "\x07" not in cleaned and "\u2028" not in cleaned
    assert cleaned.index("Tab") == raw.index("Tab") and "\t" in cleaned and "\n" in cleaned


@pytest.mark.parametrize("text", ["", "   ", "\n\n\t  \n", "\x00\x00"])
def test_empty_text_is_refused(text: str) -> None:
    with pytest.raises(EmptyArticleError, match="empty"):
        prepare(text)


def test_text_over_the_limit_is_refused_with_both_numbers() -> None:
    with pytest.raises(ArticleTooLongError, match=r"201 characters; the limit is 200"):
        prepare("a" * 201, max_chars=200)
    assert prepare("The talks went on. " * 10, max_chars=200).text  # 190 characters pass


@pytest.mark.parametrize(
    "text",
    [
        "Der Bundeskanzler sagte am Montag, dass die Regierung die Lage in der Ukraine mit großer Sorge beobachte, "
        "und kündigte weitere Gespräche mit den europäischen Partnern für die kommende Woche an.",
        "Министр иностранных дел заявил в понедельник, что правительство направит делегацию на переговоры.",
        "外交部发言人周一表示，政府将派代表团参加会谈，并愿意与邻国讨论这一提议。",
        "El ministro de Asuntos Exteriores dijo el lunes que el gobierno enviará una delegación a las "
        "conversaciones y que está dispuesto a discutir la propuesta con sus vecinos de la región.",
    ],
)
def test_text_in_another_language_is_refused(text: str) -> None:
    with pytest.raises(NotEnglishError, match="English"):
        prepare(text)


def test_english_with_foreign_names_and_short_texts_pass() -> None:
    check_language(ENGLISH + " Президент Владимир Путин and 外交部 were named.")
    check_language("Gracias, dijo.")  # too short to tell


@pytest.mark.parametrize("text", ["12345 67890", "!!! ??? ...", "“ ” “ ”", "— — —"])
def test_text_without_words_is_refused(text: str) -> None:
    with pytest.raises(NoSentencesError):
        prepare(text)


def test_html_article_keeps_its_title() -> None:
    article = prepare(f"<html><head><title>Summit</title></head><body><p>{ENGLISH}</p></body></html>")
    assert article.title == "Summit"
    assert article.text == ENGLISH


def test_article_id_is_stable_and_depends_on_text_and_metadata() -> None:
    a = prepare(ENGLISH, title="A")
    assert a.article_id == prepare(ENGLISH, title="A").article_id
    assert len(a.article_id) == 16 and all(c in "0123456789abcdef" for c in a.article_id)
    assert a.article_id != prepare(ENGLISH, title="B").article_id
    assert a.article_id != prepare(ENGLISH + " More.", title="A").article_id


@pytest.mark.parametrize(("value", "expected"), [("2024-06-19", "2024-06-19"), ("2024-06-19T10:00:00", "2024-06-19"),
                                                 (None, None), ("", None)])
def test_dates_are_normalised(value, expected) -> None:
    assert normalise_date(value) == expected


@pytest.mark.parametrize("value", ["yesterday", "2024-13-01", "19/06/2024"])
def test_bad_dates_are_refused(value: str) -> None:
    with pytest.raises(InvalidMetadataError, match="YYYY-MM-DD"):
        normalise_date(value)


@pytest.mark.parametrize(
    "text",
    [
        'Hackers used "<img src=x onerror=alert(1)>" in the attack, the agency said.',
        "The report quoted the code <script>alert(2)</script> as evidence.",
    ],
)
def test_prose_quoting_a_tag_stays_text(text: str) -> None:
    assert not looks_like_html(text)
    assert prepare(text + " " + ENGLISH).text.startswith(text)


@pytest.mark.parametrize("text", ["<p>One.</p><p>Two.</p>", "  <div>News</div>", "<!DOCTYPE html><title>x</title>",
                                  "Intro<br>line<br>line<br>end"])
def test_html_documents_and_fragments_are_html(text: str) -> None:
    assert looks_like_html(text)
