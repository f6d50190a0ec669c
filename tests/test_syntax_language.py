"""No English syntax on a French or Spanish screen: /help, every usage hint and every bad-argument
reply show the argument words in the reader's language, and the parser accepts those words.

Through the real router and database, as a delegate and as an organiser."""

from __future__ import annotations

import re

import pytest

from bot.config import MailSettings
from bot.db import SessionFactory
from bot.dispatcher import Dispatcher
from bot.mail import relay
from bot.models import Event, Role
from tests.support.chat import ChatUser, link_to_new_participant

# Words of the English argument syntax. Command names (/join, /post…) stay as they are.
PLACEHOLDERS = {
    "GROUP", "TEXT", "TITLE", "ROUND", "ACT", "KEY", "NAME", "ID", "ROLE", "NUMBER",
    "AUDIENCE", "TIME", "LANG", "REGION", "YYYY",
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


@pytest.mark.parametrize("language", ["fr", "es"])
async def test_french_and_spanish_screens_name_commands_in_their_language(
    dispatcher: Dispatcher, demo_event: Event, language: str
) -> None:
    commands = dispatcher.router.commands.values()
    local = {c.name: c.name_in(language) for c in commands if c.name_in(language) != c.name}
    assert {"help", "unsubscribe", "post", "propose", "forget"} <= local.keys()
    screens = await _screens(dispatcher, demo_event, language)
    english = {
        name: (sorted(found), text)
        for name, text in screens.items()
        if (found := set(re.findall(r"(?<![\w/])/([a-z]+)\b", text)) & local.keys())
    }
    assert not english, "\n\n".join(f"{n}: {w}\n{t}" for n, (w, t) in english.items())
    # …and the names shown are the names the router accepts, from anyone.
    reader = ChatUser(dispatcher, external_id=f"reader-{language}", language_code=language)
    await link_to_new_participant(reader, Role.CIVIL_SOCIETY, demo_event.id, name="Ana Solís")
    assert await reader.send(f"/{local['help']}") == await reader.send("/help")
    assert await reader.send(f"/{local['unsubscribe']}") == await reader.send("/unsubscribe")


async def test_the_words_a_french_screen_shows_are_the_words_the_parser_accepts(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    olga = ChatUser(dispatcher, external_id="olga", language_code="fr")
    await link_to_new_participant(olga, Role.ORGANISER, demo_event.id, name="Olga Ruiz")
    amina = ChatUser(dispatcher, external_id="amina", language_code="fr")
    amina_id = await link_to_new_participant(
        amina, Role.CIVIL_SOCIETY, demo_event.id, name="Amina Diallo"
    )
    assert "Amina Diallo" in await olga.send("/participant chercher Amina")
    changed = await olga.send(f"/participant {amina_id} rôle gouvernement")
    assert "Amina Diallo est désormais" in changed
    assert "Rôle inconnu" in await olga.send(f"/participant {amina_id} rôle roi")
    for shown in ("délégué·e de la société civile", "délégué de la société civile"):
        assert "société civile" in await olga.send(f"/participant {amina_id} rôle {shown}")
    preview = await olga.send("/broadcast tous à 2017-12-02 18:00\nEN: Badges.\nFR: Badges.")
    assert "Destinataires : 2" in preview and "samedi 2 décembre" in preview
    assert "Destinataires : 1" in await olga.send("/broadcast rôle organisateur\nEN: Hi")
    assert "Destinataires : 0" in await olga.send("/broadcast région Amérique latine\nEN: Hi")
    assert "Destinataires" in await olga.send("/broadcast langue français\nEN: Hi")
    assert "4 — non envoyée" in await olga.send("/broadcast état")
    assert "1 est annulée" in await olga.send("/broadcast annuler 1")
    several = await olga.send("/table 1")
    assert "plusieurs tours" in several and "d1-" not in several and "d2-" not in several
    example = several.split("par exemple ")[1].rstrip(".")
    assert "Acte 1" in await olga.send(example)
    assert "Acte 1" in await olga.send(f"{example} liste")
    assert "Acte 1" in await olga.send("/table 1 d2-tables fermer")
    assert "Les rappels sont désactivés" in await amina.send("/rappel non")
    assert "Je ne vous transmets plus" in await amina.send("/listediffusion non")


async def test_the_words_a_spanish_screen_shows_are_the_words_the_parser_accepts(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    olga = ChatUser(dispatcher, external_id="olga", language_code="es")
    await link_to_new_participant(olga, Role.ORGANISER, demo_event.id, name="Olga Ruiz")
    amina = ChatUser(dispatcher, external_id="amina", language_code="es", platform="console")
    amina_id = await link_to_new_participant(
        amina, Role.CIVIL_SOCIETY, demo_event.id, name="Amina Diallo"
    )
    assert "Amina Diallo" in await olga.send("/participant buscar Amina")
    assert "Amina Diallo ahora es" in await olga.send(f"/participant {amina_id} rol gobierno")
    preview = await olga.send("/broadcast todos a 2017-12-02 18:00\nEN: Badges.")
    assert "Personas destinatarias: 2" in preview
    assert "Personas destinatarias: 0" in await olga.send("/broadcast rol sociedad civil\nEN: Hi")
    assert "Personas destinatarias: 1" in await olga.send("/broadcast rol gobierno\nEN: Hi")
    assert "Personas destinatarias: 0" in await olga.send("/broadcast región Pacífico\nEN: Hi")
    assert "Personas destinatarias" in await olga.send("/broadcast idioma español\nEN: Hi")
    assert "5 — no enviada" in await olga.send("/broadcast estado")
    assert "Los recordatorios están desactivados" in await amina.send("/recordatorio no")
    assert "Ya no le reenvío" in await amina.send("/listacorreo no")
    unlinked = await olga.send(f"/participant {amina_id} desvincular consola")
    assert "1 cuenta de chat desvinculada" in unlinked


@pytest.mark.parametrize(
    ("language", "why"),
    [
        ("fr", "non transmis : ni texte, ni objet, ni pièce jointe"),
        ("es", "no reenviado: sin texto, sin asunto y sin archivos adjuntos"),
    ],
)
async def test_organisers_read_why_a_list_mail_failed_in_their_language(
    dispatcher: Dispatcher, demo_event: Event, sessions: SessionFactory, language: str, why: str
) -> None:
    olga = ChatUser(dispatcher, external_id="olga", language_code=language)
    await link_to_new_participant(olga, Role.ORGANISER, demo_event.id, name="Olga Ruiz")
    empty = (
        b"From: lucia@example.org\nTo: actioncommittee@lists.example.org\n"
        b"List-Id: Action Committee <actioncommittee.lists.example.org>\n"
        b"Message-ID: <empty@example.org>\n\n\n"
    )
    settings = MailSettings(list_ids=("actioncommittee.lists.example.org",))
    async with sessions() as db:
        outcome = await relay.ingest(db, demo_event, settings, empty, dispatcher.clock.now())
        await db.commit()
    assert outcome.failed is not None
    screen = await olga.send("/lists")
    assert why in screen
    assert "no text" not in screen


@pytest.mark.parametrize(
    ("language", "words", "title"),
    [
        ("fr", ("ouvrir", "fermer", "état"), "Évaluation de la réunion de bilan et de stratégie"),
        ("es", ("abrir", "cerrar", "estado"), "Evaluación de la reunión de balance y estrategia"),
    ],
)
async def test_organisers_name_the_survey_by_its_title_in_their_language(
    dispatcher: Dispatcher, demo_event: Event, language: str, words: tuple[str, ...], title: str
) -> None:
    from tests.test_survey import load_demo_survey

    await load_demo_survey(dispatcher, demo_event)
    olga = ChatUser(dispatcher, external_id="olga", language_code=language)
    await link_to_new_participant(olga, Role.ORGANISER, demo_event.id, name="Olga Ruiz")
    open_, close, status = words
    for reply in (
        await olga.send(f"/survey {open_} 1"),
        await olga.send(f"/survey {status}"),
        await olga.send(f"/survey {close}"),
        await olga.send(f"/survey {open_} {BAD}"),
    ):
        assert title in reply
        assert "evaluation" not in reply


async def test_the_console_is_named_in_the_readers_language(
    dispatcher: Dispatcher, demo_event: Event
) -> None:
    ana = ChatUser(dispatcher, external_id="ana", language_code="es", platform="console")
    await link_to_new_participant(ana, Role.CIVIL_SOCIETY, demo_event.id, name="Ana Pérez")
    data = await ana.send("/mydata")
    assert "Consola" in data and "Console" not in data
