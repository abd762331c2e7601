"""Dispatch `python -m analysis.evaluate <task>` (minimal: only `sentiment`; the lead merges the other tasks)."""

from __future__ import annotations

import sys

from analysis.errors import AnalysisError


def main(argv: list[str] | None = None) -> int:
    """Run the evaluation named by the first argument; returns the exit status."""
    args = sys.argv[1:] if argv is None else argv
    if not args or args[0] not in {"sentiment"}:
        print("usage: python -m analysis.evaluate sentiment --newsmtsc FILE [--json]", file=sys.stderr)
        return 2
    from analysis.evaluate import sentiment

    try:
        return sentiment.main(args[1:])
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
