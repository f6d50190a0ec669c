"""Slack's settings, read from the environment (docs/slack.md). Imports no SDK: the command line
and the platform table read it before anything of slack-bolt is loaded."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from bot.config import ConfigurationError, port_setting

if TYPE_CHECKING:
    from bot.dispatcher import Dispatcher
    from bot.platforms import Adapter, AdapterFactory

PLATFORM = "slack"
PUBLIC_SLACK_API = "https://slack.com/api/"
SECRET_NAMES = ("SLACK_BOT_TOKEN", "SLACK_SIGNING_SECRET", "SLACK_APP_TOKEN")


@dataclass(frozen=True)
class SlackSettings:
    """Slack: Socket Mode when an app-level token is given, else HTTP (Events API and
    interactivity on `listen:port` + `path`, every request's signature checked)."""

    bot_token: str = field(repr=False)
    signing_secret: str | None = field(default=None, repr=False)
    app_token: str | None = field(default=None, repr=False)
    api_url: str = PUBLIC_SLACK_API
    listen: str = "127.0.0.1"
    port: int = 3000
    path: str = "/slack/events"

    @property
    def socket_mode(self) -> bool:
        return self.app_token is not None

    @classmethod
    def from_env(cls) -> SlackSettings | None:
        token = os.environ.get("SLACK_BOT_TOKEN", "").strip()
        if not token:
            return None
        app_token = os.environ.get("SLACK_APP_TOKEN", "").strip() or None
        secret = os.environ.get("SLACK_SIGNING_SECRET", "").strip() or None
        if app_token is None and secret is None:
            raise ConfigurationError(
                "SLACK_BOT_TOKEN is set but neither SLACK_SIGNING_SECRET (HTTP mode: Slack's "
                "requests are checked with it) nor SLACK_APP_TOKEN (Socket Mode) is: see "
                "docs/slack.md."
            )
        if app_token is not None and not app_token.startswith("xapp-"):
            raise ConfigurationError("SLACK_APP_TOKEN must be an app-level token (xapp-…).")
        port = port_setting("SLACK_PORT", 3000)
        api_url = os.environ.get("SLACK_API_URL") or PUBLIC_SLACK_API
        return cls(
            bot_token=token,
            signing_secret=secret,
            app_token=app_token,
            api_url=api_url.rstrip("/") + "/",
            listen=os.environ.get("SLACK_LISTEN", "127.0.0.1"),
            port=port,
            path="/" + os.environ.get("SLACK_PATH", "/slack/events").lstrip("/"),
        )


def adapter_from_env() -> AdapterFactory | None:
    """The platform table's way in: the settings now, slack-bolt only when the adapter is
    built."""
    settings = SlackSettings.from_env()
    if settings is None:
        return None

    def build(dispatcher: Dispatcher) -> Adapter:
        from bot.platforms.slack import SlackAdapter

        return SlackAdapter(settings, dispatcher)

    return build
