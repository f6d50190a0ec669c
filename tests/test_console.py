"""`coordbot chat`: the console, scripted through standard input, as a new user would run it."""

from __future__ import annotations

import asyncio
import os
import subprocess
import sys
from pathlib import Path

from tests.support.demo import DEMO_FILE, DEMO_PEOPLE_FILE
from tests.support.fake_translation import LIBRE_KEY, FakeLibreTranslate

PEOPLE_FILE = DEMO_PEOPLE_FILE


def _coordbot(
    database: Path, *args: str, stdin: str = "", env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "LANG": "C.UTF-8",
        "COORDBOT_DATABASE_URL": f"sqlite:///{database}",
        **(env or {}),
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        input=stdin,
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def test_the_demo_in_a_terminal(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    loaded = _coordbot(database, "programme", "load", str(DEMO_FILE))
    assert loaded.returncode == 0, loaded.stderr
    assert "Created puerto-vallarta-2017: 22 sessions" in loaded.stdout
    imported = _coordbot(database, "participants", "import", str(PEOPLE_FILE))
    assert imported.returncode == 0, imported.stderr
    assert "rejected 0" in imported.stdout

    script = "/language fr\n/agenda 2017-12-02\n/language\n3\n/agenda 2017-12-02\n/next\n/quit\n"
    chat = _coordbot(database, "chat", "--as", "delegate", "--at", "2017-12-02 08:10", stdin=script)

    assert chat.returncode == 0, chat.stderr
    assert "Traceback" not in chat.stderr
    french, spanish = chat.stdout.split("> /agenda 2017-12-02")[1:3]
    assert "samedi 2 décembre 2017" in french
    assert "Accueil, inscription et café" in french
    assert "[1] English  [2] Français  [3] Español" in chat.stdout
    assert "sábado, 2 de diciembre de 2017" in spanish
    assert "Registro y café" in spanish
    assert "A continuación" in spanish  # /next, on the first morning


def test_reloading_prints_no_change(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    _coordbot(database, "programme", "load", str(DEMO_FILE))
    again = _coordbot(database, "programme", "load", str(DEMO_FILE))
    assert again.returncode == 0
    assert "No session changed." in again.stdout


def test_chat_as_an_unknown_person_says_so_without_a_traceback(tmp_path: Path) -> None:
    database = tmp_path / "demo.sqlite3"
    _coordbot(database, "programme", "load", str(DEMO_FILE))
    result = _coordbot(database, "chat", "--as", "nobody-at-all")
    assert result.returncode != 0
    assert "no single participant matches" in result.stderr
    assert "Traceback" not in result.stderr


def test_an_unreachable_database_is_a_clear_message(tmp_path: Path) -> None:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "LANG": "C.UTF-8",
        "COORDBOT_DATABASE_URL": "postgresql://nobody@127.0.0.1:9/none",
    }
    result = subprocess.run(
        [sys.executable, "-m", "bot", "programme", "load", str(DEMO_FILE)],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )
    assert result.returncode == 1
    assert "Traceback" not in result.stderr
    assert "database" in result.stderr


async def test_a_post_translated_for_another_console_user(
    tmp_path: Path, fake_libretranslate: FakeLibreTranslate
) -> None:
    """`coordbot chat` with TRANSLATE_URL: Fatoumata (French) joins a group; Itzel posts in
    Spanish; Fatoumata's copy, shown in the terminal, is in French, with the line under it."""
    database = tmp_path / "demo.sqlite3"
    assert _coordbot(database, "programme", "load", str(DEMO_FILE)).returncode == 0
    assert _coordbot(database, "participants", "import", str(PEOPLE_FILE)).returncode == 0
    translating = {"TRANSLATE_URL": fake_libretranslate.url, "TRANSLATE_API_KEY": LIBRE_KEY}
    at = ("--at", "2017-12-02 08:10")

    fatoumata = await _chat(
        database, translating, "fatoumata.keita@example.org", at, "/subscribe firewalls\n"
    )
    assert "Traceback" not in fatoumata.stderr and fatoumata.returncode == 0, fatoumata.stderr
    post = "/post firewalls Hola a todos: la reunión del grupo es mañana.\n"
    itzel = await _chat(
        database, translating, "itzel.hernandez@example.org", at, "/subscribe firewalls\n" + post
    )

    assert itzel.returncode == 0, itzel.stderr
    assert "[fr] Hola a todos: la reunión del grupo es mañana." in itzel.stdout
    assert "Traduction automatique de l’espagnol · Voir l’original" in itzel.stdout
    assert len(fake_libretranslate.of("translate")) <= 2  # English and French, once each


async def _chat(
    database: Path, env: dict[str, str], who: str, at: tuple[str, str], script: str
) -> subprocess.CompletedProcess[str]:
    """`coordbot chat --as WHO` in a process of its own, while this test's loop serves the
    fake translation server."""
    args = ("chat", "--as", who, *at)
    return await asyncio.to_thread(_coordbot, database, *args, stdin=script + "/quit\n", env=env)
