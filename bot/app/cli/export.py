"""`coordbot export`: the meeting's data for its report (`bot/reports/export.py`)."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.cli.shared import in_transaction, no_event, pass_settings
from bot.config import Settings
from bot.programme import meeting
from bot.text.i18n import _, localised, use_language


@click.command("export")
@click.option("--out", "folder", required=True, type=click.Path(file_okay=False, path_type=Path))
@click.option("--event", "event_key", default=None, help="The event's key (default: current).")
@click.option(
    "--contacts", is_flag=True, help="Add e-mails and chat accounts (kept out by default)."
)
@click.option(
    "--language",
    type=click.Choice(["en", "fr", "es"]),
    default=None,
    help="The language of the texts (default: the event's).",
)
@pass_settings
def export(
    settings: Settings, folder: Path, event_key: str | None, contacts: bool, language: str | None
) -> None:
    """Write participants, attendance, tables, questions from the floor and live polls as CSV
    files (for spreadsheets) and report.md (for the report), into OUT. No e-mail or chat
    account unless --contacts; erased people are counted, never named."""
    from bot.reports import export as exports

    async def work(db: AsyncSession) -> tuple[list[exports.Sheet], str, str]:
        event = await meeting.current_event(db, event_key or settings.event)
        if event is None and event_key:
            raise click.ClickException(_("no event {key}").format(key=repr(event_key)))
        if event is None:
            raise no_event()
        chosen = language or event.default_language
        with use_language(chosen):
            sheets = await exports.export(db, event, contacts=contacts)
            return sheets, localised(event.name), chosen

    sheets, title, chosen = in_transaction(work, settings)
    try:
        with use_language(chosen):
            written = exports.write(sheets, folder, title)
    except OSError as error:  # a folder that cannot be written: one line, not a traceback
        raise click.ClickException(f"{folder}: {error.strerror or error}") from error
    for path in written:
        click.echo(_("Wrote {file}").format(file=path))
