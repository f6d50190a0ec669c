"""Tables, groups and the outbox: closed tables, seat roles, proposals, queued messages

Act tables can be closed; reference groups can be announcement-only; each table membership
records the seats it takes (existing rows get them from the participant's role); participants'
group proposals wait for organisers; and the outbox holds every message the bot sends on its own.

Revision ID: 0004
Revises: 0003
Create Date: 2026-11-22 22:04:10.365697
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _enum(name: str, *values: str) -> sa.Enum:
    return sa.Enum(*values, name=name, native_enum=False, create_constraint=True)


PROPOSAL_STATUS = _enum("proposal_status", "pending", "approved", "declined")
OUTBOX_STATUS = _enum("outbox_status", "pending", "delivered", "unreachable", "failed")
SEAT_ROLE = _enum("membership_seat_role", "civil_society", "government")


def upgrade() -> None:
    op.create_table(
        "group_proposals",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=True),
        sa.Column("title", sa.JSON(), nullable=False),
        sa.Column("status", PROPOSAL_STATUS, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_group_proposals_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_group_proposals_participant_id_participants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_group_proposals")),
    )
    op.create_table(
        "outbox",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("key", sa.String(length=200), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(length=40), nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("status", OUTBOX_STATUS, nullable=False),
        sa.Column("attempts", sa.Integer(), nullable=False),
        sa.Column("not_before", sa.DateTime(timezone=True), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("platform", sa.String(length=16), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_outbox_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_outbox")),
        sa.UniqueConstraint("key", name=op.f("uq_outbox_key")),
    )
    op.create_index(op.f("ix_outbox_participant_id"), "outbox", ["participant_id"])
    op.create_index("ix_outbox_status_not_before", "outbox", ["status", "not_before"])

    # Existing rows get the values every new row gets from the models.
    with op.batch_alter_table("act_tables") as batch_op:
        batch_op.add_column(
            sa.Column("closed", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("reference_groups") as batch_op:
        batch_op.add_column(
            sa.Column("announcement_only", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    with op.batch_alter_table("table_memberships") as batch_op:
        batch_op.add_column(
            sa.Column("seat_role", SEAT_ROLE, nullable=False, server_default="civil_society")
        )
    op.execute(
        "UPDATE table_memberships SET seat_role = 'government' WHERE participant_id IN "
        "(SELECT id FROM participants WHERE role IN ('government', 'international'))"
    )
    with op.batch_alter_table("table_memberships") as batch_op:
        batch_op.alter_column("seat_role", server_default=None)
    with op.batch_alter_table("reference_groups") as batch_op:
        batch_op.alter_column("announcement_only", server_default=None)
    with op.batch_alter_table("act_tables") as batch_op:
        batch_op.alter_column("closed", server_default=None)


def downgrade() -> None:
    with op.batch_alter_table("table_memberships") as batch_op:
        # SQLite copies the table: its CHECK on the column must go first.
        batch_op.drop_constraint(op.f("ck_table_memberships_membership_seat_role"), type_="check")
        batch_op.drop_column("seat_role")
    with op.batch_alter_table("reference_groups") as batch_op:
        batch_op.drop_column("announcement_only")
    with op.batch_alter_table("act_tables") as batch_op:
        batch_op.drop_column("closed")
    op.drop_index("ix_outbox_status_not_before", table_name="outbox")
    op.drop_index(op.f("ix_outbox_participant_id"), table_name="outbox")
    op.drop_table("outbox")
    op.drop_table("group_proposals")
