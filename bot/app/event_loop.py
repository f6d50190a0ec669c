"""The event loop `coordbot run` serves on: uvloop where it is installed (Linux, macOS), which
spends less CPU per message on sockets and callbacks than asyncio's own loop."""

from __future__ import annotations

import asyncio
from collections.abc import Callable, Coroutine
from typing import Any, TypeVar

T = TypeVar("T")


def loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    try:
        import uvloop
    except ImportError:  # Windows, or installed without it: asyncio's loop
        return None
    return uvloop.new_event_loop


def run_fast(main: Coroutine[Any, Any, T]) -> T:
    """`asyncio.run(main)` on the fastest loop available."""
    with asyncio.Runner(loop_factory=loop_factory()) as runner:
        return runner.run(main)
