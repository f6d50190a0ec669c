"""`coordbot doctor` as an operator runs it before starting the bot: a checklist of what is right
and, for what is not, what to fix, in the terminal's language; exit status 1 when anything is
wrong. Against the fake Bot API, Slack API and translation services."""

from __future__ import annotations

from pathlib import Path

from bot.platforms.whatsapp_settings import TEMPLATES_FILE
from bot.platforms.whatsapp_templates import load
from tests.support.fake_slack import FakeSlack
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.fake_translation import DEEPL_KEY, LIBRE_KEY, FakeDeepL, FakeLibreTranslate
from tests.support.fake_whatsapp import ACCESS_TOKEN as WHATSAPP_TOKEN
from tests.support.fake_whatsapp import (
    APP_SECRET,
    DISPLAY_PHONE_NUMBER,
    PHONE_NUMBER_ID,
    VERIFY_TOKEN,
    FakeWhatsApp,
)
from tests.support.processes import environment, run
from tests.support.slack_workspace import BOT_TOKEN, SIGNING_SECRET

WEBHOOK = "https://bot.example.org/telegram"
SECRET = "a-webhook-secret-of-24-chars"
NBSP = "\u00a0"


async def test_everything_ready(
    fake_telegram: FakeTelegram,
    fake_slack: FakeSlack,
    fake_libretranslate: FakeLibreTranslate,
    tmp_path: Path,
) -> None:
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url)
    env |= {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_API_URL": fake_slack.url + "/api/",
        "TRANSLATE_URL": fake_libretranslate.url,
        "TRANSLATE_API_KEY": LIBRE_KEY,
    }
    assert (await run(env, "db", "upgrade"))[0] == 0

    status, out, err = await run(env, "doctor")

    assert status == 0, out + err
    lines = out.splitlines()
    assert "✓ Telegram settings" in lines and "✓ Slack settings" in lines
    assert any(line.startswith("✓ Database: sqlite:///") for line in lines)
    assert "migrations up to date" in out
    assert "✓ Telegram bot token: @coordbot_test_bot" in lines
    assert "✓ Telegram webhook: polling (no webhook)" in lines
    assert any(line.startswith("✓ Slack bot token:") for line in lines)
    assert f"✓ Translation service: LibreTranslate at {fake_libretranslate.url}" in lines
    assert "✗" not in out
    assert "Everything is ready" in out
    for secret in (TOKEN, BOT_TOKEN, LIBRE_KEY):
        assert secret not in out + err


async def test_what_is_wrong_and_how_to_fix_it(
    fake_telegram: FakeTelegram, fake_deepl: FakeDeepL, tmp_path: Path
) -> None:
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url)
    env |= {
        "TELEGRAM_BOT_TOKEN": "999:not-the-right-token",
        "DEEPL_API_KEY": "wrong-key:fx",
        "DEEPL_URL": fake_deepl.url,
        "MAIL_LIST_IDS": "committee.lists.example.org",
        "MAIL_SMTP_PORT": "2525",
        "MAIL_SMTP_LISTEN": "192.0.2.1",  # TEST-NET: no machine has it
        "HEALTH_PORT": "eighty",
    }

    status, out, err = await run(env, "doctor")

    assert status == 1
    assert "Traceback" not in err
    assert "✗ Health server settings: HEALTH_PORT must be a whole number" in out
    assert "has no tables yet: run coordbot db upgrade" in out
    assert "✗ Telegram bot token: Telegram refused the token: check TELEGRAM_BOT_TOKEN" in out
    assert "Telegram webhook" not in out  # nothing to learn with a refused token
    assert "✗ Mail: SMTP receiver: MAIL_SMTP_LISTEN 192.0.2.1 is not an address" in out
    assert "✗ Translation service: DeepL refused the key: check DEEPL_API_KEY" in out
    assert "5 problems to fix." in err
    assert "not-the-right-token" not in out + err and "wrong-key" not in out + err


async def test_a_webhook_that_telegram_cannot_reach(
    fake_telegram: FakeTelegram, fake_deepl: FakeDeepL, tmp_path: Path
) -> None:
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url)
    env |= {
        "TELEGRAM_WEBHOOK_URL": WEBHOOK,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "DEEPL_API_KEY": DEEPL_KEY,
        "DEEPL_URL": fake_deepl.url,
    }
    assert (await run(env, "db", "upgrade"))[0] == 0
    fake_telegram.webhook |= {
        "url": WEBHOOK,
        "pending_update_count": 12,
        "last_error_message": "SSL error {error:0A000086:SSL routines::certificate verify failed}",
    }

    status, out, _err = await run(env, "doctor")

    assert status == 1
    assert f"✗ Telegram webhook: Telegram cannot deliver to {WEBHOOK} (SSL error" in out
    assert "check the reverse proxy and its certificate; 12 updates are waiting" in out
    assert "✓ Translation service: DeepL, 1200 of 500000 characters used this month" in out

    fake_telegram.webhook |= {"url": "https://old.example.org/hook", "last_error_message": ""}
    status, out, _err = await run(env, "doctor")
    assert status == 1
    assert "Telegram sends updates to https://old.example.org/hook, not to" in out


async def test_the_checklist_in_french_and_spanish(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url)
    env["TELEGRAM_BOT_TOKEN"] = "999:not-the-right-token"
    env["LANG"] = "fr_FR.UTF-8"
    status, out, err = await run(env, "doctor")
    assert status == 1
    assert f"✗ Base de données{NBSP}: " in out
    assert "n’a encore aucune table" in out
    assert "2 problèmes à corriger." in err

    env["LANG"] = "es_ES.UTF-8"
    status, out, err = await run(env, "doctor")
    assert status == 1
    assert "✗ Base de datos: " in out
    assert "2 problemas por resolver." in err


async def test_whatsapp_its_number_its_templates_and_a_refused_token(
    fake_whatsapp: FakeWhatsApp, tmp_path: Path
) -> None:
    env = environment(tmp_path / "coordbot.sqlite3")
    env |= {
        "WHATSAPP_ACCESS_TOKEN": WHATSAPP_TOKEN,
        "WHATSAPP_PHONE_NUMBER_ID": PHONE_NUMBER_ID,
        "WHATSAPP_APP_SECRET": APP_SECRET,
        "WHATSAPP_VERIFY_TOKEN": VERIFY_TOKEN,
        "WHATSAPP_API_URL": fake_whatsapp.url,
    }
    assert (await run(env, "db", "upgrade"))[0] == 0
    status, out, err = await run(env, "doctor")
    assert status == 0, out + err
    lines = out.splitlines()
    assert "✓ WhatsApp settings" in lines
    assert f"✓ WhatsApp number: coordbot, {DISPLAY_PHONE_NUMBER}, quality GREEN" in lines
    assert (
        f"✓ WhatsApp templates: {len(load(TEMPLATES_FILE).kinds)} templates to have approved: "
        "coordbot whatsapp templates" in lines
    )

    env |= {"WHATSAPP_ACCESS_TOKEN": "EAAG-not-the-right-one", "WHATSAPP_TEMPLATES": "/nowhere"}
    status, out, err = await run(env, "doctor")
    assert status == 1 and "Traceback" not in err
    assert "✗ WhatsApp number: WhatsApp refused the access token" in out
    assert "✗ WhatsApp templates: cannot read the WhatsApp templates /nowhere" in out
    for secret in (WHATSAPP_TOKEN, "not-the-right-one", APP_SECRET, VERIFY_TOKEN):
        assert secret not in out + err


async def test_with_no_platform_the_three_are_named(tmp_path: Path) -> None:
    status, out, _err = await run(environment(tmp_path / "coordbot.sqlite3"), "doctor")
    assert status == 1
    assert (
        "✗ Chat platforms: none is configured: set TELEGRAM_BOT_TOKEN, SLACK_BOT_TOKEN, or "
        "WHATSAPP_ACCESS_TOKEN" in out
    )
