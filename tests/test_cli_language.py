"""The command line speaks the terminal's language: an operator on a French or Spanish terminal
reads the summaries and errors of `coordbot` in French or Spanish, an English one today's
English. Real processes, as an operator runs them."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.demo import DEMO_FILE, DEMO_PEOPLE_FILE

NBSP = "\u00a0"  # French puts a no-break space before ":" and ";"


def _coordbot(
    database: Path, language: dict[str, str], *args: str
) -> subprocess.CompletedProcess[str]:
    env = {
        "PATH": os.environ.get("PATH", "/usr/bin:/bin"),
        "COORDBOT_DATABASE_URL": f"sqlite:///{database}",
        **language,
    }
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        capture_output=True,
        text=True,
        env=env,
        timeout=60,
        check=False,
    )


def _people_with_one_nameless_row(tmp_path: Path) -> Path:
    """The demo's participants file plus one row without a name, which the import rejects."""
    lines = DEMO_PEOPLE_FILE.read_text(encoding="utf-8").splitlines()
    nameless = ",nobody@example.org,Nowhere,delegate,europe,BE,en,,,no,no,no"
    file = tmp_path / "participants.csv"
    file.write_text("\n".join([*lines, nameless]) + "\n", encoding="utf-8")
    return file


# What each terminal reads after loading the demo twice and importing its participants with one
# rejected row: (created, reloaded, unchanged, rejected row, import summary, unknown person).
EXPECTED = {
    "fr": (
        f"Création de puerto-vallarta-2017{NBSP}: 22 séances, 4 lieux, 3 tours des tables des "
        f"Actes (20 tables), 5 groupes de référence.",
        f"Mise à jour de puerto-vallarta-2017{NBSP}: 22 séances",
        "Aucune séance n’a changé.",
        f":83{NBSP}: refusée{NBSP}: le nom est manquant",
        f"Fiches créées{NBSP}: 81, mises à jour{NBSP}: 0{NBSP}; lignes refusées{NBSP}: 1.",
        "'nobody-at-all' ne désigne pas une seule personne",
    ),
    "es": (
        "Creación de puerto-vallarta-2017: 22 sesiones, 4 sedes, 3 rondas de las mesas de los "
        "Actos (20 mesas), 5 grupos de referencia.",
        "Actualización de puerto-vallarta-2017: 22 sesiones",
        "Ninguna sesión cambió.",
        ":83: rechazada: falta el nombre",
        "Fichas creadas: 81, actualizadas: 0; filas rechazadas: 1.",
        "'nobody-at-all' no designa a una sola persona",
    ),
    "en": (
        "Created puerto-vallarta-2017: 22 sessions, 4 venues, 3 table rounds (20 tables), "
        "5 reference groups.",
        "Updated puerto-vallarta-2017: 22 sessions",
        "No session changed.",
        ":83: rejected: the name is missing",
        "Created 81, updated 0, rejected 1.",
        "no single participant matches 'nobody-at-all'",
    ),
}


@pytest.mark.parametrize(
    ("terminal", "language"),
    [
        ({"LC_ALL": "fr_FR.UTF-8"}, "fr"),
        ({"LANG": "C.UTF-8", "LANGUAGE": "es"}, "es"),
        ({"LANG": "es_MX.UTF-8"}, "es"),
        ({"LANG": "en_GB.UTF-8"}, "en"),
        ({"LANG": "C.UTF-8"}, "en"),
    ],
    ids=["LC_ALL=fr_FR", "LANGUAGE=es", "LANG=es_MX", "LANG=en_GB", "LANG=C"],
)
def test_summaries_and_errors_follow_the_terminal_language(
    tmp_path: Path, terminal: dict[str, str], language: str
) -> None:
    created, reloaded, unchanged, rejected_row, imported, unknown = EXPECTED[language]
    database = tmp_path / "coordbot.sqlite3"

    first = _coordbot(database, terminal, "programme", "load", str(DEMO_FILE))
    assert first.returncode == 0, first.stderr
    assert created in first.stdout

    again = _coordbot(database, terminal, "programme", "load", str(DEMO_FILE))
    assert again.returncode == 0, again.stderr
    assert reloaded in again.stdout and unchanged in again.stdout

    people = _people_with_one_nameless_row(tmp_path)
    result = _coordbot(database, terminal, "participants", "import", str(people))
    assert result.returncode == 0, result.stderr
    assert rejected_row in result.stdout and imported in result.stdout

    nobody = _coordbot(database, terminal, "participants", "role", "nobody-at-all", "organiser")
    assert nobody.returncode == 1 and unknown in nobody.stderr
    assert "Traceback" not in nobody.stderr
