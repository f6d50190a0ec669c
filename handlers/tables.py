"""/tables, /join, /leave, /mytables: the Act tables of each round."""

from __future__ import annotations

from collections.abc import Sequence

from bot.buttons import Button
from bot.chat import Choice, Reply
from bot.context import PARTICIPANT, Context, EventContext, ParticipantContext
from bot.models import ActTable, MembershipStatus, Session, TablePosition, TableRound
from bot.people import access
from bot.programme.meeting import zone
from bot.reports import labels
from bot.tables import seating
from bot.text import formatting
from bot.text.i18n import _, localised, ngettext
from bot.text.markup import bold, escape, excerpt
from bot.text.matching import Found, find
from handlers import answers
from handlers.render import table_label

Rows = tuple[tuple[Choice, ...], ...]


class TablesButton(Button, prefix="tables"):
    """The tables of a round; a round that is not (or no longer) one of the reader's is
    answered as a wrong round number is."""

    round_id: int | None


class JoinButton(Button, prefix="join"):
    round_id: int
    act: int


class MoveButton(Button, prefix="move"):
    """The participant agreed to leave their table for this one."""

    table_id: int


class StayButton(Button, prefix="stay"):
    pass


class LeaveButton(Button, prefix="leave"):
    round_id: int


async def _table_choices(
    ctx: EventContext, options: Sequence[tuple[TableRound, ActTable]]
) -> list[Choice]:
    """A button for each table of a round; each says the day, as an Act may meet on two days."""
    sessions = await seating.sessions_of(ctx.db, [table_round for table_round, _t in options])
    return [_table_choice(ctx, sessions[r.id], r, t) for r, t in options]


def _table_choice(
    ctx: EventContext, session: Session, table_round: TableRound, table: ActTable
) -> Choice:
    day = formatting.short_day(session.starts_at.astimezone(zone(ctx.event)).date())
    return Choice(f"{table_label(table)} · {day}", JoinButton(table_round.id, table.act).pack())


def _grid(choices: Sequence[Choice], width: int = 5) -> Rows:
    return tuple(tuple(choices[i : i + width]) for i in range(0, len(choices), width))


async def _round_choice(
    ctx: EventContext, words: Sequence[str]
) -> tuple[TableRound | None, Reply | None]:
    """The round named by `words`, else the next one that has not ended, else a reply that
    says what went wrong."""
    # Without words, the current rounds alone are read: none at all when no round is visible.
    visible = (
        await seating.rounds(ctx.db, ctx.event, ctx.role)
        if words
        else await seating.current_rounds(ctx.db, ctx.event, ctx.role, ctx.clock.now())
    )
    if not visible:
        return None, Reply(_("There are no tables for you in this programme."))
    if not words:
        return visible[0], None
    found = find(
        " ".join(words), [(r, seating.round_names(r, n)) for n, r in enumerate(visible, 1)]
    )
    if found.item is not None:
        return found.item, None
    return None, _did_you_mean(
        _("I do not know the round “{name}”.").format(name=excerpt(" ".join(words))),
        [
            Choice(localised(r.title), TablesButton(r.id).pack())
            for r in found.suggestions or visible
        ],
    )


def _did_you_mean(message: str, choices: Sequence[Choice]) -> Reply:
    if not choices:
        return Reply(message)
    return Reply(message + " " + _("Did you mean:"), choices=tuple((c,) for c in choices))


def _round_heading(ctx: EventContext, table_round: TableRound, session: Session) -> str:
    when = formatting.time_range(session.starts_at, session.ends_at, zone(ctx.event))
    day = formatting.day(session.starts_at.astimezone(zone(ctx.event)).date())
    return f"{bold(escape(localised(table_round.title)))}\n🕒 {day}, {when}"


async def show_tables(ctx: EventContext) -> Reply:
    table_round, problem = await _round_choice(ctx, ctx.args)
    if problem or table_round is None:
        return problem or Reply("")
    return await _tables_reply(ctx, table_round)


async def tables_button(ctx: EventContext, button: TablesButton) -> Reply:
    visible = {r.id: r for r in await seating.rounds(ctx.db, ctx.event, ctx.role)}
    round_id = button.round_id
    table_round = visible.get(round_id) if round_id is not None else None
    if table_round is None:
        return Reply(_("There are no tables for you in this programme."))
    return (await _tables_reply(ctx, table_round)).edited()


async def _tables_reply(ctx: EventContext, table_round: TableRound) -> Reply:
    seat_role = access.seat_role(ctx.role)
    board = await seating.board(ctx.db, table_round, ctx.participant)
    mine, earlier, views = board.mine, board.earlier, board.views
    lines = [_round_heading(ctx, table_round, board.session), ""]
    for view in views:
        table = view.table
        if table.closed:
            state = _("closed")
        elif seat_role is None:
            state = ""
        elif view.seats_left(seat_role):
            left = view.seats_left(seat_role)
            state = ngettext(
                "{count} seat left for you", "{count} seats left for you", left
            ).format(count=left)
        else:
            state = _("full: {count} waiting").format(count=view.waiting[seat_role])
        marks = ""
        if mine is not None and mine.table_id == table.id:
            marks += "✅ " if mine.status == MembershipStatus.SEATED else "⏳ "
        if table.act in earlier:
            marks += "⭐ "
        lines.append(f"{marks}{table_label(table)}" + (f" — {state}" if state else ""))
    if earlier:
        lines += ["", "⭐ " + _("the Act you worked on in an earlier round")]
    can_join = access.may_enter(ctx.role, table_round.audience)
    choices: Rows = ()
    if can_join:
        lines += ["", _("Join a table: /join ACT, or a button below.")]
        choices = _grid(
            [
                Choice(str(v.table.act), JoinButton(table_round.id, v.table.act).pack())
                for v in views
                if not v.table.closed
            ]
        )
    return Reply("\n".join(lines), choices=choices)


async def join_table(ctx: ParticipantContext) -> Reply | list[Reply]:
    if not ctx.args:
        table_round, problem = await _round_choice(ctx, ())
        if table_round is None:
            return problem or Reply("")
        return await _tables_reply(ctx, table_round)
    act_words, round_words = ctx.args[:1], ctx.args[1:]
    if round_words:
        table_round, problem = await _round_choice(ctx, round_words)
        if table_round is None:
            return problem or Reply("")
        candidates = [table_round]
    else:
        candidates = await seating.current_rounds(ctx.db, ctx.event, ctx.role, ctx.clock.now())
    options = [(r, t) for r in candidates for t in r.tables]
    found: Found[tuple[TableRound, ActTable]] = find(
        " ".join(act_words), [(option, seating.table_names(option[1])) for option in options]
    )
    matches = [found.item] if found.item else []
    if not matches and found.ambiguous:
        acts = {table.act for _r, table in found.suggestions}
        if len(acts) == 1:  # the same Act in several rounds
            matches = found.suggestions
    if not matches and round_words:
        # The Act may well exist, in another round than the one named: say so, and where.
        visible = await seating.rounds(ctx.db, ctx.event, ctx.role)
        elsewhere = find(
            " ".join(act_words),
            [
                ((r, t), seating.table_names(t))
                for r in visible
                if r not in candidates
                for t in r.tables
            ],
        )
        hits = [elsewhere.item] if elsewhere.item else []
        if elsewhere.ambiguous and len({t.act for _r, t in elsewhere.suggestions}) == 1:
            hits = elsewhere.suggestions
        if hits:
            return Reply(
                _("Act {act} has no table in “{round}”. Its tables:").format(
                    act=hits[0][1].act, round=escape(localised(candidates[0].title))
                ),
                choices=tuple((choice,) for choice in await _table_choices(ctx, hits)),
            )
    if not matches:
        return _did_you_mean(
            _("I do not know the table “{name}”.").format(name=excerpt(" ".join(ctx.args))),
            await _table_choices(ctx, found.suggestions[:3]),
        )
    if len(matches) > 1:
        return Reply(
            _("Act {act} meets in several rounds. Which one?").format(act=matches[0][1].act),
            choices=tuple(
                (Choice(localised(r.title), JoinButton(r.id, t.act).pack()),) for r, t in matches
            ),
        )
    table_round, table = matches[0]
    return await _join(ctx, table)


async def join_button(ctx: ParticipantContext, button: JoinButton) -> Reply:
    round_id, act = button.round_id, button.act
    visible = {r.id: r for r in await seating.rounds(ctx.db, ctx.event, ctx.role)}
    table_round = visible.get(round_id) if round_id is not None else None
    table = next((t for t in table_round.tables if t.act == act), None) if table_round else None
    if table is None:
        return answers.stale_button()
    return await _join(ctx, table)


async def move_button(ctx: ParticipantContext, button: MoveButton) -> Reply:
    for table_round in await seating.rounds(ctx.db, ctx.event, ctx.role):
        for table in table_round.tables:
            if table.id == button.table_id:
                return (await _join(ctx, table, move=True)).edited()
    return answers.stale_button()


async def _join(ctx: ParticipantContext, table: ActTable, move: bool = False) -> Reply:
    result = await seating.join(ctx.db, ctx.participant, table, ctx.clock.now(), move=move)
    label = table_label(table)
    outcome = seating.Outcome
    if result.outcome == outcome.SEATED:
        return Reply("✅ " + _("You have a seat at {table}.").format(table=label))
    if result.outcome == outcome.WAITLISTED:
        return Reply(
            "⏳ "
            + _(
                "{table} is full. You are number {position} on its waiting list: I will tell you "
                "when a seat frees up."
            ).format(table=label, position=result.position)
        )
    if result.outcome == outcome.ALREADY_SEATED:
        return Reply(_("You already have a seat at {table}.").format(table=label))
    if result.outcome == outcome.ALREADY_WAITING:
        return Reply(
            _("You are number {position} on the waiting list of {table}.").format(
                position=result.position, table=label
            )
        )
    if result.outcome == outcome.MOVE_NEEDED:
        assert result.current is not None
        return Reply(
            _("You are already at {current} in this round. Move to {table}?").format(
                current=table_label(result.current), table=label
            ),
            choices=(
                (
                    Choice(_("Yes, move"), MoveButton(table.id).pack()),
                    Choice(_("No, stay"), StayButton().pack()),
                ),
            ),
        )
    if result.outcome == outcome.CLOSED:
        return Reply(_("{table} is closed.").format(table=label))
    return Reply(_("This round is not open to you."))


async def stay_button(ctx: Context, button: StayButton) -> Reply:
    return Reply(_("Fine: you keep your seat."), edit=True)


async def leave_table(ctx: Context) -> Reply:
    member = PARTICIPANT.get(ctx)
    if member is None:
        return Reply(_("You are not at any table."))
    return await _leave_table(member)


async def _leave_table(ctx: ParticipantContext) -> Reply:
    seats = await seating.current_seats(ctx.db, ctx.participant.id, ctx.clock.now())
    upcoming = [(m, t, r) for m, t, r, _s in seats]
    if ctx.args:
        table_round, problem = await _round_choice(ctx, ctx.args)
        if table_round is None:
            return problem or Reply("")
        upcoming = [(m, t, r) for m, t, r in upcoming if r.id == table_round.id]
    if not upcoming:
        return Reply(_("You are not at any table."))
    if len(upcoming) > 1:
        return Reply(
            _("Which table do you want to leave?"),
            choices=tuple(
                (
                    Choice(
                        localised(r.title) + " — " + _("Act {act}").format(act=t.act),
                        LeaveButton(r.id).pack(),
                    ),
                )
                for _m, t, r in upcoming
            ),
        )
    return await _leave(ctx, upcoming[0][2].id)


async def leave_button(ctx: ParticipantContext, button: LeaveButton) -> Reply:
    return Reply((await _leave(ctx, button.round_id)).text, edit=True)


async def _leave(ctx: ParticipantContext, round_id: int) -> Reply:
    left = await seating.leave(ctx.db, ctx.participant.id, round_id, ctx.clock.now())
    if left is None:
        return Reply(_("You are not at any table."))
    return Reply(_("You have left {table}.").format(table=table_label(left)))


async def my_tables(ctx: Context) -> Reply:
    if ctx.participant is None or ctx.event is None:
        return Reply(_("You are not at any table. /tables shows them."))
    seats = await seating.memberships(ctx.db, ctx.participant.id)
    if not seats:
        return Reply(_("You are not at any table. /tables shows them."))
    waiting = await seating.waiting_numbers(
        ctx.db, [seat for seat, *_rest in seats if seat.status == MembershipStatus.WAITLISTED]
    )
    lines = [bold(_("Your tables")), ""]
    for seat, table, table_round, session in seats:
        when = formatting.time_range(session.starts_at, session.ends_at, zone(ctx.event))
        day = formatting.short_day(session.starts_at.astimezone(zone(ctx.event)).date())
        if seat.status == MembershipStatus.WAITLISTED:
            state = "⏳ " + _("waiting list, number {position}").format(position=waiting[seat.id])
        else:
            held = seat.position != TablePosition.MEMBER
            state = "✅ " + (
                labels.position(ctx.participant, seat.position) if held else _("seated")
            )
        lines += [
            f"{bold(escape(localised(table_round.title)))} · {day}, {when}",
            f"{table_label(table)} — {state}",
            "",
        ]
    return Reply("\n".join(lines).rstrip())
