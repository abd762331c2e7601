"""Evaluation commands of Stance Atlas: `python -m analysis.evaluate SUBCOMMAND`."""
