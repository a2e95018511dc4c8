"""Records of citizens received in person: the `ReceptionStore` part of the store."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class ReceptionRecords:
    """Implements `bot.ports.ReceptionStore` inside the caller's transaction."""

    session: AsyncSession
