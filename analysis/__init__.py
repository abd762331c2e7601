"""Stance Atlas analysis package."""
