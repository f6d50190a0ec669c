"""What people write, read in one's own language: the line under a translated text, the button
that shows the original, and /translate on|off."""

from __future__ import annotations

from datetime import timedelta

from bot.buttons import Button
from bot.chat import Choice, Reply
from bot.context import Context, ParticipantContext
from bot.text import formatting
from bot.text.i18n import _
from bot.text.markup import escape, italic
from bot.text.matching import fold
from bot.translation import store
from bot.translation.reading import Reader, ReadText, Shown, Translating
from handlers import answers

NO_WAIT = timedelta(0)  # an answer is not held back for a translation on its way
# As /mailinglist: the words in each language.
_ON = {"on", "yes", "oui", "si", "activer", "activar", "1"}
_OFF = {"off", "no", "non", "desactiver", "desactivar", "0"}


class OriginalButton(Button, prefix="original"):
    """The stored text whose original to show, and the start of its hash (only those who were
    sent it can show it)."""

    text_id: int
    check: str


def _from(source: str | None) -> str:
    """ "Automatic translation from Spanish": the meeting's languages in phrases of their own
    (French elides: « de l’espagnol », « du français »), any other through Babel's name."""
    known = {
        "en": _("Automatic translation from English"),
        "fr": _("Automatic translation from French"),
        "es": _("Automatic translation from Spanish"),
    }
    if source in known:
        return known[source]
    name = formatting.language_name(source) if source else "?"
    return _("Automatic translation from {language}").format(language=name)


def shown(text: ReadText) -> tuple[str, tuple[tuple[Choice, ...], ...]]:
    """A text someone wrote as its reader sees it (escaped), with the line under it and the
    "See the original" button when it was translated, or the note when it could not be."""
    body = escape(text.text)
    line, choices = note(text)
    return (f"{body}\n\n{line}" if line else body), choices


def note(text: ReadText) -> tuple[str, tuple[tuple[Choice, ...], ...]]:
    """Only the line (in italics, empty when shown as written) and the button of `shown`: for a
    notice that shows a text in parts, as list mail does its subject and text."""
    if text.shown == Shown.TRANSLATED and text.text_id is not None:
        line = _from(text.source) + " · " + _("See the original")
        button = Choice(_("See the original"), OriginalButton(text.text_id, text.check).pack())
        return italic(line), ((button,),)
    if text.shown == Shown.NOT_TRANSLATED:
        return italic(
            _("(Automatic translation is not available at the moment: shown as written.)")
        ), ()
    return "", ()


def inline(text: ReadText, original: str) -> str:
    """A short text in a list (a proposed title, a survey answer), escaped: translated, with the
    original after it on the same line; else as written. No button: the original is there."""
    if text.shown != Shown.TRANSLATED:
        return escape(original)
    return (
        escape(text.text)
        + " "
        + italic(
            _("({translation}: “{original}”)").format(
                translation=_from(text.source), original=escape(original)
            )
        )
    )


def reader(ctx: Context) -> Reader | None:
    """The person asking, as a reader of what others wrote, for an answer (/lists N, /results):
    nothing waits in an answer, so a translation not made yet shows the original."""
    person = ctx.participant
    if ctx.translation_provider is None or (person is not None and person.translate is False):
        return None
    return Reader(ctx.language, ctx.clock.now(), Translating(ctx.translation_provider, NO_WAIT))


async def original_button(ctx: ParticipantContext, button: OriginalButton) -> Reply:
    """The text as its author wrote it, as a new message under the translation."""
    stored = await store.original(ctx.db, button.text_id)
    if stored is None or not stored.text_hash.startswith(button.check) or not button.check:
        return answers.stale_button()
    return Reply(escape(stored.text))


def _current(ctx: ParticipantContext) -> str:
    if not ctx.translating:
        return _("Automatic translation is not available in this meeting.")
    if ctx.participant.translate is False:
        return _("What others write reaches you as they wrote it.")
    return _("What others write reaches you translated into your language.")


def _state(ctx: ParticipantContext) -> Reply:
    """The current choice, and the button that changes it."""
    if not ctx.translating:
        return Reply(_current(ctx))
    on = ctx.participant.translate is not False
    return Reply(
        _current(ctx),
        choices=(
            (
                Choice(
                    _("Turn off") if on else _("Turn on"),
                    TranslateButton("off" if on else "on").pack(),
                ),
            ),
        ),
    )


async def translate(ctx: ParticipantContext) -> Reply:
    """/translate [on|off]: what others write, in my language or as written."""
    words = {fold(word) for word in ctx.args}
    if ctx.translating and (words & _ON or words & _OFF):
        ctx.participant.translate = bool(words & _ON)
        return Reply("✅ " + _current(ctx))
    return _state(ctx)


class TranslateButton(Button, prefix="translate"):
    """ "on" or "off"."""

    choice: str


async def translate_button(ctx: ParticipantContext, button: TranslateButton) -> Reply:
    if ctx.translating and button.choice in _ON | _OFF:
        ctx.participant.translate = button.choice in _ON
    return _state(ctx).edited()
