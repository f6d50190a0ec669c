"""Venue names per language: an optional {language: name} map beside the plain name

A programme file may give a venue's name in each language (`name: {en, fr, es}`); the map is
kept in `venues.names` and shown in the reader's language. `venues.name` keeps one name (the
event's default language), as before, for places that show a single one.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-01 21:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("venues") as batch:
        batch.add_column(sa.Column("names", sa.JSON(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("venues") as batch:
        batch.drop_column("names")
