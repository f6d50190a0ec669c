"""Settings read from the environment, in one place."""

from __future__ import annotations

import os
from dataclasses import dataclass

DEFAULT_DATABASE_URL = "sqlite+aiosqlite:///coordbot.sqlite3"


@dataclass(frozen=True)
class Settings:
    database_url: str
    event: str | None

    @classmethod
    def from_env(cls) -> Settings:
        return cls(
            database_url=os.environ.get("COORDBOT_DATABASE_URL") or DEFAULT_DATABASE_URL,
            event=os.environ.get("COORDBOT_EVENT") or None,
        )
