"""Answering a survey: one question at a time, conditions, going back, resuming, finishing."""

from __future__ import annotations

import uuid
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.models import Event, Survey, SurveyParticipation, SurveyResponse, SurveyStatus
from bot.survey.spec import QuestionSpec, SurveySpec
from bot.translation import store as translation_store

SCALE = ("1", "2", "3", "4", "5")
TEXT_LIMIT = 2000
Answer = int | str | list[str] | None  # None: an optional question skipped


async def open_survey_of(db: AsyncSession, event: Event) -> Survey | None:
    """The survey open now (the one opened last, should there be several)."""
    query = (
        select(Survey)
        .where(Survey.event_id == event.id, Survey.status == SurveyStatus.OPEN)
        .order_by(Survey.opened_at.desc(), Survey.id.desc())
        .limit(1)
    )
    return (await db.execute(query)).scalar_one_or_none()


async def last_survey_of(db: AsyncSession, event: Event) -> Survey | None:
    query = select(Survey).where(Survey.event_id == event.id).order_by(Survey.id.desc()).limit(1)
    return (await db.execute(query)).scalar_one_or_none()


async def participation(
    db: AsyncSession, survey: Survey, participant_id: int, now: datetime
) -> SurveyParticipation:
    """The participant's place in the survey (someone registered after it opened joins now)."""
    query = select(SurveyParticipation).where(
        SurveyParticipation.survey_id == survey.id,
        SurveyParticipation.participant_id == participant_id,
    )
    found = (await db.execute(query)).scalar_one_or_none()
    if found is None:
        found = SurveyParticipation(
            survey_id=survey.id, participant_id=participant_id, invited_at=now, finished=False
        )
        db.add(found)
        await db.flush()
    return found


async def in_progress(
    db: AsyncSession, survey: Survey, participant_id: int
) -> SurveyParticipation | None:
    """The participant's place in the survey while they are answering it (started, not
    finished): what they type then is an answer."""
    query = select(SurveyParticipation).where(
        SurveyParticipation.survey_id == survey.id,
        SurveyParticipation.participant_id == participant_id,
        SurveyParticipation.progress.is_not(None),
        SurveyParticipation.finished.is_(False),
    )
    return (await db.execute(query)).scalar_one_or_none()


def start(place: SurveyParticipation) -> bool:
    """Mark the participant as answering (typed text then goes to the survey); True the first
    time, when the introduction is to be shown."""
    if place.progress is not None:
        return False
    place.progress = {"answers": {}, "asked": [], "selecting": []}
    return True


def answers_of(place: SurveyParticipation) -> dict[str, Answer]:
    return dict((place.progress or {}).get("answers", {}))


def applies(question: QuestionSpec, answers: dict[str, Answer]) -> bool:
    """Whether a question is to be asked, given the answers so far (its condition)."""
    condition = question.ask_if
    if condition is None:
        return True
    given = answers.get(condition.question)
    values = given if isinstance(given, list) else [] if given is None else [str(given)]
    return any(value in condition.values for value in values)


def current_question(spec: SurveySpec, answers: dict[str, Answer]) -> QuestionSpec | None:
    """The next question to ask; None when every question that applies is answered."""
    for question in spec.questions:
        if question.key not in answers and applies(question, answers):
            return question
    return None


def position(spec: SurveySpec, question: QuestionSpec) -> tuple[int, int, bool]:
    """(number of `question`, how many questions there are, whether it is a follow-up).

    The count is of the questions everyone is asked; a follow-up asked because of an answer
    (`ask_if`) takes the number of the question before it. So the counter never jumps when a
    follow-up comes, or goes after Back."""
    main = [q for q in spec.questions if q.ask_if is None]
    before = spec.questions[: spec.questions.index(question) + 1]
    number = sum(1 for q in before if q.ask_if is None)
    return max(1, number), len(main), question.ask_if is not None


def parse(question: QuestionSpec, value: str) -> Answer | str:
    """The answer a value stands for, or a problem ("not an option", "too long"…) as a code."""
    if question.kind == "scale":
        return int(value) if value in SCALE else "invalid"
    if question.kind == "single":
        return value if value in {o.code for o in question.options} else "invalid"
    if question.kind == "text":
        text = value.strip()
        if not text:
            return "empty"
        return text if len(text) <= TEXT_LIMIT else "too-long"
    raise ValueError("multiple choices are answered with `choose`")


def record(place: SurveyParticipation, question: QuestionSpec, value: Answer) -> None:
    progress = dict(place.progress or {})
    answers = dict(progress.get("answers", {}))
    asked = [key for key in progress.get("asked", []) if key != question.key]
    answers[question.key] = value
    asked.append(question.key)
    progress.update(answers=answers, asked=asked, selecting=[])
    place.progress = progress  # a new dict, so that the JSON column is written


def selection(place: SurveyParticipation) -> list[str]:
    """The options ticked so far in a multiple-choice question."""
    return list((place.progress or {}).get("selecting", []))


def toggle(place: SurveyParticipation, question: QuestionSpec, code: str) -> bool:
    """Tick or untick an option; False when it cannot be ticked (unknown, or too many)."""
    ticked = selection(place)
    if code in ticked:
        ticked.remove(code)
    elif code not in {o.code for o in question.options} or (
        question.max_choices is not None and len(ticked) >= question.max_choices
    ):
        return False
    else:
        ticked.append(code)
    place.progress = {**(place.progress or {}), "selecting": ticked}
    return True


def back(place: SurveyParticipation) -> bool:
    """Undo the last answer, to give it again; False at the first question."""
    progress = dict(place.progress or {})
    asked = list(progress.get("asked", []))
    if not asked:
        return False
    last = asked.pop()
    answers = {key: value for key, value in progress.get("answers", {}).items() if key != last}
    progress.update(answers=answers, asked=asked, selecting=[])
    place.progress = progress
    return True


async def finish(
    db: AsyncSession,
    survey: Survey,
    spec: SurveySpec,
    place: SurveyParticipation,
    now: datetime,
    translation_provider: str | None = None,
) -> None:
    """Keep the answer set, and in the participation only "has answered"; with a translation
    provider, ask for the free-text answers' translations in the same transaction."""
    answers = answers_of(place)
    kept: dict[str, Any] = {
        q.key: answers.get(q.key)
        for q in spec.questions
        if q.key in answers and applies(q, answers)
    }
    db.add(
        SurveyResponse(
            id=uuid.uuid4().hex,
            survey_id=survey.id,
            participant_id=None if survey.anonymous else place.participant_id,
            answers=kept,
        )
    )
    place.finished, place.progress = True, None
    if translation_provider is None:
        return
    for question in spec.questions:
        text = kept.get(question.key)
        if question.kind == "text" and isinstance(text, str) and text.strip():
            # No author: the translation must not tie the answer to a person again.
            await translation_store.request(db, text, None, translation_provider, now)
