"""Replies are written in a tiny, safe subset of HTML (<b>, <i>, <code>, <a>).

Telegram renders it as is; other adapters convert it. Anything a person wrote (a session title
typed by an organiser, a participant's name) goes through `escape()` first; what a person typed
and is only quoted back ("I do not know …") goes through `excerpt()`, which also shortens it.
"""

from __future__ import annotations

import html
import re
from collections.abc import Callable, Mapping

_TAG = re.compile(r"</?(?:b|i|code|a)(?:\s+href=\"[^\"]*\")?>")


def escape(text: str) -> str:
    return html.escape(text, quote=False)


EXCERPT_LENGTH = 60


def excerpt(text: str, limit: int = EXCERPT_LENGTH) -> str:
    """What a person typed, quoted back in a reply: on one line, at most `limit` characters
    (cut with "…"), then escaped. Cut before escaping, so that 4,096 `&` quoted back stay a
    short reply, not 20,000 characters of `&amp;` in five messages."""
    text = " ".join(text.split())
    if len(text) > limit:
        text = text[: limit - 1].rstrip() + "…"
    return escape(text)


def bold(text: str) -> str:
    """Bold for text that is already escaped (or is our own translated string)."""
    return f"<b>{text}</b>"


def italic(text: str) -> str:
    return f"<i>{text}</i>"


def to_plain(markup: str) -> str:
    """The text a plain terminal shows: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", markup))


_TAG_PARTS = re.compile(r'<(/?)(b|i|code|a)(?:\s+href="([^"]*)")?>')


def rewrite(markup: str, marks: Mapping[str, str], link: Callable[[str, str], str]) -> str:
    """Our markup in another platform's: each `b`, `i` and `code` tag by its mark in `marks`,
    each link by `link(label, href)`, both as they stand in the markup (still escaped); the
    text between tags is kept as it is."""
    out: list[str] = []
    position = 0
    href: str | None = None
    label_start = 0
    for match in _TAG_PARTS.finditer(markup):
        out.append(markup[position : match.start()])
        position = match.end()
        closing, tag, target = match.groups()
        if tag != "a":
            out.append(marks[tag])
        elif not closing:
            href, label_start = target or "", len(out)
        elif href is not None:
            label = "".join(out[label_start:])
            del out[label_start:]
            out.append(link(label, href))
            href = None
    out.append(markup[position:])
    return "".join(out)


_OPENING_OR_CLOSING = re.compile(r"<(/?)(b|i|code|a)(?:\s+href=\"[^\"]*\")?>")


def _utf16_length(text: str) -> int:
    return len(text.encode("utf-16-le")) // 2


def _cut_index(text: str, budget: int) -> int:
    """Where to cut `text` so the first part fits `budget` UTF-16 units: at a paragraph, else a
    line, else a space, never inside a tag or an entity."""
    end = 0
    used = 0
    for end, character in enumerate(text):  # noqa: B007 - `end` is used after the loop
        used += 2 if ord(character) > 0xFFFF else 1
        if used > budget:
            break
    else:
        return len(text)
    window = text[:end]
    for boundary in ("\n\n", "\n", " "):
        position = window.rfind(boundary)
        if position > budget // 2:
            end = position
            break
    opening = window.rfind("<", 0, end)
    if opening > window.rfind(">", 0, end):
        end = opening
    ampersand = window.rfind("&", 0, end)
    if ampersand > window.rfind(";", 0, end):
        end = ampersand
    return max(end, 1)


def split(markup: str, limit: int) -> list[str]:
    """Split a message the platform would refuse as too long (Telegram: 4,096 characters).

    Cuts fall between paragraphs or lines where possible, and tags open at a cut are closed at
    the end of one part and opened again at the start of the next, so every part renders.
    """
    if _utf16_length(markup) <= limit:
        return [markup]
    budget = limit - 64  # room for the tags closed and reopened at a cut
    parts: list[str] = []
    reopen = ""
    rest = markup
    while rest:
        cut = _cut_index(rest, budget - _utf16_length(reopen))
        part, rest = reopen + rest[:cut], rest[cut:].lstrip("\n ")
        still_open: list[tuple[str, str]] = []
        for match in _OPENING_OR_CLOSING.finditer(part):
            if match.group(1):
                if still_open and still_open[-1][0] == match.group(2):
                    still_open.pop()
            else:
                still_open.append((match.group(2), match.group(0)))
        closing = "".join(f"</{name}>" for name, _tag in reversed(still_open))
        reopen = "".join(tag for _name, tag in still_open)
        parts.append(part.rstrip() + closing)
    return [part for part in parts if to_plain(part).strip()]
