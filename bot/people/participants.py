"""Chat accounts and the participants behind them."""

from __future__ import annotations

from datetime import datetime, timedelta

from sqlalchemy import bindparam, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import joinedload
from sqlalchemy.orm.attributes import set_committed_value

from bot.chat import Sender
from bot.models import ChatIdentity, Event, Participant, Role
from bot.models.base import stored
from bot.text.i18n import LANGUAGES
from bot.text.numbers import parse_number

# last_seen_at is written at most this often, so that reading the agenda costs no write.
_SEEN_RESOLUTION = timedelta(minutes=5)


# Built once, as they run for every message: SQLAlchemy reuses their compiled form.
_IDENTITY = (
    select(ChatIdentity)
    .options(joinedload(ChatIdentity.participant))
    .where(
        ChatIdentity.platform == bindparam("platform_"),
        ChatIdentity.external_id == bindparam("external_id_"),
    )
)
# ON CONFLICT rather than a savepoint: two round trips fewer on every first contact, and losing
# the race (the same person's first two messages at once, the other one created the row) undoes
# nothing the transaction did before (the mark that this update is being handled).
_CREATE_IDENTITY = {
    dialect: insert(ChatIdentity)
    .on_conflict_do_nothing(index_elements=["platform", "external_id"])
    .returning(ChatIdentity)
    for dialect, insert in (("postgresql", pg_insert), ("sqlite", sqlite_insert))
}


async def identity_for(
    db: AsyncSession, platform: str, sender: Sender, now: datetime
) -> ChatIdentity:
    """The chat identity of a sender, created on first contact (as a guest)."""
    key = {"platform_": platform, "external_id_": sender.external_id}
    identity = (await db.execute(_IDENTITY, key)).scalar_one_or_none()
    if identity is None:
        created = await db.scalars(
            _CREATE_IDENTITY[db.get_bind().dialect.name],
            {
                "platform": platform,
                "external_id": sender.external_id,
                "display_name": stored(ChatIdentity.display_name, sender.display_name),
                "platform_language": stored(ChatIdentity.platform_language, sender.language_code),
                "reachable": True,
                "created_at": now,
                "last_seen_at": now,
            },
        )
        identity = created.one_or_none()
        if identity is None:
            return (await db.execute(_IDENTITY, key)).scalar_one()
        set_committed_value(identity, "participant", None)  # nobody's yet: no query for it
        return identity
    if now - identity.last_seen_at >= _SEEN_RESOLUTION:
        identity.last_seen_at = now
    # Compared as stored (cleaned and cut to the column), or a long name would be written again
    # at every message.
    language = stored(ChatIdentity.platform_language, sender.language_code)
    if language and identity.platform_language != language:
        identity.platform_language = language
    name = stored(ChatIdentity.display_name, sender.display_name)
    if name and identity.display_name != name:
        identity.display_name = name
    return identity


async def set_reachable(db: AsyncSession, platform: str, external_id: str, reachable: bool) -> None:
    """The person blocked the bot (or unblocked it): stop or resume sending on this account."""
    await db.execute(
        update(ChatIdentity)
        .where(ChatIdentity.platform == platform, ChatIdentity.external_id == external_id)
        .values(reachable=reachable)
    )


def explicit_language(identity: ChatIdentity) -> str | None:
    """The language a person chose: on their participant record, or on the account of a guest."""
    if identity.participant is not None and identity.participant.language:
        return identity.participant.language
    return identity.language


def set_language(identity: ChatIdentity, language: str) -> None:
    if language not in LANGUAGES:
        raise ValueError(f"unsupported language {language!r}")
    if identity.participant is not None:
        identity.participant.language = language
    else:
        identity.language = language


def link(identity: ChatIdentity, participant: Participant) -> None:
    """Make a chat account speak for a participant; a language chosen as a guest carries over."""
    identity.participant = participant
    if participant.language is None and identity.language:
        participant.language = identity.language


async def link_by_email(
    db: AsyncSession, identity: ChatIdentity, event_id: int, email: str
) -> Participant | None:
    """Link a guest account whose platform vouches for its e-mail address (Slack's profile) to
    the one participant of the event registered with it. None, and nothing changed, when the
    account is linked already, no single participant matches, or the participant already has
    a chat account on any platform: adding a platform then takes the linked account's consent
    (/link) or an organiser, as an address in a chat profile proves less than that."""
    address = email.strip().lower()
    if identity.participant_id is not None or identity.participant is not None or not address:
        return None
    query = (
        select(Participant)
        .where(
            Participant.event_id == event_id,
            Participant.erased_at.is_(None),
            func.lower(func.trim(Participant.email)) == address,
        )
        .limit(2)
    )
    matches = (await db.execute(query)).scalars().all()
    if len(matches) != 1:
        return None
    participant = matches[0]
    if await linked_platforms(db, participant):
        return None
    link(identity, participant)
    return participant


async def linked_accounts(db: AsyncSession, participant: Participant) -> list[ChatIdentity]:
    query = (
        select(ChatIdentity)
        .where(ChatIdentity.participant_id == participant.id)
        .order_by(ChatIdentity.platform, ChatIdentity.id)
    )
    return list((await db.execute(query)).scalars())


async def linked_platforms(db: AsyncSession, participant: Participant) -> set[str]:
    return {account.platform for account in await linked_accounts(db, participant)}


async def choose_notify_platform(
    db: AsyncSession, participant: Participant, platform: str | None
) -> bool:
    """Reach `participant` on `platform` from now on (None: on the account they used last).
    False, and nothing changed, when they have no account there to be reached on."""
    if platform is not None and platform not in await linked_platforms(db, participant):
        return False
    participant.notify_platform = platform
    return True


async def find_participant(db: AsyncSession, event_id: int, reference: str) -> Participant | None:
    """A participant by id, e-mail or (unique part of their) name."""
    base = select(Participant).where(Participant.event_id == event_id)
    number = parse_number(reference)
    if number is not None:
        found = await db.get(Participant, number)
        return found if found is not None and found.event_id == event_id else None
    if "@" in reference:
        query = base.where(Participant.email == reference.lower())
        return (await db.execute(query)).scalar_one_or_none()
    query = base.where(Participant.name.ilike(f"%{reference}%")).order_by(Participant.id).limit(2)
    matches = (await db.execute(query)).scalars().all()
    return matches[0] if len(matches) == 1 else None


async def search(db: AsyncSession, event_id: int, text: str, most: int = 10) -> list[Participant]:
    """Participants (erased ones left out) whose name contains `text`, in any case, by name."""
    query = (
        select(Participant)
        .where(
            Participant.event_id == event_id,
            Participant.erased_at.is_(None),
            Participant.name.ilike(f"%{text}%"),
        )
        .order_by(Participant.name)
        .limit(most)
    )
    return list((await db.execute(query)).scalars())


# `coordbot chat --as ROLE`: the words taken for each role.
ROLE_WORDS = {
    "delegate": Role.CIVIL_SOCIETY,
    "civil_society": Role.CIVIL_SOCIETY,
    "government": Role.GOVERNMENT,
    "international": Role.INTERNATIONAL,
    "un": Role.INTERNATIONAL,
    "organiser": Role.ORGANISER,
    "organizer": Role.ORGANISER,
    "facilitator": Role.FACILITATOR,
    "rapporteur": Role.RAPPORTEUR,
}


async def chat_as(db: AsyncSession, event: Event, who: str, now: datetime) -> Participant:
    """`coordbot chat --as WHO`: a participant by id, e-mail or name, or the first participant
    with a role (one is created for the console when the registry has none). LookupError when
    nobody matches."""
    role = ROLE_WORDS.get(who.strip().lower())
    if role is None:
        found = await find_participant(db, event.id, who)
        if found is None:
            raise LookupError(f"no single participant matches {who!r} (try an id or an e-mail)")
        return found
    query = (
        select(Participant)
        .where(Participant.event_id == event.id, Participant.role == role)
        .order_by(Participant.id)
        .limit(1)
    )
    found = (await db.execute(query)).scalar_one_or_none()
    if found is None:
        found = Participant(
            event_id=event.id, name=f"Console {role.value}", role=role, created_at=now
        )
        db.add(found)
    return found


async def unlink_accounts(
    db: AsyncSession, participant: Participant, platform: str | None = None
) -> int:
    """Detach a participant's chat accounts (all, or one platform's): an organiser's remedy for
    a lost phone. The invitation stays spent: the person links the new account with a new
    invitation (`coordbot participants invite --participant ID`), or with /link from an
    account still linked."""
    query = select(ChatIdentity).where(ChatIdentity.participant_id == participant.id)
    if platform:
        query = query.where(ChatIdentity.platform == platform)
    accounts = list((await db.execute(query)).scalars())
    for account in accounts:
        account.participant_id = None
    return len(accounts)
