"""Property tests: any text gives a valid analysis or the documented input error, through `analyze`, the quote
finder and the command line.

The texts mix English news words, quotes of every kind (balanced or not), HTML fragments, control characters,
right-to-left scripts, emoji and very long tokens, plus arbitrary Unicode. "Valid" means: every table has exactly its
documented columns and dtypes (`analysis.schema.TABLES`), every span lies inside the text and names what it says, and
ids agree across tables. Example counts are modest so the file runs in well under a minute once the models are loaded.
"""

from __future__ import annotations

import io
import itertools
import json
import math
from pathlib import Path

from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as hs

from analysis import analyze
from analysis.cli import main
from analysis.errors import InputError
from analysis.labels import STANCE_LABELS as LABELS
from analysis.schema import TABLES, is_missing
from analysis.stages.article import clean_text, looks_like_html

_NEWS = ["Russia", "said", "the", "Seoul", "Putin", "Kim", "minister", "North", "of", "and", "US", "Kremlin",
         "Washington", "France", "Japan", "China", "Beijing", "told", "reporters", "foreign", "ministry",
         "spokesperson", "on", "Monday", "would", "respond", "condemned", "attack", "warned", "that", "it", "was",
         "concerned", "by",
         "United", "Nations", "Security", "Council", "President", "Emmanuel", "Macron", "according", "to", "Reuters",
         "Israel", "Hamas", "NATO", "a", "in", "talks", "sanctions", "Brazil", "Ukraine", "Kyiv", "he", "she", "they"]
_PUNCT = [",", ".", ":", ";", "?", "!", "'s", "’s", "(", ")", "—", "–", "-", "...", "…", "\n", "\n\n"]
_QUOTES = ['"', "“", "”", "‘", "’", "'", "«", "»", "„", "‹", "›", "「", "」", "``", "''", '""', "“”"]
_HTML = ["<p>", "</p>", "<br>", "<div class='x'>", "</div>", "<script>alert('Putin said')</script>", "<b>", "</b>",
         "&amp;", "&nbsp;", "&#8220;", "<!-- said -->", "<style>p{}</style>", "<a href='x'>", "</a>", "<", ">"]
_CONTROL = ["\x00", "\x07", "\x0b", "\x0c", "\x1b", "\x7f", "\x85", "\u2028", "\u2029", "\u202e", "\u2066", "\ufeff",
            "\u200b", "\u200d", "\t", "\r\n", "\r"]
_RTL = ["שלום", "אמר", "بوتين", "قال", "\u200f", "\u200e", "מ״ח", "١٢٣"]
_EMOJI = ["😀", "🇺🇦", "👍🏽", "👨‍👩‍👧", "🔥", "️", "©", "™"]
_LONG = hs.text(alphabet="abcdefghijklmnopqrstuvwxyz-", min_size=60, max_size=3000)

_TOKEN = hs.one_of(
    hs.sampled_from(_NEWS), hs.sampled_from(_NEWS), hs.sampled_from(_NEWS), hs.sampled_from(_PUNCT),
    hs.sampled_from(_QUOTES), hs.sampled_from(_HTML), hs.sampled_from(_CONTROL), hs.sampled_from(_RTL),
    hs.sampled_from(_EMOJI), _LONG, hs.text(max_size=8),
)
_MIXED = hs.lists(_TOKEN, max_size=90).flatmap(
    lambda tokens: hs.sampled_from([" ", "", " \n"]).map(lambda sep: sep.join(tokens)))


@hs.composite
def _sentences(draw: hs.DrawFn) -> str:
    """English-looking sentences, some quoted (balanced or not), so most examples get past the input checks."""
    parts = []
    for _ in range(draw(hs.integers(1, 6))):
        words = " ".join(draw(hs.lists(hs.sampled_from(_NEWS), min_size=3, max_size=18)))
        speaker = draw(hs.sampled_from(["Russia", "The French foreign ministry", "President Emmanuel Macron",
                                        "Japan’s foreign minister", "A spokesperson", "Kim", "Hamas"]))
        opening, closing = draw(hs.sampled_from([('"', '"'), ("“", "”"), ("‘", "’"), ("«", "»"), ("“", ""),
                                                 ('"', ""), ("", "”"), ("„", "“")]))
        form = draw(hs.integers(0, 3))
        if form == 0:
            parts.append(f"{speaker} said {words}.")
        elif form == 1:
            parts.append(f"{opening}{words},{closing} {speaker} said.")
        elif form == 2:
            parts.append(f"{speaker} said: {opening}{words}.{closing}")
        else:
            parts.append(f"{speaker} {draw(hs.sampled_from(['condemned', 'warned', 'told reporters']))} {words}.")
    return draw(hs.sampled_from([" ", "\n\n", "\n"])).join(parts)


_TEXT = hs.one_of(hs.text(max_size=400), _MIXED, _sentences(), _sentences(), hs.tuples(_sentences(), _MIXED).map(
    lambda pair: pair[0] + " " + pair[1]))
_SETTINGS = settings(max_examples=40, deadline=None, derandomize=True,
                     suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large,
                                            HealthCheck.filter_too_much])


def _in(text: str, start: object, end: object) -> bool:
    return isinstance(start, int) and isinstance(end, int) and 0 <= start <= end <= len(text)


def check_analysis(result) -> None:
    """Assert that an analysis is valid: documented columns and dtypes, spans inside the text, ids consistent."""
    text = result.article.text
    aid = result.article_id
    assert len(aid) == 16 and set(aid) <= set("0123456789abcdef")
    for name, cols in TABLES.items():
        df = getattr(result, name)
        assert list(df.columns) == [c.name for c in cols], name
        assert [str(t) for t in df.dtypes] == [c.dtype for c in cols], name
        assert (df["article_id"] == aid).all(), name
        assert list(df.index) == list(range(len(df))), name
    actors = {r["actor_id"]: r for r in result.actors.to_dict(orient="records")}
    assert len(actors) == len(result.actors)
    names = {r["name"] for r in actors.values()}

    mentions = result.mentions.to_dict(orient="records")
    assert [m["mention_id"] for m in mentions] == list(range(len(mentions)))
    for m in mentions:
        assert _in(text, m["start"], m["end"]) and m["start"] < m["end"]
        assert text[m["start"]:m["end"]] == m["text"]
        assert m["actor_id"] in actors
        assert m["sentiment"] in ("negative", "neutral", "positive")
        assert -1 <= m["sentiment_score"] <= 1
    assert {m["actor_id"] for m in mentions} == set(actors)
    for aid_, actor in actors.items():
        own = [m for m in mentions if m["actor_id"] == aid_]
        assert actor["mention_count"] == len(own)
        assert actor["first_start"] == min(m["start"] for m in own)
        assert actor["sentiment_negative"] + actor["sentiment_neutral"] + actor["sentiment_positive"] == len(own)

    countries = result.countries.to_dict(orient="records")
    assert len({c["iso3"] for c in countries}) == len(countries)
    for c in countries:
        assert set(c["actor_ids"]) <= set(actors) and len(c["actor_ids"]) == len(c["actors"]) == c["actor_count"]
        assert all(actors[i]["country"] == c["iso3"] for i in c["actor_ids"])
        assert -90 <= c["lat"] <= 90 and -180 <= c["lon"] <= 180
    known_countries = {c["iso3"] for c in countries} | {a["country"] for a in actors.values() if a["country"]}

    statements = result.statements.to_dict(orient="records")
    assert [s["statement_id"] for s in statements] == list(range(len(statements)))
    for s in statements:
        assert s["kind"] in ("direct", "indirect", "mixed", "action")
        assert s["stance"] in LABELS
        for part in ("speaker", "cue"):
            if not is_missing(s[f"{part}_start"]):
                assert _in(text, s[f"{part}_start"], s[f"{part}_end"])
                assert text[s[f"{part}_start"]:s[f"{part}_end"]] == s[f"{part}_text"]
        assert _in(text, s["content_start"], s["content_end"])
        spans = s["content_spans"]
        assert spans and all(len(sp) == 2 for sp in spans)
        assert spans[0][0] == s["content_start"] and spans[-1][1] == s["content_end"]
        for start, end in spans:
            assert s["content_start"] <= start <= end <= s["content_end"]
        assert all(a[1] <= b[0] for a, b in itertools.pairwise(spans))
        if len(spans) == 1:
            assert s["content_text"] == text[s["content_start"]:s["content_end"]]
        else:
            assert all(text[a:b].strip() in s["content_text"] for a, b in spans)
        if not is_missing(s["speaker_actor_id"]):
            assert s["speaker_actor_id"] in actors
            assert s["speaker"] == actors[s["speaker_actor_id"]]["name"]
        assert set(s["targets"]) <= names
        assert set(s["target_countries"]) <= known_countries
        assert s["sentiment"] in ("negative", "neutral", "positive") and -1 <= s["sentiment_score"] <= 1
        assert not math.isnan(s["sentiment_score"])


@_SETTINGS
@given(_TEXT)
def test_any_text_gives_a_valid_analysis_or_an_input_error(text: str) -> None:
    try:
        result = analyze(text)
    except InputError as exc:
        message = str(exc)
        assert message and "\n" not in message and len(message) < 300
        return
    check_analysis(result)
    if not looks_like_html(text):
        assert result.article.text == clean_text(text)  # offsets point into the text given


#: words for the inside of a quote: no verbs of saying or acting, which would make a statement of their own
_QUOTED = ["the", "talks", "sanctions", "of", "and", "in", "on", "Monday", "a", "United", "Nations", "Security",
           "Council", "attack", "ministry", "foreign", "Brazil", "Ukraine", "peace", "region", "future", "our", "no"]


@settings(max_examples=20, deadline=None, derandomize=True, suppress_health_check=[HealthCheck.too_slow])
@given(speaker=hs.sampled_from([("Russia", "RUS"), ("France", "FRA"), ("Japan", "JPN"), ("Brazil", "BRA")]),
       words=hs.lists(hs.sampled_from(_QUOTED), min_size=4, max_size=16),
       quotes=hs.sampled_from([('"', '"'), ("“", "”"), ("«", "»")]),
       before=_sentences(), after=_sentences())
def test_a_well_formed_quote_is_found_with_its_speaker(speaker, words, quotes, before, after) -> None:
    name, iso3 = speaker
    quote = f"{quotes[0]}{' '.join(words).capitalize()}.{quotes[1]}"
    sentence = f"{name} said on Monday: {quote}"
    text = f"{before}\n\n{sentence}\n\n{after}"
    result = analyze(text)
    check_analysis(result)
    start = text.index(sentence) + len(sentence) - len(quote)
    end = start + len(quote)
    # the content covers the quoted words (at times without the closing '."', where the parser splits the sentence
    # between the stop and the quote mark) and does not run past the quote
    found = [s for s in result.statements.to_dict(orient="records")
             if s["content_start"] <= start + 1 and end - 2 <= s["content_end"] <= end + 1]
    assert found, (quote, result.statements[["kind", "speaker", "content_text"]].to_dict(orient="records"))
    assert any(s["speaker_country"] == iso3 for s in found), found


_CONTRACT_KEYS = {"kind", "speaker", "cue", "content", "speaker_actor", "stance"}


@settings(max_examples=25, deadline=None, derandomize=True,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(hs.lists(_TEXT, min_size=1, max_size=3), hs.booleans())
@example(["Seoul said on Monday\u2028that Japan\u2029had agreed.\x85", ""], False)  # separators JSON allows raw
def test_cli_quotes_jsonl_gives_one_valid_json_line_per_text(texts: list[str], ascii_only: bool) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "in.jsonl"
        records = [{"id": f"t{n}", "text": text} for n, text in enumerate(texts)]
        path.write_text("\n".join(json.dumps(r, ensure_ascii=ascii_only) for r in records) + "\n", encoding="utf-8")
        out, err = io.StringIO(), io.StringIO()
        code = main(["quotes", "--jsonl", str(path)], out=out, err=err)
    assert code == 0, err.getvalue()
    assert err.getvalue() == ""
    lines = out.getvalue().splitlines()
    assert len(lines) == len(records)
    for rec, line in zip(records, lines, strict=True):
        row = json.loads(line)
        assert row["id"] == rec["id"]
        assert isinstance(row["statements"], list)
        if "error" in row:
            assert set(row) == {"id", "statements", "error"} and row["statements"] == []
            assert row["error"] and "\n" not in row["error"]
            continue
        assert set(row) == {"id", "statements"}
        clean = None if looks_like_html(rec["text"]) else clean_text(rec["text"])
        for s in row["statements"]:
            assert set(s) == _CONTRACT_KEYS
            assert s["kind"] in ("direct", "indirect", "mixed", "action") and s["stance"] in LABELS
            assert s["content"] is not None
            for part in ("speaker", "cue", "content"):
                span = s[part]
                if span is None:
                    continue
                assert set(span) == {"start", "end", "text"} and 0 <= span["start"] <= span["end"]
                if clean is not None:
                    assert span["end"] <= len(clean)
                    assert clean[span["start"]:span["end"]] == span["text"]


@settings(max_examples=40, deadline=None, derandomize=True)
@given(hs.binary(max_size=300))
def test_cli_on_any_bytes_exits_0_or_2_with_one_line(data: bytes) -> None:
    import tempfile

    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "article.txt"
        path.write_bytes(data)
        out, err = io.StringIO(), io.StringIO()
        code = main(["analyze", str(path), "--json"], out=out, err=err)
    if code == 0:
        assert err.getvalue() == ""
        data_out = json.loads(out.getvalue())
        assert set(data_out["tables"]) == set(TABLES)
    else:
        assert code == 2 and out.getvalue() == ""
        message = err.getvalue()
        assert message.startswith("error: ") and message.count("\n") == 1 and message.endswith("\n")
