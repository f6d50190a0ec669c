"""One raw e-mail (bytes as SMTP delivers them or IMAP fetches them) turned into readable,
typed messages: decoded headers, the body as plain text without the quoted reply and the list
footer, and the attachments.

Pure: no database, no network. The standard library's `email` package does the MIME work
(headers cut to size first: bot.mail.headers), `inscriptis` turns HTML into text, bot.mail.quotes
and bot.mail.forwards trim quoted replies and keep forwarded messages, bot.mail.charsets reads
bytes as a browser would.
Mail is messy (wrong charsets, broken multiparts, corrupt base64), so everything short of
"nothing readable at all" is recovered and noted in `ParsedMail.problems` rather than raised.
"""

from __future__ import annotations

import base64
import binascii
import contextlib
import email
import email.policy
import hashlib
import html
import logging
import re
from dataclasses import dataclass
from datetime import UTC, datetime
from email.headerregistry import AddressHeader
from email.message import MIMEPart
from email.utils import parseaddr, parsedate_to_datetime
from urllib.parse import unquote

from inscriptis import get_text
from inscriptis.css_profiles import CSS_PROFILES
from inscriptis.model.config import ParserConfig

from bot.mail.charsets import decode_bytes, decode_words, unsurrogate
from bot.mail.forwards import keep_forwards
from bot.mail.headers import CappedPolicy, capped_policy

logger = logging.getLogger(__name__)

# Any of these makes bytes look like mail; a document without one of them is refused.
_MAIL_HEADERS = frozenset(
    {
        "from",
        "sender",
        "to",
        "cc",
        "subject",
        "date",
        "message-id",
        "mime-version",
        "content-type",
        "received",
        "return-path",
        "list-id",
        "delivered-to",
    }
)
_MAX_DEPTH = 30  # MIME nesting deeper than this is hostile, not mail
# Links keep their address, which a chat reader cannot otherwise see. (The "relaxed" CSS profile
# would indent everything inside Outlook's <div class=WordSection1>.)
_HTML_CONFIG = ParserConfig(css=CSS_PROFILES["strict"], display_links=True)
_SIGNATURE_TYPES = frozenset(
    {"application/pgp-signature", "application/pkcs7-signature", "application/x-pkcs7-signature"}
)
_DEFECTS = {
    "NoBoundaryInMultipartDefect": "multipart without boundary",
    "StartBoundaryNotFoundDefect": "multipart boundary never found",
    "CloseBoundaryNotFoundDefect": "multipart without closing boundary",
    "FirstHeaderLineIsContinuationDefect": "first header line is a continuation",
    "MisplacedEnvelopeHeaderDefect": "misplaced envelope header",
    "MissingHeaderBodySeparatorDefect": "no blank line after the headers",
    "InvalidMultipartContentTransferEncodingDefect": "multipart with a transfer encoding",
    "UndecodableBytesDefect": "undecodable bytes",
}
# Reported another way (base64: by _BodyReader._payload) or redundant with a boundary defect.
_QUIET_DEFECTS = frozenset(
    {
        "MultipartInvariantViolationDefect",
        "InvalidBase64PaddingDefect",
        "InvalidBase64CharactersDefect",
        "InvalidBase64LengthDefect",
    }
)

_CONTROL = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f\ufeff]")
_NOT_BASE64 = re.compile(r"[^A-Za-z0-9+/=]")
_ANGLE_ID = re.compile(r"<([^<>\s]+)>")
_CID = re.compile(r"""cid:([^"'\s<>)]+)""", re.IGNORECASE)
_META_CHARSET = re.compile(rb"""<meta[^>]+charset=["']?([\w.:-]+)""", re.IGNORECASE)
_SELF_LINK = re.compile(r"\[([^\[\]\n]+)\]\((?:mailto:)?\1\)")  # no "[" inside: linear
_RULE = re.compile(r"[-_=*~]{2,}")
_MAILMAN_RULE = re.compile(r"_{10,}")
_MAILMAN_TAIL = re.compile(r"mailing list|listinfo|unsubscribe|-leave@|-request@", re.IGNORECASE)
_GOOGLE_GROUPS = re.compile(
    r"^(You received this message because you are subscribed to the Google Groups"
    r"|Vous avez reçu ce message car vous êtes abonné au groupe"
    r"|Recibiste este mensaje porque estás suscrito al grupo)",
    re.IGNORECASE,
)
_UNSUBSCRIBE = re.compile(
    r"unsubscribe|se désabonner|désabonner|désinscri|darse de baja|dar de baja"
    r"|cancelar (la|su) suscripción|anular (la|su) suscripción",
    re.IGNORECASE,
)
_FOOTER_LINES = 8  # a generic unsubscribe footer starts this close to the end
_MAILMAN_LINES = 15  # and a Mailman footer (its text is the list owner's to lengthen)
_MIME_BOILERPLATE = re.compile(r"MIME format|multi-?part message", re.IGNORECASE)


@dataclass(frozen=True)
class Attachment:
    name: str  # decoded file name, "attachment-N" when the mail gives none
    content_type: str  # "application/pdf"
    data: bytes

    @property
    def size(self) -> int:
        return len(self.data)


@dataclass(frozen=True)
class ParsedMail:
    message_id: str  # without <>; synthesised "sha256-…@coordbot" when the mail has none
    list_id: str | None  # "actioncommittee.lists.example.org"; a digest's own for its messages
    sender_name: str
    sender_address: str  # lowercased
    subject: str
    sent_at: datetime | None  # aware, UTC
    text: str
    attachments: tuple[Attachment, ...]
    problems: tuple[str, ...]  # non-fatal defects, short English


class MailError(Exception):
    """Mail that cannot be made readable; `reason` says why in one short English line (for the
    logs), `code` in one word that readers see in their language
    (bot.reports.labels.mail_reason)."""

    def __init__(self, reason: str, code: str = "unreadable") -> None:
        super().__init__(reason)
        self.reason = reason
        self.code = code


def parse(raw: bytes) -> list[ParsedMail]:
    """One message, or each message of a MIME digest (multipart/digest, possibly inside a
    multipart/mixed as Mailman sends digests). Raises MailError when nothing readable is there."""
    if not raw.strip():
        raise MailError("empty input", "empty")
    try:
        policy = capped_policy()
        message = email.message_from_bytes(raw, policy=policy)
        if not {name.lower() for name in message} & _MAIL_HEADERS:
            raise MailError("not mail: no mail headers", "not_mail")
        digest = _digest_messages(message)
        if digest is None:
            return [_read_message(message, _list_id(message))]
        return _read_digest(message, digest)
    except MailError:
        raise
    except RecursionError as error:
        raise MailError("MIME parts nested too deeply", "too_deep") from error
    except Exception as error:
        # The relay must survive any mail; a bug here costs one message, not the receiver.
        logger.exception("unreadable mail")
        raise MailError(f"unreadable mail ({type(error).__name__})") from error


# --- digests ---------------------------------------------------------------------------------


def _digest_messages(message: MIMEPart) -> list[MIMEPart] | None:
    """The message/rfc822 parts of a digest, or None when this is not a digest."""
    container: MIMEPart | None = None
    if message.get_content_type() == "multipart/digest":
        container = message
    elif message.is_multipart() and message.get_content_maintype() == "multipart":
        container = next(
            (p for p in message.iter_parts() if p.get_content_type() == "multipart/digest"),
            None,
        )
    if container is None:
        return None
    if not container.is_multipart():
        return []
    return [p for p in container.iter_parts() if p.get_content_type() == "message/rfc822"]


def _read_digest(envelope: MIMEPart, parts: list[MIMEPart]) -> list[ParsedMail]:
    if not parts:
        raise MailError("a digest with no messages", "empty_digest")
    list_id = _list_id(envelope)
    messages = []
    for part in parts:
        inner = _inner_message(part)
        if inner is None:
            continue
        try:
            messages.append(_read_message(inner, list_id or _list_id(inner)))
        except MailError:
            continue  # one empty message in a digest does not spoil the others
    if not messages:
        raise MailError("a digest with no readable messages", "unreadable_digest")
    return messages


def _inner_message(part: MIMEPart) -> MIMEPart | None:
    payload = part.get_payload()
    if isinstance(payload, list) and payload and isinstance(payload[0], MIMEPart):
        return payload[0]
    data = part.get_payload(decode=True)  # a message/rfc822 part sent base64 (not allowed)
    if isinstance(data, bytes) and data.strip():
        inner: MIMEPart = email.message_from_bytes(data, policy=part.policy)
        return inner
    return None


# --- one message -----------------------------------------------------------------------------


def _read_message(message: MIMEPart, list_id: str | None) -> ParsedMail:
    # Encoded words decoded by hand: linear, and lenient with raw 8-bit bytes inside them.
    hint = _charset_hint(message)
    subject = _one_line(decode_words(_raw_value(message, "Subject"), hint))
    reader = _BodyReader(message, subject)
    text = reader.read()
    sender_name, sender_address = _sender(message, hint)
    if not text and not subject and not reader.attachments:
        raise MailError("no text, no subject and no attachment", "no_content")
    date = _raw_header(message, "Date")
    message_id = _message_id(_raw_header(message, "Message-ID"))
    if not message_id:
        # Stable, so that the same mail delivered twice (SMTP and IMAP) is recognised.
        fingerprint = "\n".join((sender_address, date.strip(), subject, text))
        message_id = f"sha256-{hashlib.sha256(fingerprint.encode()).hexdigest()}@coordbot"
    return ParsedMail(
        message_id=message_id,
        list_id=list_id,
        sender_name=sender_name,
        sender_address=sender_address,
        subject=subject,
        sent_at=_date(date),
        text=text,
        attachments=tuple(reader.attachments),
        problems=tuple(dict.fromkeys([*_header_cuts(message), *reader.problems])),
    )


def _charset_hint(message: MIMEPart) -> str | None:
    """The charset of the message's first labelled text: old clients write raw 8-bit headers
    in it."""
    for number, part in enumerate(message.walk()):
        if number > _MAX_DEPTH:
            break
        if part.get_content_maintype() == "text" and (charset := part.get_content_charset()):
            return charset
    return None


def _header_cuts(message: MIMEPart) -> list[str]:
    policy = message.policy
    return policy.budget.cut if isinstance(policy, CappedPolicy) and policy.budget else []


def _raw_header(message: MIMEPart, name: str, hint: str | None = None) -> str:
    """The header's value as it came, unfolded, with raw 8-bit bytes decoded (UTF-8, else in
    the body's charset, else windows-1252: the parser alone would turn them into U+FFFD) but
    encoded words kept."""
    return unsurrogate(_raw_value(message, name), hint)


def _raw_value(message: MIMEPart, name: str) -> str:
    """The header's value unfolded, raw 8-bit bytes still surrogate escapes."""
    for key, value in message.raw_items():
        if key.lower() == name.lower():
            return re.sub(r"\r?\n", "", str(value))
    return ""


def _header(message: MIMEPart, name: str, hint: str | None = None) -> object:
    """The header as the standard library's registry parses it (encoded words decoded)."""
    raw = _raw_header(message, name, hint)
    if not raw:
        return ""
    try:
        return email.policy.default.header_factory(name, raw)
    except Exception:  # the header parser has raised on hostile input; decode by hand
        return decode_words(raw)


def _sender(message: MIMEPart, hint: str | None) -> tuple[str, str]:
    header = _header(message, "From", hint)
    # "addr (Name)": the registry drops the comment, parseaddr keeps it as the name.
    name, address = parseaddr(_clean(decode_words(_raw_value(message, "From"), hint)))
    if isinstance(header, AddressHeader) and header.addresses:
        first = header.addresses[0]
        name, address = first.display_name or name, first.addr_spec
    address = _clean(address).strip().lower()
    return _one_line(name), address if "@" in address else ""  # "<>", "garbage": unreadable


def _one_line(value: str) -> str:
    return " ".join(_clean(value).split())


def _list_id(message: MIMEPart) -> str | None:
    value = _raw_header(message, "List-Id").strip()
    found = _ANGLE_ID.search(value)
    if found:
        return found.group(1).lower()
    return value.lower() if value and " " not in value else None


def _message_id(value: str) -> str:
    found = _ANGLE_ID.search(value)
    return (found.group(1) if found else value.strip().strip("<>")).strip()


def _date(value: str) -> datetime | None:
    if not value.strip():
        return None
    try:
        sent = parsedate_to_datetime(value)
        if sent.tzinfo is None:  # "-0000": the zone is unknown; UTC is the best guess
            sent = sent.replace(tzinfo=UTC)
        return sent.astimezone(UTC)
    except (ValueError, TypeError, IndexError, OverflowError):
        return None


# --- the body --------------------------------------------------------------------------------


class _BodyReader:
    """Walks one message's MIME tree: text parts become the body, the rest attachments."""

    def __init__(self, message: MIMEPart, subject: str) -> None:
        self.message = message
        self.subject = subject  # "Re: …" says whether an Outlook header block is a reply
        self.texts: list[str] = []
        self.attachments: list[Attachment] = []
        self.problems: list[str] = []
        self.preambles: list[str] = []
        # By id(); the part is kept too, so that no id is reused while the message is read.
        self._decoded: dict[int, tuple[MIMEPart, bytes]] = {}
        self._cids = self._referenced_cids()

    def read(self) -> str:
        self._walk(self.message, body=True, depth=0)
        if not any(t.strip() for t in self.texts):
            # Some broken mailers put the text before the first boundary.
            self.texts = [p for p in self.preambles if p.strip()]
        return _readable("\n\n".join(self.texts), self.subject)

    def _referenced_cids(self) -> set[str]:
        """Content-IDs the HTML shows inline (logos, pasted images): not attachments."""
        cids: set[str] = set()
        for part in self.message.walk():
            if part.get_content_type() == "text/html":
                markup = self._markup(part, note=False)
                cids.update(unquote(cid).lower() for cid in _CID.findall(markup))
        return cids

    def _walk(self, part: MIMEPart, *, body: bool, depth: int) -> None:
        if depth > _MAX_DEPTH:
            self.problems.append("MIME parts nested too deeply")
            return
        self._note_defects(part)
        ctype = part.get_content_type()
        if part.get_content_maintype() == "message":  # a forwarded mail, a delivery report
            self._attach(part, _message_bytes(part))
        elif part.is_multipart():
            preamble = part.preamble
            if preamble and not _MIME_BOILERPLATE.search(preamble):
                self.preambles.append(unsurrogate(preamble))
            if ctype == "multipart/alternative":
                self._alternative(part, body=body, depth=depth)
            else:
                for child in part.iter_parts():
                    self._walk(child, body=body, depth=depth + 1)
        elif part.get_content_maintype() == "multipart":
            self._broken_multipart(part, body=body, depth=depth)
        elif _is_body_text(part):
            if body:
                self.texts.append(self._text_of(part))
        elif not self._is_decoration(part):
            self._attach(part, self._payload(part))

    def _alternative(self, part: MIMEPart, *, body: bool, depth: int) -> None:
        """Plain text wins (an empty one does not); the others are walked only for attachments
        (Apple Mail puts them in the HTML branch)."""
        children: list[MIMEPart] = list(part.iter_parts())
        if not children:
            return
        chosen = next(
            (
                c
                for c in children
                if c.get_content_type() == "text/plain"
                and _is_body_text(c)
                and self._text_of(c, note=False).strip()
            ),
            None,
        )
        chosen = chosen or next(
            (c for c in children if c.get_content_type() == "text/html" and _is_body_text(c)),
            None,
        )
        chosen = chosen or next((c for c in children if c.is_multipart()), children[-1])
        for child in children:
            self._walk(child, body=body and child is chosen, depth=depth + 1)

    def _broken_multipart(self, part: MIMEPart, *, body: bool, depth: int) -> None:
        """A multipart the parser could not split: guess the boundary from the parts' own
        delimiter lines, or else read it all as text."""
        data = self._payload(part)
        found = re.search(rb"^--([^\s\"]{1,200})\r?\n(?=[A-Za-z-]+:)", data, re.MULTILINE)
        if found:
            boundary = found.group(1).removesuffix(b"--")
            rebuilt = email.message_from_bytes(
                b'Content-Type: multipart/mixed; boundary="' + boundary + b'"\n\n' + data,
                policy=part.policy,
            )
            if rebuilt.is_multipart():
                self.problems.append("multipart boundary guessed")
                for child in rebuilt.iter_parts():
                    self._walk(child, body=body, depth=depth + 1)
                return
        if body:
            self.texts.append(self._decode(data, None))

    def _is_decoration(self, part: MIMEPart) -> bool:
        if part.get_content_type() in _SIGNATURE_TYPES:
            return True
        cid = str(part.get("Content-ID", "")).strip().strip("<>").lower()
        if cid and cid in self._cids:
            return True
        return (
            part.get_content_maintype() == "image"
            and part.get_content_disposition() != "attachment"
            and _filename(part) is None
        )

    def _attach(self, part: MIMEPart, data: bytes) -> None:
        name = _filename(part) or f"attachment-{len(self.attachments) + 1}"
        self.attachments.append(Attachment(name, part.get_content_type(), data))

    def _note_defects(self, part: MIMEPart) -> None:
        for defect in part.defects:
            kind = type(defect).__name__
            if kind not in _QUIET_DEFECTS:
                words = re.sub(r"(?<!^)(?=[A-Z])", " ", kind.removesuffix("Defect")).lower()
                self.problems.append(_DEFECTS.get(kind, words))

    def _payload(self, part: MIMEPart) -> bytes:
        """The part's bytes, transfer encoding undone (once: decoding records defects)."""
        if id(part) in self._decoded:
            return self._decoded[id(part)][1]
        before = len(part.defects)
        data = part.get_payload(decode=True)
        data = data if isinstance(data, bytes) else b""
        if len(part.defects) > before:
            # Corrupt base64: the email package stops at the damage or decodes all that follows
            # it misaligned; read line by line, only the damaged lines suffer.
            payload = part.get_payload()
            recovered, lost = _base64_by_line(payload if isinstance(payload, str) else "")
            data = recovered or data
            lines_lost = f", {lost} lines lost" if lost else ""
            self.problems.append(f"corrupt base64 in {part.get_content_type()}{lines_lost}")
        self._decoded[id(part)] = (part, data)
        return data

    def _text_of(self, part: MIMEPart, *, note: bool = True) -> str:
        if part.get_content_type() == "text/html":
            return self._html(self._markup(part, note=note), note=note)
        text = self._decode(self._payload(part), part.get_content_charset(), note=note)
        if str(part.get_param("format", "")).lower() == "flowed":
            text = _unflow(text, delsp=str(part.get_param("delsp", "")).lower() == "yes")
        return text

    def _markup(self, part: MIMEPart, *, note: bool) -> str:
        data = self._payload(part)
        charset = part.get_content_charset()
        if charset is None and (meta := _META_CHARSET.search(data[:4096])):
            charset = meta.group(1).decode("ascii").lower()  # <meta charset="…">
        return self._decode(data, charset, note=note)

    def _decode(self, data: bytes, charset: str | None, *, note: bool = True) -> str:
        text, problem = decode_bytes(data, charset)
        if problem and note:
            self.problems.append(problem)
        return text

    def _html(self, markup: str, *, note: bool) -> str:
        try:
            text = get_text(markup, _HTML_CONFIG)
        except Exception:  # lxml gives up on some markup; tags stripped is still readable
            if note:
                self.problems.append("unreadable HTML, tags stripped")
            text = html.unescape(re.sub(r"<[^>]*>", " ", markup))
        return _SELF_LINK.sub(r"\1", text)  # "[x@y.org](mailto:x@y.org)" → "x@y.org"


def _is_body_text(part: MIMEPart) -> bool:
    """Plain or HTML text that is not a file attached (a text file with a name is)."""
    if part.get_content_type() not in ("text/plain", "text/html"):
        return False
    disposition = part.get_content_disposition()
    if disposition == "attachment":
        return False
    return disposition == "inline" or _filename(part) is None


def _filename(part: MIMEPart) -> str | None:
    try:
        name = part.get_filename()  # RFC 2231 (charset, continuations) decoded here
    except Exception:
        return None
    if not name:
        return None
    if "=?" in name:  # encoded words, not allowed in parameters but common
        name = decode_words(name)
    name = _one_line(name).replace("\\", "/").rsplit("/", 1)[-1].strip()
    return name or None


def _message_bytes(part: MIMEPart) -> bytes:
    inner = part.get_payload()
    try:
        if isinstance(inner, list) and inner and isinstance(inner[0], MIMEPart):
            return inner[0].as_bytes()
    except Exception:
        logger.debug("forwarded message not serialisable", exc_info=True)
    data = part.get_payload(decode=True)
    return data if isinstance(data, bytes) else b""


def _base64_by_line(payload: str) -> tuple[bytes, int]:
    """Encoders wrap base64 at a multiple of 4 characters, so each line decodes on its own; a
    line with stray characters is read without them when that leaves whole groups of 4."""
    chunks, lost = [], 0
    for line in unsurrogate(payload).split():
        stripped = _NOT_BASE64.sub("", line)
        padded = line + "=" * (-len(line) % 4)
        for candidate in (padded, stripped) if len(stripped) % 4 == 0 else (padded,):
            with contextlib.suppress(binascii.Error, ValueError):
                chunks.append(base64.b64decode(candidate, validate=True))
                break
        else:
            lost += 1
    return b"".join(chunks), lost


# --- charsets --------------------------------------------------------------------------------


def _clean(value: str) -> str:
    return _CONTROL.sub("", unsurrogate(value))


# --- readable text ---------------------------------------------------------------------------


def _unflow(text: str, *, delsp: bool) -> str:
    """RFC 3676 format=flowed: lines ending with a space continue on the next line."""
    lines: list[str] = []
    current: str | None = None
    current_depth = 0
    for line in text.replace("\r\n", "\n").split("\n"):
        depth = len(line) - len(line.lstrip(">"))
        content = line[depth:]
        content = content[1:] if content.startswith(" ") else content  # space-stuffing
        flowed = content.endswith(" ") and content != "-- "
        if flowed and delsp:
            content = content[:-1]
        if current is not None and depth == current_depth and content:
            current += content
        else:
            if current is not None:
                lines.append(_quote(current, current_depth))
            current, current_depth = content, depth
        if not flowed:
            lines.append(_quote(current, current_depth))
            current = None
    if current is not None:
        lines.append(_quote(current, current_depth))
    return "\n".join(lines)


def _quote(line: str, depth: int) -> str:
    return f"{'>' * depth} {line}" if depth else line


def _readable(text: str, subject: str) -> str:
    text = _tidy(text)
    text = _trim_footer(text)
    return _tidy(keep_forwards(text, subject))


def _tidy(text: str) -> str:
    text = _clean(text.replace("\r\n", "\n").replace("\r", "\n"))
    text = "\n".join(line.rstrip() for line in text.split("\n"))
    return re.sub(r"\n{3,}", "\n\n", text).strip()


def _trim_footer(text: str) -> str:
    """Cut what the list appends; the sender's own signature stays."""
    lines = text.split("\n")
    # Mailman: a line of underscores, then "X mailing list", "listinfo", "unsubscribe".
    rules = [i for i, line in enumerate(lines) if _MAILMAN_RULE.fullmatch(line.strip())]
    tail = "\n".join(lines[rules[-1] :]) if rules else ""
    if rules and len(lines) - rules[-1] <= _MAILMAN_LINES and _MAILMAN_TAIL.search(tail):
        lines = lines[: rules[-1]]
    # Google Groups: "--" then "You received this message because…".
    for i, line in enumerate(lines):
        if _GOOGLE_GROUPS.match(line.strip()):
            cut = i - 1 if i and lines[i - 1].strip() == "--" else i
            lines = lines[:cut]
            break
    # Generic: a last paragraph near the end that says how to unsubscribe.
    while lines and not lines[-1].strip():
        lines.pop()
    start = len(lines)
    while start > 0 and lines[start - 1].strip():
        start -= 1
    before = "\n".join(lines[:start]).strip()
    if (
        before
        and len(lines) - start <= _FOOTER_LINES
        and _UNSUBSCRIBE.search("\n".join(lines[start:]))
    ):
        lines = lines[:start]
    while lines and (not lines[-1].strip() or _RULE.fullmatch(lines[-1].strip())):
        lines.pop()  # the separator the footer left behind
    return "\n".join(lines)
