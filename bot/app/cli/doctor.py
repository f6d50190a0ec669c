"""`coordbot doctor`: a checklist of what the bot needs, with what to fix."""

from __future__ import annotations

import asyncio

import click

from bot.app.cli.shared import pass_settings
from bot.config import Settings
from bot.text.i18n import _, ngettext


@click.command()
@pass_settings
def doctor(settings: Settings) -> None:
    """Check the settings, the database and its migrations, the tokens, Telegram's webhook, the
    mail and translation settings; exits with 1 when something needs fixing."""
    from bot.app.doctor import diagnose

    checks = asyncio.run(diagnose(settings))
    for check in checks:
        line = check.name
        if check.detail:
            line = _("{check}: {detail}").format(check=check.name, detail=check.detail)
        click.echo(f"{'✓' if check.ok else '✗'} {line}")
    problems = sum(not check.ok for check in checks)
    if problems:
        message = ngettext("{count} problem to fix.", "{count} problems to fix.", problems).format(
            count=problems
        )
        click.echo(message, err=True)
        raise SystemExit(1)
    click.echo(_("Everything is ready: start the bot with coordbot run."))
