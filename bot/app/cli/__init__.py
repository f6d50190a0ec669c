"""The `coordbot` command (also `python -m bot`): the root group; each command group lives in
its own module of this package."""

from __future__ import annotations

import os

import click
from babel import default_locale

from bot.app.cli import (
    database,
    demo,
    doctor,
    export,
    floor,
    people,
    programme,
    retention,
    serve,
    survey,
    tables,
    whatsapp,
)
from bot.app.envfile import load_env_file
from bot.config import ConfigurationError, Settings
from bot.logs import configure as configure_logging
from bot.logs import log_format
from bot.platforms import PLATFORMS
from bot.text.i18n import negotiate, set_process_language
from bot.translation.settings import SECRET_NAMES as TRANSLATION_SECRETS


@click.group()
@click.option("-v", "--verbose", is_flag=True, help="Log more.")
@click.pass_context
def main(context: click.Context, verbose: bool) -> None:
    """coordbot: coordinates an international meeting over chat, in English, French and Spanish.

    The database is COORDBOT_DATABASE_URL (a SQLite file coordbot.sqlite3 by default).
    Settings are read from the environment and from .env in this folder (or the file
    COORDBOT_ENV_FILE names); the environment wins."""
    set_process_language(terminal_language())
    try:
        load_env_file()  # before the settings, LOG_FORMAT included
        configure_logging(verbose, secrets=_secrets_in_environment(), style=log_format())
    except ConfigurationError as error:
        raise click.ClickException(str(error)) from error
    context.obj = Settings.from_env()


def terminal_language() -> str | None:
    """The language of the terminal, for what the command line prints (its help texts stay
    English): the first of LC_MESSAGES, LANGUAGE, LC_ALL and LANG that is set.

    LANG comes before LC_CTYPE, which Babel reads first otherwise: when the terminal's locale
    (say `LANG=fr_FR.UTF-8`) is not installed, Python itself sets `LC_CTYPE=C.UTF-8` in its
    environment (PEP 538), and the French operator would read English."""
    return negotiate(default_locale(("LC_MESSAGES", "LANGUAGE", "LC_ALL", "LANG")))


def _secrets_in_environment() -> list[str]:
    names = [name for platform in PLATFORMS for name in platform.secret_names]
    names += TRANSLATION_SECRETS
    return [os.environ[name] for name in names if os.environ.get(name)]


main.add_command(serve.run)
main.add_command(database.db)
main.add_command(programme.programme)
main.add_command(people.participants)
main.add_command(tables.tables_group)
main.add_command(survey.survey_group)
main.add_command(floor.floor_group)
main.add_command(whatsapp.whatsapp_group)
main.add_command(retention.purge)
main.add_command(export.export)
main.add_command(demo.demo)
main.add_command(serve.chat)
main.add_command(doctor.doctor)
