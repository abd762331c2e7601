"""The one JSONL reader: lines split as JSON allows, each checked to be an object with the fields a command needs."""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Iterator
from typing import Any, TypeVar

from analysis.errors import InvalidInputLineError

T = TypeVar("T")


def jsonl_lines(text: str) -> list[str]:
    """Split JSONL text into its lines: at line feeds only (a CR before one is dropped).

    Not `str.splitlines()`, which also splits at U+2028, U+2029, U+0085 and other separators that JSON allows raw
    inside strings (as `json.dumps(..., ensure_ascii=False)` writes them).
    """
    lines = text.split("\n")
    if lines and lines[-1] == "":
        lines.pop()
    return [line.removesuffix("\r") for line in lines]


def parse_object(line: str, lineno: int, *, expected: str) -> dict[str, Any]:
    """Parse one JSONL line that must hold a JSON object.

    Args:
        line: the line.
        lineno: its number, from 1, for the message.
        expected: what the object should hold, for the message ("id, text, start, end").

    Raises:
        InvalidInputLineError: the line is not JSON or not an object.
    """
    try:
        obj = json.loads(line)
    except json.JSONDecodeError as exc:
        raise InvalidInputLineError(f"line {lineno}: not valid JSON ({exc.msg} at column {exc.colno})") from exc
    if not isinstance(obj, dict):
        raise InvalidInputLineError(f"line {lineno}: expected a JSON object with {expected}")
    return obj


def numbered(lines: Iterable[str]) -> Iterator[tuple[int, str]]:
    """(line number from 1, line) for every line that is not blank."""
    for lineno, line in enumerate(lines, start=1):
        if line.strip():
            yield lineno, line


def chunks(lines: Iterable[str], size: int, parse: Callable[[str, int], T]) -> Iterator[list[T]]:
    """Parse non-blank lines with `parse(line, lineno)` and yield them in lists of `size` (a stream is answered as
    it comes)."""
    chunk: list[T] = []
    for lineno, line in numbered(lines):
        chunk.append(parse(line, lineno))
        if len(chunk) >= size:
            yield chunk
            chunk = []
    if chunk:
        yield chunk


def require(obj: dict[str, Any], lineno: int, fields: dict[str, type]) -> dict[str, Any]:
    """Return `obj` when each field holds a value of its type (a bool is no int).

    Raises:
        InvalidInputLineError: naming the line and the first field that is missing or of the wrong type.
    """
    for name, kind in fields.items():
        value = obj.get(name)
        if not isinstance(value, kind) or isinstance(value, bool):
            raise InvalidInputLineError(f"line {lineno}: lacks {name!r} ({kind.__name__})")
    return obj
