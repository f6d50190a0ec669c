"""/pack: one's own programme as a PDF to print or keep offline, in one's language; and the same
pack sent again after a programme change that concerns its holder (`PackUpdated`).

The words are written here, on the event loop (they need the reader's language); the PDF is
laid out from them in a worker thread (handlers/pack_pdf.py), from plain values read before.
"""

from __future__ import annotations

import asyncio
from datetime import datetime
from itertools import groupby
from typing import Any
from zoneinfo import ZoneInfo

from bot.chat import Document, Reply
from bot.context import ParticipantContext
from bot.models import Participant, TablePosition
from bot.programme import pack as packs
from bot.programme.mine import MySeat, MySession, MyVenue
from bot.programme.pack import Pack, PackContact, PackUpdated
from bot.reports import labels
from bot.text import formatting
from bot.text.i18n import _, current_language, localised
from handlers.pack_pdf import Day, Entry, PackPage, Place, Section, render


async def pack(ctx: ParticipantContext) -> Reply:
    """/pack: the PDF."""
    now = ctx.clock.now()
    contents = await packs.pack_of(ctx.db, ctx.event, ctx.participant, now)
    document = await _document(contents, ctx.participant, now)
    return Reply(
        _(
            "Your pack: your days hour by hour, your seats, the venues and your check-in code. "
            "Print it or keep it on your phone: it needs no connection. After a change to your "
            "sessions, I send you a new one."
        ),
        documents=(document,),
    )


async def load_updated(db: Any, notice: PackUpdated) -> Document:
    """The `pack_updated` loader: the pack made as it leaves, the programme as it is then."""
    if notice.sent_at is None:  # the worker sets it as the notice leaves
        raise LookupError("a pack is made as it leaves")
    event, person = await packs.participant_for(db, notice)
    contents = await packs.pack_of(db, event, person, notice.sent_at)
    return await _document(contents, person, notice.sent_at)


def updated(document: Document) -> Reply:
    """The `pack_updated` notice."""
    return Reply(_("The programme has changed. Here is your updated pack."), documents=(document,))


async def _document(contents: Pack, person: Participant, now: datetime) -> Document:
    page = _page(contents, person, now)
    data = await asyncio.to_thread(render, page)
    return Document(data, f"pack-{contents.event_key}-{current_language()}.pdf")


def _page(contents: Pack, person: Participant, now: datetime) -> PackPage:
    zone = ZoneInfo(contents.timezone)
    return PackPage(
        title=localised(contents.event_name),
        subtitle=_("Prepared for {name}, with the programme as of {moment}").format(
            name=contents.person, moment=formatting.moment(now, zone)
        ),
        checkin_heading=_("Your check-in code"),
        checkin_note=_("Show this code at the registration desk."),
        checkin_link=contents.checkin_link,
        days_heading=_("Your days, hour by hour"),
        days=_days(contents.sessions, person, zone),
        seats=_seats(contents.sessions, person, zone),
        interpretation=_interpretation(contents.sessions, zone),
        venues_heading=_("Venues"),
        venues=[_place(venue) for venue in contents.venues],
        contacts=_contacts(contents.contacts),
    )


def _days(sessions: list[MySession], person: Participant, zone: ZoneInfo) -> list[Day]:
    def local_day(session: MySession) -> Any:
        return session.starts_at.astimezone(zone).date()

    return [
        Day(_capitalised(formatting.day(day)), [_entry(s, person, zone) for s in of_day])
        for day, of_day in groupby(sessions, key=local_day)
    ]


def _entry(session: MySession, person: Participant, zone: ZoneInfo) -> Entry:
    details = []
    if session.venue is not None:
        details.append(_venue_name(session.venue))
    if session.interpretation:
        details.append(_languages(session.interpretation))
    if session.seat is not None:
        details.append(_seat(session.seat, person))
    return Entry(
        formatting.time_range(session.starts_at, session.ends_at, zone),
        localised(session.title),
        details,
    )


def _seats(sessions: list[MySession], person: Participant, zone: ZoneInfo) -> Section:
    lines = [
        _("{round}, {day} {time}: {seat}").format(
            round=localised(session.seat.round),
            day=formatting.short_day(session.starts_at.astimezone(zone).date()),
            time=formatting.time_range(session.starts_at, session.ends_at, zone),
            seat=_seat(session.seat, person),
        )
        for session in sessions
        if session.seat is not None
    ]
    return Section(_("Your seats"), lines or [_("You have no seat at an Act table.")])


def _seat(seat: MySeat, person: Participant) -> str:
    table = _("Act {act}: {title}").format(act=seat.act, title=localised(seat.table))
    if seat.waiting:
        state = _("waiting list")
    elif seat.position != TablePosition.MEMBER:
        state = labels.position(person, seat.position)
    else:
        state = _("seated")
    return f"{table} — {state}"


def _interpretation(sessions: list[MySession], zone: ZoneInfo) -> Section:
    lines = [
        _("{title} ({day} {time}): {languages}").format(
            title=localised(session.title),
            day=formatting.short_day(session.starts_at.astimezone(zone).date()),
            time=formatting.time_range(session.starts_at, session.ends_at, zone),
            languages=formatting.join(
                [formatting.language_name(code) for code in session.interpretation]
            ),
        )
        for session in sessions
        if session.interpretation
    ]
    return Section(_("Interpretation"), lines or [_("None of your sessions has interpretation.")])


def _languages(codes: tuple[str, ...]) -> str:
    names = [formatting.language_name(code) for code in codes]
    return _("Interpretation: {languages}").format(languages=formatting.join(names))


def _venue_name(venue: MyVenue) -> str:
    return localised(venue.names) if venue.names else venue.name


def _place(venue: MyVenue) -> Place:
    return Place(_venue_name(venue), venue.address or "", venue.map_url, _("Scan for the map."))


def _contacts(contacts: list[PackContact]) -> Section:
    lines = [
        " · ".join(
            part
            for part in (
                contact.name,
                localised(contact.role) if contact.role else None,
                contact.phone,
                contact.email,
            )
            if part
        )
        for contact in contacts
    ]
    return Section(
        _("The organisers' contacts"),
        lines or [_("The organisers have given no contacts yet.")],
    )


def _capitalised(text: str) -> str:
    return text[:1].upper() + text[1:]
