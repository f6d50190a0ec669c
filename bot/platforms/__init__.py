"""Adapters: the only code that knows a chat platform. Each turns the platform's messages into
`bot.chat.Incoming` and `bot.chat.Reply` back into the platform's calls."""

import os

# Durations as timedelta (python-telegram-bot 23's behaviour), so no deprecation warning fires
# when Telegram asks us to slow down. Set here, before any adapter imports telegram.
os.environ.setdefault("PTB_TIMEDELTA", "1")


class PlatformError(Exception):
    """A platform cannot be used (token refused, API unreachable); the message says why."""
