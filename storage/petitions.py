"""Petitions with their files, dates, history and ratings: the `PetitionStore`, `DeadlineStore`,
`HistoryStore` and `RatingStore` parts of the store."""

from __future__ import annotations

from collections import defaultdict
from datetime import date, datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import FileRef
from bot.domain.petition import OPEN_STATES, Case, PetitionState
from bot.ports import (
    DeadlineView,
    EventView,
    NewPetition,
    PetitionDetail,
    PetitionSummary,
    RatingView,
    StoredEvent,
)
from storage import models as m


class PetitionRecords:
    """Implements `bot.ports.PetitionStore` inside the caller's transaction."""

    session: AsyncSession

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

    async def petition_id_by_code(self, code: str) -> int | None:
        return await self.session.scalar(select(m.Petition.id).where(m.Petition.code == code))

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

    async def set_state(self, petition_id: int, state: str, now: datetime) -> None:
        row = await self.session.get_one(m.Petition, petition_id)
        row.state = state
        if state == PetitionState.ACCEPTED:
            row.accepted_at = now
        if state in {PetitionState.CLOSED, PetitionState.REFUSED, PetitionState.FORWARDED}:
            row.closed_at = now

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

    async def classify(self, petition_id: int, kind: str, field: str, case: Case) -> None:
        row = await self.session.get_one(m.Petition, petition_id)
        row.kind, row.field, row.instance = kind, field, case.instance
        row.remote_area, row.complex = case.remote_area, case.complex
        row.especially_complex = case.especially_complex
        row.group_size, row.representatives = case.group_size, case.representatives

    async def record_outcome(self, petition_id: int, outcome: str) -> None:
        row = await self.session.get_one(m.Petition, petition_id)
        row.outcome = outcome

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


class DeadlineRecords:
    """Implements `bot.ports.DeadlineStore` inside the caller's transaction."""

    session: AsyncSession

    async def add_deadlines(
        self, petition_id: int, deadlines: list[tuple[str, date, date]]
    ) -> None:
        self.session.add_all(
            m.Deadline(petition_id=petition_id, rule_id=rule_id, start_date=start, due_date=due)
            for rule_id, start, due in deadlines
        )
        await self.session.flush()

    async def move_deadline(self, petition_id: int, rule_id: str, due: date) -> None:
        await self._update_open(petition_id, {rule_id}, due_date=due)

    async def extend_deadline(
        self, petition_id: int, rule_id: str, due: date, extensions: int, complexity: str
    ) -> None:
        await self._update_open(petition_id, {rule_id}, due_date=due, extensions=extensions)
        petition = await self.session.get_one(m.Petition, petition_id)
        petition.complex = complexity in {"complex", "especially_complex"}
        petition.especially_complex = complexity == "especially_complex"

    async def settle_deadlines(self, petition_id: int, rule_ids: set[str], status: str) -> None:
        await self._update_open(petition_id, rule_ids, status=status)

    async def _update_open(self, petition_id: int, rule_ids: set[str], **values: Any) -> None:
        """Change a petition's open deadlines of these rules; a settled one stays as it was."""
        await self.session.execute(
            update(m.Deadline)
            .where(
                m.Deadline.petition_id == petition_id,
                m.Deadline.rule_id.in_(sorted(rule_ids)),
                m.Deadline.status == "open",
            )
            .values(**values)
        )


class HistoryRecords:
    """Implements `bot.ports.HistoryStore` inside the caller's transaction."""

    session: AsyncSession

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

    async def petition_events(self, petition_id: int) -> list[EventView]:
        rows = await self.session.scalars(
            select(m.PetitionEvent)
            .where(m.PetitionEvent.petition_id == petition_id)
            .order_by(m.PetitionEvent.at, m.PetitionEvent.id)
        )
        return [EventView(row.at, row.action, row.reason) for row in rows]


class RatingRecords:
    """Implements `bot.ports.RatingStore` inside the caller's transaction."""

    session: AsyncSession

    async def record_rating(self, petition_id: int, score: int, now: datetime) -> bool:
        existing = await self.session.scalar(
            select(m.Rating.id).where(m.Rating.petition_id == petition_id)
        )
        if existing is not None:
            return False
        self.session.add(m.Rating(petition_id=petition_id, score=score, rated_at=now))
        return True

    async def explain_rating(self, petition_id: int, reason: str, comment: str | None) -> bool:
        row = await self.session.scalar(select(m.Rating).where(m.Rating.petition_id == petition_id))
        if row is None or row.reason is not None:
            return False
        row.reason, row.comment = reason, comment
        return True

    async def rating(self, petition_id: int) -> RatingView | None:
        row = await self.session.scalar(select(m.Rating).where(m.Rating.petition_id == petition_id))
        return RatingView(row.score, row.reason, row.comment) if row is not None else None


def _summary(row: m.Petition, deadlines: list[DeadlineView]) -> PetitionSummary:
    return PetitionSummary(
        row.id, row.code, row.kind, row.field, row.state, row.received_at, tuple(deadlines)
    )


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
