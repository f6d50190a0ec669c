"""Reading mail away from the event loop: `parse` runs in a worker process, with a time budget
and a memory budget, so that no mail, however built, delays chat or holds a database lock.

One worker, started at the first mail and kept; one mail at a time, so that each budget counts
that mail's own reading. A mail over its time is stopped by killing the worker; one over its
memory (the worker's address space is capped, so Python raises MemoryError, or the worker dies)
likewise; a new worker reads the next mail. Either way the mail is not relayed half-read: it is
answered with a MailError whose code (`too_slow`, `too_big`) organisers read in /lists.
"""

from __future__ import annotations

import asyncio
import logging
import multiprocessing
import resource
import signal
from concurrent.futures import ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool

from bot.mail.failures import TryLater
from bot.mail.parse import MailError, ParsedMail, parse

log = logging.getLogger(__name__)

Parsed = list[ParsedMail] | MailError
TOO_SLOW = "too_slow"
TOO_BIG = "too_big"
START_LIMIT = 60.0  # seconds for a new worker to start and import the parser


class ReaderUnavailable(TryLater):
    """No worker could be started: the bot's fault, not the mail's (the sender tries later)."""


class MailReader:
    def __init__(self, seconds: float, memory: int) -> None:
        self.seconds = seconds
        self.memory = memory  # bytes of address space the worker may use
        self._pool: ProcessPoolExecutor | None = None
        self._turn = asyncio.Lock()

    async def read(self, raw: bytes) -> Parsed:
        """The messages of one mail, or the MailError that says why it cannot be relayed."""
        async with self._turn:
            pool = await self._started()
            try:
                answer = await asyncio.wait_for(
                    asyncio.wrap_future(pool.submit(_read, raw)), self.seconds
                )
            except TimeoutError:
                self._discard()
                return MailError(f"reading took more than {self.seconds:g} s", TOO_SLOW)
            except (MemoryError, BrokenProcessPool):
                self._discard()
                return MailError(f"reading needed more than {self.memory >> 20} MB", TOO_BIG)
            except BaseException:  # cancelled (the bot stops, the sender hung up): stop reading
                self._discard()
                raise
        if isinstance(answer, list):
            return answer
        code, reason = answer
        if code == TOO_BIG:
            self._discard()  # a worker that ran out of memory is not trusted with the next mail
        return MailError(reason, code)

    def close(self) -> None:
        self._discard()

    async def _started(self) -> ProcessPoolExecutor:
        if self._pool is not None:
            return self._pool
        pool = ProcessPoolExecutor(
            max_workers=1,
            # Not fork: the bot's threads (database drivers, IMAP) may hold locks at that moment.
            mp_context=multiprocessing.get_context("spawn"),
            initializer=_prepare_worker,
            initargs=(self.memory,),
        )
        try:  # outside the budget: starting Python and importing the parser takes a second
            await asyncio.wait_for(asyncio.wrap_future(pool.submit(_ready)), START_LIMIT)
        except BaseException as error:
            _kill(pool)
            if isinstance(error, Exception):
                raise ReaderUnavailable(f"the mail reader did not start: {error!r}") from error
            raise
        self._pool = pool
        return pool

    def _discard(self) -> None:
        pool, self._pool = self._pool, None
        if pool is not None:
            _kill(pool)


def _kill(pool: ProcessPoolExecutor) -> None:
    # A worker busy with a mail cannot be asked to stop: it is killed, which breaks the pool,
    # whose manager thread then reaps it.
    for process in list((pool._processes or {}).values()):
        process.kill()
    pool.shutdown(wait=False, cancel_futures=True)


# In the worker process


def _prepare_worker(memory: int) -> None:
    resource.setrlimit(resource.RLIMIT_AS, (memory, memory))
    # Ctrl-C and a service manager's SIGTERM reach the whole process group: the bot stops its
    # worker itself, and a mail being read must not be taken for one that broke the worker.
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_IGN)
    # What goes wrong is answered to the bot, which logs it; a MemoryError's traceback printed
    # here too would only repeat it.
    logging.getLogger().addHandler(logging.NullHandler())


def _ready() -> bool:
    return True


def _read(raw: bytes) -> list[ParsedMail] | tuple[str, str]:
    """The messages, or (code, reason): a MailError does not cross processes whole."""
    try:
        return parse(raw)
    except MailError as error:
        if isinstance(error.__cause__, MemoryError):  # parse turns any failure into MailError
            return TOO_BIG, error.reason
        return error.code, error.reason
    except MemoryError:
        return TOO_BIG, "out of memory"
