"""Work for later (reminders, escalations, notices): the `JobStore` part of the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import queues


class JobRecords:
    """Implements `bot.ports.JobStore` inside the caller's transaction."""

    session: AsyncSession

    async def schedule(
        self, kind: str, due_at: datetime, payload: dict[str, Any], petition_id: int | None
    ) -> None:
        await queues.schedule_job(self.session, kind, due_at, payload, petition_id)

    async def has_pending_job(self, kind: str, payload: dict[str, Any] | None = None) -> bool:
        pending = await queues.pending_payloads(self.session, kind)
        return bool(pending) if payload is None else payload in pending
