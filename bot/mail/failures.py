"""Why a mail could not be stored, and whether its sender should try again.

A retry helps only while the database is out of reach or busy, or while there is no programme
to relay to yet: then SMTP answers 451 and the list's server keeps the mail. Any other failure
would come back at every retry, so it is answered for good (554) instead of forever "later".
"""

from __future__ import annotations

from sqlalchemy.exc import DBAPIError, InterfaceError, OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout

# The reason kept with a mail the database refused (bot.reports.labels says it to organisers).
UNSTORABLE = "unstorable"


class TryLater(Exception):
    """The mail cannot be taken now and will be later (no programme is loaded yet)."""


class Unstorable(Exception):
    """The database refused the mail, and even a failed row in its place: nothing was kept."""


def worth_retrying(error: BaseException) -> bool:
    """Whether the same mail may be stored later: the database is unreachable, its connection
    lost, busy or locked (OperationalError, e.g. SQLite's "database is locked" or a PostgreSQL
    deadlock), or the bot not ready."""
    if isinstance(error, DBAPIError):
        return error.connection_invalidated or isinstance(error, OperationalError | InterfaceError)
    return isinstance(error, TryLater | PoolTimeout | OSError)
