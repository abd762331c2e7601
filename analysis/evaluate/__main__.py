"""`python -m analysis.evaluate COMMAND`: dispatch to one evaluation."""

from __future__ import annotations

import importlib
import sys

COMMANDS = {"actors": "analysis.evaluate.actors"}


def main(argv: list[str] | None = None) -> int:
    """Run `python -m analysis.evaluate COMMAND [ARGS]`."""
    argv = list(sys.argv[1:] if argv is None else argv)
    if not argv or argv[0] not in COMMANDS:
        print(f"usage: python -m analysis.evaluate {{{','.join(COMMANDS)}}} [options]", file=sys.stderr)
        return 2
    return importlib.import_module(COMMANDS[argv[0]]).main(argv[1:])


if __name__ == "__main__":
    raise SystemExit(main())
