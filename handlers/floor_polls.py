"""/poll: live polls in a session. A moderator launches one, the session's participants answer
with buttons until the time limit, and everyone gets the result with a chart in their language."""

from __future__ import annotations

import asyncio
import logging
import re
import threading
from collections import OrderedDict
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from bot.buttons import Button
from bot.chat import Choice, Image, Reply
from bot.context import ParticipantContext
from bot.floor import polls, rooms
from bot.floor.polls import Answered, PollClosed, PollOpened, Problem, Tally
from bot.models import Poll, Session, Texts
from bot.text import charts, formatting
from bot.text.i18n import LANGUAGES, _, current_language, localised, use_language
from bot.text.markup import bold, escape, italic
from handlers import answers
from handlers.syntax import is_keyword

log = logging.getLogger(__name__)


class PollAnswerButton(Button, prefix="poll:a"):
    """A participant's press on choice number `choice` (from 0) of a poll."""

    poll_id: int
    choice: int


class PollDoneButton(Button, prefix="poll:d"):
    """A multiple-choice poll: the participant has ticked what they wanted."""

    poll_id: int


class PollModeratorButton(Button, prefix="poll:m"):
    """A moderator's "close" or "results" on a poll (the role is checked on every press)."""

    poll_id: int
    action: str


_LINE = re.compile(r"^\s*(EN|FR|ES)\s*:\s?(.*)$", re.IGNORECASE)
# Where a language's part begins in a poll written on one line (a terminal, a chat app that
# sends on Enter): ` fr:` after a space.
_ONE_LINE_PART = re.compile(r"\s+(?=(?:EN|FR|ES)\s*:)", re.IGNORECASE)
_DURATION = re.compile(r"^(\d{1,4})\s*(s|sec|m|min|mn|h)?$", re.IGNORECASE)
_UNITS = {"s": 1, "sec": 1, "m": 60, "min": 60, "mn": 60, "h": 3600}


# Each line in its own language, whoever reads it.
EXAMPLE = (
    "en: Which priority first? | Labour rights | Climate | Children",
    "fr: Quelle priorité d’abord\u00a0? | Droits du travail | Climat | Enfants",
    "es: ¿Qué prioridad primero? | Derechos laborales | Clima | Niñez",
)


def _usage() -> str:
    return "\n".join(
        [
            _("Launch a poll in the session you moderate, for example:"),
            _("/poll 3m"),
            *EXAMPLE,
            _(
                "One line per language: the question, then 2 to 6 choices, separated by |. "
                "English is needed; add multi for several answers each, a time limit (2m by "
                "default, 1h at most) and the session's key when you moderate several."
            ),
            _("On one line works too: /poll 2m en: Question? | A | B fr: … es: …"),
            _("/poll close ends the poll now; /poll results shows the answers so far."),
        ]
    )


def _duration(word: str) -> timedelta | None:
    match = _DURATION.match(word)
    if match is None:
        return None
    unit = _UNITS[(match.group(2) or "m").lower()]
    return timedelta(seconds=int(match.group(1)) * unit)


def _texts(lines: Sequence[str]) -> tuple[Texts, dict[str, list[str]]]:
    """The question and the choices of each language's line (`en: Q | a | b`)."""
    question: Texts = {}
    choices: dict[str, list[str]] = {}
    for line in lines:
        match = _LINE.match(line)
        if match is None:
            continue
        language = match.group(1).lower()
        first, *rest = match.group(2).split("|")
        question[language] = " ".join(first.split())
        choices[language] = [" ".join(option.split()) for option in rest]
    return question, choices


def _problem(problem: Problem) -> str:
    return {
        Problem.NO_QUESTION: _("Write the question first, then its choices: en: Question | A | B"),
        Problem.NO_ENGLISH: _("Write the poll in English at least, on a line starting with en:"),
        Problem.TOO_FEW: _("A poll needs at least 2 choices, separated by |."),
        Problem.TOO_MANY: _("A poll has at most 6 choices."),
        Problem.COUNTS_DIFFER: _("Give the same number of choices in every language."),
        Problem.EMPTY_CHOICE: _("One of the choices is empty: check the | signs."),
        Problem.TOO_LONG: _(
            "Too long: at most {question} characters for the question and {choice} for a choice."
        ).format(question=polls.QUESTION_LENGTH, choice=polls.CHOICE_LENGTH),
    }[problem]


def _zone(ctx: ParticipantContext) -> ZoneInfo:
    return ZoneInfo(ctx.event.timezone)


def _not_moderator() -> Reply:
    return Reply(_("Only the organisers and the session's moderators can run its polls."))


async def _session(ctx: ParticipantContext, key: str | None) -> Session | Reply:
    """The open session the writer moderates: the one named, or their only one."""
    now = ctx.clock.now()
    if key is not None:
        session = await rooms.by_key(ctx.db, ctx.event, key)
        if session is None or not rooms.is_open(session, now):
            return Reply(
                _("No session {key} is open to the floor now.").format(key=bold(escape(key)))
            )
        if not await rooms.is_moderator(ctx.db, ctx.participant, session):
            return _not_moderator()
        return session
    sessions = await rooms.moderating(ctx.db, ctx.event, ctx.participant, now)
    if not sessions:
        return Reply(_("You moderate no session open to the floor now."))
    if len(sessions) > 1:
        keys = ", ".join(escape(s.key) for s in sessions)
        return Reply(_("Which session? Add its key: {keys}").format(keys=keys))
    return sessions[0]


async def poll(ctx: ParticipantContext) -> Reply:
    text = ctx.incoming.text
    if "\n" not in text.strip():  # all on one line: each language's part on a line of its own
        text = _ONE_LINE_PART.sub("\n", text.strip())
    first, *following = text.split("\n")
    words = first.split()[1:]
    if words and is_keyword(words[0], "close"):
        return await _close(ctx, words[1] if len(words) > 1 else None)
    if words and is_keyword(words[0], "results"):
        return await _results(ctx, words[1] if len(words) > 1 else None)
    multiple, duration, key = False, polls.DEFAULT_DURATION, None
    for word in words:
        if is_keyword(word, "multi"):
            multiple = True
        elif (given := _duration(word)) is not None:
            duration = given
        else:
            key = word
    if not any(_LINE.match(line) for line in following):
        return Reply(_usage())
    if not polls.SHORTEST <= duration <= polls.LONGEST:
        return Reply(_("The time limit is between 30 seconds and 1 hour: 2m, 90s, 1h."))
    question, choices = _texts(following)
    problem = polls.check(question, choices)
    if problem is not None:
        return Reply(_problem(problem))
    session = await _session(ctx, key)
    if isinstance(session, Reply):
        return session
    now = ctx.clock.now()
    running = await polls.open_poll(ctx.db, session, now)
    if running is not None:
        return Reply(
            _("A poll is open in this session until {time}: /poll close ends it.").format(
                time=formatting.time_of_day(running.closes_at, _zone(ctx))
            )
        )
    launched, count = await polls.launch(
        ctx.db,
        session,
        ctx.participant,
        question,
        polls.as_choices(choices),
        multiple,
        duration,
        ctx.event.timezone,
        now,
    )
    return Reply(
        "📊 "
        + _(
            "Poll launched in {session}: sent to {count} participants. It closes at {time}; "
            "the result then goes to everyone."
        ).format(
            session=bold(escape(localised(session.title))),
            count=formatting.number(count),
            time=formatting.time_of_day(launched.closes_at, _zone(ctx)),
        ),
        choices=_moderator_buttons(launched),
    )


def _moderator_buttons(launched: Poll) -> tuple[tuple[Choice, ...], ...]:
    return (
        (
            Choice(_("Answers so far"), PollModeratorButton(launched.id, "results").pack()),
            Choice(_("Close now"), PollModeratorButton(launched.id, "close").pack()),
        ),
    )


async def _close(ctx: ParticipantContext, key: str | None) -> Reply:
    session = await _session(ctx, key)
    if isinstance(session, Reply):
        return session
    running = await polls.open_poll(ctx.db, session, ctx.clock.now())
    if running is None:
        return Reply(_("No poll is open in this session."))
    return _closed(running, ctx.clock.now())


def _closed(running: Poll, now: datetime) -> Reply:
    if not polls.close_early(running, now):
        return Reply(_("This poll is closed already: the result is on its way."))
    return Reply("✅ " + _("The poll is closed: the result goes to the participants now."))


async def _results(ctx: ParticipantContext, key: str | None) -> Reply:
    session = await _session(ctx, key)
    if isinstance(session, Reply):
        return session
    last = await polls.latest(ctx.db, session)
    if last is None:
        return Reply(_("No poll yet in this session."))
    return Reply(figures(await polls.tally(ctx.db, last), live=True))


async def moderator_button(ctx: ParticipantContext, button: PollModeratorButton) -> Reply:
    found = await ctx.db.get(Poll, button.poll_id)
    session = await ctx.db.get(Session, found.session_id) if found is not None else None
    if found is None or session is None or session.event_id != ctx.event.id:
        return answers.stale_button()
    if not await rooms.is_moderator(ctx.db, ctx.participant, session):
        log.warning("refused a poll's moderator button to participant %s", ctx.participant.id)
        return _not_moderator()
    if button.action == "close":
        return _closed(found, ctx.clock.now())
    return Reply(figures(await polls.tally(ctx.db, found), live=True))


# What participants see.


def _question_text(
    session: Texts,
    question: Texts,
    multiple: bool,
    closes_at: datetime,
    zone: ZoneInfo,
    note: str = "",
) -> str:
    lines = ["📊 " + _("Poll · {session}").format(session=escape(localised(session)))]
    lines.append(bold(escape(localised(question))))
    if current_language() not in question:
        lines.append(italic(_("(This poll is not available in your language.)")))
    time = formatting.time_of_day(closes_at, zone)
    if multiple:
        hint = _("Tick all that apply, then press Done, before {time}.").format(time=time)
    else:
        hint = _("Press your answer before {time}; you may change it until then.").format(time=time)
    lines.append(italic(hint))
    if note:
        lines.append(note)
    return "\n\n".join(lines)


def _choice_buttons(
    poll_id: int, choices: list[Texts], multiple: bool, chosen: Sequence[int]
) -> tuple[tuple[Choice, ...], ...]:
    rows = []
    for number, choice in enumerate(choices):
        if multiple:
            mark = "☑️ " if number in chosen else "⬜ "
        else:
            mark = "✅ " if number in chosen else ""
        rows.append((Choice(mark + localised(choice), PollAnswerButton(poll_id, number).pack()),))
    if multiple:
        rows.append((Choice(_("Done"), PollDoneButton(poll_id).pack()),))
    return tuple(rows)


def opened(notice: PollOpened) -> Reply:
    """The `poll_opened` notice: the question and a button per choice."""
    text = _question_text(
        notice.session,
        notice.question,
        notice.multiple,
        notice.closes_at,
        ZoneInfo(notice.timezone),
    )
    return Reply(text, choices=_choice_buttons(notice.poll, notice.choices, notice.multiple, ()))


async def _shown(ctx: ParticipantContext, found: Poll, note: str) -> Reply:
    session = await ctx.db.get_one(Session, found.session_id)
    chosen = await polls.choices_of(ctx.db, found, ctx.participant)
    text = _question_text(
        session.title, found.question, found.multiple, found.closes_at, _zone(ctx), note
    )
    return Reply(text, choices=_choice_buttons(found.id, found.choices, found.multiple, chosen))


def _refusal(outcome: Answered) -> Reply | None:
    if outcome == Answered.CLOSED:
        return Reply(
            _("This poll is closed: answers are no longer taken. The result follows."), edit=True
        )
    if outcome == Answered.NOT_YOURS:
        return Reply(_("This poll is for the participants of its session."))
    return None


async def answer_button(ctx: ParticipantContext, button: PollAnswerButton) -> Reply:
    found = await ctx.db.get(Poll, button.poll_id)
    if found is None:
        return answers.stale_button()
    outcome = await polls.answer(ctx.db, found, ctx.participant, button.choice, ctx.clock.now())
    refused = _refusal(outcome)
    if refused is not None:
        return refused
    if outcome == Answered.NO_SUCH_CHOICE:
        return answers.stale_button()
    recorded = "✅ " + _("Your answer is recorded. Thank you!")
    shown = await _shown(ctx, found, recorded if outcome == Answered.RECORDED else "")
    return Reply(shown.text, choices=shown.choices, edit=True)


async def done_button(ctx: ParticipantContext, button: PollDoneButton) -> Reply:
    found = await ctx.db.get(Poll, button.poll_id)
    if found is None:
        return answers.stale_button()
    session = await ctx.db.get_one(Session, found.session_id)
    if not rooms.may_take_part(ctx.participant, session):
        return Reply(_("This poll is for the participants of its session."))
    if polls.is_closed(found, ctx.clock.now()):
        return _refusal(Answered.CLOSED) or answers.stale_button()
    chosen = await polls.choices_of(ctx.db, found, ctx.participant)
    if not chosen:
        shown = await _shown(ctx, found, italic(_("Please tick at least one answer.")))
        return Reply(shown.text, choices=shown.choices, edit=True)
    names = formatting.join([escape(localised(found.choices[n])) for n in chosen])
    return Reply(
        "✅ " + _("Your answers are recorded: {choices}. Thank you!").format(choices=names),
        edit=True,
    )


# The result.


def figures(tally: Tally, live: bool = False) -> str:
    """The counts and shares of a poll, in the reader's language."""
    heading = _("Answers so far") if live else _("Poll result")
    lines = [
        "📊 " + f"{heading} · {escape(localised(tally.session_title))}",
        bold(escape(localised(tally.question))),
        _("People who answered: {count}").format(count=formatting.number(tally.respondents)),
    ]
    for choice, count in zip(tally.choices, tally.counts, strict=True):
        shown = _("{answer}: {count} ({share})").format(
            answer=escape(localised(choice)),
            count=formatting.number(count),
            share=formatting.share(count, tally.respondents),
        )
        lines.append(f"• {shown}")
    if tally.multiple:
        lines.append(italic(_("Several answers each: the shares add up to more than 100%.")))
    return "\n".join(lines)


@dataclass(frozen=True)
class ShownResult:
    tally: Tally
    charts: dict[str, Image]


def _chart(tally: Tally) -> Image:
    """The bar chart in the language in force (slow: a worker thread draws it)."""
    title = localised(tally.question)
    note = _("People who answered: {count}").format(count=formatting.number(tally.respondents))
    labels = [localised(choice) for choice in tally.choices]
    png = charts.distribution(title, labels, tally.counts, tally.respondents, note=note)
    table = charts.distribution_table(title, labels, tally.counts, tally.respondents, note=note)
    return Image(png, title[:200], f"poll-{tally.poll}.png", text=table)


class ResultCharts:
    """The `poll_closed` loader: a poll's figures, and its chart in each language drawn once
    for all its readers (not on the event loop), kept for the last few polls. The key is the
    figures themselves: the same figures, the same charts."""

    KEPT = 16

    def __init__(self) -> None:
        self._drawn: OrderedDict[str, dict[str, Image]] = OrderedDict()
        self._lock = threading.Lock()  # two deliveries of one poll draw it once

    async def load(self, db: Any, notice: PollClosed) -> ShownResult:
        tally = await polls.tally_of(db, notice.poll)
        if tally is None:
            raise LookupError(f"poll {notice.poll} no longer exists")
        return ShownResult(tally, await asyncio.to_thread(self._charts, tally))

    def _charts(self, tally: Tally) -> dict[str, Image]:
        key = repr(tally)
        with self._lock:
            if key not in self._drawn:
                drawn = {}
                for language in LANGUAGES:
                    with use_language(language):
                        drawn[language] = _chart(tally)
                self._drawn[key] = drawn
                while len(self._drawn) > self.KEPT:
                    self._drawn.popitem(last=False)
            self._drawn.move_to_end(key)
            return self._drawn[key]


def result(shown: ShownResult) -> Reply:
    """The `poll_closed` notice: counts and shares, and the chart, in the reader's language."""
    chart = shown.charts.get(current_language()) or shown.charts.get("en")
    return Reply(figures(shown.tally), images=(chart,) if chart is not None else ())
