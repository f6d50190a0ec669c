"""/table: a table's roster for organisers and its facilitator; organisers also assign, move,
remove, name the facilitator and rapporteur, and close or reopen it."""

from __future__ import annotations

from bot.chat import Reply
from bot.context import Context, EventContext
from bot.models import ActTable, MembershipStatus, Role, SeatRole, TablePosition, TableRound
from bot.people import participants
from bot.reports import labels
from bot.tables import seating
from bot.text.i18n import _, localised
from bot.text.markup import bold, escape, excerpt
from bot.text.matching import find
from handlers.render import table_label
from handlers.syntax import keyword

ACTIONS = ("roster", "close", "reopen", "assign", "remove", "facilitator", "rapporteur")


def _usage() -> str:
    return _(
        "/table ACT [ROUND] roster\n/table ACT [ROUND] close|reopen\n"
        "/table ACT [ROUND] assign|remove|facilitator|rapporteur PARTICIPANT"
    )


async def _find_table(ctx: EventContext, words: list[str]) -> tuple[TableRound, ActTable] | Reply:
    """The table `words` name among the rounds the reader may see: a round hidden from them
    (civil society only, to a government account) is answered as one that does not exist."""
    visible = await seating.rounds(ctx.db, ctx.event, ctx.role)
    if not words:
        return Reply(_("Usage:") + "\n" + _usage())
    act_word, round_words = words[0], words[1:]
    candidates = visible
    if round_words:
        found_round = find(
            " ".join(round_words),
            [(r, seating.round_names(r, n)) for n, r in enumerate(visible, 1)],
        )
        if found_round.item is None and len(round_words) > 1:
            # "/table 4 d2-tables bogus": the round is right, the last word is no action.
            named = find(
                round_words[0], [(r, seating.round_names(r, n)) for n, r in enumerate(visible, 1)]
            )
            if named.item is not None:
                return Reply(
                    _(
                        "I do not know the action “{word}”. "
                        "Send /table alone to see what it can do."
                    ).format(word=excerpt(" ".join(round_words[1:])))
                )
        if found_round.item is None:
            return Reply(
                _("I do not know the round “{name}”.").format(name=excerpt(" ".join(round_words)))
            )
        candidates = [found_round.item]
    options = [(r, t) for r in candidates for t in r.tables]
    found = find(act_word, [(option, seating.table_names(option[1])) for option in options])
    if found.item is not None:
        return found.item
    if found.ambiguous and len({t.act for _r, t in found.suggestions}) == 1:
        return Reply(
            _("Act {act} meets in several rounds: add the round, e.g. {example}.").format(
                act=found.suggestions[0][1].act,
                # the round's number: its key ("d2-tables") is English
                example=f"/table {act_word} {visible.index(found.suggestions[-1][0]) + 1}",
            )
        )
    return Reply(_("I do not know the table “{name}”.").format(name=excerpt(act_word)))


async def table_command(ctx: EventContext) -> Reply:
    words = list(ctx.args)
    index = next((i for i, word in enumerate(words) if keyword(word) in ACTIONS), len(words))
    action = (keyword(words[index]) if index < len(words) else None) or "roster"
    target = " ".join(words[index + 1 :])
    found = await _find_table(ctx, words[:index])
    if isinstance(found, Reply):
        return found
    table_round, table = found
    organiser = ctx.role == Role.ORGANISER
    if not organiser and not (action == "roster" and await _facilitates(ctx, table)):
        return Reply(_("Only organisers, and the facilitator for the roster, can use /table."))
    if action == "roster":
        return await _roster(ctx, table_round, table)
    if action in ("close", "reopen"):
        table.closed = action == "close"
        message = _("{table} is closed.") if table.closed else _("{table} is open again.")
        return Reply(message.format(table=table_label(table)))
    person = await participants.find_participant(ctx.db, ctx.event.id, target) if target else None
    if person is None or person.erased_at is not None:
        return Reply(_("No participant #{reference}.").format(reference=excerpt(target or "?")))
    now = ctx.clock.now()
    name = escape(person.name)
    if action == "remove":
        left = await seating.leave(ctx.db, person.id, table_round.id, now)
        if left is None:
            return Reply(_("{name} is not at a table in this round.").format(name=name))
        return Reply(_("{name} has left {table}.").format(name=name, table=table_label(left)))
    if action == "assign":
        await seating.join(ctx.db, person, table, now, by_organiser=True)
        return Reply(
            _("{name} now has a seat at {table}.").format(name=name, table=table_label(table))
        )
    position = TablePosition.FACILITATOR if action == "facilitator" else TablePosition.RAPPORTEUR
    await seating.name_position(ctx.db, person, table, position, now)
    return Reply(
        _("{name} is the {position} of {table}.").format(
            name=name, position=labels.position(person, position), table=table_label(table)
        )
    )


async def _facilitates(ctx: Context, table: ActTable) -> bool:
    if ctx.participant is None:
        return False
    seat = await seating.membership(ctx.db, ctx.participant.id, table.round_id)
    return (
        seat is not None
        and seat.table_id == table.id
        and (seat.position == TablePosition.FACILITATOR)
    )


async def _roster(ctx: Context, table_round: TableRound, table: ActTable) -> Reply:
    view = next(v for v in await seating.views(ctx.db, table_round) if v.table.id == table.id)
    lines = [bold(table_label(table)), escape(localised(table_round.title))]
    if table.closed:
        lines.append(_("closed"))
    people = await seating.roster(ctx.db, table)
    groups = {
        SeatRole.CIVIL_SOCIETY: _("Civil society"),
        SeatRole.GOVERNMENT: _("Governments and international organisations"),
    }
    for seat_role, title in groups.items():
        seated = [
            (s, p)
            for s, p in people
            if s.seat_role == seat_role and s.status == MembershipStatus.SEATED
        ]
        if not seated and not view.capacity.get(seat_role):
            continue
        lines += ["", bold(f"{title} {len(seated)}/{view.capacity.get(seat_role, 0)}")]
        for seat, person in seated:
            held = seat.position != TablePosition.MEMBER
            extra = f" — {labels.position(person, seat.position)}" if held else ""
            org = f" ({escape(person.organisation)})" if person.organisation else ""
            lines.append(f"• {escape(person.name)}{org}{extra}")
    waiting = [(s, p) for s, p in people if s.status == MembershipStatus.WAITLISTED]
    if waiting:
        lines += ["", bold(_("Waiting list"))]
        lines += [
            f"{n}. {escape(p.name)} ({labels.persons_role(p)})"
            for n, (_s, p) in enumerate(waiting, 1)
        ]
    return Reply("\n".join(lines))
