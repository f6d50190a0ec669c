"""The quoted message a sender replied to, cut from the text; inline answers between quotes
stay. Linear in the text: `mail-parser-reply` (whose patterns are quadratic on a long line) sees
only the text's start, its lines shortened; the checks of our own run once over each line."""

from __future__ import annotations

import re

from mailparser_reply import EmailReplyParser

_REPLY_PARSER = EmailReplyParser(languages=["en", "fr", "es", "de"])
# What mail-parser-reply reads: a reply's own text is seldom longer (the relay shows 12,000
# characters), and an attribution line never.
_PARSER_CHARS = 64_000
_PARSER_LINE = 200
_QUOTED = re.compile(r"^\s*>")
_WROTE = re.compile(r"\b(wrote|a écrit|escribió|schrieb)\b", re.IGNORECASE)
_ATTRIBUTION = re.compile(r"@|\bwrote|écrit|escribió|schrieb", re.IGNORECASE)
_RULE = re.compile(r"[-_=*~]{2,}")
_OUTLOOK_RULE = re.compile(r"\s*[_-]{32,}")


def trim_reply(text: str) -> str:
    lines = text.split("\n")
    cut = _parser_cut(lines)
    if cut is not None:
        lines = lines[:cut]
    # mail-parser-reply misses some attributions ("El … escribió:" wants two spaces before the
    # verb) and bare ">" quotes: an attribution followed by a quote is cut, as it would be, and
    # so is a quote at the very end with the line introducing it.
    next_is_quote = _next_is_quote(lines)
    seen_text = bool(lines) and bool(lines[0].strip())
    for i in range(1, len(lines)):
        if next_is_quote[i] and _is_attribution(lines[i], _WROTE):
            if seen_text:
                lines = lines[:i]
            break
        seen_text = seen_text or bool(lines[i].strip())
    end = len(lines)
    while end > 0 and (not lines[end - 1].strip() or _QUOTED.match(lines[end - 1])):
        end -= 1
    if any(_QUOTED.match(line) for line in lines[end:]):
        if end > 0 and _is_attribution(lines[end - 1], _ATTRIBUTION):
            end -= 1
        if any(line.strip() for line in lines[:end]):
            lines = lines[:end]
    return "\n".join(lines)


def _is_attribution(line: str, words: re.Pattern[str]) -> bool:
    line = line.strip()
    return line.endswith(":") and words.search(line) is not None


def _next_is_quote(lines: list[str]) -> list[bool]:
    """For each line, whether the next line with text is a quote (one pass from the end)."""
    result = [False] * len(lines)
    following = False
    for i in range(len(lines) - 1, -1, -1):
        result[i] = following
        if lines[i].strip():
            following = _QUOTED.match(lines[i]) is not None
    return result


def _parser_cut(lines: list[str]) -> int | None:
    """Where mail-parser-reply ends the reply, as an index into `lines`; None to keep all.
    The parser returns its reply with every line stripped (losing the indentation of lists
    and tables), so the original is cut where the parser cut its copy."""
    shown: list[str] = []
    size = 0
    for line in lines:
        if size > _PARSER_CHARS:
            break
        # The parser deletes an Outlook rule ("____…") and the blank lines above it, which
        # would shift its lines against ours: it is given a blank line instead.
        shown.append("" if _OUTLOOK_RULE.match(line) else line[:_PARSER_LINE])
        size += len(shown[-1]) + 1
    latest = _REPLY_PARSER.parse_reply("\n".join(shown)) or ""
    kept = [line.strip() for line in latest.split("\n")]
    if not any(line and not _RULE.fullmatch(line) for line in kept):
        return None  # nothing but a "---- Original message ----" rule
    start = 0
    while start < len(shown) and not shown[start].strip():
        start += 1
    end = start + len(kept)
    if [line.strip() for line in shown[start:end]] != kept:
        return None  # the parser rewrote the text (it does around "____" rules): keep it all
    if not any(line.strip() for line in shown[end:]):
        return None  # nothing cut, or the cut is beyond what the parser saw
    return end
