"""`coordbot db …`: create and migrate the database."""

from __future__ import annotations

import asyncio

import click

from bot import db as database
from bot.app.cli.shared import pass_settings
from bot.config import Settings
from bot.text.i18n import _


@click.group()
def db() -> None:
    """Create and migrate the database."""


@db.command()
@click.argument("revision", default="head")
@pass_settings
def upgrade(settings: Settings, revision: str) -> None:
    """Migrate the database to REVISION (the newest by default)."""
    asyncio.run(database.upgrade(settings.database_url, revision))
    click.echo(_("Database migrated to {revision}.").format(revision=revision))


@db.command()
@click.argument("revision")
@pass_settings
def downgrade(settings: Settings, revision: str) -> None:
    """Undo migrations down to REVISION (`base` removes every table)."""
    asyncio.run(database.downgrade(settings.database_url, revision))
    click.echo(_("Database migrated down to {revision}.").format(revision=revision))


@db.command()
@click.option("-m", "--message", required=True, help="The revision's title.")
@pass_settings
def revision(settings: Settings, message: str) -> None:
    """Write a new migration from the difference between the models and the database."""
    from alembic import command

    asyncio.run(database.upgrade(settings.database_url))
    command.revision(database.alembic_config(settings.database_url), message, autogenerate=True)
