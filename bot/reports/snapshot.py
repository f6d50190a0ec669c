"""The participation snapshot, as the meeting report gives it: who came, from where."""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Event, Participant, Role

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


async def snapshot(db: AsyncSession, event: Event) -> Snapshot:
    """Counts over every participant of the event, erased ones included (they keep only these
    categories, with no name)."""
    rows = await db.execute(
        select(
            Participant.role,
            Participant.region,
            Participant.country,
            Participant.gender,
            Participant.migrant_background,
            Participant.youth,
            Participant.government_conference,
        ).where(Participant.event_id == event.id)
    )
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
