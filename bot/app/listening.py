"""The bot's small HTTP servers of its own (/healthz and /metrics, the calendar feeds): each
listens on its port, or says in the log why it cannot while the bot serves its chats."""

from __future__ import annotations

import logging

from aiohttp import web

log = logging.getLogger(__name__)


async def listen(
    app: web.Application, host: str, port: int, name: str, port_variable: str
) -> web.AppRunner | None:
    """`app` served on host:port (no access log: addresses may hold secrets); None when the
    port cannot be had, which is logged naming the setting to change."""
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    try:
        await web.TCPSite(runner, host, port).start()
    except OSError as error:
        log.error(
            "%s: cannot listen on %s:%d (%s): set %s to a free port, or 0 for none",
            name,
            host,
            port,
            error.strerror or error,
            port_variable,
        )
        await runner.cleanup()
        return None
    return runner
