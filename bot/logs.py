"""Logging set-up: readable lines (or JSON lines, LOG_FORMAT=json), and no secret ever written
to a log."""

from __future__ import annotations

import json
import logging
import os
from collections.abc import Iterable
from datetime import UTC, datetime

from bot.config import ConfigurationError

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"


class RedactSecrets(logging.Filter):
    """Replaces secrets (bot tokens…) wherever they would appear in a log line, whoever logs it:
    HTTP libraries put the Bot API URL, token included, in their messages."""

    def __init__(self, secrets: Iterable[str]) -> None:
        super().__init__()
        self.secrets = [secret for secret in secrets if secret]

    def filter(self, record: logging.LogRecord) -> bool:
        message = record.getMessage()
        if any(secret in message for secret in self.secrets):
            for secret in self.secrets:
                message = message.replace(secret, "[secret]")
            record.msg, record.args = message, None
        return True


class JsonLines(logging.Formatter):
    """One JSON object a line, for a log collector: time (UTC), level, logger, message, and the
    exception's traceback when there is one."""

    def format(self, record: logging.LogRecord) -> str:
        entry = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": record.getMessage(),
        }
        if record.exc_info:
            entry["exception"] = self.formatException(record.exc_info)
        elif record.exc_text:
            entry["exception"] = record.exc_text
        return json.dumps(entry, ensure_ascii=False)


class Redacted(logging.Formatter):
    """`inner`'s line with the secrets replaced: a traceback may quote a URL that holds one,
    which the filter, reading only the message, cannot see."""

    def __init__(self, inner: logging.Formatter, secrets: Iterable[str]) -> None:
        super().__init__()
        self.inner = inner
        self.secrets = [secret for secret in secrets if secret]

    def format(self, record: logging.LogRecord) -> str:
        line = self.inner.format(record)
        for secret in self.secrets:
            line = line.replace(secret, "[secret]")
        return line


def log_format() -> str:
    """LOG_FORMAT: `text` (the default) or `json`."""
    chosen = os.environ.get("LOG_FORMAT", "").strip().lower() or "text"
    if chosen not in ("text", "json"):
        raise ConfigurationError("LOG_FORMAT must be text or json.")
    return chosen


def configure(verbose: bool, secrets: Iterable[str] = (), style: str = "text") -> None:
    secrets = list(secrets)
    handler = logging.StreamHandler()
    inner = JsonLines() if style == "json" else logging.Formatter(TEXT_FORMAT)
    handler.setFormatter(Redacted(inner, secrets))
    handler.addFilter(RedactSecrets(secrets))
    root = logging.getLogger()
    root.handlers[:] = [handler]
    root.setLevel(logging.INFO if verbose else logging.WARNING)
    # One line per HTTP request is noise, and those lines carry the token in the URL.
    for noisy in ("httpx", "httpcore", "aiohttp.access"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    # Two lines for each run of a scheduled job, several jobs a second: the jobs log what they
    # did themselves (a failure, the reminders queued).
    logging.getLogger("apscheduler.executors").setLevel(logging.WARNING)
