"""What happens alongside the meeting: `events.alongside`

A programme file may list what takes place on some days without being a session of the meeting
(another body's conference, activities still to be announced). The list is kept whole, as the
file gives it, in `events.alongside`, and written again at each load.

Revision ID: 0016
Revises: 0015
Create Date: 2026-12-01 23:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0016"
down_revision: str | None = "0015"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.add_column(sa.Column("alongside", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("events") as batch:
        batch.drop_column("alongside")
