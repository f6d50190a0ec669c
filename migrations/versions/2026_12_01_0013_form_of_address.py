"""How a participant wishes to be addressed: their own role label agrees with them

An optional `form_of_address` column of the participants file (`feminine`, `masculine` or
empty) is kept in `participants.form_of_address`. Where it is empty, French and Spanish keep the
inclusive forms (`animateur·rice`, `facilitador/a`). /forget clears it with the name.

Revision ID: 0013
Revises: 0012
Create Date: 2026-12-01 23:10:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0013"
down_revision: str | None = "0012"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("form_of_address", sa.String(16), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("form_of_address")
