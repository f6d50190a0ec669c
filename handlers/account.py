"""/start, /help and /language: meeting the bot and choosing how it speaks."""

from __future__ import annotations

from dataclasses import replace
from functools import cache
from typing import Any

from babel import Locale

from bot.buttons import Button
from bot.chat import Choice, Reply
from bot.context import Context
from bot.models import Role
from bot.people import invitations, participants
from bot.reports import labels
from bot.text import formatting
from bot.text.i18n import LANGUAGES, _, current_language, localised, use_language
from bot.text.markup import bold, escape, excerpt
from bot.text.matching import fold
from handlers import checkin


class LanguageButton(Button, prefix="lang"):
    """A language code; any other text asks again (a language an older version offered)."""

    code: str


def language_choices() -> tuple[tuple[Choice, ...], ...]:
    return (
        tuple(
            Choice(formatting.native_language_name(code), LanguageButton(code).pack())
            for code in LANGUAGES
        ),
    )


async def start(ctx: Context) -> Reply | list[Reply]:
    """`/start`, or `/start CODE` from an invitation's deep link."""
    if ctx.args and not ctx.incoming.private:
        return await void_in_group(ctx, " ".join(ctx.args), always=True) or welcome(ctx)
    if ctx.args:
        # A QR code scanned at the door: a check-in code, or someone's invitation scanned by an
        # organiser or a volunteer (which links nothing and is no wrong code).
        scanned = await checkin.scanned(ctx, " ".join(ctx.args))
        if scanned is not None:
            return scanned
        code = invitations.normalise(" ".join(ctx.args))
        if code is None:
            return [
                Reply(_("This invitation code is not valid. Check it, or ask an organiser.")),
                welcome(ctx),
            ]
        return await redeem(ctx, code)
    return welcome(ctx)


async def void_in_group(ctx: Context, text: str, always: bool = False) -> list[Reply]:
    """A code shown in a group is void at once; the group is told, naming nobody. (`always`:
    answer whenever something code-shaped was sent, live or not, so that a group cannot test
    codes.) Nothing to say (an empty list) when `text` holds no live code."""
    codes = invitations.codes_in(text)
    voided = await invitations.void(ctx.db, codes)
    if not voided and not (always and codes):
        return []
    return [
        Reply(
            "⚠️ "
            + _(
                "Invitation and linking codes must never be sent in a group: this one can no "
                "longer be used. Its owner should ask an organiser for a new invitation."
            ),
            choices=((Choice(_("Open a private chat"), open_private=True),),),
        )
    ]


async def redeem(ctx: Context, code: str) -> Reply | list[Reply]:
    """Link this chat account to the participant whose invitation (or linking) code was sent."""
    if not ctx.incoming.private:
        return await void_in_group(ctx, code, always=True)
    result = await invitations.redeem(ctx.db, ctx.identity, code, ctx.clock.now())
    outcome = invitations.Outcome
    if result.outcome == outcome.LINKED:
        assert result.participant is not None
        with use_language(participants.explicit_language(ctx.identity) or ctx.language):
            return welcome(ctx)
    messages = {
        outcome.ALREADY_YOURS: _("You are already registered with this invitation."),
        outcome.IN_USE: _(
            "This invitation is already in use: it links one chat account only, once. To use "
            "me in another chat app as well, send /link in the chat where I already know you, "
            "then send me here the code it gives you. Otherwise, please ask an organiser."
        ),
        outcome.TAKEN_ON_PLATFORM: _(
            "Your registration is already linked to another {platform} account. If you changed "
            "phone or account, please ask an organiser."
        ).format(platform=labels.platform(ctx.incoming.platform)),
        outcome.ACCOUNT_TAKEN: _(
            "This chat account is already linked to another registration. Please ask an organiser."
        ),
        outcome.WRONG_CODE: _("This invitation code is not valid. Check it, or ask an organiser."),
        outcome.LOCKED_OUT: _(
            "Too many wrong codes: please try again in an hour, or ask an organiser."
        ),
    }
    return Reply(messages[result.outcome])


async def link(ctx: Context) -> Reply | list[Reply]:
    """`/link`: from a linked account, a short-lived code to link another chat app;
    `/link CODE` (or the code alone) from the new account."""
    if not ctx.incoming.private:
        told = await void_in_group(ctx, " ".join(ctx.args), always=True)
        return told or Reply(
            _("This is personal: I answer it only in a private chat."),
            choices=((Choice(_("Open a private chat"), open_private=True),),),
        )
    if ctx.args:
        code = invitations.normalise(" ".join(ctx.args))
        if code is None:
            return Reply(_("This code is not valid. Check it, or ask an organiser."))
        return await redeem(ctx, code)
    if ctx.participant is None:
        return Reply(
            _(
                "To link this chat account, send me your invitation code, or the code that "
                "/link gives you in the chat app where I already know you."
            )
        )
    issued = await invitations.issue_link_code(ctx.db, ctx.participant, ctx.clock.now())
    minutes = int(invitations.LINK_CODE_VALIDITY.total_seconds() // 60)
    return Reply(
        "🔗 "
        + _("Your linking code: {code}").format(code=bold(invitations.grouped(issued)))
        + "\n\n"
        + _(
            "To use me in another chat app too, open a private chat with me there and send "
            "this code within {minutes} minutes. It works once. Never share it, and never send "
            "it in a group."
        ).format(minutes=minutes)
    )


def welcome(ctx: Context) -> Reply:
    participant = ctx.participant
    greeting = (
        _("Hello {name}!").format(name=escape(participant.name)) if participant else _("Hello!")
    )
    if ctx.event is not None:
        about = _("I am the assistant of {event}.").format(
            event=bold(escape(localised(ctx.event.name)))
        )
    else:
        about = _("I am the assistant of this meeting.")
    lines = [
        f"👋 {greeting} {about}",
        _("I can show you the programme in English, French or Spanish."),
        "",
        "/agenda — " + _("the programme of the day"),
        "/next — " + _("what is on now and next"),
        "/language — " + _("choose your language"),
        "",
        _("Send /help to see everything I can do."),
    ]
    return Reply("\n".join(lines), choices=language_choices())


# Commands whose arguments are mostly for organisers: what others may type after them is that of
# another command (a facilitator's `/table ACT [ROUND]`, as `/join`), or nothing ("").
_PARTICIPANT_USAGE = {"survey": "", "table": "join"}


def _commands_for(ctx: Context) -> list[Any]:
    """The commands (bot.router.Command) as /help shows them: organiser syntax to organisers."""
    shown = []
    for command in ctx.router.commands.values():
        if ctx.role != Role.ORGANISER and command.name in _PARTICIPANT_USAGE:
            other = _PARTICIPANT_USAGE[command.name]
            command = replace(command, usage=ctx.router.commands[other].usage if other else "")
        shown.append(command)
    return shown


async def show_help(ctx: Context) -> Reply:
    lines = [bold(_("What I can do")), ""]
    for command in _commands_for(ctx):
        if command.organisers_only and ctx.role != Role.ORGANISER:
            continue
        usage = f" {command.usage}" if str(command.usage) else ""
        name = command.name_in(current_language())
        lines.append(f"/{name}{escape(usage)} — {command.help}")
    return Reply("\n".join(lines))


@cache
def _language_names() -> dict[str, str]:
    """`fr`, `french`, `francais`, `frances`… → `fr`: every supported language by its code and
    its names in each supported language."""
    names = {}
    for code in LANGUAGES:
        names[code] = code
        for reader in LANGUAGES:
            names[fold(Locale.parse(reader).languages[code])] = code
    return names


def language_code(text: str) -> str | None:
    """`fr`, `French`, `français`, `francés` → `fr`."""
    return _language_names().get(fold(text))


async def choose_language(ctx: Context) -> Reply:
    if not ctx.args:
        return Reply(_("Which language should I use?"), choices=language_choices())
    code = _language_names().get(fold(" ".join(ctx.args)))
    if code is None:
        return Reply(
            _("I do not know the language “{name}”. Please choose one:").format(
                name=excerpt(" ".join(ctx.args))
            ),
            choices=language_choices(),
        )
    return _set_language(ctx, code)


async def language_button(ctx: Context, button: LanguageButton) -> Reply:
    if button.code not in LANGUAGES:
        return Reply(_("Which language should I use?"), choices=language_choices(), edit=True)
    return _set_language(ctx, button.code).edited()


def _set_language(ctx: Context, code: str) -> Reply:
    participants.set_language(ctx.identity, code)
    with use_language(code):
        return Reply(
            "✅ "
            + _("From now on I will write to you in {language}.").format(
                language=formatting.language_name(code)
            )
        )
