"""The calendar feed a phone subscribes to, over real HTTP (bot/app/calendar_feed.py): it follows
a programme reload (the moved session's time changes and its SEQUENCE goes up by one, the others
stay as they were), /calendar reset and /forget close the old address, and hostile addresses get
a bare 404 while the server keeps serving. On SQLite and PostgreSQL."""

from __future__ import annotations

import re
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from icalendar import Calendar
from multidict import CIMultiDict
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncEngine
from yarl import URL

from bot.app.calendar_feed import CalendarFeed, CalendarSettings
from bot.clock import SimulatedClock
from bot.db import SessionFactory, create_engine
from bot.dispatcher import Dispatcher
from bot.models import Event, Role, Session
from bot.programme.check import check_file
from bot.programme.load import load_programme
from handlers import build_router
from tests.support.chat import ChatUser, link_to_new_participant
from tests.support.demo import DEMO_FILE
from tests.support.processes import free_port

ADDRESS = re.compile(r"http://127\.0\.0\.1:\d+/calendar/[A-Za-z0-9_-]+\.ics")


@pytest.fixture
async def feed(engine: AsyncEngine) -> AsyncIterator[str]:
    """The real feed server on a free port; yields its public address."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    server = CalendarFeed(CalendarSettings(public_url=base, port=port), engine)
    await server.start()
    try:
        yield base
    finally:
        await server.stop()


@pytest.fixture
def delegate(sessions: SessionFactory, clock: SimulatedClock, feed: str) -> ChatUser:
    return ChatUser(Dispatcher(build_router(), sessions, clock, calendar_url=feed))


async def fetch(url: str | URL, **headers: str) -> tuple[int, CIMultiDict[str], bytes]:
    timeout = aiohttp.ClientTimeout(total=10)
    async with (
        aiohttp.ClientSession(timeout=timeout) as client,
        client.get(url, headers=headers) as response,
    ):
        return response.status, response.headers.copy(), await response.read()


async def address_of(user: ChatUser, command: str = "/calendar") -> str:
    match = ADDRESS.search(await user.send(command))
    assert match is not None, user.read()
    return match.group(0)


def sessions_in(body: bytes) -> dict[str, Any]:
    """Each VEVENT of a feed by its UID."""
    return {str(event["uid"]): event for event in Calendar.from_ical(body).walk("VEVENT")}


async def uid_of(sessions: SessionFactory, event: Event, key: str) -> str:
    async with sessions() as db:
        session = (await db.execute(select(Session).where(Session.key == key))).scalar_one()
    return f"session-{session.id}.{event.key}@coordbot"


async def test_the_feed_follows_a_reload_and_reset_closes_the_old_address(
    delegate: ChatUser, demo_event: Event, sessions: SessionFactory, tmp_path: Path
) -> None:
    await link_to_new_participant(delegate, Role.CIVIL_SOCIETY, demo_event.id)
    url = await address_of(delegate)
    status, headers, body = await fetch(url)
    assert status == 200
    assert headers["Content-Type"] == "text/calendar; charset=utf-8"
    assert "private" in headers["Cache-Control"]
    before = sessions_in(body)
    moving = await uid_of(sessions, demo_event, "d1-registration")
    registration = before[moving]
    assert registration.decoded("dtstart").strftime("%H:%M") == "07:30"
    assert (await fetch(url, **{"If-None-Match": headers["ETag"]}))[0] == 304

    # The organisers move registration a quarter of an hour later and load the file again.
    text = DEMO_FILE.read_text(encoding="utf-8")
    moved = text.replace(
        'start: "2017-12-02 07:30"\n    end: "08:15"', 'start: "2017-12-02 07:45"\n    end: "08:30"'
    )
    assert moved != text
    copy = tmp_path / DEMO_FILE.name
    copy.write_text(moved, encoding="utf-8")
    spec, problems = check_file(copy)
    assert spec is not None, problems
    async with sessions() as db:
        await load_programme(db, spec, demo_event.loaded_at)
        await db.commit()

    status, headers, body = await fetch(url)
    assert status == 200
    after = sessions_in(body)
    assert after.keys() == before.keys()
    changed = after[moving]
    assert changed.decoded("dtstart").strftime("%H:%M") == "07:45"
    assert changed.decoded("sequence") == registration.decoded("sequence") + 1
    for uid, event in after.items():
        if uid != moving:
            assert event.decoded("sequence") == before[uid].decoded("sequence"), uid
            assert event.decoded("dtstart") == before[uid].decoded("dtstart"), uid

    new_url = await address_of(delegate, "/calendar reset")
    assert new_url != url
    assert "no longer works" in delegate.read()
    assert (await fetch(url))[0] == 404
    assert (await fetch(new_url))[0] == 200


async def test_the_feed_is_in_the_language_the_delegate_reads(
    delegate: ChatUser, demo_event: Event
) -> None:
    await link_to_new_participant(delegate, Role.CIVIL_SOCIETY, demo_event.id)
    await delegate.send("/language es")
    status, _headers, body = await fetch(await address_of(delegate))
    assert status == 200
    assert "Registro y café" in {str(event["summary"]) for event in sessions_in(body).values()}
    assert str(Calendar.from_ical(body)["x-wr-calname"]).startswith("Reunión de Balance")


async def test_without_a_choice_the_feed_follows_the_chat_apps_language(
    delegate: ChatUser, demo_event: Event
) -> None:
    """The rule of the bot's own messages: no /language, a French chat app: French."""
    french = ChatUser(delegate.dispatcher, external_id="fr-app", language_code="fr-CA")
    await link_to_new_participant(french, Role.CIVIL_SOCIETY, demo_event.id)
    status, _headers, body = await fetch(await address_of(french))
    assert status == 200
    titles = {str(event["summary"]) for event in sessions_in(body).values()}
    assert "Accueil, inscription et café" in titles


async def test_an_erased_delegate_has_no_feed(delegate: ChatUser, demo_event: Event) -> None:
    await link_to_new_participant(delegate, Role.CIVIL_SOCIETY, demo_event.id)
    url = await address_of(delegate)
    await delegate.send("/forget")
    assert "erased" in await delegate.press("Yes, erase my data")
    status, _headers, body = await fetch(url)
    assert (status, body) == (404, b"Not found.\n")


async def test_hostile_addresses_get_a_bare_404_and_the_server_keeps_serving(
    delegate: ChatUser, demo_event: Event, feed: str
) -> None:
    await link_to_new_participant(delegate, Role.CIVIL_SOCIETY, demo_event.id)
    url = await address_of(delegate)
    token = url.rsplit("/", 1)[1].removesuffix(".ics")
    hostile: list[str | URL] = [
        f"{feed}/calendar/{'A' * 32}.ics",  # the right shape, nobody's
        f"{feed}/calendar/{'a' * 10_240}.ics",
        f"{feed}/calendar/{token[:-1]}.ics",
        f"{feed}/calendar/{token}x.ics",
        f"{feed}/calendar/{token}",
        URL(f"{feed}/calendar/..%2F..%2Fetc%2Fpasswd.ics", encoded=True),
        URL(f"{feed}/calendar/../calendar/{'A' * 32}.ics", encoded=True),
        URL(f"{feed}/calendar/{'%C3%A9' * 32}.ics", encoded=True),
        f"{feed}/calendar/{'é' * 32}.ics",
        f"{feed}/calendar/{token}.ics%00",
    ]
    for address in hostile:
        status, _headers, body = await fetch(address)
        assert status == 404, address
        assert token not in body.decode("utf-8", "replace")
    assert (await fetch(url))[0] == 200
    timeout = aiohttp.ClientTimeout(total=10)
    async with aiohttp.ClientSession(timeout=timeout) as client, client.head(url) as response:
        assert response.status == 200
        assert response.headers["Content-Type"].startswith("text/calendar")


async def test_a_database_that_fails_gets_503_without_detail() -> None:
    # A PostgreSQL server that is gone: nothing listens on its port.
    broken = create_engine(f"postgresql://coordbot@127.0.0.1:{free_port()}/coordbot")
    port = free_port()
    server = CalendarFeed(CalendarSettings(port=port), broken)
    await server.start()
    try:
        status, _headers, body = await fetch(f"http://127.0.0.1:{port}/calendar/{'A' * 32}.ics")
        assert status == 503
        assert b"Traceback" not in body and b"coordbot" not in body.lower()
        assert (await fetch(f"http://127.0.0.1:{port}/calendar/nope.ics"))[0] == 404
    finally:
        await server.stop()
        await broken.dispose()
