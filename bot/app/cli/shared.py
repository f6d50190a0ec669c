"""What every command group of the command line shares: the settings, one transaction with
database trouble as one line, the event's local time, finding a participant."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import TypeVar

import click
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import db as database
from bot.config import Settings
from bot.models import Participant
from bot.people import participants as participants_domain
from bot.programme import meeting
from bot.text.formatting import number
from bot.text.i18n import _, ngettext

T = TypeVar("T")

pass_settings = click.make_pass_decorator(Settings)


def in_transaction(work: Callable[[AsyncSession], Awaitable[T]], settings: Settings) -> T:
    """Migrate if needed, then run `work` in one transaction; database trouble is a clear
    message, not a traceback."""

    async def run() -> T:
        await database.upgrade(settings.database_url)
        engine = database.create_engine(settings.database_url)
        try:
            async with database.session_factory(engine)() as db:
                result = await work(db)
                await db.commit()
                return result
        finally:
            await engine.dispose()

    with database_errors(settings):
        return asyncio.run(run())


@contextmanager
def database_errors(settings: Settings) -> Iterator[None]:
    """A database that cannot be reached or used is a one-line message, not a traceback."""
    try:
        yield
    except (SQLAlchemyError, OSError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        where = make_url(settings.database_url).render_as_string()
        message = _("database {where}: {reason}").format(where=where, reason=reason)
        raise click.ClickException(message) from error


def local_time(value: str | None) -> datetime | None:
    """The `--at` option: a local time of the event, or None for now."""
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError as error:
        raise click.BadParameter(
            _("write the time as 'YYYY-MM-DD HH:MM'"), param_hint="--at"
        ) from error


AT_OPTION = click.option(
    "--at",
    "at",
    metavar="'YYYY-MM-DD HH:MM'",
    help="Pretend it is this local time of the event (the clock then runs on).",
)


async def participant_or_fail(db: AsyncSession, settings: Settings, reference: str) -> Participant:
    """The one participant an id, e-mail or name designates, else a clear error."""
    event = await meeting.current_event(db, settings.event)
    found = await participants_domain.find_participant(db, event.id, reference) if event else None
    if found is None or found.erased_at is not None:
        message = _("no single participant matches {reference}").format(reference=repr(reference))
        raise click.ClickException(message)
    return found


def counted(text: str, count: int, **values: object) -> str:
    """Fill a text chosen by `ngettext`: its `{count}` written as the reader writes numbers."""
    return text.format(count=number(count), **values)


def no_event() -> click.ClickException:
    """What a command that needs the event says when no programme was loaded yet."""
    return click.ClickException(_("load a programme first: coordbot programme load FILE"))


def nothing_loaded(file: Path, problems: int) -> str:
    """Why a file with mistakes changed nothing (its mistakes are printed before)."""
    text = ngettext(
        "{file} has {count} problem; nothing was loaded",
        "{file} has {count} problems; nothing was loaded",
        problems,
    )
    return text.format(file=file, count=number(problems))
