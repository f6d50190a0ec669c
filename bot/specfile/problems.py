"""A mistake in a hand-written file, where it is, and the words for what a JSON schema found."""

from __future__ import annotations

import json
from dataclasses import dataclass
from typing import Any

from jsonschema import ValidationError

from bot.specfile.source import Path
from bot.text.i18n import _


@dataclass(frozen=True)
class Problem:
    file: str
    line: int | None
    path: str
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line else self.file
        return f"{where}: {self.path}: {self.message}" if self.path else f"{where}: {self.message}"


def dotted(path: Path) -> str:
    """('sessions', 3, 'start') → `sessions[3].start`."""
    text = ""
    for part in path:
        text += f"[{part}]" if isinstance(part, int) else (f".{part}" if text else part)
    return text


def schema_message(error: ValidationError) -> str:
    kind = error.validator
    # What jsonschema reports is untyped JSON.
    instance: Any = error.instance
    expected: Any = error.validator_value
    schema: Any = error.schema
    if kind == "required":
        missing = [name for name in expected if name not in instance]
        return _("missing field {fields}").format(fields=", ".join(missing))
    if kind == "additionalProperties":
        known = set(schema.get("properties", {}))
        unknown = sorted(str(name) for name in instance if name not in known)
        return _("unknown field {fields}").format(fields=", ".join(unknown))
    if kind == "enum":
        return _("{value} is not one of: {allowed}").format(
            value=json.dumps(instance, ensure_ascii=False),
            allowed=", ".join(str(item) for item in expected),
        )
    if kind == "pattern" and "[0-9]{4}" in str(expected) and ":" not in str(expected):
        return _("{value} is not a date written YYYY-MM-DD").format(
            value=json.dumps(instance, ensure_ascii=False)
        )
    if kind == "pattern" or kind == "oneOf":
        if kind == "oneOf" or "[0-9]{4}" in str(expected):
            return _("{value} is not a local time written YYYY-MM-DD HH:MM").format(
                value=json.dumps(instance, ensure_ascii=False)
            )
        return _("{value} is not a valid id (lowercase letters, digits, - and _)").format(
            value=json.dumps(instance, ensure_ascii=False)
        )
    if kind == "type":
        return _("expected {kind}, found {value}").format(
            kind=expected, value=json.dumps(instance, ensure_ascii=False)
        )
    if kind in ("minLength", "minItems", "minProperties"):
        return _("must not be empty")
    if kind == "uniqueItems":
        return _("lists the same value twice")
    if kind == "minimum":
        return _("must be at least {minimum}").format(minimum=expected)
    return error.message
