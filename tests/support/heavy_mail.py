"""Hostile list mail built on demand: huge headers and bodies that a list server accepts and
that once froze the parser (issue 16). Shared by tests/test_mail_hostile_parse.py and
benchmarks/mail_parse.py."""

from __future__ import annotations

HEAD = (
    b"From: Ana Gomez <ana@example.org>\r\n"
    b"To: actioncommittee@lists.example.org\r\n"
    b"List-Id: Action Committee <actioncommittee.lists.example.org>\r\n"
    b"Message-ID: <heavy@example.org>\r\n"
    b"Date: Mon, 4 Dec 2017 16:12:00 +0000\r\n"
    b"Content-Type: text/plain; charset=utf-8\r\n"
)


def mail(headers: bytes, body: bytes, *, head: bytes = HEAD) -> bytes:
    kept = b"".join(
        line + b"\r\n"
        for line in head.split(b"\r\n")
        if line and line.split(b":")[0].lower() + b":" not in headers.lower()
    )
    return kept + headers + b"\r\n" + body


def many_lines(count: int) -> bytes:
    """A body of `count` short lines, none of them quoted."""
    body = b"".join(b"item %d\r\n" % n for n in range(count))
    return mail(b"Subject: Many lines\r\n", body)


def quoted_lines(count: int) -> bytes:
    """A short answer above `count` quoted lines."""
    quote = b"".join(b"> quoted line %d\r\n" % n for n in range(count))
    body = b"I agree.\r\n\r\nOn Mon, 4 Dec 2017, Omar wrote:\r\n" + quote
    return mail(b"Subject: Re: Long thread\r\n", body)


def long_attribution(size: int) -> bytes:
    """A line of `size` bytes that starts like "On … wrote:" and never ends like it."""
    line = b"On " + b"and on " * (size // 7)
    return mail(b"Subject: Minutes\r\n", b"Hello,\r\n\r\n" + line + b"\r\n\r\nAna\r\n")


def html_brackets(count: int) -> bytes:
    """An HTML body of `count` opening brackets (once quadratic to turn into text)."""
    head = HEAD.replace(b"text/plain", b"text/html")
    return mail(b"Subject: Brackets\r\n", b"<p>" + b"[" * count + b"</p>\r\n", head=head)


def long_from(size: int) -> bytes:
    """A folded From: header of about `size` bytes: one address after another."""
    parts, total, n = [], 0, 0
    while total < size:
        part = b"Person %d <p%d@example.org>" % (n, n)
        parts.append(part)
        total += len(part) + 4
        n += 1
    return mail(b"From: " + b",\r\n ".join(parts) + b"\r\nSubject: Hello\r\n", b"Hello.\r\n")


ENCODED_WORD = b"=?UTF-8?Q?caf=C3=A9?="  # "café"


def long_subject(words: int) -> bytes:
    """A folded Subject: of `words` encoded words, about 23 bytes each."""
    return mail(b"Subject: " + b"\r\n ".join([ENCODED_WORD] * words) + b"\r\n", b"Hello.\r\n")
