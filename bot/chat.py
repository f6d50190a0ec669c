"""The neutral messages every adapter speaks: what arrives (`Incoming`) and what goes back
(`Reply`). Nothing here knows any platform."""

from __future__ import annotations

from dataclasses import dataclass, field, replace


@dataclass(frozen=True)
class Sender:
    """Who wrote: their id on the platform, their name there, their platform's language code."""

    external_id: str
    display_name: str | None = None
    language_code: str | None = None
    # An address the platform has verified (Slack's profile e-mail): links the account to the
    # participant registered with it.
    email: str | None = None


# The `message_id` of an Incoming that opened the platform's home view (Slack's App Home): a
# reply to it is the view itself, which `Deliverer.edit` with this id publishes again.
HOME_VIEW = "home-view"


@dataclass(frozen=True)
class Incoming:
    platform: str
    chat_id: str
    sender: Sender
    text: str = ""
    command: str | None = None
    args: tuple[str, ...] = ()
    button: str | None = None
    private: bool = True
    # The platform's id of this delivery (Telegram update_id): the same update is handled once.
    delivery_id: str | None = None
    # The platform's id of the message whose button was pressed (to edit it later on).
    message_id: str | None = None
    # A submitted form (see `Form`): its id and the value of each field, by name.
    form: str | None = None
    values: tuple[tuple[str, str], ...] = ()
    # A voice note (Telegram's voice messages): the platform's own file id, to send it on.
    voice: str | None = None

    @property
    def language_code(self) -> str | None:
        return self.sender.language_code


def parse_command(text: str, bot_username: str | None = None) -> tuple[str, tuple[str, ...]] | None:
    """`/agenda@coordbot tomorrow` → (`agenda`, (`tomorrow`,)); None when text is no command.

    A command addressed to another bot (`/agenda@otherbot`) is no command for us.
    """
    stripped = text.strip()
    if not stripped.startswith("/") or len(stripped) < 2:
        return None
    head, *rest = stripped[1:].split(maxsplit=1)
    name, _, addressee = head.partition("@")
    if addressee and bot_username and addressee.lower() != bot_username.lower():
        return None
    if not name:
        return None
    return name.lower(), tuple(rest[0].split()) if rest else ()


@dataclass(frozen=True)
class Choice:
    """A button: what it says, and the data that comes back when it is pressed.

    `open_private` makes a button that opens a private chat with the bot instead (for personal
    data asked for in a group)."""

    label: str
    data: str = ""
    open_private: bool = False


@dataclass(frozen=True)
class Field:
    """One entry of a form: a line of text, several lines, or one option among `options`
    (their `data` is the value that comes back)."""

    name: str
    label: str
    kind: str = "line"  # "line", "lines" or "choice"
    optional: bool = False
    options: tuple[Choice, ...] = ()
    hint: str = ""


@dataclass(frozen=True)
class Form:
    """A form to fill in where the platform has them (a Slack modal). A platform without
    forms shows the reply's text instead, which says how to do the same by command."""

    id: str
    title: str
    submit: str
    fields: tuple[Field, ...]


@dataclass(frozen=True)
class Image:
    """A picture sent after a reply's text (a chart): PNG bytes, a plain-text caption, and the
    file name a platform that keeps files shows."""

    png: bytes
    caption: str
    name: str
    # The same figures as text (safe markup), shown instead of the picture to a reader in
    # data-saver mode (/lite); empty: the picture is dropped for them, the reply's text says it.
    text: str = ""


@dataclass(frozen=True)
class Document:
    """A file sent after a reply's text (a list message's attachment)."""

    data: bytes
    name: str
    caption: str = ""


@dataclass(frozen=True)
class Reply:
    """A message to send: safe markup text (see bot.text.markup) and optional rows of choices.

    `edit` asks the adapter to replace the message whose button was pressed (paging through the
    agenda) instead of sending a new one.
    """

    text: str
    choices: tuple[tuple[Choice, ...], ...] = field(default=())
    edit: bool = False
    form: Form | None = None
    images: tuple[Image, ...] = ()
    documents: tuple[Document, ...] = ()
    # Voice notes to send after the text, by the platform's own file ids (a question asked
    # by voice, for its moderators); a platform without them leaves them out.
    voices: tuple[str, ...] = ()
    # May take the platform's paid fast lane (an urgent broadcast: Telegram's paid rate).
    urgent: bool = False
    # Set when the outbox renders a notice: its kind and the reader's language, by which a
    # platform that allows only approved templates at times (WhatsApp) picks one.
    notice: str | None = None
    language: str | None = None

    def edited(self) -> Reply:
        """The same reply, replacing the message whose button was pressed; its pictures,
        documents and form stay."""
        return replace(self, edit=True)

    def light(self) -> Reply:
        """The reply for a reader in data-saver mode: each picture replaced by its text
        alternative (a chart's figures as a table) after the text."""
        if not self.images:
            return self
        tables = [image.text for image in self.images if image.text]
        return replace(self, text="\n\n".join([self.text, *tables]), images=())

    def files(self) -> list[Document]:
        """Pictures and documents alike, for a platform that sends both as files."""
        pictures = [Document(image.png, image.name, image.caption) for image in self.images]
        return pictures + list(self.documents)
