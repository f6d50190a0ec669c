"""Adapters: the only code that knows a chat platform. Each turns the platform's messages into
`bot.chat.Incoming` and `bot.chat.Reply` back into the platform's calls."""


class PlatformError(Exception):
    """A platform cannot be used (token refused, API unreachable); the message says why."""
