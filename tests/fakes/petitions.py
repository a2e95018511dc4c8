"""Petitions in memory, with their files, dates, history and ratings: the fake `PetitionStore`,
`DeadlineStore`, `HistoryStore` and `RatingStore`."""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable
from datetime import date, datetime
from typing import Any

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
from tests.fakes.tables import DeadlineRow, EventRow, PetitionRow, RatingRow, Tables

CLOSING_STATES = {PetitionState.CLOSED, PetitionState.REFUSED, PetitionState.FORWARDED}


class FakePetitions:
    """Implements `bot.ports.PetitionStore` over `Tables`."""

    tables: Tables

    async def next_petition_number(self, prefix: str, year: int) -> int:
        self.tables.counters[prefix, year] += 1
        return self.tables.counters[prefix, year]

    async def add_petition(self, petition: NewPetition) -> int:
        row = PetitionRow(
            id=self.tables.new_id("petition"),
            code=petition.code,
            kind=petition.kind,
            field=petition.field,
            unit=petition.unit,
            area=petition.area,
            assignee_id=self._officer_id(petition.assignee_handle),
            citizen_id=petition.citizen_id,
            state=PetitionState.RECEIVED.value,
            content=petition.content,
            place_note=petition.place_note,
            latitude=petition.latitude,
            longitude=petition.longitude,
            anonymous=petition.anonymous,
            filer_name=petition.filer_name,
            filer_phone=petition.filer_phone,
            filer_address=petition.filer_address,
            channel=petition.channel,
            received_at=petition.received_at,
            case=Case(instance=petition.instance, group_size=petition.group_size),
            parent_id=petition.parent_id,
        )
        self.tables.petitions[row.id] = row
        await self.add_attachments(row.id, petition.channel, petition.attachments)
        row.deadlines += _deadline_rows(self.tables, petition.deadlines)
        row.events.append(
            EventRow(
                self.tables.new_id("event"),
                petition.received_at,
                "citizen",
                "received",
                None,
                dict(petition.event_payload),
            )
        )
        return row.id

    def _officer_id(self, handle: str | None) -> int | None:
        officers = self.tables.officers.values()
        return next((row.id for row in officers if handle and row.handle == handle), None)

    async def petition(self, petition_id: int) -> PetitionDetail | None:
        row = self.tables.petitions.get(petition_id)
        if row is None:
            return None
        return PetitionDetail(
            summary=_summary(row),
            unit=row.unit,
            area=row.area,
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
            attachments=len(row.files),
            case=row.case,
            parent_id=row.parent_id,
            identity_viewers=frozenset(row.identity_viewers),
        )

    async def petition_id_by_code(self, code: str) -> int | None:
        rows = self.tables.petitions.values()
        return next((row.id for row in rows if row.code == code), None)

    async def petitions_of_citizen(self, citizen_id: int, limit: int) -> list[PetitionSummary]:
        rows = [row for row in self.tables.petitions.values() if row.citizen_id == citizen_id]
        rows.sort(key=lambda row: (row.received_at, row.id), reverse=True)
        return [_summary(row) for row in rows[:limit]]

    async def petitions_assigned(self, officer_id: int, limit: int) -> list[PetitionSummary]:
        return self._open_by_due(lambda row: row.assignee_id == officer_id, limit)

    async def petitions_of_units(
        self, units: list[str], limit: int, due_before: date | None = None
    ) -> list[PetitionSummary]:
        def wanted(row: PetitionRow) -> bool:
            due = _soonest_due(row)
            overdue = due_before is None or (due is not None and due < due_before)
            return row.unit in units and overdue

        return self._open_by_due(wanted, limit)

    def _open_by_due(
        self, wanted: Callable[[PetitionRow], bool], limit: int
    ) -> list[PetitionSummary]:
        """Open petitions `wanted`, soonest open deadline first (none last), then by id."""
        rows = [
            row
            for row in self.tables.petitions.values()
            if row.state in OPEN_STATES and wanted(row)
        ]
        rows.sort(key=lambda row: (_soonest_due(row) or date.max, row.id))
        return [_summary(row) for row in rows[:limit]]

    async def add_attachments(
        self, petition_id: int, channel: str, files: tuple[FileRef, ...]
    ) -> None:
        row = self.tables.petitions[petition_id]
        row.files += [dataclasses.replace(file, channel=channel) for file in files]

    async def petition_files(self, petition_id: int) -> tuple[FileRef, ...]:
        row = self.tables.petitions.get(petition_id)
        return tuple(row.files) if row else ()

    async def set_state(self, petition_id: int, state: str, now: datetime) -> None:
        row = self.tables.petitions[petition_id]
        row.state = state
        if state == PetitionState.ACCEPTED:
            row.accepted_at = now
        if state in CLOSING_STATES:
            row.closed_at = now

    async def reassign(self, petition_id: int, unit: str, assignee_handle: str | None) -> None:
        row = self.tables.petitions[petition_id]
        row.unit, row.assignee_id = unit, self._officer_id(assignee_handle)

    async def classify(self, petition_id: int, kind: str, field: str, case: Case) -> None:
        row = self.tables.petitions[petition_id]
        row.kind, row.field, row.case = kind, field, case

    async def record_outcome(self, petition_id: int, outcome: str) -> None:
        self.tables.petitions[petition_id].outcome = outcome

    async def grant_identity(
        self, petition_id: int, officer_id: int, granted_by: int, now: datetime
    ) -> bool:
        viewers = self.tables.petitions[petition_id].identity_viewers
        if officer_id in viewers:
            return False
        viewers.add(officer_id)
        return True


class FakeDeadlines:
    """Implements `bot.ports.DeadlineStore` over `Tables`."""

    tables: Tables

    async def add_deadlines(
        self, petition_id: int, deadlines: list[tuple[str, date, date]]
    ) -> None:
        self.tables.petitions[petition_id].deadlines += _deadline_rows(self.tables, deadlines)

    async def move_deadline(self, petition_id: int, rule_id: str, due: date) -> None:
        for deadline in self._open(petition_id, {rule_id}):
            deadline.due_date = due

    async def extend_deadline(
        self, petition_id: int, rule_id: str, due: date, extensions: int, complexity: str
    ) -> None:
        for deadline in self._open(petition_id, {rule_id}):
            deadline.due_date, deadline.extensions = due, extensions
        row = self.tables.petitions[petition_id]
        row.case = dataclasses.replace(
            row.case,
            complex=complexity in {"complex", "especially_complex"},
            especially_complex=complexity == "especially_complex",
        )

    async def settle_deadlines(self, petition_id: int, rule_ids: set[str], status: str) -> None:
        for deadline in self._open(petition_id, rule_ids):
            deadline.status = status

    def _open(self, petition_id: int, rule_ids: set[str]) -> list[DeadlineRow]:
        deadlines = self.tables.petitions[petition_id].deadlines
        return [d for d in deadlines if d.rule_id in rule_ids and d.status == "open"]


class FakeHistory:
    """Implements `bot.ports.HistoryStore` over `Tables`."""

    tables: Tables

    async def add_event(
        self,
        petition_id: int,
        actor: str,
        action: str,
        reason: str | None,
        payload: dict[str, Any],
        now: datetime,
    ) -> int:
        event = EventRow(self.tables.new_id("event"), now, actor, action, reason, dict(payload))
        self.tables.petitions[petition_id].events.append(event)
        return event.id

    async def last_event(self, petition_id: int, actions: set[str]) -> StoredEvent | None:
        row = self.tables.petitions.get(petition_id)
        events = row.events if row else []
        found = [event for event in events if event.action in actions]
        if not found:
            return None
        last = found[-1]
        return StoredEvent(
            last.id, last.at, last.actor, last.action, last.reason, dict(last.payload)
        )

    async def petition_events(self, petition_id: int) -> list[EventView]:
        row = self.tables.petitions.get(petition_id)
        events = sorted(row.events if row else [], key=lambda event: (event.at, event.id))
        return [EventView(event.at, event.action, event.reason) for event in events]


class FakeRatings:
    """Implements `bot.ports.RatingStore` over `Tables`."""

    tables: Tables

    async def record_rating(self, petition_id: int, score: int, now: datetime) -> bool:
        row = self.tables.petitions[petition_id]
        if row.rating is not None:
            return False
        row.rating = RatingRow(score, now)
        return True

    async def explain_rating(self, petition_id: int, reason: str, comment: str | None) -> bool:
        rating = self.tables.petitions[petition_id].rating
        if rating is None or rating.reason is not None:
            return False
        rating.reason, rating.comment = reason, comment
        return True

    async def rating(self, petition_id: int) -> RatingView | None:
        row = self.tables.petitions.get(petition_id)
        rating = row.rating if row else None
        return RatingView(rating.score, rating.reason, rating.comment) if rating else None


def _deadline_rows(tables: Tables, items: Iterable[tuple[str, date, date]]) -> list[DeadlineRow]:
    """New open deadlines (rule id, start, due)."""
    return [DeadlineRow(tables.new_id("deadline"), rule, start, due) for rule, start, due in items]


def _soonest_due(row: PetitionRow) -> date | None:
    return min((d.due_date for d in row.deadlines if d.status == "open"), default=None)


def _summary(row: PetitionRow) -> PetitionSummary:
    return PetitionSummary(
        row.id,
        row.code,
        row.kind,
        row.field,
        row.state,
        row.received_at,
        tuple(_deadline_views(row.deadlines)),
    )


def _deadline_views(deadlines: Iterable[DeadlineRow]) -> list[DeadlineView]:
    ordered = sorted(deadlines, key=lambda d: (d.due_date, d.id))
    return [
        DeadlineView(d.rule_id, d.due_date, d.status, d.start_date, d.extensions) for d in ordered
    ]
