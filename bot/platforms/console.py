"""A chat in the terminal, with the same handlers as every platform: try the bot with no token.

Buttons are shown as numbered choices; typing the number presses the button. A line ending with
a backslash goes on on the next line (for messages of several lines, such as a broadcast). When
standard input is not a terminal the lines are read as a script and echoed, so a session can be
replayed.
"""

from __future__ import annotations

import asyncio
import sys
import tempfile
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import TextIO

from bot.chat import Choice, Document, Incoming, Reply, Sender, parse_command
from bot.dispatcher import Dispatcher
from bot.text.i18n import _, use_language
from bot.text.markup import to_plain
from bot.text.numbers import parse_number

PLATFORM = "console"
_QUIT = {"/quit", "/exit", "/q"}


class ConsoleChat:
    """One person at the terminal, and the messages the bot sends on its own to whoever once
    used the console (wired in bot/app/runner.py, like every adapter)."""

    name = PLATFORM
    rate = None

    def __init__(
        self,
        dispatcher: Dispatcher,
        sender: Sender,
        *,
        stdin: TextIO = sys.stdin,
        stdout: TextIO = sys.stdout,
    ) -> None:
        self.dispatcher = dispatcher
        self.sender = sender
        self.stdin = stdin
        self.stdout = stdout
        self.interactive = stdin.isatty()
        self.choices: list[Choice] = []
        self.shown = 0  # messages shown so far; the number is a message's id
        self.choices_shown_in: str | None = None
        self.files: Path | None = None

    def incoming(self, line: str) -> Incoming:
        number = parse_number(line, minimum=1, maximum=len(self.choices))
        if number is not None:
            return Incoming(
                PLATFORM,
                self.sender.external_id,
                self.sender,
                text=line,
                button=self.choices[number - 1].data,
                message_id=self.choices_shown_in,
            )
        parsed = parse_command(line)
        command, args = parsed if parsed else (None, ())
        return Incoming(
            PLATFORM, self.sender.external_id, self.sender, text=line, command=command, args=args
        )

    def show(self, reply: Reply) -> None:
        self.shown += 1
        self.stdout.write(to_plain(reply.text) + "\n")
        for file in reply.files():
            self.stdout.write(f"📎 {file.caption or file.name} → {self.keep(file)}\n")
        self.choices = [choice for row in reply.choices for choice in row]
        self.choices_shown_in = str(self.shown) if self.choices else None
        if self.choices:
            buttons = "  ".join(
                f"[{number}] {choice.label}" for number, choice in enumerate(self.choices, 1)
            )
            self.stdout.write(buttons + "\n")
        self.stdout.write("\n")
        self.stdout.flush()

    def keep(self, file: Document) -> Path:
        """A terminal shows no pictures or files: they are written to a folder, to open from
        there (the name is the sender's: only its last part is used)."""
        if self.files is None:
            self.files = Path(tempfile.mkdtemp(prefix="coordbot-files-"))
        path = self.files / f"{self.shown}-{Path(file.name).name or 'file'}"
        path.write_bytes(file.data)
        return path

    async def read_line(self) -> str | None:
        if self.interactive:
            try:
                return await asyncio.to_thread(input, "> ")
            except EOFError:
                return None
        line = await asyncio.to_thread(self.stdin.readline)
        if not line:
            return None
        self.stdout.write(f"> {line.rstrip()}\n")
        return line

    async def start(self) -> None:
        """Nothing to connect to: `run` reads the terminal."""

    async def stop(self) -> None:
        """Nothing to close."""

    async def run(self, after_each_line: Callable[[], Awaitable[object]]) -> None:
        """Read lines until /quit or the end of input; after each line's replies,
        `after_each_line` (the delivery worker's pass, so that what the line queued shows)."""
        with use_language(self.sender.language_code or "en"):
            self.stdout.write(
                _(
                    "coordbot console: type /start or /help; type a number to press a button, "
                    "/quit to leave."
                )
                + "\n\n"
            )
        while (line := await self.read_line()) is not None:
            while line.rstrip().endswith("\\"):  # a trailing backslash continues the message
                more = await self.read_line()
                line = line.rstrip()[:-1] + "\n" + (more or "")
            line = line.strip()
            if not line:
                continue
            if line.lower() in _QUIT:
                break
            for reply in await self.dispatcher.handle(self.incoming(line)):
                self.show(reply)
            await after_each_line()

    async def send(self, chat_id: str, reply: Reply, replacing: str | None = None) -> str | None:
        """A reply is printed (a terminal cannot rewrite what it printed); its number is its
        id."""
        self.show(reply)
        return str(self.shown)

    async def deliver(self, external_id: str, reply: Reply) -> None:
        """Messages the bot sends on its own, to this console's user or (a demo) to others
        who once used the console."""
        if external_id != self.sender.external_id:
            self.stdout.write(f"(→ {external_id}) ")
        self.stdout.write("📨 ")
        self.show(reply)

    async def edit(self, chat_id: str, message_id: str, reply: Reply) -> None:
        """A terminal cannot rewrite what it printed: the new version is printed, marked."""
        self.stdout.write("✏️  ")
        self.show(reply)
