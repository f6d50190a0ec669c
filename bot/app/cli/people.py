"""`coordbot participants …`: the participant registry and its invitations."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

import click
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.cli.shared import counted, in_transaction, no_event, participant_or_fail, pass_settings
from bot.clock import SystemClock
from bot.config import ConfigurationError, Settings
from bot.models import Participant, Role
from bot.people import participants as participants_domain
from bot.platforms import PlatformError
from bot.platforms.telegram_settings import TelegramSettings
from bot.platforms.whatsapp_settings import WhatsAppSettings
from bot.programme import meeting
from bot.text.formatting import number
from bot.text.i18n import _, ngettext


@click.group()
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
            raise no_event()
        report = await import_participants(db, event, rows, SystemClock().now())
        if dry_run:
            await db.rollback()
        return report

    report = in_transaction(work, settings)
    for rejected in report.rejected:
        line = _("{file}:{row}: rejected: {reason}")
        click.echo(line.format(file=file, row=rejected.row, reason=rejected.reason))
    if dry_run:
        summary = _("Would have created {created}, updated {updated}, rejected {rejected}.")
    else:
        summary = _("Created {created}, updated {updated}, rejected {rejected}.")
    counts = (report.created, report.updated, len(report.rejected))
    created, updated, rejected_rows = (number(count) for count in counts)
    click.echo(summary.format(created=created, updated=updated, rejected=rejected_rows))


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
    """Issue invitation codes and write them for a mail merge, with QR codes of each person's
    links (Telegram's and, with WHATSAPP_NUMBER, WhatsApp's).

    Only the codes issued now can be written (the database keeps no code, only its hash):
    participants who already have one are skipped unless --renew. A code links one chat
    account once; --participant ID gives one person a new code (their old one stops working)."""
    from bot.people.invitations import Invitation, issue, write_invitations

    whatsapp_number = _whatsapp_number()
    username = (bot_name or "").lstrip("@") or _telegram_username(required=not whatsapp_number)

    async def work(db: AsyncSession) -> tuple[list[Invitation], int]:
        event = await meeting.current_event(db, settings.event)
        if event is None:
            raise no_event()
        query = (
            select(Participant)
            .where(Participant.event_id == event.id, Participant.erased_at.is_(None))
            .order_by(Participant.id)
        )
        now = SystemClock().now()
        if references:
            chosen = [await participant_or_fail(db, settings, ref) for ref in references]
            return [Invitation(p, issue(p, now)) for p in chosen], 0
        people = list((await db.execute(query)).scalars())
        fresh = [Invitation(p, issue(p, now)) for p in people if renew or not p.invitation_hash]
        return fresh, len(people) - len(fresh)

    issued, skipped = in_transaction(work, settings)
    table = write_invitations(issued, folder, username, whatsapp_number)
    written = ngettext(
        "{count} invitation written to {table}.",
        "{count} invitations written to {table}.",
        len(issued),
    )
    click.echo(counted(written, len(issued), table=table))
    if skipped:
        had = ngettext(
            "{count} participant already had a code (--renew issues a new one).",
            "{count} participants already had a code (--renew issues new ones).",
            skipped,
        )
        click.echo(counted(had, skipped))


def _telegram_username(*, required: bool) -> str | None:
    """The bot's Telegram username, asked of Telegram; None when Telegram is not configured
    and the invitations can do without (they carry a WhatsApp link)."""
    try:
        telegram = TelegramSettings.from_env()
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from error
    if telegram is None:
        if required:
            raise click.ClickException(
                _(
                    "give --bot USERNAME or set TELEGRAM_BOT_TOKEN, or configure WhatsApp with "
                    "WHATSAPP_NUMBER"
                )
            )
        return None
    from bot.platforms.telegram import bot_username

    try:
        return asyncio.run(bot_username(telegram))
    except PlatformError as error:
        raise click.ClickException(str(error)) from error


def _whatsapp_number() -> str | None:
    """The bot's WhatsApp number (for wa.me links), when WhatsApp is configured with one."""
    try:
        whatsapp = WhatsAppSettings.from_env()
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from error
    return whatsapp.number if whatsapp is not None else None


@participants.command("role")
@click.argument("reference")
@click.argument("role", type=click.Choice([role.value for role in Role]))
@pass_settings
def change_role(settings: Settings, reference: str, role: str) -> None:
    """Give the participant REFERENCE (id, e-mail or name) a new ROLE."""

    async def work(db: AsyncSession) -> str:
        person = await participant_or_fail(db, settings, reference)
        person.role = Role(role)
        return person.name

    click.echo(_("{name} is now {role}.").format(name=in_transaction(work, settings), role=role))


@participants.command()
@click.argument("reference")
@click.option("--platform", help="Only the account on this platform (telegram, slack…).")
@pass_settings
def unlink(settings: Settings, reference: str, platform: str | None) -> None:
    """Unlink the chat accounts of participant REFERENCE (a lost phone). Their invitation stays
    used: give them a new one with `invite --participant REFERENCE`."""

    async def work(db: AsyncSession) -> int:
        person = await participant_or_fail(db, settings, reference)
        return await participants_domain.unlink_accounts(db, person, platform)

    unlinked = in_transaction(work, settings)
    text = ngettext("{count} chat account unlinked.", "{count} chat accounts unlinked.", unlinked)
    click.echo(counted(text, unlinked))
    folder = _("FOLDER")  # the placeholder of the command's syntax, in the reader's language
    command = f"`coordbot participants invite --participant {reference} --out {folder}`"
    click.echo(
        _("Their invitation stays used: give them a new one with {command}.").format(
            command=command
        )
    )


@participants.command()
@click.argument("reference")
@pass_settings
def revoke(settings: Settings, reference: str) -> None:
    """Revoke the invitation code of participant REFERENCE (linked accounts stay linked)."""

    async def work(db: AsyncSession) -> str:
        person = await participant_or_fail(db, settings, reference)
        person.invitation_hash = None
        return person.name

    click.echo(
        _("The invitation of {name} no longer works.").format(name=in_transaction(work, settings))
    )
