"""Recognising what people type, whatever their keyboard: case, accents and apostrophes aside."""

from __future__ import annotations

import difflib
import unicodedata
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from bot.text.numbers import parse_number

T = TypeVar("T")


def fold(text: str) -> str:
    """`Mañana` → `manana`, `Aujourd'hui` → `aujourdhui`, `Français` → `francais`.

    Digits other than ASCII ones (`²`, `١`, `１`) are kept as they are: they are no numbers here
    (bot.text.numbers), so they never match one."""
    decomposed = "".join(
        c if c.isnumeric() and not c.isascii() else unicodedata.normalize("NFKD", c)
        for c in text.strip().lower()
    )
    return "".join(c for c in decomposed if c.isalnum() or c == " ")


def _a_wrong_number(query: str) -> bool:
    """A query without a letter is a number (an Act, a round's or a group's number): one that is
    not plain ASCII digits (`-1`, `1_000`, `٣`, 2**64) names nothing."""
    text = query.strip()
    if any(c.isalpha() for c in text) or not any(c.isnumeric() for c in text):
        return False
    return parse_number(text) is None


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
    if not wanted or _a_wrong_number(query):
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
