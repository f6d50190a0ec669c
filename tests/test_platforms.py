"""The platform table: what `coordbot run`, the log's redaction and /notify loop over. Reading it
loads no SDK; each row builds its adapter only when its settings are in the environment."""

from __future__ import annotations

import subprocess
import sys

import pytest

from bot.app.cli import _secrets_in_environment
from bot.dispatcher import Dispatcher
from bot.platforms import PLATFORMS
from handlers.notify import PLATFORM_NAMES

SDKS = ("telegram", "slack_bolt", "slack_sdk")
# Enough for each platform to count as configured (HTTP mode for Slack: no connection is made
# until the adapter starts).
CONFIGURED = {
    "telegram": {"TELEGRAM_BOT_TOKEN": "123:telegram-token"},
    "slack": {"SLACK_BOT_TOKEN": "xoxb-slack-token", "SLACK_SIGNING_SECRET": "s" * 32},
    "whatsapp": {
        "WHATSAPP_ACCESS_TOKEN": "EAAG-whatsapp-token",
        "WHATSAPP_PHONE_NUMBER_ID": "106540352242922",
        "WHATSAPP_APP_SECRET": "a" * 32,
        "WHATSAPP_VERIFY_TOKEN": "v" * 24,
    },
}


def test_handlers_the_command_line_and_the_table_load_no_sdk() -> None:
    script = (
        "import sys, handlers, bot.app.cli, bot.platforms, bot.app.runner\n"
        "import handlers.notify\n"
        f"print(sorted({{m for m in sys.modules if m.split('.')[0] in {SDKS!r}}}))"
    )
    result = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True, timeout=60
    )
    assert result.stdout.strip() == "[]"


def test_every_platform_has_a_row_with_its_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    assert [platform.name for platform in PLATFORMS] == list(CONFIGURED)
    for platform in PLATFORMS:
        for name in platform.secret_names:
            monkeypatch.delenv(name, raising=False)
        assert platform.from_env() is None  # not configured: not served


async def test_a_configured_row_builds_the_adapter_of_that_name(
    monkeypatch: pytest.MonkeyPatch, dispatcher: Dispatcher
) -> None:
    for platform in PLATFORMS:
        for name, value in CONFIGURED[platform.name].items():
            monkeypatch.setenv(name, value)
        build = platform.from_env()
        assert build is not None
        assert build(dispatcher).name == platform.name  # what ChatIdentity.platform holds


def test_the_secrets_of_every_platform_are_redacted(monkeypatch: pytest.MonkeyPatch) -> None:
    for platform in PLATFORMS:
        for number, name in enumerate(platform.secret_names):
            monkeypatch.setenv(name, f"{platform.name}-secret-{number}")
    secrets = _secrets_in_environment()
    for platform in PLATFORMS:
        for number, _name in enumerate(platform.secret_names):
            assert f"{platform.name}-secret-{number}" in secrets


def test_notify_offers_the_platforms_of_the_table_by_the_names_people_know() -> None:
    assert PLATFORM_NAMES == {"telegram": "Telegram", "slack": "Slack", "whatsapp": "WhatsApp"}
    assert {platform.name: platform.display_name for platform in PLATFORMS} == PLATFORM_NAMES
