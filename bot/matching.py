"""Recognising what people type, whatever their keyboard: case, accents and apostrophes aside."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

T = TypeVar("T")


def fold(text: str) -> str:
    """`Mañana` → `manana`, `Aujourd'hui` → `aujourdhui`, `Français` → `francais`."""
    decomposed = unicodedata.normalize("NFKD", text.strip().lower())
    return "".join(c for c in decomposed if c.isalnum() or c == " ")


@dataclass(frozen=True)
class Found(Generic[T]):
    """What a typed name designates: one item, or none and the closest names' items."""

    item: T | None
    suggestions: list[T]
    # True when the suggestions match the name as well as each other (the same Act in several
    # rounds); False when they are only close to it ("did you mean").
    ambiguous: bool = False


def find(query: str, candidates: Sequence[tuple[T, Sequence[str]]]) -> Found[T]:
    """Match a typed name against each candidate's names (numbers, short names, titles in
    every language): exactly, then as the start or a part of one name, then "did you mean"."""
    wanted = fold(query)
    if not wanted:
        return Found(None, [])
    names = [(item, fold(name)) for item, item_names in candidates for name in item_names if name]
    for rule in (
        lambda name: name == wanted,
        lambda name: name.startswith(wanted),
        lambda name: len(wanted) >= 3 and wanted in name,
    ):
        hits = _unique([item for item, name in names if rule(name)])
        if len(hits) == 1:
            return Found(hits[0], [])
        if hits:
            return Found(None, hits, ambiguous=True)
    close = difflib.get_close_matches(wanted, [name for _item, name in names], n=3, cutoff=0.6)
    return Found(None, _unique([item for item, name in names if name in close]))


def _unique(items: list[T]) -> list[T]:
    seen: list[T] = []
    for item in items:
        if not any(item is other for other in seen):
            seen.append(item)
    return seen
