"""Outbox: messages held back by a platform's rule, and the receipts of those sent

WhatsApp lets a business write freely only within 24 hours of the person's last message;
outside it, only an approved template. A notice with no template is held (`held_for` names the
platform) until the person writes, or sent on their other chat app. The platform's id of each
message sent is kept, so that its delivery and read receipts, which come later through the
webhook, are recorded on the row.

Revision ID: 0020
Revises: 0019
Create Date: 2026-12-06 16:00:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0020"
down_revision: str | None = "0019"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.add_column(sa.Column("held_for", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("platform_message_id", sa.String(length=128), nullable=True))
        batch_op.add_column(sa.Column("receipt", sa.String(length=16), nullable=True))
        batch_op.add_column(sa.Column("receipt_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_index(
            batch_op.f("ix_outbox_platform_message_id"), ["platform_message_id"], unique=False
        )


def downgrade() -> None:
    with op.batch_alter_table("outbox", schema=None) as batch_op:
        batch_op.drop_index(batch_op.f("ix_outbox_platform_message_id"))
        batch_op.drop_column("receipt_at")
        batch_op.drop_column("receipt")
        batch_op.drop_column("platform_message_id")
        batch_op.drop_column("held_for")
