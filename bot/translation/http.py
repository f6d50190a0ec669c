"""What both HTTP providers share: one aiohttp session per translator, and every failure of a
request turned into a `TranslationUnavailable` that says whether to try again."""

from __future__ import annotations

import json
from typing import Any

import aiohttp

from bot.translation.errors import ServiceRefused, ServiceUnreachable, retry_after_seconds
from bot.translation.provider import TranslationUnavailable


class JsonClient:
    """POSTs JSON to one service and reads JSON back; the session is opened on first use (it
    belongs to the running event loop) and closed by `close()`."""

    def __init__(self, provider: str, base_url: str, headers: dict[str, str] | None = None):
        self.provider = provider
        self.base_url = base_url.rstrip("/")
        self._headers = headers or {}
        self._session: aiohttp.ClientSession | None = None

    async def post(self, path: str, body: dict[str, Any]) -> Any:
        if self._session is None or self._session.closed:
            self._session = aiohttp.ClientSession(headers=self._headers)
        # Non-ASCII text as UTF-8, not \u escapes: the providers' size limits count the body.
        data = json.dumps(body, ensure_ascii=False).encode()
        try:
            async with self._session.post(
                self.base_url + path,
                data=data,
                headers={"Content-Type": "application/json"},
            ) as response:
                if response.status != 200:
                    raise ServiceRefused(
                        self.provider,
                        response.status,
                        retry_after_seconds(response.headers.get("Retry-After")),
                    )
                return await response.json(content_type=None)
        except aiohttp.ClientResponseError as error:
            raise ServiceRefused(self.provider, error.status) from error
        except (aiohttp.ClientError, OSError) as error:
            raise ServiceUnreachable(f"{self.provider}: {type(error).__name__}") from error
        except ValueError as error:  # the body was not JSON
            raise TranslationUnavailable(f"{self.provider}: unreadable answer") from error

    async def close(self) -> None:
        if self._session is not None:
            await self._session.close()
            self._session = None


def json_size(text: str) -> int:
    """The bytes `text` takes in a JSON body written as `JsonClient` writes it."""
    return len(json.dumps(text, ensure_ascii=False).encode())
