"""Feedback after a session: the question with its buttons 1–5, the rating, a comment (the next
message within half an hour, /comment TEXT, or on Slack a form behind "Add a comment"), and what
organisers read in /results and the export. The rules are in bot/floor/feedback.py."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from zoneinfo import ZoneInfo

from bot.buttons import Button
from bot.chat import Choice, Field, Form, Reply
from bot.context import Context, ParticipantContext
from bot.floor import feedback
from bot.floor.feedback import FeedbackAsked, Rated, SessionFeedback
from bot.models import Session
from bot.text import formatting
from bot.text.i18n import _, localised
from bot.text.markup import bold, escape, italic
from bot.text.numbers import parse_number
from bot.translation.reading import ReadText, Shown, read, reading
from handlers import answers, translation

QUOTED = 5  # comments quoted per session in the chat (the export has them all)
QUOTE_LENGTH = 300
ORIGINAL_LENGTH = 200
BAR = 10  # characters of the longest bar of the distribution


class FeedbackButton(Button, prefix="feedback"):
    """A rating (1–5) of a session, pressed under the feedback question."""

    session_id: int
    rating: int


class CommentButton(Button, prefix="fbcomment", command="comment"):
    """ "Add a comment" under the thanks for a rating: a form where the platform has them."""

    session_id: int


FORM = "feedback-comment"
FIELD = "comment-"  # + the session's id


def word(rating: int) -> str:
    """What a rating means, in the reader's language."""
    words = {
        1: _("poor"),
        2: _("fair"),
        3: _("good"),
        4: _("very good"),
        5: _("excellent"),
    }
    return words[rating]


def label(rating: int) -> str:
    return f"{rating} · {word(rating)}"


def asked(notice: FeedbackAsked) -> Reply:
    """The question after a session: one tap from 1 to 5."""
    text = "⭐ " + _("How was the session “{title}”? Please rate it from 1 to 5.").format(
        title=bold(escape(localised(notice.title)))
    )
    note = _("Your answer is anonymous: it is kept without your name.")
    rows = tuple(
        (Choice(label(rating), FeedbackButton(notice.session_id, rating).pack()),)
        for rating in feedback.SCALE
    )
    return Reply(f"{text}\n\n{italic(note)}", choices=rows)


def _minutes() -> int:
    return int(feedback.COMMENT_WINDOW.total_seconds() // 60)


async def feedback_button(ctx: ParticipantContext, button: FeedbackButton) -> Reply:
    if button.rating not in feedback.SCALE:
        return answers.stale_button()
    session = await ctx.db.get(Session, button.session_id)
    if session is None or session.event_id != ctx.event.id:
        return _not_asked()
    now = ctx.clock.now()
    rated = await feedback.rate(ctx.db, session.id, ctx.participant.id, button.rating, now)
    title = bold(escape(localised(session.title)))
    if rated == Rated.NOT_ASKED:
        return _not_asked()
    if rated == Rated.ALREADY:
        return Reply(
            _("You have already rated “{title}”: nothing was changed. Thank you!").format(
                title=title
            ),
            edit=True,
        )
    thanks = "🙏 " + _("Thank you! You rated “{title}”: {rating}.").format(
        title=title, rating=escape(label(button.rating))
    )
    offer = _(
        "Anything to add? Write it here within {minutes} minutes (or send /comment TEXT): "
        "it is kept without your name."
    ).format(minutes=_minutes())
    add = Choice("💬 " + _("Add a comment"), CommentButton(session.id).pack())
    return Reply(f"{thanks}\n\n{offer}", choices=((add,),), edit=True)


async def comment_button(ctx: ParticipantContext, button: CommentButton) -> Reply:
    """A form on Slack (where a message starting with a command's name would be taken for
    that command); elsewhere, how to write the comment."""
    now = ctx.clock.now()
    session = await feedback.commenting(ctx.db, ctx.participant.id, now, button.session_id)
    if session is None:
        return _nothing_to_comment()
    title = localised(session.title)  # a form's label is plain text
    # The field's name carries the session: the form's answer comes back to the right one.
    field = Field(
        f"{FIELD}{session.id}", _("Your comment on “{title}”").format(title=title), kind="lines"
    )
    form = Form(FORM, _("Your comment"), _("Send"), (field,))
    text = _("Write your comment here within {minutes} minutes, or send /comment TEXT.").format(
        minutes=_minutes()
    )
    return Reply(text, form=form)


async def comment_form(ctx: Context) -> Reply:
    """The Slack form's comment."""
    if ctx.participant is None or ctx.participant.erased_at is not None:
        return answers.registered_only()
    named = [
        (parse_number(name.removeprefix(FIELD)), text)
        for name, text in ctx.incoming.values
        if name.startswith(FIELD)
    ]
    session_id, text = named[0] if named else (None, "")
    session = (
        await feedback.commenting(ctx.db, ctx.participant.id, ctx.clock.now(), session_id)
        if session_id is not None
        else None
    )
    if session is None:
        return _nothing_to_comment()
    if not text.strip():
        return Reply(_("Nothing was kept: the comment was empty."))
    return await _keep(ctx, session, text)


def _nothing_to_comment() -> Reply:
    return Reply(
        _(
            "There is no session to comment on: after you rate a session, you can add a "
            "comment within {minutes} minutes."
        ).format(minutes=_minutes())
    )


def _not_asked() -> Reply:
    return Reply(_("I did not ask you about this session, so nothing was recorded. Thank you!"))


async def comment(ctx: ParticipantContext) -> Reply:
    """/comment TEXT: a comment on the session rated last, within half an hour."""
    text = " ".join(ctx.args)
    session = await feedback.commenting(ctx.db, ctx.participant.id, ctx.clock.now())
    if session is None:
        return _nothing_to_comment()
    if not text.strip():
        return Reply(
            _("Write your comment after the command, for example: /comment {example}").format(
                example=_("The interpretation was very clear.")
            )
        )
    return await _keep(ctx, session, text)


async def typed_comment(ctx: Context) -> Reply | None:
    """A plain message within half an hour of a rating: a comment on that session. None when
    the person rated nothing lately."""
    if ctx.participant is None or ctx.participant.erased_at is not None:
        return None
    session = await feedback.commenting(ctx.db, ctx.participant.id, ctx.clock.now())
    if session is None or not ctx.incoming.text.strip():
        return None
    return await _keep(ctx, session, ctx.incoming.text)


async def _keep(ctx: Context, session: Session, text: str) -> Reply:
    text = text.strip()
    if len(text) > feedback.COMMENT_LIMIT:
        return Reply(
            _("That is longer than I can keep ({limit} characters at most).").format(
                limit=formatting.number(feedback.COMMENT_LIMIT)
            )
        )
    await feedback.comment(ctx.db, session, text, ctx.clock.now(), ctx.translation_provider)
    return Reply(
        "🙏 "
        + _("Your comment on “{title}” is kept, without your name. Thank you!").format(
            title=bold(escape(localised(session.title)))
        )
    )


# What organisers read: /results and the export.


def _quote(text: str, limit: int = QUOTE_LENGTH) -> str:
    return _("“{text}”").format(text=escape(" ".join(text.split())[:limit]))


def _comment(original: str, seen: ReadText) -> str:
    """A comment in italics; translated, with the start of the original after it."""
    if seen.shown != Shown.TRANSLATED:
        return italic(_quote(original))
    written = _("(original: {text})").format(text=_quote(original, ORIGINAL_LENGTH))
    return f"{italic(_quote(seen.text))} {written}"


def _mean(result: SessionFeedback) -> str:
    if result.mean is None:
        return _("No rating yet.")
    return _("Mean: {mean} out of 5").format(mean=formatting.decimal(result.mean))


def _distribution(result: SessionFeedback) -> list[str]:
    """One line per rating, from 5 down: a bar, the count and its share."""
    most = max(result.counts.values(), default=0)
    lines = []
    for rating in reversed(feedback.SCALE):
        count = result.counts.get(rating, 0)
        bar = "▇" * (round(BAR * count / most) if most else 0)
        share = formatting.share(count, result.ratings)
        figures = _("{answer}: {count} ({share})").format(
            answer=escape(label(rating)), count=formatting.number(count), share=share
        )
        lines.append(f"{figures} {bar}".rstrip())
    return lines


def _heading(result: SessionFeedback, zone: ZoneInfo) -> str:
    when = formatting.moment(result.starts_at, zone)
    return "⭐ " + bold(escape(localised(result.title))) + f" · {escape(when)}"


async def session_results(ctx: Context) -> list[Reply]:
    """Per session marked for feedback: how many were asked and rated, the mean, the
    distribution, and the comments in the organiser's language with their original."""
    if ctx.event is None:
        return []
    found = await feedback.results(ctx.db, ctx.event.id)
    if not found:
        return []
    zone = ZoneInfo(ctx.event.timezone)
    with reading(translation.reader(ctx)):
        quoted = {
            r.session_id: [(t, await read(ctx.db, t)) for t in r.comments[:QUOTED]] for r in found
        }
    replies = [Reply(bold(_("Feedback per session")))]
    for result in found:
        lines = [
            _heading(result, zone),
            _("Asked: {asked} · ratings: {ratings} · comments: {comments}").format(
                asked=formatting.number(result.asked),
                ratings=formatting.number(result.ratings),
                comments=formatting.number(len(result.comments)),
            ),
            _mean(result),
        ]
        if result.ratings:
            lines += ["• " + line for line in _distribution(result)]
        lines += [_comment(original, seen) for original, seen in quoted[result.session_id]]
        if len(result.comments) > QUOTED:
            more = formatting.number(len(result.comments) - QUOTED)
            lines.append(_("… and {count} more in the export.").format(count=more))
        replies.append(Reply("\n".join(lines)))
    seen_all = [seen for texts in quoted.values() for _t, seen in texts]
    if any(seen.shown == Shown.NOT_TRANSLATED for seen in seen_all):
        note = _("Some answers are shown as written: their translation is not ready.")
        last = replies[-1]
        replies[-1] = Reply(f"{last.text}\n\n{italic(note)}")
    return replies


def markdown(
    found: Sequence[SessionFeedback], translated: Mapping[str, str] | None, zone: ZoneInfo
) -> str:
    """feedback.md, in the language in force: per session its figures and every comment,
    translated (`translated`, by comment) with its original after it."""
    lines = [f"# {_('Feedback per session')}"]
    for result in found:
        when = formatting.moment(result.starts_at, zone)
        lines += ["", f"## {localised(result.title)} ({when})", ""]
        lines.append(
            _("Asked: {asked} · ratings: {ratings} · comments: {comments}").format(
                asked=formatting.number(result.asked),
                ratings=formatting.number(result.ratings),
                comments=formatting.number(len(result.comments)),
            )
        )
        lines.append(_mean(result))
        if result.ratings:
            lines += ["", "| " + _("Answer") + " | n | % |", "|---|---:|---:|"]
            for rating in reversed(feedback.SCALE):
                count = result.counts.get(rating, 0)
                share = formatting.share(count, result.ratings)
                lines.append(f"| {label(rating)} | {count} | {share} |")
        if result.comments:
            lines.append("")
        for text in result.comments:
            written = " ".join(text.split())
            shown = " ".join((translated or {}).get(text, text).split())
            lines.append("> " + shown)
            if shown != written:
                quote = _("“{text}”").format(text=written)
                lines.append("> " + _("(original: {text})").format(text=quote))
            lines.append("")
    return "\n".join(lines).rstrip() + "\n"
