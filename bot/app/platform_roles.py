"""Per platform, one process receives and sends for the bot when several run against one
PostgreSQL: Telegram's limits (30 messages a second, one update stream) are per bot, not per
process. The role is an advisory lock keyed by the bot (bot.delivery.leader); the process
holding it handles the updates and runs the delivery worker for that platform; the others
take over within seconds when it dies. See docs/delivery.md."""

from __future__ import annotations

import asyncio
from collections.abc import Sequence
from typing import Protocol, runtime_checkable

from sqlalchemy.ext.asyncio import AsyncEngine

from bot.app.roles import Roles
from bot.delivery.leader import hold_role, role_key
from bot.platforms import Adapter, Deliverer


@runtime_checkable
class HoldsRole(Protocol):
    """An adapter whose receiving and sending one process does for the bot."""

    @property
    def role_identity(self) -> str:
        """The bot or app, the same in every process (never a secret)."""
        ...

    async def open(self) -> None:
        """Started, without receiving yet."""

    async def take_role(self) -> None: ...
    async def leave_role(self) -> None: ...


async def open_platform(platform: Adapter) -> None:
    """Start an adapter without its role when it has one, else as it starts alone."""
    if isinstance(platform, HoldsRole):
        await platform.open()
    else:
        await platform.start()


async def hold_platform_roles(
    engine: AsyncEngine,
    platforms: Sequence[Adapter],
    roles: Roles,
    stopping: asyncio.Event,
    serving: dict[str, Deliverer],
) -> None:
    """Hold each platform's role whenever this process can: while held, the platform is in
    `serving` (the delivery worker sends through it) and the adapter receives."""

    def holder(platform: Adapter) -> asyncio.Task[None]:
        async def take() -> None:
            if isinstance(platform, HoldsRole):
                await platform.take_role()
            serving[platform.name] = platform

        async def leave() -> None:
            serving.pop(platform.name, None)
            if isinstance(platform, HoldsRole):
                await platform.leave_role()

        identity = platform.role_identity if isinstance(platform, HoldsRole) else platform.name
        return asyncio.create_task(
            hold_role(engine, role_key(identity), platform.name, roles, stopping, take, leave)
        )

    await asyncio.gather(*(holder(platform) for platform in platforms))
