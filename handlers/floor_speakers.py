"""/floor: the speakers' list of a session. A participant asks for the floor or withdraws; a
moderator sees the list in the order of the session's rule, calls the next speaker and
chooses the rule. The notices to the person called and to the one after them read here too.

Every moderator action, typed or pressed, checks again that the writer moderates the session
(`rooms.is_moderator`), in a private chat: the list shows each person's constituency and
region, which nobody else sees."""

from __future__ import annotations

import logging
from collections.abc import Sequence

from bot.buttons import Button
from bot.chat import Choice, Reply
from bot.context import ParticipantContext
from bot.floor import rooms, speakers
from bot.floor.speakers import FloorGiven, FloorNext, Rule
from bot.models import Participant, Session, SpeakerStatus
from bot.programme.meeting import zone
from bot.reports import labels
from bot.text import formatting
from bot.text.i18n import LANGUAGES, _, localised, ngettext, use_language
from bot.text.i18n import lazy_gettext as _l
from bot.text.markup import bold, escape
from bot.text.matching import fold
from handlers import answers
from handlers.syntax import keyword

log = logging.getLogger(__name__)

# The moderator's screen lists this many of those waiting (a phone's screen, a message's length).
SHOWN = 25
_NAME_ON_BUTTON = 24  # characters of the next speaker's name on the "Call" button

_RULES = {
    Rule.ARRIVAL: _l("first come, first heard"),
    Rule.CONSTITUENCY: _l(
        "constituencies alternate: civil society, governments, international organisations"
    ),
    Rule.REGION: _l("regions not heard yet first, never the same region twice running"),
    Rule.FIRST_TIME: _l("those who have not spoken yet before second turns"),
    Rule.GENDER: _l("women and men alternate"),
}
_RULE_BUTTONS = {
    Rule.ARRIVAL: _l("First come"),
    Rule.CONSTITUENCY: _l("Constituencies"),
    Rule.REGION: _l("Regions"),
    Rule.FIRST_TIME: _l("First turns first"),
    Rule.GENDER: _l("Women and men"),
}
# The words of `/floor rule RULE` in the three languages, folded (accents and case aside).
_RULE_WORDS = {
    Rule.ARRIVAL: ("arrival", "first come", "order", "arrivee", "ordre", "llegada", "orden"),
    Rule.CONSTITUENCY: (
        "constituency",
        "constituencies",
        "constituencies alternate",
        "college",
        "colleges",
        "groupes",
        "groupe",
        "sector",
        "sectores",
        "secteur",
        "secteurs",
    ),
    Rule.REGION: ("region", "regions", "regiones"),
    Rule.FIRST_TIME: (
        "first time",
        "firsttime",
        "first turns first",
        "premiere fois",
        "premiere",
        "primera vez",
        "primera",
    ),
    Rule.GENDER: ("gender", "women and men", "genre", "femmes et hommes", "genero", "mujeres"),
}


class FloorAskButton(Button, prefix="floor:ask"):
    """Ask for the floor in this session (when several are open)."""

    session_id: int


class FloorCancelButton(Button, prefix="floor:cancel"):
    session_id: int


class FloorQueueButton(Button, prefix="floor:queue"):
    """A moderator: show (or refresh) this session's list."""

    session_id: int


class FloorCallButton(Button, prefix="floor:call"):
    """A moderator: give the floor to the request shown first when the list was drawn."""

    session_id: int
    request_id: int


class FloorRuleButton(Button, prefix="floor:rule"):
    session_id: int
    rule: str


def _subcommand(word: str) -> str | None:
    found = keyword(word)
    if found == "remove":  # `/parole retirer`: withdraw
        return "cancel"
    return found if found in ("cancel", "next", "rule") else None


def rule_from(words: Sequence[str]) -> Rule | None:
    """`constituency`, `Régions`, `primera vez`, `first_time`, or a rule's button in any
    language → a rule."""
    wanted = " ".join(fold(word.replace("_", " ")) for word in words)
    for rule, names in _RULE_WORDS.items():
        if wanted in names or wanted == fold(rule.value.replace("_", " ")):
            return rule
        for language in LANGUAGES:
            with use_language(language):
                if wanted == fold(str(_RULE_BUTTONS[rule])):
                    return rule
    return None


def _title(session: Session) -> str:
    return bold(escape(localised(session.title)))


def _who(person: Participant) -> str:
    """Name, constituency and region, for the moderator only; never gender (the rule weighs
    it, the screen does not show it)."""
    return f"{escape(person.name)} — {labels.role(person.role)} · {labels.region(person.region)}"


async def floor(ctx: ParticipantContext) -> Reply:
    """/floor [cancel] · moderators: /floor [next | rule RULE]."""
    words = ctx.args
    what = _subcommand(words[0]) if words else None
    if words and what is None:
        return Reply(_usage())
    if what == "cancel":
        return await _withdraw(ctx, None)
    now = ctx.clock.now()
    open_now = await rooms.open_sessions(ctx.db, ctx.event, now)
    moderated = [s for s in open_now if await rooms.is_moderator(ctx.db, ctx.participant, s)]
    if what in ("next", "rule"):
        if not moderated:
            return Reply(_("Only the moderators of a session open now can do this."))
        if len(moderated) > 1:
            return _which_list(moderated)
        session = moderated[0]
        if what == "next":
            return _called(await speakers.call_next(ctx.db, session, now))
        rule = rule_from(words[1:])
        if rule is None:
            return Reply(
                _("Which rule? {rules}").format(
                    rules=formatting.join([str(_RULE_BUTTONS[r]) for r in Rule])
                ),
                choices=_rule_rows(session, await speakers.rule_of(ctx.db, session)),
            )
        await speakers.set_rule(ctx.db, session, rule)
        return _queue_reply(await speakers.queue(ctx.db, session))
    if len(moderated) == 1:
        return _queue_reply(await speakers.queue(ctx.db, moderated[0]))
    if moderated:
        return _which_list(moderated)
    return await _ask(ctx, open_now)


def _usage() -> str:
    return _(
        "Send /floor to ask for the floor in the session going on, /floor cancel to withdraw. "
        "Moderators: /floor shows the speakers' list, /floor next calls the next speaker, "
        "/floor rule RULE chooses the order."
    )


def _which_list(sessions: Sequence[Session]) -> Reply:
    return Reply(
        _("You moderate several sessions open now. Which speakers' list?"),
        choices=tuple(
            (Choice(localised(s.title), FloorQueueButton(s.id).pack()),) for s in sessions
        ),
    )


async def _ask(ctx: ParticipantContext, open_now: Sequence[Session]) -> Reply:
    """Ask for the floor in the session open now (`open_now`) in which one may take part."""
    now = ctx.clock.now()
    person = ctx.participant
    mine = [s for s in open_now if rooms.may_take_part(person, s)]
    if len(mine) > 1:
        return Reply(
            _("Several sessions take requests for the floor now. In which one?"),
            choices=tuple((Choice(localised(s.title), FloorAskButton(s.id).pack()),) for s in mine),
        )
    if mine:
        return _asked(mine[0], await speakers.ask(ctx.db, mine[0], person, now))
    if open_now:
        return _asked(open_now[0], speakers.Request(speakers.Asked.NOT_ALLOWED))
    upcoming = await rooms.next_open(ctx.db, ctx.event, person, now)
    if upcoming is None:
        return Reply(_("No session takes requests for the floor now."))
    opens = upcoming.starts_at - rooms.OPENS_BEFORE
    return Reply(
        _(
            "No session takes requests for the floor now. The next one is {session}: you can "
            "ask from {moment}."
        ).format(session=_title(upcoming), moment=formatting.moment(opens, zone(ctx.event)))
    )


def _asked(session: Session, result: speakers.Request) -> Reply:
    asked = speakers.Asked
    if result.outcome == asked.NOT_ALLOWED:
        return Reply(
            _("{session} is not open to you: you cannot ask for the floor there.").format(
                session=_title(session)
            )
        )
    if result.outcome == asked.CLOSED:
        return Reply(
            _("{session} takes no requests for the floor now.").format(session=_title(session))
        )
    withdraw = ((Choice(_("Withdraw"), FloorCancelButton(session.id).pack()),),)
    if result.outcome == asked.ALREADY:
        text = _(
            "You are already on the speakers' list of {session}: number {place} for now."
        ).format(session=_title(session), place=result.place)
        return Reply(text, choices=withdraw)
    text = "✋ " + _(
        "You are on the speakers' list of {session}: number {place} for now (the moderator's "
        "rule may change the order). I will tell you when the floor is yours."
    ).format(session=_title(session), place=result.place)
    return Reply(text, choices=withdraw)


async def ask_button(ctx: ParticipantContext, button: FloorAskButton) -> Reply:
    session = await speakers.by_id(ctx.db, ctx.event, button.session_id)
    if session is None:
        return answers.stale_button()
    result = await speakers.ask(ctx.db, session, ctx.participant, ctx.clock.now())
    return _asked(session, result).edited()


async def _withdraw(ctx: ParticipantContext, session: Session | None) -> Reply:
    left = await speakers.withdraw(ctx.db, ctx.participant, session)
    if not left:
        return Reply(_("You are not on any speakers' list."))
    return Reply(
        _("You have left the speakers' list of {sessions}.").format(
            sessions=formatting.join([_title(s) for s in left])
        )
    )


async def cancel_button(ctx: ParticipantContext, button: FloorCancelButton) -> Reply:
    session = await speakers.by_id(ctx.db, ctx.event, button.session_id)
    if session is None:
        return answers.stale_button()
    return (await _withdraw(ctx, session)).edited()


# The moderator's list.


async def _moderated(ctx: ParticipantContext, session_id: int) -> Session | Reply:
    """The session a moderator's button names, or the answer when the presser may not act on
    it (a forged press, an old screen after the role was taken back): nothing changes."""
    session = await speakers.by_id(ctx.db, ctx.event, session_id)
    if session is None:
        return answers.stale_button()
    if not ctx.incoming.private or not await rooms.is_moderator(ctx.db, ctx.participant, session):
        log.warning(
            "refused %s to participant %s: not a moderator of session %s",
            ctx.incoming.button,
            ctx.participant.id,
            session.key,
        )
        return Reply(_("Only the moderators of this session can do this."))
    return session


def _queue_reply(queue: speakers.Queue, note: str = "") -> Reply:
    lines = [note, ""] if note else []
    lines += [
        "🎤 " + _("Speakers' list: {session}").format(session=_title(queue.session)),
        _("Rule: {rule}").format(rule=str(_RULES[queue.rule])),
    ]
    if queue.speaking is not None:
        lines.append(_("Has the floor: {person}").format(person=_who(queue.speaking.person)))
    lines.append("")
    if not queue.waiting:
        lines.append(_("Nobody is waiting for the floor."))
    else:
        count = len(queue.waiting)
        lines.append(
            ngettext(
                "{count} waiting, in the order I will call them:",
                "{count} waiting, in the order I will call them:",
                count,
            ).format(count=count)
        )
        for number, entry in enumerate(queue.waiting[:SHOWN], 1):
            lines.append(f"{number}. {_who(entry.person)}")
        if count > SHOWN:
            lines.append(_("… and {count} more").format(count=count - SHOWN))
    session = queue.session
    rows: list[tuple[Choice, ...]] = []
    if queue.waiting:
        first = queue.waiting[0]
        name = first.person.name
        if len(name) > _NAME_ON_BUTTON:
            name = name[: _NAME_ON_BUTTON - 1] + "…"
        data = FloorCallButton(session.id, first.request.id).pack()
        rows.append((Choice("▶️ " + _("Call next: {name}").format(name=name), data),))
    rows.append((Choice("🔄 " + _("Refresh"), FloorQueueButton(session.id).pack()),))
    return Reply("\n".join(lines), choices=(*rows, *_rule_rows(session, queue.rule)))


def _rule_rows(session: Session, current: Rule) -> tuple[tuple[Choice, ...], ...]:
    def choice(rule: Rule) -> Choice:
        mark = "✓ " if rule == current else ""
        data = FloorRuleButton(session.id, rule.value).pack()
        return Choice(mark + str(_RULE_BUTTONS[rule]), data)

    rules = list(Rule)
    return (tuple(choice(r) for r in rules[:3]), tuple(choice(r) for r in rules[3:]))


def _called(call: speakers.Call) -> Reply:
    outcome = speakers.CallOutcome
    if call.outcome == outcome.CALLED and call.called is not None:
        note = "✅ " + _("{name} has the floor now: I told them, and the next in line.").format(
            name=escape(call.called.person.name)
        )
    elif call.outcome == outcome.GONE:
        note = _("The list changed meanwhile: here it is now.")
    else:
        note = ""  # nobody waits: the list says so
    return _queue_reply(call.queue, note)


async def queue_button(ctx: ParticipantContext, button: FloorQueueButton) -> Reply:
    session = await _moderated(ctx, button.session_id)
    if isinstance(session, Reply):
        return session
    return _queue_reply(await speakers.queue(ctx.db, session)).edited()


async def call_button(ctx: ParticipantContext, button: FloorCallButton) -> Reply:
    session = await _moderated(ctx, button.session_id)
    if isinstance(session, Reply):
        return session
    call = await speakers.call_next(ctx.db, session, ctx.clock.now(), button.request_id)
    return _called(call).edited()


async def rule_button(ctx: ParticipantContext, button: FloorRuleButton) -> Reply:
    session = await _moderated(ctx, button.session_id)
    if isinstance(session, Reply):
        return session
    if button.rule not in set(Rule):
        return answers.stale_button()
    await speakers.set_rule(ctx.db, session, Rule(button.rule))
    return _queue_reply(await speakers.queue(ctx.db, session)).edited()


# Notices.


def floor_given(notice: FloorGiven) -> Reply:
    return Reply(
        "🎤 "
        + _("You have the floor now in {session}.").format(
            session=bold(escape(localised(notice.session)))
        )
    )


def floor_next(notice: FloorNext) -> Reply:
    return Reply(
        "⏭️ "
        + _(
            "You are next in {session}: you have the floor after the current speaker. Please "
            "get ready."
        ).format(session=bold(escape(localised(notice.session))))
    )


# /mydata.


def kept_lines(kept: Sequence[speakers.Kept]) -> list[str]:
    """A person's requests for the floor, as /mydata lists them."""
    states = {
        SpeakerStatus.WAITING: _("waiting for the floor"),
        SpeakerStatus.CALLED: _("given the floor"),
        SpeakerStatus.WITHDRAWN: _("withdrawn from the list"),
    }
    return [
        _("Request for the floor: {session} ({state})").format(
            session=escape(localised(item.session)), state=states[item.status]
        )
        for item in kept
    ]
