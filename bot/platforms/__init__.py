"""Adapters: the only code that knows a chat platform. Each turns the platform's messages into
`bot.chat.Incoming` and `bot.chat.Reply` back into the platform's calls.

Two halves make one platform:
- a row of `PLATFORMS` (its name, the name people know, the secrets to redact, and how its
  settings are read from the environment), which imports no SDK, so that handlers and the
  command line may read it;
- its `Adapter`, built from that row only when the platform is configured: only then is the
  SDK imported.
"""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass
from typing import TYPE_CHECKING, Protocol

from bot.platforms import slack_settings, telegram_settings, whatsapp_settings

if TYPE_CHECKING:
    from bot.chat import Reply
    from bot.dispatcher import Dispatcher

# Durations as timedelta (python-telegram-bot 23's behaviour), so no deprecation warning fires
# when Telegram asks us to slow down. Set here, before any adapter imports telegram.
os.environ.setdefault("PTB_TIMEDELTA", "1")


class PlatformError(Exception):
    """A platform cannot be used (token refused, API unreachable); the message says why."""


class Deliverer(Protocol):
    """The part of an adapter the delivery worker uses: the bot's own messages."""

    async def deliver(self, external_id: str, reply: Reply) -> str | None:
        """A message of the bot's own to a person's private chat; returns the platform's id of
        it when receipts will come for it. Raise `bot.delivery.worker.Unreachable` when the
        person cannot be reached there, `NotNow` when the platform's rule forbids it for now,
        or any other error to be retried later."""

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        """Rewrite a message the bot sent earlier into that chat."""


class Adapter(Deliverer, Protocol):
    """A running chat platform: what `coordbot run`, the console and the delivery worker ask of
    every adapter."""

    @property
    def name(self) -> str:
        """The platform's name in the table (`telegram`): what `ChatIdentity.platform` holds."""

    @property
    def rate(self) -> float | None:
        """Messages a second the platform allows overall, or None when it sets no such limit
        (reminders are planned to leave at this rate)."""

    async def start(self) -> None:
        """Connect and take messages; raise PlatformError when the platform cannot be used."""

    async def stop(self) -> None:
        """Stop taking messages and close connections."""

    async def send(self, chat_id: str, reply: Reply, replacing: str | None = None) -> str | None:
        """A reply to someone who wrote: into `chat_id`, or in place of the message
        `replacing`. Failures end here: logged, and an account that blocked the bot marked
        unreachable where the platform tells. Returns the id of the last message sent, when
        the platform tells it."""


# Reads a platform's settings from the environment (raising ConfigurationError when they are
# wrong): None when the platform is not configured, else what builds its adapter.
AdapterFactory = Callable[["Dispatcher"], Adapter]


@dataclass(frozen=True)
class Platform:
    """One row of the platform table."""

    name: str  # how the bot stores it: ChatIdentity.platform, Participant.notify_platform
    display_name: str  # how people know it
    secret_names: tuple[str, ...]  # environment variables whose values logs must never show
    from_env: Callable[[], AdapterFactory | None]


# The chat platforms `coordbot run` serves, in the order they start. /notify offers them too.
PLATFORMS: tuple[Platform, ...] = (
    Platform(
        telegram_settings.PLATFORM,
        "Telegram",
        telegram_settings.SECRET_NAMES,
        telegram_settings.adapter_from_env,
    ),
    Platform(
        slack_settings.PLATFORM,
        "Slack",
        slack_settings.SECRET_NAMES,
        slack_settings.adapter_from_env,
    ),
    Platform(
        whatsapp_settings.PLATFORM,
        "WhatsApp",
        whatsapp_settings.SECRET_NAMES,
        whatsapp_settings.adapter_from_env,
    ),
)
DISPLAY_NAMES = {platform.name: platform.display_name for platform in PLATFORMS}
