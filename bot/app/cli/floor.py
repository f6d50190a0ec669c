"""`coordbot floor …`: what happened on the floor of the sessions, for the meeting's report."""

from __future__ import annotations

import csv
import io
from pathlib import Path

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.cli.shared import in_transaction, no_event, pass_settings
from bot.config import Settings
from bot.programme import meeting
from bot.text.i18n import _, localised, use_language


@click.group("floor")
def floor_group() -> None:
    """The floor of the sessions: live polls (organisers and moderators run them in chat with
    /poll; docs/floor.md)."""


@floor_group.command("export")
@click.option("--event", "event_key", default=None, help="The event's key (default: current).")
@click.option("--folder", default=".", type=click.Path(file_okay=False, path_type=Path))
@click.option("--lang", default="en", type=click.Choice(["en", "fr", "es"]))
@pass_settings
def export_floor(settings: Settings, event_key: str | None, folder: Path, lang: str) -> None:
    """Write the polls' figures as polls.csv (one row per choice: counts only, never who
    answered what) and polls.md, a summary in LANG to paste into a report."""
    from bot.floor import polls
    from bot.text import formatting

    async def work(db: AsyncSession) -> list[polls.Tally]:
        event = await meeting.current_event(db, event_key or settings.event)
        if event is None and event_key:
            raise click.ClickException(_("no event {key}").format(key=repr(event_key)))
        if event is None:
            raise no_event()
        return [await polls.tally(db, poll) for poll in await polls.polls_of(db, event.id)]

    tallies = in_transaction(work, settings)
    table = io.StringIO()
    writer = csv.writer(table, lineterminator="\n")
    writer.writerow(["poll", "session", "question", "choice", "count", "share"])
    lines = []
    with use_language(lang):
        lines.append("# " + _("Live polls"))
        if not tallies:
            lines += ["", _("No poll was launched.")]
        for tally in tallies:
            lines += [
                "",
                f"## {tally.poll}. {localised(tally.question)}",
                "",
                _("Session: {session} ({key})").format(
                    session=localised(tally.session_title), key=tally.session_key
                ),
                _("People who answered: {count}").format(
                    count=formatting.number(tally.respondents)
                ),
                "",
                "| " + _("Choice") + " | " + _("Count") + " | " + _("Share") + " |",
                "|---|---:|---:|",
            ]
            for choice, count in zip(tally.choices, tally.counts, strict=True):
                # Of the people who answered (a multiple-choice poll's add up to more than 1).
                share = f"{count / tally.respondents:.4f}" if tally.respondents else ""
                writer.writerow(
                    [
                        tally.poll,
                        tally.session_key,
                        localised(tally.question),
                        localised(choice),
                        count,
                        share,
                    ]
                )
                shown = formatting.share(count, tally.respondents)
                label = localised(choice).replace("|", "/")
                lines.append(f"| {label} | {formatting.number(count)} | {shown} |")
            if not tally.closed:
                lines += ["", _("(still open: the figures may change)")]
    folder.mkdir(parents=True, exist_ok=True)
    for name, text in (("polls.csv", table.getvalue()), ("polls.md", "\n".join(lines) + "\n")):
        (folder / name).write_text(text, encoding="utf-8")
        click.echo(_("Wrote {file}").format(file=folder / name))
