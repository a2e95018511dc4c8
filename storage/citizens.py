"""Citizens, their consent and details, and the language of a chat: the `CitizenStore` part."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Recipient
from bot.ports import CitizenView
from storage import models as m


class CitizenRecords:
    """Implements `bot.ports.CitizenStore` inside the caller's transaction."""

    session: AsyncSession
    _citizens: dict[tuple[str, str], m.Citizen | None]  # per update: see `_citizen_row`

    async def citizen(self, channel: str, chat_id: str) -> CitizenView | None:
        row = await self._citizen_row(channel, chat_id)
        return _citizen_view(row) if row else None

    async def ensure_citizen(
        self, channel: str, chat_id: str, user_id: str, now: datetime
    ) -> CitizenView:
        row = await self._citizen_row(channel, chat_id)
        if row is None:
            row = m.Citizen(channel=channel, chat_id=chat_id, user_id=user_id, created_at=now)
            self.session.add(row)
            await self.session.flush()
            self._citizens[(channel, chat_id)] = row
        return _citizen_view(row)

    async def _citizen_row(self, channel: str, chat_id: str) -> m.Citizen | None:
        """The citizen row, asked of the database once per update (handlers ask often)."""
        key = (channel, chat_id)
        if key not in self._citizens:
            self._citizens[key] = await self.session.scalar(
                select(m.Citizen).where(m.Citizen.channel == channel, m.Citizen.chat_id == chat_id)
            )
        return self._citizens[key]

    async def record_consent(self, citizen_id: int, now: datetime) -> None:
        row = await self.session.get_one(m.Citizen, citizen_id)
        row.consent_at = now

    async def remember_identity(
        self, citizen_id: int, name: str | None, phone: str | None, address: str | None
    ) -> None:
        row = await self.session.get_one(m.Citizen, citizen_id)
        row.name, row.phone, row.address = name, phone, address

    async def citizen_chat(self, citizen_id: int) -> Recipient | None:
        row = await self.session.get(m.Citizen, citizen_id)
        return Recipient(row.channel, row.chat_id) if row else None

    async def locale_of(self, recipient: Recipient) -> str | None:
        return await self.session.scalar(
            select(m.Conversation.locale).where(
                m.Conversation.channel == recipient.channel,
                m.Conversation.chat_id == recipient.chat_id,
            )
        )


def _citizen_view(row: m.Citizen) -> CitizenView:
    return CitizenView(row.id, row.name, row.phone, row.address, row.consent_at)
