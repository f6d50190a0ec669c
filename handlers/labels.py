"""Names of roles, regions and countries in the reader's language."""

from __future__ import annotations

from babel import Locale

from bot.i18n import current_language
from bot.i18n import lazy_gettext as _l
from bot.models import Role

_ROLES = {
    Role.CIVIL_SOCIETY: _l("civil-society delegate"),
    Role.GOVERNMENT: _l("government representative"),
    Role.INTERNATIONAL: _l("UN or international organisation"),
    Role.ORGANISER: _l("organiser"),
    Role.FACILITATOR: _l("facilitator"),
    Role.RAPPORTEUR: _l("rapporteur"),
}

# In the meeting report's order (Africa, Asia, Europe, Latin America, MENA, North America,
# Pacific), which stays the same in every language.
_REGIONS = {
    "africa": _l("Africa"),
    "asia": _l("Asia"),
    "europe": _l("Europe"),
    "latin_america": _l("Latin America"),
    "mena": _l("Middle East and North Africa"),
    "north_america": _l("North America"),
    "pacific": _l("Pacific"),
    "global": _l("Global"),
    "unknown": _l("Region not given"),
}

# Why a list mail could not be relayed (bot.mail.parse.MailError.code).
_MAIL_REASONS = {
    "empty": _l("the mail is empty"),
    "not_mail": _l("this is not an e-mail"),
    "too_deep": _l("its parts are nested too deeply to be read"),
    "unreadable": _l("the mail cannot be read"),
    "empty_digest": _l("a digest without any message"),
    "unreadable_digest": _l("a digest without any readable message"),
    "no_content": _l("no text, no subject and no attachment"),
}

# Chat apps by their names; only the console's name is translated.
_PLATFORMS = {"console": _l("Console")}


def role(value: Role | None) -> str:
    return str(_ROLES[value]) if value else ""


def region(value: str | None) -> str:
    return str(_REGIONS.get(value or "unknown", value))


def region_order(value: str | None) -> tuple[int, str]:
    """Sort key: the report's order; a region it does not name comes after, by its name."""
    keys = list(_REGIONS)
    key = value or "unknown"
    return (keys.index(key), "") if key in _REGIONS else (keys.index("global"), region(key))


def country(code: str | None) -> str:
    if not code:
        return ""
    return str(Locale.parse(current_language()).territories.get(code.upper(), code.upper()))


def mail_reason(code: str | None) -> str:
    """Why a list mail failed, in the reader's language (a reason stored by an older version,
    in English, is shown as it is)."""
    return str(_MAIL_REASONS[code]) if code in _MAIL_REASONS else code or ""


def platform(name: str) -> str:
    """`telegram` → Telegram, `console` → Consola (in Spanish)."""
    return str(_PLATFORMS[name]) if name in _PLATFORMS else name.capitalize()
