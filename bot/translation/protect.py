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
            # The bot's markup (bot/text/markup.py): code kept whole (it is literal), the
            # other tags, and entities such as &amp;.
            r"<code>[^<]*</code>",
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
_TAG = re.compile(r"<(/?)(b|i|code|a)(?:\s+href=\"([^\"]*)\")?>")


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


def _well_formed(text: str) -> bool:
    """Every tag closed, in order: what Telegram accepts and the other adapters convert."""
    still_open: list[str] = []
    for match in _TAG.finditer(text):
        name = match.group(2)
        if not match.group(1):
            still_open.append(name)
        elif not still_open or still_open.pop() != name:
            return False
    return not still_open


def _put_back(translated: str, pieces: tuple[str, ...], keep_tags: bool) -> str:
    seen: set[int] = set()
    links: list[str] = []

    def back(match: re.Match[str]) -> str:
        index = int(match.group(1))
        if index >= len(pieces):
            return ""  # a placeholder the provider invented
        seen.add(index)
        tag = _TAG.fullmatch(pieces[index])
        if tag is None or keep_tags:
            return pieces[index]
        if tag.group(3) is not None:
            links.append(tag.group(3))
        return ""

    text = _PLACEHOLDER.sub(back, translated)
    missing: list[str] = []
    for index, piece in enumerate(pieces):
        tag = _TAG.fullmatch(piece)
        if index in seen:
            continue
        if keep_tags or tag is None:
            missing.append(piece)
        elif tag.group(3) is not None:
            missing.append(tag.group(3))
    if missing or links:
        text = text.rstrip() + " " + " ".join(missing + links)
    return text


def restore(translated: str, pieces: tuple[str, ...]) -> str:
    """The translation with each placeholder replaced by its piece; a piece whose placeholder
    did not come back is appended, after a space, in its original order.

    If the tags would then not nest (the provider moved or lost one), the translation keeps
    its words without the formatting, and the links' addresses are appended: a message the
    platform refuses would be worse than one without bold."""
    text = _put_back(translated, pieces, keep_tags=True)
    if _well_formed(text) or not any(_TAG.fullmatch(piece) for piece in pieces):
        return text
    return _put_back(translated, pieces, keep_tags=False)
