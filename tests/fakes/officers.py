"""Officers in memory: the fake `OfficerStore`."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from bot.core import Recipient
from bot.domain.petition import OPEN_STATES
from bot.ports import InviteRefused, OfficerView, check_invite
from tests.fakes.tables import OfficerRow, Tables


class FakeOfficers:
    """Implements `bot.ports.OfficerStore` over `Tables`."""

    tables: Tables

    async def officer_by_chat(self, channel: str, chat_id: str) -> OfficerView | None:
        officer_id = self.tables.bindings.get(Recipient(channel, chat_id))
        row = self.tables.officers.get(officer_id) if officer_id is not None else None
        return officer_view(row) if row and row.active else None

    async def officer_by_handle(self, handle: str) -> OfficerView | None:
        row = self._officer_row(handle)
        return officer_view(row) if row else None

    def _officer_row(self, handle: str) -> OfficerRow | None:
        return next((row for row in self.tables.officers.values() if row.handle == handle), None)

    async def officer_by_id(self, officer_id: int) -> OfficerView | None:
        row = self.tables.officers.get(officer_id)
        return officer_view(row) if row else None

    async def redeem_invite(
        self, code_hash: str, channel: str, chat_id: str, now: datetime
    ) -> OfficerView:
        invite = self.tables.invites.get(code_hash)
        if invite is None:
            raise InviteRefused("invite.unknown")
        officer = self.tables.officers[invite.officer_id]
        check_invite(invite.used_at, invite.expires_at, officer.active, now)
        invite.used_at = now
        self.tables.bindings[Recipient(channel, chat_id)] = officer.id
        return officer_view(officer)

    async def officers_of(self, unit: str) -> list[OfficerView]:
        rows = (row for row in self.tables.officers.values() if row.unit == unit and row.active)
        return [officer_view(row) for row in sorted(rows, key=lambda row: row.handle)]

    async def heads_of(self, unit: str) -> list[OfficerView]:
        return [view for view in await self.officers_of(unit) if "head" in view.roles]

    async def reachable_officers(self, unit: str) -> set[str]:
        bound = set(self.tables.bindings.values())
        return {view.handle for view in await self.officers_of(unit) if view.id in bound}

    async def officer_chats(self, officer_id: int) -> list[Recipient]:
        return [chat for chat, bound in self.tables.bindings.items() if bound == officer_id]

    async def open_load(self, unit: str) -> dict[str, int]:
        officers = self.tables.officers
        return dict(
            Counter(
                officers[petition.assignee_id].handle
                for petition in self.tables.petitions.values()
                if petition.assignee_id is not None
                and officers[petition.assignee_id].unit == unit
                and petition.state in OPEN_STATES
            )
        )


def officer_view(row: OfficerRow) -> OfficerView:
    """What callers see of an officer."""
    return OfficerView(row.id, row.handle, row.name, row.title, row.unit, row.roles)
