"""Each participant's check-in code: printed as a QR code in their pack, scanned at the door by
an organiser or a volunteer (bot/people/attendance.py checks them in).

The QR code holds a chat link that types `/start ci-CODE` (Telegram) or `ci-CODE` (WhatsApp)
into the bot from the phone that scans it: the person scanning is the one who checks in.
Unlike an invitation code, this one is kept (it is printed again in each new pack), and it
proves nothing but who is at the door: it links no account.
"""

from __future__ import annotations

import os
import re
import secrets

from bot.models import Participant
from bot.people.invitations import telegram_link
from bot.platforms.whatsapp_settings import chat_link

PREFIX = "ci-"
_CODE = re.compile(r"^ci-([A-Za-z0-9_-]{16})$")


def checkin_code(participant: Participant) -> str:
    """`ci-…`, the participant's code, made on first use (the caller commits)."""
    if participant.checkin_code is None:
        participant.checkin_code = secrets.token_urlsafe(12)  # 16 characters
    return PREFIX + participant.checkin_code


def parse(text: str) -> str | None:
    """The stored code in `ci-…` (as a QR code's link types it), or None."""
    match = _CODE.match(text.strip())
    return match.group(1) if match else None


# The bot's Telegram username as the adapter learnt it from Telegram at start, for a process
# whose TELEGRAM_BOT_USERNAME is not set (`serving_as`).
_telegram_username: str | None = None


def serving_as(telegram_username: str | None) -> None:
    """Told by the Telegram adapter once Telegram has said who the bot is."""
    global _telegram_username
    _telegram_username = telegram_username


def checkin_link(
    code: str,
    telegram_username: str | None = None,
    whatsapp_number: str | None = None,
) -> str:
    """What the QR code holds: the bot's Telegram deep link, else its wa.me link, else the code
    itself (typed after /checkin). By default, the bot's username and number are read from
    TELEGRAM_BOT_USERNAME (else what Telegram said at start) and WHATSAPP_NUMBER, as for
    invitations."""
    telegram_username = (
        telegram_username
        or os.environ.get("TELEGRAM_BOT_USERNAME", "").strip()
        or _telegram_username
    )
    whatsapp_number = whatsapp_number or os.environ.get("WHATSAPP_NUMBER", "").strip()
    if telegram_username:
        return telegram_link(telegram_username.removeprefix("@"), code)
    if whatsapp_number:
        return chat_link(re.sub(r"[\s+()-]", "", whatsapp_number), code)
    return code
