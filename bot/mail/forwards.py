"""A forwarded message kept, not taken for a quoted reply: the sender's note, then for each
message forwarded one line with its original sender and subject (language-free, since the text
is stored once for readers of every language: "↪ Name <address> — Subject"), then its text.

Each common client's forward, in English, French, Spanish and German: Gmail and Thunderbird
("---------- Forwarded message ---------"), Apple Mail ("Begin forwarded message:"), Outlook (a
"From: / Sent: / To: / Subject:" block, or "-----Original Message-----"). Outlook writes the
same block above a reply's quote; there, a subject starting "Re:" says it is a reply, and the
quote is trimmed as any other.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from email.utils import parseaddr

from bot.mail.quotes import trim_reply

_MAX_FORWARDS = 10  # a forward of a forward of …: deeper ones stay as text
_MAX_HEADER_LINES = 20
_MARKER_LENGTH = 300  # no marker or header line to look at is longer
_SUMMARY_PART = 200  # characters of the sender, and of the subject, shown

# A forward whatever the subject says (a reply would quote it).
_FORWARD_MARKER = re.compile(
    r"-{2,}[ \t]*(forwarded message|message transféré|mensaje reenviado"
    r"|weitergeleitete nachricht)[ \t]*-{2,}"
    r"|(begin forwarded message|début du message réexpédié|inicio del mensaje reenviado"
    r"|anfang der weitergeleiteten nachricht)[ \t\u00a0]*:",
    re.IGNORECASE,
)
# Outlook's, above a forward and a reply alike.
_ORIGINAL_MARKER = re.compile(
    r"-{2,}[ \t]*(original message|message d['’]origine|mensaje original"
    r"|ursprüngliche nachricht)[ \t]*-{2,}",
    re.IGNORECASE,
)
_OUTLOOK_RULE = re.compile(r"[_-]{20,}")
_HEADER = re.compile(r"[ \t]*\*{0,2}([^\W\d_][\w -]{0,19}?)\*{0,2}[ \t\u00a0]*:")
_FROM = frozenset({"from", "de", "von"})
_SUBJECT = frozenset({"subject", "objet", "sujet", "asunto", "betreff"})
_OTHER = frozenset(
    {"sent", "date", "to", "cc", "bcc", "reply-to", "importance"}
    | {"envoyé", "envoyé le", "à", "a", "cci", "répondre à", "pour", "priorité"}
    | {"enviado", "enviado el", "fecha", "para", "cco", "responder a", "importancia"}
    | {"gesendet", "datum", "an", "kopie", "antwort an", "wichtigkeit"}
)
_REPLY_SUBJECT = re.compile(
    r"(\s*\[[^\]\n]{0,100}\])*\s*(re|aw|antw|sv|vs|réf|rép)(\[\d+\])?[ \t\u00a0]*:", re.IGNORECASE
)
_MAILTO = re.compile(r"\[mailto:([^\]\s]+)\]|<mailto:([^>\s]+)>", re.IGNORECASE)


@dataclass
class _Forward:
    start: int  # the first line of the forward (its marker or header block)
    body: int  # the first line of the forwarded text
    headers: dict[str, str] = field(default_factory=dict)  # "from", "subject"
    reply: bool = False  # an Outlook header block above a reply's quote, not a forward


def keep_forwards(text: str, subject: str) -> str:
    """The text with quoted replies trimmed and forwarded messages kept, each below a line
    naming its sender and subject."""
    lines = text.split("\n")
    pieces: list[str] = []
    reply = _REPLY_SUBJECT.match(subject) is not None
    for _ in range(_MAX_FORWARDS):
        found = _find(lines, reply=reply)
        if found is None:
            break
        note = "\n".join(lines[: found.start])
        trimmed = trim_reply(note)
        if found.reply or trimmed.split() != note.split():
            # The note ends in a reply's quote, so the forward is part of what was quoted.
            return _join([*pieces, trimmed])
        pieces += [note, _summary(found.headers)]
        lines = lines[found.body :]
        reply = _REPLY_SUBJECT.match(found.headers.get("subject", "")) is not None
    return _join([*pieces, trim_reply("\n".join(lines))])


def _join(pieces: list[str]) -> str:
    return "\n\n".join(piece.strip("\n") for piece in pieces if piece.strip())


def _find(lines: list[str], *, reply: bool) -> _Forward | None:
    """The first forward in the lines (not quoted: a quoted one belongs to a reply)."""
    for i, line in enumerate(lines):
        stripped = line.strip()
        if not stripped or len(stripped) > _MARKER_LENGTH or stripped.startswith(">"):
            continue
        if _FORWARD_MARKER.fullmatch(stripped):
            return _after_marker(lines, i)
        if _ORIGINAL_MARKER.fullmatch(stripped):
            found = _after_marker(lines, i)
            if "from" in found.headers:
                found.reply = reply
                return found
        elif _header_name(line) in _FROM:
            headers, end = _header_block(lines, i)
            # Outlook writes at least From, Sent and Subject; a memo's "From: / To:" is text.
            if len(headers) >= 3 and "subject" in headers:
                start = i - 1 if i and _OUTLOOK_RULE.fullmatch(lines[i - 1].strip()) else i
                return _Forward(start, _skip_blank(lines, end), headers, reply)
    return None


def _after_marker(lines: list[str], marker: int) -> _Forward:
    headers, end = _header_block(lines, _skip_blank(lines, marker + 1))
    return _Forward(marker, _skip_blank(lines, end), headers)


def _header_block(lines: list[str], start: int) -> tuple[dict[str, str], int]:
    """The forwarded message's headers ("from", "subject", and how many others were seen) and
    the line after them."""
    headers: dict[str, str] = {}
    last = ""
    i = start
    while i < len(lines) and i - start < _MAX_HEADER_LINES:
        line = lines[i]
        name = _header_name(line)
        if name is not None:
            value = line.split(":", 1)[1].strip(" \t\u00a0*")
            last = "from" if name in _FROM else "subject" if name in _SUBJECT else name
            headers.setdefault(last, value)
        elif last and line[:1] in (" ", "\t") and line.strip():
            headers[last] = f"{headers[last]} {line.strip()}"  # a long To: folded
        else:
            break
        i += 1
    return headers, i


def _header_name(line: str) -> str | None:
    found = _HEADER.match(line)
    if found is None:
        return None
    name = " ".join(found.group(1).lower().split())
    return name if name in _FROM or name in _SUBJECT or name in _OTHER else None


def _skip_blank(lines: list[str], i: int) -> int:
    while i < len(lines) and not lines[i].strip():
        i += 1
    return i


def _summary(headers: dict[str, str]) -> str:
    sender = _sender(headers.get("from", ""))
    subject = _short(headers.get("subject", ""))
    shown = " — ".join(part for part in (sender, subject) if part)
    return f"↪ {shown}" if shown else "↪"


def _sender(value: str) -> str:
    value = _MAILTO.sub(lambda m: f"<{m.group(1) or m.group(2)}>", value).replace("*", "")
    name, address = parseaddr(value)
    if "@" not in address:
        return _short(value)
    name = _short(name.strip().strip("\"'"))
    return f"{name} <{address}>" if name and name != address else address


def _short(value: str) -> str:
    value = " ".join(value.split())
    return value if len(value) <= _SUMMARY_PART else value[: _SUMMARY_PART - 1] + "…"
