"""Factories for the rows tests need, written through the real models."""

from __future__ import annotations

import itertools
from datetime import datetime
from typing import TypedDict

from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Participant, Role

_numbers = itertools.count(1)


class ParticipantFields(TypedDict, total=False):
    """What a test may say about a participant besides their role (see make_participant)."""

    name: str | None
    language: str | None
    email: str | None
    organisation: str | None
    country: str | None
    government_conference: bool | None
    form_of_address: str | None


async def make_participant(
    db: AsyncSession,
    event_id: int,
    now: datetime,
    *,
    role: Role = Role.CIVIL_SOCIETY,
    name: str | None = None,
    language: str | None = None,
    email: str | None = None,
    organisation: str | None = None,
    country: str | None = None,
    government_conference: bool | None = None,
    form_of_address: str | None = None,
) -> Participant:
    number = next(_numbers)
    participant = Participant(
        event_id=event_id,
        name=name or f"Participant {number}",
        email=email or f"participant{number}@example.org",
        role=role,
        language=language,
        organisation=organisation,
        country=country,
        government_conference=government_conference,
        form_of_address=form_of_address,
        created_at=now,
    )
    db.add(participant)
    await db.flush()
    return participant
