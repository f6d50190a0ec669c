"""The mailing list in chat: relayed messages (a header in the reader's language, the text as
written), /mailinglist on|off, /lists, and an organiser's re-send."""

from __future__ import annotations

from zoneinfo import ZoneInfo

from bot.buttons import Button
from bot.chat import Choice, Document, Reply
from bot.context import ParticipantContext
from bot.mail import relay
from bot.models import MailStatus, Role
from bot.reports import labels
from bot.text import formatting
from bot.text.i18n import _, localised, ngettext
from bot.text.markup import bold, escape, excerpt, italic
from bot.text.matching import fold
from bot.text.numbers import parse_number
from bot.translation.reading import ReadText, Shown, read, reading
from handlers import answers, translation

_ON = {"on", "yes", "oui", "si", "activer", "activar", "1"}
_OFF = {"off", "no", "non", "desactiver", "desactivar", "0"}
# Shown per page of /lists.
RECENT = 8
OTHERS_SHOWN = 30  # attachments named in the paragraph of those not sent


def relayed(mail: relay.ShownMail, send_files: bool = True) -> Reply:
    """A list message as a delegate reads it: who wrote, what about, when (in their language
    and the meeting's time zone); then the text, as written or translated into their language
    (with the line that says so and "See the original": the whole message as written, subject
    included); then the attachments (`send_files` False: named, not sent again)."""
    sender = mail.sender_name or mail.sender_address
    if mail.sender_name and mail.sender_address:
        sender = f"{mail.sender_name} <{mail.sender_address}>"
    lines = [
        "📬 " + bold(escape(_("Mailing list {list}").format(list=mail.list_name))),
        _("From: {sender}").format(sender=escape(sender)),
        _("Subject: {subject}").format(subject=bold(_subject(_read_subject(mail)))),
        _("Date: {date}").format(date=formatting.moment(mail.sent_at, ZoneInfo(mail.timezone))),
    ]
    if mail.group:
        group = localised(mail.group)
        lines.append(_("For the reference group {group}").format(group=escape(group)))
    text = mail.text
    body = escape(mail.text_read.text or relay.text_shown(text)) if text else italic(_("(no text)"))
    note, choices = translation.note(_how_read(mail))
    if choices:  # the original of a mail is all of it, subject and text, not the text alone
        choices = ((Choice(_("See the original"), MailOriginalButton(mail.mail).pack()),),)
    parts = ["\n".join(lines), body] + ([note] if note else [])
    if len(text) > relay.RELAY_LIMIT:
        parts.append(italic(_("(The message is longer: the rest is in the list's archive.)")))
    documents = _sent_files(mail.attachments, mail.files) if send_files else []
    if mail.attachments:
        parts.append(_attachment_list(mail, mail.files))
    return Reply("\n\n".join(parts), choices=choices, documents=tuple(documents))


def _how_read(mail: relay.ShownMail) -> ReadText:
    """What the line under the message speaks of: the text, or the subject when only it was
    translated (or there is no text)."""
    if mail.text.strip() and (
        mail.text_read.shown != Shown.AS_WRITTEN or mail.subject_read.shown == Shown.AS_WRITTEN
    ):
        return mail.text_read
    return mail.subject_read


def _read_subject(mail: relay.ShownMail) -> str:
    """The subject translated when it was (only the part chat shows is), else as written."""
    return mail.subject_read.text if mail.subject_read.shown == Shown.TRANSLATED else mail.subject


def _subject(subject: str) -> str:
    """A subject on one line, cut with "…" (a 130,000-character one would fill 33 messages)."""
    return excerpt(subject, relay.SUBJECT_SHOWN) if subject.strip() else "–"


def _sent_files(attachments: list[relay.Attachment], most: int) -> tuple[Document, ...]:
    """The first `most` attachments small enough to forward, each sent as a file."""
    kept = [(name, data) for name, _size, data in attachments if data is not None]
    return tuple(Document(data, name) for name, data in kept[:most])


def _attachment_list(mail: relay.ShownMail, most: int) -> str:
    """Up to `most` attachments, a line each (sent as files below, or too large to forward);
    beyond that, the ones not sent in one paragraph (never one message each), with where the
    message can be read again."""
    attachments = mail.attachments
    if len(attachments) <= most:
        too_large = " — " + _("too large to forward")
        return "\n".join(
            _attachment(name, size) + ("" if data is not None else too_large)
            for name, size, data in attachments
        )
    sent = [i for i, (_name, _size, data) in enumerate(attachments) if data is not None][:most]
    lines = [_attachment(*attachments[i][:2]) for i in sent]
    names = [
        f"{excerpt(name, 80)} ({formatting.size(size)})"
        for i, (name, size, _data) in enumerate(attachments)
        if i not in sent
    ]
    lines.append(
        "📎 "
        + ngettext(
            "{count} more attachment, not sent in chat: {names}.",
            "{count} more attachments, not sent in chat: {names}.",
            len(names),
        ).format(count=formatting.number(len(names)), names=_cut_list(names, OTHERS_SHOWN))
    )
    again = _("Read this message again with /lists {number}.")
    lines.append(italic(again.format(number=mail.mail)))
    return "\n".join(lines)


def _attachment(name: str, size: int) -> str:
    return f"📎 {excerpt(name, 80)} ({formatting.size(size)})"


def _cut_list(entries: list[str], most: int) -> str:
    if len(entries) <= most:
        return ", ".join(entries)
    left = len(entries) - most
    more = ngettext("and {count} more", "and {count} more", left)
    return ", ".join(entries[:most]) + ", " + more.format(count=formatting.number(left))


async def mailing_list(ctx: ParticipantContext) -> Reply:
    participant = ctx.participant
    words = {fold(word) for word in ctx.args}
    if words & _ON or words & _OFF:
        participant.mailing_list = bool(words & _ON)
        if participant.mailing_list:
            return Reply("✅ " + _("From now on, I relay the mailing list's messages to you."))
        return Reply(
            "🔕 "
            + _(
                "I no longer relay the mailing list's messages to you (except those for "
                "your groups)."
            )
        )
    return _state(relay.takes_list(participant))


def _state(receiving: bool) -> Reply:
    text = (
        _("I relay the mailing list's messages to you.")
        if receiving
        else _("I do not relay the mailing list's messages to you (except those for your groups).")
    )
    return Reply(
        text + "\n" + _("Change it: /mailinglist on or /mailinglist off"),
        choices=(
            (
                Choice(
                    _("Turn off") if receiving else _("Turn on"),
                    MailSetButton("off" if receiving else "on").pack(),
                ),
            ),
        ),
    )


async def recent_messages(ctx: ParticipantContext) -> Reply:
    if ctx.args:  # /lists NUMBER (or #NUMBER)
        number = parse_number(ctx.args[0].removeprefix("#"))
        if number is None:
            return _no_message(ctx.args[0].removeprefix("#"))
        return await _read(ctx, number)
    organiser = ctx.role == Role.ORGANISER
    recent = await relay.recent(ctx.db, ctx.event, 50)
    shown = (await relay.readable(ctx.db, ctx.participant, recent, ctx.role))[:RECENT]
    if not shown:
        return Reply(_("No message from the mailing list yet."))
    zone = ZoneInfo(ctx.event.timezone)
    lines = ["📬 " + bold(_("The mailing list's latest messages"))]
    rows = []
    translated = False
    for mail in shown:
        when = formatting.moment(mail.sent_at or mail.received_at, zone)
        who = escape(mail.sender_name or mail.sender_address)
        with reading(translation.reader(ctx)):
            subject = await read(ctx.db, relay.subject_shown(mail.subject))
        translated |= subject.shown == Shown.TRANSLATED
        line = _("#{number} · {when} · {sender}: {subject}").format(
            number=mail.id, when=when, sender=who, subject=bold(_subject(subject.text))
        )
        if mail.status == MailStatus.FAILED:
            line += "\n" + italic(
                _("not relayed: {reason}").format(reason=escape(labels.mail_reason(mail.reason)))
            )
        lines.append(line)
        if mail.status == MailStatus.RELAYED:
            row = [
                Choice(_("Read #{number}").format(number=mail.id), MailReadButton(mail.id).pack())
            ]
            if organiser:
                row.append(
                    Choice(
                        _("Re-send #{number}").format(number=mail.id),
                        MailAgainButton(mail.id).pack(),
                    )
                )
            rows.append(tuple(row))
    if translated:
        lines.append(
            italic(_("Subjects translated automatically: open a message to see it as written."))
        )
    return Reply("\n\n".join(lines), choices=tuple(rows))


async def _read(ctx: ParticipantContext, mail_id: int, as_written: bool = False) -> Reply:
    """List message #`mail_id` for a reader allowed to read it; translated for them unless
    `as_written` ("See the original": its files are not sent a second time)."""
    mail = await relay.message(ctx.db, ctx.event, mail_id)
    if (
        mail is None
        or mail.status != MailStatus.RELAYED
        or not await relay.readable(ctx.db, ctx.participant, [mail], ctx.role)
    ):
        return _no_message(str(mail_id))
    with reading(None if as_written else translation.reader(ctx)):
        shown = await relay.load_relay(
            ctx.db, relay.RelayedMail(mail=mail.id, key=mail.message_key)
        )
    return relayed(shown, send_files=not as_written)


def _no_message(number: str) -> Reply:
    message = _("There is no list message #{number} for you.")
    return Reply(message.format(number=excerpt(number, 24)))


class MailSetButton(Button, prefix="mail:set"):
    """Whether I relay the list to the reader: "on" or "off"."""

    value: str


class MailReadButton(Button, prefix="mail:read"):
    mail_id: int


class MailOriginalButton(Button, prefix="mail:original"):
    """A translated list message as it was written, subject and text."""

    mail_id: int


class MailCancelButton(Button, prefix="mail:cancel"):
    """The organiser did not send the message again (its number is not read)."""

    mail_id: int | None


class MailAgainButton(Button, prefix="mail:again", command="lists"):
    """An organiser asks to send the message again: first the question."""

    mail_id: int


class MailAgainYesButton(Button, prefix="mail:again-yes", command="lists"):
    """The organiser confirmed: the message goes again."""

    mail_id: int


async def mail_set_button(ctx: ParticipantContext, button: MailSetButton) -> Reply:
    if button.value not in ("on", "off"):
        return answers.stale_button()
    ctx.participant.mailing_list = button.value == "on"
    return _state(relay.takes_list(ctx.participant)).edited()


async def mail_read_button(ctx: ParticipantContext, button: MailReadButton) -> Reply:
    return await _read(ctx, button.mail_id)


async def mail_original_button(ctx: ParticipantContext, button: MailOriginalButton) -> Reply:
    return await _read(ctx, button.mail_id, as_written=True)


async def mail_cancel_button(ctx: ParticipantContext, button: MailCancelButton) -> Reply:
    return Reply(_("Nothing was sent."), edit=True)


async def mail_again_button(ctx: ParticipantContext, button: MailAgainButton) -> Reply:
    return await _resend(ctx, button.mail_id, confirmed=False)


async def mail_again_yes_button(ctx: ParticipantContext, button: MailAgainYesButton) -> Reply:
    return await _resend(ctx, button.mail_id, confirmed=True)


async def _resend(ctx: ParticipantContext, mail_id: int, confirmed: bool) -> Reply:
    mail = await relay.message(ctx.db, ctx.event, mail_id)
    if mail is None:
        return _no_message(str(mail_id))
    if mail.status != MailStatus.RELAYED:
        return Reply(_("This message could not be read, so it cannot be sent."))
    if not confirmed:
        count = len(await relay.recipients(ctx.db, mail))
        return Reply(
            ngettext(
                "Send “{subject}” again to {count} participant?",
                "Send “{subject}” again to {count} participants?",
                count,
            ).format(subject=_subject(mail.subject), count=formatting.number(count)),
            choices=(
                (
                    Choice(_("Yes, send it again"), MailAgainYesButton(mail.id).pack()),
                    Choice(_("No"), MailCancelButton(mail.id).pack()),
                ),
            ),
        )
    count = await relay.resend(ctx.db, mail, ctx.clock.now(), ctx.translation_provider)
    return Reply(
        "✅ "
        + ngettext(
            "“{subject}” is on its way again to {count} participant.",
            "“{subject}” is on its way again to {count} participants.",
            count,
        ).format(subject=escape(mail.subject), count=formatting.number(count)),
        edit=True,
    )
