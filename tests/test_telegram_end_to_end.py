"""`coordbot run` as a real process against the fake Bot API: a French-speaking delegate chats."""

from __future__ import annotations

from pathlib import Path

from tests.support.demo import DEMO_FILE
from tests.support.fake_telegram import TOKEN, FakeTelegram, button_press, text_message
from tests.support.processes import environment, run, start, stop


async def test_a_french_delegate_switches_to_spanish_and_browses_the_agenda(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url)
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0

    bot = await start(env, "--verbose", "run", "--at", "2017-12-02 08:10")
    try:
        await fake_telegram.wait_for("getMe", within=30)
        await fake_telegram.push(text_message("/start"))
        [welcome] = await fake_telegram.wait_for("sendMessage", within=30)
        assert "Bonjour" in welcome.params["text"]

        # The welcome's language button, pressed: the message is edited in place, in Spanish.
        buttons = [b for row in welcome.params["reply_markup"]["inline_keyboard"] for b in row]
        spanish = next(b for b in buttons if "Español" in b["text"])
        await fake_telegram.push(button_press(spanish["callback_data"], message_id=1))
        [switched] = await fake_telegram.wait_for("editMessageText")
        assert "A partir de ahora le escribiré en español" in switched.params["text"]
        assert fake_telegram.of("answerCallbackQuery")

        await fake_telegram.push(text_message("/programa"))
        agenda = (await fake_telegram.wait_for("sendMessage", 2))[1]
        # A guest sees what is open to all: Day 1 is for civil society only.
        assert "domingo, 3 de diciembre de 2017" in agenda.params["text"]
        assert "Registro y café" in agenda.params["text"]
        assert "Mesas pequeñas con gobiernos" in agenda.params["text"]
    finally:
        log = await stop(bot)
    assert TOKEN not in log and TOKEN.split(":")[1] not in log
    assert "stopping" in log


async def test_run_with_a_refused_token_says_so_without_a_traceback(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url)
    env["TELEGRAM_BOT_TOKEN"] = "999:not-the-right-token"
    status, _out, err = await run(env, "run")
    assert status == 1
    assert "Telegram refused the bot token" in err
    assert "Traceback" not in err
    assert "not-the-right-token" not in err


async def test_a_webhook_without_a_secret_is_refused(tmp_path: Path) -> None:
    env = environment(tmp_path / "coordbot.sqlite3", "http://127.0.0.1:9")
    env["TELEGRAM_WEBHOOK_URL"] = "https://bot.example.org/telegram"
    status, _out, err = await run(env, "run")
    assert status == 1
    assert "TELEGRAM_WEBHOOK_SECRET" in err
