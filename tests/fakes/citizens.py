"""Citizens in memory: the fake `CitizenStore`."""

from __future__ import annotations

from datetime import datetime

from bot.core import Recipient
from bot.ports import CitizenView
from tests.fakes.tables import CitizenRow, Tables


class FakeCitizens:
    """Implements `bot.ports.CitizenStore` over `Tables`."""

    tables: Tables

    async def citizen(self, channel: str, chat_id: str) -> CitizenView | None:
        row = self._citizen_row(Recipient(channel, chat_id))
        return _citizen_view(row) if row else None

    async def ensure_citizen(
        self, channel: str, chat_id: str, user_id: str, now: datetime
    ) -> CitizenView:
        chat = Recipient(channel, chat_id)
        row = self._citizen_row(chat)
        if row is None:
            row = CitizenRow(self.tables.new_id("citizen"), chat, user_id, created_at=now)
            self.tables.citizens[row.id] = row
        return _citizen_view(row)

    def _citizen_row(self, chat: Recipient) -> CitizenRow | None:
        return next((row for row in self.tables.citizens.values() if row.chat == chat), None)

    async def record_consent(self, citizen_id: int, now: datetime) -> None:
        self.tables.citizens[citizen_id].consent_at = now

    async def remember_identity(
        self, citizen_id: int, name: str | None, phone: str | None, address: str | None
    ) -> None:
        row = self.tables.citizens[citizen_id]
        row.name, row.phone, row.address = name, phone, address

    async def citizen_chat(self, citizen_id: int) -> Recipient | None:
        row = self.tables.citizens.get(citizen_id)
        return row.chat if row else None

    async def locale_of(self, recipient: Recipient) -> str | None:
        return self.tables.locales.get(recipient)


def _citizen_view(row: CitizenRow) -> CitizenView:
    return CitizenView(row.id, row.name, row.phone, row.address, row.consent_at)
