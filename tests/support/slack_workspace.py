"""The Slack workspace the fakes stand for: its ids, the app's tokens and signing secret.

Shared by the fake Web API (`fake_slack`) and the requests Slack sends to an app
(`slack_requests`).
"""

from __future__ import annotations

__all__ = [
    "APP_ID",
    "APP_TOKEN",
    "BOT_ID",
    "BOT_NAME",
    "BOT_TOKEN",
    "BOT_USER_ID",
    "RESPONSE_URL",
    "SIGNING_SECRET",
    "TEAM_DOMAIN",
    "TEAM_ID",
    "VERIFICATION_TOKEN",
    "direct_channel",
]

BOT_TOKEN = "xoxb-0001-0001-fake-bot-token"
APP_TOKEN = "xapp-1-A0001-0001-fake-app-token"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
VERIFICATION_TOKEN = "fake-verification-token"
TEAM_ID = "T0001"
TEAM_DOMAIN = "coordbot-test"
APP_ID = "A0001"
BOT_ID = "B0001"
BOT_USER_ID = "UBOT"
BOT_NAME = "coordbot"
# A closed local port: a request body's response_url must never lead to the real Slack.
RESPONSE_URL = "http://127.0.0.1:9/commands/T0001/1/fake"


def direct_channel(channel: str) -> str:
    """Where a message to `channel` lands: a user id means their direct messages with the bot."""
    if channel.startswith(("U", "W")):
        return "D" + channel[1:]
    return channel
