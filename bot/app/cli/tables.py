"""`coordbot tables …`: act tables, the distribution of participants."""

from __future__ import annotations

from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.cli.shared import in_transaction, no_event, pass_settings
from bot.config import Settings
from bot.models import Role
from bot.programme import meeting
from bot.text.i18n import _, pgettext


@click.group("tables")
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
            raise no_event()
        every = await tables_domain.rounds(db, event, Role.ORGANISER)
        chosen = [r for r in every if r.key == round_key] if round_key else every[-1:]
        if not chosen:
            known = ", ".join(r.key for r in every) or pgettext("rounds", "none")
            message = _("no round {round} (rounds: {known})")
            raise click.ClickException(message.format(round=repr(round_key), known=known))
        return chosen[0].key, await annex.distribution(db, chosen[0], lang)

    key, rows = in_transaction(work, settings)
    for written in annex.write(rows, folder, f"distribution-{key}"):
        click.echo(_("Wrote {file}").format(file=written))
