"""Organiser commands: /participant and /snapshot. The router lets only organisers in."""

from __future__ import annotations

from bot.chat import Reply
from bot.context import Context, EventContext
from bot.models import Participant, Role
from bot.people import invitations, participants
from bot.reports import labels, snapshot
from bot.text import formatting
from bot.text.i18n import _, ngettext
from bot.text.markup import bold, escape, excerpt
from handlers import syntax
from handlers.syntax import is_keyword, keyword, role_from


def _usage() -> str:
    return _(
        "/participant find NAME\n/participant ID\n/participant ID role ROLE\n"
        "/participant ID unlink [telegram|slack|console]\n/participant ID invite"
    )


async def _describe(ctx: Context, person: Participant) -> str:
    accounts = await participants.linked_accounts(ctx.db, person)
    linked = ", ".join(labels.platform(a.platform) for a in accounts) or _("no chat account")
    return (
        f"#{person.id} {bold(escape(person.name))}"
        + (f" — {escape(person.organisation)}" if person.organisation else "")
        + f"\n{labels.persons_role(person)} · {labels.region(person.region)} · {linked}"
    )


async def participant(ctx: Context) -> Reply:
    if ctx.event is None or not ctx.args:
        return Reply(_("Usage:") + "\n" + _usage())
    first, *rest = ctx.args
    if is_keyword(first, "find") and rest:
        found = await participants.search(ctx.db, ctx.event.id, " ".join(rest))
        if not found:
            return Reply(_("Nobody matches “{text}”.").format(text=excerpt(" ".join(rest))))
        return Reply("\n\n".join([await _describe(ctx, person) for person in found]))
    person = await participants.find_participant(ctx.db, ctx.event.id, first.lstrip("#"))
    if person is None or person.erased_at is not None:
        return Reply(_("No participant #{reference}.").format(reference=excerpt(first)))
    if not rest:
        return Reply(await _describe(ctx, person))
    action, *values = rest
    if is_keyword(action, "role") and values:
        new_role = role_from(" ".join(values))
        if new_role is None:
            return Reply(_("Unknown role. Roles: {roles}").format(roles=syntax.roles()))
        person.role = new_role
        return Reply(
            _("{name} is now: {role}.").format(
                name=escape(person.name), role=labels.persons_role(person)
            )
        )
    if is_keyword(action, "unlink"):
        platform = (keyword(values[0]) or values[0].lower()) if values else None
        unlinked = await participants.unlink_accounts(ctx.db, person, platform)
        return Reply(
            ngettext(
                "{count} chat account unlinked from {name}.",
                "{count} chat accounts unlinked from {name}.",
                unlinked,
            ).format(count=unlinked, name=escape(person.name))
            + "\n"
            + _(
                "Their invitation stays used: to link a new account, they send /link from an "
                "account still linked, or you give them a new invitation (/participant {id} "
                "invite)."
            ).format(id=person.id)
        )
    if is_keyword(action, "invite"):
        code = invitations.issue(person, ctx.clock.now())
        return Reply(
            _(
                "New invitation for {name}: {code}\nTheir previous code no longer works. Give "
                "this one to them alone: they send it to me in a private chat."
            ).format(name=escape(person.name), code=bold(invitations.grouped(code)))
        )
    return Reply(_("Usage:") + "\n" + _usage())


_CIVIL_SOCIETY_ROLES = (Role.CIVIL_SOCIETY, Role.FACILITATOR, Role.RAPPORTEUR, Role.ORGANISER)


def _role_count(role: Role, count: int) -> str:
    """`1 rapporteur`, `2 rapporteurs`: each count with its own plural."""
    counted = {
        Role.CIVIL_SOCIETY: ngettext("{count} delegate", "{count} delegates", count),
        Role.FACILITATOR: ngettext("{count} facilitator", "{count} facilitators", count),
        Role.RAPPORTEUR: ngettext("{count} rapporteur", "{count} rapporteurs", count),
        Role.ORGANISER: ngettext("{count} organiser", "{count} organisers", count),
    }
    return counted[role].format(count=count)


async def show_snapshot(ctx: EventContext) -> Reply:
    figures = await snapshot.snapshot(ctx.db, ctx.event)
    came = await snapshot.came(ctx.db, ctx.event)
    lines = [
        "📊 " + bold(_("Participation snapshot")),
        "",
        bold(_("Registered")),
        *_figures(figures),
        "",
        bold(_("By region (civil society)")),
        *_regions(figures),
        "",
        "🚪 " + bold(_("Who came (checked in at the door)")),
    ]
    if not came.people:
        lines.append(_("Nobody has been checked in yet (/checkin)."))
        return Reply("\n".join(lines))
    lines += [*_figures(came.any_day), "", bold(_("By region (civil society)"))]
    lines += _regions(came.any_day)
    for day, on_the_day in came.days:
        lines += ["", bold(_("Came on {day}").format(day=formatting.day(day)))]
        lines += _figures(on_the_day, by_side=True)
    return Reply("\n".join(lines))


def _figures(figures: snapshot.Snapshot, by_side: bool = False) -> list[str]:
    """The report's figures, by role and category (each line counts one category); `by_side`:
    only the civil-society side, the governments and the international organisations."""
    roles = figures.roles
    lines = [
        ngettext(
            "{count} civil-society participant",
            "{count} civil-society participants",
            figures.civil_society,
        ).format(count=figures.civil_society)
        + " ("
        + formatting.join([_role_count(role, roles[role]) for role in _CIVIL_SOCIETY_ROLES])
        + ")",
        ngettext(
            "{count} migrant, refugee or member of the diaspora",
            "{count} migrants, refugees or members of the diaspora",
            figures.migrants,
        ).format(count=figures.migrants),
        _("{women}:{men} women:men").format(women=figures.women, men=figures.men),
        ngettext("{count} youth delegate", "{count} youth delegates", figures.youth).format(
            count=figures.youth
        ),
        ngettext(
            "{count} also attends the government-led Stocktaking",
            "{count} also attend the government-led Stocktaking",
            figures.government_conference,
        ).format(count=figures.government_conference),
        _("{representatives} from {countries}").format(
            representatives=ngettext(
                "{count} government representative",
                "{count} government representatives",
                roles[Role.GOVERNMENT],
            ).format(count=roles[Role.GOVERNMENT]),
            countries=ngettext(
                "{count} country", "{count} countries", figures.government_countries
            ).format(count=figures.government_countries),
        ),
        ngettext(
            "{count} participant from the UN and international organisations",
            "{count} participants from the UN and international organisations",
            roles[Role.INTERNATIONAL],
        ).format(count=roles[Role.INTERNATIONAL]),
    ]
    return [lines[0], *lines[-2:]] if by_side else lines


def _regions(figures: snapshot.Snapshot) -> list[str]:
    lines = []
    host_region = None
    for region, count in sorted(figures.regions.items(), key=lambda i: labels.region_order(i[0])):
        line = _("{region}: {count}").format(region=labels.region(region), count=count)
        if (
            figures.host_country
            and figures.from_host_country
            and host_region is None
            and (region == "latin_america")
        ):
            host_region = region
            line += " " + _("(of which {count} from {country})").format(
                count=figures.from_host_country, country=labels.country(figures.host_country)
            )
        lines.append(line)
    return lines
