"""The floor of a session: its moderators, questions and their votes, the speakers' list, live
polls, and feedback after it (bot/floor/)."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from bot.models.base import Base, CleanJSON, CleanString, CleanText, Texts, enum_column


class SessionModerator(Base):
    """A participant who moderates one session's floor (given by an organiser, /moderators):
    they see the askers' categories, decide on questions, call speakers and launch polls."""

    __tablename__ = "session_moderators"
    __table_args__ = (UniqueConstraint("session_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime]


class QuestionStatus(enum.StrEnum):
    PENDING = "pending"  # waiting for a moderator
    APPROVED = "approved"  # on the room's board, open to votes
    ANSWERED = "answered"
    REJECTED = "rejected"  # with a reason, told to the asker
    MERGED = "merged"  # a duplicate: its votes count for `merged_into_id`


class FloorQuestion(Base):
    """A question from the floor (/ask). Anonymous to the room unless `named`; the asker is kept
    for the moderators' categories and for /mydata, and emptied by /forget."""

    __tablename__ = "floor_questions"
    __table_args__ = (Index("ix_floor_questions_session_id_status", "session_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL"), index=True
    )
    text: Mapped[str] = mapped_column(CleanText)
    # The asker's language when they asked (the translation service detects it when set).
    language: Mapped[str | None] = mapped_column(CleanString(8))
    # A voice note instead of a text: the platform's own file id, sent on to the moderators.
    voice_file: Mapped[str | None] = mapped_column(CleanString(300))
    voice_platform: Mapped[str | None] = mapped_column(CleanString(16))
    # The asker chose to be named to the room.
    named: Mapped[bool] = mapped_column(default=False)
    status: Mapped[QuestionStatus] = mapped_column(
        enum_column(QuestionStatus, "floor_question_status")
    )
    merged_into_id: Mapped[int | None] = mapped_column(
        ForeignKey("floor_questions.id", ondelete="SET NULL")
    )
    reason: Mapped[str | None] = mapped_column(CleanString(500))
    created_at: Mapped[datetime]
    decided_at: Mapped[datetime | None]


class FloorVote(Base):
    """One person's vote for one question: the primary key refuses a second, whatever the
    language either of them reads it in."""

    __tablename__ = "floor_votes"

    question_id: Mapped[int] = mapped_column(
        ForeignKey("floor_questions.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    created_at: Mapped[datetime]


class SpeakerStatus(enum.StrEnum):
    WAITING = "waiting"
    CALLED = "called"  # given the floor by the moderator
    WITHDRAWN = "withdrawn"


class SpeakerRequest(Base):
    """A request for the floor in a session (/floor): its place in the speakers' list."""

    __tablename__ = "speaker_requests"
    __table_args__ = (Index("ix_speaker_requests_session_id_status", "session_id", "status"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    status: Mapped[SpeakerStatus] = mapped_column(enum_column(SpeakerStatus, "speaker_status"))
    created_at: Mapped[datetime]
    called_at: Mapped[datetime | None]


class FloorSettings(Base):
    """A session's floor as its moderators set it: the rule that orders the speakers' list."""

    __tablename__ = "floor_settings"

    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), primary_key=True
    )
    # bot.floor.speakers.Rule, by value ("arrival", "constituency", …).
    speaker_rule: Mapped[str] = mapped_column(CleanString(32), default="arrival")


class Poll(Base):
    """A live poll in a session: a question and 2–6 choices in each language, open until
    `closes_at`; `closed_at` is set once, by the routine that sends the result, which keeps the
    figures here and deletes the answers: a closed poll ties nobody to a choice."""

    __tablename__ = "polls"
    __table_args__ = (Index("ix_polls_closed_at_closes_at", "closed_at", "closes_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    created_by: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    question: Mapped[Texts]
    choices: Mapped[list[Texts]] = mapped_column(CleanJSON)
    multiple: Mapped[bool] = mapped_column(default=False)
    opened_at: Mapped[datetime]
    closes_at: Mapped[datetime]
    closed_at: Mapped[datetime | None]
    # At the close: how many chose each choice, and how many people answered.
    counts: Mapped[list[int] | None] = mapped_column(CleanJSON)
    respondents: Mapped[int | None]


class PollAnswer(Base):
    """One choice of one person in a poll still open (several rows in a multiple-choice poll),
    deleted at the close once counted. Only counts are ever shown or exported."""

    __tablename__ = "poll_answers"

    poll_id: Mapped[int] = mapped_column(
        ForeignKey("polls.id", ondelete="CASCADE"), primary_key=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), primary_key=True, index=True
    )
    choice: Mapped[int] = mapped_column(primary_key=True)


class FeedbackRequest(Base):
    """The feedback question sent to one participant after one session: answered once. The
    answer itself is kept apart, without the person (`FeedbackAnswer`)."""

    __tablename__ = "feedback_requests"
    __table_args__ = (UniqueConstraint("session_id", "participant_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(ForeignKey("sessions.id", ondelete="CASCADE"))
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    sent_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]


class FeedbackAnswer(Base):
    """One rating of a session (1–5), or a comment, with no link to the person. A comment
    written after the rating is a row of its own (no rating), so that nothing joins the two
    rows of one person either."""

    __tablename__ = "feedback_answers"

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    rating: Mapped[int | None]
    comment: Mapped[str | None] = mapped_column(CleanText)


class FloorBoard(Base):
    """A moderator's question board kept up to date in place (bot/floor/boards.py): the message
    that shows it, and the state it shows, so that it is edited only when counts change."""

    __tablename__ = "floor_boards"
    __table_args__ = (UniqueConstraint("platform", "chat_id", "message_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    session_id: Mapped[int] = mapped_column(
        ForeignKey("sessions.id", ondelete="CASCADE"), index=True
    )
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    platform: Mapped[str] = mapped_column(CleanString(16))
    chat_id: Mapped[str] = mapped_column(CleanString(64))
    message_id: Mapped[str] = mapped_column(CleanString(64))
    # What the message shows (bot.floor.questions.Board.state), None until the first edit.
    shown: Mapped[str | None] = mapped_column(CleanString(64))
    created_at: Mapped[datetime]
