"""Which roles this process holds when several run against one database (the scheduler, and
per platform the one that receives and sends): for /healthz and the logs."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

log = logging.getLogger(__name__)

SCHEDULER = "scheduler"


class Roles:
    """The roles held now, each with when it was taken. One per process, shared by whatever
    takes or loses a role."""

    def __init__(self) -> None:
        self._held: dict[str, datetime] = {}

    def took(self, name: str) -> None:
        self._held[name] = datetime.now(UTC)
        log.warning("this process holds the %s role", name)

    def lost(self, name: str) -> None:
        if self._held.pop(name, None) is not None:
            log.warning("this process no longer holds the %s role", name)

    def held(self) -> dict[str, datetime]:
        return dict(self._held)

    def holds(self, name: str) -> bool:
        return name in self._held
