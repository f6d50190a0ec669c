"""Invitations and erasure: codes, lock-out after wrong codes, /forget, host country

Participants get the hash of their invitation code, the time it was issued, the time their data
was erased, and whether they attend the government-led conference; chat accounts a lock-out
time; wrong codes are recorded per account; events get their host country. (SQLite alters the
participants and chat_identities tables by copying them: batch mode.)

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 21:56:21.682331
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "invitation_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["chat_identities.id"],
            name=op.f("fk_invitation_failures_identity_id_chat_identities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_failures")),
    )
    op.create_index(
        "ix_invitation_failures_identity_id_at",
        "invitation_failures",
        ["identity_id", "attempted_at"],
    )

    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("country", sa.String(length=2), nullable=True))

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("government_conference", sa.Boolean(), nullable=True))
        batch_op.add_column(sa.Column("invitation_hash", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("invited_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("erased_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_participants_invitation_hash"), ["invitation_hash"]
        )


def downgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_participants_invitation_hash"), type_="unique")
        batch_op.drop_column("erased_at")
        batch_op.drop_column("invited_at")
        batch_op.drop_column("invitation_hash")
        batch_op.drop_column("government_conference")

    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("country")

    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.drop_column("locked_until")

    op.drop_index("ix_invitation_failures_identity_id_at", table_name="invitation_failures")

    op.drop_table("invitation_failures")
