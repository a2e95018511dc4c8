"""The `Store` port over one SQLAlchemy session (one transaction), plus the organisation sync."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import FileRef, Recipient
from bot.domain.org import Organisation, Unit
from bot.domain.petition import OPEN_STATES, Case, PetitionState
from bot.ports import (
    CitizenView,
    DeadlineView,
    EventView,
    InviteRefused,
    NewPetition,
    OfficerView,
    PetitionDetail,
    PetitionSummary,
    StoredEvent,
)
from storage import models as m
from storage import queues
from storage.dialogues import DialogueRecords
from storage.reception_days import ReceptionDayRecords
from storage.receptions import ReceptionRecords
from storage.reports import ReportRecords


class SqlStore(ReceptionRecords, DialogueRecords, ReceptionDayRecords, ReportRecords):
    """Implements `bot.ports.Store` inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._citizens: dict[tuple[str, str], m.Citizen | None] = {}
        self._officers: dict[tuple[str, str], OfficerView | None] = {}

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
        if invite.used_at is not None:
            raise InviteRefused("invite.used")
        if invite.expires_at <= now:
            raise InviteRefused("invite.expired")
        officer = await self.session.get_one(m.Officer, invite.officer_id)
        if not officer.active:
            raise InviteRefused("invite.unknown")
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

    async def open_load(self, unit: str) -> dict[str, int]:
        rows = await self.session.execute(
            select(m.Officer.handle, func.count(m.Petition.id))
            .join(m.Petition, m.Petition.assignee_id == m.Officer.id)
            .where(m.Officer.unit_code == unit, m.Petition.state.in_(list(OPEN_STATES)))
            .group_by(m.Officer.handle)
        )
        return {handle: count for handle, count in rows.all()}

    async def add_attachments(
        self, petition_id: int, channel: str, files: tuple[FileRef, ...]
    ) -> None:
        self.session.add_all(
            m.Attachment(
                petition_id=petition_id,
                channel=channel,
                file_id=file.file_id,
                media=file.media,
                size=file.size,
                mime=file.mime if _fits(file.mime, m.Attachment.mime) else None,
                name=_clipped_name(file.name),
            )
            for file in files
        )

    async def petition_files(self, petition_id: int) -> tuple[FileRef, ...]:
        rows = await self.session.scalars(
            select(m.Attachment)
            .where(m.Attachment.petition_id == petition_id)
            .order_by(m.Attachment.id)
        )
        return tuple(
            FileRef(row.file_id, row.media, row.size, row.mime, row.name, row.channel)
            for row in rows
        )

    async def record_rating(self, petition_id: int, score: int, now: datetime) -> bool:
        existing = await self.session.scalar(
            select(m.Rating.id).where(m.Rating.petition_id == petition_id)
        )
        if existing is not None:
            return False
        self.session.add(m.Rating(petition_id=petition_id, score=score, rated_at=now))
        return True

    async def record_outcome(self, petition_id: int, outcome: str) -> None:
        row = await self.session.get_one(m.Petition, petition_id)
        row.outcome = outcome

    async def explain_rating(self, petition_id: int, reason: str, comment: str | None) -> bool:
        row = await self.session.scalar(select(m.Rating).where(m.Rating.petition_id == petition_id))
        if row is None or row.reason is not None:
            return False
        row.reason, row.comment = reason, comment
        return True

    async def extend_deadline(
        self, petition_id: int, rule_id: str, due: date, extensions: int, complexity: str
    ) -> None:
        await self.session.execute(
            update(m.Deadline)
            .where(
                m.Deadline.petition_id == petition_id,
                m.Deadline.rule_id == rule_id,
                m.Deadline.status == "open",
            )
            .values(due_date=due, extensions=extensions)
        )
        petition = await self.session.get_one(m.Petition, petition_id)
        petition.complex = complexity in {"complex", "especially_complex"}
        petition.especially_complex = complexity == "especially_complex"

    async def reassign(self, petition_id: int, unit: str, assignee_handle: str | None) -> None:
        row = await self.session.get_one(m.Petition, petition_id)
        row.unit_code = unit
        row.assignee_id = (
            await self.session.scalar(
                select(m.Officer.id).where(m.Officer.handle == assignee_handle)
            )
            if assignee_handle
            else None
        )

    async def set_state(self, petition_id: int, state: str, now: datetime) -> None:
        row = await self.session.get_one(m.Petition, petition_id)
        row.state = state
        if state == PetitionState.ACCEPTED:
            row.accepted_at = now
        if state in {PetitionState.CLOSED, PetitionState.REFUSED, PetitionState.FORWARDED}:
            row.closed_at = now

    async def settle_deadlines(self, petition_id: int, rule_ids: set[str], status: str) -> None:
        await self.session.execute(
            update(m.Deadline)
            .where(
                m.Deadline.petition_id == petition_id,
                m.Deadline.rule_id.in_(sorted(rule_ids)),
                m.Deadline.status == "open",
            )
            .values(status=status)
        )

    async def add_deadlines(
        self, petition_id: int, deadlines: list[tuple[str, date, date]]
    ) -> None:
        self.session.add_all(
            m.Deadline(petition_id=petition_id, rule_id=rule_id, start_date=start, due_date=due)
            for rule_id, start, due in deadlines
        )
        await self.session.flush()

    async def add_event(
        self,
        petition_id: int,
        actor: str,
        action: str,
        reason: str | None,
        payload: dict[str, Any],
        now: datetime,
    ) -> int:
        row = m.PetitionEvent(
            petition_id=petition_id,
            at=now,
            actor=actor,
            action=action,
            reason=reason,
            payload=payload,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def last_event(self, petition_id: int, actions: set[str]) -> StoredEvent | None:
        row = await self.session.scalar(
            select(m.PetitionEvent)
            .where(
                m.PetitionEvent.petition_id == petition_id,
                m.PetitionEvent.action.in_(sorted(actions)),
            )
            .order_by(m.PetitionEvent.id.desc())
            .limit(1)
        )
        if row is None:
            return None
        return StoredEvent(row.id, row.at, row.actor, row.action, row.reason, dict(row.payload))

    async def classify(self, petition_id: int, kind: str, field: str, case: Case) -> None:
        row = await self.session.get_one(m.Petition, petition_id)
        row.kind, row.field, row.instance = kind, field, case.instance
        row.remote_area, row.complex = case.remote_area, case.complex
        row.especially_complex = case.especially_complex
        row.group_size, row.representatives = case.group_size, case.representatives

    async def move_deadline(self, petition_id: int, rule_id: str, due: date) -> None:
        await self.session.execute(
            update(m.Deadline)
            .where(
                m.Deadline.petition_id == petition_id,
                m.Deadline.rule_id == rule_id,
                m.Deadline.status == "open",
            )
            .values(due_date=due)
        )

    async def grant_identity(
        self, petition_id: int, officer_id: int, granted_by: int, now: datetime
    ) -> bool:
        existing = await self.session.scalar(
            select(m.IdentityGrant.id).where(
                m.IdentityGrant.petition_id == petition_id,
                m.IdentityGrant.officer_id == officer_id,
            )
        )
        if existing is not None:
            return False
        self.session.add(
            m.IdentityGrant(
                petition_id=petition_id,
                officer_id=officer_id,
                granted_by=granted_by,
                granted_at=now,
            )
        )
        return True

    async def citizen_chat(self, citizen_id: int) -> Recipient | None:
        row = await self.session.get(m.Citizen, citizen_id)
        return Recipient(row.channel, row.chat_id) if row else None

    async def heads_of(self, unit: str) -> list[OfficerView]:
        return [view for view in await self.officers_of(unit) if "head" in view.roles]

    async def officers_of(self, unit: str) -> list[OfficerView]:
        rows = await self.session.scalars(
            select(m.Officer)
            .where(m.Officer.unit_code == unit, m.Officer.active.is_(True))
            .order_by(m.Officer.handle)
        )
        return list(map(_officer_view, rows))

    async def has_pending_job(self, kind: str, payload: dict[str, Any] | None = None) -> bool:
        pending = await queues.pending_payloads(self.session, kind)
        return bool(pending) if payload is None else payload in pending

    async def schedule(
        self, kind: str, due_at: datetime, payload: dict[str, Any], petition_id: int | None
    ) -> None:
        await queues.schedule_job(self.session, kind, due_at, payload, petition_id)

    async def reachable_officers(self, unit: str) -> set[str]:
        rows = await self.session.scalars(
            select(m.Officer.handle)
            .join(m.OfficerBinding, m.OfficerBinding.officer_id == m.Officer.id)
            .where(m.Officer.unit_code == unit, m.Officer.active.is_(True))
        )
        return set(rows)

    async def next_petition_number(self, prefix: str, year: int) -> int:
        counter = await self.session.get(m.CodeCounter, (prefix, year))
        if counter is None:
            counter = m.CodeCounter(unit_code=prefix, year=year, last=0)
            self.session.add(counter)
        counter.last += 1
        await self.session.flush()
        return counter.last

    async def add_petition(self, petition: NewPetition) -> int:
        assignee_id = None
        if petition.assignee_handle:
            assignee_id = await self.session.scalar(
                select(m.Officer.id).where(m.Officer.handle == petition.assignee_handle)
            )
        row = m.Petition(
            code=petition.code,
            kind=petition.kind,
            field=petition.field,
            unit_code=petition.unit,
            area_code=petition.area,
            assignee_id=assignee_id,
            citizen_id=petition.citizen_id,
            state=PetitionState.RECEIVED.value,
            anonymous=petition.anonymous,
            filer_name=petition.filer_name,
            filer_phone=petition.filer_phone,
            filer_address=petition.filer_address,
            content=petition.content,
            place_note=petition.place_note,
            latitude=petition.latitude,
            longitude=petition.longitude,
            channel=petition.channel,
            received_at=petition.received_at,
            group_size=petition.group_size,
            instance=petition.instance,
            parent_id=petition.parent_id,
            dialogue_id=petition.dialogue_id,
        )
        self.session.add(row)
        await self.session.flush()
        await self.add_attachments(row.id, petition.channel, petition.attachments)
        self.session.add_all(
            m.Deadline(petition_id=row.id, rule_id=rule_id, start_date=start, due_date=due)
            for rule_id, start, due in petition.deadlines
        )
        self.session.add(
            m.PetitionEvent(
                petition_id=row.id,
                at=petition.received_at,
                actor="citizen",
                action="received",
                payload=petition.event_payload,
            )
        )
        await self.session.flush()
        return row.id

    async def petitions_of_citizen(self, citizen_id: int, limit: int) -> list[PetitionSummary]:
        rows = await self.session.scalars(
            select(m.Petition)
            .where(m.Petition.citizen_id == citizen_id)
            .order_by(m.Petition.received_at.desc(), m.Petition.id.desc())
            .limit(limit)
        )
        return await self._summaries(list(rows))

    async def petitions_assigned(self, officer_id: int, limit: int) -> list[PetitionSummary]:
        return await self._open_by_due(m.Petition.assignee_id == officer_id, limit)

    async def petitions_of_units(
        self, units: list[str], limit: int, due_before: date | None = None
    ) -> list[PetitionSummary]:
        return await self._open_by_due(m.Petition.unit_code.in_(units), limit, due_before)

    async def _open_by_due(
        self, condition: Any, limit: int, due_before: date | None = None
    ) -> list[PetitionSummary]:
        """Open petitions matching `condition`, soonest open deadline first."""
        soonest = (
            select(m.Deadline.petition_id, func.min(m.Deadline.due_date).label("due"))
            .where(m.Deadline.status == "open")
            .group_by(m.Deadline.petition_id)
            .subquery()
        )
        query = (
            select(m.Petition)
            .outerjoin(soonest, soonest.c.petition_id == m.Petition.id)
            .where(condition, m.Petition.state.in_(list(OPEN_STATES)))
        )
        if due_before is not None:
            query = query.where(soonest.c.due < due_before)
        rows = await self.session.scalars(
            query.order_by(soonest.c.due.asc().nulls_last(), m.Petition.id).limit(limit)
        )
        return await self._summaries(list(rows))

    async def _summaries(self, rows: list[m.Petition]) -> list[PetitionSummary]:
        deadlines = await self._deadlines([row.id for row in rows])
        return [_summary(row, deadlines[row.id]) for row in rows]

    async def _deadlines(self, petition_ids: list[int]) -> dict[int, list[DeadlineView]]:
        found: dict[int, list[DeadlineView]] = defaultdict(list)
        if not petition_ids:
            return found
        rows = await self.session.scalars(
            select(m.Deadline)
            .where(m.Deadline.petition_id.in_(petition_ids))
            .order_by(m.Deadline.due_date, m.Deadline.id)
        )
        for row in rows:
            found[row.petition_id].append(
                DeadlineView(row.rule_id, row.due_date, row.status, row.start_date, row.extensions)
            )
        return found

    async def petition_events(self, petition_id: int) -> list[EventView]:
        rows = await self.session.scalars(
            select(m.PetitionEvent)
            .where(m.PetitionEvent.petition_id == petition_id)
            .order_by(m.PetitionEvent.at, m.PetitionEvent.id)
        )
        return [EventView(row.at, row.action, row.reason) for row in rows]

    async def petition_id_by_code(self, code: str) -> int | None:
        return await self.session.scalar(select(m.Petition.id).where(m.Petition.code == code))

    async def petition(self, petition_id: int) -> PetitionDetail | None:
        row = await self.session.get(m.Petition, petition_id)
        if row is None:
            return None
        deadlines = await self._deadlines([row.id])
        attachments = await self.session.scalar(
            select(func.count(m.Attachment.id)).where(m.Attachment.petition_id == row.id)
        )
        return PetitionDetail(
            summary=_summary(row, deadlines[row.id]),
            unit=row.unit_code,
            area=row.area_code,
            assignee_id=row.assignee_id,
            citizen_id=row.citizen_id,
            content=row.content,
            place_note=row.place_note,
            latitude=row.latitude,
            longitude=row.longitude,
            anonymous=row.anonymous,
            filer_name=row.filer_name,
            filer_phone=row.filer_phone,
            filer_address=row.filer_address,
            attachments=attachments or 0,
            case=Case(
                instance=row.instance,
                remote_area=row.remote_area,
                complex=row.complex,
                especially_complex=row.especially_complex,
                group_size=row.group_size,
                representatives=row.representatives,
            ),
            parent_id=row.parent_id,
            identity_viewers=frozenset(
                await self.session.scalars(
                    select(m.IdentityGrant.officer_id).where(m.IdentityGrant.petition_id == row.id)
                )
            ),
        )

    async def officer_chats(self, officer_id: int) -> list[Recipient]:
        rows = await self.session.scalars(
            select(m.OfficerBinding)
            .where(m.OfficerBinding.officer_id == officer_id)
            .order_by(m.OfficerBinding.id)
        )
        return [Recipient(row.channel, row.chat_id) for row in rows]

    async def locale_of(self, recipient: Recipient) -> str | None:
        return await self.session.scalar(
            select(m.Conversation.locale).where(
                m.Conversation.channel == recipient.channel,
                m.Conversation.chat_id == recipient.chat_id,
            )
        )

    async def audit(
        self, actor: str, action: str, subject: str, detail: dict[str, Any], now: datetime
    ) -> None:
        self.session.add(
            m.AuditEntry(at=now, actor=actor, action=action, subject=subject, detail=detail)
        )


def _citizen_view(row: m.Citizen) -> CitizenView:
    return CitizenView(row.id, row.name, row.phone, row.address, row.consent_at)


def _officer_view(row: m.Officer) -> OfficerView:
    roles = frozenset(role for role in row.roles.split(",") if role)
    return OfficerView(row.id, row.handle, row.name, row.title, row.unit_code, roles)


def _summary(row: m.Petition, deadlines: list[DeadlineView]) -> PetitionSummary:
    return PetitionSummary(
        row.id, row.code, row.kind, row.field, row.state, row.received_at, tuple(deadlines)
    )


async def sync_organisation(session: AsyncSession, org: Organisation) -> None:
    """Make the database's units, villages and officers match the organisation file.

    Officers are matched by handle and never deleted (petitions and history refer to them): one
    who left the file is marked inactive and loses access.
    """
    units = {row.code: row for row in await session.scalars(select(m.Unit))}
    for unit in _parents_first(org):
        unit_row = units.get(unit.code) or m.Unit(code=unit.code)
        unit_row.name, unit_row.kind, unit_row.parent_code = unit.name, unit.kind, unit.parent
        session.add(unit_row)
    await session.flush()
    areas = {row.code: row for row in await session.scalars(select(m.Area))}
    for area in org.areas.values():
        area_row = areas.get(area.code) or m.Area(code=area.code)
        area_row.unit_code, area_row.name = area.unit, area.name
        session.add(area_row)
    officers = {row.handle: row for row in await session.scalars(select(m.Officer))}
    for record in org.officers:
        officer = officers.get(record.handle) or m.Officer(handle=record.handle)
        officer.name, officer.title, officer.unit_code = record.name, record.title, record.unit
        officer.roles = ",".join(sorted(record.roles))
        officer.on_duty, officer.active = record.on_duty, True
        session.add(officer)
    configured = {record.handle for record in org.officers}
    for handle, officer in officers.items():
        if handle not in configured:
            officer.active = False
    await session.flush()


def _parents_first(org: Organisation) -> list[Unit]:
    """Units ordered so that a parent is written before its children."""
    ordered: list[Unit] = []
    seen: set[str] = set()

    def visit(code: str) -> None:
        if code in seen:
            return
        unit = org.units[code]
        if unit.parent:
            visit(unit.parent)
        seen.add(code)
        ordered.append(unit)

    for code in org.units:
        visit(code)
    return ordered


def _fits(value: str | None, column: Any) -> bool:
    """Whether a text from a platform fits its column (PostgreSQL refuses one that does not)."""
    return value is None or len(value) <= column.type.length


def _clipped_name(name: str | None) -> str | None:
    """A file's name within its column, keeping the extension that it is opened by."""
    limit = m.Attachment.name.type.length
    if name is None or len(name) <= limit:
        return name
    stem, dot, extension = name.rpartition(".")
    if dot and 0 < len(extension) <= 10:
        return f"{stem[: limit - len(extension) - 1]}.{extension}"
    return name[:limit]
