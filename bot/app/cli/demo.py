"""`coordbot demo …`: the demo meeting shipped in the package (Puerto Vallarta 2017, fictional
participants), to try the bot or to start one's own files from."""

from __future__ import annotations

import click

from bot.app.cli import people, programme, survey
from bot.paths import EVENTS
from bot.text.i18n import _

PROGRAMME = EVENTS / "puerto-vallarta-2017.yaml"
PARTICIPANTS = EVENTS / "puerto-vallarta-2017-participants.csv"
SURVEY = EVENTS / "puerto-vallarta-2017-survey.yaml"
TRY_IT = "coordbot chat --as delegate --at '2017-12-02 08:10'"


@click.group()
def demo() -> None:
    """The demo meeting: load it to try the bot, or copy its files to write your own."""


@demo.command()
@click.pass_context
def load(context: click.Context) -> None:
    """Load the demo programme, its participants and its survey into the database."""
    context.invoke(programme.load, file=PROGRAMME, as_json=False)
    context.invoke(people.import_, file=PARTICIPANTS, dry_run=False)
    context.invoke(survey.load_survey, file=SURVEY)
    click.echo(_("Now chat with the bot as a delegate: {command}").format(command=TRY_IT))


@demo.command()
def path() -> None:
    """Print the folder that holds the demo files."""
    click.echo(EVENTS)
