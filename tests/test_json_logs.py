"""LOG_FORMAT=json: one JSON object a line for a log collector, with no secret in it, not even in
a traceback."""

from __future__ import annotations

import io
import json
import logging
import subprocess
import sys
from pathlib import Path

from bot.logs import JsonLines, Redacted, RedactSecrets
from tests.support.demo import DEMO_FILE
from tests.support.fake_telegram import TOKEN, FakeTelegram
from tests.support.processes import environment, run, start, stop


async def test_coordbot_run_logs_json_lines(fake_telegram: FakeTelegram, tmp_path: Path) -> None:
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url)
    env |= {"LOG_FORMAT": "json", "HEALTH_PORT": "0"}
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    bot = await start(env, "--verbose", "run")
    await fake_telegram.wait_for("getMe", within=30)
    log = await stop(bot)
    entries = [json.loads(line) for line in log.splitlines() if line.strip()]
    assert entries and all({"time", "level", "logger", "message"} <= set(e) for e in entries)
    running = [e for e in entries if e["message"].startswith("coordbot is running")]
    assert running and running[0]["level"] == "WARNING"
    assert running[0]["logger"] == "bot.app.runner"
    assert TOKEN not in log and TOKEN.split(":")[1] not in log


def test_a_traceback_in_a_json_line_shows_no_secret() -> None:
    out = io.StringIO()
    handler = logging.StreamHandler(out)
    handler.setFormatter(Redacted(JsonLines(), [TOKEN]))
    handler.addFilter(RedactSecrets([TOKEN]))
    logger = logging.getLogger("tests.json_logs")
    logger.addHandler(handler)
    logger.propagate = False
    try:
        raise ConnectionError(f"cannot reach https://api.telegram.org/bot{TOKEN}/getMe")
    except ConnectionError:
        logger.exception("polling failed for bot%s", TOKEN)
    finally:
        logger.removeHandler(handler)
    [line] = out.getvalue().splitlines()
    entry = json.loads(line)
    assert entry["level"] == "ERROR" and entry["logger"] == "tests.json_logs"
    assert entry["message"] == "polling failed for bot[secret]"
    assert "ConnectionError" in entry["exception"] and "bot[secret]/getMe" in entry["exception"]
    assert TOKEN not in line


def test_an_unknown_log_format_is_a_clear_error(tmp_path: Path) -> None:
    env = environment(tmp_path / "coordbot.sqlite3")
    env["LOG_FORMAT"] = "xml"
    done = subprocess.run(
        [sys.executable, "-m", "bot", "db", "upgrade"],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 1
    assert "LOG_FORMAT must be text or json." in done.stderr
    assert "Traceback" not in done.stderr
