"""`coordbot whatsapp …`: what an organiser submits to Meta for the bot's WhatsApp number."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import click

from bot.config import ConfigurationError
from bot.platforms.whatsapp_settings import TEMPLATES_FILE
from bot.platforms.whatsapp_templates import PARAMETER, Template, load
from bot.text.formatting import number
from bot.text.i18n import _, ngettext


@click.group("whatsapp")
def whatsapp_group() -> None:
    """WhatsApp's Cloud API: the message templates to have approved (docs/whatsapp.md)."""


@whatsapp_group.command("templates")
@click.option(
    "--file",
    "file",
    envvar="WHATSAPP_TEMPLATES",
    type=click.Path(dir_okay=False, path_type=Path),
    help="The templates file (default: WHATSAPP_TEMPLATES, else the one shipped with coordbot).",
)
@click.option(
    "--format",
    "output",
    default="text",
    type=click.Choice(["text", "json"]),
    help="text: to paste into WhatsApp Manager; json: one object per template and language, "
    "as Meta's API creates them (POST /WABA_ID/message_templates).",
)
def templates(file: Path | None, output: str) -> None:
    """Print each message template, in each language, as WhatsApp Manager asks for it: name,
    category, language, body and a sample value for its parameter."""
    path = file or TEMPLATES_FILE
    try:
        found = load(path).templates
    except ConfigurationError as error:
        raise click.ClickException(" ".join(str(error).split())) from error  # one line
    if output == "json":
        click.echo(json.dumps([api_request(t) for t in found], ensure_ascii=False, indent=2))
        return
    text = ngettext(
        "{count} template to create in WhatsApp Manager (Message templates → Create template):",
        "{count} templates to create in WhatsApp Manager (Message templates → Create template):",
        len(found),
    )
    click.echo(text.format(count=number(len(found))))
    for template in found:
        click.echo()
        click.echo(described(template))


def described(template: Template) -> str:
    """One template as the fields of WhatsApp Manager's form, in their order."""
    return "\n".join(
        [
            _("Name: {name}").format(name=template.name),
            _("Category: {category}").format(category=template.category),
            _("Language: {language}").format(language=template.language),
            _("Body:"),
            template.body,
            _("Sample for {parameter}: {sample}").format(
                parameter=PARAMETER, sample=template.example
            ),
        ]
    )


def api_request(template: Template) -> dict[str, Any]:
    """The body of Meta's "create message template" request for one template and language."""
    return {
        "name": template.name,
        "language": template.language,
        "category": template.category,
        "components": [
            {
                "type": "BODY",
                "text": template.body,
                "example": {"body_text": [[template.example]]},
            }
        ],
    }
