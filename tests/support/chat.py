"""A scripted conversation with the bot through the real router and database."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Unpack

from bot.chat import Choice, Incoming, Reply, Sender, parse_command
from bot.dispatcher import Dispatcher
from bot.models import Role
from bot.people import participants
from bot.text.markup import to_plain
from tests.support.factories import ParticipantFields, make_participant


def plain(reply: Reply) -> str:
    """A reply as its reader sees it: plain text, CLDR's thin and no-break spaces (in times and
    numbers) compared as plain spaces."""
    text = to_plain(reply.text)
    for space in ("\xa0", "\u2009", "\u202f"):
        text = text.replace(space, " ")
    return text


@dataclass
class ChatUser:
    dispatcher: Dispatcher
    external_id: str = "user-1"
    language_code: str | None = None
    platform: str = "test"
    private: bool = True
    last: list[Reply] = field(default_factory=list)

    def incoming(
        self, text: str = "", button: str | None = None, message_id: str | None = None
    ) -> Incoming:
        """What the platform adapter would hand the bot for this user's message or press."""
        parsed = parse_command(text) if button is None else None
        command, args = parsed if parsed else (None, ())
        return Incoming(
            self.platform,
            self.external_id,
            Sender(self.external_id, "Test User", self.language_code),
            text=text,
            command=command,
            args=args,
            button=button,
            private=self.private,
            message_id=message_id,
        )

    def read(self) -> str:
        """The last replies as the reader sees them: plain text, one blank line between."""
        return "\n\n".join(plain(reply) for reply in self.last)

    async def handle(self, incoming: Incoming) -> str:
        """Hand the bot any `incoming` (a submitted form, say); returns the replies as read."""
        self.last = await self.dispatcher.handle(incoming)
        return self.read()

    async def send(self, text: str) -> str:
        """Send a message; returns the replies as the reader sees them (plain text)."""
        return await self.handle(self.incoming(text))

    @property
    def choices(self) -> list[Choice]:
        return [choice for reply in self.last for row in reply.choices for choice in row]

    async def press(self, label: str, message_id: str = "shown-1") -> str:
        """Press the button whose label contains `label`, under the message `message_id`."""
        matches = [choice for choice in self.choices if label in choice.label]
        assert len(matches) == 1, f"no single button {label!r} in {self.choices}"
        return await self.press_unseen(matches[0].data, message_id)

    async def press_data(self, data: str) -> str:
        """Press a button by the data it carries."""
        assert data in [choice.data for choice in self.choices], f"no button {data!r}"
        return await self.press_unseen(data, message_id="shown-1")

    async def press_unseen(self, data: str, message_id: str | None = "shown-1") -> str:
        """Press a button carrying `data` whether or not the bot showed it: one on an old
        message, from an older bot, or forged."""
        return await self.handle(self.incoming(button=data, message_id=message_id))


async def link_to_new_participant(
    user: ChatUser, role: Role, event_id: int, **fields: Unpack[ParticipantFields]
) -> int:
    """Register a participant with `role` and make `user`'s chat account speak for them."""
    dispatcher = user.dispatcher
    now = dispatcher.clock.now()
    async with dispatcher.sessions() as db:
        participant = await make_participant(db, event_id, now, role=role, **fields)
        identity = await participants.identity_for(
            db, user.platform, Sender(user.external_id, participant.name, user.language_code), now
        )
        participants.link(identity, participant)
        await db.commit()
        return participant.id


async def registered(
    dispatcher: Dispatcher,
    event_id: int,
    name: str,
    role: Role = Role.CIVIL_SOCIETY,
    language: str | None = None,
    organisation: str | None = None,
) -> ChatUser:
    """A registered participant, chatting from an account named after them."""
    user = ChatUser(dispatcher, external_id=name)
    fields: ParticipantFields = {"name": name}
    if language:
        fields["language"] = language
    if organisation:
        fields["organisation"] = organisation
    await link_to_new_participant(user, role, event_id, **fields)
    return user
