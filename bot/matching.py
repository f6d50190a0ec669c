"""Recognising what people type, whatever their keyboard: case, accents and apostrophes aside."""

from __future__ import annotations

import unicodedata


def fold(text: str) -> str:
    """`Mañana` → `manana`, `Aujourd'hui` → `aujourdhui`, `Français` → `francais`."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if c.isalnum() or c == " ")
