"""`python -m analysis.evaluate COMMAND`: dispatch to one evaluation."""

from __future__ import annotations

import importlib
import sys

from analysis.errors import AnalysisError

COMMANDS = {
    "actors": "analysis.evaluate.actors",
    "statements": "analysis.evaluate.statements",
    "quotes": "analysis.evaluate.quotes",
    "sentiment": "analysis.evaluate.sentiment",
    "stance": "analysis.evaluate.stance",
    "countries": "analysis.evaluate.countries",
}


def main(argv: list[str] | None = None) -> int:
    """Run `python -m analysis.evaluate COMMAND [ARGS]`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    usage = f"usage: python -m analysis.evaluate {{{','.join(COMMANDS)}}} [options]"
    if not argv or argv[0] in ("-h", "--help"):
        print(usage)
        return 0 if argv else 2
    if argv[0] not in COMMANDS:
        print(f"unknown evaluation {argv[0]!r}; {usage}", file=sys.stderr)
        return 2
    try:
        return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])
    except AnalysisError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    raise SystemExit(main())
