"""Who saw or exported personal data (LEGAL §4, §7): the `AuditStore` part of the store."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from storage import models as m


class AuditRecords:
    """Implements `bot.ports.AuditStore` inside the caller's transaction."""

    session: AsyncSession

    async def audit(
        self, actor: str, action: str, subject: str, detail: dict[str, Any], now: datetime
    ) -> None:
        self.session.add(
            m.AuditEntry(at=now, actor=actor, action=action, subject=subject, detail=detail)
        )
