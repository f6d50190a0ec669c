"""The participant registry: importing people from a CSV file (see docs/participants.md)."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Event, Participant, Role
from bot.text.i18n import LANGUAGES, _

COLUMNS = (
    "name",
    "email",
    "organisation",
    "role",
    "region",
    "country",
    "language",
    "gender",
    "form_of_address",
    "migrant_background",
    "youth",
    "government_conference",
    "volunteer",
)
REGIONS = (
    "africa",
    "asia",
    "europe",
    "latin_america",
    "mena",
    "north_america",
    "pacific",
    "global",
)
GENDERS = ("woman", "man", "other")
FORMS_OF_ADDRESS = ("feminine", "masculine")
_YES_NO = {"yes": True, "no": False, "": None}


@dataclass(frozen=True)
class Rejected:
    row: int
    reason: str


@dataclass
class ImportReport:
    created: int = 0
    updated: int = 0
    rejected: list[Rejected] = field(default_factory=list)


def _clean(row: dict[str | None, str | None]) -> dict[str, str]:
    return {str(key).strip().lower(): (value or "").strip() for key, value in row.items() if key}


def _problem(row: dict[str, str], seen_emails: set[str]) -> str | None:
    if not row.get("name"):
        return _("the name is missing")
    if row.get("role") not in {role.value for role in Role}:
        return _("unknown role {role}").format(role=row.get("role") or "—")
    if row.get("language") and row["language"] not in LANGUAGES:
        return _("unknown language {language}").format(language=row["language"])
    if row.get("region") and row["region"] not in REGIONS:
        return _("unknown region {region}").format(region=row["region"])
    if row.get("country") and (len(row["country"]) != 2 or not row["country"].isalpha()):
        return _("the country must be a two-letter code such as MX")
    if row.get("gender") and row["gender"] not in GENDERS:
        return _("unknown gender {gender}").format(gender=row["gender"])
    if row.get("form_of_address") and row["form_of_address"] not in FORMS_OF_ADDRESS:
        return _("form_of_address must be feminine, masculine or empty")
    for flag in ("migrant_background", "youth", "government_conference", "volunteer"):
        if row.get(flag, "").lower() not in _YES_NO:
            return _("{column} must be yes, no or empty").format(column=flag)
    email = row.get("email", "").lower()
    if email and ("@" not in email or email in seen_emails):
        return _("duplicate or invalid e-mail {email}").format(email=email)
    return None


async def import_participants(
    db: AsyncSession, event: Event, rows: Iterable[dict[str | None, str | None]], now: datetime
) -> ImportReport:
    """Create or update participants (matched by e-mail); a bad row is rejected, not guessed."""
    report = ImportReport()
    query = select(Participant).where(Participant.event_id == event.id)
    by_email = {
        p.email: p for p in (await db.execute(query)).scalars() if p.email and not p.erased_at
    }
    seen: set[str] = set()
    for number, raw in enumerate(rows, start=2):  # row 1 is the header
        row = _clean(raw)
        problem = _problem(row, seen)
        if problem:
            report.rejected.append(Rejected(number, problem))
            continue
        email = row.get("email", "").lower() or None
        if email:
            seen.add(email)
        participant = by_email.get(email) if email else None
        if participant is None:
            participant = Participant(event_id=event.id, email=email, created_at=now)
            db.add(participant)
            report.created += 1
        else:
            report.updated += 1
        participant.name = row["name"]
        participant.organisation = row.get("organisation") or None
        participant.role = Role(row["role"])
        participant.region = row.get("region") or None
        participant.country = (row.get("country") or "").upper() or None
        participant.language = row.get("language") or participant.language
        participant.gender = row.get("gender") or None
        participant.form_of_address = row.get("form_of_address") or None
        participant.migrant_background = _YES_NO[row.get("migrant_background", "").lower()]
        participant.youth = _YES_NO[row.get("youth", "").lower()]
        participant.government_conference = _YES_NO[row.get("government_conference", "").lower()]
        # Checks people in at the door; empty keeps what /volunteer said.
        volunteer = _YES_NO[row.get("volunteer", "").lower()]
        participant.volunteer = bool(participant.volunteer) if volunteer is None else volunteer
    await db.flush()
    return report


def read_csv(text: str) -> list[dict[str | None, str | None]]:
    return list(csv.DictReader(io.StringIO(text.lstrip("\ufeff"))))
