"""WhatsApp's settings, read from the environment (docs/whatsapp.md). Imports nothing of the
adapter: the command line and the platform table read it before any HTTP client is loaded."""

from __future__ import annotations

import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING

from bot.config import ConfigurationError, port_setting, rate_setting

if TYPE_CHECKING:
    from bot.dispatcher import Dispatcher
    from bot.platforms import Adapter, AdapterFactory

PLATFORM = "whatsapp"
PUBLIC_GRAPH_API = "https://graph.facebook.com"
GRAPH_API_VERSION = "v23.0"
SECRET_NAMES = ("WHATSAPP_ACCESS_TOKEN", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN")
# The approved message templates (names, languages, texts): shipped beside this module.
TEMPLATES_FILE = Path(__file__).with_name("whatsapp_templates.yaml")

_REQUIRED = ("WHATSAPP_PHONE_NUMBER_ID", "WHATSAPP_APP_SECRET", "WHATSAPP_VERIFY_TOKEN")
_DIGITS = re.compile(r"[0-9]{6,20}")
_VERIFY_TOKEN = re.compile(r"[\x21-\x7e]{16,256}")


@dataclass(frozen=True)
class WhatsAppSettings:
    """The Cloud API: one business phone number, its webhook served on `listen:port` + `path`
    (every POST's signature checked with the app secret)."""

    access_token: str = field(repr=False)
    phone_number_id: str
    app_secret: str = field(repr=False)
    verify_token: str = field(repr=False)
    # The number people write to, digits only (for the wa.me links of invitations).
    number: str | None = None
    api_url: str = PUBLIC_GRAPH_API
    api_version: str = GRAPH_API_VERSION
    listen: str = "127.0.0.1"
    port: int = 8444
    path: str = "/whatsapp"
    # The Cloud API's throughput per business number (80 a second unless Meta raised it) and
    # its pair rate limit: about one message every 6 seconds to the same person.
    rate: float = 80.0
    pair_interval: float = 6.0
    templates_file: Path = TEMPLATES_FILE

    @property
    def messages_url(self) -> str:
        return f"{self.api_url}/{self.api_version}/{self.phone_number_id}/messages"

    @property
    def media_url(self) -> str:
        return f"{self.api_url}/{self.api_version}/{self.phone_number_id}/media"

    @classmethod
    def from_env(cls) -> WhatsAppSettings | None:
        token = os.environ.get("WHATSAPP_ACCESS_TOKEN", "").strip()
        if not token:
            return None
        values = {name: os.environ.get(name, "").strip() for name in _REQUIRED}
        missing = [name for name, value in values.items() if not value]
        if missing:
            raise ConfigurationError(
                f"WHATSAPP_ACCESS_TOKEN is set but {', '.join(missing)} is not: see "
                "docs/whatsapp.md."
            )
        if not values["WHATSAPP_PHONE_NUMBER_ID"].isdigit():
            raise ConfigurationError(
                "WHATSAPP_PHONE_NUMBER_ID must be the phone number's id (digits), as Meta's "
                "dashboard shows it, not the phone number."
            )
        if not _VERIFY_TOKEN.fullmatch(values["WHATSAPP_VERIFY_TOKEN"]):
            raise ConfigurationError(
                "WHATSAPP_VERIFY_TOKEN must be 16 to 256 printable characters, without spaces."
            )
        number = re.sub(r"[\s+()-]", "", os.environ.get("WHATSAPP_NUMBER", "")) or None
        if number is not None and not _DIGITS.fullmatch(number):
            raise ConfigurationError(
                "WHATSAPP_NUMBER must be the bot's number in international form (+52 33 1234 5678)."
            )
        templates = os.environ.get("WHATSAPP_TEMPLATES", "").strip()
        return cls(
            access_token=token,
            phone_number_id=values["WHATSAPP_PHONE_NUMBER_ID"],
            app_secret=values["WHATSAPP_APP_SECRET"],
            verify_token=values["WHATSAPP_VERIFY_TOKEN"],
            number=number,
            api_url=(os.environ.get("WHATSAPP_API_URL") or PUBLIC_GRAPH_API).rstrip("/"),
            api_version=os.environ.get("WHATSAPP_API_VERSION") or GRAPH_API_VERSION,
            listen=os.environ.get("WHATSAPP_LISTEN", "127.0.0.1"),
            port=port_setting("WHATSAPP_PORT", 8444),
            path="/" + os.environ.get("WHATSAPP_PATH", "/whatsapp").lstrip("/"),
            rate=rate_setting("WHATSAPP_RATE", 80),
            pair_interval=rate_setting("WHATSAPP_PAIR_INTERVAL", 6),
            templates_file=Path(templates) if templates else TEMPLATES_FILE,
        )


def chat_link(number: str, code: str) -> str:
    """The link that opens a chat with the bot's number, the invitation code already typed."""
    return f"https://wa.me/{number}?text={code}"


def adapter_from_env() -> AdapterFactory | None:
    """The platform table's way in: the settings now, the adapter only when it is built."""
    settings = WhatsAppSettings.from_env()
    if settings is None:
        return None

    def build(dispatcher: Dispatcher) -> Adapter:
        from bot.platforms.whatsapp import WhatsAppAdapter

        return WhatsAppAdapter(settings, dispatcher)

    return build
