"""`coordbot doctor`'s checks: the settings, the database and its migrations, the chat platforms'
tokens and Telegram's webhook, the mail settings, the translation service. Each network check
gives up after CHECK_SECONDS; none changes anything (no message sent, no migration run)."""

from __future__ import annotations

import asyncio
import socket
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from typing import Any, TypeVar

import aiohttp
from alembic.script import ScriptDirectory
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import SQLAlchemyError

from bot.app.calendar_feed import CalendarSettings
from bot.app.health import HealthSettings
from bot.config import ConfigurationError, ImapSettings, MailSettings, Settings
from bot.db import alembic_config, create_engine
from bot.logs import log_format
from bot.platforms import PLATFORMS, PlatformError, whatsapp_templates
from bot.platforms.slack_settings import SlackSettings
from bot.platforms.telegram_settings import TelegramSettings
from bot.platforms.whatsapp_settings import WhatsAppSettings
from bot.text import formatting
from bot.text.i18n import _
from bot.translation.settings import TranslationSettings

CHECK_SECONDS = 5.0
T = TypeVar("T")


@dataclass(frozen=True)
class Check:
    """One line of the checklist: what was checked, whether it is right, and what was found
    or what to do."""

    name: str
    ok: bool
    detail: str = ""


class Failed(Exception):
    """A check found something wrong; the message says what to do."""


async def diagnose(settings: Settings) -> list[Check]:
    checks = _settings_checks()
    checks.append(await _check(_("Database"), lambda: _database(settings)))
    telegram, slack = _quietly(TelegramSettings.from_env), _quietly(SlackSettings.from_env)
    if telegram is not None:
        checks.append(await _check(_("Telegram bot token"), lambda: _telegram_token(telegram)))
        if checks[-1].ok:  # with a refused token, Telegram says nothing of the webhook
            checks.append(await _check(_("Telegram webhook"), lambda: _telegram_webhook(telegram)))
    if slack is not None:
        checks.append(await _check(_("Slack bot token"), lambda: _slack_token(slack)))
    whatsapp = _quietly(WhatsAppSettings.from_env)
    if whatsapp is not None:
        checks.append(await _check(_("WhatsApp number"), lambda: _whatsapp_number(whatsapp)))
        checks.append(await _check(_("WhatsApp templates"), lambda: _whatsapp_templates(whatsapp)))
    mail = _quietly(MailSettings.from_env)
    if mail is not None and mail.smtp_port is not None:
        checks.append(await _check(_("Mail: SMTP receiver"), lambda: _smtp_address(mail)))
    if mail is not None and mail.imap is not None:
        imap = mail.imap
        checks.append(await _check(_("Mail: IMAP mailbox"), lambda: _imap_login(imap)))
    translation = _quietly(TranslationSettings.from_env)
    if translation is not None:
        checks.append(
            await _check(_("Translation service"), lambda: _translation_service(translation))
        )
    calendar = _quietly(CalendarSettings.from_env)
    if calendar is not None and calendar.public_url is not None:
        checks.append(_calendar_address(calendar.public_url))
    return checks


def _calendar_address(url: str) -> Check:
    """Phones fetch each person's private address from CALENDAR_PUBLIC_URL: over https only."""
    if url.lower().startswith("https://"):
        return Check(_("Calendar feeds"), True, url)
    return Check(
        _("Calendar feeds"),
        False,
        _(
            "CALENDAR_PUBLIC_URL is not https: the private addresses would cross the network "
            "unencrypted; serve the feeds behind an https reverse proxy"
        ),
    )


def _settings_checks() -> list[Check]:
    """Each group of settings read as `coordbot run` reads them: its error is the fix."""
    checks = []
    configured = 0
    for platform in PLATFORMS:
        name = _("{platform} settings").format(platform=platform.display_name)
        try:
            if platform.from_env() is None:
                continue
            configured += 1
            checks.append(Check(name, True))
        except (ConfigurationError, PlatformError) as error:
            configured += 1
            checks.append(Check(name, False, str(error)))
    if not configured:
        checks.append(
            Check(
                _("Chat platforms"),
                False,
                _("none is configured: set {variables}").format(
                    variables=formatting.join(
                        [platform.secret_names[0] for platform in PLATFORMS], style="or"
                    )
                ),
            )
        )
    readers: list[tuple[str, Callable[[], object]]] = [
        (_("Mail settings"), MailSettings.from_env),
        (_("Translation settings"), TranslationSettings.from_env),
        (_("Health server settings"), HealthSettings.from_env),
        (_("Calendar feed settings"), CalendarSettings.from_env),
        (_("Log settings"), log_format),
    ]
    for name, read in readers:
        try:
            read()
            checks.append(Check(name, True))
        except ConfigurationError as error:
            checks.append(Check(name, False, str(error)))
    return checks


def _quietly(read: Callable[[], T | None]) -> T | None:
    """Settings for a network check; wrong ones were reported by _settings_checks already."""
    try:
        return read()
    except (ConfigurationError, PlatformError):
        return None


async def _check(name: str, run: Callable[[], Awaitable[str]]) -> Check:
    try:
        async with asyncio.timeout(CHECK_SECONDS):
            return Check(name, True, await run())
    except Failed as failure:
        return Check(name, False, str(failure))
    except TimeoutError:
        return Check(
            name, False, _("no answer within {seconds} s").format(seconds=int(CHECK_SECONDS))
        )
    except (aiohttp.ClientError, OSError) as error:
        return Check(name, False, _("unreachable: {reason}").format(reason=_reason(error)))
    except Exception as error:  # a library's own error: one line, never a traceback
        return Check(name, False, _reason(error))


async def _database(settings: Settings) -> str:
    where = make_url(settings.database_url).render_as_string()
    engine = create_engine(settings.database_url)
    try:
        async with engine.connect() as connection:
            await connection.execute(text("SELECT 1"))
            try:
                current = (
                    await connection.execute(text("SELECT version_num FROM alembic_version"))
                ).scalar()
            except SQLAlchemyError:
                current = None
    except SQLAlchemyError as error:
        raise Failed(
            _("{where} cannot be reached: {reason}").format(where=where, reason=_reason(error))
        ) from error
    finally:
        await engine.dispose()
    head = ScriptDirectory.from_config(alembic_config(settings.database_url)).get_current_head()
    if current is None:
        raise Failed(_("{where} has no tables yet: run coordbot db upgrade").format(where=where))
    if current != head:
        raise Failed(
            _(
                "{where} is at migration {current}, the newest is {head}: run coordbot db upgrade"
            ).format(where=where, current=current, head=head)
        )
    return _("{where}, migrations up to date").format(where=where)


async def _get_json(
    url: str, *, method: str = "GET", headers: dict[str, str] | None = None, **kwargs: Any
) -> tuple[int, Any]:
    timeout = aiohttp.ClientTimeout(total=CHECK_SECONDS)
    async with (
        aiohttp.ClientSession(timeout=timeout) as client,
        client.request(method, url, headers=headers, **kwargs) as response,
    ):
        try:
            return response.status, await response.json(content_type=None)
        except ValueError:
            return response.status, None


async def _telegram_token(settings: TelegramSettings) -> str:
    status, body = await _get_json(f"{settings.api_url}/bot{settings.token}/getMe", method="POST")
    if status in (401, 404):
        raise Failed(_("Telegram refused the token: check TELEGRAM_BOT_TOKEN (from @BotFather)"))
    if not isinstance(body, dict) or not body.get("ok"):
        raise Failed(_("unexpected answer from Telegram (HTTP {status})").format(status=status))
    return "@" + str(body["result"].get("username", ""))


async def _telegram_webhook(settings: TelegramSettings) -> str:
    status, body = await _get_json(
        f"{settings.api_url}/bot{settings.token}/getWebhookInfo", method="POST"
    )
    if not isinstance(body, dict) or not body.get("ok"):
        raise Failed(_("unexpected answer from Telegram (HTTP {status})").format(status=status))
    info = body["result"]
    url, pending = info.get("url") or "", int(info.get("pending_update_count") or 0)
    error = info.get("last_error_message")
    if settings.webhook_url is None:
        if url:
            return _("polling: coordbot run removes the webhook set at Telegram ({url})").format(
                url=url
            )
        return _("polling (no webhook)")
    if url and url != settings.webhook_url:
        raise Failed(
            _(
                "Telegram sends updates to {url}, not to TELEGRAM_WEBHOOK_URL {configured}: "
                "is another copy of the bot running with other settings?"
            ).format(url=url, configured=settings.webhook_url)
        )
    if error:
        raise Failed(
            _(
                "Telegram cannot deliver to {url} ({error}): check the reverse proxy and its "
                "certificate; {pending} updates are waiting"
            ).format(url=settings.webhook_url, error=error, pending=pending)
        )
    if not url:
        return _("not set yet: coordbot run sets it to {url}").format(url=settings.webhook_url)
    return _("{url}, {pending} updates waiting").format(url=url, pending=pending)


async def _slack_token(settings: SlackSettings) -> str:
    status, body = await _get_json(
        f"{settings.api_url}auth.test",
        method="POST",
        headers={"Authorization": f"Bearer {settings.bot_token}"},
    )
    if not isinstance(body, dict):
        raise Failed(_("unexpected answer from Slack (HTTP {status})").format(status=status))
    if not body.get("ok"):
        raise Failed(
            _("Slack refused the token ({error}): check SLACK_BOT_TOKEN (xoxb-…)").format(
                error=body.get("error", status)
            )
        )
    return _("{user} in {team}").format(user=body.get("user", "?"), team=body.get("team", "?"))


async def _whatsapp_number(settings: WhatsAppSettings) -> str:
    url = f"{settings.api_url}/{settings.api_version}/{settings.phone_number_id}"
    headers = {"Authorization": f"Bearer {settings.access_token}"}
    status, body = await _get_json(url, headers=headers)
    if status == 401:
        raise Failed(
            _("WhatsApp refused the access token: check WHATSAPP_ACCESS_TOKEN (a permanent one)")
        )
    if not isinstance(body, dict) or status != 200:
        raise Failed(
            _(
                "WhatsApp does not know this number (HTTP {status}): check WHATSAPP_PHONE_NUMBER_ID"
            ).format(status=status)
        )
    return _("{name}, {number}, quality {quality}").format(
        name=body.get("verified_name", "?"),
        number=body.get("display_phone_number", "?"),
        quality=body.get("quality_rating", "?"),
    )


async def _whatsapp_templates(settings: WhatsAppSettings) -> str:
    try:
        templates = whatsapp_templates.load(settings.templates_file)
    except ConfigurationError as error:
        raise Failed(str(error)) from error
    return _("{count} templates to have approved: coordbot whatsapp templates").format(
        count=len(templates.kinds)
    )


async def _smtp_address(settings: MailSettings) -> str:
    """The listening address is one of this machine's (bound for a moment on a free port: the
    bot itself may hold MAIL_SMTP_PORT now)."""
    try:
        infos = await asyncio.get_running_loop().getaddrinfo(
            settings.smtp_listen, 0, type=socket.SOCK_STREAM
        )
        family, kind, _proto, _name, address = infos[0]
        with socket.socket(family, kind) as probe:
            probe.bind(address)
    except OSError as error:
        raise Failed(
            _("MAIL_SMTP_LISTEN {address} is not an address of this machine ({reason})").format(
                address=settings.smtp_listen, reason=_reason(error)
            )
        ) from error
    return f"{settings.smtp_listen}:{settings.smtp_port}"


async def _imap_login(settings: ImapSettings) -> str:
    def login() -> None:
        from imapclient import IMAPClient
        from imapclient.exceptions import LoginError

        with IMAPClient(
            settings.host, port=settings.port, ssl=settings.tls, timeout=CHECK_SECONDS
        ) as client:
            try:
                client.login(settings.user, settings.password)
            except LoginError as error:
                raise Failed(
                    _(
                        "{host} refused the login: check MAIL_IMAP_USER and MAIL_IMAP_PASSWORD"
                    ).format(host=settings.host)
                ) from error
            client.logout()

    try:
        await asyncio.to_thread(login)
    except TimeoutError:
        raise  # _check says there was no answer within its bound
    except OSError as error:  # refused, no such host, TLS spoken to a plain port or the reverse
        raise Failed(
            _(
                "{host}:{port} cannot be reached ({reason}): check MAIL_IMAP_HOST, "
                "MAIL_IMAP_PORT and MAIL_IMAP_TLS"
            ).format(host=settings.host, port=settings.port, reason=_reason(error))
        ) from error
    return f"{settings.user}@{settings.host}:{settings.port}"


async def _translation_service(settings: TranslationSettings) -> str:
    if settings.provider == "deepl":
        status, body = await _get_json(
            f"{settings.url}/v2/usage",
            headers={"Authorization": f"DeepL-Auth-Key {settings.api_key}"},
        )
        if status == 403:
            raise Failed(_("DeepL refused the key: check DEEPL_API_KEY"))
        if not isinstance(body, dict) or "character_count" not in body:
            raise Failed(_("unexpected answer from DeepL (HTTP {status})").format(status=status))
        return _("DeepL, {used} of {limit} characters used this month").format(
            used=body["character_count"], limit=body.get("character_limit", "?")
        )
    status, body = await _get_json(f"{settings.url}/languages")
    codes = {item.get("code") for item in body} if isinstance(body, list) else set()
    missing = sorted({"en", "fr", "es"} - codes)
    if status != 200 or missing:
        raise Failed(
            _("LibreTranslate at {url} does not offer {languages} (HTTP {status})").format(
                url=settings.url, languages=", ".join(missing) or "en, fr, es", status=status
            )
        )
    status, _body = await _get_json(
        f"{settings.url}/detect",
        method="POST",
        json={"q": "Hello", "api_key": settings.api_key or ""},
    )
    if status in (400, 403):
        raise Failed(_("LibreTranslate refused the key: check TRANSLATE_API_KEY"))
    return _("LibreTranslate at {url}").format(url=settings.url)


def _reason(error: BaseException) -> str:
    reason = str(getattr(error, "orig", None) or error).strip()
    return (reason.splitlines() or [type(error).__name__])[0][:200]
