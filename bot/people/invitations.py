"""Invitation codes: how a chat account becomes a registered participant.

A code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 59 bits:
unguessable, yet typeable from a printed letter. Only its SHA-256 is stored; the code itself
is shown once, in the invitations file, and issuing a new one revokes the old.

A code links one person, once: after it linked a chat account it is spent, and sending it
again from any account (on any platform) links nothing and names nobody. The person adds
another platform from the account already linked, with a short-lived linking code (/link), or
through an organiser, who issues a new invitation. A code seen in a group is void at once.
Wrong codes lock an account out for an hour; the lock is keyed by a hash of the account, so
erasing the account (/forget) does not lift it.
"""

from __future__ import annotations

import csv
import hashlib
import re
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path
from typing import ClassVar

import segno
from sqlalchemy import delete, exists, func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.models import (
    ChatIdentity,
    InvitationFailure,
    InvitationLockout,
    LinkCode,
    Participant,
)
from bot.notice import ALWAYS, Notice
from bot.people import participants
from bot.platforms.whatsapp_settings import chat_link

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
DIGITS = "23456789"
CODE_LENGTH = 12
LINK_CODE_LENGTH = 8
LINK_CODE_VALIDITY = timedelta(minutes=10)
MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(hours=1)
LOCK_OUT = timedelta(hours=1)


@dataclass(frozen=True, kw_only=True)
class InvitationReuse(Notice):
    """To the person: someone sent their invitation code, already used, from an account of
    `platform` that is not theirs."""

    kind: ClassVar[str] = "invitation_reuse"
    platform: str = ""

    def urgent_from(self) -> datetime | None:
        return ALWAYS  # someone else may be using their invitation: they must know now


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def new_link_code() -> str:
    """8 characters, at least one a digit (so that a plain word is never taken for one)."""
    while True:
        code = "".join(secrets.choice(ALPHABET) for _ in range(LINK_CODE_LENGTH))
        if any(character in DIGITS for character in code):
            return code


def normalise(text: str) -> str | None:
    """`abcd-efgh-jkmn` → `ABCDEFGHJKMN` (an invitation), `abcd-2345` → `ABCD2345` (a linking
    code); None when it cannot be a code."""
    code = "".join(text.split()).replace("-", "").upper()
    if any(character not in ALPHABET for character in code):
        return None
    if len(code) == CODE_LENGTH:
        return code
    if len(code) == LINK_CODE_LENGTH and any(character in DIGITS for character in code):
        return code
    return None


_CODE_LIKE = re.compile(
    r"(?<![A-Za-z0-9])[A-Za-z0-9]{4}[- ]?[A-Za-z0-9]{4}(?:[- ]?[A-Za-z0-9]{4})?(?![A-Za-z0-9])"
)


def codes_in(text: str) -> list[str]:
    """Every code written somewhere in `text` (`my code is abcd-efgh-jkmn, thanks`)."""
    found = [normalise(match.group()) for match in _CODE_LIKE.finditer(text)]
    whole = normalise(text)
    return list(dict.fromkeys([code for code in [whole, *found] if code is not None]))


def grouped(code: str) -> str:
    """`ABCD-EFGH-JKMN`, easier to read aloud and to type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def account_key(platform: str, external_id: str) -> str:
    """What wrong codes and lock-outs are recorded under: not the account's row, which /forget
    deletes, but a hash of the platform and the account's id there."""
    return hashlib.sha256(f"{platform}:{external_id}".encode()).hexdigest()


def issue(participant: Participant, now: datetime) -> str:
    """A new code for `participant`; any earlier code stops working."""
    code = new_code()
    participant.invitation_hash = digest(code)
    participant.invited_at = now
    participant.invitation_used_at = None
    participant.invitation_used_on = None
    return code


def revoke(participant: Participant) -> None:
    participant.invitation_hash = None


class Outcome(StrEnum):
    LINKED = "linked"
    ALREADY_YOURS = "already_yours"
    IN_USE = "in_use"  # the invitation has linked an account already (someone's, anywhere)
    TAKEN_ON_PLATFORM = "taken_on_platform"  # (linking code) they have an account here already
    ACCOUNT_TAKEN = "account_taken"  # this account already speaks for someone else
    WRONG_CODE = "wrong_code"
    LOCKED_OUT = "locked_out"


@dataclass(frozen=True)
class Redemption:
    outcome: Outcome
    participant: Participant | None = None


async def redeem(db: AsyncSession, identity: ChatIdentity, code: str, now: datetime) -> Redemption:
    """Link `identity` to the participant whose invitation (or linking code) `code` is."""
    key = account_key(identity.platform, identity.external_id)
    await purge(db, now)
    if await db.get(InvitationLockout, key) is not None:
        return Redemption(Outcome.LOCKED_OUT)
    hashed = digest(code)
    # The row is locked (PostgreSQL; SQLite writes one transaction at a time), so that two
    # accounts sending the same code at the same moment cannot both be linked with it.
    query = (
        select(Participant)
        .where(Participant.invitation_hash == hashed, Participant.erased_at.is_(None))
        .with_for_update()
        .execution_options(populate_existing=True)
    )
    participant = (await db.execute(query)).scalar_one_or_none()
    if participant is not None:
        return await _by_invitation(db, identity, participant, key, now)
    link_code = (
        await db.execute(
            select(LinkCode)
            .where(LinkCode.code_hash == hashed, LinkCode.expires_at > now)
            .with_for_update()
        )
    ).scalar_one_or_none()
    if link_code is not None:
        return await _by_link_code(db, identity, link_code)
    return await _failed(db, key, now)


async def _by_invitation(
    db: AsyncSession, identity: ChatIdentity, participant: Participant, key: str, now: datetime
) -> Redemption:
    if identity.participant_id == participant.id:
        return Redemption(Outcome.ALREADY_YOURS, participant)
    if identity.participant_id is not None:
        return Redemption(Outcome.ACCOUNT_TAKEN)
    if participant.invitation_used_at is not None or await _has_accounts(db, participant):
        # Spent: whoever sends it, it links nothing. The person it speaks for is told.
        await outbox.enqueue(
            db,
            f"invitation-reuse:{participant.id}:{now:%Y%m%d%H}",
            participant.id,
            InvitationReuse(platform=identity.platform),
            now,
        )
        failed = await _failed(db, key, now)
        return failed if failed.outcome == Outcome.LOCKED_OUT else Redemption(Outcome.IN_USE)
    participants.link(identity, participant)
    participant.invitation_used_at = now
    participant.invitation_used_on = identity.platform
    return Redemption(Outcome.LINKED, participant)


async def _by_link_code(
    db: AsyncSession, identity: ChatIdentity, link_code: LinkCode
) -> Redemption:
    participant = await db.get_one(Participant, link_code.participant_id)
    if identity.participant_id == participant.id:
        return Redemption(Outcome.ALREADY_YOURS, participant)
    if identity.participant_id is not None:
        return Redemption(Outcome.ACCOUNT_TAKEN)
    if identity.platform in await participants.linked_platforms(db, participant):
        return Redemption(Outcome.TAKEN_ON_PLATFORM)
    await db.delete(link_code)  # single use
    participants.link(identity, participant)
    return Redemption(Outcome.LINKED, participant)


async def _has_accounts(db: AsyncSession, participant: Participant) -> bool:
    query = select(exists().where(ChatIdentity.participant_id == participant.id))
    return bool((await db.execute(query)).scalar())


async def _failed(db: AsyncSession, key: str, now: datetime) -> Redemption:
    db.add(InvitationFailure(account_key=key, attempted_at=now))
    await db.flush()
    recent = select(func.count()).where(
        InvitationFailure.account_key == key,
        InvitationFailure.attempted_at > now - FAILURE_WINDOW,
    )
    if (await db.execute(recent)).scalar_one() >= MAX_FAILURES:
        db.add(InvitationLockout(account_key=key, locked_until=now + LOCK_OUT))
        await db.flush()
        return Redemption(Outcome.LOCKED_OUT)
    return Redemption(Outcome.WRONG_CODE)


async def purge(db: AsyncSession, now: datetime) -> None:
    """Forget wrong codes past their window, lock-outs past their end and expired linking
    codes (cheap when there is nothing to forget: the selects read one index each)."""
    stale = (
        (InvitationFailure, InvitationFailure.attempted_at <= now - FAILURE_WINDOW),
        (InvitationLockout, InvitationLockout.locked_until <= now),
        (LinkCode, LinkCode.expires_at <= now),
    )
    for model, condition in stale:
        if (await db.execute(select(exists().where(condition)))).scalar():
            await db.execute(delete(model).where(condition))


async def void(db: AsyncSession, codes: list[str]) -> bool:
    """Codes were seen in a group: they stop working at once. True when one of them was a live
    code (an invitation, used or not, or a linking code)."""
    voided = False
    for code in codes:
        hashed = digest(code)
        query = select(Participant).where(Participant.invitation_hash == hashed)
        participant = (await db.execute(query)).scalar_one_or_none()
        if participant is not None:
            participant.invitation_hash = None
            voided = True
            continue
        result = await db.execute(delete(LinkCode).where(LinkCode.code_hash == hashed))
        voided = voided or bool(getattr(result, "rowcount", 0))
    return voided


async def issue_link_code(db: AsyncSession, participant: Participant, now: datetime) -> str:
    """A single-use code, valid for `LINK_CODE_VALIDITY`, that links another chat account of the
    person to them; asking again replaces the previous one."""
    await db.execute(delete(LinkCode).where(LinkCode.participant_id == participant.id))
    code = new_link_code()
    db.add(
        LinkCode(
            participant_id=participant.id,
            code_hash=digest(code),
            created_at=now,
            expires_at=now + LINK_CODE_VALIDITY,
        )
    )
    await db.flush()
    return code


@dataclass(frozen=True)
class Invitation:
    participant: Participant
    code: str


def telegram_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


# The columns of invitations.csv, stable for mail merges: new ones are added at the end.
COLUMNS = (
    "name",
    "email",
    "language",
    "telegram_link",
    "code",
    "qr_code",
    "whatsapp_link",
    "whatsapp_qr_code",
)


def write_invitations(
    invitations: list[Invitation],
    folder: Path,
    bot_username: str | None,
    whatsapp_number: str | None = None,
) -> Path:
    """`invitations.csv` for a mail merge and the QR codes of each person's links: the Telegram
    deep link (`invitation-00007.png`) when the bot is on Telegram, the wa.me link with the
    code typed in (`invitation-00007-whatsapp.png`) when WhatsApp has a number; the columns of
    a platform without one stay empty."""
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / "invitations.csv"
    with table.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(COLUMNS)
        for invitation in invitations:
            person, code = invitation.participant, invitation.code
            telegram = telegram_link(bot_username, code) if bot_username else ""
            whatsapp = chat_link(whatsapp_number, code) if whatsapp_number else ""
            writer.writerow(
                [
                    person.name,
                    person.email or "",
                    person.language or "",
                    telegram,
                    grouped(code),
                    _qr_code(telegram, folder, f"invitation-{person.id:05d}.png"),
                    whatsapp,
                    _qr_code(whatsapp, folder, f"invitation-{person.id:05d}-whatsapp.png"),
                ]
            )
    return table


def _qr_code(link: str, folder: Path, image: str) -> str:
    """The PNG of `link` in `folder`, named `image`; nothing for no link."""
    if not link:
        return ""
    segno.make(link, error="m").save(str(folder / image), scale=8, border=2)
    return image
