"""Telegram's settings, read from the environment (docs/telegram.md). Imports no SDK: the
command line and the platform table read it before anything of python-telegram-bot is loaded."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import ConfigurationError, number_setting, port_setting, rate_setting

if TYPE_CHECKING:
    from bot.dispatcher import Dispatcher
    from bot.platforms import Adapter, AdapterFactory

PLATFORM = "telegram"
PUBLIC_TELEGRAM_API = "https://api.telegram.org"
SECRET_NAMES = ("TELEGRAM_BOT_TOKEN", "TELEGRAM_WEBHOOK_SECRET")

# Telegram takes 1-256 characters of these; we ask for 16 at least, so that it cannot be guessed.
_WEBHOOK_SECRET = re.compile(r"[A-Za-z0-9_-]{16,256}")
SECRET_RULE = "16 to 256 characters of A-Z, a-z, 0-9, _ and -"


@dataclass(frozen=True)
class TelegramSettings:
    token: str = field(repr=False)
    api_url: str = PUBLIC_TELEGRAM_API
    webhook_url: str | None = None
    webhook_secret: str | None = field(default=None, repr=False)
    listen: str = "127.0.0.1"
    port: int = 8443
    path: str = "/telegram"
    # Telegram's limits for bots: 30 messages a second overall, 20 a minute in one group.
    rate: float = 30.0
    group_rate_per_minute: float = 20.0
    # The most Stars one urgent broadcast may spend at Telegram's paid rate (0: never paid).
    paid_broadcast_stars: int = 0

    @classmethod
    def from_env(cls) -> TelegramSettings | None:
        token = os.environ.get("TELEGRAM_BOT_TOKEN", "").strip()
        if not token:
            return None
        webhook_url = os.environ.get("TELEGRAM_WEBHOOK_URL") or None
        secret = os.environ.get("TELEGRAM_WEBHOOK_SECRET") or None
        if webhook_url and not secret:
            raise ConfigurationError(
                "TELEGRAM_WEBHOOK_URL is set but TELEGRAM_WEBHOOK_SECRET is not: without a "
                f"secret anyone could post updates to the webhook. Set it to {SECRET_RULE}."
            )
        if secret is not None and not _WEBHOOK_SECRET.fullmatch(secret):
            raise ConfigurationError(f"TELEGRAM_WEBHOOK_SECRET must be {SECRET_RULE}.")
        port = port_setting("TELEGRAM_WEBHOOK_PORT", 8443)
        rate = rate_setting("TELEGRAM_RATE", 30)
        group_rate = rate_setting("TELEGRAM_GROUP_RATE", 20)
        return cls(
            token=token,
            api_url=(os.environ.get("TELEGRAM_API_URL") or PUBLIC_TELEGRAM_API).rstrip("/"),
            webhook_url=webhook_url,
            webhook_secret=secret,
            listen=os.environ.get("TELEGRAM_WEBHOOK_LISTEN", "127.0.0.1"),
            port=port,
            path="/" + os.environ.get("TELEGRAM_WEBHOOK_PATH", "/telegram").lstrip("/"),
            rate=rate,
            group_rate_per_minute=group_rate,
            paid_broadcast_stars=paid_broadcast_stars(),
        )


def paid_broadcast_stars() -> int:
    """TELEGRAM_PAID_BROADCAST_STARS: the most Stars one urgent broadcast may spend (unset or
    0: urgent broadcasts are not offered)."""
    return number_setting("TELEGRAM_PAID_BROADCAST_STARS", 0, maximum=1_000_000)


def adapter_from_env() -> AdapterFactory | None:
    """The platform table's way in: the settings now, python-telegram-bot only when the adapter
    is built."""
    settings = TelegramSettings.from_env()
    if settings is None:
        return None

    def build(dispatcher: Dispatcher) -> Adapter:
        from bot.platforms.telegram import TelegramAdapter

        return TelegramAdapter(settings, dispatcher)

    return build
