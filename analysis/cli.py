"""Command line of Stance Atlas: `python -m analysis COMMAND ...`.

Bad input exits with status 2 and one line on stderr naming the problem and the fix; no traceback.
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import TextIO

from analysis.errors import AnalysisError, InputFileNotFoundError
from analysis.jsonl import jsonl_lines, numbered, parse_object, require

EXIT_USAGE = 2


def read_input(path: str, *, stdin: TextIO | None = None) -> str:
    """Read article text from a file path or '-' (standard input), decoding bytes strictly.

    Raises:
        InputFileNotFoundError: the file does not exist or is not readable.
        NotUtf8Error, BinaryFileError: the bytes are not UTF-8 text.
    """
    from analysis.stages.article import decode_bytes

    if path == "-":
        stream = stdin or sys.stdin
        data = stream.buffer.read() if hasattr(stream, "buffer") else stream.read().encode("utf-8")
        return decode_bytes(data, name="standard input")
    file = Path(path)
    try:
        data = file.read_bytes()
    except FileNotFoundError as exc:
        raise InputFileNotFoundError(f"no such file: {path}") from exc
    except IsADirectoryError as exc:
        raise InputFileNotFoundError(f"{path} is a folder; give a text or HTML file") from exc
    except OSError as exc:
        raise InputFileNotFoundError(f"cannot read {path}: {exc.strerror}") from exc
    return decode_bytes(data, name=file.name)


def _cmd_analyze(args: argparse.Namespace, out: TextIO) -> int:
    from analysis.pipeline import analyze
    from analysis.tools.report import summary

    text = read_input(args.file)
    result = analyze(text, title=args.title, published=args.published, source=args.source)
    if args.json:
        out.write(result.to_json() + "\n")
    else:
        out.write(summary(result) + "\n")
    return 0


def read_jsonl(path: str, required: dict[str, type]) -> list[dict]:
    """Read JSONL input (a file or '-'), checking each line is an object with the required fields.

    Raises:
        InvalidInputLineError: a line is not JSON, not an object, or lacks a field (names the line number).
    """
    fields = ", ".join(required)
    return [require(parse_object(line, n, expected=fields), n, required)
            for n, line in numbered(jsonl_lines(read_input(path)))]


def _cmd_quotes(args: argparse.Namespace, out: TextIO) -> int:
    from analysis.errors import InputError
    from analysis.pipeline import analyze

    for rec in read_jsonl(args.file, {"id": str, "text": str}):
        try:
            result = analyze(rec["text"])
        except InputError as exc:
            out.write(_json_line({"id": rec["id"], "statements": [], "error": str(exc)}) + "\n")
            continue
        out.write(_json_line({"id": rec["id"], "statements": quote_records(result)}) + "\n")
        out.flush()
    return 0


def quote_records(result: object) -> list[dict]:
    """The statements of an analysis in the `quotes --jsonl` contract's form."""
    from analysis.schema import is_missing

    rows = []
    for stmt in result.statements.to_dict(orient="records"):  # type: ignore[attr-defined]
        def span(prefix: str, stmt: dict = stmt) -> dict | None:
            if is_missing(stmt[f"{prefix}_start"]):
                return None
            return {"start": int(stmt[f"{prefix}_start"]), "end": int(stmt[f"{prefix}_end"]),
                    "text": stmt[f"{prefix}_text"] if prefix != "content" else
                    result.article.text[int(stmt["content_start"]):int(stmt["content_end"])]}  # type: ignore[attr-defined]
        speaker = None if is_missing(stmt["speaker"]) else stmt["speaker"]
        rows.append({"kind": stmt["kind"], "speaker": span("speaker"), "cue": span("cue"),
                     "content": span("content"), "speaker_actor": speaker, "stance": stmt["stance"]})
    return rows


def _cmd_sentiment(args: argparse.Namespace, out: TextIO) -> int:
    from analysis.models.sentiment import sentiment_jsonl

    sentiment_jsonl(jsonl_lines(read_input(args.file)), out, batch_size=args.batch_size)
    return 0


def _cmd_batch(args: argparse.Namespace, out: TextIO) -> int:
    from analysis.tools.batch import iter_report_lines, run_batch

    report = run_batch(Path(args.folder), workers=args.workers, scheduler=args.scheduler, source=args.source,
                       progress=not args.no_progress)
    if args.json:
        out.write(_json_line(report.to_dict()) + "\n")
    else:
        for line in iter_report_lines(report):
            out.write(line + "\n")
    return 0


def _cmd_stance(args: argparse.Namespace, out: TextIO) -> int:
    from analysis.models.stance import stance_jsonl

    stance_jsonl(jsonl_lines(read_input(args.file)), out)
    return 0


def _cmd_corrections_export(args: argparse.Namespace, out: TextIO) -> int:
    from analysis.dashboard.corrections import team_stance_records
    from analysis.settings import load_settings
    from analysis.store import Store

    store = Store.from_settings(load_settings())
    if args.jsonl:
        lines = [_json_line(rec) + "\n" for rec in team_stance_records(store)]
    else:
        lines = [store.corrections().to_csv(index=False)]
    if args.out:
        Path(args.out).write_text("".join(lines), encoding="utf-8")
    else:
        out.writelines(lines)
    return 0


def _cmd_brief(args: argparse.Namespace, out: TextIO) -> int:
    from analysis.dashboard.brief import brief_html, stored_brief
    from analysis.store import ID_PATTERN

    wanted = args.article.strip().lower()
    if args.article != "-" and not Path(args.article).exists() and ID_PATTERN.match(wanted):
        from analysis.settings import load_settings
        from analysis.store import Store

        article_id = wanted
        link = f"{args.app_url.rstrip('/')}/?a={article_id}" if args.app_url else f"?a={article_id}"
        page = stored_brief(Store.from_settings(load_settings()), article_id, share_url=link)
    else:
        from analysis.pipeline import analyze

        result = analyze(read_input(args.article), title=args.title, published=args.published, source=args.source)
        article_id = result.article_id
        page = brief_html(result, share_url=None)
    target = Path(args.out or f"stance-atlas-brief-{article_id}.html")
    target.write_text(page, encoding="utf-8")
    out.write(f"wrote {target} ({target.stat().st_size / 1e6:.1f} MB)\n")
    return 0


def _cmd_schema(args: argparse.Namespace, out: TextIO) -> int:
    from analysis.schema import markdown

    out.write(markdown())
    return 0


#: commands that hand their arguments to a tool of `analysis.tools`: name -> (module, help)
_TOOLS = {
    "bench": ("bench", "benchmark: cold start, warm latency, throughput, memory, peers"),
    "bench-ui": ("bench_ui", "browser timings: cold start, Analyze click to results"),
}


def build_parser() -> argparse.ArgumentParser:
    """Return the argument parser of `python -m analysis`."""
    parser = argparse.ArgumentParser(prog="python -m analysis", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)

    p = sub.add_parser("analyze", help="analyse one article: actors, countries, statements")
    p.add_argument("file", help="a .txt or .html file, or - for standard input")
    p.add_argument("--json", action="store_true", help="print one JSON object with a list of records per table")
    p.add_argument("--title", help="headline of the article")
    p.add_argument("--source", help="outlet the article comes from")
    p.add_argument("--published", help="publication date, YYYY-MM-DD")
    p.set_defaults(func=_cmd_analyze)

    p = sub.add_parser("quotes", help="statements of many texts: JSONL in ({id, text}), JSONL out")
    p.add_argument("--jsonl", dest="file", nargs="?", const="-", default="-", metavar="FILE",
                   help="JSONL file, or - (default) for standard input")
    p.set_defaults(func=_cmd_quotes)

    p = sub.add_parser("sentiment", help="target-dependent sentiment: JSONL in ({id, text, start, end}), JSONL out")
    p.add_argument("--jsonl", dest="file", nargs="?", const="-", default="-", metavar="FILE",
                   help="JSONL file, or - (default) for standard input")
    p.add_argument("--batch-size", type=int, default=64, help="targets per model call")
    p.set_defaults(func=_cmd_sentiment)

    p = sub.add_parser("batch", help="analyse a folder of .txt/.html/.jsonl articles into the store (resumable)")
    p.add_argument("folder", help="folder to read, recursively")
    p.add_argument("--workers", type=int, default=2, help="worker processes of the local Dask cluster (default 2)")
    p.add_argument("--scheduler", help="address of a running Dask scheduler (tcp://host:8786) instead of a local one")
    p.add_argument("--source", help="outlet for articles that name none")
    p.add_argument("--no-progress", action="store_true", help="no progress bar")
    p.add_argument("--json", action="store_true", help="print the summary as one JSON object")
    p.set_defaults(func=_cmd_batch)

    p = sub.add_parser("stance", help="stance of statements: JSONL in ({id, text, speaker?, cue?, content?}), out")
    p.add_argument("--jsonl", dest="file", nargs="?", const="-", default="-", metavar="FILE",
                   help="JSONL file, or - (default) for standard input")
    p.set_defaults(func=_cmd_stance)

    p = sub.add_parser("corrections", help="analysts' corrections in the store (DATABASE_URL or the SQLite file)")
    verbs = p.add_subparsers(dest="verb", required=True)
    p = verbs.add_parser("export", help="every correction as CSV; with --jsonl the stance corrections as training data")
    p.add_argument("--jsonl", action="store_true",
                   help="one JSON object per corrected statement (id, label, speaker, cue, content, text, targets, "
                        "made_by, made_at): the input of `python -m analysis.training.stance --with-corrections`")
    p.add_argument("--out", metavar="FILE", help="write to FILE instead of standard output")
    p.set_defaults(func=_cmd_corrections_export)

    p = sub.add_parser("brief", help="one self-contained HTML brief of an analysis (map, stance, statements)")
    p.add_argument("article", help="a stored analysis's id (16 hex digits), or a .txt/.html file (or -) to analyse")
    p.add_argument("-o", "--out", metavar="FILE", help="where to write it (default stance-atlas-brief-<id>.html)")
    p.add_argument("--app-url", help="the address of your Stance Atlas, for the share link (http://host:8501)")
    p.add_argument("--title", help="headline of the article (a file)")
    p.add_argument("--source", help="outlet the article comes from (a file)")
    p.add_argument("--published", help="publication date, YYYY-MM-DD (a file)")
    p.set_defaults(func=_cmd_brief)

    p = sub.add_parser("schema", help="print every table's columns, dtypes and meanings as Markdown")
    p.set_defaults(func=_cmd_schema)

    for name, what in _TOOLS.items():
        sub.add_parser(name, help=f"{what[1]} (python -m analysis {name} --help for its options)")
    return parser


def main(argv: Sequence[str] | None = None, *, out: TextIO | None = None, err: TextIO | None = None) -> int:
    """Run the command line; return the exit status (0 ok, 2 bad input or usage)."""
    out = out or sys.stdout
    err = err or sys.stderr
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv and argv[0] in _TOOLS:
        import importlib

        return int(importlib.import_module(f"analysis.tools.{_TOOLS[argv[0]][0]}").main(argv[1:]) or 0)
    parser = build_parser()
    args = parser.parse_args(argv)
    func: Callable[[argparse.Namespace, TextIO], int] = args.func
    try:
        return func(args, out)
    except AnalysisError as exc:
        err.write(f"error: {exc}\n")
        return EXIT_USAGE
    except BrokenPipeError:  # `... | head`
        return 0
    except KeyboardInterrupt:
        err.write("interrupted\n")
        return 130


def _json_line(obj: object) -> str:
    return json.dumps(obj, ensure_ascii=False)
