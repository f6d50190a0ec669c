"""Reads the mailbox the mailing list delivers to, over IMAP, and hands each new message on.

`ImapPoller.check()` fetches every unseen message of the folder, oldest UID first, passes its raw
bytes to `ingest`, and then marks it \\Seen: the \\Seen flag is the only state kept, so a
restarted bot goes on where it stopped. `ImapPoller.run()` checks, waits for news (IMAP IDLE
when the server has it, else a sleep of `poll_seconds`) and checks again, reconnecting after
any failure.

imapclient is synchronous: its calls run in a worker thread (`asyncio.to_thread`), one at a
time on the one connection.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import io
import logging
import re
import selectors
import socket
import threading
import time
from collections.abc import Awaitable, Callable
from typing import TypeVar

from imapclient import IMAPClient
from imapclient.exceptions import LoginError

from bot.config import ImapSettings
from bot.mail.failures import worth_retrying

log = logging.getLogger(__name__)

Ingest = Callable[[bytes], Awaitable[bool]]
# ingest(raw) is called once per new message with its raw bytes (RFC822). It returns True when
# the message was taken (archived/relayed/duplicate/kept as failed) and False when refused (not
# from the list). Either way the message is then marked \Seen so it is not fetched again. If
# ingest RAISES (e.g. the database is down) the message is NOT marked seen, and is tried again
# on the next check.

T = TypeVar("T")

SEEN = b"\\Seen"
BODY = b"BODY[]"  # the key under which a BODY.PEEK[] fetch answers
SOCKET_TIMEOUT = 30.0  # a server silent this long, outside IDLE, is treated as gone
IDLE_LIMIT = 29 * 60.0  # RFC 2177: a server may drop a client idle for 30 minutes
IDLE_SLICE = 0.5  # IDLE is watched in slices this long, so that a stop is noticed promptly
MAX_RETRY = 300.0  # the longest wait between attempts after failures
STOP_GRACE = 1.0  # how long a stop lets an ingest in progress finish before cancelling it
CLOSE_TIMEOUT = 2.0  # how long LOGOUT may take when stopping


class ImapError(Exception):
    """The mailbox could not be read: connection refused or lost, login refused, server error.
    The message names the server and never holds the password."""


class ImapPoller:
    def __init__(
        self,
        settings: ImapSettings,
        ingest: Ingest,
        *,
        idle_seconds: float = 300,
        retry_seconds: float = 5,
    ) -> None:
        self.settings = settings
        self._ingest = ingest
        self._idle_seconds = min(idle_seconds, IDLE_LIMIT)
        self._retry_seconds = retry_seconds
        self._client: IMAPClient | None = None
        self._can_idle = False
        self._idling = False
        # The connection is used by one thread at a time; a thread still running after its
        # awaiting task was cancelled holds it until it is done.
        self._lock = threading.Lock()
        self._checking = asyncio.Lock()  # two checks at once would ingest a message twice
        self._stopping: asyncio.Event | None = None

    async def check(self) -> int:
        """Connect if needed, fetch every UNSEEN message of the folder (by UID, in order),
        ingest each, mark it seen; return how many were fetched.

        Raises ImapError when the server cannot be used, and what `ingest` raises when a retry
        may help (the database out of reach: that message and the later ones are left for the
        next check, which keeps them in order). A message that could never be stored is logged
        and marked seen, so that it does not hold up every later one forever."""
        async with self._checking:
            uids = await self._blocking(_unseen)
            fetched = 0
            for uid in uids:
                if self._stopping is not None and self._stopping.is_set():
                    break
                raw = await self._blocking(functools.partial(_fetch, uid=uid))
                if raw is None:  # deleted by someone else since the search
                    continue
                fetched += 1
                try:
                    if not await self._ingest(raw):
                        log.info("message UID %d refused: not from the list", uid)
                except Exception as error:
                    if worth_retrying(error):
                        raise
                    log.exception("message UID %d can never be stored: marked seen", uid)
                await self._blocking(functools.partial(_mark_seen, uid=uid))
            if fetched:
                log.info("%d new message(s) in %s", fetched, self.settings.folder)
            return fetched

    async def run(self, stopping: asyncio.Event) -> None:
        """Until `stopping` is set: check; then wait for new mail with IDLE when the server's
        CAPABILITY has it (re-issuing IDLE at most every `idle_seconds`, under the 29-minute
        limit of RFC 2177), else sleep `settings.poll_seconds`; then check again. A lost
        connection or a server error is logged (never the password) and retried after
        `retry_seconds`, growing up to 5 minutes; never fatal. Returns promptly (within ~1–2 s)
        after `stopping` is set, closing the connection (LOGOUT)."""
        self._stopping = stopping
        loop = asyncio.create_task(self._loop(stopping))
        stopped = asyncio.create_task(stopping.wait())
        try:
            await asyncio.wait({loop, stopped}, return_when=asyncio.FIRST_COMPLETED)
            if not loop.done():
                # The loop ends by itself within an IDLE slice; an ingest may take longer.
                await asyncio.wait({loop}, timeout=STOP_GRACE)
        finally:
            for task in (loop, stopped):
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task
            self._stopping = None
            await self.close()

    async def close(self) -> None:
        """Log out and close the connection, if there is one."""
        await asyncio.to_thread(self._close)

    # The loop

    async def _loop(self, stopping: asyncio.Event) -> None:
        delay = self._retry_seconds
        while not stopping.is_set():
            try:
                # Mail that comes during a check is announced in the answers to its FETCH and
                # STORE commands, which IDLE does not hear again: check until nothing is new.
                while await self.check() and not stopping.is_set():
                    pass
                delay = self._retry_seconds
                if self._can_idle:
                    await self._idle(stopping)
                else:
                    await _sleep(stopping, self.settings.poll_seconds)
            except ImapError as error:
                log_failure = log.error if isinstance(error.__cause__, LoginError) else log.warning
                log_failure("%s; trying again in %g s", error, delay)
                await _sleep(stopping, delay)
                delay = min(delay * 2, MAX_RETRY)
            except Exception:
                log.exception(
                    "a message could not be taken in; it stays unseen, trying again in %g s", delay
                )
                await _sleep(stopping, delay)
                delay = min(delay * 2, MAX_RETRY)

    async def _idle(self, stopping: asyncio.Event) -> None:
        """Wait in IDLE until the server has news, `idle_seconds` pass, or `stopping` is set."""
        await self._blocking(self._start_idle)
        deadline = time.monotonic() + self._idle_seconds
        while not stopping.is_set() and (left := deadline - time.monotonic()) > 0:
            if await self._blocking(functools.partial(_news, timeout=min(IDLE_SLICE, left))):
                break
        await self._blocking(self._end_idle)

    # In the worker thread

    async def _blocking(self, call: Callable[[IMAPClient], T]) -> T:
        """Run `call` on the connection (made first if needed) in a worker thread; a failure
        drops the connection, so the next call makes a new one."""
        return await asyncio.to_thread(self._locked, call)

    def _locked(self, call: Callable[[IMAPClient], T]) -> T:
        with self._lock:
            try:
                if self._client is None:
                    self._client = self._connect()
                return call(self._client)
            except Exception as error:
                self._drop()
                raise ImapError(self._describe(error)) from error

    def _connect(self) -> IMAPClient:
        s = self.settings
        client = IMAPClient(s.host, port=s.port, ssl=s.tls, timeout=SOCKET_TIMEOUT)
        try:
            client.login(s.user, s.password)
            client.select_folder(s.folder)
            self._can_idle = bool(client.has_capability("IDLE"))
        except BaseException:
            with contextlib.suppress(Exception):
                client.shutdown()
            raise
        log.info(
            "IMAP: reading %s of %s on %s:%d (%s)",
            s.folder,
            s.user,
            s.host,
            s.port,
            "IDLE" if self._can_idle else f"polling every {s.poll_seconds} s",
        )
        return client

    def _start_idle(self, client: IMAPClient) -> None:
        client.idle()
        self._idling = True

    def _end_idle(self, client: IMAPClient) -> None:
        self._idling = False
        client.idle_done()

    def _drop(self) -> None:
        """Forget the connection, closing its socket without a word to the server."""
        if self._client is not None:
            with contextlib.suppress(Exception):
                self._client.shutdown()
        self._client = None
        self._idling = False

    def _close(self) -> None:
        if not self._lock.acquire(timeout=CLOSE_TIMEOUT):
            # A call stuck on a silent server: closing its socket makes it fail and return.
            self._drop()
            return
        try:
            client, idling = self._client, self._idling
            if client is None:
                return
            self._client, self._idling = None, False
            try:
                client.socket().settimeout(CLOSE_TIMEOUT)
                if idling:
                    client.idle_done()
                client.logout()
                log.info("IMAP: logged out of %s", self.settings.host)
            except Exception as error:
                log.info("IMAP: no clean logout (%s)", self._describe(error))
                with contextlib.suppress(Exception):
                    client.shutdown()
        finally:
            self._lock.release()

    def _describe(self, error: Exception) -> str:
        s = self.settings
        # imaplib puts the server's words in as bytes: b'[AUTHENTICATIONFAILED] ...'
        detail = re.sub(r"\bb'(.*?)'", r"\1", str(error)) or type(error).__name__
        if isinstance(error, LoginError):
            text = f"IMAP login as {s.user} on {s.host}:{s.port} failed: {detail}"
        else:
            text = f"IMAP {s.host}:{s.port} ({s.folder} of {s.user}): {detail}"
        # Servers may echo what they were sent; the password must not reach the logs.
        return text.replace(s.password, "***") if s.password else text


def _unseen(client: IMAPClient) -> list[int]:
    return sorted(int(uid) for uid in client.search(["UNSEEN"]))


def _fetch(client: IMAPClient, uid: int) -> bytes | None:
    # BODY.PEEK[] leaves \Seen alone: a message is seen only once it has been taken in.
    data = client.fetch([uid], ["BODY.PEEK[]"]).get(uid, {}).get(BODY)
    return data if isinstance(data, bytes) else None


def _mark_seen(client: IMAPClient, uid: int) -> None:
    client.add_flags([uid], [SEEN], silent=True)


def _news(client: IMAPClient, timeout: float) -> bool:
    """Whether IDLE should end: the server said something (new mail, flags, BYE) other than a
    keep-alive, or the connection looks closed."""
    if _buffered(client):
        return True
    started = time.monotonic()
    responses = client.idle_check(timeout=timeout)
    if responses:
        return any(not (isinstance(r, tuple) and r[:1] == (b"OK",)) for r in responses)
    # idle_check swallows an end of file and returns at once: end IDLE so that the DONE
    # which follows finds out whether the connection is still there.
    return time.monotonic() - started < timeout / 2


def _buffered(client: IMAPClient) -> bool:
    """Whether a response already waits in imaplib's read buffer, where idle_check, which polls
    the socket, cannot see it: a `* n EXISTS` that came in one packet with `+ idling`, when mail
    arrived as IDLE began, would otherwise wait there until IDLE is renewed."""
    file = getattr(client._imap, "file", None)  # imaplib's buffered reader of the socket
    sock = client.socket()
    if not isinstance(file, io.BufferedReader) or _readable(sock):
        return False  # what the socket has, idle_check reads (and knows a keep-alive)
    timeout = sock.gettimeout()
    sock.settimeout(0)  # peek may read the socket: it must not block
    try:
        return bool(file.peek(1))
    except OSError:  # nothing to read (TLS says so with an error)
        return False
    finally:
        sock.settimeout(timeout)


def _readable(sock: socket.socket) -> bool:
    with selectors.DefaultSelector() as selector:
        selector.register(sock, selectors.EVENT_READ)
        return bool(selector.select(0))


async def _sleep(stopping: asyncio.Event, seconds: float) -> None:
    with contextlib.suppress(TimeoutError):
        await asyncio.wait_for(stopping.wait(), seconds)
