"""The few headers the relay decides on (List-Id, From, Subject, Message-ID), read from the raw
bytes in one linear pass over their first HEADER_LIMIT bytes, each value cut at VALUE_LIMIT.

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

# A list server's headers (Received chains, DKIM and ARC signatures included) fit well within
# this; a mail whose List-Id comes later is not taken.
HEADER_LIMIT = 64 * 1024
VALUE_LIMIT = 2048  # per header: more than any real List-Id, From, Subject or Message-ID
_WANTED = frozenset({b"list-id", b"from", b"subject", b"message-id"})
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
    """The first occurrence of each wanted header, unfolded, cut at VALUE_LIMIT bytes."""
    head = raw[:HEADER_LIMIT]
    if len(raw) > HEADER_LIMIT:
        head = head[: head.rfind(b"\n") + 1]  # the last line may be cut: leave it out
    values: dict[bytes, bytearray] = {}
    current: bytearray | None = None
    for line in head.split(b"\n"):
        line = line.rstrip(b"\r")
        if not line:
            break  # the blank line that ends the headers
        if line[:1] in (b" ", b"\t"):  # a folded continuation of the header before
            if current is not None:
                current += line[: VALUE_LIMIT - len(current)]
            continue
        name, colon, value = line.partition(b":")
        name = name.strip().lower()
        current = None
        if colon and name in _WANTED and name not in values:
            current = values[name] = bytearray(value[:VALUE_LIMIT])
    return {name: _text(bytes(value)).strip() for name, value in values.items()}


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
