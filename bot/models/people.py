"""Participants, the chat accounts they use, and what they have joined."""

from __future__ import annotations

import enum
from datetime import datetime

from sqlalchemy import ForeignKey, Index, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column, relationship

from bot.models.base import Base, CleanString, Texts, enum_column
from bot.models.programme import SeatRole


class Role(enum.StrEnum):
    CIVIL_SOCIETY = "civil_society"
    GOVERNMENT = "government"
    INTERNATIONAL = "international"
    ORGANISER = "organiser"
    FACILITATOR = "facilitator"
    RAPPORTEUR = "rapporteur"


class MembershipStatus(enum.StrEnum):
    SEATED = "seated"
    WAITLISTED = "waitlisted"


class TablePosition(enum.StrEnum):
    MEMBER = "member"
    FACILITATOR = "facilitator"
    RAPPORTEUR = "rapporteur"


class GroupMembershipStatus(enum.StrEnum):
    MEMBER = "member"
    PENDING = "pending"


DEFAULT_REMINDER_MINUTES = 15


class Participant(Base):
    __tablename__ = "participants"
    __table_args__ = (
        UniqueConstraint("event_id", "email"),
        Index("ix_participants_event_id_role", "event_id", "role"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    name: Mapped[str] = mapped_column(CleanString(200))
    email: Mapped[str | None] = mapped_column(CleanString(320))
    organisation: Mapped[str | None] = mapped_column(CleanString(300))
    role: Mapped[Role] = mapped_column(enum_column(Role, "participant_role"))
    region: Mapped[str | None] = mapped_column(CleanString(32))
    country: Mapped[str | None] = mapped_column(CleanString(2))
    # The participant's explicit choice; None means "follow the chat platform's language".
    language: Mapped[str | None] = mapped_column(CleanString(8))
    # Minutes before a session; None means reminders are off.
    reminder_minutes: Mapped[int | None] = mapped_column(default=DEFAULT_REMINDER_MINUTES)
    # The chat platform the bot's own messages reach them on (/notify); None means the one
    # they used last.
    notify_platform: Mapped[str | None] = mapped_column(CleanString(16))
    # Mailing-list updates in chat (/mailinglist); None: the default of their role (on for
    # civil-society delegates).
    mailing_list: Mapped[bool | None]
    # What others write, translated into their language (/translate); None: on when a
    # translation provider is configured.
    translate: Mapped[bool | None]
    # Optional, self-declared, and used only in aggregate figures.
    gender: Mapped[str | None] = mapped_column(CleanString(16))
    migrant_background: Mapped[bool | None]
    youth: Mapped[bool | None]
    # How they wish their own role to be written where a language marks it ("animatrice",
    # "relatora"): `feminine`, `masculine`, or None for the inclusive form. Shown to organisers
    # beside their name, unlike gender, which only counts in figures.
    form_of_address: Mapped[str | None] = mapped_column(CleanString(16))
    # Also attends the government-led Stocktaking that follows (for the snapshot).
    government_conference: Mapped[bool | None]
    # SHA-256 of the invitation code: the code itself is shown once, to be mailed, never kept.
    invitation_hash: Mapped[str | None] = mapped_column(CleanString(64), unique=True)
    invited_at: Mapped[datetime | None]
    # When the code linked a chat account, and on which platform: a code links one person once;
    # another platform is added from the linked account (/link) or by an organiser.
    invitation_used_at: Mapped[datetime | None]
    invitation_used_on: Mapped[str | None] = mapped_column(CleanString(16))
    # The secret in their calendar subscription address (/calendar), replaced by /calendar reset.
    calendar_token: Mapped[str | None] = mapped_column(CleanString(64), unique=True)
    # The code of their check-in QR code (in the pack): scanned by an organiser or a volunteer.
    # Unlike the invitation code it is kept, to be printed again in each new pack.
    checkin_code: Mapped[str | None] = mapped_column(CleanString(64), unique=True)
    # Checks people in at the door (/checkin), as organisers do.
    volunteer: Mapped[bool] = mapped_column(default=False)
    # Data saver (/lite): no images, and notices gathered in one digest at `digest_hour`
    # (local hour of the event), except urgent ones.
    lite: Mapped[bool] = mapped_column(default=False)
    digest_hour: Mapped[int | None]
    # When their last pack (/pack) was made: a programme change that concerns them sends a new one.
    pack_sent_at: Mapped[datetime | None]
    # Set by /forget: the name, contacts and links are gone; the categories stay for counts.
    erased_at: Mapped[datetime | None]
    created_at: Mapped[datetime]

    identities: Mapped[list[ChatIdentity]] = relationship(back_populates="participant")


class ChatIdentity(Base):
    """One chat account (Telegram user, Slack user, console user); a guest until linked."""

    __tablename__ = "chat_identities"
    __table_args__ = (UniqueConstraint("platform", "external_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    platform: Mapped[str] = mapped_column(CleanString(16))
    external_id: Mapped[str] = mapped_column(CleanString(64))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    display_name: Mapped[str | None] = mapped_column(CleanString(200))
    # A guest's explicit language choice (a linked participant's lives on the participant).
    language: Mapped[str | None] = mapped_column(CleanString(8))
    platform_language: Mapped[str | None] = mapped_column(CleanString(16))
    reachable: Mapped[bool] = mapped_column(default=True)
    created_at: Mapped[datetime]
    last_seen_at: Mapped[datetime]

    participant: Mapped[Participant | None] = relationship(back_populates="identities")


class InvitationFailure(Base):
    """A wrong code sent from a chat account (to refuse guessing).

    Keyed by a hash of the platform and the account's id rather than by the account's row, so
    that /forget, which deletes the row, does not lift a lock-out; deleted after its window.
    """

    __tablename__ = "invitation_failures"
    __table_args__ = (
        Index("ix_invitation_failures_account_key_at", "account_key", "attempted_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    account_key: Mapped[str] = mapped_column(CleanString(64))
    attempted_at: Mapped[datetime] = mapped_column(index=True)


class InvitationLockout(Base):
    """After too many wrong codes, no code is tried from the account (by its hash) until then."""

    __tablename__ = "invitation_lockouts"

    account_key: Mapped[str] = mapped_column(CleanString(64), primary_key=True)
    locked_until: Mapped[datetime] = mapped_column(index=True)


class LinkCode(Base):
    """A short-lived, single-use code asked for from a linked chat account (/link), to link
    the same person's account on another platform. Only its SHA-256 is kept."""

    __tablename__ = "link_codes"

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(
        ForeignKey("participants.id", ondelete="CASCADE"), index=True
    )
    code_hash: Mapped[str] = mapped_column(CleanString(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime] = mapped_column(index=True)


class TableMembership(Base):
    __tablename__ = "table_memberships"
    # One entry per participant and round (seated or waitlisted): the database itself refuses a
    # second table in the same round.
    __table_args__ = (
        UniqueConstraint("participant_id", "round_id"),
        Index("ix_table_memberships_table_id_status", "table_id", "status"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    table_id: Mapped[int] = mapped_column(ForeignKey("act_tables.id", ondelete="CASCADE"))
    round_id: Mapped[int] = mapped_column(ForeignKey("table_rounds.id", ondelete="CASCADE"))
    status: Mapped[MembershipStatus] = mapped_column(
        enum_column(MembershipStatus, "table_membership_status")
    )
    # The seats taken (or waited for): fixed at joining, so that counting needs no join.
    seat_role: Mapped[SeatRole] = mapped_column(enum_column(SeatRole, "membership_seat_role"))
    position: Mapped[TablePosition] = mapped_column(
        enum_column(TablePosition, "table_position"), default=TablePosition.MEMBER
    )
    created_at: Mapped[datetime]


class GroupMembership(Base):
    __tablename__ = "group_memberships"
    __table_args__ = (UniqueConstraint("participant_id", "group_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    participant_id: Mapped[int] = mapped_column(ForeignKey("participants.id", ondelete="CASCADE"))
    group_id: Mapped[int] = mapped_column(ForeignKey("reference_groups.id", ondelete="CASCADE"))
    status: Mapped[GroupMembershipStatus] = mapped_column(
        enum_column(GroupMembershipStatus, "group_membership_status")
    )
    created_at: Mapped[datetime]


class ProposalStatus(enum.StrEnum):
    PENDING = "pending"
    APPROVED = "approved"
    DECLINED = "declined"


class GroupProposal(Base):
    """A reference group suggested by a participant (/propose), for organisers to approve."""

    __tablename__ = "group_proposals"

    id: Mapped[int] = mapped_column(primary_key=True)
    event_id: Mapped[int] = mapped_column(ForeignKey("events.id", ondelete="CASCADE"))
    participant_id: Mapped[int | None] = mapped_column(
        ForeignKey("participants.id", ondelete="SET NULL")
    )
    title: Mapped[Texts]
    status: Mapped[ProposalStatus] = mapped_column(enum_column(ProposalStatus, "proposal_status"))
    created_at: Mapped[datetime]
