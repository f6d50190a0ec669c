"""The `coordbot` command (also `python -m bot`)."""

from __future__ import annotations

import asyncio
import json
import os
import sys
from collections.abc import Awaitable, Callable, Iterator
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path
from typing import Any, TypeVar

import click
from babel import default_locale
from sqlalchemy import select
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import db as database
from bot.clock import SystemClock
from bot.config import ConfigurationError, MailSettings, Settings
from bot.logs import configure as configure_logging
from bot.models import Participant, Role
from bot.people import participants as participants_domain
from bot.platforms import PLATFORMS, PlatformError
from bot.platforms.telegram_settings import TelegramSettings
from bot.programme import meeting
from bot.programme.check import check_file
from bot.programme.load import ChangeKind, ProgrammeChanges, SessionChange, load_programme
from bot.text.i18n import localised, negotiate, set_process_language

T = TypeVar("T")


def _run(work: Callable[[AsyncSession], Awaitable[T]], settings: Settings) -> T:
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

    with _database_errors(settings):
        return asyncio.run(run())


@contextmanager
def _database_errors(settings: Settings) -> Iterator[None]:
    """A database that cannot be reached or used is a one-line message, not a traceback."""
    try:
        yield
    except (SQLAlchemyError, OSError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else repr(error)
        where = make_url(settings.database_url).render_as_string()
        raise click.ClickException(f"database {where}: {reason}") from error


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
@click.pass_context
def main(context: click.Context, verbose: bool) -> None:
    """coordbot: coordinates an international meeting over chat, in English, French and Spanish.

    The database is COORDBOT_DATABASE_URL (a SQLite file coordbot.sqlite3 by default)."""
    configure_logging(verbose, secrets=_secrets_in_environment())
    context.obj = Settings.from_env()
    # Messages of the command line follow the terminal's language (LC_ALL, LC_MESSAGES, LANG).
    set_process_language(negotiate(default_locale("LC_MESSAGES")))


pass_settings = click.make_pass_decorator(Settings)


def _secrets_in_environment() -> list[str]:
    names = [name for platform in PLATFORMS for name in platform.secret_names]
    return [os.environ[name] for name in names if os.environ.get(name)]


def _local_time(value: str | None) -> datetime | None:
    if not value:
        return None
    try:
        return datetime.fromisoformat(value.replace(" ", "T"))
    except ValueError as error:
        raise click.BadParameter(
            "write the time as 'YYYY-MM-DD HH:MM'", param_hint="--at"
        ) from error


AT_OPTION = click.option(
    "--at",
    "at",
    metavar="'YYYY-MM-DD HH:MM'",
    help="Pretend it is this local time of the event (the clock then runs on).",
)


@main.command()
@AT_OPTION
@pass_settings
def run(settings: Settings, at: str | None) -> None:
    """Serve every configured chat platform (Telegram: TELEGRAM_BOT_TOKEN; Slack:
    SLACK_BOT_TOKEN) and the mailing list's mail (MAIL_LIST_IDS with MAIL_SMTP_PORT and/or
    MAIL_IMAP_HOST) until stopped."""
    from bot.app.runner import NothingToRun
    from bot.app.runner import run as run_platforms
    from bot.platforms import PlatformError

    try:
        # Every platform's settings are checked before anything starts.
        configured = [platform.from_env() for platform in PLATFORMS]
        adapters = [build for build in configured if build is not None]
        mail = MailSettings.from_env()
        with _database_errors(settings):
            asyncio.run(run_platforms(settings, adapters, _local_time(at), mail))
    except (ConfigurationError, PlatformError, NothingToRun) as error:
        raise click.ClickException(str(error)) from error


@main.group()
def db() -> None:
    """Create and migrate the database."""


@db.command()
@click.argument("revision", default="head")
@pass_settings
def upgrade(settings: Settings, revision: str) -> None:
    """Migrate the database to REVISION (the newest by default)."""
    asyncio.run(database.upgrade(settings.database_url, revision))
    click.echo(f"Database migrated to {revision}.")


@db.command()
@click.argument("revision")
@pass_settings
def downgrade(settings: Settings, revision: str) -> None:
    """Undo migrations down to REVISION (`base` removes every table)."""
    asyncio.run(database.downgrade(settings.database_url, revision))
    click.echo(f"Database migrated down to {revision}.")


@db.command()
@click.option("-m", "--message", required=True, help="The revision's title.")
@pass_settings
def revision(settings: Settings, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    asyncio.run(database.upgrade(settings.database_url))
    command.revision(database.alembic_config(settings.database_url), message, autogenerate=True)


@main.group()
def programme() -> None:
    """Check and load programme files (docs/programme-format.md)."""


@programme.command()
@click.argument("files", nargs=-1, required=True, type=click.Path(path_type=Path))
def check(files: tuple[Path, ...]) -> None:
    """Report every mistake in the programme FILES, with line and field."""
    failed = False
    for file in files:
        _spec, problems = check_file(file)
        for problem in problems:
            click.echo(str(problem))
        failed = failed or bool(problems)
        if not problems:
            click.echo(f"{file}: OK")
    if failed:
        sys.exit(1)


def _span(start: datetime | None, end: datetime | None) -> str:
    """`2017-12-03 18:00–20:00`, or `2017-12-03 18:00–` for a session with no end."""
    return f"{start:%Y-%m-%d %H:%M}–" + (f"{end:%H:%M}" if end else "")


def _describe_change(change: SessionChange) -> str:
    title = localised(change.title, "en")
    if change.kind == ChangeKind.ADDED:
        return f"  + {change.key}: {title} ({change.new_start:%Y-%m-%d %H:%M} UTC)"
    if change.kind == ChangeKind.REMOVED:
        return f"  - {change.key}: {title}"
    if change.kind == ChangeKind.MOVED:
        moves = []
        if (change.old_start, change.old_end) != (change.new_start, change.new_end):
            old = _span(change.old_start, change.old_end)
            moves.append(f"{old} → {_span(change.new_start, change.new_end)} UTC")
        if change.old_venue != change.new_venue:
            moves.append(f"venue {change.old_venue or '—'} → {change.new_venue or '—'}")
        return f"  ~ {change.key}: {title}: " + "; ".join(moves)
    return f"  * {change.key}: {title} (texts or details updated)"


@programme.command()
@click.argument("file", type=click.Path(path_type=Path))
@click.option("--json", "as_json", is_flag=True, help="Print the changes as JSON.")
@pass_settings
def load(settings: Settings, file: Path, as_json: bool) -> None:
    """Load (or reload) the programme FILE; prints what changed."""
    spec, problems = check_file(file)
    if spec is None:
        for problem in problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{file} has {len(problems)} problem(s); nothing was loaded")

    async def work(db: AsyncSession) -> ProgrammeChanges:
        return await load_programme(db, spec, SystemClock().now())

    changes = _run(work, settings)
    if as_json:
        click.echo(json.dumps(changes.as_json(), ensure_ascii=False, indent=2))
        return
    counts = changes.counts
    verb = "Created" if changes.event_created else "Updated"
    click.echo(
        f"{verb} {changes.event_key}: {counts['sessions']} sessions, {counts['venues']} venues, "
        f"{counts['rounds']} table rounds ({counts['tables']} tables), "
        f"{counts['reference_groups']} reference groups."
    )
    if changes.sessions and not changes.event_created:
        click.echo("Changes:")
        for change in changes.sessions:
            click.echo(_describe_change(change))
    elif not changes.event_created:
        click.echo("No session changed.")


@main.group()
def participants() -> None:
    """Manage the participant registry (docs/participants.md)."""


@participants.command("import")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--dry-run", is_flag=True, help="Check and count, but change nothing.")
@pass_settings
def import_(settings: Settings, file: Path, dry_run: bool) -> None:
    """Create or update participants from the CSV FILE (matched by e-mail)."""
    from bot.people.csv_import import import_participants, read_csv

    rows = read_csv(file.read_text(encoding="utf-8"))

    async def work(db: AsyncSession) -> Any:
        event = await meeting.current_event(db, settings.event)
        if event is None:
            raise click.ClickException("load a programme first: coordbot programme load FILE")
        report = await import_participants(db, event, rows, SystemClock().now())
        if dry_run:
            await db.rollback()
        return report

    report = _run(work, settings)
    for rejected in report.rejected:
        click.echo(f"{file}:{rejected.row}: rejected: {rejected.reason}")
    prefix = "Would have created" if dry_run else "Created"
    click.echo(
        f"{prefix} {report.created}, updated {report.updated}, rejected {len(report.rejected)}."
    )


@participants.command()
@click.option(
    "--out",
    "folder",
    required=True,
    type=click.Path(file_okay=False, path_type=Path),
    help="Folder for invitations.csv and the QR code images.",
)
@click.option("--renew", is_flag=True, help="Issue new codes to everyone (old codes stop working).")
@click.option(
    "--participant",
    "references",
    multiple=True,
    help="Only this participant (id, e-mail or name; repeatable), with a new code even if they "
    "had one: for a lost phone or a code seen by others.",
)
@click.option(
    "--bot",
    "bot_name",
    envvar="TELEGRAM_BOT_USERNAME",
    help="The bot's Telegram username (else asked of Telegram with TELEGRAM_BOT_TOKEN).",
)
@pass_settings
def invite(
    settings: Settings,
    folder: Path,
    renew: bool,
    references: tuple[str, ...],
    bot_name: str | None,
) -> None:
    """Issue invitation codes and write them for a mail merge, with one QR code per person.

    Only the codes issued now can be written (the database keeps no code, only its hash):
    participants who already have one are skipped unless --renew. A code links one chat
    account once; --participant ID gives one person a new code (their old one stops working)."""
    from bot.people.invitations import Invitation, issue, write_invitations

    username = (bot_name or "").lstrip("@")
    if not username:
        try:
            telegram = TelegramSettings.from_env()
        except ConfigurationError as error:
            raise click.ClickException(str(error)) from error
        if telegram is None:
            raise click.ClickException("give --bot USERNAME or set TELEGRAM_BOT_TOKEN")
        from bot.platforms.telegram import bot_username

        try:
            username = asyncio.run(bot_username(telegram))
        except PlatformError as error:
            raise click.ClickException(str(error)) from error

    async def work(db: AsyncSession) -> tuple[list[Invitation], int]:
        event = await meeting.current_event(db, settings.event)
        if event is None:
            raise click.ClickException("load a programme first: coordbot programme load FILE")
        query = (
            select(Participant)
            .where(Participant.event_id == event.id, Participant.erased_at.is_(None))
            .order_by(Participant.id)
        )
        now = SystemClock().now()
        if references:
            chosen = [await _participant_or_fail(db, settings, ref) for ref in references]
            return [Invitation(p, issue(p, now)) for p in chosen], 0
        people = list((await db.execute(query)).scalars())
        fresh = [Invitation(p, issue(p, now)) for p in people if renew or not p.invitation_hash]
        return fresh, len(people) - len(fresh)

    issued, skipped = _run(work, settings)
    table = write_invitations(issued, folder, username)
    click.echo(f"{len(issued)} invitations written to {table}.")
    if skipped:
        click.echo(f"{skipped} participants already had a code (--renew issues new ones).")


async def _participant_or_fail(db: AsyncSession, settings: Settings, reference: str) -> Participant:
    event = await meeting.current_event(db, settings.event)
    found = await participants_domain.find_participant(db, event.id, reference) if event else None
    if found is None or found.erased_at is not None:
        raise click.ClickException(f"no single participant matches {reference!r}")
    return found


@participants.command("role")
@click.argument("reference")
@click.argument("role", type=click.Choice([role.value for role in Role]))
@pass_settings
def change_role(settings: Settings, reference: str, role: str) -> None:
    """Give the participant REFERENCE (id, e-mail or name) a new ROLE."""

    async def work(db: AsyncSession) -> str:
        person = await _participant_or_fail(db, settings, reference)
        person.role = Role(role)
        return person.name

    click.echo(f"{_run(work, settings)} is now {role}.")


@participants.command()
@click.argument("reference")
@click.option("--platform", help="Only the account on this platform (telegram, slack…).")
@pass_settings
def unlink(settings: Settings, reference: str, platform: str | None) -> None:
    """Unlink the chat accounts of participant REFERENCE (a lost phone). Their invitation stays
    used: give them a new one with `invite --participant REFERENCE`."""

    async def work(db: AsyncSession) -> int:
        person = await _participant_or_fail(db, settings, reference)
        return await participants_domain.unlink_accounts(db, person, platform)

    click.echo(f"{_run(work, settings)} chat account(s) unlinked.")
    click.echo(
        "Their invitation stays used: give them a new one with "
        f"`coordbot participants invite --participant {reference} --out FOLDER`."
    )


@participants.command()
@click.argument("reference")
@pass_settings
def revoke(settings: Settings, reference: str) -> None:
    """Revoke the invitation code of participant REFERENCE (linked accounts stay linked)."""

    async def work(db: AsyncSession) -> str:
        person = await _participant_or_fail(db, settings, reference)
        person.invitation_hash = None
        return person.name

    click.echo(f"The invitation of {_run(work, settings)} no longer works.")


@main.group("tables")
def tables_group() -> None:
    """Act tables: the distribution of participants."""


@tables_group.command("export")
@click.option("--round", "round_key", help="The round's id (default: the last round).")
@click.option("--out", "folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", default="en", type=click.Choice(["en", "fr", "es"]))
@pass_settings
def export_tables(settings: Settings, round_key: str | None, folder: Path, lang: str) -> None:
    """Write who sits where (Theme | States | Civil society) as CSV and Markdown."""
    from bot.tables import annex
    from bot.tables import seating as tables_domain

    async def work(db: AsyncSession) -> tuple[str, list[annex.Row]]:
        event = await meeting.current_event(db, settings.event)
        if event is None:
            raise click.ClickException("load a programme first: coordbot programme load FILE")
        every = await tables_domain.rounds(db, event, Role.ORGANISER)
        chosen = [r for r in every if r.key == round_key] if round_key else every[-1:]
        if not chosen:
            known = ", ".join(r.key for r in every) or "none"
            raise click.ClickException(f"no round {round_key!r} (rounds: {known})")
        return chosen[0].key, await annex.distribution(db, chosen[0], lang)

    key, rows = _run(work, settings)
    for written in annex.write(rows, folder, f"distribution-{key}"):
        click.echo(f"Wrote {written}")


@main.group("survey")
def survey_group() -> None:
    """The evaluation survey: check and load its file, export the answers
    (docs/survey-format.md). Organisers open and close it in chat: /survey open KEY."""


@survey_group.command("check")
@click.argument("file", type=click.Path(path_type=Path))
def check_survey(file: Path) -> None:
    """Report every mistake in the survey FILE, with line and field."""
    from bot.survey.check import check_survey_file

    _spec, problems = check_survey_file(file)
    for problem in problems:
        click.echo(str(problem))
    if problems:
        sys.exit(1)
    click.echo(f"{file}: OK")


@survey_group.command("load")
@click.argument("file", type=click.Path(path_type=Path))
@pass_settings
def load_survey(settings: Settings, file: Path) -> None:
    """Load (or update, while nobody has answered) the survey FILE into the current event."""
    from bot.survey import store
    from bot.survey.check import check_survey_file

    spec, problems = check_survey_file(file)
    if spec is None:
        for problem in problems:
            click.echo(str(problem), err=True)
        raise click.ClickException(f"{file} has {len(problems)} problem(s); nothing was loaded")

    async def work(db: AsyncSession) -> store.Loaded:
        event = await meeting.current_event(db, settings.event)
        if event is None:
            raise click.ClickException("load a programme first: coordbot programme load FILE")
        return await store.load(db, event, spec, SystemClock().now())

    loaded = _run(work, settings)
    if loaded.kept_answers:  # not an error: reloading the same file is harmless
        click.echo(f"{spec.key} has answers already: its questions were kept as they are.")
        return
    verb = "Created" if loaded.created else "Updated"
    click.echo(
        f"{verb} survey {spec.key}: {len(spec.questions)} questions. "
        f"Open it in chat with /survey open {spec.key}."
    )


@survey_group.command("export")
@click.argument("key", required=False)
@click.option("--out", "folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", default="en", type=click.Choice(["en", "fr", "es"]))
@pass_settings
def export_survey(settings: Settings, key: str | None, folder: Path, lang: str) -> None:
    """Write the answers as CSV (one row per answer set, one column per question, stable codes)
    and a Markdown summary in LANG to paste into a report."""
    from bot.survey import results, store
    from bot.text.i18n import use_language

    async def work(db: AsyncSession) -> tuple[str, str, str]:
        event = await meeting.current_event(db, settings.event)
        every = await store.surveys(db, event) if event is not None else []
        chosen = [s for s in every if s.key == key] if key else every[-1:]
        if not chosen:
            known = ", ".join(s.key for s in every) or "none"
            raise click.ClickException(f"no survey {key!r} (surveys: {known})")
        spec = store.spec_of(chosen[0])
        sets = await results.answer_sets(db, chosen[0])
        _invited, _started, finished = await results.participation_counts(db, chosen[0])
        with use_language(lang):
            summary = results.markdown(spec, results.summarise(spec, sets), finished)
        return spec.key, results.csv_text(spec, sets), summary

    survey_key, table, summary = _run(work, settings)
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in ((f"survey-{survey_key}.csv", table), (f"survey-{survey_key}.md", summary)):
        (folder / name).write_text(text, encoding="utf-8")
        click.echo(f"Wrote {folder / name}")


@main.command()
@click.option("--lang", type=click.Choice(["en", "fr", "es"]), help="Your chat app's language.")
@click.option(
    "--as",
    "who",
    metavar="PARTICIPANT-OR-ROLE",
    help="Chat as a participant (id, e-mail or name) or as the first one with a role "
    "(delegate, government, international, organiser, facilitator, rapporteur).",
)
@AT_OPTION
@pass_settings
def chat(settings: Settings, lang: str | None, who: str | None, at: str | None) -> None:
    """Chat with the bot in this terminal, with no platform and no token."""
    from bot.app.runner import run_console

    clock_start = _local_time(at)
    try:
        with _database_errors(settings):
            asyncio.run(run_console(settings, language=negotiate(lang), who=who, at=clock_start))
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    except KeyboardInterrupt:
        pass


if __name__ == "__main__":
    main()
