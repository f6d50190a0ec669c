"""Floor boards: the moderators' question boards kept up to date in place

A moderator's board (/questions) is edited by the scheduler's routine within a second or two of
a vote or a new question, without anyone pressing. The message to edit (a platform, a chat, a
message id) is only known when the moderator presses a button of the board, in any process,
and the edit is made by the process that holds the scheduler role: so the board is kept in the
database, one row per board shown, with the state it last showed (edited only on a change).

Revision ID: 0019
Revises: 0018
Create Date: 2026-12-06 13:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0019"
down_revision: str | None = "0018"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "floor_boards",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("chat_id", sa.String(length=64), nullable=False),
        sa.Column("message_id", sa.String(length=64), nullable=False),
        sa.Column("shown", sa.String(length=64), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_floor_boards_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_floor_boards_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_floor_boards")),
        sa.UniqueConstraint(
            "platform",
            "chat_id",
            "message_id",
            name=op.f("uq_floor_boards_platform_chat_id_message_id"),
        ),
    )
    with op.batch_alter_table("floor_boards", schema=None) as batch_op:
        batch_op.create_index(
            batch_op.f("ix_floor_boards_participant_id"), ["participant_id"], unique=False
        )
        batch_op.create_index(
            batch_op.f("ix_floor_boards_session_id"), ["session_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("floor_boards", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_floor_boards_session_id"))
        batch_op.drop_index(batch_op.f("ix_floor_boards_participant_id"))

    op.drop_table("floor_boards")
