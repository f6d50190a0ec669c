"""What a handler is given: the context of one message (who writes, in which language, about
which event), narrowed by what the handler needs (`EVENT`, `PARTICIPANT`) before it runs."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, fields
from enum import Enum
from typing import TYPE_CHECKING, Any, Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from bot.chat import Incoming, Reply
from bot.clock import Clock
from bot.models import Audience, ChatIdentity, Event, Participant, Role
from bot.paid_broadcasts import PaidBroadcasts
from bot.people import access

if TYPE_CHECKING:
    from bot.router import Router

HandlerResult = Reply | Sequence[Reply]
Handler = Callable[["Context"], Awaitable[HandlerResult]]
C_co = TypeVar("C_co", bound="Context", covariant=True)


@dataclass
class Context:
    """Everything a handler may use while answering one message."""

    incoming: Incoming
    db: AsyncSession
    clock: Clock
    router: Router
    event: Event | None
    identity: ChatIdentity
    language: str
    args: tuple[str, ...] = ()
    match: re.Match[str] | None = None
    # The configured translation provider's name (None: nothing is translated).
    translation_provider: str | None = None
    # Urgent broadcasts at Telegram's paid rate, when the deployment allows them.
    paid_broadcasts: PaidBroadcasts | None = None
    # Where phones reach the calendar feeds (CALENDAR_PUBLIC_URL); None: no subscription here.
    calendar_url: str | None = None

    @property
    def translating(self) -> bool:
        """A translation provider is configured: /translate, and what people write is queued
        for translation."""
        return self.translation_provider is not None

    @property
    def participant(self) -> Participant | None:
        return self.identity.participant

    @property
    def role(self) -> Role | None:
        """Whose eyes the answer is for. In a group, everyone's: the bot shows there only what
        any member of the group may see."""
        if not self.incoming.private or self.participant is None:
            return None
        return self.participant.role

    @property
    def audiences(self) -> tuple[Audience, ...]:
        """The parts of the programme the answer may show (see `role`)."""
        return access.audiences_of(self.participant if self.role is not None else None)

    def _fields(self) -> dict[str, Any]:
        return {f.name: getattr(self, f.name) for f in fields(self)}


@dataclass
class EventContext(Context):
    """The context of a handler registered with `needs=EVENT`: a programme is loaded."""

    event: Event


@dataclass
class ParticipantContext(EventContext):
    """The context of a handler registered with `needs=PARTICIPANT`: a programme is loaded and
    the writer is a registered participant of it."""

    @property
    def participant(self) -> Participant:
        participant = self.identity.participant
        assert participant is not None  # checked by the router before it made this context
        return participant


class Missing(Enum):
    """What a handler needs and a message lacks; the router answers it (see `Router.on_missing`)."""

    EVENT = "event"
    PARTICIPANT = "participant"


class Need(Generic[C_co]):
    """What a handler needs before it runs, and the narrowed context it then gets. `needs=`
    of `Router.command`/`button` takes one: ANYONE, EVENT or PARTICIPANT."""

    def __init__(self, narrow: Callable[[Context], C_co | Missing]) -> None:
        self.narrow = narrow

    def get(self, ctx: Context) -> C_co | None:
        """The narrowed context, or None: for a handler that answers a missing need its own
        way (`/leave` when one is at no table)."""
        narrowed = self.narrow(ctx)
        return None if isinstance(narrowed, Missing) else narrowed


def _with_event(ctx: Context) -> EventContext | Missing:
    if ctx.event is None:
        return Missing.EVENT
    return ctx if isinstance(ctx, EventContext) else EventContext(**ctx._fields())


def _with_participant(ctx: Context) -> ParticipantContext | Missing:
    if ctx.event is None:
        return Missing.EVENT
    if ctx.participant is None:
        return Missing.PARTICIPANT
    return ctx if isinstance(ctx, ParticipantContext) else ParticipantContext(**ctx._fields())


ANYONE: Need[Context] = Need(lambda ctx: ctx)
EVENT: Need[EventContext] = Need(_with_event)
PARTICIPANT: Need[ParticipantContext] = Need(_with_participant)
