"""Broadcasts and outbox deadlines: organisers' broadcasts, expiring and cancelled messages

Broadcasts keep their audience, texts per language, time and status; outbox rows may expire (a
reminder is pointless once its session has begun), belong to a broadcast, and be cancelled.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22 22:23:34.697572
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


OLD_STATUSES = ("pending", "delivered", "unreachable", "failed")
NEW_STATUSES = (*OLD_STATUSES, "cancelled")


def _statuses(values: tuple[str, ...]) -> str:
    return "status IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def upgrade() -> None:
    op.create_table(
        "broadcasts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("audience", sa.JSON(), nullable=False),
        sa.Column("texts", sa.JSON(), nullable=False),
        sa.Column(
            "status",
            sa.Enum(
                "draft",
                "queued",
                "done",
                "cancelled",
                name="broadcast_status",
                native_enum=False,
                create_constraint=True,
            ),
            nullable=False,
        ),
        sa.Column("recipients", sa.Integer(), nullable=False),
        sa.Column("send_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["participants.id"],
            name=op.f("fk_broadcasts_author_id_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_broadcasts_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_broadcasts")),
    )
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.add_column(sa.Column("expires_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("broadcast_id", sa.Integer(), nullable=True))
        batch_op.create_index(batch_op.f("ix_outbox_broadcast_id"), ["broadcast_id"])
        batch_op.create_foreign_key(
            batch_op.f("fk_outbox_broadcast_id_broadcasts"),
            "broadcasts",
            ["broadcast_id"],
            ["id"],
            ondelete="CASCADE",
        )
        batch_op.drop_constraint(op.f("ck_outbox_outbox_status"), type_="check")
        batch_op.create_check_constraint("outbox_status", _statuses(NEW_STATUSES))


def downgrade() -> None:
    op.execute("UPDATE outbox SET status = 'failed' WHERE status = 'cancelled'")
    with op.batch_alter_table("outbox") as batch_op:
        batch_op.drop_constraint(op.f("ck_outbox_outbox_status"), type_="check")
        batch_op.create_check_constraint("outbox_status", _statuses(OLD_STATUSES))
        batch_op.drop_constraint(
            batch_op.f("fk_outbox_broadcast_id_broadcasts"), type_="foreignkey"
        )
        batch_op.drop_index(batch_op.f("ix_outbox_broadcast_id"))
        batch_op.drop_column("broadcast_id")
        batch_op.drop_column("expires_at")
    op.drop_table("broadcasts")
