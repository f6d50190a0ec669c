"""The parts of a text that must come back from translation exactly as written — links,
e-mail addresses, numbers, @handles, /commands, and the bot's markup tags and entities — swapped
for placeholders before the text is sent and put back after.

A placeholder is `⟦N⟧`: brackets no language uses and a number, which machine translation
copies as it is (a word-like token would be translated, an XML tag needs a tag mode not every
provider has). Providers sometimes add spaces inside it, so those are accepted back; a
placeholder lost or mangled beyond that has its piece appended at the end, so nothing a person
wrote is ever lost."""

from __future__ import annotations

import re
from dataclasses import dataclass

_PROTECTED = re.compile(
    "|".join(
        (
            # The bot's markup (bot/text/markup.py): its tags, and entities such as &amp;.
            r"</?(?:b|i|code|a)(?:\s+href=\"[^\"]*\")?>",
            r"&(?:[a-zA-Z]+|#\d+|#x[0-9a-fA-F]+);",
            # Links, with or without a scheme, up to the space; final punctuation stays text.
            r"(?:https?://|www\.)[^\s<>\"]*[^\s<>\".,;:!?)\]»”’']",
            r"[\w.+-]+@[\w-]+(?:\.[\w-]+)+",
            # @handles and /commands (a slash at a word's start, so "and/or" is text).
            r"(?<![\w/])@\w+",
            r"(?<![\w/])/[a-zA-Z]\w*",
            # Numbers with their separators: 1,234.56  12:30  2026-12-06  +33  3/4  10%.
            r"[+-]?\d+(?:[.,:/\-]\d+)*%?",
        )
    )
)
_PLACEHOLDER = re.compile(r"⟦\s*(\d+)\s*⟧")


@dataclass(frozen=True)
class Protected:
    """A text with its protected pieces replaced by `⟦0⟧`, `⟦1⟧`…, and those pieces."""

    text: str
    pieces: tuple[str, ...]

    @property
    def has_words(self) -> bool:
        """Anything left to translate once the placeholders are set aside."""
        return any(character.isalpha() for character in _PLACEHOLDER.sub("", self.text))


def placeholder(index: int) -> str:
    return f"⟦{index}⟧"


def protect(text: str) -> Protected:
    pieces: list[str] = []

    def swap(match: re.Match[str]) -> str:
        pieces.append(match.group(0))
        return placeholder(len(pieces) - 1)

    # A text that already holds our brackets would confuse `restore`: such a text is rare
    # enough to be sent as it is, protected by nothing rather than garbled.
    if "⟦" in text or "⟧" in text:
        return Protected(text, ())
    return Protected(_PROTECTED.sub(swap, text), tuple(pieces))


def restore(translated: str, pieces: tuple[str, ...]) -> str:
    """The translation with each placeholder replaced by its piece; a piece whose placeholder
    did not come back is appended, after a space, in its original order."""
    seen: set[int] = set()

    def back(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(pieces):
            return ""  # a placeholder the provider invented
        seen.add(index)
        return pieces[index]

    text = _PLACEHOLDER.sub(back, translated)
    missing = [piece for index, piece in enumerate(pieces) if index not in seen]
    if missing:
        text = text.rstrip() + " " + " ".join(missing)
    return text
