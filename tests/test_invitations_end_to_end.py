"""From the registry to linked Telegram accounts: import, invite, and two delegates open their
deep links against the fake Bot API."""

from __future__ import annotations

import asyncio
import csv
import signal
from pathlib import Path
from urllib.parse import parse_qs, urlparse

from tests.support.demo import DEMO_FILE, DEMO_PEOPLE_FILE
from tests.support.fake_telegram import BOT_USERNAME, FakeTelegram, text_message, user
from tests.support.processes import environment, run, start

PEOPLE = DEMO_PEOPLE_FILE


async def test_two_delegates_link_their_telegram_accounts_through_their_invitations(
    fake_telegram: FakeTelegram, tmp_path: Path
) -> None:
    env = environment(tmp_path / "coordbot.sqlite3", fake_telegram.url)
    assert (await run(env, "programme", "load", str(DEMO_FILE)))[0] == 0
    status, out, err = await run(env, "participants", "import", str(PEOPLE))
    assert status == 0, err
    status, out, err = await run(env, "participants", "invite", "--out", str(tmp_path / "inv"))
    assert status == 0, err
    assert "81 invitations written" in out
    with (tmp_path / "inv" / "invitations.csv").open(encoding="utf-8") as written:
        rows = list(csv.DictReader(written))
    assert len(rows) == 81 and len({r["code"] for r in rows}) == 81
    french = next(r for r in rows if r["language"] == "fr")
    spanish = next(r for r in rows if r["language"] == "es")
    assert (tmp_path / "inv" / french["qr_code"]).read_bytes().startswith(b"\x89PNG")

    def start_parameter(row: dict[str, str]) -> str:
        link = urlparse(row["telegram_link"])
        assert link.netloc == "t.me" and link.path == f"/{BOT_USERNAME}"
        return parse_qs(link.query)["start"][0]

    bot = await start(env, "run", "--at", "2017-12-02 08:10")
    try:
        await fake_telegram.wait_for("getMe", 2, within=30)  # one for invite, one for run
        first = user(501, language_code="en", first_name="A")
        second = user(502, language_code=None, first_name="B")
        await fake_telegram.push(text_message(f"/start {start_parameter(french)}", sender=first))
        [greeting] = await fake_telegram.wait_for("sendMessage", within=30)
        await fake_telegram.push(text_message(f"/start {start_parameter(spanish)}", sender=second))
        second_greeting = (await fake_telegram.wait_for("sendMessage", 2))[1]
        thief = user(503, language_code="fr", first_name="C")
        await fake_telegram.push(text_message(f"/start {start_parameter(french)}", sender=thief))
        refused = (await fake_telegram.wait_for("sendMessage", 3))[2]
    finally:
        bot.send_signal(signal.SIGTERM)
        await asyncio.wait_for(bot.wait(), 20)

    assert greeting.params["chat_id"] == "501"
    assert f"Bonjour {french['name']}" in greeting.params["text"]
    assert second_greeting.params["chat_id"] == "502"
    assert f"¡Hola, {spanish['name']}!" in second_greeting.params["text"]
    assert refused.params["chat_id"] == "503"
    assert french["name"] not in refused.params["text"]
    assert "déjà utilisée" in refused.params["text"] and "/lier" in refused.params["text"]

    # A lost phone: the organiser gives this one person a new code (the old one stops working).
    status, out, err = await run(
        env, "participants", "unlink", french["email"], "--platform", "telegram"
    )
    assert status == 0 and "1 chat account unlinked" in out and "--participant" in out, err
    again = tmp_path / "again"
    status, out, err = await run(
        env, "participants", "invite", "--participant", french["email"], "--out", str(again)
    )
    assert status == 0 and "1 invitation written" in out, err
    with (again / "invitations.csv").open(encoding="utf-8") as written:
        [renewed] = list(csv.DictReader(written))
    assert renewed["name"] == french["name"] and renewed["code"] != french["code"]
