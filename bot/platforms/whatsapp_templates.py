"""WhatsApp's approved message templates (whatsapp_templates.yaml): which template carries each
notice kind outside the 24-hour window, and its parameter filled within Meta's rules."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import yaml

from bot.config import ConfigurationError
from bot.text import markup
from bot.text.i18n import LANGUAGES

# Meta's limits: a template's body with its parameters filled in, and what a parameter may
# hold (no newline or tab, never more than four spaces in a row).
BODY_LIMIT = 1024
PARAMETER = "{{1}}"
_SPACES = re.compile(r"[ \u00a0]{4,}")
_NAME = re.compile(r"[a-z0-9_]{1,512}")
CATEGORIES = ("UTILITY", "MARKETING", "AUTHENTICATION")


@dataclass(frozen=True)
class Template:
    """One approved template in one language."""

    notice: str  # the notice kind it carries
    name: str  # its name at Meta
    category: str
    language: str  # Meta's language code (ours: en, fr, es)
    body: str  # with {{1}}
    example: str

    def parameter(self, text: str) -> str:
        """A notice's text (our markup) as this template's one parameter: plain text on one
        line, cut so that the body stays within Meta's limit."""
        line = " · ".join(part.strip() for part in markup.to_plain(text).splitlines())
        line = _SPACES.sub("   ", line.replace("\t", " ").strip(" ·")) or "…"
        room = BODY_LIMIT - (len(self.body) - len(PARAMETER))
        return line if len(line) <= room else line[: room - 1].rstrip() + "…"

    def filled(self, text: str) -> str:
        """The body as the person reads it."""
        return self.body.replace(PARAMETER, self.parameter(text))


@dataclass(frozen=True)
class Templates:
    """Every template of the file, by notice kind and language."""

    templates: tuple[Template, ...]

    def find(self, notice: str | None, language: str | None) -> Template | None:
        for template in self.templates:
            if template.notice == notice and template.language == language:
                return template
        return None

    @property
    def kinds(self) -> list[str]:
        return sorted({template.notice for template in self.templates})


def load(path: Path) -> Templates:
    """The templates file, checked: a mistake names the template and what is wrong."""
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (OSError, UnicodeDecodeError, yaml.YAMLError) as error:
        raise ConfigurationError(f"cannot read the WhatsApp templates {path}: {error}") from error
    entries = data.get("templates") if isinstance(data, dict) else None
    if not isinstance(entries, list):
        raise ConfigurationError(f"{path}: expected a list under `templates`")
    found: list[Template] = []
    for entry in entries:
        found.extend(_entry(path, entry))
    # One template per notice kind, one kind per name: else which one is sent would be a guess.
    for attribute in ("notice", "name"):
        values = [getattr(template, attribute) for template in found]
        twice = sorted({value for value in values if values.count(value) > len(LANGUAGES)})
        if twice:
            raise ConfigurationError(f"{path}: more than one template for {attribute} {twice[0]}")
    return Templates(tuple(found))


def _entry(path: Path, entry: Any) -> list[Template]:
    if not isinstance(entry, dict):
        raise ConfigurationError(f"{path}: each template is a mapping")
    name = str(entry.get("name", ""))
    where = f"{path}: template {name or '?'}"
    if not _NAME.fullmatch(name):
        raise ConfigurationError(f"{where}: a name is lower-case letters, digits and _")
    notice = entry.get("notice")
    if not isinstance(notice, str) or not _NAME.fullmatch(notice):
        raise ConfigurationError(f"{where}: `notice` names the notice kind it carries")
    category = entry.get("category")
    if category not in CATEGORIES:
        raise ConfigurationError(f"{where}: category must be one of {', '.join(CATEGORIES)}")
    bodies, examples = entry.get("body"), entry.get("example")
    if not isinstance(bodies, dict) or not isinstance(examples, dict):
        raise ConfigurationError(f"{where}: `body` and `example` give a text per language")
    result = []
    for language in LANGUAGES:
        body, example = bodies.get(language), examples.get(language)
        if not isinstance(body, str) or not isinstance(example, str):
            raise ConfigurationError(f"{where}: no body or example in {language}")
        if body.count(PARAMETER) != 1 or re.search(r"\{\{(?!1\}\})", body):
            raise ConfigurationError(f"{where} ({language}): the body holds {PARAMETER} once")
        if body.strip().startswith(PARAMETER) or body.strip().endswith(PARAMETER):
            raise ConfigurationError(
                f"{where} ({language}): Meta refuses a body that starts or ends with {PARAMETER}"
            )
        if re.search(r"[\n\t]", example) or _SPACES.search(example) or not example.strip():
            raise ConfigurationError(
                f"{where} ({language}): the example is one line, as the parameter will be"
            )
        if len(body) - len(PARAMETER) + len(example) > BODY_LIMIT:
            raise ConfigurationError(
                f"{where} ({language}): longer than {BODY_LIMIT} characters with the example"
            )
        result.append(Template(notice, name, category, language, body, example))
    return result
