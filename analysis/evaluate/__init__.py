"""Evaluation commands of Stance Atlas: `python -m analysis.evaluate <task> ...` prints figures for ours and peers."""
