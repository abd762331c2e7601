"""Evaluation commands: `python -m analysis.evaluate {actors,quotes,sentiment,stance} ...`."""
