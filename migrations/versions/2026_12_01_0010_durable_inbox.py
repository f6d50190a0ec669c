"""Durable inbox: processed deliveries keep the raw update and its replies until answered

A Telegram update is stored (`payload`) before its offset confirms it to Telegram; handling
it sets `handled_at` and stores its replies (`replies`) in the handler's transaction; both are
cleared once the replies are sent. Existing rows were handled when they were received.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-01 20:05:00.000000
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("processed_deliveries", schema=None) as batch_op:
        batch_op.add_column(sa.Column("handled_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.add_column(sa.Column("payload", sa.Text(), nullable=True))
        batch_op.add_column(sa.Column("replies", sa.Text(), nullable=True))
    op.execute("UPDATE processed_deliveries SET handled_at = received_at")


def downgrade() -> None:
    # Updates received but not yet handled or answered have nowhere to go: they are dropped
    # with their columns (Telegram does not send them again once confirmed).
    op.execute("DELETE FROM processed_deliveries WHERE handled_at IS NULL")
    with op.batch_alter_table("processed_deliveries", schema=None) as batch_op:
        batch_op.drop_column("replies")
        batch_op.drop_column("payload")
        batch_op.drop_column("handled_at")
