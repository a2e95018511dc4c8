"""The row-level export on the caller's snapshot, and its audit entry: the `ExportStore` part of
the store. A job that builds an export in chat reads it here, on the scheduler's snapshot; the
command line reads the same rows through `storage.exports.petition_chunks`."""

from __future__ import annotations

from collections.abc import AsyncGenerator, Collection
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.reporting.exports import PetitionRecord
from storage import models as m


class ExportRecords:
    """Implements `bot.ports.ExportStore` inside the caller's transaction."""

    session: AsyncSession

    def export_chunks(
        self, units: Collection[str], received_from: datetime, received_before: datetime
    ) -> AsyncGenerator[list[PetitionRecord]]:
        # storage.exports audits the command line's exports through SqlStore, which this class
        # is part of: it is imported when first used, once SqlStore exists.
        from storage.exports import stream_petitions

        return stream_petitions(self.session, units, received_from, received_before)

    async def audit_export(
        self, actor: str, unit: str, detail: dict[str, Any], now: datetime
    ) -> None:
        from storage.exports import EXPORT_ACTION

        self.session.add(
            m.AuditEntry(at=now, actor=actor, action=EXPORT_ACTION, subject=unit, detail=detail)
        )
