"""Translations chosen per message.

The reader's locale lives in a ContextVar set around the handling of each incoming message and
each outgoing one, so two people served at the same moment each get their own language. Catalogs
are the `.po` files in `locales/`, compiled in memory on first use.
"""

from __future__ import annotations

import io
from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from functools import cache

from babel import Locale, UnknownLocaleError
from babel.messages.mofile import write_mo
from babel.messages.pofile import read_po
from babel.support import LazyProxy, Translations

from bot.paths import LOCALES

LANGUAGES = ("en", "fr", "es")
FALLBACK = "en"

_locale: ContextVar[str] = ContextVar("coordbot_locale", default=FALLBACK)


@cache
def translations(language: str) -> Translations:
    po_file = LOCALES / language / "LC_MESSAGES" / "messages.po"
    with po_file.open("rb") as source:
        catalog = read_po(source, locale=language)
    compiled = io.BytesIO()
    write_mo(compiled, catalog)
    compiled.seek(0)
    return Translations(compiled, domain="messages")


def current_language() -> str:
    return _locale.get()


@contextmanager
def use_language(language: str) -> Iterator[None]:
    token = _locale.set(language if language in LANGUAGES else FALLBACK)
    try:
        yield
    finally:
        _locale.reset(token)


def set_process_language(language: str | None) -> None:
    """For one-person tools such as the command line: the language of the whole process."""
    _locale.set(language if language in LANGUAGES else FALLBACK)


def gettext(message: str) -> str:
    return translations(_locale.get()).gettext(message)


def ngettext(singular: str, plural: str, n: int) -> str:
    return translations(_locale.get()).ngettext(singular, plural, n)


def pgettext(context: str, message: str) -> str:
    return str(translations(_locale.get()).pgettext(context, message))


def lazy_pgettext(context: str, message: str) -> LazyProxy:
    return LazyProxy(pgettext, context, message, enable_cache=False)


def lazy_gettext(message: str) -> LazyProxy:
    """For module-level texts (help, button labels): translated when read, in the reader's
    language at that moment."""
    return LazyProxy(gettext, message, enable_cache=False)


_ = gettext


def negotiate(code: str | None) -> str | None:
    """The supported language closest to a platform's code (`fr-CA`, `es_419`, `pt-BR`…)."""
    if not code:
        return None
    try:
        locale = Locale.parse(code.replace("-", "_"))
    except (ValueError, UnknownLocaleError):
        return None
    return locale.language if locale.language in LANGUAGES else None


def choose_language(explicit: str | None, platform_code: str | None, event_default: str) -> str:
    """Explicit choice, else the platform's language code, else the event's default."""
    for candidate in (explicit, negotiate(platform_code), event_default):
        if candidate in LANGUAGES:
            return candidate
    return FALLBACK


def localised(texts: dict[str, str] | None, language: str | None = None) -> str:
    """Pick one text of a {language: text} mapping for the reader, falling back to English."""
    if not texts:
        return ""
    language = language or _locale.get()
    return texts.get(language) or texts.get(FALLBACK) or next(iter(texts.values()))
