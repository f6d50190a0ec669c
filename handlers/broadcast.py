"""/broadcast: organisers write to everyone or to a part of the meeting, in three languages.

    /broadcast AUDIENCE [at YYYY-MM-DD HH:MM]
    EN: text
    FR: texte
    ES: texto

AUDIENCE is `everyone`, `role ROLE`, `region REGION`, `language en|fr|es`, `table ACT ROUND` or
`group GROUP`. A preview shows the number of recipients; nothing leaves before "Send".
"""

from __future__ import annotations

import re
from collections import Counter
from datetime import datetime

from bot import broadcasts, groups
from bot.buttons import Button
from bot.chat import Choice, Field, Form, Reply
from bot.context import PARTICIPANT, Context, EventContext, ParticipantContext
from bot.models import Broadcast, BroadcastStatus, OutboxStatus, Role
from bot.people.csv_import import REGIONS
from bot.programme.meeting import zone
from bot.reports import labels
from bot.tables import seating
from bot.text import formatting
from bot.text.i18n import LANGUAGES, _, localised
from bot.text.markup import bold, escape, excerpt
from bot.text.matching import find
from bot.text.numbers import parse_number
from bot.translation.reading import ReadText, Shown, Translating
from handlers import account, answers, broadcast_urgent, syntax
from handlers.syntax import is_keyword, keyword


class BroadcastButton(Button, prefix="broadcast"):
    """An organiser's action on broadcast `number`: "send", "english" (send, a missing
    language in English with a note rather than translated), "atonce" (send, marked urgent:
    readers in data-saver mode get it at once, not in their digest), "urgent" (send at
    Telegram's paid rate), "cancel" or "status". The number is read as /broadcast status
    NUMBER reads it."""

    action: str
    number: str


def _syntax() -> str:
    return (
        _(
            "/broadcast everyone|role ROLE|region REGION|language LANG|table ACT ROUND|group "
            "GROUP [at YYYY-MM-DD HH:MM]"
        )
        + "\nEN: …\nFR: …\nES: …\n\n"
        + _("/broadcast status [ID] · /broadcast cancel ID")
    )


_TEXT_LINE = re.compile(r"^\s*(EN|FR|ES)\s*:\s?(.*)$", re.IGNORECASE)
# "at", "à" or "a" (Spanish) before the time.
_AT = re.compile(
    r"(?<!\S)(?:at|à|a)\s+([0-9]{4}-[0-9]{2}-[0-9]{2}[ T][0-9]{2}:[0-9]{2})\s*$", re.IGNORECASE
)


def _usage(problem: str = "") -> Reply:
    return Reply((problem + "\n\n" if problem else "") + _("Usage:") + "\n" + escape(_syntax()))


def _texts(lines: list[str]) -> dict[str, str]:
    texts: dict[str, list[str]] = {}
    current = None
    for line in lines:
        match = _TEXT_LINE.match(line)
        if match:
            current = match.group(1).lower()
            texts[current] = [match.group(2)]
        elif current is not None:
            texts[current].append(line)
    return {
        lang: "\n".join(body).strip() for lang, body in texts.items() if "\n".join(body).strip()
    }


async def _audience(ctx: EventContext, words: list[str]) -> broadcasts.Audience | str:
    """The audience named by `words`, or what is wrong with them."""
    if not words:
        return _("Say who the broadcast is for.")
    kind, rest = keyword(words[0]), " ".join(words[1:])
    if kind == "everyone" and not rest:
        return broadcasts.Audience("everyone")
    if kind == "role":
        role = syntax.role_from(rest)
        return (
            broadcasts.Audience("role", role.value)
            if role
            else _("Unknown role. Roles: {roles}").format(roles=syntax.roles())
        )
    if kind == "region":
        region = syntax.region_from(rest)
        return (
            broadcasts.Audience("region", region)
            if region
            else _("Unknown region. Regions: {regions}").format(regions=syntax.regions())
        )
    if kind == "language":
        language = account.language_code(rest)
        return (
            broadcasts.Audience("language", language)
            if language
            else _("Unknown language. Languages: {languages}").format(
                languages=", ".join(formatting.language_name(code) for code in LANGUAGES)
            )
        )
    if kind == "table" and len(words) >= 3:
        rounds = await seating.rounds(ctx.db, ctx.event, Role.ORGANISER)
        found_round = find(
            " ".join(words[2:]), [(r, seating.round_names(r, n)) for n, r in enumerate(rounds, 1)]
        )
        if found_round.item is not None:
            found_table = find(
                words[1], [(t, seating.table_names(t)) for t in found_round.item.tables]
            )
            if found_table.item is not None:
                return broadcasts.Audience("table", found_table.item.id)
        return _("I do not know the table “{name}”.").format(name=excerpt(" ".join(words[1:])))
    if kind == "group" and rest:
        every = await groups.all_groups(ctx.db, ctx.event)
        found = find(rest, [(g, groups.group_names(g, n)) for n, g in enumerate(every, 1)])
        if found.item is not None:
            return broadcasts.Audience("group", found.item.id)
        return _("I do not know the group “{name}”.").format(name=excerpt(rest))
    return _("Say who the broadcast is for.")


async def broadcast(ctx: ParticipantContext) -> Reply:
    first, *following = ctx.incoming.text.split("\n")
    words = first.split()[1:]
    if not words and not following:  # where the platform has forms, a form; else how to
        return Reply(_usage().text, form=await _compose_form(ctx))
    if words and is_keyword(words[0], "status"):
        return await _status(ctx, words[1] if len(words) > 1 else None)
    if words and is_keyword(words[0], "cancel") and len(words) == 2:
        return await _cancel(ctx, words[1])
    return await _compose(ctx, " ".join(words), _texts(following))


async def broadcast_form(ctx: Context) -> Reply:
    """The broadcast form, filled in (a Slack modal): the same as the command."""
    member = PARTICIPANT.get(ctx)
    if member is None:
        return _usage()
    return await _broadcast_form(member)


async def _broadcast_form(ctx: ParticipantContext) -> Reply:
    values = dict(ctx.incoming.values)
    head = values.get("audience", "")
    if values.get("at", "").strip():
        head += " at " + values["at"].strip()
    texts = {lang: values[lang].strip() for lang in LANGUAGES if values.get(lang, "").strip()}
    return await _compose(ctx, head, texts)


OPTION_LENGTH = 75  # characters of an option in a Slack select menu


def _shorten(text: str, limit: int) -> str:
    """`text` in at most `limit` characters, cut after a word with "…"."""
    if len(text) <= limit:
        return text
    return text[: limit - 1].rsplit(" ", 1)[0].rstrip(" ,;:") + "…"


async def _compose_form(ctx: EventContext) -> Form:
    audiences = [Choice(_("Everyone"), "everyone")]
    audiences += [Choice(labels.role(role), f"role {role.value}") for role in Role]
    audiences += [Choice(labels.region(region), f"region {region}") for region in REGIONS]
    audiences += [Choice(formatting.language_name(code), f"language {code}") for code in LANGUAGES]
    for group in await groups.all_groups(ctx.db, ctx.event):
        audiences.append(Choice(localised(group.title), f"group {group.key}"))
    for table_round in await seating.rounds(ctx.db, ctx.event, Role.ORGANISER):
        # A select option shows 75 characters on Slack: the sitting by its day and time (short,
        # and unique), then the Act, its title shortened to fit rather than cut by Slack.
        session = await seating.round_session(ctx.db, table_round)
        meeting_zone = zone(ctx.event)
        day = formatting.short_day(session.starts_at.astimezone(meeting_zone).date())
        when = f"{day}, {formatting.time_of_day(session.starts_at, meeting_zone)}"
        for table in table_round.tables:
            act = _("Act {act}: {title}").format(act=table.act, title="")
            room = OPTION_LENGTH - len(act) - len(when) - len(" · ")
            title = _shorten(localised(table.title), room)
            label = _("Act {act}: {title}").format(act=table.act, title=title) + f" · {when}"
            audiences.append(Choice(label, f"table {table.act} {table_round.key}"))
    return Form(
        "broadcast",
        _("New broadcast"),
        _("Preview"),
        (
            Field("audience", _("To whom"), "choice", options=tuple(audiences)),
            Field("en", _("Text in English (required)"), "lines"),
            Field("fr", _("Text in French"), "lines", optional=True),
            Field("es", _("Text in Spanish"), "lines", optional=True),
            Field(
                "at",
                _("Leaves at (local time of the meeting)"),
                optional=True,
                hint=_("YYYY-MM-DD HH:MM; empty: now, after the preview"),
            ),
        ),
    )


async def _compose(ctx: ParticipantContext, head: str, texts: dict[str, str]) -> Reply:
    """A preview of the broadcast `head` (AUDIENCE [at TIME]) with `texts`, to send or not."""
    send_at = ctx.clock.now()
    when = _AT.search(head)
    if when:
        try:
            local = datetime.fromisoformat(when.group(1).replace(" ", "T"))
        except ValueError:
            return _usage(_("{value} is not a real date and time").format(value=when.group(1)))
        send_at = local.replace(tzinfo=zone(ctx.event))
        head = head[: when.start()].strip()
    audience = await _audience(ctx, head.split())
    if isinstance(audience, str):
        return _usage(audience)
    if "en" not in texts:
        return _usage(_("The English text is required (a line starting with EN:)."))
    provider = ctx.translation_provider
    draft = await broadcasts.draft(
        ctx.db, ctx.event, ctx.participant, audience, texts, send_at, ctx.clock.now(), provider
    )
    tz = zone(ctx.event)
    leaves = _("now")
    if send_at > ctx.clock.now():
        local = send_at.astimezone(tz)
        leaves = f"{formatting.day(local.date())}, {formatting.time_of_day(send_at, tz)}"
    lines = [
        bold(_("Broadcast #{number}: preview").format(number=draft.id)),
        _("Recipients: {count}").format(count=draft.recipients),
        _("Leaves: {when}").format(when=leaves),
        "",
    ]
    for language in LANGUAGES:
        text = texts.get(language)
        label = bold(language.upper())
        if text:
            lines.append(f"{label}: {escape(text)}")
        elif provider is None:
            lines.append(f"{label}: " + _("(missing: these readers get English, with a note)"))
        else:
            lines.append(
                f"{label}: "
                + _("(missing: these readers get an automatic translation of the English text)")
            )
    urgent_lines, urgent = await broadcast_urgent.offer(
        ctx, draft, BroadcastButton("urgent", str(draft.id)).pack()
    )
    if provider is None or not broadcasts.missing(texts):
        lines += urgent_lines
        return Reply("\n".join(lines), choices=_choices(draft.id, False, urgent))
    # Shown if made already (the same text previewed again); else it follows as a notice.
    made = await broadcasts.read_missing(
        ctx.db, texts, Translating(provider), ctx.clock.now(), wait=False
    )
    lines += ["", *_translations(made), *urgent_lines]
    if None in made.values():
        await broadcasts.preview_when_translated(ctx.db, draft, provider, ctx.clock.now())
    return Reply("\n".join(lines), choices=_choices(draft.id, True, urgent))


def _translations(made: dict[str, ReadText | None]) -> list[str]:
    """A line per missing language: its automatic translation, or why there is none yet."""
    lines = []
    for language, text in made.items():
        label = language.upper()
        if text is None:
            lines.append(
                _(
                    "{language} — automatic translation: on its way, I will send it to you in a "
                    "moment."
                ).format(language=label)
            )
        elif text.shown == Shown.NOT_TRANSLATED:
            lines.append(
                _(
                    "{language} — the automatic translation failed: these readers get English, "
                    "with a note."
                ).format(language=label)
            )
        else:
            lines.append(
                _("{language} — automatic translation:").format(language=bold(label))
                + " "
                + escape(text.text)
            )
    return lines


def _choices(
    number: int, translating: bool, urgent: Choice | None = None
) -> tuple[tuple[Choice, ...], ...]:
    """Send or cancel a draft; with a translation provider, "Send" translates what is missing
    and a second button sends it in English with a note instead; `urgent` on a row of its own."""
    send = Choice(_("Send"), BroadcastButton("send", str(number)).pack())
    cancel = Choice(_("Cancel"), BroadcastButton("cancel", str(number)).pack())
    fast = ((urgent,),) if urgent is not None else ()
    # Not Telegram's paid rate (`urgent`): whether it waits for data-saver readers' digest.
    at_once = (
        (
            Choice(
                _("🔔 Urgent: also to those in data-saver mode at once"),
                BroadcastButton("atonce", str(number)).pack(),
            ),
        ),
    )
    if not translating:
        return ((send, cancel), *at_once, *fast)
    english = Choice(
        _("Send in English with a note"), BroadcastButton("english", str(number)).pack()
    )
    return ((send, english), *at_once, *fast, (cancel,))


def preview(shown: broadcasts.ShownPreview) -> Reply:
    """To the author of a draft: the automatic translations its preview could not wait for,
    with the preview's buttons while it is not sent."""
    heading = bold(_("Broadcast #{number}: automatic translations").format(number=shown.broadcast))
    lines = [heading, "", *_translations(shown.translations)]
    choices = _choices(shown.broadcast, translating=True) if shown.draft else ()
    return Reply("\n".join(lines), choices=choices)


async def broadcast_button(ctx: Context, button: BroadcastButton) -> Reply:
    action, number = button.action, button.number
    if action == "status":
        return (await _status(ctx, number)).edited()
    found = await _latest(ctx, number)
    urgent = ctx.paid_broadcasts if action == "urgent" else None
    if found is None or (action not in ("cancel", "send", "english", "atonce") and urgent is None):
        return answers.stale_button()
    if action == "cancel":
        return Reply((await _cancel(ctx, number)).text, edit=True)
    if action == "atonce" and found.status == BroadcastStatus.DRAFT:
        found.urgent = True  # readers in data-saver mode get it at once, not in their digest
    # "send" (and "urgent") translate what is missing, when a provider is configured;
    # "english" never does.
    provider = ctx.translation_provider if action != "english" else None
    queued = await broadcasts.confirm(ctx.db, found, ctx.clock.now(), provider, urgent)
    if not queued and found.status != BroadcastStatus.QUEUED:
        return Reply(
            _("Broadcast #{number} was already handled.").format(number=found.id), edit=True
        )
    if ctx.incoming.message_id is not None:  # this very message shows the progress from now on
        broadcasts.show_progress_in(
            found, ctx.incoming.platform, ctx.incoming.chat_id, ctx.incoming.message_id
        )
    reply = progress(broadcasts.progress_notice(found, Counter({OutboxStatus.PENDING: queued})))
    urgent_line = (
        "\n" + _("🔔 Urgent: those in data-saver mode get it at once, not in their digest.")
        if found.urgent
        else ""
    )
    return Reply(
        "✅ "
        + _("Broadcast #{number} is queued for {count} recipients.").format(
            number=found.id, count=queued
        )
        + urgent_line
        + "\n\n"
        + reply.text,
        choices=reply.choices,
        edit=True,
    )


async def _latest(ctx: Context, number: str | None) -> Broadcast | None:
    """The broadcast numbered `number` of this meeting, or (no number) the latest one."""
    if ctx.event is None:
        return None
    if number is not None:
        broadcast_id = parse_number(number)
        if broadcast_id is None:
            return None
        return await broadcasts.numbered(ctx.db, ctx.event, broadcast_id)
    return await broadcasts.latest(ctx.db, ctx.event)


async def _status(ctx: Context, number: str | None) -> Reply:
    found = await _latest(ctx, number)
    if found is None:
        return Reply(_("No such broadcast."))
    counts = await broadcasts.progress(ctx.db, found.id)
    return progress(broadcasts.progress_notice(found, counts))


def progress(notice: broadcasts.BroadcastProgress) -> Reply:
    """How a broadcast goes: asked for with /broadcast status, and the author's message that is
    edited in place while it leaves."""
    status = notice.status
    states = {
        BroadcastStatus.DRAFT: _("not sent (preview)"),
        BroadcastStatus.QUEUED: _("sending"),
        BroadcastStatus.DONE: _("finished"),
        BroadcastStatus.CANCELLED: _("cancelled"),
    }
    number = notice.broadcast
    lines = [
        bold(_("Broadcast #{number}").format(number=number)) + f" — {states[status]}",
        _("Sent {sent} of {total}").format(
            sent=formatting.number(notice.delivered),
            total=formatting.number(notice.recipients),
        ),
        _("Unreachable: {unreachable} · failed: {failed} · waiting: {waiting}").format(
            unreachable=formatting.number(notice.unreachable),
            failed=formatting.number(notice.failed),
            waiting=formatting.number(notice.pending),
        ),
    ]
    if notice.cancelled:
        lines.append(
            _("Withdrawn before leaving: {count}").format(count=formatting.number(notice.cancelled))
        )
    choices = (
        (
            Choice(_("Refresh"), BroadcastButton("status", str(number)).pack()),
            Choice(_("Cancel"), BroadcastButton("cancel", str(number)).pack()),
        ),
    )
    return Reply("\n".join(lines), choices=choices if status == BroadcastStatus.QUEUED else ())


async def _cancel(ctx: Context, number: str) -> Reply:
    found = await _latest(ctx, number)
    if found is None:
        return Reply(_("No such broadcast."))
    withdrawn = await broadcasts.cancel(ctx.db, found, ctx.clock.now())
    if found.status != BroadcastStatus.CANCELLED:
        return Reply(_("Broadcast #{number} was already handled.").format(number=found.id))
    return Reply(
        _("Broadcast #{number} is cancelled; {count} messages will not leave.").format(
            number=found.id, count=withdrawn
        )
    )
