"""Reading the list's mailbox over IMAP, against a fake server on 127.0.0.1."""

from __future__ import annotations

import asyncio
import itertools
import logging
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass, field

import pytest

from bot.config import ImapSettings
from bot.mail.failures import Unstorable
from bot.mail.imap import ImapPoller, Ingest
from tests.support.fake_imap import PASSWORD, USER, Command, FakeImap
from tests.support.waiting import eventually


def message(number: int) -> bytes:
    return (
        "From: Amina Diallo <amina@example.org>\r\n"
        "To: delegates@lists.example.org\r\n"
        f"Subject: =?utf-8?q?R=C3=A9union_{number}?=\r\n"
        f"Message-ID: <{number}@example.org>\r\n"
        "Date: Mon, 6 Mar 2017 09:00:00 -0600\r\n"
        "Content-Type: text/plain; charset=utf-8\r\n"
        "Content-Transfer-Encoding: 8bit\r\n"
        "\r\n"
        f"Réunion n° {number} : salle B, à 10 h.\r\n"
    ).encode()


@dataclass
class Recorder:
    """Records every call; raises `failures` times first, then answers `answer`."""

    answer: bool = True
    failures: int = 0
    # What a failure raises: by default the database out of reach, which a retry may mend.
    error: Exception = field(default_factory=lambda: ConnectionRefusedError("database is down"))
    calls: list[bytes] = field(default_factory=list)
    taken: list[bytes] = field(default_factory=list)

    async def __call__(self, raw: bytes) -> bool:
        self.calls.append(raw)
        if self.failures:
            self.failures -= 1
            raise self.error
        self.taken.append(raw)
        return self.answer


@pytest.fixture
async def server() -> AsyncIterator[FakeImap]:
    fake = FakeImap()
    await fake.start()
    yield fake
    await fake.stop()


def poller(
    server: FakeImap, ingest: Ingest, password: str = PASSWORD, **options: float
) -> ImapPoller:
    settings = ImapSettings(
        host="127.0.0.1", user=USER, password=password, port=server.port, tls=False, poll_seconds=1
    )
    return ImapPoller(settings, ingest, **{"retry_seconds": 0.05, **options})


@asynccontextmanager
async def running(reader: ImapPoller) -> AsyncIterator[None]:
    stopping = asyncio.Event()
    task = asyncio.create_task(reader.run(stopping))
    try:
        yield
    finally:
        stopping.set()
        await asyncio.wait_for(task, 5)


# Seconds for what the reader does at once (a push in IDLE, a retry): far under IDLE's renewal,
# so mail waiting for the renewal would fail the test.
AT_ONCE = 2


async def test_check_takes_in_every_waiting_message_once_in_order(server: FakeImap) -> None:
    raws = [message(n) for n in (1, 2, 3)]
    uids = [server.deliver(raw) for raw in raws]
    ingest = Recorder()
    reader = poller(server, ingest)

    assert await reader.check() == 3
    assert ingest.taken == raws  # bytes intact, 8-bit body included
    assert server.seen() == uids
    assert await reader.check() == 0
    assert ingest.calls == raws
    await reader.close()
    assert server.names()[-1] == "LOGOUT"


async def test_a_message_whose_ingest_raised_stays_unseen_and_is_taken_next_time(
    server: FakeImap,
) -> None:
    first, second = server.deliver(message(1)), server.deliver(message(2))
    ingest = Recorder(failures=1)
    reader = poller(server, ingest)

    with pytest.raises(ConnectionRefusedError, match="database is down"):
        await reader.check()
    assert server.unseen() == [first, second]  # the later one waits too: order is kept

    assert await reader.check() == 2
    assert ingest.taken == [message(1), message(2)]
    assert server.seen() == [first, second]
    await reader.close()


async def test_a_message_that_can_never_be_stored_does_not_hold_up_the_next(
    server: FakeImap,
) -> None:
    first, second = server.deliver(message(1)), server.deliver(message(2))
    ingest = Recorder(failures=1, error=Unstorable("refused by the database"))
    reader = poller(server, ingest)

    assert await reader.check() == 2  # no exception: retrying would fail the same way
    assert ingest.taken == [message(2)]
    assert server.seen() == [first, second]
    assert await reader.check() == 0  # never fetched again
    await reader.close()


async def test_a_refused_message_is_marked_seen_all_the_same(server: FakeImap) -> None:
    uid = server.deliver(message(1))
    reader = poller(server, Recorder(answer=False))

    assert await reader.check() == 1
    assert server.seen() == [uid]
    await reader.close()


async def test_with_idle_new_mail_is_taken_in_at_once(server: FakeImap) -> None:
    ingest = Recorder()
    async with running(poller(server, ingest)):
        await server.wait_for("IDLE")
        server.deliver(message(1))
        await eventually(lambda: ingest.taken == [message(1)], within=AT_ONCE)
    assert server.names()[-3:] == ["IDLE", "DONE", "LOGOUT"]


async def test_mail_that_comes_just_as_idle_begins_is_taken_in_at_once(server: FakeImap) -> None:
    ingest = Recorder()

    def deliver_on_first_idle(command: Command) -> None:
        if command.name == "IDLE" and server.names().count("IDLE") == 1:
            server.deliver(message(1))  # told in one packet with "+ idling"

    server.on_command = deliver_on_first_idle
    async with running(poller(server, ingest)):
        await eventually(lambda: ingest.taken == [message(1)], within=AT_ONCE)


async def test_mail_that_comes_during_a_check_is_not_left_until_idle_is_renewed(
    server: FakeImap,
) -> None:
    server.deliver(message(1))
    ingest = Recorder()

    async def ingest_while_mail_comes(raw: bytes) -> bool:
        if raw == message(1):
            server.deliver(message(2))  # announced in the answer to the next command
        return await ingest(raw)

    async with running(poller(server, ingest_while_mail_comes)):
        await eventually(lambda: ingest.taken == [message(1), message(2)], within=AT_ONCE)


async def test_idle_is_renewed_every_idle_seconds(server: FakeImap) -> None:
    async with running(poller(server, Recorder(), idle_seconds=0.3)):
        await server.wait_for("IDLE", count=3, within=2)


async def test_without_idle_the_mailbox_is_polled(server: FakeImap) -> None:
    server.idle = False
    ingest = Recorder()
    async with running(poller(server, ingest)):
        await server.wait_for("UID SEARCH")
        server.deliver(message(1))
        await eventually(lambda: ingest.taken == [message(1)], within=AT_ONCE)
    assert "IDLE" not in server.names()
    assert server.names()[-1] == "LOGOUT"


async def test_run_tries_a_failed_ingest_again(
    server: FakeImap, caplog: pytest.LogCaptureFixture
) -> None:
    ingest = Recorder(failures=1)
    uid = server.deliver(message(1))
    async with running(poller(server, ingest)):
        await eventually(lambda: ingest.taken == [message(1)], within=AT_ONCE)
        await eventually(lambda: server.seen() == [uid], within=AT_ONCE)
    assert len(ingest.calls) == 2
    assert "database is down" in caplog.text


async def test_a_dropped_connection_is_made_again(server: FakeImap) -> None:
    ingest = Recorder()
    async with running(poller(server, ingest)):
        await server.wait_for("IDLE")
        server.disconnect_all()
        server.deliver(message(1))
        await eventually(lambda: ingest.taken == [message(1)], within=AT_ONCE)
        assert server.names().count("LOGIN") == 2


async def test_a_wrong_password_is_logged_without_it_and_tried_again_less_and_less_often(
    server: FakeImap, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.DEBUG)  # imapclient's own protocol log included
    wrong = "not-the-Password-42"
    async with running(poller(server, Recorder(), password=wrong)):
        logins = await server.wait_for("LOGIN", count=4)
    assert logins[0].args[1] == wrong.encode()  # it was sent, so it could have been logged
    errors = [r for r in caplog.records if r.name == "bot.mail.imap" and r.levelname == "ERROR"]
    assert len(errors) >= 3
    assert "AUTHENTICATIONFAILED" in errors[0].getMessage()
    assert wrong not in caplog.text
    gaps = [later.at - earlier.at for earlier, later in itertools.pairwise(logins)]
    assert gaps[2] > 0.18  # 0.05 s, then 0.1 s, then 0.2 s
