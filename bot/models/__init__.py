"""The database models; importing this package registers every table on `Base.metadata`."""

from bot.models.base import Base, Texts
from bot.models.broadcasts import Broadcast, BroadcastStatus
from bot.models.deliveries import ProcessedDelivery
from bot.models.mail import MailAttachment, MailMessage, MailStatus
from bot.models.outbox import OutboxMessage, OutboxStatus
from bot.models.people import (
    DEFAULT_REMINDER_MINUTES,
    ChatIdentity,
    GroupMembership,
    GroupMembershipStatus,
    GroupProposal,
    InvitationFailure,
    InvitationLockout,
    LinkCode,
    MembershipStatus,
    Participant,
    ProposalStatus,
    Role,
    TableMembership,
    TablePosition,
)
from bot.models.programme import (
    ActTable,
    Audience,
    Event,
    ReferenceGroup,
    SeatRole,
    Session,
    SessionKind,
    TableCapacity,
    TableRound,
    Venue,
)
from bot.models.surveys import Survey, SurveyParticipation, SurveyResponse, SurveyStatus
from bot.models.translations import TranslatedText, Translation, TranslationStatus

__all__ = [
    "DEFAULT_REMINDER_MINUTES",
    "ActTable",
    "Audience",
    "Base",
    "Broadcast",
    "BroadcastStatus",
    "ChatIdentity",
    "Event",
    "GroupMembership",
    "GroupMembershipStatus",
    "GroupProposal",
    "InvitationFailure",
    "InvitationLockout",
    "LinkCode",
    "MailAttachment",
    "MailMessage",
    "MailStatus",
    "MembershipStatus",
    "OutboxMessage",
    "OutboxStatus",
    "Participant",
    "ProcessedDelivery",
    "ProposalStatus",
    "ReferenceGroup",
    "Role",
    "SeatRole",
    "Session",
    "SessionKind",
    "Survey",
    "SurveyParticipation",
    "SurveyResponse",
    "SurveyStatus",
    "TableCapacity",
    "TableMembership",
    "TablePosition",
    "TableRound",
    "Texts",
    "TranslatedText",
    "Translation",
    "TranslationStatus",
    "Venue",
]
