"""The meeting in one's pocket: calendar, pack, data saver, check-in, and a retention period

- `participants.calendar_token`: the secret of a person's calendar subscription address
  (/calendar), replaced by /calendar reset.
- `participants.checkin_code`: the code of their check-in QR code, printed in their pack.
- `participants.volunteer`: checks people in at the door, as organisers do.
- `participants.lite` and `digest_hour`: the data saver (/lite): notices in one digest a day.
- `participants.pack_sent_at`: a programme change that concerns them sends a new pack.
- `events.retention_days`, `contacts`, `purged_at`: the programme file's retention period and
  organisers' contacts, and when `coordbot purge` erased the participants.
- `sessions.check_in` (from the programme file) and `sessions.revision` (the calendar's
  SEQUENCE, raised at each load that changes the session).
- `broadcasts.urgent`: marked urgent by its author, it skips the data saver's digest.
- `check_ins`: who came, once a day (`session_id` NULL) and at the sessions that ask for it;
  one row per person and day, or per person and session, by two partial unique indexes.

Revision ID: 0021
Revises: 0020
Create Date: 2026-12-06 18:40:00
"""

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0021"
down_revision: str | None = "0020"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(sa.Column("calendar_token", sa.String(length=64), nullable=True))
        batch_op.add_column(sa.Column("checkin_code", sa.String(length=64), nullable=True))
        batch_op.add_column(
            sa.Column("volunteer", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(
            sa.Column("lite", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("digest_hour", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("pack_sent_at", sa.DateTime(timezone=True), nullable=True))
        batch_op.create_unique_constraint(
            batch_op.f("uq_participants_calendar_token"), ["calendar_token"]
        )
        batch_op.create_unique_constraint(
            batch_op.f("uq_participants_checkin_code"), ["checkin_code"]
        )
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.add_column(sa.Column("retention_days", sa.Integer(), nullable=True))
        batch_op.add_column(sa.Column("contacts", sa.JSON(), nullable=True))
        batch_op.add_column(sa.Column("purged_at", sa.DateTime(timezone=True), nullable=True))
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("check_in", sa.Boolean(), nullable=False, server_default=sa.false())
        )
        batch_op.add_column(sa.Column("revision", sa.Integer(), nullable=False, server_default="0"))
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("urgent", sa.Boolean(), nullable=False, server_default=sa.false())
        )
    # The models give the defaults from now on, as for every other column.
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.alter_column("urgent", server_default=None)
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.alter_column("volunteer", server_default=None)
        batch_op.alter_column("lite", server_default=None)
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.alter_column("check_in", server_default=None)
        batch_op.alter_column("revision", server_default=None)

    op.create_table(
        "check_ins",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("event_id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("day", sa.Date(), nullable=False),
        sa.Column("session_id", sa.Integer(), nullable=True),
        sa.Column(
            "method",
            sa.Enum(
                "qr_code",
                "name",
                name="check_in_method",
                native_enum=False,
                create_constraint=True,
                length=7,
            ),
            nullable=False,
        ),
        sa.Column("checked_in_by", sa.Integer(), nullable=True),
        sa.Column("checked_in_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["checked_in_by"],
            ["participants.id"],
            name=op.f("fk_check_ins_checked_in_by_participants"),
            ondelete="SET NULL",
        ),
        sa.ForeignKeyConstraint(
            ["event_id"],
            ["events.id"],
            name=op.f("fk_check_ins_event_id_events"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_check_ins_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.ForeignKeyConstraint(
            ["session_id"],
            ["sessions.id"],
            name=op.f("fk_check_ins_session_id_sessions"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_check_ins")),
    )
    with op.batch_alter_table("check_ins", schema=None) as batch_op:
        batch_op.create_index("ix_check_ins_event_id_day", ["event_id", "day"], unique=False)
        batch_op.create_index(batch_op.f("ix_check_ins_session_id"), ["session_id"], unique=False)
        batch_op.create_index(
            "uq_check_ins_day",
            ["participant_id", "day"],
            unique=True,
            sqlite_where=sa.text("session_id IS NULL"),
            postgresql_where=sa.text("session_id IS NULL"),
        )
        batch_op.create_index(
            "uq_check_ins_session",
            ["participant_id", "session_id"],
            unique=True,
            sqlite_where=sa.text("session_id IS NOT NULL"),
            postgresql_where=sa.text("session_id IS NOT NULL"),
        )


def downgrade() -> None:
    op.drop_table("check_ins")
    with op.batch_alter_table("broadcasts", schema=None) as batch_op:
        batch_op.drop_column("urgent")
    with op.batch_alter_table("sessions", schema=None) as batch_op:
        batch_op.drop_column("revision")
        batch_op.drop_column("check_in")
    with op.batch_alter_table("events", schema=None) as batch_op:
        batch_op.drop_column("purged_at")
        batch_op.drop_column("contacts")
        batch_op.drop_column("retention_days")
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_constraint(batch_op.f("uq_participants_checkin_code"), type_="unique")
        batch_op.drop_constraint(batch_op.f("uq_participants_calendar_token"), type_="unique")
        batch_op.drop_column("pack_sent_at")
        batch_op.drop_column("digest_hour")
        batch_op.drop_column("lite")
        batch_op.drop_column("volunteer")
        batch_op.drop_column("checkin_code")
        batch_op.drop_column("calendar_token")
