"""The evaluation survey: its definition, who was invited and how far they got, the answers."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import ForeignKey, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, CleanJSON, CleanString, enum_column


class SurveyStatus(enum.StrEnum):
    DRAFT = "draft"  # loaded, not open yet
    OPEN = "open"
    CLOSED = "closed"


class Survey(Base):
    __tablename__ = "surveys"
    __table_args__ = (UniqueConstraint("event_id", "key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    key: Mapped[str] = mapped_column(CleanString(64))
    # The checked definition (bot.survey.spec.SurveySpec.as_json()): questions, texts, rules.
    definition: Mapped[dict[str, Any]] = mapped_column(CleanJSON)
    anonymous: Mapped[bool]
    status: Mapped[SurveyStatus] = mapped_column(enum_column(SurveyStatus, "survey_status"))
    opened_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]
    created_at: Mapped[datetime]


class SurveyParticipation(Base):
    """One invited participant: where they are in the survey, and whether they finished.

    While they answer, their answers so far live here (to resume days later and to go back);
    when they finish, the answers move to a `SurveyResponse` and are erased from this row. For
    an anonymous survey what stays here is only "has answered", for the reminder.
    """

    __tablename__ = "survey_participations"
    __table_args__ = (UniqueConstraint("survey_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    invited_at: Mapped[datetime]
    reminded_at: Mapped[datetime | None]
    finished: Mapped[bool] = mapped_column(default=False)
    # {"answers": {question: value}, "asked": [questions in the order they were asked]}
    progress: Mapped[dict[str, Any] | None] = mapped_column(CleanJSON)


class SurveyResponse(Base):
    """One finished answer set. In an anonymous survey it has no participant, no time, and a
    random id, so that neither a link nor the order of arrival ties it to a person."""

    __tablename__ = "survey_responses"

    id: Mapped[str] = mapped_column(CleanString(32), primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id", ondelete="CASCADE"), index=True)
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    answers: Mapped[dict[str, Any]] = mapped_column(CleanJSON)
