"""The row-level export over the fake's records: the fake `ExportStore`.

The database's query (`storage.exports`) written as plain Python: the period and units, oldest
first, a denouncer's identity and story withheld, phone and ID numbers masked. The fake knows no
unit or village names: it puts their codes where the database puts names.
"""

from __future__ import annotations

from collections.abc import AsyncGenerator, Collection
from datetime import datetime
from typing import Any

from bot.domain.petition import IDENTITY_NEEDS, PetitionKind, mask_personal_numbers, mask_phone
from bot.domain.workflow import Action
from bot.reporting.exports import PetitionRecord
from storage.exports import CHUNK_ROWS, EXPORT_ACTION
from tests.fakes.tables import AuditRow, PetitionRow, Tables

SETTLING = {Action.ACCEPT, Action.REFUSE, Action.FORWARD, Action.GUIDE, Action.ANSWER}


class FakeExports:
    """Implements `bot.ports.ExportStore` over `Tables`."""

    tables: Tables

    async def export_chunks(
        self, units: Collection[str], received_from: datetime, received_before: datetime
    ) -> AsyncGenerator[list[PetitionRecord]]:
        rows = sorted(
            (
                row
                for row in self.tables.petitions.values()
                if row.unit in units and received_from <= row.received_at < received_before
            ),
            key=lambda row: (row.received_at, row.id),
        )
        for start in range(0, len(rows), CHUNK_ROWS):
            yield [_record(row) for row in rows[start : start + CHUNK_ROWS]]

    async def audit_export(
        self, actor: str, unit: str, detail: dict[str, Any], now: datetime
    ) -> None:
        self.tables.audit_log.append(AuditRow(now, actor, EXPORT_ACTION, unit, dict(detail)))


def _record(row: PetitionRow) -> PetitionRecord:
    """A petition as the export sees it: a denouncer's identity, story and place withheld."""
    secret = IDENTITY_NEEDS[PetitionKind(row.kind)].secret
    binding = [d for d in row.deadlines if d.status != "superseded"]
    main = max(binding, key=lambda d: (d.due_date, d.id), default=None)
    return PetitionRecord(
        code=row.code,
        kind=row.kind,
        field=row.field,
        unit_name=row.unit,
        village=row.area,
        channel=row.channel,
        received_at=row.received_at,
        state=row.state,
        instance=row.case.instance,
        group_size=row.case.group_size,
        accepted_at=row.accepted_at,
        answered_at=_last(row, {Action.ANSWER}),
        closed_at=row.closed_at,
        outcome=row.outcome,
        main_due=main.due_date if main else None,
        main_status=main.status if main else None,
        settled_at=_last(row, SETTLING),
        anonymous=row.anonymous,
        filer_name=None if secret else mask_personal_numbers(row.filer_name) or None,
        filer_phone=None if secret else mask_phone(row.filer_phone) or None,
        filer_address=None if secret else mask_personal_numbers(row.filer_address) or None,
        content="" if secret else mask_personal_numbers(row.content),
        latitude=None if secret else row.latitude,
        longitude=None if secret else row.longitude,
    )


def _last(row: PetitionRow, actions: set[Action]) -> datetime | None:
    """When the petition last had one of these steps."""
    return max((event.at for event in row.events if event.action in actions), default=None)
