"""The floor: questions with votes, the speakers' list, live polls, feedback per session

`sessions.questions` and `sessions.feedback` are the programme's new optional fields (false for
every session already loaded). `session_moderators` are given per session by organisers;
`floor_questions` and `floor_votes` (one per person and question, by primary key: counted
across languages); `speaker_requests` and `floor_settings` (the rule ordering the list);
`polls` and `poll_answers` (deleted at the close, once counted on the poll);
`feedback_requests` (one per person and session, answered once) and `feedback_answers`, which
name nobody.

Revision ID: 0018
Revises: 0017
Create Date: 2026-12-06 13:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0018"
down_revision: str | None = "0017"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "feedback_answers",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("rating", sa.Integer(), nullable=True),
        sa.Column("comment", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_feedback_answers_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_answers")),
    )
    with op.batch_alter_table("feedback_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_answers_session_id"), ["session_id"], unique=False
        )

    op.create_table(
        "feedback_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("sent_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("answered_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_feedback_requests_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_feedback_requests_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_feedback_requests")),
        sa.UniqueConstraint(
            "session_id",
            "participant_id",
            name=op.f("uq_feedback_requests_session_id_participant_id"),
        ),
    )
    with op.batch_alter_table("feedback_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_feedback_requests_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "floor_questions",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("language", sa.String(length=8), nullable=True),
        sa.Column("voice_file", sa.String(length=300), nullable=True),
        sa.Column("voice_platform", sa.String(length=16), nullable=True),
        sa.Column("named", sa.Boolean(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "pending",
                "approved",
                "answered",
                "rejected",
                "merged",
                name="floor_question_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("merged_into_id", sa.Integer(), nullable=True),
        sa.Column("reason", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["merged_into_id"],
            ["floor_questions.id"],
            name=op.f("fk_floor_questions_merged_into_id_floor_questions"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_floor_questions_participant_id_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_floor_questions_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_floor_questions")),
    )
    with op.batch_alter_table("floor_questions", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_floor_questions_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index(
            "ix_floor_questions_session_id_status", ["session_id", "status"], unique=False
        )

    op.create_table(
        "floor_settings",
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("speaker_rule", sa.String(length=32), nullable=False),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_floor_settings_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("session_id", name=op.f("pk_floor_settings")),
    )
    op.create_table(
        "polls",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("created_by", sa.Integer(), nullable=True),
        sa.Column("question", sa.JSON(), nullable=False),
        sa.Column("choices", sa.JSON(), nullable=False),
        sa.Column("multiple", sa.Boolean(), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closes_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("respondents", sa.Integer(), nullable=True),
        sa.ForeignKeyConstraint(
            ["created_by"],
            ["participants.id"],
            name=op.f("fk_polls_created_by_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_polls_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_polls")),
    )
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.create_index(
            "ix_polls_closed_at_closes_at", ["closed_at", "closes_at"], unique=False
        )

    op.create_table(
        "session_moderators",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_session_moderators_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_session_moderators_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_session_moderators")),
        sa.UniqueConstraint(
            "session_id",
            "participant_id",
            name=op.f("uq_session_moderators_session_id_participant_id"),
        ),
    )
    with op.batch_alter_table("session_moderators", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_session_moderators_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "speaker_requests",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "waiting",
                "called",
                "withdrawn",
                name="speaker_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("called_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_speaker_requests_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_speaker_requests_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_speaker_requests")),
    )
    with op.batch_alter_table("speaker_requests", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_speaker_requests_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index(
            "ix_speaker_requests_session_id_status", ["session_id", "status"], unique=False
        )

    op.create_table(
        "floor_votes",
        sa.Column("question_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_floor_votes_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["question_id"],
            ["floor_questions.id"],
            name=op.f("fk_floor_votes_question_id_floor_questions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("question_id", "participant_id", name=op.f("pk_floor_votes")),
    )
    with op.batch_alter_table("floor_votes", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_floor_votes_participant_id"), ["participant_id"], unique=False
        )

    op.create_table(
        "poll_answers",
        sa.Column("poll_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("choice", sa.Integer(), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_poll_answers_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["poll_id"],
            ["polls.id"],
            name=op.f("fk_poll_answers_poll_id_polls"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint(
            "poll_id", "participant_id", "choice", name=op.f("pk_poll_answers")
        ),
    )
    with op.batch_alter_table("poll_answers", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_poll_answers_participant_id"), ["participant_id"], unique=False
        )

    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("questions", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("feedback", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # The model gives the default from now on, as for every other column.
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.alter_column("questions", server_default=None)
        batch_op.alter_column("feedback", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("feedback")
        batch_op.drop_column("questions")

    with op.batch_alter_table("poll_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_poll_answers_participant_id"))

    op.drop_table("poll_answers")
    with op.batch_alter_table("floor_votes", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_floor_votes_participant_id"))

    op.drop_table("floor_votes")
    with op.batch_alter_table("speaker_requests", schema=None) as batch_op:
        batch_op.drop_index("ix_speaker_requests_session_id_status")
        batch_op.drop_index(batch_op.f("ix_speaker_requests_participant_id"))

    op.drop_table("speaker_requests")
    with op.batch_alter_table("session_moderators", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_session_moderators_participant_id"))

    op.drop_table("session_moderators")
    with op.batch_alter_table("polls", schema=None) as batch_op:
        batch_op.drop_index("ix_polls_closed_at_closes_at")

    op.drop_table("polls")
    op.drop_table("floor_settings")
    with op.batch_alter_table("floor_questions", schema=None) as batch_op:
        batch_op.drop_index("ix_floor_questions_session_id_status")
        batch_op.drop_index(batch_op.f("ix_floor_questions_participant_id"))

    op.drop_table("floor_questions")
    with op.batch_alter_table("feedback_requests", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_requests_participant_id"))

    op.drop_table("feedback_requests")
    with op.batch_alter_table("feedback_answers", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_feedback_answers_session_id"))

    op.drop_table("feedback_answers")
