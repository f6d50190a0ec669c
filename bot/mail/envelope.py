"""The few headers the relay decides on (List-Id, From, Subject, Message-ID), read from the raw
bytes: searched for in the first HEADER_LIMIT bytes, each value cut at VALUE_LIMIT.

Foreign or hostile mail is refused on these in milliseconds, on the event loop, before anything
reads it whole: the standard library's header parser, quadratic on some long headers (a folded
1.6 MB `From:` took it 34 s), never sees more than VALUE_LIMIT here.
"""

from __future__ import annotations

import contextlib
import re
from dataclasses import dataclass
from email.header import decode_header, make_header
from email.utils import parseaddr

# A list server's headers (Received chains, DKIM and ARC signatures, a subject of 130,000
# characters) fit within this; a mail whose List-Id comes later is not taken.
HEADER_LIMIT = 1024 * 1024
VALUE_LIMIT = 2048  # per header: more than any real List-Id, From, Subject or Message-ID
_WANTED = re.compile(rb"^(list-id|from|subject|message-id)[ \t]*:", re.IGNORECASE | re.MULTILINE)
_BLANK_LINE = re.compile(rb"^\r?$", re.MULTILINE)
_ANGLE = re.compile(r"<([^<>]+)>")


@dataclass(frozen=True)
class Envelope:
    list_id: str | None  # lowercased, without <>
    list_name: str | None  # the List-Id's phrase: "Action Committee"
    sender_name: str
    sender_address: str  # lowercased
    subject: str  # decoded, on one line
    message_id: str  # as written, "" when missing


def read_envelope(raw: bytes) -> Envelope:
    values = _header_values(raw)
    list_value = _decoded(values.get(b"list-id", ""))
    match = _ANGLE.search(list_value)
    list_id = (match.group(1) if match else list_value).strip().lower() or None
    list_name = list_value[: match.start()].strip().strip('"').strip() if match else ""
    name, address = parseaddr(values.get(b"from", ""))
    return Envelope(
        list_id=list_id,
        list_name=list_name or None,
        sender_name=_decoded(name),
        sender_address=address.strip().lower(),
        subject=_decoded(values.get(b"subject", "")),
        message_id=values.get(b"message-id", "").strip(),
    )


def _header_values(raw: bytes) -> dict[bytes, str]:
    """The first occurrence of each wanted header, unfolded, cut at VALUE_LIMIT bytes. The
    header block is searched with two regular expressions (linear, in C); only the wanted
    values are unfolded, each from a slice of bounded length."""
    head = raw[:HEADER_LIMIT]
    end = _BLANK_LINE.search(head)
    if end is not None:
        head = head[: end.start() + 1]
    elif len(raw) > HEADER_LIMIT:
        head = head[: head.rfind(b"\n") + 1]  # the last line may be cut: leave it out
    values: dict[bytes, str] = {}
    for match in _WANTED.finditer(head):
        name = match.group(1).lower()
        if name not in values:
            values[name] = _text(_unfolded(head[match.end() : match.end() + 2 * VALUE_LIMIT]))
    return values


def _unfolded(value: bytes) -> bytes:
    lines = value.split(b"\n")
    kept = [lines[0]]
    for line in lines[1:]:
        if line[:1] not in (b" ", b"\t"):
            break  # the next header
        kept.append(line)
    return b"".join(line.rstrip(b"\r") for line in kept)[:VALUE_LIMIT].strip()


def _text(value: bytes) -> str:
    """Raw 8-bit header bytes: UTF-8, else windows-1252 (what a mail reader makes of them)."""
    try:
        return value.decode()
    except UnicodeDecodeError:
        return value.decode("cp1252", errors="replace")


def _decoded(value: str) -> str:
    """Encoded words (`=?utf-8?q?…?=`) decoded, on one line; the value as written if they are
    broken."""
    with contextlib.suppress(Exception):  # a malformed encoded word or charset: keep it
        value = str(make_header(decode_header(value)))
    return " ".join(value.split())
