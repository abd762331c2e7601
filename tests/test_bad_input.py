"""Every bad input a user can give, through `analyze`, the command line and the dashboard: one clear line, nothing lost.

The README's "Bad input" table lists these cases; each row has a test here. Analyses that need the models reuse the
models loaded once per test session; the command line runs in-process (`analysis.cli.main`).
"""

from __future__ import annotations

import io
import os
import random
import sqlite3
from pathlib import Path

import pytest
from sqlalchemy import event
from sqlalchemy.engine import Engine

from analysis import analyze
from analysis.cli import main
from analysis.errors import (
    ArticleTooLongError,
    EmptyArticleError,
    NoSentencesError,
    NotEnglishError,
    StoreUnavailableError,
)
from analysis.settings import load_settings
from analysis.store import SQLITE_FILE, Store

ENGLISH = ("The foreign minister said on Monday that the government would send a delegation to the talks, "
           "and that it was ready to discuss the proposal with its neighbours in the region.")
#: a short article with actors and a statement, written for these tests
SHORT = "Seoul summoned the Japanese ambassador on Tuesday. Japan said it regretted the incident and would respond."
#: a longer article: its stored analysis needs new pages in a store file (for the "full" store)
LONGER = "\n\n".join([SHORT] * 12)
#: common English words, for long texts made here (no dataset text)
_VOCAB = ("the a of and to in on for with that said would talks government minister officials week "
          "ceasefire proposal meeting region border trade agreement delegation spokesperson statement "
          "council security economic president foreign ministry monday tuesday").split()


def run_cli(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    code = main(list(args), out=out, err=err)
    return code, out.getvalue(), err.getvalue()


def assert_one_line_error(code: int, out: str, err: str, message: str) -> None:
    assert code == 2, (out, err)
    assert out == ""
    assert err.startswith("error: ") and err.endswith("\n") and err.count("\n") == 1, err
    assert message in err and "Traceback" not in err


def assert_spans_inside(result) -> None:
    text = result.article.text
    for row in result.mentions.to_dict(orient="records"):
        assert 0 <= row["start"] < row["end"] <= len(text)
        assert text[row["start"]:row["end"]] == row["text"]
    for row in result.statements.to_dict(orient="records"):
        assert 0 <= row["content_start"] <= row["content_end"] <= len(text)
        for start, end in row["content_spans"]:
            assert row["content_start"] <= start <= end <= row["content_end"]


#: the same without verbs of saying: filler that holds no statements
_FILLER = [w for w in _VOCAB if w not in {"said", "would", "statement", "spokesperson"}]


def _sentences(n_chars: int, seed: int = 0, vocab: list[str] = _VOCAB) -> str:
    """Plain English-looking sentences, `n_chars` long in all, on one line."""
    rng = random.Random(seed)
    parts, size = [], 0
    while size < n_chars:
        sentence = " ".join(rng.choice(vocab) for _ in range(rng.randint(8, 20))).capitalize() + "."
        parts.append(sentence)
        size += len(sentence) + 1
    return " ".join(parts)[:n_chars]


# ---- analyze: refused with the documented error ------------------------------------------------------------------


@pytest.mark.parametrize(
    ("text", "error", "message"),
    [
        ("", EmptyArticleError, "the article is empty"),
        (" \n\t\u3000 \r\n ", EmptyArticleError, "the article is empty"),
        ("\u202e\u2066\ufeff\x00", EmptyArticleError, "the article is empty"),
        ('"""" ""', NoSentencesError, "no words to analyse"),
        ("“ ” ‘ ’ « » „ “ '' ``", NoSentencesError, "no words to analyse"),
        ("2024 — 17.5% (+3) ... !!! 12:30 #42", NoSentencesError, "no words to analyse"),
        (" ".join(["a"] * 10_000), NoSentencesError, "only single letters"),
        (" ".join(random.Random(1).choice("bcdefghjklmnpqrstuvwxyz") for _ in range(10_000)), NoSentencesError,
         "only single letters"),
        ("قال وزير الخارجية يوم الاثنين إن الحكومة سترسل وفدا إلى المحادثات وإنها مستعدة لمناقشة الاقتراح.",
         NotEnglishError, "another script"),
        ("שר החוץ אמר ביום שני כי הממשלה תשלח משלחת לשיחות וכי היא מוכנה לדון בהצעה עם שכנותיה.",
         NotEnglishError, "another script"),
        ("Le ministre des Affaires étrangères a déclaré lundi que le gouvernement enverrait une délégation aux "
         "pourparlers et qu'il était prêt à discuter de la proposition avec ses voisins de la région.",
         NotEnglishError, "does not look like English"),
    ],
    ids=["empty", "whitespace", "only-controls", "only-quotes", "only-curly-quotes", "no-words", "one-letter-a",
         "one-letter-random", "arabic", "hebrew", "french"],
)
def test_bad_text_is_refused_with_its_message(text: str, error: type, message: str) -> None:
    with pytest.raises(error, match=message) as info:
        analyze(text)
    assert "\n" not in str(info.value)


def test_exactly_one_character_over_the_limit_is_refused_and_the_limit_itself_is_not() -> None:
    limit = load_settings().max_chars
    assert limit == 200_000
    text = _sentences(limit + 1)
    assert len(text) == 200_001
    with pytest.raises(ArticleTooLongError, match=r"has 200,001 characters; the limit is 200,000"):
        analyze(text)
    from analysis.stages.article import prepare_article

    assert len(prepare_article(text[:limit], max_chars=limit, fingerprint="t").text) == limit


# ---- analyze: odd but valid text gives a sane analysis ------------------------------------------------------------


def test_html_with_scripts_is_analysed_as_its_visible_text_only() -> None:
    html = ("<html><head><title>Envoy summoned</title><script>var s = 'Russia said \"war\"';</script></head><body>"
            "<p onclick=\"alert('Moscow said no')\">" + SHORT + "</p><script>document.write('Putin said yes')"
            "</script><noscript>Kremlin said</noscript><style>p:after{content:'China said'}</style></body></html>")
    result = analyze(html)
    assert result.article.title == "Envoy summoned"
    assert result.article.text == SHORT
    assert {"South Korea", "Japan"} <= set(result.actors["name"])
    assert not {"Russia", "Vladimir Putin", "China"} & set(result.actors["name"])
    assert_spans_inside(result)


def test_control_characters_become_spaces_and_keep_every_offset() -> None:
    raw = ("Seoul\x00 summoned\x07 the Japanese\x1b[0m ambassador on Tuesday.\u2028Japan said\u202e it regretted "
           "the\x0c incident and would respond.\x7f")
    result = analyze(raw)
    text = result.article.text
    assert len(text) == len(raw)
    assert not any(c in text for c in "\x00\x07\x1b\u2028\u202e\x0c\x7f")
    mentions = {row["text"]: row["start"] for row in result.mentions.to_dict(orient="records")}
    assert mentions["Seoul"] == raw.index("Seoul") and mentions["Japan"] == raw.index("Japan said")
    assert_spans_inside(result)


def test_english_with_an_embedded_right_to_left_name_is_analysed() -> None:
    text = ("Israeli Prime Minister David Ben-Ami (\u200fדוד בן עמי\u200f) said on Monday that the government would "
            "send a delegation to the talks in Cairo. Egypt said it was ready to host the meeting.")
    result = analyze(text)
    assert {"ISR", "EGY"} <= set(result.actors["country"].dropna())
    speakers = set(result.statements["speaker"].dropna())
    assert "Egypt" in speakers
    assert_spans_inside(result)


@pytest.mark.parametrize("quote", ['"', "“", "‘", "«"])
def test_an_opening_quote_never_closed_still_gives_sane_statements(quote: str) -> None:
    text = (f"The foreign minister of France said on Monday: {quote}We will not accept this and we will respond. "
            "Officials in Berlin said they were concerned about the talks.\n\n"
            "Japan said on Tuesday that it would send a delegation to Geneva. "
            "China said the proposal was unacceptable.")
    result = analyze(text)
    assert_spans_inside(result)
    statements = result.statements
    assert len(statements) >= 3
    # the open quote does not swallow the rest of the article: later statements keep their own speakers
    assert {"Japan", "China"} <= set(statements["speaker"].dropna())
    paragraph_end = text.index("\n\n")
    for row in statements.to_dict(orient="records"):
        if row["content_start"] < paragraph_end:
            assert row["content_end"] <= paragraph_end, row["content_text"]


def test_a_huge_single_line_is_analysed_with_valid_spans() -> None:
    text = SHORT + " " + _sentences(150_000, seed=2, vocab=_FILLER)
    text = text[:150_000]
    assert "\n" not in text and len(text) == 150_000
    result = analyze(text)
    assert result.article.text == text
    assert {"South Korea", "Japan"} <= set(result.actors["name"])
    assert "Japan" in set(result.statements["speaker"])
    assert_spans_inside(result)


# ---- the command line: exit 2 with one line ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("content", "message"),
    [
        (b"", "the article is empty"),
        (b" \n \t\n", "the article is empty"),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj", "is a binary file"),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR", "is a binary file"),
        (b"The talks\x00\x00\x00 went on", "is a binary file"),
        ("Señor Pérez said the talks went on".encode("latin-1"), "is not UTF-8 text (byte 0xf1 at position 2)"),
        ("The minister said the talks went on".encode("cp1252") + b"\x93quoted\x94", "is not UTF-8 text"),
        (b'"""" ""', "no words to analyse"),
        ("שר החוץ אמר ביום שני כי הממשלה תשלח משלחת לשיחות.".encode(), "not in English"),
        (_sentences(200_001).encode(), "has 200,001 characters; the limit is 200,000"),
    ],
    ids=["empty", "whitespace", "pdf", "png", "nul-bytes", "latin-1", "cp1252", "only-quotes", "hebrew",
         "200001-chars"],
)
def test_cli_refuses_bad_files_with_one_line_and_exit_2(tmp_path: Path, content: bytes, message: str) -> None:
    path = tmp_path / "article.txt"
    path.write_bytes(content)
    assert_one_line_error(*run_cli("analyze", str(path)), message)


def test_cli_quotes_jsonl_reports_a_bad_text_on_its_line_and_goes_on(tmp_path: Path) -> None:
    import json

    path = tmp_path / "in.jsonl"
    # the last text holds raw line and paragraph separators, which JSON allows inside strings: still one line
    lines = [{"id": "empty", "text": ""}, {"id": "quotes", "text": '"""" ""'},
             {"id": "ok", "text": SHORT.replace(". ", ".\u2028\u2029\x85")}]
    path.write_text("\r\n".join(json.dumps(rec, ensure_ascii=False) for rec in lines) + "\r\n", encoding="utf-8")
    code, out, err = run_cli("quotes", "--jsonl", str(path))
    assert code == 0 and err == ""
    rows = [json.loads(line) for line in out.splitlines()]
    assert [r["id"] for r in rows] == ["empty", "quotes", "ok"]
    assert "empty" in rows[0]["error"] and "no words" in rows[1]["error"]
    assert "error" not in rows[2] and rows[2]["statements"]


def test_cli_quotes_jsonl_refuses_a_binary_file(tmp_path: Path) -> None:
    path = tmp_path / "in.jsonl"
    path.write_bytes(b"PK\x03\x04zipped")
    assert_one_line_error(*run_cli("quotes", "--jsonl", str(path)), "is a binary file")


# ---- stores that cannot be written -------------------------------------------------------------------------------


def _stored_once(folder: Path) -> Path:
    """A store file with its tables made (then closed), as a server leaves it."""
    folder.mkdir(parents=True, exist_ok=True)
    Store(f"sqlite:///{folder / SQLITE_FILE}").dispose()
    return folder / SQLITE_FILE


class _Full:
    """Make one SQLite file 'full': every new connection to it may not grow it (PRAGMA max_page_count)."""

    def __init__(self, path: Path) -> None:
        self.path = str(path.resolve())

    def __call__(self, dbapi_conn, _record) -> None:
        if not isinstance(dbapi_conn, sqlite3.Connection):
            return
        files = [row[2] for row in dbapi_conn.execute("PRAGMA database_list")]
        if self.path in files:
            pages = dbapi_conn.execute("PRAGMA page_count").fetchone()[0]
            dbapi_conn.execute(f"PRAGMA max_page_count={pages}")

    def __enter__(self) -> _Full:
        event.listen(Engine, "connect", self)
        return self

    def __exit__(self, *exc: object) -> None:
        event.remove(Engine, "connect", self)


def read_only_url(path: Path) -> str:
    """SQLite's read-only mode: what a file without write permission gives (tests run as root, where chmod is not
    enforced)."""
    return f"sqlite:///file:{path}?mode=ro&uri=true"


def test_store_read_only_or_full_raises_store_unavailable(tmp_path: Path) -> None:
    result = analyze(LONGER)
    path = _stored_once(tmp_path)
    with pytest.raises(StoreUnavailableError, match=r"cannot write to the store .*readonly database"):
        Store(read_only_url(path)).save(result)
    with _Full(path), pytest.raises(StoreUnavailableError, match=r"cannot write to the store .*disk is full"):
        Store(f"sqlite:///{path}").save(result)
    store = Store(f"sqlite:///{path}")
    assert store.count() == 0  # nothing half-written
    store.save(result)
    assert store.load(result.article_id).to_dict()["tables"] == result.to_dict()["tables"]


def test_cli_batch_into_a_read_only_store_exits_2_with_one_line(tmp_path: Path, monkeypatch) -> None:
    folder = tmp_path / "articles"
    folder.mkdir()
    (folder / "envoy.txt").write_text(SHORT, encoding="utf-8")
    empty = tmp_path / "empty.sqlite"
    empty.touch()  # a store file without its tables, which may not be written: it cannot even be set up
    monkeypatch.setenv("DATABASE_URL", read_only_url(empty))
    assert_one_line_error(*run_cli("batch", str(folder), "--no-progress"), "cannot open the store")


# ---- the dashboard -------------------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "data", "message"),
    [
        ("scan.txt", b"%PDF-1.4\n%\xe2\xe3\xcf\xd3", "scan.txt is a binary file"),
        ("photo.html", b"\xff\xd8\xff\xe0\x00\x10JFIF", "photo.html is a binary file"),
        ("old.txt", "Le président a dit « non ».".encode("latin-1"), "old.txt is not UTF-8 text (byte 0xe9"),
    ],
)
def test_upload_of_a_binary_or_non_utf8_file_shows_one_message(app_test, name: str, data: bytes,
                                                                 message: str) -> None:
    at = app_test()
    at.segmented_control(key="source_kind").set_value("Upload").run()
    at.file_uploader(key="upload").set_value((name, data, "text/plain")).run()
    assert [e.value for e in at.error] == [next(e.value for e in at.error if message in e.value)]
    at.button[0].click().run()
    assert not at.exception
    assert len(at.error) == 1 and message in at.error[0].value  # no second "the article is empty"
    assert not at.metric


def test_upload_of_an_html_file_with_scripts_is_analysed(app_test) -> None:
    at = app_test()
    at.segmented_control(key="source_kind").set_value("Upload").run()
    page = f"<html><body><script>alert('Moscow said no')</script><p>{SHORT}</p></body></html>"
    at.file_uploader(key="upload").set_value(("envoy.html", page.encode(), "text/html")).run()
    at.button[0].click().run()
    assert not at.exception and not at.error
    assert {"South Korea", "Japan"} <= set(at.dataframe[0].value["name"])


@pytest.mark.parametrize("value", ["", "   ", "0123456789ABCDEF0", "../../etc/passwd", "a" * 5000])
def test_an_empty_or_malformed_share_id_never_breaks_a_page(app_test, value: str) -> None:
    at = app_test(query={"a": value})
    for page in ("pages/analyze.py", "pages/quotes.py", "pages/actors.py"):
        at.switch_page(page).run()
        assert not at.exception
        if value:
            assert len(at.error) == 1 and "is not an analysis id" in at.error[0].value
            assert len(at.error[0].value) < 200
        else:
            assert not at.error


def test_an_id_of_the_right_form_but_unknown_says_so(app_test) -> None:
    at = app_test(query={"a": "FEDCBA9876543210"})  # upper case is read as lower case
    assert [e.value for e in at.error] == ["no analysis with id fedcba9876543210 in this store; it may have been "
                                           "deleted, or the link comes from another Stance Atlas"]


def _paste_and_analyse(at, text: str) -> None:
    at.text_area(key="pasted").input(text)
    at.button[0].click().run()
    assert not at.exception


@pytest.mark.parametrize("how", ["read-only", "full", "chmod", "unreachable"])
def test_a_store_that_cannot_be_written_still_shows_the_analysis(app_test, tmp_path, monkeypatch, how: str) -> None:
    folder = tmp_path / "store"
    path = _stored_once(folder)
    monkeypatch.setenv("STANCE_ATLAS_DATA_DIR", str(folder))
    full = None
    if how == "read-only":
        monkeypatch.setenv("DATABASE_URL", read_only_url(path))
    elif how == "full":
        full = _Full(path).__enter__()
    elif how == "unreachable":  # the store cannot even be opened
        monkeypatch.setenv("DATABASE_URL", f"sqlite:///file:{tmp_path}/missing/store.sqlite?mode=ro&uri=true")
    else:
        if os.geteuid() == 0:
            pytest.skip("root ignores file permissions; the read-only case covers this with SQLite's read-only mode")
        path.chmod(0o444)
        folder.chmod(0o555)
    try:
        at = app_test()
        _paste_and_analyse(at, LONGER)
    finally:
        if full is not None:
            full.__exit__()
        folder.chmod(0o755)
        path.chmod(0o644)
    assert not at.error
    warning = " ".join(w.value for w in at.warning)
    assert "Not saved: cannot" in warning and "the store" in warning and "download it" in warning
    assert {"South Korea", "Japan"} <= set(at.dataframe[0].value["name"])  # the analysis is shown all the same
    article_id = at.query_params["a"]
    at.switch_page("pages/actors.py").run()  # and on the other pages of this session
    assert not at.exception and not at.error
    assert "Japan" in set(at.dataframe[0].value["name"])
    assert any("cannot be corrected" in i.value or "Corrections are off: cannot open the store" in i.value
               for i in at.info)  # the forms are off, with the reason
    assert at.query_params["a"] == article_id
    assert Store(f"sqlite:///{path}").count() == 0
