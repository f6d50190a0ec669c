"""/mydata and /forget: what the bot keeps about me, and erasing it."""

from __future__ import annotations

from bot.buttons import Button
from bot.chat import Choice, Reply
from bot.context import Context
from bot.floor import feedback, polls, speakers
from bot.floor import questions as floor_questions
from bot.models import MembershipStatus
from bot.people import privacy
from bot.programme.meeting import local_day
from bot.reports import labels
from bot.text import formatting
from bot.text.i18n import _, localised
from bot.text.markup import bold, escape
from bot.translation import store as translations
from handlers import checkin, floor_speakers, lite


class ForgetButton(Button, prefix="forget"):
    """ "yes" erases; anything else keeps."""

    answer: str


def _yes_no(value: bool | None) -> str:
    if value is None:
        return _("not given")
    return _("yes") if value else _("no")


def _address(form: str | None) -> str:
    forms = {"feminine": _("feminine"), "masculine": _("masculine")}
    return forms.get(form or "", _("not given (inclusive forms)"))


def _excerpt(text: str, most: int = 60) -> str:
    line = " ".join(text.split())
    return line if len(line) <= most else line[: most - 1] + "…"


async def my_data(ctx: Context) -> Reply:
    data = await privacy.personal_data(ctx.db, ctx.identity)
    lines = [bold(_("What I keep about you")), ""]
    person = data.participant
    if person is None:
        lines.append(_("You are not registered: I keep only this chat account."))
    else:
        gender = {"woman": _("woman"), "man": _("man"), "other": _("other")}
        reminders = (
            _("{minutes} minutes before").format(minutes=person.reminder_minutes)
            if person.reminder_minutes
            else _("off")
        )
        fields = [
            (_("Name"), escape(person.name)),
            (_("E-mail"), escape(person.email or "—")),
            (_("Organisation"), escape(person.organisation or "—")),
            (_("Role"), labels.persons_role(person)),
            (_("Region"), labels.region(person.region)),
            (_("Country"), labels.country(person.country) or "—"),
            (
                _("Language"),
                formatting.language_name(person.language)
                if person.language
                else _("as your chat app"),
            ),
            (_("Reminders"), reminders),
            (
                _("Data saver"),
                lite.kept(ctx, person),
            ),
            (
                _("Calendar address"),
                _("yes (/calendar reset replaces it)") if person.calendar_token else "—",
            ),
            (_("Gender"), gender.get(person.gender or "", _("not given"))),
            (_("Form of address"), _address(person.form_of_address)),
            (_("Migrant, refugee or diaspora"), _yes_no(person.migrant_background)),
            (_("Youth delegate"), _yes_no(person.youth)),
        ]
        # The colon is the catalog's: French writes "Nom : …".
        lines += [_("{label}: {value}").format(label=name, value=value) for name, value in fields]
        for seat in data.tables:
            status = _("waiting list") if seat.status == MembershipStatus.WAITLISTED else ""
            lines.append(
                _("Table: {round}, Act {act}").format(
                    round=escape(localised(seat.round_title)), act=seat.act
                )
                + (f" ({status})" if status else "")
            )
        for title in data.groups:
            lines.append(_("Reference group: {group}").format(group=escape(localised(title))))
        # Their choices in live polls: never shown to anyone else, only counted (docs/privacy.md).
        for given in await polls.answers_of(ctx.db, person.id):
            line = _("Poll answer: {question} → {choice}").format(
                question=escape(_excerpt(localised(given.question))),
                choice=escape(localised(given.choice)),
            )
            lines.append(line + (" " + _("(poll closed)") if given.closed else ""))
        lines += floor_speakers.kept_lines(await speakers.kept_for(ctx.db, person.id))
        # The feedback questions they were sent; not their answers, which name nobody.
        for request in await feedback.requests_of(ctx.db, person.id):
            answer = _("answered") if request.answered else _("not answered")
            lines.append(
                _("Feedback asked on: {session} ({answer})").format(
                    session=escape(localised(request.title)), answer=answer
                )
            )
        for question in await floor_questions.of_participant(ctx.db, person.id):
            lines.append(
                _("Question from the floor (#{number}): {text}").format(
                    number=question.id, text=escape(_excerpt(question.text) or "🎤")
                )
            )
        lines += await checkin.kept_lines(ctx, person)
        votes = await floor_questions.votes_of(ctx.db, person.id)
        if votes:
            lines.append(_("Votes for questions from the floor: {count}").format(count=votes))
        # What they wrote that was sent to the translation service (docs/privacy.md).
        for text, targets in await translations.of_author(ctx.db, person.id):
            lines.append(
                _("Translated automatically ({languages}): {text}").format(
                    languages=formatting.join([formatting.language_name(t) for t in targets]),
                    text=escape(_excerpt(text.text)),
                )
            )
    lines.append("")
    for account in data.accounts:
        since = formatting.day(local_day(ctx.event, account.created_at)) if ctx.event else ""
        lines.append(
            _("Chat account: {platform}, since {day}").format(
                platform=labels.platform(account.platform), day=since
            )
        )
    lines += ["", _("Nothing of what is said at the tables is stored. /forget erases your data.")]
    return Reply("\n".join(lines))


async def forget(ctx: Context) -> Reply:
    return Reply(
        _(
            "Erase your name, contacts, tables, groups and chat links? Anonymous survey answers "
            "and the meeting's overall figures stay. This cannot be undone."
        ),
        choices=(
            (
                Choice(_("Yes, erase my data"), ForgetButton("yes").pack()),
                Choice(_("No, keep it"), ForgetButton("no").pack()),
            ),
        ),
    )


async def forget_button(ctx: Context, button: ForgetButton) -> Reply:
    if button.answer != "yes":
        return Reply(_("Nothing was erased."), edit=True)
    await privacy.erase(ctx.db, ctx.identity, ctx.clock.now())
    return Reply(
        _("Done: your data is erased and this chat is no longer linked to you. Goodbye!"),
        edit=True,
    )
