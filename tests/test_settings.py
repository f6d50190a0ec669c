"""Malformed settings stop `coordbot run` with one line that names the variable and its rule —
no traceback, and never the value (it may be a secret). Numbers typed in the console are read as
strictly as in chat."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.processes import environment, run
from tests.test_console import _coordbot

WEBHOOK = {"TELEGRAM_WEBHOOK_URL": "https://bot.example.org/telegram"}
GOOD_SECRET = "s3cret-token_0123456789"


@pytest.mark.parametrize(
    ("settings", "named", "rule"),
    [
        (WEBHOOK | {"TELEGRAM_WEBHOOK_SECRET": "Zq9"}, "TELEGRAM_WEBHOOK_SECRET", "16 to 256"),
        (
            WEBHOOK | {"TELEGRAM_WEBHOOK_SECRET": "my secret with spaces 0123"},
            "TELEGRAM_WEBHOOK_SECRET",
            "A-Z, a-z, 0-9, _ and -",
        ),
        (WEBHOOK | {"TELEGRAM_WEBHOOK_SECRET": "Zq9" * 90}, "TELEGRAM_WEBHOOK_SECRET", "256"),
        (
            WEBHOOK | {"TELEGRAM_WEBHOOK_SECRET": GOOD_SECRET, "TELEGRAM_WEBHOOK_PORT": "٨٤٤٣"},
            "TELEGRAM_WEBHOOK_PORT",
            "from 1 to 65535",
        ),
        ({"TELEGRAM_WEBHOOK_PORT": "99999"}, "TELEGRAM_WEBHOOK_PORT", "from 1 to 65535"),
        ({"TELEGRAM_RATE": "nan"}, "TELEGRAM_RATE", "from 0.01 to 1000"),
        ({"TELEGRAM_RATE": "-30"}, "TELEGRAM_RATE", "from 0.01 to 1000"),
        ({"TELEGRAM_GROUP_RATE": "inf"}, "TELEGRAM_GROUP_RATE", "from 0.01 to 1000"),
        (
            {"SLACK_BOT_TOKEN": "xoxb-1", "SLACK_SIGNING_SECRET": "x" * 32}
            | {"SLACK_PORT": "３０００"},
            "SLACK_PORT",
            "from 1 to 65535",
        ),
        (
            {"MAIL_LIST_IDS": "list.example.org", "MAIL_SMTP_PORT": "2525²"},
            "MAIL_SMTP_PORT",
            "from 1 to 65535",
        ),
        (
            {"MAIL_LIST_IDS": "list.example.org", "MAIL_SMTP_PORT": "2525"}
            | {"MAIL_READ_SECONDS": "0"},
            "MAIL_READ_SECONDS",
            "from 1 to 600",
        ),
        (
            {"TRANSLATE_URL": "http://127.0.0.1:5000", "DEEPL_API_KEY": "k3y-0123:fx"},
            "TRANSLATE_URL and DEEPL_API_KEY",
            "keep the one service",
        ),
        ({"TRANSLATE_URL": "127.0.0.1:5000"}, "TRANSLATE_URL", "http:// or https://"),
        (
            {"DEEPL_API_KEY": "k3y-0123:fx", "TRANSLATE_DEADLINE": "١٠"},
            "TRANSLATE_DEADLINE",
            "from 1 to 600",
        ),
    ],
    ids=["short-secret", "secret-with-spaces", "long-secret", "arabic-port", "big-port", "nan",
         "negative-rate", "inf", "fullwidth-slack-port", "superscript-smtp-port",
         "zero-reading-time", "two-translation-services", "translate-url-without-scheme",
         "arabic-translation-deadline"],
)  # fmt: skip
async def test_a_malformed_setting_is_one_line_naming_it(
    tmp_path: Path, settings: dict[str, str], named: str, rule: str
) -> None:
    env = environment(tmp_path / "coordbot.sqlite3", "http://127.0.0.1:9") | settings
    status, _out, err = await run(env, "run")
    assert status != 0
    assert "Traceback" not in err
    [line] = [line for line in err.splitlines() if line.strip()]
    assert named in line and rule in line
    for name, value in settings.items():
        if "SECRET" in name or "TOKEN" in name or "KEY" in name:
            assert value not in err


async def test_a_good_webhook_secret_passes_the_check(tmp_path: Path) -> None:
    env = environment(tmp_path / "coordbot.sqlite3", "http://127.0.0.1:9")
    env |= WEBHOOK | {"TELEGRAM_WEBHOOK_SECRET": GOOD_SECRET}
    status, _out, err = await run(env, "run")
    assert status == 1  # the Bot API of this test cannot be reached: that is the next check
    assert "TELEGRAM_WEBHOOK_SECRET" not in err and GOOD_SECRET not in err
    assert "Traceback" not in err


def test_other_digits_typed_in_the_console_press_no_button(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    # /language offers [1] English [2] Français [3] Español; ٣ and ³ are no 3
    chat = _coordbot(database, "chat", "--lang", "en", stdin="/language\n٣\n³\n２\n/quit\n")
    assert chat.returncode == 0, chat.stderr
    assert "Traceback" not in chat.stderr
    assert "Español" in chat.stdout and "español" not in chat.stdout.split("> ٣")[1]
    assert chat.stdout.count("I answer commands such as /agenda") == 3
