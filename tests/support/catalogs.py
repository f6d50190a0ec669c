"""Reading Babel catalog messages, whose id and string are one text or several (plurals)."""

from __future__ import annotations

from collections.abc import Sequence


def texts(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """A message's id or string as a tuple: one text, each plural form, or none at all."""
    if value is None:
        return ()
    if isinstance(value, str):
        return (value,)
    return tuple(value)
