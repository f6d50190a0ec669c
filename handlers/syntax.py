"""The words of the commands' argument syntax, as people type them in English, French or Spanish.

A usage hint shows these words in the reader's language (the catalogs); the parsers accept them
in any of the three, accents, case and apostrophes aside. Each word a French
or Spanish usage hint shows must be listed here (tests/test_syntax_language.py)."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import partial

from bot.models import Role
from bot.people.csv_import import REGIONS
from bot.reports import labels
from bot.text.i18n import LANGUAGES, use_language
from bot.text.matching import fold

_WORDS = {
    "find": ("find", "chercher", "trouver", "buscar"),
    "role": ("role", "rol"),
    "unlink": ("unlink", "delier", "desvincular"),
    "invite": ("invite", "inviter", "invitar"),
    "console": ("console", "consola"),
    "everyone": ("everyone", "all", "tous", "toutes", "todos", "todas"),
    "region": ("region",),
    "language": ("language", "langue", "idioma", "lengua"),
    "table": ("table", "mesa"),
    "group": ("group", "groupe", "grupo"),
    "status": ("status", "etat", "estado"),
    "cancel": ("cancel", "annuler", "cancelar", "withdraw", "retirar", "undo", "deshacer"),
    "announce": ("announce", "annonces", "annonce", "anuncios", "anuncio"),
    "on": ("on", "yes", "oui", "si", "activer", "activar", "1"),
    "off": ("off", "no", "non", "desactiver", "desactivar", "0"),
    "open": ("open", "ouvrir", "abrir"),
    "close": ("close", "fermer", "cerrar"),
    "roster": ("roster", "liste", "lista"),
    "reopen": ("reopen", "rouvrir", "reabrir"),
    "assign": ("assign", "placer", "asignar"),
    "remove": ("remove", "retirer", "quitar"),
    "add": ("add", "ajouter", "agregar", "anadir"),
    "next": ("next", "call", "suivant", "appeler", "siguiente", "llamar"),
    "rule": ("rule", "regle", "regla"),
    "results": ("results", "result", "resultats", "resultat", "resultados", "resultado"),
    "multi": ("multi", "multiple", "multiples", "plusieurs", "varias", "varios"),
    "facilitator": ("facilitator", "animateur", "animatrice", "facilitador", "facilitadora"),
    "rapporteur": ("rapporteur", "rapporteuse", "relator", "relatora"),
    "reset": ("reset", "renouveler", "reinitialiser", "renovar", "restablecer"),
}
_CANONICAL = {word: key for key, words in _WORDS.items() for word in words}
# Short role words, besides the roles' labels in the three languages.
_ROLE_WORDS = {
    Role.CIVIL_SOCIETY: ("civil society", "societe civile", "sociedad civil"),
    Role.GOVERNMENT: ("government", "gouvernement", "gobierno"),
    Role.INTERNATIONAL: ("international", "internacional", "un", "onu"),
    Role.ORGANISER: ("organiser", "organisateur", "organisatrice", "organizador", "organizadora"),
    Role.FACILITATOR: ("facilitator", "animateur", "animatrice", "facilitador", "facilitadora"),
    Role.RAPPORTEUR: ("rapporteur", "rapporteuse", "relator", "relatora"),
}


def keyword(word: str) -> str | None:
    """The syntax word `word` stands for (`demain` is no keyword; `fermer` → `close`)."""
    return _CANONICAL.get(_words(word))


def is_keyword(word: str, *keys: str) -> bool:
    return keyword(word) in keys


def _words(name: str) -> str:
    """`Délégué·e de la société civile` → `delegue de la societe civile` (inclusive endings
    such as ·e, ·rice, /a aside, so that both forms match)."""
    name = re.sub(r"[·/]\w+", "", name.replace("_", " ").replace("-", " "))
    return " ".join(fold(name).split())


def role_from(text: str) -> Role | None:
    """`civil_society`, `société civile`, `Gobierno` or a role's label in any language."""
    wanted = _words(text)
    for role in Role:
        names = {_words(role.value), *(_words(w) for w in _ROLE_WORDS[role])}
        if wanted in names | _in_every_language(partial(labels.role, role)):
            return role
    return None


def region_from(text: str) -> str | None:
    """A region by its key (`latin_america`) or its name in any language (`Amérique latine`)."""
    wanted = _words(text)
    for region in REGIONS:
        if wanted in {_words(region)} | _in_every_language(partial(labels.region, region)):
            return region
    return None


def _in_every_language(label: Callable[[], str]) -> set[str]:
    """A label's words as each supported language writes it."""
    names = set()
    for language in LANGUAGES:
        with use_language(language):
            names.add(_words(label()))
    return names


def roles() -> str:
    """The roles, as the reader may type them."""
    return ", ".join(labels.role(role) for role in Role)


def regions() -> str:
    return ", ".join(labels.region(region) for region in REGIONS)
