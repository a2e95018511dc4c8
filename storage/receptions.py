"""Records of citizens received in person: the `ReceptionStore` part of the store."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession

from bot.ports import NewReception
from storage import models as m


class ReceptionRecords:
    """Implements `bot.ports.ReceptionStore` inside the caller's transaction."""

    session: AsyncSession

    async def add_reception(self, reception: NewReception) -> int:
        row = m.Reception(
            unit_code=reception.unit,
            recorded_by=reception.recorded_by,
            received_at=reception.received_at,
            kind=reception.kind,
            head_in_person=reception.head_in_person,
            group_size=reception.group_size,
            visitor_name=reception.visitor_name,
            visitor_phone=reception.visitor_phone,
            field=reception.field,
            content=reception.content,
            outcome=reception.outcome,
            petition_id=reception.petition_id,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id
