"""Surveys in the database: loaded from their file, opened (everyone invited through the
outbox), reminded once, closed."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import ClassVar

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.delivery import outbox
from bot.models import Event, Participant, Survey, SurveyParticipation, SurveyStatus, Texts
from bot.notice import Notice
from bot.survey.spec import SurveySpec

# Reminders queued in one book-keeping pass at the most (the rest in the next passes).
REMINDERS_PER_PASS = 1000


@dataclass(frozen=True, kw_only=True)
class SurveyInvitation(Notice):
    """A survey opened: please answer it (with its button)."""

    kind: ClassVar[str] = "survey_invitation"
    survey: int
    title: Texts


@dataclass(frozen=True, kw_only=True)
class SurveyReminder(Notice):
    """The survey still waits for the reader's answers (once, after its delay)."""

    kind: ClassVar[str] = "survey_reminder"
    survey: int
    title: Texts


def spec_of(survey: Survey) -> SurveySpec:
    return SurveySpec.from_json(survey.definition)


@dataclass(frozen=True)
class Loaded:
    survey: Survey
    created: bool
    kept_answers: bool  # a definition with answers already was not replaced


async def load(db: AsyncSession, event: Event, spec: SurveySpec, now: datetime) -> Loaded:
    """Create the survey, or replace its definition while nobody has started answering it
    (afterwards its codes are the answers' meaning, and stay)."""
    found = (
        await db.execute(select(Survey).where(Survey.event_id == event.id, Survey.key == spec.key))
    ).scalar_one_or_none()
    if found is None:
        survey = Survey(
            event_id=event.id,
            key=spec.key,
            definition=spec.as_json(),
            anonymous=spec.anonymous,
            status=SurveyStatus.DRAFT,
            created_at=now,
        )
        db.add(survey)
        await db.flush()
        return Loaded(survey, created=True, kept_answers=False)
    started = (
        await db.execute(
            select(SurveyParticipation.id)
            .where(
                SurveyParticipation.survey_id == found.id,
                SurveyParticipation.progress.is_not(None) | SurveyParticipation.finished,
            )
            .limit(1)
        )
    ).first()
    if started is not None:
        return Loaded(found, created=False, kept_answers=True)
    found.definition, found.anonymous = spec.as_json(), spec.anonymous
    return Loaded(found, created=False, kept_answers=False)


async def surveys(db: AsyncSession, event: Event) -> list[Survey]:
    query = select(Survey).where(Survey.event_id == event.id).order_by(Survey.id)
    return list((await db.execute(query)).scalars())


async def open_survey(db: AsyncSession, survey: Survey, now: datetime) -> int:
    """Open the survey and invite every participant not invited yet; returns how many."""
    survey.status, survey.opened_at, survey.closed_at = SurveyStatus.OPEN, now, None
    invited = select(SurveyParticipation.participant_id).where(
        SurveyParticipation.survey_id == survey.id
    )
    people = list(
        (
            await db.execute(
                select(Participant.id).where(
                    Participant.event_id == survey.event_id,
                    Participant.erased_at.is_(None),
                    Participant.id.not_in(invited),
                )
            )
        ).scalars()
    )
    if not people:
        return 0
    rows = [
        {"survey_id": survey.id, "participant_id": pid, "invited_at": now, "finished": False}
        for pid in people
    ]
    for start in range(0, len(rows), 1000):
        await db.execute(insert(SurveyParticipation), rows[start : start + 1000])
    invitation = SurveyInvitation(survey=survey.id, title=spec_of(survey).title)
    await outbox.enqueue_many(
        db,
        [outbox.Message(f"survey-invite:{survey.id}:{pid}", pid, invitation) for pid in people],
        now,
    )
    return len(people)


def close_survey(survey: Survey, now: datetime) -> None:
    survey.status, survey.closed_at = SurveyStatus.CLOSED, now


async def remind_due(db: AsyncSession, now: datetime) -> int:
    """One reminder to each invited participant who has not finished, once the survey's delay
    since the invitation has passed; returns how many were queued."""
    queued = 0
    for survey in (
        await db.execute(select(Survey).where(Survey.status == SurveyStatus.OPEN))
    ).scalars():
        hours = spec_of(survey).reminder_after_hours
        if hours is None:
            continue
        due = (
            await db.execute(
                select(SurveyParticipation.id, SurveyParticipation.participant_id)
                .where(
                    SurveyParticipation.survey_id == survey.id,
                    SurveyParticipation.finished.is_(False),
                    SurveyParticipation.reminded_at.is_(None),
                    SurveyParticipation.invited_at <= now - timedelta(hours=hours),
                )
                .limit(REMINDERS_PER_PASS - queued)
            )
        ).all()
        if not due:
            continue
        reminder = SurveyReminder(survey=survey.id, title=spec_of(survey).title)
        await outbox.enqueue_many(
            db,
            [
                outbox.Message(f"survey-reminder:{survey.id}:{pid}", pid, reminder)
                for _id, pid in due
            ],
            now,
        )
        await db.execute(
            update(SurveyParticipation)
            .where(SurveyParticipation.id.in_([row_id for row_id, _pid in due]))
            .values(reminded_at=now)
        )
        queued += len(due)
        if queued >= REMINDERS_PER_PASS:
            break
    return queued
