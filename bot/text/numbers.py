"""Numbers from outside — commands, buttons, forms, payloads, settings — read one strict way.

Python is generous with digits: `"²".isdigit()` is true but `int("²")` fails, `int("٣")` is 3,
`int(" +1_000 ")` is 1000, and `\\d` in a regular expression matches any script's digits. An
integer of 2**63 or more cannot even be bound to a SQLite query. So a number typed or carried
by a button is plain ASCII digits, nothing else, and it is bounded; anything else is no number,
and the caller answers as it does to any wrong number.
"""

from __future__ import annotations

import re

# The largest value of a 32-bit signed integer column (PostgreSQL INTEGER): every id fits.
MAX_NUMBER = 2**31 - 1

_DIGITS = re.compile(r"[0-9]+")
_DECIMAL = re.compile(r"[0-9]+(?:\.[0-9]+)?")
_LONGEST = 20  # characters; leading zeros included: longer text is never read as a number


def parse_number(text: str, *, minimum: int = 0, maximum: int = MAX_NUMBER) -> int | None:
    """`text` as an integer from `minimum` to `maximum` (both included), when it is written in
    ASCII digits only: no sign, space, underscore or other script's digits; else None."""
    if len(text) > _LONGEST or not _DIGITS.fullmatch(text):
        return None
    number = int(text)
    return number if minimum <= number <= maximum else None


def parse_decimal(text: str, *, minimum: float, maximum: float) -> float | None:
    """`text` as a decimal number (`30`, `0.5`) from `minimum` to `maximum`, written in ASCII
    digits with at most one decimal point; else None (no sign, exponent, `nan` or `inf`)."""
    if len(text) > _LONGEST or not _DECIMAL.fullmatch(text):
        return None
    number = float(text)
    return number if minimum <= number <= maximum else None
