"""Reception days and their booked slots in memory: the fake `ReceptionDayStore`."""

from __future__ import annotations

import dataclasses
from collections import Counter
from collections.abc import Callable
from datetime import date, datetime

from bot.domain.reception import ReceptionKind
from bot.domain.reception_days import BookingStatus
from bot.i18n import LOCAL_TZ
from bot.ports import BookingView, HeadActivity, NewReceptionSchedule, ReceptionScheduleView
from tests.fakes.officers import officer_view
from tests.fakes.tables import BookingRow, Tables


class FakeReceptionDays:
    """Implements `bot.ports.ReceptionDayStore` over `Tables`."""

    tables: Tables

    async def add_reception_schedule(self, schedule: NewReceptionSchedule) -> int:
        schedule_id = self.tables.new_id("schedule")
        self.tables.schedules[schedule_id] = ReceptionScheduleView(
            schedule_id,
            schedule.unit,
            schedule.officer_id,
            schedule.weekday,
            schedule.starts,
            schedule.ends,
            schedule.slot_minutes,
            schedule.capacity,
            schedule.place,
            active=True,
        )
        return schedule_id

    async def reception_schedule(
        self, schedule_id: int, *, lock: bool = False
    ) -> ReceptionScheduleView | None:
        return self.tables.schedules.get(schedule_id)  # one writer at a time: nothing to lock

    async def reception_schedules(self, units: list[str] | None) -> list[ReceptionScheduleView]:
        found = [
            schedule
            for schedule in self.tables.schedules.values()
            if schedule.active and (units is None or schedule.unit in units)
        ]
        return sorted(found, key=lambda schedule: (schedule.weekday, schedule.starts))

    async def deactivate_reception_schedule(self, schedule_id: int) -> None:
        schedule = self.tables.schedules[schedule_id]
        self.tables.schedules[schedule_id] = dataclasses.replace(schedule, active=False)

    async def close_reception_day(
        self, schedule_id: int, day: date, reason: str, officer_id: int, now: datetime
    ) -> bool:
        if (schedule_id, day) in self.tables.closures:
            return False
        self.tables.closures.add((schedule_id, day))
        return True

    async def closed_reception_days(
        self, schedule_ids: list[int], since: date
    ) -> set[tuple[int, date]]:
        return {
            (schedule_id, day)
            for schedule_id, day in self.tables.closures
            if schedule_id in schedule_ids and day >= since
        }

    async def seats_taken(
        self, schedule_ids: list[int], since: datetime, until: datetime
    ) -> dict[tuple[int, datetime], int]:
        return dict(
            Counter(
                (booking.schedule_id, booking.slot_at)
                for booking in self.tables.bookings.values()
                if booking.schedule_id in schedule_ids
                and since <= booking.slot_at < until
                and booking.status != BookingStatus.CANCELLED
            )
        )

    async def add_booking(
        self, schedule_id: int, citizen_id: int, slot_at: datetime, topic: str, now: datetime
    ) -> int:
        booking = BookingRow(self.tables.new_id("booking"), schedule_id, citizen_id, slot_at, topic)
        self.tables.bookings[booking.id] = booking
        return booking.id

    async def booking(self, booking_id: int) -> BookingView | None:
        found = self._bookings(lambda booking: booking.id == booking_id)
        return found[0] if found else None

    async def bookings(
        self, schedule_ids: list[int], since: datetime, until: datetime, statuses: set[str]
    ) -> list[BookingView]:
        return self._bookings(
            lambda booking: (
                booking.schedule_id in schedule_ids
                and since <= booking.slot_at < until
                and booking.status in statuses
            )
        )

    async def bookings_of_citizen(
        self, citizen_id: int, since: datetime, statuses: set[str]
    ) -> list[BookingView]:
        return self._bookings(
            lambda booking: (
                booking.citizen_id == citizen_id
                and booking.slot_at >= since
                and booking.status in statuses
            )
        )

    def _bookings(self, wanted: Callable[[BookingRow], bool]) -> list[BookingView]:
        """Bookings with their citizen's name, soonest first."""
        found = sorted(
            (booking for booking in self.tables.bookings.values() if wanted(booking)),
            key=lambda booking: (booking.slot_at, booking.id),
        )
        return [
            BookingView(
                booking.id,
                booking.schedule_id,
                booking.citizen_id,
                booking.slot_at,
                booking.topic,
                booking.status,
                booking.reception_id,
                self.tables.citizens[booking.citizen_id].name,
            )
            for booking in found
        ]

    async def set_booking_status(
        self, booking_id: int, status: str, reception_id: int | None = None
    ) -> None:
        booking = self.tables.bookings[booking_id]
        booking.status = status
        if reception_id is not None:
            booking.reception_id = reception_id

    async def citizen_places(self, citizen_id: int) -> set[str]:
        filed = {
            petition.unit
            for petition in self.tables.petitions.values()
            if petition.citizen_id == citizen_id
        }
        return filed | {place for citizen, place in self.tables.follows if citizen == citizen_id}

    async def head_activity(
        self, units: list[str], since: datetime, until: datetime
    ) -> list[HeadActivity]:
        heads = sorted(
            (
                officer
                for officer in self.tables.officers.values()
                if officer.unit in units and officer.active and "head" in officer.roles
            ),
            key=lambda officer: (officer.unit, officer.handle),
        )
        return [
            HeadActivity(
                officer_view(head),
                self._dialogues_held(head.id, since, until),
                self._reception_days_held(head.id, since, until),
            )
            for head in heads
        ]

    def _dialogues_held(self, leader_id: int, since: datetime, until: datetime) -> int:
        return sum(
            1
            for row in self.tables.dialogues.values()
            if row.plan.leader_id == leader_id
            and row.state == "held"
            and row.held_at is not None
            and since <= row.held_at < until
        )

    def _reception_days_held(self, head_id: int, since: datetime, until: datetime) -> int:
        """Distinct days in Hà Nội the head received citizens in person on a reception day."""
        return len(
            {
                visit.received_at.astimezone(LOCAL_TZ).date()
                for visit in self.tables.receptions.values()
                if visit.recorded_by == head_id
                and visit.kind == ReceptionKind.SCHEDULED
                and visit.head_in_person
                and since <= visit.received_at < until
            }
        )
