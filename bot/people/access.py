"""Who may see what: the audiences of the programme each role belongs to."""

from __future__ import annotations

from bot.models import Audience, Participant, Role, SeatRole

_CIVIL_SOCIETY_ROLES = {Role.CIVIL_SOCIETY, Role.FACILITATOR, Role.RAPPORTEUR}


def audiences_for(role: Role | None, badge_holder: bool = False) -> tuple[Audience, ...]:
    """Guests, governments and UN/international organisations see only what is open to everyone;
    sessions for civil society only are theirs and the organisers'; what is for badge holders
    is for those who attend the government-led Stocktaking, and the organisers'."""
    if role == Role.ORGANISER:
        return tuple(Audience)
    badge = (Audience.BADGE_HOLDERS,) if badge_holder and role is not None else ()
    if role in _CIVIL_SOCIETY_ROLES:
        return (Audience.EVERYONE, Audience.CIVIL_SOCIETY, *badge)
    return (Audience.EVERYONE, *badge)


def audiences_of(participant: Participant | None) -> tuple[Audience, ...]:
    if participant is None:
        return audiences_for(None)
    return audiences_for(participant.role, bool(participant.government_conference))


def seat_role(role: Role | None) -> SeatRole | None:
    """Which seats of an Act table a role takes (None: a guest takes none)."""
    if role is None:
        return None
    if role in (Role.GOVERNMENT, Role.INTERNATIONAL):
        return SeatRole.GOVERNMENT
    return SeatRole.CIVIL_SOCIETY


def may_enter(role: Role | None, round_audience: Audience) -> bool:
    """A table round is for registered participants who may see it."""
    return seat_role(role) is not None and round_audience in audiences_for(role)


def may_join(role: Role | None, round_audience: Audience, seats: dict[SeatRole, int]) -> bool:
    """…and a table, for those whose role it has seats for."""
    role_seats = seat_role(role)
    return (
        role_seats is not None and may_enter(role, round_audience) and seats.get(role_seats, 0) > 0
    )
