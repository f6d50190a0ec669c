"""A fake IMAP4rev1 server, over real TCP on 127.0.0.1, for imapclient to talk to.

One mailbox (INBOX). It speaks what a mail reader needs: CAPABILITY (with or without IDLE),
LOGIN, SELECT/EXAMINE, UID SEARCH, UID FETCH (BODY.PEEK[], BODY[], RFC822, FLAGS, as literals),
UID STORE, IDLE (pushing `* n EXISTS` when a test delivers a message) ended by DONE, NOOP and
LOGOUT; anything else gets a tagged BAD. Like real servers, it tells of new messages
(`* n EXISTS`) with its answer to any command, not only in IDLE. It records every command, and
a test can deliver messages, see which are \\Seen and drop every connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import re
import time
from collections.abc import Callable
from dataclasses import dataclass, field

from tests.support.recording_server import RecordingServer

USER = "list-reader@example.org"
PASSWORD = 'open "sesame" 42'  # quoted on the wire: the server must unquote it
SEEN = b"\\Seen"
FIRST_UID = 1001  # not 1: a client mixing up sequence numbers and UIDs gets the wrong message
UIDVALIDITY = 1700000000

Token = bytes | list["Token"]
_LITERAL = re.compile(rb"\{(\d+)(\+?)\}\r\n$")


@dataclass
class Message:
    uid: int
    raw: bytes
    flags: set[bytes] = field(default_factory=set)


@dataclass
class Command:
    name: str  # "LOGIN", "UID FETCH", "IDLE", ...
    args: list[Token]
    at: float = field(default_factory=time.monotonic)


@dataclass
class _Session:
    reader: asyncio.StreamReader
    writer: asyncio.StreamWriter
    authenticated: bool = False
    selected: bool = False
    idling: bool = False
    held: bytearray | None = None  # output kept back, to go out in one packet
    reported: int = 0  # the EXISTS count this client last heard of


@dataclass
class FakeImap(RecordingServer):
    idle: bool = True
    user: str = USER
    password: str = PASSWORD
    messages: list[Message] = field(default_factory=list)
    commands: list[Command] = field(default_factory=list)
    port: int = 0
    _server: asyncio.Server | None = None
    _sessions: list[_Session] = field(default_factory=list)
    _tasks: set[asyncio.Task[None]] = field(default_factory=set)
    # Called as each command is recorded, before it is answered: a test acts at that moment.
    on_command: Callable[[Command], object] | None = None

    async def start(self) -> None:
        self._start_recording()
        self._server = await asyncio.start_server(self._serve, "127.0.0.1", 0)
        self.port = self._server.sockets[0].getsockname()[1]

    async def stop(self) -> None:
        if self._server is not None:
            self._server.close()
            await self._server.wait_closed()
        self.disconnect_all()
        if self._tasks:  # they end on their own once their connection is gone
            await asyncio.wait(self._tasks, timeout=5)

    @property
    def url(self) -> str:
        return f"imap://127.0.0.1:{self.port}"

    # What tests do

    def deliver(self, raw: bytes) -> int:
        """Add a message, unseen, and tell the clients in IDLE; return its UID."""
        uid = self.messages[-1].uid + 1 if self.messages else FIRST_UID
        self.messages.append(Message(uid, raw))
        for session in self._sessions:
            if session.idling:
                self._report_exists(session)
        return uid

    def seen(self) -> list[int]:
        return [m.uid for m in self.messages if SEEN in m.flags]

    def unseen(self) -> list[int]:
        return [m.uid for m in self.messages if SEEN not in m.flags]

    def disconnect_all(self) -> None:
        """Drop every connection at once, as a restarting server or a lost network would."""
        for session in self._sessions:
            session.writer.transport.abort()
        self._sessions.clear()

    def names(self) -> list[str]:
        return [command.name for command in self.commands]

    async def wait_for(self, name: str, count: int = 1, within: float = 5) -> list[Command]:
        """The commands called `name`, once there are at least `count` of them."""
        return await self.until(lambda c: c.name == name, count, within)

    async def until(
        self, wanted: Callable[[Command], bool], count: int = 1, within: float = 5
    ) -> list[Command]:
        """The commands that are `wanted`, once there are at least `count` of them."""
        return await self._until(
            lambda: [c for c in self.commands if wanted(c)],
            count,
            within,
            lambda: f"commands: {self.names()}",
        )

    # The server

    async def _serve(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        task = asyncio.current_task()
        assert task is not None
        self._tasks.add(task)
        session = _Session(reader, writer)
        self._sessions.append(session)
        try:
            writer.write(b"* OK fake IMAP4rev1 server ready\r\n")
            while (data := await self._read_command(session)) is not None:
                if not await self._answer(session, data):
                    break
                await writer.drain()
        except (ConnectionError, asyncio.IncompleteReadError):
            pass
        finally:
            if session in self._sessions:
                self._sessions.remove(session)
            writer.close()
            with contextlib.suppress(ConnectionError):
                await writer.wait_closed()
            self._tasks.discard(task)

    async def _read_command(self, session: _Session) -> bytes | None:
        """One command line, with any literals `{n}` the client sends inline; None at EOF."""
        data = b""
        while True:
            line = await session.reader.readline()
            if not line.endswith(b"\n"):
                return None
            data += line
            literal = _LITERAL.search(line)
            if literal is None:
                return data.rstrip(b"\r\n")
            if not literal.group(2):  # a synchronising literal waits for our go-ahead
                session.writer.write(b"+ Ready for literal data\r\n")
            data += await session.reader.readexactly(int(literal.group(1)))

    async def _record_command(self, name: str, args: list[Token]) -> None:
        command = Command(name, args)
        await self._record(lambda: self.commands.append(command))
        if self.on_command is not None:
            self.on_command(command)

    async def _answer(self, session: _Session, data: bytes) -> bool:
        """Answer one command; False when the connection is to end."""
        write = session.writer.write
        try:
            tag, *words = _parse(data)
        except ValueError:
            write(b"* BAD unparsable command\r\n")
            return True
        if not isinstance(tag, bytes) or not words or not isinstance(words[0], bytes):
            write(b"* BAD missing command\r\n")
            return True
        name = words[0].upper()
        args = words[1:]
        if name == b"UID" and args and isinstance(args[0], bytes):
            name, args = b"UID " + args[0].upper(), args[1:]
        if name == b"IDLE" and self.idle and session.selected:
            # Idling before the command is on record, so that a message a test delivers on
            # seeing IDLE is told. Told at once too: changes not yet reported. What is told
            # before the command is on record goes out with `+ idling`, in one packet.
            session.held = bytearray(b"+ idling\r\n")
            session.idling = True
            self._report_exists(session)
            await self._record_command(name.decode(), args)
            write(bytes(session.held))
            session.held = None
        else:
            await self._record_command(name.decode(), args)

        def done(status: bytes, text: bytes) -> None:
            if session.selected:  # as real servers do, with the answer to any command
                self._report_exists(session)
            write(tag + b" " + status + b" " + text + b"\r\n")

        if name == b"CAPABILITY":
            write(b"* CAPABILITY IMAP4rev1" + (b" IDLE" if self.idle else b"") + b"\r\n")
            done(b"OK", b"CAPABILITY completed")
        elif name == b"NOOP":
            done(b"OK", b"NOOP completed")
        elif name == b"LOGOUT":
            write(b"* BYE logging out\r\n")
            done(b"OK", b"LOGOUT completed")
            return False
        elif name == b"LOGIN":
            if [a if isinstance(a, bytes) else b"" for a in args] == [
                self.user.encode(),
                self.password.encode(),
            ]:
                session.authenticated = True
                done(b"OK", b"LOGIN completed")
            else:
                done(b"NO", b"[AUTHENTICATIONFAILED] Invalid credentials")
        elif not session.authenticated:
            done(b"BAD", b"log in first")
        elif name in (b"SELECT", b"EXAMINE"):
            if args[:1] != [b"INBOX"]:
                session.selected = False
                done(b"NO", b"[NONEXISTENT] no such mailbox")
                return True
            session.selected = True
            write(b"* FLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)\r\n")
            write(b"* OK [PERMANENTFLAGS (\\Answered \\Flagged \\Deleted \\Seen \\Draft)] ok\r\n")
            session.reported = -1
            self._report_exists(session)
            write(b"* 0 RECENT\r\n")
            write(b"* OK [UIDVALIDITY %d] UIDs valid\r\n" % UIDVALIDITY)
            write(b"* OK [UIDNEXT %d] predicted\r\n" % self._uid_next())
            mode = b"[READ-WRITE]" if name == b"SELECT" else b"[READ-ONLY]"
            done(b"OK", mode + b" " + name + b" completed")
        elif not session.selected:
            done(b"BAD", b"select a mailbox first")
        elif session.idling:
            await session.writer.drain()
            try:
                line = await session.reader.readline()
            finally:
                session.idling = False
            if line.rstrip(b"\r\n").upper() != b"DONE":
                done(b"BAD", b"expected DONE")
                return bool(line)
            await self._record_command("DONE", [])
            done(b"OK", b"IDLE terminated")
        elif name == b"UID SEARCH":
            found = self._search(args)
            if found is None:
                done(b"BAD", b"unsupported search criteria")
                return True
            write(b"* SEARCH" + b"".join(b" %d" % uid for uid in found) + b"\r\n")
            done(b"OK", b"SEARCH completed")
        elif name == b"UID FETCH" and len(args) == 2 and isinstance(args[0], bytes):
            items = args[1] if isinstance(args[1], list) else [args[1]]
            wanted = {i.upper() for i in items if isinstance(i, bytes)}
            if not wanted <= {b"BODY.PEEK[]", b"BODY[]", b"RFC822", b"FLAGS", b"UID"}:
                done(b"BAD", b"unsupported fetch items")
                return True
            for seq, message in self._in(args[0]):
                write(_fetch_response(seq, message, wanted))
            done(b"OK", b"FETCH completed")
        elif name == b"UID STORE" and len(args) == 3 and isinstance(args[0], bytes):
            how, flags = args[1], args[2] if isinstance(args[2], list) else [args[2]]
            if not isinstance(how, bytes) or how.upper().removesuffix(b".SILENT") not in (
                b"+FLAGS",
                b"-FLAGS",
                b"FLAGS",
            ):
                done(b"BAD", b"unsupported store")
                return True
            change = {f for f in flags if isinstance(f, bytes)}
            for seq, message in self._in(args[0]):
                if how.upper().startswith(b"+"):
                    message.flags |= change
                elif how.upper().startswith(b"-"):
                    message.flags -= change
                else:
                    message.flags = set(change)
                if not how.upper().endswith(b".SILENT"):
                    write(_fetch_response(seq, message, {b"FLAGS"}))
            done(b"OK", b"STORE completed")
        else:
            done(b"BAD", b"command unknown or arguments invalid")
        return True

    def _report_exists(self, session: _Session) -> None:
        if session.reported != len(self.messages):
            session.reported = len(self.messages)
            told = b"* %d EXISTS\r\n" % len(self.messages)
            if session.held is not None:
                session.held += told
            else:
                session.writer.write(told)

    def _uid_next(self) -> int:
        return self.messages[-1].uid + 1 if self.messages else FIRST_UID

    def _search(self, criteria: list[Token]) -> list[int] | None:
        keys = [c.upper() if isinstance(c, bytes) else b"" for c in criteria]
        if keys in ([b"ALL"], []):
            return [m.uid for m in self.messages]
        if keys == [b"UNSEEN"]:
            return self.unseen()
        if keys == [b"SEEN"]:
            return self.seen()
        return None

    def _in(self, uid_set: bytes) -> list[tuple[int, Message]]:
        """The (sequence number, message) pairs whose UIDs are in a set like `3,5:7,9:*`."""
        top = self._uid_next() - 1
        uids: set[int] = set()
        for part in uid_set.split(b","):
            low, _, high = part.partition(b":")
            first = top if low == b"*" else int(low)
            last = first if not high else top if high == b"*" else int(high)
            uids.update(range(min(first, last), max(first, last) + 1))
        return [(seq, m) for seq, m in enumerate(self.messages, 1) if m.uid in uids]


def _fetch_response(seq: int, message: Message, wanted: set[bytes]) -> bytes:
    parts = [b"UID %d" % message.uid]
    for item, key in ((b"BODY.PEEK[]", b"BODY[]"), (b"BODY[]", b"BODY[]"), (b"RFC822", None)):
        if item in wanted:
            if item != b"BODY.PEEK[]":  # reading the body without PEEK marks it seen
                message.flags.add(SEEN)
            name = key or item
            parts.append(name + b" {%d}\r\n" % len(message.raw) + message.raw)
            break
    if wanted & {b"FLAGS", b"BODY[]", b"RFC822"}:
        parts.append(b"FLAGS (" + b" ".join(sorted(message.flags)) + b")")
    return b"* %d FETCH (" % seq + b" ".join(parts) + b")\r\n"


def _parse(data: bytes) -> list[Token]:
    """Atoms (brackets kept whole, as in `BODY.PEEK[]`), quoted strings, literals and lists."""
    stack: list[list[Token]] = [[]]
    i = 0
    while i < len(data):
        char = data[i : i + 1]
        if char == b" ":
            i += 1
        elif char == b"(":
            stack.append([])
            i += 1
        elif char == b")":
            if len(stack) == 1:
                raise ValueError("unbalanced )")
            closed = stack.pop()
            stack[-1].append(closed)
            i += 1
        elif char == b'"':
            value = bytearray()
            i += 1
            while i < len(data) and data[i : i + 1] != b'"':
                if data[i : i + 1] == b"\\":
                    i += 1
                value += data[i : i + 1]
                i += 1
            if i >= len(data):
                raise ValueError("unterminated string")
            stack[-1].append(bytes(value))
            i += 1
        elif char == b"{":
            end = data.index(b"}", i)
            size = int(data[i + 1 : end].rstrip(b"+"))
            start = end + 3  # past "}\r\n"
            stack[-1].append(data[start : start + size])
            i = start + size
        else:
            start, depth = i, 0
            while i < len(data):
                char = data[i : i + 1]
                depth += char == b"["
                depth -= char == b"]"
                if depth == 0 and char in (b" ", b"(", b")"):
                    break
                i += 1
            stack[-1].append(data[start:i])
    if len(stack) != 1:
        raise ValueError("unbalanced (")
    return stack[0]
