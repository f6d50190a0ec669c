"""Cells of the CSV files written for spreadsheets (the meeting's exports)."""

from __future__ import annotations

# What a spreadsheet reads as a formula when a cell starts with it (CSV injection, OWASP).
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(text: str) -> str:
    """A cell a spreadsheet shows as text: a leading apostrophe before a formula's start (a
    name written `=HYPERLINK(…)` is shown, never run)."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text
