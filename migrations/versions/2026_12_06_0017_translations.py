"""Translations of what people write: each text once, each target language once

`translated_texts` keeps a text once (keyed by its sha256) with the language detected in it and
its author (for /mydata); `translations` one row per text, target language and provider,
pending until the scheduler's routine translates it. `participants.translate` is the person's
/translate choice (None: on when a provider is configured).

Revision ID: 0017
Revises: 0016
Create Date: 2026-12-06 08:30:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0017"
down_revision: str | None = "0016"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _status() -> sa.Enum:
    return sa.Enum(
        "pending",
        "done",
        "failed",
        name="translation_status",
        native_enum=False,
        create_constraint=True,
        length=7,
    )


def upgrade() -> None:
    op.create_table(
        "translated_texts",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text_hash", sa.String(length=64), nullable=False),
        sa.Column("text", sa.Text(), nullable=False),
        sa.Column("source", sa.String(length=8), nullable=True),
        sa.Column("detection", _status(), nullable=False),
        sa.Column("author_id", sa.Integer(), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["author_id"],
            ["participants.id"],
            name=op.f("fk_translated_texts_author_id_participants"),
            ondelete="SET NULL",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translated_texts")),
        sa.UniqueConstraint("text_hash", name=op.f("uq_translated_texts_text_hash")),
    )
    with op.batch_alter_table("translated_texts") as batch:
        batch.create_index(batch.f("ix_translated_texts_author_id"), ["author_id"], unique=False)
    op.create_table(
        "translations",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("text_id", sa.Integer(), nullable=False),
        sa.Column("target", sa.String(length=8), nullable=False),
        sa.Column("status", _status(), nullable=False),
        sa.Column("provider", sa.String(length=32), nullable=False),
        sa.Column("text", sa.Text(), nullable=True),
        sa.Column("error", sa.String(length=500), nullable=True),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("finished_at", sa.DateTime(timezone=True), nullable=True),
        sa.ForeignKeyConstraint(
            ["text_id"],
            ["translated_texts.id"],
            name=op.f("fk_translations_text_id_translated_texts"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_translations")),
        sa.UniqueConstraint(
            "text_id",
            "target",
            "provider",
            name=op.f("uq_translations_text_id_target_provider"),
        ),
    )
    with op.batch_alter_table("translations") as batch:
        batch.create_index("ix_translations_status", ["status"], unique=False)
    with op.batch_alter_table("participants") as batch:
        batch.add_column(sa.Column("translate", sa.Boolean(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("participants") as batch:
        batch.drop_column("translate")
    with op.batch_alter_table("translations") as batch:
        batch.drop_index("ix_translations_status")
    op.drop_table("translations")
    with op.batch_alter_table("translated_texts") as batch:
        batch.drop_index(batch.f("ix_translated_texts_author_id"))
    op.drop_table("translated_texts")
