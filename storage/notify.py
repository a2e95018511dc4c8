"""Wake another worker at once: PostgreSQL's LISTEN/NOTIFY.

When a worker queues messages for a chat whose earlier messages another worker is still sending
(see `storage.queues.enqueue`), the other worker must send them, in order. It would find them at
its next sweep; a notification on `OUTBOX_CHANNEL` naming it makes that now. Notifications are
sent at commit, so the rows are visible when the other worker looks.
"""

from __future__ import annotations

import logging
from collections.abc import Callable

import asyncpg
from sqlalchemy import text
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import AsyncSession

log = logging.getLogger(__name__)

OUTBOX_CHANNEL = "tiepdan_outbox"


async def notify_workers(session: AsyncSession, workers: set[str]) -> None:
    """Tell these workers (at commit) that they have new messages to send."""
    for worker in sorted(workers):
        await session.execute(
            text("SELECT pg_notify(:channel, :worker)"),
            {"channel": OUTBOX_CHANNEL, "worker": worker},
        )


class Listener:
    """A connection of its own that calls `on_wake` when this worker is named."""

    def __init__(self, database_url: str, worker: str, on_wake: Callable[[], None]) -> None:
        url = make_url(database_url).set(drivername="postgresql")
        self._dsn = url.render_as_string(hide_password=False)
        self._worker = worker
        self._on_wake = on_wake
        self._connection: asyncpg.Connection | None = None

    async def start(self) -> None:
        self._connection = await asyncpg.connect(self._dsn)
        await self._connection.add_listener(OUTBOX_CHANNEL, self._heard)

    async def close(self) -> None:
        if self._connection is not None:
            await self._connection.close()

    def _heard(self, _connection: object, _pid: int, _channel: str, worker: str) -> None:
        if worker == self._worker:
            self._on_wake()
