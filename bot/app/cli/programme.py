"""`coordbot programme …`: check and load programme files."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.cli.shared import counted, in_transaction, nothing_loaded, pass_settings
from bot.clock import SystemClock
from bot.config import Settings
from bot.programme.check import check_file
from bot.programme.load import ChangeKind, ProgrammeChanges, SessionChange, load_programme
from bot.text.i18n import _, localised, ngettext


@click.group()
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
            click.echo(_("{file}: OK").format(file=file))
    if failed:
        sys.exit(1)


def _span(start: datetime | None, end: datetime | None) -> str:
    """`2017-12-03 18:00–20:00`, or `2017-12-03 18:00–` for a session with no end."""
    return f"{start:%Y-%m-%d %H:%M}–" + (f"{end:%H:%M}" if end else "")


def _describe_change(change: SessionChange) -> str:
    title = localised(change.title)
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
            moves.append(
                _("venue {old} → {new}").format(
                    old=change.old_venue or "—", new=change.new_venue or "—"
                )
            )
        return f"  ~ {change.key}: {title}: " + "; ".join(moves)
    return f"  * {change.key}: {title} (" + _("texts or details updated") + ")"


def _summary(changes: ProgrammeChanges) -> str:
    """`Created puerto-vallarta-2017: 22 sessions, 9 venues, …`: each count with its own noun,
    as languages agree them differently."""
    n = changes.counts
    parts = {
        "event": changes.event_key,
        "sessions": counted(
            ngettext("{count} session", "{count} sessions", n["sessions"]), n["sessions"]
        ),
        "venues": counted(ngettext("{count} venue", "{count} venues", n["venues"]), n["venues"]),
        "rounds": counted(
            ngettext("{count} table round", "{count} table rounds", n["rounds"]), n["rounds"]
        ),
        "tables": counted(ngettext("{count} table", "{count} tables", n["tables"]), n["tables"]),
        "groups": counted(
            ngettext("{count} reference group", "{count} reference groups", n["reference_groups"]),
            n["reference_groups"],
        ),
    }
    if changes.event_created:
        text = _("Created {event}: {sessions}, {venues}, {rounds} ({tables}), {groups}.")
    else:
        text = _("Updated {event}: {sessions}, {venues}, {rounds} ({tables}), {groups}.")
    return text.format(**parts)


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
        raise click.ClickException(nothing_loaded(file, len(problems)))

    async def work(db: AsyncSession) -> ProgrammeChanges:
        return await load_programme(db, spec, SystemClock().now())

    changes = in_transaction(work, settings)
    if as_json:
        click.echo(json.dumps(changes.as_json(), ensure_ascii=False, indent=2))
        return
    click.echo(_summary(changes))
    if changes.sessions and not changes.event_created:
        click.echo(_("Changes:"))
        for change in changes.sessions:
            click.echo(_describe_change(change))
    elif not changes.event_created:
        click.echo(_("No session changed."))
