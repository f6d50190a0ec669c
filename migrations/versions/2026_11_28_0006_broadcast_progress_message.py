"""Broadcast progress message: the author's message edited in place as a broadcast leaves

Revision ID: 0006
Revises: 0005
Create Date: 2026-11-28 18:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.add_column(sa.Column("progress_platform", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("progress_chat", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("progress_message", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("progress_shown", sa.String(length=100), nullable=True))
        batch_op.add_column(
            sa.Column("progress_shown_at", sa.DateTime(timezone=True), nullable=True)
        )


def downgrade() -> None:
    with op.batch_alter_table("broadcasts") as batch_op:
        batch_op.drop_column("progress_shown_at")
        batch_op.drop_column("progress_shown")
        batch_op.drop_column("progress_message")
        batch_op.drop_column("progress_chat")
        batch_op.drop_column("progress_platform")
