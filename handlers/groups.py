"""Reference groups: /groups, /subscribe, /unsubscribe, /propose, /post, and for organisers
/requests, /proposals and /group."""

from __future__ import annotations

from collections.abc import Sequence

from bot import groups
from bot.buttons import Button
from bot.chat import Choice, Reply
from bot.context import Context, EventContext, ParticipantContext
from bot.models import GroupMembershipStatus, ReferenceGroup
from bot.programme.meeting import local_day
from bot.text import formatting
from bot.text.i18n import _, current_language, localised, ngettext
from bot.text.markup import bold, escape, excerpt
from bot.text.matching import find
from bot.translation.reading import read, reading
from handlers import answers, translation
from handlers.syntax import is_keyword

MAX_POST = 3000


class SubscribeButton(Button, prefix="subscribe"):
    group_id: int


class UnsubscribeButton(Button, prefix="unsubscribe"):
    group_id: int


class RequestButton(Button, prefix="request", command="requests"):
    """An organiser's answer ("yes" or "no") to a request to join after the deadline."""

    answer: str
    request_id: int | None


class ProposalButton(Button, prefix="proposal", command="proposals"):
    """An organiser's answer ("yes" or "no") to a proposed group."""

    answer: str
    proposal_id: int | None


GroupButton = type[SubscribeButton] | type[UnsubscribeButton]


async def _group(
    ctx: EventContext, words: Sequence[str], button: GroupButton
) -> ReferenceGroup | Reply:
    """The group a reader names, or a reply that suggests one (buttons of `button`)."""
    every = await groups.all_groups(ctx.db, ctx.event)
    if not words:
        return Reply(
            _("Which group? /groups lists them."),
            choices=tuple((Choice(localised(g.title), button(g.id).pack()),) for g in every),
        )
    found = find(" ".join(words), [(g, groups.group_names(g, n)) for n, g in enumerate(every, 1)])
    if found.item is not None:
        return found.item
    message = _("I do not know the group “{name}”.").format(name=excerpt(" ".join(words)))
    if not found.suggestions:
        return Reply(message + " " + _("/groups lists them."))
    return Reply(
        message + " " + _("Did you mean:"),
        choices=tuple(
            (Choice(localised(g.title), button(g.id).pack()),) for g in found.suggestions
        ),
    )


async def list_groups(ctx: EventContext) -> Reply:
    every = await groups.all_groups(ctx.db, ctx.event)
    if not every:
        return Reply(_("There are no reference groups yet. /propose suggests one."))
    mine = await groups.statuses(ctx.db, ctx.participant.id) if ctx.participant else {}
    lines = [bold(_("Reference groups")), ""]
    for number, group in enumerate(every, 1):
        status = mine.get(group.id)
        marks = {GroupMembershipStatus.MEMBER: "✅ ", GroupMembershipStatus.PENDING: "⏳ "}
        mark = marks[status] if status else ""
        line = f"{mark}{number}. {bold(escape(localised(group.title)))}"
        if group.interest_deadline:
            line += " — " + _("interest by {day}").format(
                day=formatting.day(local_day(ctx.event, group.interest_deadline))
            )
        lines.append(line)
        description = localised(group.description)
        if description:
            lines.append(escape(description))
    lines += [
        "",
        _("✅ you are a member · ⏳ waiting for an organiser"),
        _("/subscribe GROUP · /unsubscribe GROUP · /post GROUP TEXT · /propose TITLE"),
    ]
    return Reply("\n".join(lines))


async def subscribe(ctx: EventContext) -> Reply:
    found = await _group(ctx, ctx.args, SubscribeButton)
    return found if isinstance(found, Reply) else await _subscribe(ctx, found)


async def subscribe_button(ctx: EventContext, button: SubscribeButton) -> Reply:
    group = await _group_by_id(ctx, button.group_id)
    return group if isinstance(group, Reply) else await _subscribe(ctx, group)


async def _group_by_id(ctx: EventContext, group_id: int) -> ReferenceGroup | Reply:
    every = {g.id: g for g in await groups.all_groups(ctx.db, ctx.event)}
    return every.get(group_id) or answers.stale_button()


async def _subscribe(ctx: Context, group: ReferenceGroup) -> Reply:
    if ctx.participant is None:
        return answers.registered_only()
    result = await groups.subscribe(ctx.db, ctx.participant, group, ctx.clock.now())
    title = bold(escape(localised(group.title)))
    messages = {
        groups.Subscription.MEMBER: "✅ " + _("You are now a member of {group}."),
        groups.Subscription.PENDING: "⏳ "
        + _("The deadline for {group} has passed: an organiser will look at your request."),
        groups.Subscription.ALREADY_MEMBER: _("You are already a member of {group}."),
        groups.Subscription.ALREADY_PENDING: _(
            "Your request for {group} is waiting for an organiser."
        ),
    }
    return Reply(messages[result].format(group=title))


async def unsubscribe(ctx: EventContext) -> Reply:
    found = await _group(ctx, ctx.args, UnsubscribeButton)
    return found if isinstance(found, Reply) else await _unsubscribe(ctx, found)


async def unsubscribe_button(ctx: EventContext, button: UnsubscribeButton) -> Reply:
    group = await _group_by_id(ctx, button.group_id)
    return group if isinstance(group, Reply) else await _unsubscribe(ctx, group)


async def _unsubscribe(ctx: Context, group: ReferenceGroup) -> Reply:
    title = bold(escape(localised(group.title)))
    if ctx.participant and await groups.unsubscribe(ctx.db, ctx.participant.id, group.id):
        return Reply(_("You have left {group}.").format(group=title))
    return Reply(_("You are not a member of {group}.").format(group=title))


async def propose(ctx: ParticipantContext) -> Reply:
    title = " ".join(ctx.args).strip()
    if not 3 <= len(title) <= 150:
        return Reply(_("Give the group a title: /propose TITLE (3 to 150 characters)."))
    await groups.propose(
        ctx.db,
        ctx.event,
        ctx.participant,
        title,
        ctx.language,
        ctx.clock.now(),
        ctx.translation_provider,
    )
    return Reply(
        _("Thank you: organisers will look at your proposal “{title}”.").format(title=escape(title))
    )


async def post(ctx: ParticipantContext) -> Reply:
    text = ctx.incoming.text.partition(" ")[2].strip()  # keeps the author's line breaks
    every = await groups.all_groups(ctx.db, ctx.event)
    named = [(g, groups.group_names(g, n)) for n, g in enumerate(every, 1)]
    group, body = None, ""
    for cut in range(min(len(ctx.args), 6), 0, -1):  # the longest group name that fits
        found = find(" ".join(ctx.args[:cut]), named)
        if found.item is not None:
            parts = text.split(maxsplit=cut)
            group, body = found.item, parts[cut] if len(parts) > cut else ""
            break
    if group is None:
        found_group = await _group(ctx, ctx.args[:1], SubscribeButton)
        return found_group if isinstance(found_group, Reply) else Reply("")
    if not body.strip():
        return Reply(_("Write your message after the group: /post GROUP TEXT."))
    if len(body) > MAX_POST:
        return Reply(
            _("Your message is too long ({length} characters; at most {limit}).").format(
                length=len(body), limit=MAX_POST
            )
        )
    result = await groups.post(
        ctx.db, ctx.participant, group, body.strip(), ctx.clock.now(), ctx.translation_provider
    )
    title = bold(escape(localised(group.title)))
    if result.outcome == groups.PostOutcome.NOT_A_MEMBER:
        return Reply(
            _("Only members of {group} can post there. /subscribe first.").format(group=title)
        )
    if result.outcome == groups.PostOutcome.ANNOUNCEMENTS_ONLY:
        return Reply(_("Only organisers post in {group}.").format(group=title))
    return Reply(
        ngettext(
            "Sent to {count} member of {group}.",
            "Sent to {count} members of {group}.",
            result.recipients,
        ).format(count=result.recipients, group=title)
    )


async def requests(ctx: EventContext) -> Reply:
    pending = await groups.pending_requests(ctx.db, ctx.event)
    if not pending:
        return Reply(_("No request is waiting."))
    lines, choices = [bold(_("Requests to join after the deadline")), ""], []
    for membership, person, group in pending[:10]:
        lines.append(f"#{membership.id} {escape(person.name)} → {escape(localised(group.title))}")
        choices.append(
            (
                Choice(f"✅ #{membership.id}", RequestButton("yes", membership.id).pack()),
                Choice(f"✖ #{membership.id}", RequestButton("no", membership.id).pack()),
            )
        )
    return Reply("\n".join(lines), choices=tuple(choices))


async def request_button(ctx: Context, button: RequestButton) -> Reply:
    answer, request_id = button.answer, button.request_id
    decided = (
        await groups.decide_request(ctx.db, request_id, answer == "yes", ctx.clock.now())
        if request_id is not None
        else None
    )
    if decided is None:
        return Reply(_("This request was already handled."))
    person, group = decided
    message = _("{name} joins {group}.") if answer == "yes" else _("{name} will not join {group}.")
    return Reply(message.format(name=escape(person.name), group=escape(localised(group.title))))


async def proposals(ctx: EventContext) -> Reply:
    pending = await groups.pending_proposals(ctx.db, ctx.event)
    if not pending:
        return Reply(_("No proposal is waiting."))
    lines, choices = [bold(_("Proposed reference groups")), ""], []
    for proposal in pending[:10]:
        title = next(iter(proposal.title.values()))
        with reading(translation.reader(ctx)):  # in the organiser's language, when translated
            read_title = await read(ctx.db, title)
        lines.append(f"#{proposal.id} {translation.inline(read_title, title)}")
        choices.append(
            (
                Choice(f"✅ #{proposal.id}", ProposalButton("yes", proposal.id).pack()),
                Choice(f"✖ #{proposal.id}", ProposalButton("no", proposal.id).pack()),
            )
        )
    return Reply("\n".join(lines), choices=tuple(choices))


async def proposal_button(ctx: Context, button: ProposalButton) -> Reply:
    answer, proposal_id = button.answer, button.proposal_id
    decided = (
        await groups.decide_proposal(
            ctx.db, proposal_id, answer == "yes", ctx.clock.now(), ctx.translation_provider
        )
        if proposal_id is not None
        else None
    )
    if decided is None:
        return Reply(_("This proposal was already handled."))
    proposal, group = decided
    title = escape(localised(group.title if group is not None else proposal.title))
    if group is None:
        return Reply(_("The proposal “{title}” was declined.").format(title=title))
    return Reply(
        _("The group “{title}” now exists; its proposer is its first member.").format(title=title)
    )


async def group_settings(ctx: EventContext) -> Reply:
    """`/group GROUP announce on|off`."""
    words = list(ctx.args)
    if (
        len(words) < 3
        or not is_keyword(words[-2], "announce")
        or not is_keyword(words[-1], "on", "off")
    ):
        command = ctx.router.commands["group"]
        name = command.name_in(current_language())
        return Reply(_("Usage:") + f"\n/{name} " + escape(str(command.usage)))
    found = await _group(ctx, words[:-2], SubscribeButton)
    if isinstance(found, Reply):
        return found
    found.announcement_only = is_keyword(words[-1], "on")
    title = bold(escape(localised(found.title)))
    if found.announcement_only:
        return Reply(_("Only organisers can now post in {group}.").format(group=title))
    return Reply(_("Every member can now post in {group}.").format(group=title))
