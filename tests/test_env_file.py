"""`.env`: settings written in a file beside where `coordbot` runs, the environment winning."""

from __future__ import annotations

import asyncio
import os
import sys
from pathlib import Path

from tests.support.fake_telegram import TOKEN, FakeTelegram, text_message
from tests.support.processes import stop


def _environment(**more: str) -> dict[str, str]:
    return {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8", **more}


async def _start(folder: Path, env: dict[str, str], *args: str) -> asyncio.subprocess.Process:
    return await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "bot",
        *args,
        cwd=folder,
        env=env,
        stdout=asyncio.subprocess.PIPE,
        stderr=asyncio.subprocess.PIPE,
    )


async def _run(folder: Path, env: dict[str, str], *args: str) -> tuple[int, str, str]:
    process = await _start(folder, env, *args)
    out, err = await asyncio.wait_for(process.communicate(), 120)
    assert process.returncode is not None
    return process.returncode, out.decode(), err.decode()


async def test_the_bot_runs_on_the_settings_of_its_env_file(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    (tmp_path / ".env").write_text(
        "# The bot's settings\n"
        f'TELEGRAM_BOT_TOKEN="{TOKEN}"\n'
        f"export TELEGRAM_API_URL={fake_telegram.url}\n"
        "\n"
        "COORDBOT_DATABASE_URL=sqlite:///bot.sqlite3  # beside the .env\n",
        encoding="utf-8",
    )
    bot = await _start(tmp_path, _environment(), "run")
    try:
        await fake_telegram.wait_for("getMe", within=30)
        await fake_telegram.push(text_message("/start"))
        [welcome] = await fake_telegram.wait_for("sendMessage", within=30)
        assert "Bonjour" in welcome.params["text"]
    finally:
        log = await stop(bot)
    assert (tmp_path / "bot.sqlite3").is_file()
    assert TOKEN.split(":")[1] not in log


async def test_the_environment_wins_over_the_file(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text("COORDBOT_DATABASE_URL=sqlite:///from-file.sqlite3\n")
    env = _environment(COORDBOT_DATABASE_URL="sqlite:///from-environment.sqlite3")
    status, _out, err = await _run(tmp_path, env, "db", "upgrade")
    assert status == 0, err
    assert (tmp_path / "from-environment.sqlite3").is_file()
    assert not (tmp_path / "from-file.sqlite3").exists()


async def test_coordbot_env_file_names_another_file(tmp_path: Path) -> None:
    settings = tmp_path / "settings" / "coordbot.env"
    settings.parent.mkdir()
    settings.write_text(f"COORDBOT_DATABASE_URL=sqlite:///{tmp_path / 'named.sqlite3'}\n")
    status, _out, err = await _run(
        tmp_path, _environment(COORDBOT_ENV_FILE=str(settings)), "db", "upgrade"
    )
    assert status == 0, err
    assert (tmp_path / "named.sqlite3").is_file()

    missing = _environment(COORDBOT_ENV_FILE=str(tmp_path / "nowhere.env"))
    status, _out, err = await _run(tmp_path, missing, "db", "upgrade")
    assert status == 1
    assert "COORDBOT_ENV_FILE names" in err and "nowhere.env" in err
    assert "Traceback" not in err


async def test_a_malformed_line_is_named_in_the_readers_language(tmp_path: Path) -> None:
    (tmp_path / ".env").write_text(
        "COORDBOT_DATABASE_URL=sqlite:///bot.sqlite3\n\nTELEGRAM BOT TOKEN is 123:abc\n"
    )
    status, _out, err = await _run(tmp_path, _environment(), "db", "upgrade")
    assert status == 1
    assert ".env, line 3: write each setting as NAME=value." in err
    assert "Traceback" not in err
    assert not (tmp_path / "bot.sqlite3").exists()

    status, _out, err = await _run(tmp_path, _environment(LANGUAGE="es"), "db", "upgrade")
    assert status == 1
    assert ".env, línea 3" in err
    assert "Traceback" not in err
