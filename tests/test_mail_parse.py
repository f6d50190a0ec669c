"""bot.mail.parse on the corpus in tests/data/mail/ (raw mail as lists send it): what a reader of
the relayed message would notice — names and subjects decoded, the body readable, the quoted reply
and the list footer gone, attachments whole."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from email.message import EmailMessage
from pathlib import Path

import pytest

from bot.mail.parse import MailError, ParsedMail, parse

CORPUS = Path(__file__).parent / "data" / "mail"
LIST_ID = "actioncommittee.lists.example.org"
# What a wrong charset, a quoted-printable body left undecoded or HTML left as is looks like.
MOJIBAKE = ("Ã", "â€", "Â", "\ufffd")
QP_LEFTOVER = re.compile(r"=[0-9A-F]{2}|=\n")
HTML_TAG = re.compile(r"</?(html|head|body|div|p|br|b|a|ul|li|table|tr|td|span|style)\b", re.I)


def read(name: str) -> bytes:
    return (CORPUS / name).read_bytes()


def one(name: str) -> ParsedMail:
    messages = parse(read(name))
    assert len(messages) == 1
    return messages[0]


def assert_readable(text: str) -> None:
    assert not [bad for bad in MOJIBAKE if bad in text], text
    assert not QP_LEFTOVER.search(text), text
    assert not HTML_TAG.search(text), text
    assert "\r" not in text and "\n\n\n" not in text and text == text.strip()
    assert all(line == line.rstrip() for line in text.split("\n"))


@pytest.mark.parametrize("path", sorted(CORPUS.glob("*.eml")), ids=lambda path: path.name)
def test_every_corpus_file_parses_or_is_refused_with_a_reason(path: Path) -> None:
    try:
        messages = parse(path.read_bytes())
    except MailError as error:
        assert error.reason.strip()
        return
    assert messages
    for message in messages:
        assert message.subject or message.text or message.attachments
        assert message.message_id and message.list_id
        assert_readable(message.text)
        assert_readable(message.subject)


def test_plain_utf8_announcement_loses_the_mailman_footer_not_the_signature() -> None:
    mail = one("plain-utf8.eml")
    assert mail.message_id == "5A257C10.4010203@example.org"
    assert mail.list_id == LIST_ID
    assert (mail.sender_name, mail.sender_address) == ("Lucía Pérez", "lucia@example.org")
    assert mail.subject == (
        "[Actioncommittee] Zero draft of the Global Compact on Migration: timetable"
    )
    assert mail.sent_at == datetime(2017, 12, 4, 16, 12, tzinfo=UTC)
    assert mail.text.startswith("Dear all,\n\nThe co-facilitators have published")
    assert "  - Round 2: 12–15 March" in mail.text  # indentation kept
    assert mail.text.endswith(
        "--\nLucía Pérez\nCoordinación — Migrant Rights Network\n+52 55 1234 5678"
    )
    assert "listinfo" not in mail.text and "mailing list" not in mail.text
    assert mail.problems == ()


def test_encoded_words_and_quoted_printable_are_decoded() -> None:
    mail = one("encoded-words.eml")
    assert mail.subject == "[Actioncommittee] Réunion à Genève avant le Sommet de Marrakech"
    assert (mail.sender_name, mail.sender_address) == ("María Núñez", "mnunez@example.org")
    assert "señalización de los párrafos sobre detención de niñas y niños" in mail.text
    assert "español–inglés–francés" in mail.text
    assert mail.text.endswith("Un abrazo,\nMaría Núñez")  # Mailman 3 footer gone
    assert "actioncommittee-leave" not in mail.text


def test_latin1_label_on_windows_1252_text_gives_curly_quotes_and_euro() -> None:
    mail = one("windows-1252.eml")
    assert "Nous l’avons dit" in mail.text
    assert "le “pacte” ne doit pas" in mail.text
    assert "1 200 € pour la semaine" in mail.text
    assert "l’œuvre commune" in mail.text
    assert mail.subject == "[Actioncommittee] Note sur le budget de la délégation"  # raw 8-bit
    assert any("windows-1252" in problem for problem in mail.problems)


def test_alternative_prefers_plain_text_and_drops_the_footer_part() -> None:
    mail = one("alternative.eml")
    assert mail.sender_name == "Ana Gómez"
    assert "Revision 1 of the Global Compact is out <https://example.org/gcm/revision-1.pdf>" in (
        mail.text
    )
    assert "](https" not in mail.text  # how the HTML part's link would have come out
    assert mail.text.endswith("Let's discuss it at Thursday's call.\n\nAna")
    assert mail.attachments == ()


def test_html_only_mail_becomes_readable_text() -> None:
    mail = one("html-only.eml")
    assert mail.text.startswith("Chers membres du comité,")
    assert "  * Table ronde sur les voies de migration régulière" in mail.text
    assert re.search(r"^09:30 +Ouverture +Salle XVII$", mail.text, re.MULTILINE)
    assert "formulaire en ligne](https://example.org/gcm/inscription)" in mail.text
    assert "MsoNormal" not in mail.text and "&nbsp;" not in mail.text
    assert mail.text.endswith("Bien cordialement,\nAminata Diallo")


def test_multipart_that_never_closes_keeps_its_text_and_attachment() -> None:
    mail = one("broken-multipart.eml")
    assert "I propose a side event on labour migration corridors" in mail.text
    assert "multi-part message" not in mail.text
    assert [a.name for a in mail.attachments] == ["concept-note.txt"]
    assert mail.attachments[0].data.startswith(b"Side event: labour migration corridors")
    assert "multipart without closing boundary" in mail.problems


def test_multipart_without_boundary_is_split_on_the_boundary_it_uses() -> None:
    mail = one("multipart-no-boundary.eml")
    assert mail.text.startswith("Dear committee,\n\nThree delegates from West Africa")
    assert "Content-Type" not in mail.text and "NextPart" not in mail.text
    assert [(a.name, a.content_type) for a in mail.attachments] == [
        ("travel-support.pdf", "application/pdf")
    ]
    assert mail.attachments[0].data.startswith(b"%PDF-1.4")
    assert "multipart without boundary" in mail.problems


def test_large_attachment_with_rfc2231_name_arrives_whole() -> None:
    mail = one("large-attachment.eml")
    (pdf,) = mail.attachments
    assert pdf.name == "Borrador cero – comentarios.pdf"
    assert pdf.content_type == "application/pdf"
    assert pdf.size == 3 * 1024 * 1024 and pdf.data.startswith(b"%PDF-1.5")
    # format=flowed: the soft line break is joined; the footer part is gone.
    assert "comments on the zero draft, paragraph by paragraph. Please add" in mail.text
    assert mail.text.endswith("Lucía")


def test_empty_body_with_a_subject_is_relayable() -> None:
    mail = one("empty-body.eml")
    assert mail.text == ""
    assert mail.subject == "[Actioncommittee] Call at 15:00 UTC today, same link as usual"


def test_missing_message_id_is_synthesised_stably() -> None:
    raw = read("no-message-id.eml")
    mail = one("no-message-id.eml")
    assert re.fullmatch(r"sha256-[0-9a-f]{64}@coordbot", mail.message_id)
    assert parse(raw)[0].message_id == mail.message_id
    other = parse(raw.replace(b"Country: Per", b"Country: Bolivia, Per"))[0]
    assert other.message_id != mail.message_id
    assert (mail.sender_name, mail.sender_address) == (
        "Action Committee web form",
        "webform@example.org",
    )
    assert "  Organisation: Red de Apoyo a Migrantes de Cusco" in mail.text


def test_digest_gives_each_message_with_the_digest_list_id() -> None:
    messages = parse(read("digest.eml"))
    assert [m.subject for m in messages] == [
        "[Actioncommittee] Marrakech: hotel block closes on Friday",
        "[Actioncommittee] Briefing sur le paragraphe 27 (retours)",
        "Re: [Actioncommittee] Moderador del panel",
    ]
    assert [m.sender_name for m in messages] == [
        "Omar Haddad",
        "Jean-François Dupré",
        "Sofía Rojas",
    ]
    assert [m.message_id for m in messages] == [
        "20171212081427.GB7722@example.org",
        "000f01d37331$8a6c1e30$9f445a90$@example.fr",
        "CAK7f9Q+sofia-3@mail.gmail.com",
    ]
    assert {m.list_id for m in messages} == {LIST_ID}
    assert messages[1].sent_at == datetime(2017, 12, 12, 10, 2, 10, tzinfo=UTC)
    omar, french, spanish = (m.text for m in messages)
    assert "Today's Topics" not in omar + french + spanish and "listinfo" not in omar
    assert "une séance d'information sur le paragraphe 27" in french
    assert "troisième série de négociations" in french
    # "El … escribió:" (which mail-parser-reply misses) and the quote below are cut.
    assert spanish.split("\n") == [
        "Estoy de acuerdo con Ana. Propongo que Omar modere el panel.",
        "",
        "Saludos,",
        "Sofía",
    ]


def test_french_quoted_reply_is_cut_and_the_signature_kept() -> None:
    mail = one("quoted-reply.eml")
    assert mail.subject == "Re: [Actioncommittee] Projet de déclaration commune"
    assert mail.text.startswith("Bonjour Ana, bonjour à tous,\n\nD’accord pour la déclaration")
    assert "je propose d’ajouter une phrase sur la protection consulaire" in mail.text
    assert mail.text.endswith("--\nLucía Pérez\nCoordinación — Migrant Rights Network")
    assert "a écrit" not in mail.text and "Voici le projet" not in mail.text
    assert not re.search(r"^>", mail.text, re.MULTILINE)


def test_google_groups_footer_and_spanish_quote_are_cut() -> None:
    mail = one("google-groups.eml")
    assert mail.list_id == "actioncommittee.googlegroups.com"
    assert mail.text == (
        "Gracias, Omar. Me parece bien el horario; llevo la lista de oradoras.\n\nSaludos,\nSofía"
    )


def test_unknown_charset_falls_back_to_utf8() -> None:
    mail = one("unknown-charset.eml")
    assert "asciende a 2.300 € — incluye la\ninterpretación y el café. ¿Alguien" in mail.text
    assert "La señora Núñez" in mail.text
    assert "unknown charset x-unknown" in mail.problems


def test_other_list_keeps_its_list_id_and_loses_its_unsubscribe_paragraph() -> None:
    mail = one("other-list.eml")
    assert mail.list_id == "other.lists.example.net"
    assert mail.text.endswith("and upcoming webinars.")
    assert "unsubscribe" not in mail.text.lower()


def test_not_mail_is_refused_with_a_reason() -> None:
    with pytest.raises(MailError) as raised:
        parse(read("not-mail.eml"))
    assert raised.value.reason == "not mail: no mail headers"
    with pytest.raises(MailError, match="not mail"):
        parse(bytes(range(256)) * 4)


def test_broken_base64_loses_only_the_damaged_line() -> None:
    mail = one("broken-base64.eml")
    assert mail.text.startswith("Dear all,\n\nHere are the minutes of today's call")
    assert "drafts the paragraph on labour migration; Ana contacts the UN Network." in mail.text
    assert mail.text.endswith("Next call: Thursday 21 December at 15:00 UTC.\n\nKwame")
    assert mail.text.isascii()  # no garbage from the misaligned rest
    assert "corrupt base64 in text/plain" in mail.problems


def test_mail_with_nothing_to_relay_is_refused() -> None:
    with pytest.raises(MailError, match="no text, no subject and no attachment"):
        parse(b"From: lucia@example.org\nTo: actioncommittee@lists.example.org\n\n\n")
    with pytest.raises(MailError, match="a digest with no messages"):
        parse(
            b"From: actioncommittee-request@lists.example.org\nSubject: Digest\n"
            b'Content-Type: multipart/digest; boundary="d"\n\n--d\n'
            b"Content-Type: text/plain\n\nToday's Topics: none\n--d--\n"
        )


def test_inline_image_of_an_html_mail_is_not_an_attachment() -> None:
    mail = EmailMessage()
    mail["From"] = "Ana Gómez <ana@example.org>"
    mail["Subject"] = "Logo for the statement"
    mail.set_content("The logo is below.")
    mail.add_alternative('<p>The logo is below.</p><img src="cid:logo@example.org">', "html")
    html_part = mail.get_body(("html",))
    assert html_part is not None
    html_part.add_related(b"\x89PNG\r\n", "image", "png", cid="<logo@example.org>")
    mail.add_attachment(b"%PDF-1.4", "application", "pdf", filename="statement.pdf")
    (parsed,) = parse(mail.as_bytes())
    assert parsed.text == "The logo is below."
    assert [(a.name, a.size) for a in parsed.attachments] == [("statement.pdf", 8)]
