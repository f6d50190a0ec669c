"""Settings read from the environment: the process's own and the mailing list's, and the rules
every setting is read by. Each chat platform's settings live beside its adapter
(bot/platforms/*_settings.py). Secrets never appear in a repr."""

from __future__ import annotations

import os
from dataclasses import dataclass, field

from bot.text.numbers import MAX_NUMBER, parse_decimal, parse_number

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///coordbot.sqlite3"


class ConfigurationError(ValueError):
    """A setting is missing or wrong; the message says which and how to fix it (never what the
    setting holds: it may be a secret)."""


@dataclass(frozen=True)
class Settings:
    database_url: str
    event: str | None

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("COORDBOT_DATABASE_URL") or DEFAULT_DATABASE_URL,
            event=os.environ.get("COORDBOT_EVENT") or None,
        )


def _words(name: str) -> tuple[str, ...]:
    """A comma-separated variable as lowercase items."""
    return tuple(
        item.strip().lower() for item in os.environ.get(name, "").split(",") if item.strip()
    )


def number_setting(name: str, default: int, minimum: int = 0, maximum: int = MAX_NUMBER) -> int:
    """A whole number from the environment (ASCII digits), from `minimum` to `maximum`."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    number = parse_number(text, minimum=minimum, maximum=maximum)
    if number is None:
        raise ConfigurationError(f"{name} must be a whole number from {minimum} to {maximum}.")
    return number


def port_setting(name: str, default: int) -> int:
    """A TCP port from the environment."""
    return number_setting(name, default, minimum=1, maximum=65535)


def rate_setting(name: str, default: float) -> float:
    """A rate of messages (a second or a minute): more than 0, at most 1000."""
    text = os.environ.get(name, "").strip()
    if not text:
        return default
    rate = parse_decimal(text, minimum=0.01, maximum=1000)
    if rate is None:
        raise ConfigurationError(f"{name} must be a number from 0.01 to 1000, such as 30 or 0.5.")
    return rate


@dataclass(frozen=True)
class ImapSettings:
    """A mailbox the list delivers to, read over IMAP (TLS unless `tls` is off)."""

    host: str
    user: str
    password: str = field(repr=False)
    port: int = 993
    tls: bool = True
    folder: str = "INBOX"
    poll_seconds: int = 60  # between checks when the server offers no IDLE


@dataclass(frozen=True)
class MailSettings:
    """The mailing list relayed into chat (docs/mailing-list.md): which list is taken, and the
    ways mail comes in: an SMTP receiver the list delivers to, an IMAP mailbox, or both."""

    list_ids: tuple[str, ...]  # List-Id values taken (`actioncommittee.lists.example.org`)
    allowed_senders: tuple[str, ...] = ()  # addresses or @domains; empty: any sender
    smtp_listen: str = "127.0.0.1"
    smtp_port: int | None = None  # the SMTP receiver runs when set
    imap: ImapSettings | None = None
    attachment_limit: int = 2_000_000  # bytes: larger attachments are listed, not forwarded
    attachment_files: int = 5  # more attachments than this are listed in one message, not sent
    read_seconds: int = 20  # a mail read longer than this is kept as failed (too_slow)
    # …and one that needs more memory than this (too_big): the worker's whole address space,
    # some 30 MB of which is Python and the parser, so a mail adds at most ~256 MB.
    read_memory_mb: int = 288

    def takes_sender(self, address: str) -> bool:
        address = address.lower()
        if not self.allowed_senders:
            return True
        domain = "@" + address.rpartition("@")[2]
        return address in self.allowed_senders or domain in self.allowed_senders

    @classmethod
    def from_env(cls) -> MailSettings | None:
        list_ids = tuple(item.strip("<>") for item in _words("MAIL_LIST_IDS"))
        smtp_port = os.environ.get("MAIL_SMTP_PORT", "").strip()
        imap_host = os.environ.get("MAIL_IMAP_HOST", "").strip()
        if not list_ids:
            if smtp_port or imap_host:
                raise ConfigurationError(
                    "MAIL_SMTP_PORT or MAIL_IMAP_HOST is set but MAIL_LIST_IDS is not: say "
                    "which list's mail to relay (docs/mailing-list.md)."
                )
            return None
        imap = None
        if imap_host:
            user = os.environ.get("MAIL_IMAP_USER", "").strip()
            password = os.environ.get("MAIL_IMAP_PASSWORD", "")
            if not user or not password:
                raise ConfigurationError(
                    "MAIL_IMAP_HOST needs MAIL_IMAP_USER and MAIL_IMAP_PASSWORD"
                )
            tls = os.environ.get("MAIL_IMAP_TLS", "on").strip().lower() not in ("off", "0", "no")
            imap = ImapSettings(
                host=imap_host,
                user=user,
                password=password,
                port=port_setting("MAIL_IMAP_PORT", 993 if tls else 143),
                tls=tls,
                folder=os.environ.get("MAIL_IMAP_FOLDER", "").strip() or "INBOX",
                poll_seconds=number_setting("MAIL_IMAP_POLL_SECONDS", 60, minimum=1, maximum=86400),
            )
        return cls(
            list_ids=list_ids,
            allowed_senders=_words("MAIL_ALLOWED_SENDERS"),
            smtp_listen=os.environ.get("MAIL_SMTP_LISTEN", "").strip() or "127.0.0.1",
            smtp_port=port_setting("MAIL_SMTP_PORT", 0) if smtp_port else None,
            imap=imap,
            attachment_limit=number_setting("MAIL_ATTACHMENT_LIMIT", 2_000_000),
            attachment_files=number_setting("MAIL_ATTACHMENT_FILES", 5, maximum=50),
            read_seconds=number_setting("MAIL_READ_SECONDS", 20, minimum=1, maximum=600),
            read_memory_mb=number_setting("MAIL_READ_MEMORY_MB", 288, minimum=128, maximum=65536),
        )
