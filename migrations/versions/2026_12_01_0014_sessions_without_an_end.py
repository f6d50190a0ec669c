"""Sessions without an end: `sessions.ends_at` may be empty

A programme may give only a session's start when its source does ("Closing reception, from
18:00"; a bus leaving at 08:45): the bot then shows "from 18:00" and no invented end time.
Existing rows all have an end and keep it; downgrading fails if a session has none, rather than
invent one.

Revision ID: 0014
Revises: 0013
Create Date: 2026-12-01 23:20:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0014"
down_revision: str | None = "0013"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.alter_column("ends_at", existing_type=sa.DateTime(timezone=True), nullable=True)


def downgrade() -> None:
    with op.batch_alter_table("sessions") as batch:
        batch.alter_column("ends_at", existing_type=sa.DateTime(timezone=True), nullable=False)
