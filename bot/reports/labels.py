"""Names of roles, regions and countries in the reader's language."""

from __future__ import annotations

from babel import Locale

from bot.models import Participant, Role, TablePosition
from bot.text.i18n import current_language
from bot.text.i18n import lazy_gettext as _l
from bot.text.i18n import lazy_pgettext as _lp

_ROLES = {
    Role.CIVIL_SOCIETY: _l("civil-society delegate"),
    Role.GOVERNMENT: _l("government representative"),
    Role.INTERNATIONAL: _l("UN or international organisation"),
    Role.ORGANISER: _l("organiser"),
    Role.FACILITATOR: _l("facilitator"),
    Role.RAPPORTEUR: _l("rapporteur"),
}

# A named person's own role, as they wish to be addressed (Participant.form_of_address); the
# inclusive forms above are for people we do not know. English reads the same in all three.
_ROLES_ADDRESSED = {
    "feminine": {
        Role.CIVIL_SOCIETY: _lp("feminine", "civil-society delegate"),
        Role.GOVERNMENT: _lp("feminine", "government representative"),
        Role.ORGANISER: _lp("feminine", "organiser"),
        Role.FACILITATOR: _lp("feminine", "facilitator"),
        Role.RAPPORTEUR: _lp("feminine", "rapporteur"),
    },
    "masculine": {
        Role.CIVIL_SOCIETY: _lp("masculine", "civil-society delegate"),
        Role.GOVERNMENT: _lp("masculine", "government representative"),
        Role.ORGANISER: _lp("masculine", "organiser"),
        Role.FACILITATOR: _lp("masculine", "facilitator"),
        Role.RAPPORTEUR: _lp("masculine", "rapporteur"),
    },
}
_POSITIONS = {
    TablePosition.FACILITATOR: Role.FACILITATOR,
    TablePosition.RAPPORTEUR: Role.RAPPORTEUR,
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

# Why a list mail could not be relayed (bot.mail.parse.MailError.code, bot.mail.failures).
_MAIL_REASONS = {
    "empty": _l("the mail is empty"),
    "not_mail": _l("this is not an e-mail"),
    "too_deep": _l("its parts are nested too deeply to be read"),
    "unreadable": _l("the mail cannot be read"),
    "empty_digest": _l("a digest without any message"),
    "unreadable_digest": _l("a digest without any readable message"),
    "no_content": _l("no text, no subject and no attachment"),
    "unstorable": _l("the database refused to store it (details in the log)"),
    "too_slow": _l("reading it took too long"),
    "too_big": _l("reading it needed too much memory"),
}

# Chat apps by their names; only the console's name is translated.
_PLATFORMS = {"console": _l("Console")}


# The report's regions in its order, "unknown" (not given) last.
REGION_KEYS = list(_REGIONS)


def role(value: Role | None) -> str:
    """A role as a category: `facilitateur·rice`, for a list of roles or an audience."""
    return str(_ROLES[value]) if value else ""


def persons_role(person: Participant, value: Role | None = None) -> str:
    """A named person's role (`value`, else their own), agreeing with them where they said how
    they wish to be addressed: `animatrice`, `relator`."""
    value = value or person.role
    addressed = _ROLES_ADDRESSED.get(person.form_of_address or "", {})
    return str(addressed.get(value) or _ROLES[value])


def position(person: Participant, value: TablePosition) -> str:
    """`facilitator` or `rapporteur` of a table, as the person wishes to be addressed."""
    return persons_role(person, _POSITIONS[value])


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
