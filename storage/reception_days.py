"""Regular reception days and their booked slots: the `ReceptionDayStore` part of the store."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class ReceptionDayRecords:
    """Implements `bot.ports.ReceptionDayStore` inside the caller's transaction."""

    session: AsyncSession
