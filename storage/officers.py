"""Officers, the chats they are bound in and their load: the `OfficerStore` part of the store."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Recipient
from bot.domain.petition import OPEN_STATES
from bot.ports import InviteRefused, OfficerView, check_invite
from storage import models as m


class OfficerRecords:
    """Implements `bot.ports.OfficerStore` inside the caller's transaction."""

    session: AsyncSession
    _officers: dict[tuple[str, str], OfficerView | None]  # per update: see `officer_by_chat`

    async def officer_by_chat(self, channel: str, chat_id: str) -> OfficerView | None:
        key = (channel, chat_id)
        if key not in self._officers:
            self._officers[key] = await self._bound_officer(channel, chat_id)
        return self._officers[key]

    async def _bound_officer(self, channel: str, chat_id: str) -> OfficerView | None:
        row = await self.session.scalar(
            select(m.Officer)
            .join(m.OfficerBinding, m.OfficerBinding.officer_id == m.Officer.id)
            .where(
                m.OfficerBinding.channel == channel,
                m.OfficerBinding.chat_id == chat_id,
                m.Officer.active.is_(True),
            )
        )
        return _officer_view(row) if row else None

    async def officer_by_id(self, officer_id: int) -> OfficerView | None:
        row = await self.session.get(m.Officer, officer_id)
        return _officer_view(row) if row else None

    async def officer_by_handle(self, handle: str) -> OfficerView | None:
        row = await self.session.scalar(select(m.Officer).where(m.Officer.handle == handle))
        return _officer_view(row) if row else None

    async def redeem_invite(
        self, code_hash: str, channel: str, chat_id: str, now: datetime
    ) -> OfficerView:
        invite = await self.session.scalar(select(m.Invite).where(m.Invite.code_hash == code_hash))
        if invite is None:
            raise InviteRefused("invite.unknown")
        officer = await self.session.get_one(m.Officer, invite.officer_id)
        check_invite(invite.used_at, invite.expires_at, officer.active, now)
        invite.used_at = now
        existing = await self.session.scalar(
            select(m.OfficerBinding).where(
                m.OfficerBinding.channel == channel, m.OfficerBinding.chat_id == chat_id
            )
        )
        if existing is None:
            self.session.add(
                m.OfficerBinding(
                    officer_id=officer.id, channel=channel, chat_id=chat_id, bound_at=now
                )
            )
        else:
            existing.officer_id, existing.bound_at = officer.id, now
        await self.session.flush()
        self._officers.pop((channel, chat_id), None)
        return _officer_view(officer)

    async def officers_of(self, unit: str) -> list[OfficerView]:
        rows = await self.session.scalars(
            select(m.Officer)
            .where(m.Officer.unit_code == unit, m.Officer.active.is_(True))
            .order_by(m.Officer.handle)
        )
        return list(map(_officer_view, rows))

    async def heads_of(self, unit: str) -> list[OfficerView]:
        return [view for view in await self.officers_of(unit) if "head" in view.roles]

    async def reachable_officers(self, unit: str) -> set[str]:
        rows = await self.session.scalars(
            select(m.Officer.handle)
            .join(m.OfficerBinding, m.OfficerBinding.officer_id == m.Officer.id)
            .where(m.Officer.unit_code == unit, m.Officer.active.is_(True))
        )
        return set(rows)

    async def officer_chats(self, officer_id: int) -> list[Recipient]:
        rows = await self.session.scalars(
            select(m.OfficerBinding)
            .where(m.OfficerBinding.officer_id == officer_id)
            .order_by(m.OfficerBinding.id)
        )
        return [Recipient(row.channel, row.chat_id) for row in rows]

    async def open_load(self, unit: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(m.Officer.handle, func.count(m.Petition.id))
            .join(m.Petition, m.Petition.assignee_id == m.Officer.id)
            .where(m.Officer.unit_code == unit, m.Petition.state.in_(list(OPEN_STATES)))
            .group_by(m.Officer.handle)
        )
        return {handle: count for handle, count in rows.all()}


def _officer_view(row: m.Officer) -> OfficerView:
    roles = frozenset(role for role in row.roles.split(",") if role)
    return OfficerView(row.id, row.handle, row.name, row.title, row.unit_code, roles)
