"""Regular reception days and their booked slots: the `ReceptionDayStore` part of the store."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import ColumnElement, func, literal, select, union, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.reception import ReceptionKind
from bot.domain.reception_days import BookingStatus
from bot.ports import (
    BookingView,
    HeadActivity,
    NewReceptionSchedule,
    OfficerView,
    ReceptionScheduleView,
)
from storage import models as m

LOCAL_ZONE = "Asia/Ho_Chi_Minh"
LOCAL_OFFSET = "+7 hours"  # Vietnam keeps UTC+7 all year (no daylight saving since 1975)
DIALOGUE_HELD = "held"  # the `dialogues.state` of a session that took place


class ReceptionDayRecords:
    """Implements `bot.ports.ReceptionDayStore` inside the caller's transaction."""

    session: AsyncSession

    async def add_reception_schedule(self, schedule: NewReceptionSchedule) -> int:
        row = m.ReceptionSchedule(
            unit_code=schedule.unit,
            officer_id=schedule.officer_id,
            weekday=schedule.weekday,
            starts=schedule.starts,
            ends=schedule.ends,
            slot_minutes=schedule.slot_minutes,
            capacity=schedule.capacity,
            place=schedule.place,
            active=True,
            created_at=schedule.created_at,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def reception_schedule(
        self, schedule_id: int, *, lock: bool = False
    ) -> ReceptionScheduleView | None:
        query = select(m.ReceptionSchedule).where(m.ReceptionSchedule.id == schedule_id)
        row = await self.session.scalar(query.with_for_update() if lock else query)
        return _schedule_view(row) if row else None

    async def reception_schedules(self, units: list[str] | None) -> list[ReceptionScheduleView]:
        query = select(m.ReceptionSchedule).where(m.ReceptionSchedule.active.is_(True))
        if units is not None:
            query = query.where(m.ReceptionSchedule.unit_code.in_(units))
        rows = await self.session.scalars(
            query.order_by(m.ReceptionSchedule.weekday, m.ReceptionSchedule.starts)
        )
        return [_schedule_view(row) for row in rows]

    async def deactivate_reception_schedule(self, schedule_id: int) -> None:
        await self.session.execute(
            update(m.ReceptionSchedule)
            .where(m.ReceptionSchedule.id == schedule_id)
            .values(active=False)
        )

    async def close_reception_day(
        self, schedule_id: int, day: date, reason: str, officer_id: int, now: datetime
    ) -> bool:
        closed = await self.session.scalar(
            select(m.ReceptionDayClosure.id).where(
                m.ReceptionDayClosure.schedule_id == schedule_id, m.ReceptionDayClosure.day == day
            )
        )
        if closed is not None:
            return False
        self.session.add(
            m.ReceptionDayClosure(
                schedule_id=schedule_id, day=day, reason=reason, closed_by=officer_id, closed_at=now
            )
        )
        await self.session.flush()
        return True

    async def closed_reception_days(
        self, schedule_ids: list[int], since: date
    ) -> set[tuple[int, date]]:
        rows = await self.session.execute(
            select(m.ReceptionDayClosure.schedule_id, m.ReceptionDayClosure.day).where(
                m.ReceptionDayClosure.schedule_id.in_(schedule_ids),
                m.ReceptionDayClosure.day >= since,
            )
        )
        return {(schedule_id, day) for schedule_id, day in rows}

    async def seats_taken(
        self, schedule_ids: list[int], since: datetime, until: datetime
    ) -> dict[tuple[int, datetime], int]:
        booking = m.ReceptionBooking
        rows = await self.session.execute(
            select(booking.schedule_id, booking.slot_at, func.count())
            .where(
                booking.schedule_id.in_(schedule_ids),
                booking.slot_at >= since,
                booking.slot_at < until,
                booking.status != BookingStatus.CANCELLED,
            )
            .group_by(booking.schedule_id, booking.slot_at)
        )
        return {(schedule_id, slot_at): count for schedule_id, slot_at, count in rows}

    async def add_booking(
        self, schedule_id: int, citizen_id: int, slot_at: datetime, topic: str, now: datetime
    ) -> int:
        row = m.ReceptionBooking(
            schedule_id=schedule_id,
            citizen_id=citizen_id,
            slot_at=slot_at,
            topic=topic,
            status=BookingStatus.BOOKED,
            created_at=now,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def booking(self, booking_id: int) -> BookingView | None:
        found = await self._bookings(m.ReceptionBooking.id == booking_id)
        return found[0] if found else None

    async def bookings(
        self, schedule_ids: list[int], since: datetime, until: datetime, statuses: set[str]
    ) -> list[BookingView]:
        return await self._bookings(
            m.ReceptionBooking.schedule_id.in_(schedule_ids),
            m.ReceptionBooking.slot_at >= since,
            m.ReceptionBooking.slot_at < until,
            m.ReceptionBooking.status.in_(statuses),
        )

    async def bookings_of_citizen(
        self, citizen_id: int, since: datetime, statuses: set[str]
    ) -> list[BookingView]:
        return await self._bookings(
            m.ReceptionBooking.citizen_id == citizen_id,
            m.ReceptionBooking.slot_at >= since,
            m.ReceptionBooking.status.in_(statuses),
        )

    async def _bookings(self, *conditions: ColumnElement[bool]) -> list[BookingView]:
        """Bookings with their citizen's name, soonest first."""
        rows = await self.session.execute(
            select(m.ReceptionBooking, m.Citizen.name)
            .join(m.Citizen, m.Citizen.id == m.ReceptionBooking.citizen_id)
            .where(*conditions)
            .order_by(m.ReceptionBooking.slot_at, m.ReceptionBooking.id)
        )
        return [_booking_view(row, name) for row, name in rows]

    async def set_booking_status(
        self, booking_id: int, status: str, reception_id: int | None = None
    ) -> None:
        values: dict[str, Any] = {"status": status}
        if reception_id is not None:
            values["reception_id"] = reception_id
        await self.session.execute(
            update(m.ReceptionBooking).where(m.ReceptionBooking.id == booking_id).values(**values)
        )

    async def citizen_places(self, citizen_id: int) -> set[str]:
        rows = await self.session.scalars(
            union(
                select(m.Petition.unit_code).where(m.Petition.citizen_id == citizen_id),
                select(m.Subscription.place).where(m.Subscription.citizen_id == citizen_id),
            )
        )
        return set(rows)

    async def head_activity(
        self, units: list[str], since: datetime, until: datetime
    ) -> list[HeadActivity]:
        dialogues = (
            select(m.Dialogue.leader_id.label("head_id"), func.count().label("held"))
            .where(
                m.Dialogue.state == DIALOGUE_HELD,
                m.Dialogue.held_at >= since,
                m.Dialogue.held_at < until,
            )
            .group_by(m.Dialogue.leader_id)
            .subquery()
        )
        reception = m.Reception
        days = (
            select(
                reception.recorded_by.label("head_id"),
                func.count(func.distinct(self._local_day(reception.received_at))).label("held"),
            )
            .where(
                reception.kind == ReceptionKind.SCHEDULED,
                reception.head_in_person.is_(True),
                reception.received_at >= since,
                reception.received_at < until,
            )
            .group_by(reception.recorded_by)
            .subquery()
        )
        officer = m.Officer
        rows = await self.session.execute(
            select(officer, func.coalesce(dialogues.c.held, 0), func.coalesce(days.c.held, 0))
            .outerjoin(dialogues, dialogues.c.head_id == officer.id)
            .outerjoin(days, days.c.head_id == officer.id)
            .where(
                officer.unit_code.in_(units),
                officer.active.is_(True),
                (literal(",") + officer.roles + literal(",")).like("%,head,%"),
            )
            .order_by(officer.unit_code, officer.handle)
        )
        return [HeadActivity(_officer_view(row), held, days) for row, held, days in rows]

    def _local_day(self, moment: Any) -> Any:
        """The day in Hà Nội of a stored UTC moment, computed by the database."""
        dialect = self.session.bind.dialect.name if self.session.bind else "sqlite"
        if dialect == "postgresql":
            return func.date(func.timezone(LOCAL_ZONE, moment))
        return func.date(moment, LOCAL_OFFSET)


def _schedule_view(row: m.ReceptionSchedule) -> ReceptionScheduleView:
    return ReceptionScheduleView(
        row.id,
        row.unit_code,
        row.officer_id,
        row.weekday,
        row.starts,
        row.ends,
        row.slot_minutes,
        row.capacity,
        row.place,
        row.active,
    )


def _booking_view(row: m.ReceptionBooking, citizen_name: str | None) -> BookingView:
    return BookingView(
        row.id,
        row.schedule_id,
        row.citizen_id,
        row.slot_at,
        row.topic,
        row.status,
        row.reception_id,
        citizen_name,
    )


def _officer_view(row: m.Officer) -> OfficerView:
    roles = frozenset(role for role in row.roles.split(",") if role)
    return OfficerView(row.id, row.handle, row.name, row.title, row.unit_code, roles)
