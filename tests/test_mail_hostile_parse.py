"""bot.mail.parse on mail as it really comes (issue 16): forwards that keep the forwarded message,
scripts in the charsets their senders use, and hostile mail (huge headers, huge bodies) that
must come out right and small. The mails are written here; tests/support/heavy_mail.py builds
the big ones."""

from __future__ import annotations

import random
import tracemalloc
from email.message import EmailMessage

import pytest

from bot.mail.parse import MailError, ParsedMail, parse
from bot.reports import labels
from tests.support import heavy_mail

NOTE = "Dear all, please read the message below.\n\nAna"
FORWARDED = (
    "Dear delegates,\n\nThe hotel block closes on Friday 8 December.\n"
    "  - Rooms: 120 USD a night\n\nHost Committee"
)
SUMMARY = "↪ Host Committee <host@example.org> — Logistics for Marrakech"
MEMORY_LIMIT = 64 * 2**20


def mail(subject: str, text: str, *, charset: str = "utf-8") -> bytes:
    message = EmailMessage()
    message["From"] = "Ana Gómez <ana@example.org>"
    message["To"] = "actioncommittee@lists.example.org"
    message["List-Id"] = "<actioncommittee.lists.example.org>"
    message["Subject"] = subject
    message.set_content(text, charset=charset)
    return message.as_bytes()


def one(raw: bytes) -> ParsedMail:
    (parsed,) = parse(raw)
    return parsed


# --- forwards --------------------------------------------------------------------------------

FORWARDS = {
    "gmail en": (
        "Fwd: Logistics for Marrakech",
        "---------- Forwarded message ---------\n"
        "From: Host Committee <host@example.org>\n"
        "Date: Mon, 4 Dec 2017 at 10:00\n"
        "Subject: Logistics for Marrakech\n"
        "To: <actioncommittee@lists.example.org>\n\n\n",
    ),
    "gmail fr": (
        "Fwd: Logistics for Marrakech",
        "---------- Message transféré ---------\n"
        "De : Host Committee <host@example.org>\n"
        "Date: lun. 4 déc. 2017 à 10:00\n"
        "Subject: Logistics for Marrakech\n"
        "To: <actioncommittee@lists.example.org>\n\n\n",
    ),
    "gmail es": (
        "Fwd: Logistics for Marrakech",
        "---------- Mensaje reenviado ---------\n"
        "De: Host Committee <host@example.org>\n"
        "Date: lun, 4 dic 2017 a las 10:00\n"
        "Subject: Logistics for Marrakech\n"
        "To: <actioncommittee@lists.example.org>\n\n\n",
    ),
    "outlook en": (
        "FW: Logistics for Marrakech",
        "________________________________\n"
        "From: Host Committee <host@example.org>\n"
        "Sent: Monday, December 4, 2017 10:00 AM\n"
        "To: actioncommittee@lists.example.org\n"
        "Subject: Logistics for Marrakech\n\n",
    ),
    "outlook fr": (
        "TR : Logistics for Marrakech",
        "De : Host Committee <host@example.org>\n"
        "Envoyé : lundi 4 décembre 2017 10:00\n"
        "À : actioncommittee@lists.example.org\n"
        "Objet : Logistics for Marrakech\n\n",
    ),
    "outlook es": (
        "RV: Logistics for Marrakech",
        "De: Host Committee [mailto:host@example.org]\n"
        "Enviado el: lunes, 4 de diciembre de 2017 10:00\n"
        "Para: actioncommittee@lists.example.org\n"
        "Asunto: Logistics for Marrakech\n\n",
    ),
    "outlook de": (
        "WG: Logistics for Marrakech",
        "Von: Host Committee <host@example.org>\n"
        "Gesendet: Montag, 4. Dezember 2017 10:00\n"
        "An: actioncommittee@lists.example.org\n"
        "Betreff: Logistics for Marrakech\n\n",
    ),
    "original message used as forward": (
        "FW: Logistics for Marrakech",
        "-----Original Message-----\n"
        "From: Host Committee [mailto:host@example.org]\n"
        "Sent: Monday, December 04, 2017 10:00 AM\n"
        "To: actioncommittee@lists.example.org\n"
        "Subject: Logistics for Marrakech\n\n",
    ),
    "apple en": (
        "Fwd: Logistics for Marrakech",
        "Begin forwarded message:\n\n"
        "From: Host Committee <host@example.org>\n"
        "Subject: Logistics for Marrakech\n"
        "Date: 4 December 2017 at 10:00:00 CET\n"
        "To: actioncommittee@lists.example.org\n\n",
    ),
    "apple fr": (
        "Fwd: Logistics for Marrakech",
        "Début du message réexpédié\u00a0:\n\n"
        "De: Host Committee <host@example.org>\n"
        "Objet: Logistics for Marrakech\n"
        "Date: 4 décembre 2017 à 10:00:00 UTC+1\n"
        "À: actioncommittee@lists.example.org\n\n",
    ),
    "apple es": (
        "Fwd: Logistics for Marrakech",
        "Inicio del mensaje reenviado:\n\n"
        "De: Host Committee <host@example.org>\n"
        "Asunto: Logistics for Marrakech\n"
        "Fecha: 4 de diciembre de 2017, 10:00:00 CET\n"
        "Para: actioncommittee@lists.example.org\n\n",
    ),
    "thunderbird en": (
        "Fwd: Logistics for Marrakech",
        "-------- Forwarded Message --------\n"
        "Subject: \tLogistics for Marrakech\n"
        "Date: \tMon, 4 Dec 2017 10:00:00 +0100\n"
        "From: \tHost Committee <host@example.org>\n"
        "To: \tactioncommittee@lists.example.org\n\n\n\n",
    ),
    "thunderbird fr": (
        "Fwd: Logistics for Marrakech",
        "-------- Message transféré --------\n"
        "Sujet : \tLogistics for Marrakech\n"
        "Date : \tMon, 4 Dec 2017 10:00:00 +0100\n"
        "De : \tHost Committee <host@example.org>\n"
        "Pour : \tactioncommittee@lists.example.org\n\n\n\n",
    ),
    "thunderbird es": (
        "Fwd: Logistics for Marrakech",
        "-------- Mensaje reenviado --------\n"
        "Asunto: \tLogistics for Marrakech\n"
        "Fecha: \tMon, 4 Dec 2017 10:00:00 +0100\n"
        "De: \tHost Committee <host@example.org>\n"
        "Para: \tactioncommittee@lists.example.org\n\n\n\n",
    ),
    "thunderbird de": (
        "WG: Logistics for Marrakech",
        "-------- Weitergeleitete Nachricht --------\n"
        "Betreff: \tLogistics for Marrakech\n"
        "Datum: \tMon, 4 Dec 2017 10:00:00 +0100\n"
        "Von: \tHost Committee <host@example.org>\n"
        "An: \tactioncommittee@lists.example.org\n\n\n\n",
    ),
}


@pytest.mark.parametrize(("subject", "block"), FORWARDS.values(), ids=FORWARDS.keys())
def test_forward_keeps_the_note_and_the_forwarded_message(subject: str, block: str) -> None:
    parsed = one(mail(subject, f"{NOTE}\n\n{block}{FORWARDED}\n"))
    assert parsed.text == f"{NOTE}\n\n{SUMMARY}\n\n{FORWARDED}"


def test_forward_without_a_note_starts_with_the_forwarded_sender() -> None:
    _, block = FORWARDS["gmail en"]
    parsed = one(mail("Fwd: Logistics for Marrakech", block + FORWARDED))
    assert parsed.text == f"{SUMMARY}\n\n{FORWARDED}"


def test_forwarded_reply_keeps_its_text_and_loses_its_quote() -> None:
    _, block = FORWARDS["gmail en"]
    reply = "Agreed, 120 USD.\n\nOn Sun, 3 Dec 2017, Omar wrote:\n> What price for the rooms?\n"
    parsed = one(mail("Fwd: Logistics", f"{NOTE}\n\n{block}{reply}"))
    assert parsed.text == f"{NOTE}\n\n{SUMMARY}\n\nAgreed, 120 USD."


def test_forward_of_a_forward_shows_both_senders() -> None:
    inner = (
        "---------- Forwarded message ---------\n"
        "From: Omar Haddad <omar@example.org>\nSubject: Rooms\n\n"
        "Rooms are booked."
    )
    _, block = FORWARDS["apple en"]
    parsed = one(mail("Fwd: Fwd: Rooms", f"{NOTE}\n\n{block}See below.\n\n{inner}\n"))
    assert parsed.text == (
        f"{NOTE}\n\n{SUMMARY}\n\nSee below.\n\n"
        "↪ Omar Haddad <omar@example.org> — Rooms\n\nRooms are booked."
    )


HTML_FORWARDS = {
    "gmail": (
        "Fwd: Logistics for Marrakech",
        '<div dir="ltr">Dear all, please read below.<br><br><div class="gmail_quote">'
        '<div dir="ltr" class="gmail_attr">---------- Forwarded message ---------<br>'
        'From: <strong class="gmail_sendername">Host Committee</strong> '
        "<span>&lt;host@example.org&gt;</span><br>Date: Mon, 4 Dec 2017 at 10:00<br>"
        "Subject: Logistics for Marrakech<br>To: &lt;list@example.org&gt;<br></div><br><br>"
        '<div dir="ltr">The hotel block closes on Friday.</div></div></div>',
    ),
    "outlook fr": (
        "TR : Logistics for Marrakech",
        "<div class=WordSection1><p class=MsoNormal>Dear all, please read below.</p>"
        '<div style="border:none;border-top:solid #E1E1E1 1.0pt"><p class=MsoNormal>'
        "<b>De&nbsp;:</b> Host Committee &lt;host@example.org&gt;<br>"
        "<b>Envoy&eacute;&nbsp;:</b> lundi 4 d&eacute;cembre 2017 10:00<br>"
        "<b>&Agrave;&nbsp;:</b> list@example.org<br>"
        "<b>Objet&nbsp;:</b> Logistics for Marrakech</p></div>"
        "<p class=MsoNormal>The hotel block closes on Friday.</p></div>",
    ),
}


@pytest.mark.parametrize(("subject", "markup"), HTML_FORWARDS.values(), ids=HTML_FORWARDS.keys())
def test_html_forward_keeps_the_forwarded_message(subject: str, markup: str) -> None:
    message = EmailMessage()
    message["From"] = "Ana Gómez <ana@example.org>"
    message["Subject"] = subject
    message.set_content(markup, subtype="html")
    assert one(message.as_bytes()).text == (
        f"Dear all, please read below.\n\n{SUMMARY}\n\nThe hotel block closes on Friday."
    )


QUOTED = "\n".join(f"> {line}" for line in FORWARDED.split("\n"))
REPLIES = {
    "outlook en": ("RE: Logistics for Marrakech", FORWARDS["outlook en"][1] + FORWARDED),
    "outlook fr": ("RE : Logistics for Marrakech", FORWARDS["outlook fr"][1] + FORWARDED),
    "outlook es": ("RE: Logistics for Marrakech", FORWARDS["outlook es"][1] + FORWARDED),
    "original message": (
        "Re: Logistics",
        FORWARDS["original message used as forward"][1] + FORWARDED,
    ),
    "gmail en": (
        "Re: Logistics",
        f"On Mon, 4 Dec 2017 at 10:00, Host <host@example.org> wrote:\n{QUOTED}",
    ),
    "gmail fr": (
        "Re: Logistics",
        f"Le lun. 4 déc. 2017 à 10:00, Host <host@example.org> a écrit :\n{QUOTED}",
    ),
    "gmail es": (
        "Re: Logistics",
        f"El lun, 4 dic 2017 a las 10:00, Host (<host@example.org>) escribió:\n{QUOTED}",
    ),
}


@pytest.mark.parametrize(("subject", "quote"), REPLIES.values(), ids=REPLIES.keys())
def test_reply_is_still_trimmed(subject: str, quote: str) -> None:
    parsed = one(mail(subject, f"Thanks, we will book.\n\nAna\n\n{quote}\n"))
    assert parsed.text == "Thanks, we will book.\n\nAna"


def test_forward_inside_a_quoted_reply_is_trimmed_with_it() -> None:
    _, block = FORWARDS["gmail en"]
    body = (
        "Thanks, we will book.\n\nFrom: Omar <omar@example.org>\nSent: Monday\n"
        f"To: list\nSubject: RE: Fwd: Logistics\n\n{block}{FORWARDED}\n"
    )
    assert one(mail("RE: Fwd: Logistics", body)).text == "Thanks, we will book."


# --- heavy mail ------------------------------------------------------------------------------


def test_forward_of_80000_lines_keeps_every_line() -> None:
    _, block = FORWARDS["gmail en"]
    lines = [f"item {n}" for n in range(80_000)]
    parsed = one(mail("Fwd: Logistics", f"{NOTE}\n\n{block}" + "\n".join(lines)))
    assert parsed.text == f"{NOTE}\n\n{SUMMARY}\n\n" + "\n".join(lines)


def test_forwarded_reply_over_100000_quoted_lines_keeps_only_the_answer() -> None:
    _, block = FORWARDS["outlook en"]
    quote = "".join(f"> quoted line {n}\n" for n in range(100_000))
    reply = f"I agree.\n\nOn Mon, 4 Dec 2017, Omar wrote:\n{quote}"
    parsed = one(mail("FW: Long thread", f"{NOTE}\n\n{block}{reply}"))
    assert parsed.text == f"{NOTE}\n\n{SUMMARY}\n\nI agree."


def peak_memory(raw: bytes) -> tuple[ParsedMail, int]:
    tracemalloc.start()
    try:
        (parsed,) = parse(raw)
        return parsed, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


@pytest.mark.parametrize("words", [12_000, 40_000])
def test_subject_of_many_encoded_words_is_cut_and_small(words: int) -> None:
    parsed, peak = peak_memory(heavy_mail.long_subject(words))
    assert peak < MEMORY_LIMIT
    assert parsed.subject.startswith("cafécafécafé")  # adjacent words join, as RFC 2047 says
    assert parsed.subject.endswith("café …")
    assert 2_000 < len(parsed.subject) < 5_000
    assert "Subject header cut at 16 kB" in parsed.problems
    assert parsed.text == "Hello."


def test_folded_from_of_1_3_megabytes_gives_its_first_sender() -> None:
    parsed, peak = peak_memory(heavy_mail.long_from(1_300_000))
    assert peak < MEMORY_LIMIT
    assert (parsed.sender_name, parsed.sender_address) == ("Person 0", "p0@example.org")
    assert "From header cut at 16 kB" in parsed.problems


def test_headers_beyond_a_megabyte_are_emptied_not_parsed() -> None:
    many = b"".join(b"X-Filler-%d: %s\r\n" % (n, b"x" * 15_000) for n in range(100))
    raw = heavy_mail.mail(many + b"Subject: Late subject\r\n", b"Hello.\r\n")
    parsed, peak = peak_memory(raw)
    assert peak < MEMORY_LIMIT
    assert parsed.subject == ""
    assert "headers over 1000 kB emptied" in parsed.problems


# --- charsets --------------------------------------------------------------------------------

SCRIPTS = {
    "iso-2022-jp": (
        "すみません、会議室の予約をお願いします。ｶﾀｶﾅ",
        "iso2022_jp_ext",
        "ISO-2022-JP",
    ),
    "iso-2022-jp-2": ("会議は月曜日です。Ça va.", "iso2022_jp_2", "ISO-2022-JP-2"),
    "utf-7": ("Frösche und Käse für alle: 会議", "utf-7", "UTF-7"),
    "gb2312 with a gbk character": ("朱镕基在日内瓦发言。", "gbk", "GB2312"),
    "big5 with an hkscs character": ("香港會議嘅時間表。", "big5hkscs", "Big5"),
    "euc-kr with a cp949 character": ("회의는 제네바에서 열립니다. 똠방각하", "cp949", "EUC-KR"),
    "ks_c_5601-1987": ("회의는 제네바에서 열립니다. 똠방각하", "cp949", "ks_c_5601-1987"),
    "shift_jis with a cp932 character": ("髙橋さんの発表は①です。", "cp932", "Shift_JIS"),
}


@pytest.mark.parametrize(("text", "codec", "label"), SCRIPTS.values(), ids=SCRIPTS.keys())
def test_text_reads_in_the_charset_its_label_means(text: str, codec: str, label: str) -> None:
    encoded = text.encode(codec)
    raw = (
        b"From: Ana <ana@example.org>\nSubject: Script\nMIME-Version: 1.0\n"
        b"Content-Type: text/plain; charset=" + label.encode() + b"\n"
        b"Content-Transfer-Encoding: 8bit\n\n" + encoded + b"\n"
    )
    parsed = one(raw)
    assert parsed.text == text
    assert parsed.problems == ()


def test_japanese_subject_in_iso_2022_jp_reads() -> None:
    raw = (
        b"From: =?ISO-2022-JP?B?GyRCRURDZhsoQg==?= <tanaka@example.jp>\n"
        b"Subject: =?ISO-2022-JP?B?GyRCMnE1RCROTT1McxsoQg==?=\n\nHello.\n"
    )
    parsed = one(raw)
    assert parsed.sender_name == "田中"
    assert parsed.subject == "会議の予約"


@pytest.mark.parametrize(
    ("header", "subject"),
    [
        (b"=?UTF-8?Q?R=C3=A9union_\xc3\xa0_Gen\xc3\xa8ve?=", "Réunion à Genève"),
        (b"=?ISO-8859-1?Q?R=E9union_\xe0_Gen\xe8ve?=", "Réunion à Genève"),
        (b"=?UTF-8?B?UsOpdW5pb24=?= \xc3\xa0 =?UTF-8?Q?Gen=C3=A8ve?=", "Réunion à Genève"),
        (b"=?GB2312?B?1uzpRrv5?=", "朱镕基"),  # a GBK character under the GB2312 label
    ],
)
def test_encoded_word_subject_with_raw_bytes_is_decoded(header: bytes, subject: str) -> None:
    raw = b"From: Ana <ana@example.org>\nSubject: " + header + b"\n\nHello.\n"
    assert one(raw).subject == subject


# --- nothing crashes -------------------------------------------------------------------------


def hostile_mails() -> list[bytes]:
    """Cut and scrambled versions of a mail with every part the parser knows."""
    message = EmailMessage()
    message["From"] = "=?UTF-8?Q?Ana_G=C3=B3mez?= <ana@example.org>"
    message["Subject"] = "=?ISO-2022-JP?B?GyRCMnE1RCROTT1McxsoQg==?="
    message["List-Id"] = "<actioncommittee.lists.example.org>"
    message.set_content(f"{NOTE}\n\n{FORWARDS['outlook fr'][1]}{FORWARDED}")
    message.add_alternative("<p>Hello <b>all</b></p>", "html")
    message.add_attachment(b"%PDF-1.4", "application", "pdf", filename="note.pdf")
    whole = message.as_bytes()
    rng = random.Random(16)
    mails = [whole[:cut] for cut in range(0, len(whole), 37)]
    for _ in range(300):
        data = bytearray(whole)
        for _ in range(rng.randint(1, 20)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        mails.append(bytes(data))
    return mails


def test_no_mail_crashes_and_every_refusal_has_a_translated_reason() -> None:
    codes = set()
    for raw in hostile_mails():
        try:
            for parsed in parse(raw):
                assert isinstance(parsed.text, str) and isinstance(parsed.subject, str)
        except MailError as error:
            codes.add(error.code)
    assert codes  # some of them are refused
    assert all(labels.mail_reason(code) != code for code in codes), codes


@pytest.mark.parametrize(
    ("name", "subject", "codec", "label"),
    [
        ("田中", "会議の予約", "cp932", "Shift_JIS"),
        ("朱镕基", "日内瓦会议", "gbk", "GB2312"),
        ("김민수", "회의 일정", "cp949", "EUC-KR"),
    ],
)
def test_raw_8bit_headers_read_in_the_body_charset(
    name: str, subject: str, codec: str, label: str
) -> None:
    raw = (
        b"From: " + name.encode(codec) + b" <sender@example.org>\n"
        b"Subject: " + subject.encode(codec) + b"\n"
        b"Content-Type: text/plain; charset="
        + label.encode()
        + b"\n\n"
        + "本文".encode(codec)
        + b"\n"
    )
    parsed = one(raw)
    assert (parsed.sender_name, parsed.subject) == (name, subject)
    assert parsed.text == "本文"


def test_memo_lines_that_look_like_headers_stay_text() -> None:
    body = "De: la coordinación\nPara: todas las delegaciones\n\nLa reunión es el lunes."
    assert one(mail("Aviso", body)).text == body
