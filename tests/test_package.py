"""The built wheel, installed in a fresh virtualenv and run outside the checkout, works as the
checkout does: migrations, the demo files, the catalogs are in it.

Slow (it installs every dependency): `pytest -m package` runs it alone, `-m "not package"`
leaves it out."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from bot.paths import ROOT

pytestmark = [
    pytest.mark.package,
    pytest.mark.timeout(900),
    pytest.mark.skipif(not (ROOT / "pyproject.toml").is_file(), reason="needs the checkout"),
]


def _run(*args: str | Path, cwd: Path, env: dict[str, str], stdin: str = "") -> str:
    done = subprocess.run(
        [str(arg) for arg in args],
        cwd=cwd,
        env=env,
        input=stdin,
        capture_output=True,
        text=True,
        timeout=600,
        check=False,
    )
    assert done.returncode == 0, f"{args}\n{done.stdout}\n{done.stderr}"
    assert "Traceback" not in done.stderr
    return done.stdout


def test_the_installed_wheel_runs_the_demo_in_french_outside_the_checkout(tmp_path: Path) -> None:
    # pip's own settings (index, cache) kept; nothing that would find the checkout's code.
    base = {name: value for name, value in os.environ.items() if name != "PYTHONPATH"}
    wheels, venv, outside = tmp_path / "wheels", tmp_path / "venv", tmp_path / "outside"
    outside.mkdir()
    python = [sys.executable, "-m", "pip"]
    _run(*python, "wheel", "--no-deps", "--quiet", "-w", wheels, ROOT, cwd=tmp_path, env=base)
    (wheel,) = wheels.glob("coordbot-*.whl")
    _run(sys.executable, "-m", "venv", venv, cwd=tmp_path, env=base)
    _run(venv / "bin" / "python", "-m", "pip", "install", "--quiet", wheel, cwd=tmp_path, env=base)

    coordbot = venv / "bin" / "coordbot"
    env = {
        "PATH": f"{venv / 'bin'}:/usr/bin:/bin",
        "LANG": "C.UTF-8",
        "LANGUAGE": "fr",
        "COORDBOT_DATABASE_URL": f"sqlite:///{outside / 'coordbot.sqlite3'}",
    }
    migrated = _run(coordbot, "db", "upgrade", cwd=outside, env=env)
    assert "Base de données migrée" in migrated

    demo = Path(_run(coordbot, "demo", "path", cwd=outside, env=env).strip())
    assert not demo.is_relative_to(ROOT)
    programme = demo / "puerto-vallarta-2017.yaml"
    loaded = _run(coordbot, "programme", "load", programme, cwd=outside, env=env)
    assert "Création de puerto-vallarta-2017\u00a0: 22 séances" in loaded
    everyone = _run(coordbot, "demo", "load", cwd=outside, env=env)
    assert "Fiches créées\u00a0: 81" in everyone
    assert "Enquête evaluation créée" in everyone

    script = "/language fr\n/agenda 2017-12-02\n/quit\n"
    chat = _run(
        coordbot, "chat", "--as", "delegate", "--at", "2017-12-02 08:10",
        cwd=outside, env=env, stdin=script,
    )  # fmt: skip
    agenda = chat.split("> /agenda 2017-12-02")[1]
    assert "samedi 2 décembre 2017" in agenda
    assert "Jour 1 sur 2" in agenda  # from the catalog the wheel carries
    assert "Accueil, inscription et café" in agenda

    # The WhatsApp templates travel in the wheel, for the organiser to submit them to Meta.
    templates = _run(coordbot, "whatsapp", "templates", cwd=outside, env=env)
    assert "coordbot_reminder" in templates
    assert "Recordatorio de la reunión: {{1}}" in templates
