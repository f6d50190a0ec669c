"""The participation snapshot, as the meeting report gives it: who came, from where."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import CheckIn, Event, Participant, Role

CIVIL_SOCIETY_SIDE = (Role.CIVIL_SOCIETY, Role.FACILITATOR, Role.RAPPORTEUR, Role.ORGANISER)


@dataclass
class Snapshot:
    roles: Counter[Role] = field(default_factory=Counter)
    government_countries: int = 0
    # The figures below count the civil-society side only, as the report does.
    regions: Counter[str] = field(default_factory=Counter)
    host_country: str | None = None
    from_host_country: int = 0
    host_region: str | None = None  # the region under which the host country's count is given
    women: int = 0
    men: int = 0
    migrants: int = 0
    youth: int = 0
    government_conference: int = 0

    @property
    def civil_society(self) -> int:
        return sum(self.roles[role] for role in CIVIL_SOCIETY_SIDE)


async def snapshot(db: AsyncSession, event: Event, came: bool | date = False) -> Snapshot:
    """Counts over every participant of the event, erased ones included (they keep only these
    categories, with no name); with `came`, over those checked in at the door (True: on any
    day; a date: on that day)."""
    query = select(
        Participant.role,
        Participant.region,
        Participant.country,
        Participant.gender,
        Participant.migrant_background,
        Participant.youth,
        Participant.government_conference,
    ).where(Participant.event_id == event.id)
    if came is not False:
        checked_in = select(CheckIn.participant_id).where(
            CheckIn.event_id == event.id, CheckIn.session_id.is_(None)
        )
        if came is not True:
            checked_in = checked_in.where(CheckIn.day == came)
        query = query.where(Participant.id.in_(checked_in))
    rows = await db.execute(query)
    result = Snapshot(host_country=event.country)
    government_countries = set()
    host_regions: Counter[str] = Counter()
    for role, region, country, gender, migrant, youth, conference in rows:
        result.roles[role] += 1
        if role == Role.GOVERNMENT and country:
            government_countries.add(country)
        if role not in CIVIL_SOCIETY_SIDE:
            continue
        result.regions[region or "unknown"] += 1
        if country and country == event.country:
            result.from_host_country += 1
            host_regions[region or "unknown"] += 1
        result.women += int(gender == "woman")
        result.men += int(gender == "man")
        result.migrants += int(bool(migrant))
        result.youth += int(bool(youth))
        result.government_conference += int(bool(conference))
    result.government_countries = len(government_countries)
    result.host_region = host_regions.most_common(1)[0][0] if host_regions else None
    return result


@dataclass(frozen=True)
class Came:
    """The same figures over those who came: on any day, and on each day that has check-ins."""

    any_day: Snapshot
    days: list[tuple[date, Snapshot]]

    @property
    def people(self) -> int:
        return sum(self.any_day.roles.values())


async def came(db: AsyncSession, event: Event) -> Came:
    query = select(CheckIn.day).where(CheckIn.event_id == event.id).distinct()
    days = sorted((await db.execute(query)).scalars())
    per_day = [(day, await snapshot(db, event, came=day)) for day in days] if len(days) > 1 else []
    return Came(await snapshot(db, event, came=True), per_day)
