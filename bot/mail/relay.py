"""Mail in: taken only from the configured list, archived once per Message-ID, relayed through
the outbox to those who want list updates and to the members of a [Tagged] reference group."""

from __future__ import annotations

import hashlib
import logging
import re
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import ClassVar

from sqlalchemy import ColumnElement, func, or_, select
from sqlalchemy.exc import DBAPIError, IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot.config import MailSettings
from bot.delivery import outbox
from bot.mail.envelope import Envelope, read_envelope
from bot.mail.failures import UNSTORABLE, Unstorable, worth_retrying
from bot.mail.parse import MailError, ParsedMail, parse
from bot.mail.reader import Parsed
from bot.models import (
    Event,
    GroupMembership,
    GroupMembershipStatus,
    MailAttachment,
    MailMessage,
    MailStatus,
    Participant,
    ReferenceGroup,
    Role,
    Texts,
)
from bot.notice import Notice
from bot.translation import store as translations
from bot.translation.reading import ReadText, read

log = logging.getLogger(__name__)

# Longer messages are cut in the relay (the archive keeps them whole): a dozen chat messages.
RELAY_LIMIT = 12_000
SUBJECT_SHOWN = 300  # characters of a subject shown in chat (a subject can be 130,000 long)
FILES = MailSettings.attachment_files  # attachments sent as files when not configured
_TAG = re.compile(r"\[([^\[\]]{1,64})\]")


@dataclass(frozen=True, kw_only=True)
class RelayedMail(Notice):
    """A list message, to one recipient: the archived message by id (read once for all its
    recipients when it leaves, `load_relay`) and how many attachments go as files."""

    kind: ClassVar[str] = "mail"
    mail: int
    key: str | None = None  # the Message-ID hash: an id alone could name another database's row
    files: int = FILES


Attachment = tuple[str, int, bytes | None]  # name, size, data (None: not kept to forward)


@dataclass(frozen=True)
class ShownMail:
    """A relayed list message as its reader sees it (read from the archive)."""

    mail: int
    list_name: str
    sender_name: str
    sender_address: str
    subject: str
    sent_at: datetime
    timezone: str
    text: str
    group: Texts | None
    attachments: list[Attachment]
    files: int = FILES  # how many attachments are sent as files
    # What of the subject and the text is shown, for this reader: as written, or translated
    # into their language (`_for_reader`, after the cache: the archive is the same for all).
    subject_read: ReadText = field(default_factory=lambda: ReadText(""))
    text_read: ReadText = field(default_factory=lambda: ReadText(""))


@dataclass(frozen=True)
class Outcome:
    """What became of one piece of mail. `refused` is not from the list (SMTP answers 550)."""

    refused: str | None = None
    relayed: tuple[int, ...] = ()  # archive ids of the messages relayed (a digest has several)
    duplicates: int = 0
    failed: str | None = None  # kept as failed, with this reason
    recipients: int = 0


def message_key(message_id: str) -> str:
    return hashlib.sha256(message_id.strip().strip("<>").lower().encode()).hexdigest()


def refusal(settings: MailSettings, list_id: str | None, sender: str) -> str | None:
    """Why this mail is not taken, or None when it comes from the list (and an allowed sender)."""
    if list_id is None or list_id not in settings.list_ids:
        return f"List-Id {list_id or 'missing'} is not a list this bot relays"
    if not settings.takes_sender(sender):
        return f"sender {sender or 'missing'} is not allowed"
    return None


async def ingest(
    db: AsyncSession,
    event: Event,
    settings: MailSettings,
    raw: bytes,
    now: datetime,
    parsed: Parsed | None = None,
    translation_provider: str | None = None,
) -> Outcome:
    """Take one piece of mail: refuse it, keep it as failed, or archive and relay each message
    in it (once: a Message-ID seen before is a duplicate). Commits nothing.

    The bot's receivers read the mail beforehand, off the event loop and before any transaction
    (`MailIntake.take`), and pass what was read as `parsed`; without it the mail is read here.
    With a `translation_provider`, each relayed message's subject and text are queued for
    translation (`relay`)."""
    try:  # a bounded read of the headers alone: milliseconds, whatever the mail holds
        envelope = read_envelope(raw)
    except Exception:  # headers that cannot be read at all are not the list's
        return Outcome(refused="unreadable headers")
    list_name = envelope.list_name
    refused = refusal(settings, envelope.list_id, envelope.sender_address)
    if refused is not None:
        return Outcome(refused=refused)
    if parsed is None:
        parsed = read_here(raw)
    if isinstance(parsed, MailError):
        log.info("list mail unreadable: %s", parsed.reason)
        return await _keep_failed(db, event, raw, envelope, parsed.code, now)
    relayed: list[int] = []
    duplicates = recipients = 0
    for message in parsed:
        archived = await _archive(db, event, message, list_name, settings, now)
        if archived is None:
            duplicates += 1
            continue
        archived.recipients = await relay(
            db,
            archived,
            now,
            files=settings.attachment_files,
            translation_provider=translation_provider,
        )
        relayed.append(archived.id)
        recipients += archived.recipients
    return Outcome(relayed=tuple(relayed), duplicates=duplicates, recipients=recipients)


def read_here(raw: bytes) -> Parsed:
    """The mail read in this process, without a budget (tests, and tools that read one mail)."""
    try:
        return parse(raw)
    except MailError as error:
        return error
    except Exception:  # a parser bug must not lose the mail either
        log.exception("mail could not be parsed")
        return MailError("parser failure", "unreadable")


async def _keep_failed(
    db: AsyncSession,
    event: Event,
    raw: bytes,
    envelope: Envelope,  # its headers, read bounded: this mail may be the one that was too big
    reason: str,  # a code of MailError: bot.reports.labels.mail_reason says it to the reader
    now: datetime,
) -> Outcome:
    message_id = envelope.message_id or hashlib.sha256(raw).hexdigest()
    # The column types clean every value and cut it to its column (bot.models.base).
    row = MailMessage(
        event_id=event.id,
        message_key=message_key(message_id),
        message_id=message_id,
        list_id=envelope.list_id,
        list_name=envelope.list_name,
        sender_name=envelope.sender_name,
        sender_address=envelope.sender_address,
        subject=envelope.subject[:1000],
        received_at=now,
        status=MailStatus.FAILED,
        reason=reason,
        raw=raw,
    )
    if not await _insert_once(db, row):
        return Outcome(duplicates=1)
    log.warning("list mail %s kept as failed: %s", message_id, reason)
    return Outcome(failed=reason)


async def _insert_once(db: AsyncSession, row: MailMessage) -> bool:
    """Insert, unless this Message-ID is archived already (by us, or by another process at
    the same moment: the unique key decides). False too when the database refuses the row for
    good: a failed row is kept in its place (`_keep_unstorable`), which organisers see."""
    if await _archived(db, row):
        return False
    try:
        async with db.begin_nested():
            db.add(row)
            await db.flush()
    except IntegrityError as error:
        if await _archived(db, row):
            return False
        await _keep_unstorable(db, row, error)  # another constraint than the unique key
        return False
    except DBAPIError as error:
        if worth_retrying(error):
            raise
        await _keep_unstorable(db, row, error)
        return False
    return True


async def archived_before(db: AsyncSession, event: Event, message_id: str) -> bool:
    """Whether a mail with this Message-ID is in the archive already (a re-delivery): told from
    its headers, before it is read at all."""
    return await _key_archived(db, event.id, message_key(message_id))


async def _archived(db: AsyncSession, row: MailMessage) -> bool:
    return await _key_archived(db, row.event_id, row.message_key)


async def _key_archived(db: AsyncSession, event_id: int, key: str) -> bool:
    seen = await db.scalar(
        select(MailMessage.id).where(
            MailMessage.event_id == event_id, MailMessage.message_key == key
        )
    )
    return seen is not None


async def _keep_unstorable(db: AsyncSession, row: MailMessage, error: DBAPIError) -> None:
    """Keep what organisers need to know of a mail the database refused: who sent what, and
    that it was not relayed. Raises Unstorable when even that is refused."""
    kept = MailMessage(
        event_id=row.event_id,
        message_key=row.message_key,
        message_id=row.message_id,
        list_id=row.list_id,
        list_name=row.list_name,
        sender_name=row.sender_name,
        sender_address=row.sender_address,
        subject=row.subject,
        received_at=row.received_at,
        status=MailStatus.FAILED,
        reason=UNSTORABLE,
    )
    try:
        async with db.begin_nested():
            db.add(kept)
            await db.flush()
    except DBAPIError as again:
        if worth_retrying(again):
            raise
        raise Unstorable(f"list mail {row.message_id!r} refused by the database") from error
    log.warning(
        "list mail %s kept as failed: the database refused it (%s)",
        row.message_id,
        str(error.orig)[:300],
    )


async def _archive(
    db: AsyncSession,
    event: Event,
    message: ParsedMail,
    list_name: str | None,
    settings: MailSettings,
    now: datetime,
) -> MailMessage | None:
    row = MailMessage(
        event_id=event.id,
        message_key=message_key(message.message_id),
        message_id=message.message_id,
        list_id=message.list_id,
        list_name=list_name,
        sender_name=message.sender_name[:255],
        sender_address=message.sender_address[:320],
        subject=message.subject,
        sent_at=message.sent_at,
        received_at=now,
        text=message.text,
        group_id=await _tagged_group(db, event, message.subject),
        status=MailStatus.RELAYED,
    )
    if not await _insert_once(db, row):
        log.info("list mail %s seen before: not relayed again", message.message_id)
        return None
    for attachment in message.attachments:
        small = attachment.size <= settings.attachment_limit
        db.add(
            MailAttachment(
                mail_id=row.id,
                name=attachment.name[:255],
                content_type=attachment.content_type[:255],
                size=attachment.size,
                data=attachment.data if small else None,
            )
        )
    return row


async def _tagged_group(db: AsyncSession, event: Event, subject: str) -> int | None:
    """The reference group a [Tag] of the subject names (by id or short name, any case)."""
    tags = [tag.strip().lower() for tag in _TAG.findall(subject)]
    if not tags:
        return None
    found = await db.scalar(
        select(ReferenceGroup.id)
        .where(
            ReferenceGroup.event_id == event.id,
            or_(
                func.lower(ReferenceGroup.key).in_(tags), func.lower(ReferenceGroup.short).in_(tags)
            ),
        )
        .limit(1)
    )
    return found


def takes_list(participant: Participant) -> bool:
    """Whether every list message is relayed to this participant: by their choice, else by
    default for civil-society delegates. The rule `_takes_list` says in SQL."""
    if participant.mailing_list is not None:
        return participant.mailing_list
    return participant.role == Role.CIVIL_SOCIETY


def _takes_list() -> ColumnElement[bool]:
    """`takes_list`, as a condition on Participant rows."""
    return or_(
        Participant.mailing_list.is_(True),
        Participant.mailing_list.is_(None) & (Participant.role == Role.CIVIL_SOCIETY),
    )


async def recipients(db: AsyncSession, mail: MailMessage) -> list[int]:
    """Who gets a list message: those who take list updates (`takes_list`), and the members of
    the group its subject names."""
    chosen = select(Participant.id).where(
        Participant.event_id == mail.event_id, Participant.erased_at.is_(None), _takes_list()
    )
    people = set((await db.execute(chosen)).scalars())
    if mail.group_id is not None:
        members = select(GroupMembership.participant_id).where(
            GroupMembership.group_id == mail.group_id,
            GroupMembership.status == GroupMembershipStatus.MEMBER,
        )
        people |= set((await db.execute(members)).scalars())
    return sorted(people)


async def readable(
    db: AsyncSession, participant: Participant, mails: Sequence[MailMessage], role: Role | None
) -> list[MailMessage]:
    """The messages of `mails` this participant may read in chat, in their order. `role` is
    whose eyes the answer is for (none in a group chat): organisers read every message, failed
    ones too; others what is relayed to them (`recipients`): every relayed message when they
    take the list, else those for their groups. One query at most, however many messages."""
    if role == Role.ORGANISER:
        return list(mails)
    relayed = [mail for mail in mails if mail.status == MailStatus.RELAYED]
    if takes_list(participant):
        return relayed
    group_ids = {mail.group_id for mail in relayed if mail.group_id is not None}
    if not group_ids:
        return []
    mine = set(
        (
            await db.execute(
                select(GroupMembership.group_id).where(
                    GroupMembership.group_id.in_(group_ids),
                    GroupMembership.participant_id == participant.id,
                    GroupMembership.status == GroupMembershipStatus.MEMBER,
                )
            )
        ).scalars()
    )
    return [mail for mail in relayed if mail.group_id in mine]


async def message(db: AsyncSession, event: Event, mail_id: int) -> MailMessage | None:
    """The archived message numbered `mail_id` of this meeting (another meeting's is None)."""
    mail = await db.get(MailMessage, mail_id)
    return mail if mail is not None and mail.event_id == event.id else None


def subject_shown(subject: str) -> str:
    """The part of a subject chat shows, on one line: what is translated (not 130,000
    characters of it)."""
    return " ".join(subject.split())[:SUBJECT_SHOWN]


def text_shown(text: str) -> str:
    """The part of a message's text chat shows (the archive keeps the rest): what is translated."""
    return text[:RELAY_LIMIT]


async def relay(
    db: AsyncSession,
    mail: MailMessage,
    now: datetime,
    round_: str = "",
    files: int = FILES,
    translation_provider: str | None = None,
) -> int:
    """Queue the message to each recipient; `round_` tells a re-send apart (new keys); `files`
    is how many attachments are sent as files (MAIL_ATTACHMENT_FILES), the rest only listed.
    With a `translation_provider`, the translations of its subject and text are asked for in
    this transaction and made in the background before it leaves (asked again on a re-send:
    nothing changes, a stored text is translated once)."""
    people = await recipients(db, mail)
    if translation_provider is not None and people:
        for text in (subject_shown(mail.subject), text_shown(mail.text)):
            if text.strip():
                await translations.request(db, text, None, translation_provider, now)
    key = f"mail:{mail.id}{round_}"
    notice = RelayedMail(mail=mail.id, key=mail.message_key, files=files)
    await outbox.enqueue_many(
        db, [outbox.Message(f"{key}:{pid}", pid, notice) for pid in people], now
    )
    return len(people)


async def resend(
    db: AsyncSession, mail: MailMessage, now: datetime, translation_provider: str | None = None
) -> int:
    """Relay a message again to everyone it concerns now (an organiser's decision)."""
    mail.resent_at = now
    return await relay(
        db,
        mail,
        now,
        round_=f":again-{int(now.timestamp())}",
        translation_provider=translation_provider,
    )


async def recent(db: AsyncSession, event: Event, limit: int = 10) -> Sequence[MailMessage]:
    query = (
        select(MailMessage)
        .where(MailMessage.event_id == event.id)
        .order_by(MailMessage.received_at.desc(), MailMessage.id.desc())
        .limit(limit)
    )
    return (await db.execute(query)).scalars().all()


async def load_relay(db: AsyncSession, notice: RelayedMail) -> ShownMail:
    """What a relay notice shows: the archived message, its list, its group, its attachments,
    and its subject and text for the current reader (raises `reading.NotYet` while their
    translation may still be waited for)."""
    shown, _message_key = await _shown(db, notice.mail)
    return await _for_reader(db, shown, notice.files)


class RecentRelays:
    """`load_relay` for the delivery worker: a message relayed to thousands is read once for
    all of them (archived rows do not change), the last few kept by id and Message-ID hash (an
    id alone could name another row in another database)."""

    def __init__(self, most: int = 8) -> None:
        self.most = most
        self._loaded: OrderedDict[tuple[int, str], ShownMail] = OrderedDict()

    async def load(self, db: AsyncSession, notice: RelayedMail) -> ShownMail:
        shown = self._loaded.get((notice.mail, str(notice.key)))
        if shown is None:
            shown, message_key = await _shown(db, notice.mail)
            self._loaded[shown.mail, message_key] = shown
            while len(self._loaded) > self.most:
                self._loaded.popitem(last=False)
        else:
            self._loaded.move_to_end((notice.mail, str(notice.key)))
        return await _for_reader(db, shown, notice.files)


async def _for_reader(db: AsyncSession, shown: ShownMail, files: int) -> ShownMail:
    """The archived message with its subject and text as the current reader sees them: per
    reader, so after the cache (`reading.read`; its NotYet goes through to the worker)."""
    subject = await read(db, subject_shown(shown.subject))
    text = await read(db, text_shown(shown.text))
    return replace(shown, files=files, subject_read=subject, text_read=text)


async def _shown(db: AsyncSession, mail_id: int) -> tuple[ShownMail, str]:
    """The archived message as notices show it, and its Message-ID hash."""
    mail = await db.get_one(MailMessage, mail_id)
    event = await db.get_one(Event, mail.event_id)
    group = await db.get(ReferenceGroup, mail.group_id) if mail.group_id else None
    files = (
        await db.execute(
            select(MailAttachment)
            .where(MailAttachment.mail_id == mail.id)
            .order_by(MailAttachment.id)
        )
    ).scalars()
    shown = ShownMail(  # what the rows say; how many files is the notice's
        mail=mail.id,
        list_name=mail.list_name or mail.list_id or "",
        sender_name=mail.sender_name,
        sender_address=mail.sender_address,
        subject=mail.subject,
        sent_at=mail.sent_at or mail.received_at,
        timezone=event.timezone,
        text=mail.text,
        group=group.title if group else None,
        attachments=[(file.name, file.size, file.data) for file in files],
    )
    return shown, mail.message_key
