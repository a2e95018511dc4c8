"""Visits to the office in memory: the fake `ReceptionStore`."""

from __future__ import annotations

from bot.ports import NewReception
from tests.fakes.tables import Tables


class FakeReceptions:
    """Implements `bot.ports.ReceptionStore` over `Tables`."""

    tables: Tables

    async def add_reception(self, reception: NewReception) -> int:
        reception_id = self.tables.new_id("reception")
        self.tables.receptions[reception_id] = reception
        return reception_id
