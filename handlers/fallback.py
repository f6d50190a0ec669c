"""What the bot says to commands it does not know and to plain messages."""

from __future__ import annotations

from bot.chat import Reply
from bot.context import PARTICIPANT, Context
from bot.people import invitations
from bot.text.i18n import _
from bot.text.markup import excerpt
from handlers import account, answers, checkin, floor_feedback, floor_questions, survey


async def unknown_command(ctx: Context) -> Reply:
    return Reply(
        _("I do not know the command /{command}. Send /help to see what I can do.").format(
            command=excerpt(ctx.incoming.command or "")
        )
    )


async def plain_text(ctx: Context) -> Reply | list[Reply]:
    if not ctx.incoming.private:
        # In a group, people talk to each other, not to the bot; but a code shown there is void.
        return await account.void_in_group(ctx, ctx.incoming.text)
    if ctx.incoming.voice is not None and PARTICIPANT.get(ctx) is not None:
        return await floor_questions.ask_by_voice(ctx)  # a question from the floor, by voice
    scanned = await checkin.scanned(ctx, ctx.incoming.text)  # a QR code at the door (WhatsApp)
    if scanned is not None:
        return scanned
    code = invitations.normalise(ctx.incoming.text)
    if code is not None:
        return await account.redeem(ctx, code)
    answered = await survey.typed_answer(ctx)
    if answered is not None:
        return answered
    commented = await floor_feedback.typed_comment(ctx)
    if commented is not None:
        return commented
    return Reply(_("I answer commands such as /agenda or /next. Send /help to see them all."))


async def stale_button(ctx: Context) -> Reply:
    return answers.stale_button()
