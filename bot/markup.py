"""Replies are written in a tiny, safe subset of HTML (<b>, <i>, <code>, <a>).

Telegram renders it as is; other adapters convert it. Anything a person wrote (a session title
typed by an organiser, a participant's name) goes through `escape()` first.
"""

from __future__ import annotations

import html
import re

_TAG = re.compile(r"</?(?:b|i|code|a)(?:\s+href=\"[^\"]*\")?>")


def escape(text: str) -> str:
    return html.escape(text, quote=False)


def bold(text: str) -> str:
    """Bold for text that is already escaped (or is our own translated string)."""
    return f"<b>{text}</b>"


def italic(text: str) -> str:
    return f"<i>{text}</i>"


def to_plain(markup: str) -> str:
    """The text a plain terminal shows: tags dropped, entities decoded."""
    return html.unescape(_TAG.sub("", markup))
