"""Mail bytes to text the way a browser reads them: the label chooses the decoder (through the
WHATWG encoding standard's choices: a label names the superset its senders really write), 7-bit
charsets are decoded by their label too, and RFC 2047 encoded words are decoded leniently.

Python's codecs hold every decoder; what the standard adds is which one a label means, so a
small table here does it (the `webencodings` package maps labels to the older, narrower codecs:
Big5 without HKSCS, GB2312 as GBK; `charset-normalizer` guesses, which a label makes needless).
"""

from __future__ import annotations

import base64
import binascii
import codecs
import re

# A label (once Python has normalised it) → the codec of the superset that mail really uses.
_SUPERSETS = {
    "gb2312": "gb18030",
    "gbk": "gb18030",
    "big5": "big5hkscs",
    "euc_kr": "cp949",
    "shift_jis": "cp932",
    "iso2022_jp": "iso2022_jp_ext",  # with half-width katakana, as browsers read it
    "iso8859-9": "cp1254",
    "iso8859-11": "cp874",
    "tis-620": "cp874",
}
# Labels mail uses that Python does not know.
_LABELS = {
    "x-gbk": "gb18030",
    "csgb2312": "gb18030",
    "gb_2312-80": "gb18030",
    "x-x-big5": "big5hkscs",
    "cn-big5": "big5hkscs",
    "csbig5": "big5hkscs",
    "windows-949": "cp949",
    "windows-31j": "cp932",
    "x-sjis": "cp932",
    "x-euc-jp": "euc_jp",
    "windows-874": "cp874",
    "x-mac-cyrillic": "mac_cyrillic",
    "x-mac-roman": "mac_roman",
    "iso-8859-8-i": "iso8859_8",
    "utf8": "utf-8",
}
# Charsets whose 8-bit text is, in practice, often UTF-8 or windows-1252 under a wrong label.
_LATIN = frozenset({"ascii", "iso8859-1", "iso8859-15", "cp1252"})
# 7-bit charsets: their text is ASCII bytes that mean something else.
_SEVEN_BIT = frozenset(
    {"iso2022_jp_ext", "iso2022_jp_1", "iso2022_jp_2", "iso2022_jp_2004", "iso2022_jp_3"}
    | {"iso2022_kr", "utf-7", "hz"}
)
# Multibyte charsets: a text mostly right in one of them is not mojibake in another.
_MULTIBYTE = frozenset(
    {"gb18030", "gbk", "gb2312", "big5hkscs", "big5", "cp950", "cp949", "euc_kr", "johab"}
    | {"cp932", "shift_jis", "shift_jis_2004", "shift_jisx0213", "euc_jp", "euc_jis_2004"}
    | {"euc_jisx0213"}
)
_C1_BYTES = re.compile(rb"[\x80-\x9f]")
_SURROGATE = re.compile(r"[\ud800-\udfff]")
# An encoded word; its text may hold raw 8-bit bytes (kept as surrogates), which RFC 2047
# forbids but senders write.
_ENCODED_WORD = re.compile(r"=\?([^?\s]{1,75})\?([bBqQ])\?([^?\s]*)\?=")
_BETWEEN_WORDS = re.compile(r"[ \t\r\n]*")
_QP_ESCAPE = re.compile(rb"=([0-9A-Fa-f]{2})")


def codec(label: str | None) -> str | None:
    """The Python codec a charset label means, or None for an unknown label."""
    label = (label or "").strip().strip("\"'").lower()
    if not label:
        return None
    if label in _LABELS:
        return _LABELS[label]
    try:
        name = codecs.lookup(label).name
    except LookupError:
        return None
    return _SUPERSETS.get(name, name)


def decode_bytes(data: bytes, charset: str | None) -> tuple[str, str | None]:
    """Text in the labelled charset when the label is right, else the likeliest one; the
    second value is the problem to note, if any."""
    label = (charset or "").strip().strip("\"'").lower()
    name = codec(label)
    if data.isascii():
        if name in _SEVEN_BIT:
            try:
                return data.decode(name), None
            except (UnicodeDecodeError, LookupError):
                return data.decode("ascii"), f"text labelled {label} is not {label}"
        return data.decode("ascii"), None
    if name in _LATIN:
        # 8-bit text under a Latin label is often UTF-8 sent mislabelled (valid UTF-8 is never
        # genuine Latin text), or windows-1252 (0x80–0x9F: curly quotes, €, œ) called Latin-1.
        try:
            return data.decode("utf-8"), f"text labelled {label} is UTF-8"
        except UnicodeDecodeError:
            pass
        if name != "ascii" and not _C1_BYTES.search(data):
            return data.decode(name), None
        if name == "cp1252":
            return windows_1252(data, None)
        return windows_1252(data, f"text labelled {label} read as windows-1252")
    problem: str | None = f"unknown charset {label}" if label and not name else None
    if name:
        try:
            return data.decode(name), None
        except (UnicodeDecodeError, LookupError):  # LookupError: "base64" is no text codec
            problem = f"text labelled {label} is not {label}"
    try:
        return data.decode("utf-8"), problem
    except UnicodeDecodeError:
        pass
    if name in _MULTIBYTE:
        # A browser keeps the label and shows what it cannot read as U+FFFD.
        with_label = _decode_or_none(data, name)
        if with_label is not None and 8 * with_label.count("\ufffd") < len(data):
            return with_label, "undecodable bytes replaced"
    as_utf8 = data.decode("utf-8", errors="replace")
    if sum(c > "\x7f" for c in as_utf8) > 2 * as_utf8.count("\ufffd"):
        return as_utf8, "undecodable bytes replaced"  # UTF-8 with a few broken bytes
    return windows_1252(data, problem or "no charset, read as windows-1252")


def _decode_or_none(data: bytes, name: str) -> str | None:
    try:
        return data.decode(name, errors="replace")
    except LookupError:
        return None


def windows_1252(data: bytes, problem: str | None) -> tuple[str, str | None]:
    try:
        return data.decode("cp1252"), problem
    except UnicodeDecodeError:  # 0x81, 0x8D, 0x8F, 0x90, 0x9D mean nothing in windows-1252
        return data.decode("cp1252", errors="replace"), "undecodable bytes replaced"


def unsurrogate(value: str, charset: str | None = None) -> str:
    """Bytes the parser kept as surrogate escapes (8-bit headers), decoded for real: UTF-8
    (RFC 6532) when they are, else in `charset` (the body's: old clients write headers in it)."""
    if not _SURROGATE.search(value):
        return value
    try:
        data = value.encode("utf-8", errors="surrogateescape")
    except UnicodeEncodeError:
        return _SURROGATE.sub("\ufffd", value)
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError:
        return decode_bytes(data, charset)[0]


def decode_words(raw: str, charset_hint: str | None = None) -> str:
    """A header value with its encoded words decoded, in one pass (the standard library's
    header parser is quadratic on a long run of them). Lenient where senders are: raw 8-bit
    bytes inside a word, words run together, a wrong or unknown charset. Adjacent words in one
    charset are decoded together: a character may be split between two of them. Raw 8-bit
    text outside the words is read as `unsurrogate` reads it, with `charset_hint`."""
    pieces: list[str] = []
    run: list[bytes] = []
    run_charset = ""
    position = 0
    for word in _ENCODED_WORD.finditer(raw):
        between = raw[position : word.start()]
        charset = word.group(1).split("*", 1)[0].lower()  # "utf-8*fr": RFC 2231 language
        adjacent = bool(run) and _BETWEEN_WORDS.fullmatch(between) is not None
        if run and not (adjacent and charset == run_charset):
            pieces.append(decode_bytes(b"".join(run), run_charset)[0])
            run = []
        if not adjacent:
            pieces.append(unsurrogate(between, charset_hint))  # between two words: dropped
        data = _word_bytes(word.group(2), word.group(3))
        if data is None:
            pieces.append(word.group(0))
            position = word.end()
            continue
        run.append(data)
        run_charset = charset
        position = word.end()
    if run:
        pieces.append(decode_bytes(b"".join(run), run_charset)[0])
    pieces.append(unsurrogate(raw[position:], charset_hint))
    return "".join(pieces)


def _word_bytes(encoding: str, text: str) -> bytes | None:
    data = text.encode("utf-8", errors="surrogateescape")  # raw 8-bit bytes come back as bytes
    if encoding in "bB":
        try:
            return base64.b64decode(data + b"=" * (-len(data) % 4))
        except (binascii.Error, ValueError):
            return None
    return _QP_ESCAPE.sub(lambda m: bytes([int(m.group(1), 16)]), data.replace(b"_", b" "))
