"""Settings from a `.env` file: read once at start, before any setting, into the environment,
where every settings class reads them. A variable already set in the environment wins."""

from __future__ import annotations

import io
import os
from pathlib import Path

from dotenv import load_dotenv
from dotenv.parser import parse_stream

from bot.config import ConfigurationError
from bot.text.i18n import _

ENV_FILE_VARIABLE = "COORDBOT_ENV_FILE"


def load_env_file() -> Path | None:
    """Read COORDBOT_ENV_FILE, else `.env` in the working directory when there is one; return
    the file read. A named file that is missing, or a line that is not NAME=value, is a
    ConfigurationError that says where."""
    named = os.environ.get(ENV_FILE_VARIABLE, "").strip()
    path = Path(named) if named else Path(".env")
    if not path.is_file():
        if named:
            message = _("{variable} names {path}, which is not a file.")
            raise ConfigurationError(message.format(variable=ENV_FILE_VARIABLE, path=path))
        return None
    try:
        text = path.read_text(encoding="utf-8")
    except (OSError, UnicodeDecodeError) as error:
        reason = getattr(error, "strerror", None) or str(error)
        message = _("{path} cannot be read: {reason}")
        raise ConfigurationError(message.format(path=path, reason=reason)) from error
    for binding in parse_stream(io.StringIO(text)):
        if binding.error:
            # The parser counts the blank lines before a bad line as part of it.
            start = binding.original.string
            line = binding.original.line + start[: len(start) - len(start.lstrip())].count("\n")
            message = _("{path}, line {line}: write each setting as NAME=value.")
            raise ConfigurationError(message.format(path=path, line=line))
    load_dotenv(stream=io.StringIO(text), override=False)
    return path
