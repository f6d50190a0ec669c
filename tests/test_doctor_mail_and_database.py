"""`coordbot doctor`'s IMAP and database checks as an operator meets them: a mailbox that takes
the login, one that refuses the password, one that is not there or never answers (the check
gives up within its bound, it does not hang); a PostgreSQL database, and a database left at an
older migration. Against the fake IMAP server and real databases."""

from __future__ import annotations

import asyncio
import time
from collections.abc import AsyncIterator
from pathlib import Path

import pytest

from bot.app.doctor import CHECK_SECONDS
from bot.db import upgrade
from bot.paths import MIGRATIONS
from tests.support.fake_imap import PASSWORD, USER, FakeImap
from tests.support.fake_telegram import FakeTelegram
from tests.support.processes import environment, free_port, run

REVISIONS = sorted((MIGRATIONS / "versions").glob("*.py"))
HEAD = f"{len(REVISIONS):04d}"
OLDER = f"{len(REVISIONS) - 1:04d}"
# The process starts and imports the bot before checking: room for that on a busy machine.
STARTUP_SECONDS = 10
NBSP = "\u00a0"


@pytest.fixture
async def imap() -> AsyncIterator[FakeImap]:
    fake = FakeImap()
    await fake.start()
    yield fake
    await fake.stop()


def mailbox(port: int, password: str = PASSWORD) -> dict[str, str]:
    return {
        "MAIL_LIST_IDS": "committee.lists.example.org",
        "MAIL_IMAP_HOST": "127.0.0.1",
        "MAIL_IMAP_PORT": str(port),
        "MAIL_IMAP_TLS": "off",
        "MAIL_IMAP_USER": USER,
        "MAIL_IMAP_PASSWORD": password,
    }


def imap_line(out: str) -> str:
    [line] = [line for line in out.splitlines() if "Mail: IMAP mailbox" in line]
    return line


async def test_a_mailbox_that_takes_the_login(
    imap: FakeImap, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url) | mailbox(imap.port)
    assert (await run(env, "db", "upgrade"))[0] == 0

    status, out, err = await run(env, "doctor")

    assert status == 0, out + err
    assert imap_line(out) == f"✓ Mail: IMAP mailbox: {USER}@127.0.0.1:{imap.port}"
    assert imap.names()[-1] == "LOGOUT"  # it left politely, and read nothing
    assert not {"SELECT", "EXAMINE", "UID FETCH", "UID STORE"} & set(imap.names())
    assert PASSWORD not in out + err


async def test_a_wrong_password_says_which_settings_to_check(
    imap: FakeImap, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    wrong = "not-the-Password-42"
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url)
    env |= mailbox(imap.port, password=wrong)

    status, out, err = await run(env, "doctor")

    assert status == 1
    assert "Traceback" not in err
    assert imap_line(out) == (
        "✗ Mail: IMAP mailbox: 127.0.0.1 refused the login: "
        "check MAIL_IMAP_USER and MAIL_IMAP_PASSWORD"
    )
    assert wrong not in out + err


async def test_nothing_listening_is_a_clear_failure_at_once(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    port = free_port()
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url) | mailbox(port)

    started = time.monotonic()
    status, out, err = await run(env, "doctor")

    assert time.monotonic() - started < STARTUP_SECONDS
    assert status == 1
    assert "Traceback" not in err
    line = imap_line(out)
    assert line.startswith(f"✗ Mail: IMAP mailbox: 127.0.0.1:{port} cannot be reached")
    assert "check MAIL_IMAP_HOST, MAIL_IMAP_PORT and MAIL_IMAP_TLS" in line

    env["LANG"] = "fr_FR.UTF-8"
    _status, out, _err = await run(env, "doctor")
    assert f"✗ Courrier{NBSP}: boîte IMAP{NBSP}: 127.0.0.1:{port} est injoignable (" in out
    assert f"{NBSP}: vérifiez MAIL_IMAP_HOST, MAIL_IMAP_PORT et MAIL_IMAP_TLS" in out


async def test_a_server_that_never_greets_is_given_up_within_the_bound(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    """It takes the connection and says nothing: the check must not wait for ever."""
    connections: list[asyncio.StreamWriter] = []

    async def silent(_reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        connections.append(writer)

    server = await asyncio.start_server(silent, "127.0.0.1", 0)
    port = server.sockets[0].getsockname()[1]
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url) | mailbox(port)
    try:
        started = time.monotonic()
        status, out, err = await run(env, "doctor")
        took = time.monotonic() - started
    finally:
        for writer in connections:
            writer.close()
        server.close()
        await server.wait_closed()

    assert connections, "doctor never connected"
    assert CHECK_SECONDS <= took < CHECK_SECONDS + STARTUP_SECONDS
    assert status == 1
    assert "Traceback" not in err
    assert imap_line(out) == "✗ Mail: IMAP mailbox: no answer within 5 s"


# The database check


def database_line(out: str) -> str:
    [line] = [line for line in out.splitlines() if "Database" in line]
    return line


async def test_the_database_from_empty_to_up_to_date(
    empty_database: str, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = environment(tmp_path / "unused.sqlite3", fake_telegram.url)
    env["COORDBOT_DATABASE_URL"] = empty_database
    where = empty_database.split("://", 1)[0] + "://"

    status, out, _err = await run(env, "doctor")
    assert status == 1
    line = database_line(out)
    assert line.startswith(f"✗ Database: {where}")
    assert line.endswith("has no tables yet: run coordbot db upgrade")

    assert (await run(env, "db", "upgrade"))[0] == 0
    status, out, err = await run(env, "doctor")
    assert status == 0, out + err
    line = database_line(out)
    assert line.startswith(f"✓ Database: {where}")
    assert line.endswith(", migrations up to date")


async def test_a_database_behind_the_migrations_says_to_upgrade(
    empty_database: str, fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    await upgrade(empty_database, OLDER)
    env = environment(tmp_path / "unused.sqlite3", fake_telegram.url)
    env["COORDBOT_DATABASE_URL"] = empty_database

    status, out, err = await run(env, "doctor")

    assert status == 1
    assert "Traceback" not in err
    line = database_line(out)
    assert line.startswith("✗ Database: ")
    assert line.endswith(f"is at migration {OLDER}, the newest is {HEAD}: run coordbot db upgrade")
    assert "1 problem to fix." in err

    assert (await run(env, "db", "upgrade"))[0] == 0
    status, out, err = await run(env, "doctor")
    assert status == 0, out + err
