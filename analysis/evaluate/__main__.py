"""Dispatch `python -m analysis.evaluate SUBCOMMAND [ARGS]` to the evaluation modules."""

from __future__ import annotations

import sys

_USAGE = "usage: python -m analysis.evaluate {quotes} [ARGS]"


def main(argv: list[str] | None = None) -> int:
    """Run one evaluation subcommand and return its exit code."""
    args = list(sys.argv[1:] if argv is None else argv)
    if not args or args[0] in {"-h", "--help"}:
        print(_USAGE)
        return 0 if args else 2
    command, rest = args[0], args[1:]
    if command == "quotes":
        from analysis.evaluate import quotes

        return quotes.main(rest)
    print(f"unknown subcommand {command!r}; {_USAGE}", file=sys.stderr)
    return 2


if __name__ == "__main__":
    sys.exit(main())
