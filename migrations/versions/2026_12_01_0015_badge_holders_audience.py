"""A programme audience for badge holders: the buses to the government-led Stocktaking

`sessions.audience` and `table_rounds.audience` accept `badge_holders`: those who also attend
the government-led Stocktaking (`participants.government_conference`), whatever their role. On
downgrade, such sessions and rounds become `civil_society`, the nearest older audience.

Revision ID: 0015
Revises: 0014
Create Date: 2026-12-01 23:30:00
"""

from collections.abc import Sequence

from alembic import op

revision: str = "0015"
down_revision: str | None = "0014"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

OLD = ("everyone", "civil_society", "organisers")
NEW = ("everyone", "civil_society", "badge_holders", "organisers")
# (table, constraint name as the models give it)
COLUMNS = (("sessions", "session_audience"), ("table_rounds", "round_audience"))


def _allowing(values: Sequence[str]) -> str:
    return "audience IN (" + ", ".join(f"'{value}'" for value in values) + ")"


def _recreate(values: Sequence[str]) -> None:
    for table, name in COLUMNS:
        with op.batch_alter_table(table) as batch_op:
            batch_op.drop_constraint(op.f(f"ck_{table}_{name}"), type_="check")
            batch_op.create_check_constraint(name, _allowing(values))


def upgrade() -> None:
    _recreate(NEW)


def downgrade() -> None:
    for table, _name in COLUMNS:
        op.execute(
            f"UPDATE {table} SET audience = 'civil_society' WHERE audience = 'badge_holders'"
        )
    _recreate(OLD)
