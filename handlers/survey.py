"""/survey: the evaluation survey answered in chat, one question at a time, in the reader's
language; organisers open and close it. Buttons carry `survey:ACTION:SURVEY:…`."""

from __future__ import annotations

from collections.abc import Sequence

from bot.buttons import Button
from bot.chat import Choice, Reply
from bot.context import Context, ParticipantContext
from bot.models import Survey, SurveyParticipation, SurveyStatus
from bot.survey import flow, store
from bot.survey.results import participation_counts
from bot.survey.spec import QuestionSpec, SurveySpec
from bot.survey.store import SurveyInvitation, SurveyReminder
from bot.text import formatting
from bot.text.i18n import _, localised, ngettext
from bot.text.markup import bold, escape, italic
from bot.text.matching import fold
from bot.text.numbers import parse_number
from handlers import answers
from handlers.syntax import keyword


class SurveyButton(Button, prefix="survey"):
    """`action` on survey `survey_id`: "go" (start or go on), "b" (back) without a question;
    "a" (answer), "t" (tick), "d" (done), "s" (skip) on question number `question` (a
    question's button pressed after it was answered asks the current question again), with
    the answer's `value` (a scale's value, an option's number)."""

    action: str
    survey_id: int
    question: int | None = None
    value: str | None = None


def _usage() -> Reply:
    return Reply(
        _("Send /survey to answer the meeting's survey.")
        + "\n"
        + _("Organisers: /survey open KEY · /survey close KEY · /survey status · /results KEY")
    )


async def survey(ctx: ParticipantContext) -> Reply:
    if ctx.args:
        return await _organise(ctx, ctx.args[0].lower(), ctx.args[1:])
    found = await flow.open_survey_of(ctx.db, ctx.event)
    if found is None:
        return await _not_open(ctx)
    place = await flow.participation(ctx.db, found, ctx.participant.id, ctx.clock.now())
    if place.finished:
        return Reply(_("You have answered this survey already. Thank you!"))
    spec = store.spec_of(found)
    intro = escape(localised(spec.intro)) if flow.start(place) else ""
    return _ask(found, spec, place, intro=intro)


async def _not_open(ctx: ParticipantContext) -> Reply:
    last = await flow.last_survey_of(ctx.db, ctx.event)
    if last is not None and last.status == SurveyStatus.CLOSED:
        return Reply(_("The survey is closed. Thank you for your interest!"))
    return Reply(_("No survey is open at the moment."))


def _ask(
    found: Survey,
    spec: SurveySpec,
    place: SurveyParticipation,
    *,
    intro: str = "",
    note: str = "",
    edit: bool = False,
) -> Reply:
    """The current question with its buttons, or, when none is left, the thanks."""
    answers = flow.answers_of(place)
    question = flow.current_question(spec, answers)
    if question is None:
        return Reply("🙏 " + escape(localised(spec.thanks)), edit=edit)
    number, total, follow_up = flow.position(spec, question)
    index = spec.questions.index(question)
    lines = [part for part in (intro, note) if part]
    counter = (
        _("question {number} of {total} (follow-up)")
        if follow_up
        else _("question {number} of {total}")
    )
    lines.append(
        "📝 " + escape(localised(spec.title)) + " · " + counter.format(number=number, total=total)
    )
    lines.append(bold(escape(localised(question.text))))
    rows: list[tuple[Choice, ...]] = []

    def data(action: str, value: str | None = None) -> str:
        return SurveyButton(action, found.id, index, value).pack()

    if question.kind == "scale":
        if question.low or question.high:
            lines.append(
                italic(escape(f"1 = {localised(question.low)} · 5 = {localised(question.high)}"))
            )
        rows.append(tuple(Choice(v, data("a", v)) for v in flow.SCALE))
    elif question.kind == "single":
        for number_, option in enumerate(question.options):
            rows.append((Choice(localised(option.label), data("a", str(number_))),))
    elif question.kind == "multiple":
        ticked = flow.selection(place)
        hint = _("Tick all that apply, then press Done.")
        if question.max_choices:
            hint = _("Tick up to {count}, then press Done.").format(count=question.max_choices)
        lines.append(italic(hint))
        for number_, option in enumerate(question.options):
            box = "☑️" if option.code in ticked else "⬜"
            label = f"{box} {localised(option.label)}"
            rows.append((Choice(label, data("t", str(number_))),))
        rows.append((Choice(_("Done"), data("d")),))
    else:
        lines.append(italic(_("Type your answer and send it.")))
    navigation = []
    if (place.progress or {}).get("asked"):
        navigation.append(Choice("« " + _("Back"), SurveyButton("b", found.id).pack()))
    if not question.required:
        navigation.append(Choice(_("Skip"), data("s")))
    if navigation:
        rows.append(tuple(navigation))
    return Reply("\n\n".join(lines), choices=tuple(rows), edit=edit)


async def survey_button(ctx: ParticipantContext, button: SurveyButton) -> Reply:
    action = button.action
    found = await ctx.db.get(Survey, button.survey_id)
    if (
        found is None
        or found.status == SurveyStatus.DRAFT  # not open yet: as if it did not exist
        or found.event_id != ctx.event.id
    ):
        return answers.stale_button()
    if found.status != SurveyStatus.OPEN:
        return Reply(_("The survey is closed. Thank you for your interest!"), edit=True)
    place = await flow.participation(ctx.db, found, ctx.participant.id, ctx.clock.now())
    if place.finished:
        return Reply(_("You have answered this survey already. Thank you!"), edit=True)
    spec = store.spec_of(found)
    if action == "go":
        intro = escape(localised(spec.intro)) if flow.start(place) else ""
        return _ask(found, spec, place, intro=intro)
    if action == "b":
        flow.back(place)
        return await _finish_or_ask(ctx, found, spec, place, edit=True)
    current = flow.current_question(spec, flow.answers_of(place))
    if current is None or button.question != spec.questions.index(current):
        return _ask(found, spec, place, edit=True)  # a button of an earlier question
    return await _press(ctx, found, spec, place, current, action, button.value or "")


async def _press(
    ctx: Context,
    found: Survey,
    spec: SurveySpec,
    place: SurveyParticipation,
    question: QuestionSpec,
    action: str,
    value: str,
) -> Reply:
    # the number of an option; none for a question without options
    option = parse_number(value, maximum=len(question.options) - 1)
    if action == "s" and not question.required:
        flow.record(place, question, None)
    elif action == "a" and question.kind == "scale":
        answer = flow.parse(question, value)
        if answer == "invalid":
            return _ask(found, spec, place, edit=True)
        flow.record(place, question, answer)
    elif action == "a" and question.kind == "single" and option is not None:
        flow.record(place, question, question.options[option].code)
    elif action == "t" and option is not None:
        if not flow.toggle(place, question, question.options[option].code):
            note = _("You can tick up to {count}.").format(count=question.max_choices)
            return _ask(found, spec, place, note=italic(note), edit=True)
        return _ask(found, spec, place, edit=True)
    elif action == "d" and question.kind == "multiple":
        ticked = flow.selection(place)
        if not ticked and question.required:
            note = _("Please tick at least one answer.")
            return _ask(found, spec, place, note=italic(note), edit=True)
        flow.record(place, question, ticked or None)
    else:
        return _ask(found, spec, place, edit=True)
    return await _finish_or_ask(ctx, found, spec, place, edit=True)


async def _finish_or_ask(
    ctx: Context, found: Survey, spec: SurveySpec, place: SurveyParticipation, edit: bool
) -> Reply:
    if flow.current_question(spec, flow.answers_of(place)) is None:
        await flow.finish(ctx.db, found, spec, place, ctx.clock.now(), ctx.translation_provider)
        return Reply("🙏 " + escape(localised(spec.thanks)), edit=edit)
    return _ask(found, spec, place, edit=edit)


async def typed_answer(ctx: Context) -> Reply | None:
    """A plain message while answering: the answer to a text question, or, where buttons are
    expected, the question again. None when the person is answering no survey."""
    if ctx.event is None or ctx.participant is None:
        return None
    found = await flow.open_survey_of(ctx.db, ctx.event)
    if found is None:
        return None
    place = await flow.in_progress(ctx.db, found, ctx.participant.id)
    if place is None:
        return None
    spec = store.spec_of(found)
    question = flow.current_question(spec, flow.answers_of(place))
    if question is None:
        return None
    if question.kind != "text":
        note = italic(_("Please answer with the buttons below."))
        return _ask(found, spec, place, note=note)
    answer = flow.parse(question, ctx.incoming.text)
    if answer == "too-long":
        note = _("That is longer than I can keep ({limit} characters at most).").format(
            limit=formatting.number(flow.TEXT_LIMIT)
        )
        return _ask(found, spec, place, note=italic(note))
    if answer == "empty":
        return _ask(found, spec, place)
    flow.record(place, question, answer)
    return await _finish_or_ask(ctx, found, spec, place, edit=False)


def survey_title(found: Survey) -> str:
    return localised(store.spec_of(found).title)


def pick_survey(every: list[Survey], words: Sequence[str]) -> Survey | None:
    """The survey `words` name: its number in the list, its key or its title in any language."""
    text = fold(" ".join(words))
    number = parse_number(text, minimum=1, maximum=len(every)) if text else None
    if number is not None:
        return every[number - 1]
    for found in every:
        if text and text in (fold(found.key), *map(fold, store.spec_of(found).title.values())):
            return found
    return None


ORGANISING = ("open", "close", "status")


def organising(args: Sequence[str]) -> bool:
    """Whether `/survey ARGS` is an organiser's subcommand (the router checks the role)."""
    return bool(args) and keyword(args[0].lower()) in ORGANISING


async def _organise(ctx: ParticipantContext, action: str, words: tuple[str, ...]) -> Reply:
    """/survey open|close|status for organisers."""
    action = keyword(action) or action
    if action not in ORGANISING:
        return _usage()
    every = await store.surveys(ctx.db, ctx.event)
    if not every:
        return Reply(_("No survey is loaded: coordbot survey load FILE"))
    if action == "status":
        return await _status(ctx, every)
    found = pick_survey(every, words) or (every[0] if len(every) == 1 and not words else None)
    if found is None:
        keys = ", ".join(f"{n} ({escape(survey_title(s))})" for n, s in enumerate(every, 1))
        return Reply(_("Which survey? The surveys: {keys}").format(keys=keys))
    if action == "close":
        store.close_survey(found, ctx.clock.now())
        return Reply(
            _("The survey {key} is closed: answers are no longer taken.").format(
                key=bold(escape(survey_title(found)))
            )
        )
    invited = await store.open_survey(ctx.db, found, ctx.clock.now())
    return Reply(
        "✅ "
        + ngettext(
            "The survey {key} is open; {count} participant is invited.",
            "The survey {key} is open; {count} participants are invited.",
            invited,
        ).format(key=bold(escape(survey_title(found))), count=formatting.number(invited))
    )


async def _status(ctx: Context, every: list[Survey]) -> Reply:
    states = {
        SurveyStatus.DRAFT: _("not open yet"),
        SurveyStatus.OPEN: _("open"),
        SurveyStatus.CLOSED: _("closed"),
    }
    lines = []
    for found in every:
        invited, started, finished = await participation_counts(ctx.db, found)
        lines.append(
            bold(escape(survey_title(found)))
            + f" — {states[found.status]}\n"
            + _("Invited: {invited} · answering: {started} · finished: {finished}").format(
                invited=formatting.number(invited),
                started=formatting.number(started),
                finished=formatting.number(finished),
            )
        )
    return Reply("\n\n".join(lines))


def invitation(notice: SurveyInvitation) -> Reply:
    return Reply(
        "📝 "
        + _(
            "Your opinion counts: please answer the survey “{title}”. It takes a few minutes."
        ).format(title=escape(localised(notice.title))),
        choices=((Choice(_("Answer now"), SurveyButton("go", notice.survey).pack()),),),
    )


def reminder(notice: SurveyReminder) -> Reply:
    return Reply(
        "⏰ "
        + _("A reminder: the survey “{title}” is waiting for your answers. Thank you!").format(
            title=escape(localised(notice.title))
        ),
        choices=((Choice(_("Answer now"), SurveyButton("go", notice.survey).pack()),),),
    )
