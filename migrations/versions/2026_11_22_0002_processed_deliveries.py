"""Processed deliveries: each platform update is handled once

A platform may deliver the same update twice (Telegram after a restart, Slack on retry); the
(platform, delivery id) key lets the bot recognise it. `received_at` lets old rows be pruned.

Revision ID: 0002
Revises: 0001
Create Date: 2026-11-22 21:46:49.077744
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0002"
down_revision: str | None = "0001"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "processed_deliveries",
        sa.Column("platform", sa.String(length=16), nullable=False),
        sa.Column("delivery_id", sa.String(length=64), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("platform", "delivery_id", name=op.f("pk_processed_deliveries")),
    )
    op.create_index(
        op.f("ix_processed_deliveries_received_at"), "processed_deliveries", ["received_at"]
    )


def downgrade() -> None:
    op.drop_index(op.f("ix_processed_deliveries_received_at"), table_name="processed_deliveries")
    op.drop_table("processed_deliveries")
