"""One person's calendar (/calendar and its subscription feed): the private address's token,
and the data of the sessions that concern them. The words are the handlers' (handlers/
calendar_file.py writes the .ics); this module only gives what is true."""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.models import ChatIdentity, Event, Participant, Texts
from bot.programme.mine import MySession, my_sessions

# secrets.token_urlsafe(24): 32 characters of [A-Za-z0-9_-], 192 bits.
TOKEN_BYTES = 24
_TOKEN_SHAPE = re.compile(r"[A-Za-z0-9_-]{32}", re.ASCII)


@dataclass(frozen=True)
class MyCalendar:
    participant_id: int
    event_key: str
    event_name: Texts
    timezone: str
    default_language: str
    # When the programme was last loaded: the calendar's DTSTAMP, the same from one fetch to the
    # next so that an unchanged calendar reads the same (ETag).
    published_at: datetime
    entries: tuple[MySession, ...]
    # Minutes before each session for the phone's alarm; None: reminders are off.
    reminder_minutes: int | None


def well_formed(token: str) -> bool:
    """Whether `token` has the shape of one we make (checked before any query)."""
    return _TOKEN_SHAPE.fullmatch(token) is not None


def token_of(participant: Participant) -> str:
    """Their calendar token, made on first use."""
    if participant.calendar_token is None:
        participant.calendar_token = secrets.token_urlsafe(TOKEN_BYTES)
    return participant.calendar_token


def new_token(participant: Participant) -> str:
    """A new token in place of the old one (/calendar reset): the old address stops working."""
    participant.calendar_token = secrets.token_urlsafe(TOKEN_BYTES)
    return participant.calendar_token


async def subscriber(db: AsyncSession, token: str) -> Participant | None:
    """Whose feed `token` opens: nobody for a token of another shape, replaced, or erased."""
    if not well_formed(token):
        return None
    person = (
        await db.execute(select(Participant).where(Participant.calendar_token == token))
    ).scalar_one_or_none()
    return person if person is not None and person.erased_at is None else None


async def calendar_of(db: AsyncSession, event: Event, participant: Participant) -> MyCalendar:
    """What their calendar holds: `my_sessions` (the sessions open to them, logistics
    included, and those of their tables)."""
    return MyCalendar(
        participant_id=participant.id,
        event_key=event.key,
        event_name=dict(event.name),
        timezone=event.timezone,
        default_language=event.default_language,
        published_at=event.loaded_at,
        entries=tuple(await my_sessions(db, event, participant)),
        reminder_minutes=participant.reminder_minutes,
    )


async def reading_language(db: AsyncSession, participant: Participant) -> str:
    """The language they read outside a chat: the delivery worker's rule (their choice, else
    the language of the chat app that would reach them, else the event's)."""
    platforms = (
        await db.scalars(
            select(ChatIdentity.platform)
            .where(ChatIdentity.participant_id == participant.id)
            .distinct()
        )
    ).all()
    account = await outbox.recipient_account(db, participant.id, platforms)
    return await outbox.reader_language(db, participant.id, account)
