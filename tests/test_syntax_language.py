"""No English syntax on a French or Spanish screen: /help, every usage hint and every bad-argument
reply show the argument words in the reader's language, and the parser accepts those words.

Through the real router and database, as a delegate and as an organiser."""

from __future__ import annotations

import re

import pytest

from bot.models import Event, Role
from bot.router import Dispatcher
from tests.support.chat import ChatUser, link_to_new_participant

# Words of the English argument syntax. Command names (/join, /post…) stay as they are.
PLACEHOLDERS = {
    "GROUP", "TEXT", "TITLE", "ROUND", "ACT", "KEY", "NAME", "ID", "ROLE", "NUMBER",
    "AUDIENCE", "TIME", "LANG", "REGION", "YYYY", "CODE",
}  # fmt: skip
SYNTAX_WORDS = {
    "today", "tomorrow", "day", "on", "off", "role", "region", "language", "everyone",
    "find", "unlink", "invite", "status", "cancel", "at", "announce", "open", "close",
    "roster", "reopen", "assign", "remove", "facilitator", "lines", "civil_society",
}  # fmt: skip
# Words that are English in any position of a French or Spanish reply.
ALWAYS_ENGLISH = {
    "today", "tomorrow", "off", "everyone", "announce", "unlink", "roster", "reopen",
    "civil_society", "status", "lines",
}  # fmt: skip
# The text after a command, up to what ends its syntax in a sentence or a /help line.
_FRAGMENT = re.compile(r"/[a-z]+((?:[^\n—·,(]|\.(?=\S))*)")


def english_syntax(reply: str) -> set[str]:
    found = set()
    for fragment in _FRAGMENT.findall(reply):
        for word in re.findall(r"[A-Za-z_]+", fragment):
            if word in PLACEHOLDERS or word in SYNTAX_WORDS:
                found.add(word)
    for word in re.findall(r"[A-Za-z_]+", reply):
        if word in PLACEHOLDERS or word in ALWAYS_ENGLISH:
            found.add(word)
    return found


def test_the_checker_sees_english_syntax() -> None:
    assert english_syntax("/agenda [today|tomorrow|YYYY-MM-DD|day N] — le programme") == {
        "today",
        "tomorrow",
        "YYYY",
        "day",
    }
    assert english_syntax("/post GROUPE TEXTE — écrire, on peut") == set()
    assert english_syntax("Rôle inconnu. Rôles : civil_society, government") == {"civil_society"}


BAD = "zzqx"


async def _screens(dispatcher: Dispatcher, event: Event, language: str) -> dict[str, str]:
    """What a delegate and an organiser read: /help, every usage hint, every bad argument."""
    delegate = ChatUser(dispatcher, external_id=f"delegate-{language}", language_code=language)
    organiser = ChatUser(dispatcher, external_id=f"organiser-{language}", language_code=language)
    await link_to_new_participant(delegate, Role.CIVIL_SOCIETY, event.id, name="Amina Diallo")
    await link_to_new_participant(organiser, Role.ORGANISER, event.id, name="Olga Ruiz")
    screens = {}
    for name, user in (("delegate", delegate), ("organiser", organiser)):
        screens[f"{name} /help"] = await user.send("/help")
        for text in ("/groups", "/home", "/tables", "/mytables"):
            screens[f"{name} {text}"] = await user.send(text)
    for command in dispatcher.router.commands.values():
        if not command.usage or command.name in ("propose", "language", "link"):
            continue
        for text in (f"/{command.name}", f"/{command.name} {BAD}", f"/{command.name} 1 {BAD}"):
            screens[f"organiser {text}"] = await organiser.send(text)
    for text in (
        "/propose",
        "/propose ab",
        "/post 1",
        "/participant 1 role " + BAD,
        "/broadcast role " + BAD,
        "/broadcast region " + BAD,
        "/broadcast language " + BAD,
        "/survey open",
        "/table 1 " + BAD + " " + BAD,
    ):
        screens[f"organiser {text}"] = await organiser.send(text)
    screens["delegate /agenda bad"] = await delegate.send(f"/agenda {BAD}")
    screens["delegate /remind bad"] = await delegate.send(f"/remind {BAD}")
    screens["delegate /mailinglist"] = await delegate.send("/mailinglist")
    return screens


@pytest.mark.parametrize("language", ["fr", "es"])
async def test_no_english_syntax_on_french_and_spanish_screens(
    dispatcher: Dispatcher, demo_event: Event, language: str
) -> None:
    screens = await _screens(dispatcher, demo_event, language)
    english = {
        name: (sorted(words), text)
        for name, text in screens.items()
        if (words := english_syntax(text))
    }
    assert not english, "\n\n".join(f"{n}: {w}\n{t}" for n, (w, t) in english.items())
