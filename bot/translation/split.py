"""Long texts cut into pieces a provider takes in one request: at sentence ends first, then at
spaces, and only as a last resort inside a word; the whitespace between pieces is kept so the
translations join back with the text's own paragraphs and lines."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass

# The whitespace after a sentence's final punctuation (a closing quote or bracket may follow
# it), or a line break.
_SENTENCE_END = re.compile(r"(?:(?<=[.!?…])|(?<=[.!?…][\"'”’»)\]]))\s+|\n\s*")
_SPACE = re.compile(r"\s+")


@dataclass(frozen=True)
class TextLimit:
    """The most one request may carry, as `measure` counts it (characters for LibreTranslate,
    bytes of JSON for DeepL). A measure adds up: that of `a + b` is that of `a` plus that of
    `b`, less that of "" (a JSON string's quotes), so pieces are grouped without measuring
    each group again."""

    size: int
    measure: Callable[[str], int] = len

    def fits(self, text: str) -> bool:
        return self.measure(text) <= self.size


@dataclass(frozen=True)
class Piece:
    """A part of the text to translate, and the whitespace that followed it."""

    text: str
    gap: str = ""


def _cut(text: str, pattern: re.Pattern[str]) -> list[Piece]:
    pieces: list[Piece] = []
    start = 0
    for match in pattern.finditer(text):
        if match.start() > start:
            pieces.append(Piece(text[start : match.start()], match.group(0)))
        else:  # whitespace at the very start: an empty piece keeps it
            pieces.append(Piece("", match.group(0)))
        start = match.end()
    if start < len(text):
        pieces.append(Piece(text[start:]))
    return pieces


def _hard_cut(text: str, limit: TextLimit) -> list[Piece]:
    """A run with no space that is still too long (a very long link, say): cut by size, the
    longest prefix that fits found by bisection (the measure grows with the text)."""
    pieces: list[Piece] = []
    while text:
        low, high = 1, len(text)
        while low < high:
            middle = (low + high + 1) // 2
            if limit.fits(text[:middle]):
                low = middle
            else:
                high = middle - 1
        pieces.append(Piece(text[:low]))
        text = text[low:]
    return pieces


def _fitting(pieces: list[Piece], limit: TextLimit, finer: list[re.Pattern[str]]) -> list[Piece]:
    """Each piece too long cut again, at the next finer boundary (sentences, then spaces, then
    anywhere); the gap after it stays after its last part."""
    result: list[Piece] = []
    for piece in pieces:
        if limit.fits(piece.text):
            result.append(piece)
            continue
        if finer:
            parts = _grouped(_fitting(_cut(piece.text, finer[0]), limit, finer[1:]), limit)
        else:
            parts = _hard_cut(piece.text, limit)
        result.extend(parts[:-1])
        result.append(Piece(parts[-1].text, parts[-1].gap + piece.gap))
    return result


def _grouped(pieces: list[Piece], limit: TextLimit) -> list[Piece]:
    """Neighbouring pieces joined again while they fit: fewer requests, and sentences keep
    their context."""
    empty = limit.measure("")
    groups: list[Piece] = []
    group_size = 0
    for piece in pieces:
        size = limit.measure(piece.text)
        if groups:
            last = groups[-1]
            joined_size = group_size + limit.measure(last.gap) + size - 2 * empty
            if joined_size <= limit.size:
                groups[-1] = Piece(last.text + last.gap + piece.text, piece.gap)
                group_size = joined_size
                continue
        groups.append(piece)
        group_size = size
    return groups


def split(text: str, limit: TextLimit) -> list[Piece]:
    """`text` as pieces that each fit `limit`; `join` of them gives `text` back."""
    if limit.fits(text):
        return [Piece(text)]
    return _fitting(_grouped(_cut(text, _SENTENCE_END), limit), limit, [_SPACE])


def join(pieces: list[Piece]) -> str:
    return "".join(piece.text + piece.gap for piece in pieces)
