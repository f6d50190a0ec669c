"""`coordbot programme …`: check and load programme files."""

from __future__ import annotations

import json
import sys
from datetime import datetime
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.cli.shared import _run, pass_settings
from bot.clock import SystemClock
from bot.config import Settings
from bot.programme.check import check_file
from bot.programme.load import ChangeKind, ProgrammeChanges, SessionChange, load_programme
from bot.text.i18n import localised


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
