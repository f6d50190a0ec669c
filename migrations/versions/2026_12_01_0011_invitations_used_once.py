"""Invitations used once: spent codes, lock-outs that outlive /forget, linking codes

An invitation records when and on which platform it linked a chat account (a code links one
person once; participants already linked count as having used theirs). Wrong codes and
lock-outs are keyed by a hash of the platform and the account's id instead of the account's
row, which /forget deletes: `invitation_failures` is rebuilt (its rows live an hour) and
`chat_identities.locked_until` moves to `invitation_lockouts`. `link_codes` holds the hashes of
the short-lived codes asked for with /link. Group posts queued in the outbox name their author
by id, not by name, so that /forget leaves no name behind.

Revision ID: 0011
Revises: 0010
Create Date: 2026-12-01 20:00:00
"""

import hashlib
import json
from collections.abc import Sequence
from typing import Any

import sqlalchemy as sa
from alembic import op

revision: str = "0011"
down_revision: str | None = "0010"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def _account_key(platform: str, external_id: str) -> str:
    # As bot.people.invitations.account_key, frozen here.
    return hashlib.sha256(f"{platform}:{external_id}".encode()).hexdigest()


def _payload(value: Any) -> dict[str, Any]:
    return dict(json.loads(value) if isinstance(value, str) else value)


def _rewrite_group_posts(to_ids: bool) -> None:
    """Group posts in the outbox: the author's name and organisation become the author's id
    (found by name among the recipient's event; a name that is ambiguous or erased is dropped),
    or, on the way down, the other way round."""
    bind = op.get_bind()
    outbox = sa.table(
        "outbox",
        sa.column("id", sa.Integer),
        sa.column("participant_id", sa.Integer),
        sa.column("kind", sa.String),
        sa.column("payload", sa.JSON),
    )
    people = sa.table(
        "participants",
        sa.column("id", sa.Integer),
        sa.column("event_id", sa.Integer),
        sa.column("name", sa.String),
        sa.column("organisation", sa.String),
        sa.column("erased_at", sa.DateTime),
    )
    rows = bind.execute(
        sa.select(outbox.c.id, outbox.c.participant_id, outbox.c.payload).where(
            outbox.c.kind == "group_post"
        )
    ).all()
    for row_id, recipient, raw in rows:
        payload = _payload(raw)
        if to_ids:
            if "author" not in payload:
                continue
            name = payload.pop("author")
            payload.pop("organisation", None)
            event_id = bind.execute(
                sa.select(people.c.event_id).where(people.c.id == recipient)
            ).scalar()
            matches = bind.execute(
                sa.select(people.c.id)
                .where(
                    people.c.event_id == event_id,
                    people.c.name == name,
                    people.c.name != "",
                    people.c.erased_at.is_(None),
                )
                .limit(2)
            ).all()
            payload["author_id"] = matches[0][0] if len(matches) == 1 else None
        else:
            author_id = payload.pop("author_id", None)
            found = (
                bind.execute(
                    sa.select(people.c.name, people.c.organisation).where(people.c.id == author_id)
                ).first()
                if author_id is not None
                else None
            )
            payload["author"] = found[0] if found else ""
            payload["organisation"] = (found[1] or "") if found else ""
        bind.execute(sa.update(outbox).where(outbox.c.id == row_id).values(payload=payload))


def upgrade() -> None:
    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.add_column(
            sa.Column("invitation_used_at", sa.DateTime(timezone=True), nullable=True)
        )
        batch_op.add_column(sa.Column("invitation_used_on", sa.String(length=16), nullable=True))
    # Whoever is linked already has used their invitation (or needed none).
    op.execute(
        "UPDATE participants SET invitation_used_at = (SELECT min(created_at) FROM "
        "chat_identities WHERE chat_identities.participant_id = participants.id) "
        "WHERE EXISTS (SELECT 1 FROM chat_identities "
        "WHERE chat_identities.participant_id = participants.id)"
    )

    op.create_table(
        "invitation_lockouts",
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("locked_until", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("account_key", name=op.f("pk_invitation_lockouts")),
    )
    op.create_index(
        op.f("ix_invitation_lockouts_locked_until"), "invitation_lockouts", ["locked_until"]
    )
    bind = op.get_bind()
    locked = bind.execute(
        sa.text(
            "SELECT platform, external_id, locked_until FROM chat_identities "
            "WHERE locked_until IS NOT NULL"
        ).columns(
            sa.column("platform", sa.String),
            sa.column("external_id", sa.String),
            sa.column("locked_until", sa.DateTime(timezone=True)),
        )
    ).all()
    lockouts = sa.table(
        "invitation_lockouts",
        sa.column("account_key", sa.String),
        sa.column("locked_until", sa.DateTime(timezone=True)),
    )
    if locked:
        op.bulk_insert(
            lockouts,
            [
                {"account_key": _account_key(platform, external), "locked_until": until}
                for platform, external, until in locked
            ],
        )

    # Wrong codes live an hour: the table is rebuilt without them.
    op.drop_index("ix_invitation_failures_identity_id_at", table_name="invitation_failures")
    op.drop_table("invitation_failures")
    op.create_table(
        "invitation_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("account_key", sa.String(length=64), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_failures")),
    )
    op.create_index(
        "ix_invitation_failures_account_key_at",
        "invitation_failures",
        ["account_key", "attempted_at"],
    )
    op.create_index(
        op.f("ix_invitation_failures_attempted_at"), "invitation_failures", ["attempted_at"]
    )

    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.drop_column("locked_until")

    op.create_table(
        "link_codes",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("participant_id", sa.Integer(), nullable=False),
        sa.Column("code_hash", sa.String(length=64), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["participant_id"],
            ["participants.id"],
            name=op.f("fk_link_codes_participant_id_participants"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_link_codes")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_link_codes_code_hash")),
    )
    op.create_index(op.f("ix_link_codes_expires_at"), "link_codes", ["expires_at"])
    op.create_index(op.f("ix_link_codes_participant_id"), "link_codes", ["participant_id"])

    _rewrite_group_posts(to_ids=True)


def downgrade() -> None:
    _rewrite_group_posts(to_ids=False)

    op.drop_index(op.f("ix_link_codes_participant_id"), table_name="link_codes")
    op.drop_index(op.f("ix_link_codes_expires_at"), table_name="link_codes")
    op.drop_table("link_codes")

    with op.batch_alter_table("chat_identities", schema=None) as batch_op:
        batch_op.add_column(sa.Column("locked_until", sa.DateTime(timezone=True), nullable=True))
    bind = op.get_bind()
    lockouts = dict(
        bind.execute(
            sa.text("SELECT account_key, locked_until FROM invitation_lockouts").columns(
                sa.column("account_key", sa.String),
                sa.column("locked_until", sa.DateTime(timezone=True)),
            )
        ).all()
    )
    if lockouts:
        accounts = bind.execute(
            sa.text("SELECT id, platform, external_id FROM chat_identities")
        ).all()
        identities = sa.table(
            "chat_identities",
            sa.column("id", sa.Integer),
            sa.column("locked_until", sa.DateTime(timezone=True)),
        )
        for account_id, platform, external in accounts:
            until = lockouts.get(_account_key(platform, external))
            if until is not None:
                bind.execute(
                    sa.update(identities)
                    .where(identities.c.id == account_id)
                    .values(locked_until=until)
                )

    op.drop_index(op.f("ix_invitation_failures_attempted_at"), table_name="invitation_failures")
    op.drop_index("ix_invitation_failures_account_key_at", table_name="invitation_failures")
    op.drop_table("invitation_failures")
    op.create_table(
        "invitation_failures",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("identity_id", sa.Integer(), nullable=False),
        sa.Column("attempted_at", sa.DateTime(timezone=True), nullable=False),
        sa.ForeignKeyConstraint(
            ["identity_id"],
            ["chat_identities.id"],
            name=op.f("fk_invitation_failures_identity_id_chat_identities"),
            ondelete="CASCADE",
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_invitation_failures")),
    )
    op.create_index(
        "ix_invitation_failures_identity_id_at",
        "invitation_failures",
        ["identity_id", "attempted_at"],
    )

    op.drop_index(op.f("ix_invitation_lockouts_locked_until"), table_name="invitation_lockouts")
    op.drop_table("invitation_lockouts")

    with op.batch_alter_table("participants", schema=None) as batch_op:
        batch_op.drop_column("invitation_used_on")
        batch_op.drop_column("invitation_used_at")
