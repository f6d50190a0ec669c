"""`coordbot run` and `coordbot chat`: serve the chat platforms, or chat in this terminal."""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator
from datetime import timedelta

import click

from bot.app.cli.shared import AT_OPTION, database_errors, local_time, pass_settings
from bot.config import ConfigurationError, MailSettings, Settings
from bot.paid_broadcasts import PaidBroadcasts
from bot.platforms import PLATFORMS
from bot.platforms.telegram_settings import TelegramSettings
from bot.text.i18n import negotiate
from bot.translation.provider import Translator
from bot.translation.reading import DEFAULT_DEADLINE
from bot.translation.settings import TranslationSettings, build_translator


@click.command()
@AT_OPTION
@pass_settings
def run(settings: Settings, at: str | None) -> None:
    """Serve every configured chat platform (Telegram: TELEGRAM_BOT_TOKEN; Slack:
    SLACK_BOT_TOKEN; WhatsApp: WHATSAPP_ACCESS_TOKEN) and the mailing list's mail
    (MAIL_LIST_IDS with MAIL_SMTP_PORT and/or MAIL_IMAP_HOST) until stopped."""
    from bot.app.calendar_feed import CalendarSettings
    from bot.app.event_loop import run_fast
    from bot.app.health import HealthSettings
    from bot.app.runner import NothingToRun
    from bot.app.runner import run as run_platforms
    from bot.platforms import PlatformError

    try:
        # Every platform's settings are checked before anything starts.
        configured = [platform.from_env() for platform in PLATFORMS]
        adapters = [build for build in configured if build is not None]
        mail = MailSettings.from_env()
        # Checked here with the others, so that a wrong one stops the bot before it starts.
        translation = TranslationSettings.from_env()
        telegram = TelegramSettings.from_env()
        paid = (
            PaidBroadcasts(telegram.paid_broadcast_stars, telegram.rate)
            if telegram is not None and telegram.paid_broadcast_stars
            else None
        )
        health = HealthSettings.from_env()
        calendar = CalendarSettings.from_env()

        async def serve() -> None:
            async with _translating(translation) as (translator, deadline):
                await run_platforms(
                    settings,
                    adapters,
                    local_time(at),
                    mail,
                    translator=translator,
                    translation_deadline=deadline,
                    paid_broadcasts=paid,
                    health=health,
                    calendar=calendar,
                )

        with database_errors(settings):
            run_fast(serve())
    except (ConfigurationError, PlatformError, NothingToRun) as error:
        raise click.ClickException(str(error)) from error


@click.command()
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

    clock_start = local_time(at)

    async def serve(translation: TranslationSettings | None) -> None:
        async with _translating(translation) as (translator, deadline):
            await run_console(
                settings,
                language=negotiate(lang),
                who=who,
                at=clock_start,
                translator=translator,
                translation_deadline=deadline,
            )

    try:
        translation = TranslationSettings.from_env()
        with database_errors(settings):
            asyncio.run(serve(translation))
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from error
    except LookupError as error:
        raise click.ClickException(str(error)) from error
    except KeyboardInterrupt:
        pass


@contextlib.asynccontextmanager
async def _translating(
    settings: TranslationSettings | None,
) -> AsyncIterator[tuple[Translator | None, timedelta]]:
    """The translator the settings ask for (None without one) and the longest a message waits
    for it; closed on the loop its HTTP session belongs to."""
    if settings is None:
        yield None, DEFAULT_DEADLINE
        return
    translator = build_translator(settings)
    try:
        yield translator, timedelta(seconds=settings.deadline)
    finally:
        await translator.close()
