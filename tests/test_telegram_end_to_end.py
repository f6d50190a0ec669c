"""`coordbot run` as a real process against the fake Bot API: a French-speaking delegate chats."""

from __future__ import annotations

import asyncio
import os
import signal
import sys
from pathlib import Path

from tests.conftest import DEMO_FILE
from tests.support.fake_telegram import TOKEN, FakeTelegram, button_press, text_message


def _environment(database: Path, api_url: str) -> dict[str, str]:
    return {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "COORDBOT_DATABASE_URL": f"sqlite:///{database}",
        "TELEGRAM_BOT_TOKEN": TOKEN,
        "TELEGRAM_API_URL": api_url,
    }


async def _coordbot(env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def test_a_french_delegate_switches_to_spanish_and_browses_the_agenda(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = _environment(tmp_path / "coordbot.sqlite3", fake_telegram.url)
    load = await _coordbot(env, "programme", "load", str(DEMO_FILE))
    assert await load.wait() == 0

    bot = await _coordbot(env, "--verbose", "run", "--at", "2017-12-02 08:10")
    try:
        await fake_telegram.wait_for("getMe", within=30)
        await fake_telegram.push(text_message("/start"))
        [welcome] = await fake_telegram.wait_for("sendMessage", within=30)
        assert "Bonjour" in welcome.params["text"]

        await fake_telegram.push(text_message("/language es"))
        switched = (await fake_telegram.wait_for("sendMessage", 2))[1]
        assert "A partir de ahora le escribiré en español" in switched.params["text"]

        await fake_telegram.push(text_message("/agenda"))
        agenda = (await fake_telegram.wait_for("sendMessage", 3))[2]
        assert "sábado, 2 de diciembre de 2017" in agenda.params["text"]
        assert "Registro y café" in agenda.params["text"]
        buttons = [b for row in agenda.params["reply_markup"]["inline_keyboard"] for b in row]
        next_day = next(b for b in buttons if "»" in b["text"])
        assert next_day["text"] == "dom, 3 dic »"

        await fake_telegram.push(button_press(next_day["callback_data"], message_id=3))
        [edited] = await fake_telegram.wait_for("editMessageText")
        assert "domingo, 3 de diciembre de 2017" in edited.params["text"]
        assert "Mesas pequeñas con gobiernos" in edited.params["text"]
        assert fake_telegram.of("answerCallbackQuery")
    finally:
        bot.send_signal(signal.SIGTERM)
        status = await asyncio.wait_for(bot.wait(), 20)
        _out, err = await bot.communicate()
    log = err.decode()
    assert status == 0, log
    assert "Traceback" not in log
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "stopping" in log


async def test_run_with_a_refused_token_says_so_without_a_traceback(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = _environment(tmp_path / "coordbot.sqlite3", fake_telegram.url)
    env["TELEGRAM_BOT_TOKEN"] = "999:not-the-right-token"
    bot = await _coordbot(env, "run")
    _out, err = await asyncio.wait_for(bot.communicate(), 60)
    assert bot.returncode == 1
    assert "Telegram refused the bot token" in err.decode()
    assert "Traceback" not in err.decode()
    assert "not-the-right-token" not in err.decode()


async def test_a_webhook_without_a_secret_is_refused(tmp_path: Path) -> None:
    env = _environment(tmp_path / "coordbot.sqlite3", "http://127.0.0.1:9")
    env["TELEGRAM_WEBHOOK_URL"] = "https://bot.example.org/telegram"
    bot = await _coordbot(env, "run")
    _out, err = await asyncio.wait_for(bot.communicate(), 60)
    assert bot.returncode == 1
    assert "TELEGRAM_WEBHOOK_SECRET" in err.decode()
