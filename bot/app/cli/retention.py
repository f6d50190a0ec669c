"""`coordbot purge`: erase the participants once the retention period is over (by hand; the
scheduler does it too, within the hour after the period ends)."""

from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import click
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app.cli.shared import in_transaction, no_event, pass_settings
from bot.config import Settings
from bot.people import retention
from bot.programme import meeting
from bot.text import formatting
from bot.text.i18n import _
from bot.text.i18n import lazy_gettext as _l

# What each count of a purge is, for the operator.
LABELS = {
    "participants": _l("participants erased: {count}"),
    "chat_accounts": _l("chat accounts: {count}"),
    "link_codes": _l("linking codes: {count}"),
    "outbox_messages": _l("messages in the outbox: {count}"),
    "written_texts": _l("texts kept for translation: {count}"),
    "group_proposals": _l("group proposals: {count}"),
    "mail_messages": _l("mailing-list messages with a sender: {count}"),
    "inbox_updates": _l("platform updates still stored: {count}"),
}


@click.command("purge")
@click.option("--event", "event_key", default=None, help="The event's key (default: current).")
@click.option("--dry-run", is_flag=True, help="Print what would be erased; erase nothing.")
@pass_settings
def purge(settings: Settings, event_key: str | None, dry_run: bool) -> None:
    """Erase every participant's personal data once the retention period (the programme's
    retention_days after the last session) is over, keeping the meeting's figures. Running it
    again erases nothing more (docs/privacy.md, "Retention")."""

    async def work(db: AsyncSession) -> tuple[str, retention.Purged | None]:
        event = await meeting.current_event(db, event_key or settings.event)
        if event is None and event_key:
            raise click.ClickException(_("no event {key}").format(key=repr(event_key)))
        if event is None:
            raise no_event()
        if event.purged_at is not None:
            return _("The participants were already erased on {day}.").format(
                day=_day(event.purged_at, event.timezone)
            ), None
        end = await retention.period_end(db, event)
        if end is None:
            return _("The programme sets no retention period: nothing was erased."), None
        now = datetime.now(UTC)
        if now < end:
            return _("The retention period ends on {day}: nothing was erased.").format(
                day=_day(end, event.timezone)
            ), None
        counts = await retention.purge(db, event, now, dry_run=dry_run)
        if dry_run:
            await db.rollback()
            return _("Dry run: nothing was erased. A purge would erase:"), counts
        return _("Erased:"), counts

    heading, counts = in_transaction(work, settings)
    click.echo(heading)
    for name, count in counts.items() if counts else []:
        click.echo("  " + str(LABELS[name]).format(count=formatting.number(count)))


def _day(moment: datetime, zone: str) -> str:
    return formatting.day(moment.astimezone(ZoneInfo(zone)).date())
