"""Invitation codes: how a chat account becomes a registered participant.

A code is 12 characters from an alphabet without look-alikes (no 0/O, 1/I/L), about 59 bits:
unguessable, yet typeable from a printed letter. Only its SHA-256 is stored; the code itself
is shown once, in the invitations file, and issuing a new one revokes the old.
"""

from __future__ import annotations

import csv
import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum
from pathlib import Path

import segno
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot import participants
from bot.models import ChatIdentity, InvitationFailure, Participant

ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"
CODE_LENGTH = 12
MAX_FAILURES = 10
FAILURE_WINDOW = timedelta(hours=1)
LOCK_OUT = timedelta(hours=1)


def new_code() -> str:
    return "".join(secrets.choice(ALPHABET) for _ in range(CODE_LENGTH))


def normalise(text: str) -> str | None:
    """`abcd-efgh-jkmn` → `ABCDEFGHJKMN`; None when it cannot be a code."""
    code = "".join(text.split()).replace("-", "").upper()
    if len(code) != CODE_LENGTH or any(character not in ALPHABET for character in code):
        return None
    return code


def grouped(code: str) -> str:
    """`ABCD-EFGH-JKMN`, easier to read aloud and to type."""
    return "-".join(code[i : i + 4] for i in range(0, len(code), 4))


def digest(code: str) -> str:
    return hashlib.sha256(code.encode("ascii")).hexdigest()


def issue(participant: Participant, now: datetime) -> str:
    """A new code for `participant`; any earlier code stops working."""
    code = new_code()
    participant.invitation_hash = digest(code)
    participant.invited_at = now
    return code


def revoke(participant: Participant) -> None:
    participant.invitation_hash = None


class Outcome(StrEnum):
    LINKED = "linked"
    ALREADY_YOURS = "already_yours"
    TAKEN_ON_PLATFORM = "taken_on_platform"  # the code already speaks for another account here
    ACCOUNT_TAKEN = "account_taken"  # this account already speaks for someone else
    WRONG_CODE = "wrong_code"
    LOCKED_OUT = "locked_out"


@dataclass(frozen=True)
class Redemption:
    outcome: Outcome
    participant: Participant | None = None


async def redeem(db: AsyncSession, identity: ChatIdentity, code: str, now: datetime) -> Redemption:
    """Link `identity` to the participant whose invitation `code` is."""
    if identity.locked_until is not None and identity.locked_until > now:
        return Redemption(Outcome.LOCKED_OUT)
    query = select(Participant).where(
        Participant.invitation_hash == digest(code), Participant.erased_at.is_(None)
    )
    participant = (await db.execute(query)).scalar_one_or_none()
    if participant is None:
        return await _failed(db, identity, now)
    if identity.participant_id == participant.id:
        return Redemption(Outcome.ALREADY_YOURS, participant)
    if identity.participant_id is not None:
        return Redemption(Outcome.ACCOUNT_TAKEN)
    other_account = select(ChatIdentity.id).where(
        ChatIdentity.participant_id == participant.id,
        ChatIdentity.platform == identity.platform,
    )
    if (await db.execute(other_account)).first() is not None:
        return Redemption(Outcome.TAKEN_ON_PLATFORM)
    participants.link(identity, participant)
    return Redemption(Outcome.LINKED, participant)


async def _failed(db: AsyncSession, identity: ChatIdentity, now: datetime) -> Redemption:
    db.add(InvitationFailure(identity_id=identity.id, attempted_at=now))
    await db.flush()
    recent = select(func.count()).where(
        InvitationFailure.identity_id == identity.id,
        InvitationFailure.attempted_at > now - FAILURE_WINDOW,
    )
    if (await db.execute(recent)).scalar_one() >= MAX_FAILURES:
        identity.locked_until = now + LOCK_OUT
        return Redemption(Outcome.LOCKED_OUT)
    return Redemption(Outcome.WRONG_CODE)


@dataclass(frozen=True)
class Invitation:
    participant: Participant
    code: str


def telegram_link(bot_username: str, code: str) -> str:
    return f"https://t.me/{bot_username}?start={code}"


def write_invitations(invitations: list[Invitation], folder: Path, bot_username: str) -> Path:
    """`invitations.csv` for a mail merge and one QR code PNG per person (the deep link)."""
    folder.mkdir(parents=True, exist_ok=True)
    table = folder / "invitations.csv"
    with table.open("w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(["name", "email", "language", "telegram_link", "code", "qr_code"])
        for invitation in invitations:
            person = invitation.participant
            link = telegram_link(bot_username, invitation.code)
            image = f"invitation-{person.id:05d}.png"
            segno.make(link, error="m").save(str(folder / image), scale=8, border=2)
            writer.writerow(
                [
                    person.name,
                    person.email or "",
                    person.language or "",
                    link,
                    grouped(invitation.code),
                    image,
                ]
            )
    return table
