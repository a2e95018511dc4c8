"""Tiếp công dân định kỳ: heads' reception days, citizens' booked slots, and leaders' indicators.

Every function checks again who acts. Capacity is enforced here, inside the caller's transaction,
with the schedule row locked, so that two citizens never take the last seat together.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.buttons import CancelBooking
from bot.core import Button, Outgoing, Reply
from bot.domain.org import Organisation
from bot.domain.reception import ReceptionKind, ReceptionOutcome
from bot.domain.reception_days import (
    DIALOGUES_PER_YEAR,
    MAX_CAPACITY,
    MAX_PLACE_CHARS,
    MAX_SLOT_MINUTES,
    MAX_TOPIC_CHARS,
    MIN_PLACE_CHARS,
    MIN_SLOT_MINUTES,
    MIN_TOPIC_CHARS,
    REMINDER_LEADS,
    WEEKS_AHEAD,
    BookingStatus,
    Hours,
    ReceptionDuty,
    carries_duty,
    days_required,
    duty_of,
    parse_clock,
    reception_dates,
)
from bot.environment import Environment
from bot.i18n import LOCAL_TZ, N_, Catalogues, Translator
from bot.ports import (
    BookingView,
    NewReceptionSchedule,
    OfficerView,
    ReceptionScheduleView,
    Store,
)
from bot.services.access import units_under
from bot.services.reception import (
    PEOPLES_COMMITTEES,
    Recorded,
    Visit,
    peoples_committee,
    record_reception,
)
from bot.services.workflow import NotAllowed

RECEPTION_DAY_REMINDER = "reception_day.remind"
RECORDING_WINDOW = timedelta(days=7)  # a booking's outcome may still be written a week later
STAFF_LIST_AHEAD = timedelta(days=7)  # the bookings list shows today and the coming week
OVERSEERS = frozenset({"head", "inspector"})  # who reads the leaders' indicators


class BookingRefused(Exception):
    """A citizen's booking or cancellation cannot be done; `reason` is a message id."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


@dataclass(frozen=True)
class SchedulePlan:
    """A reception schedule as the officer chose it in chat."""

    head_id: int
    weekday: int
    starts: time
    ends: time
    slot_minutes: int
    capacity: int
    place: str


@dataclass(frozen=True)
class OpenSlot:
    """A slot a citizen may still book, and how many seats it has left."""

    at: datetime
    seats_left: int


@dataclass(frozen=True)
class ReceptionDay:
    """One upcoming reception day of a head, with its slots that still have seats."""

    schedule: ReceptionScheduleView
    head: OfficerView
    day: date
    slots: tuple[OpenSlot, ...]


@dataclass(frozen=True)
class Booked:
    """A booking with the schedule and head it is with, for what the citizen is told."""

    booking: BookingView
    schedule: ReceptionScheduleView
    head: OfficerView


NO_SHOW = BookingStatus.NO_SHOW.value  # the outcome of a booking nobody came to


@dataclass(frozen=True)
class Outcome:
    """How a booked citizen's visit ended, as the officer recorded it."""

    outcome: str  # a ReceptionOutcome, or NO_SHOW
    field: str | None = None
    visitor_name: str | None = None
    visitor_address: str | None = None
    petition_kind: str | None = None
    accused: str | None = None


@dataclass(frozen=True)
class HeadIndicator:
    """A head's year so far against the dialogue target and the legal reception minimum."""

    head: OfficerView
    dialogues_held: int
    reception_days_held: int
    reception_days_required: int
    duty: ReceptionDuty | None  # None: not this head's own duty (a deputy), only counted
    dialogues_target: int = DIALOGUES_PER_YEAR

    @property
    def dialogues_met(self) -> bool:
        """At least the yearly target of dialogues held."""
        return self.dialogues_held >= self.dialogues_target

    @property
    def reception_days_met(self) -> bool:
        """At least as many reception days as the law asked for so far."""
        return self.reception_days_held >= self.reception_days_required


def local_day(moment: datetime) -> date:
    """The day a moment falls on in Hà Nội."""
    return moment.astimezone(LOCAL_TZ).date()


def local_clock(moment: datetime) -> str:
    """A moment's time of day in Hà Nội, HH:MM."""
    return moment.astimezone(LOCAL_TZ).strftime("%H:%M")


def day_bounds(day: date) -> tuple[datetime, datetime]:
    """A day in Hà Nội as the moments it starts and ends."""
    start = datetime.combine(day, time(0), LOCAL_TZ)
    return start, start + timedelta(days=1)


def hours_of(schedule: ReceptionScheduleView) -> Hours:
    """The schedule's stored HH:MM times as a slot plan."""
    starts, ends = parse_clock(schedule.starts), parse_clock(schedule.ends)
    if starts is None or ends is None:
        raise ValueError(f"schedule {schedule.id} keeps unreadable times")
    return Hours(starts, ends, schedule.slot_minutes)


def slot_moments(schedule: ReceptionScheduleView, day: date) -> list[datetime]:
    """The moments the schedule's slots begin on a day."""
    return [datetime.combine(day, start, LOCAL_TZ) for start in hours_of(schedule).slot_starts()]


# --- who may do what ---------------------------------------------------------------------------


async def heads_to_schedule(store: Store, org: Organisation, officer: OfficerView) -> list[str]:
    """Handles of the heads this officer may set a reception day for.

    A head sets their own; reception staff set one for a head of their People's Committee.
    """
    heads = [officer] if "head" in officer.roles else []
    committee = peoples_committee(org, officer.unit)
    if "reception" in officer.roles and committee is not None:
        heads += [head for head in await store.heads_of(committee) if head.id != officer.id]
    return [head.handle for head in heads]


def may_manage(org: Organisation, officer: OfficerView, schedule: ReceptionScheduleView) -> bool:
    """The schedule's head, reception staff of its People's Committee, or a head of it."""
    if officer.id == schedule.officer_id:
        return True
    staff = "reception" in officer.roles
    if staff and peoples_committee(org, officer.unit) == schedule.unit:
        return True
    return "head" in officer.roles and officer.unit == schedule.unit


async def managed_schedule(
    store: Store, env: Environment, officer: OfficerView, schedule_id: int, *, lock: bool = False
) -> ReceptionScheduleView:
    """An active schedule this officer may manage; NotAllowed for any other id."""
    schedule = await store.reception_schedule(schedule_id, lock=lock)
    if schedule is None or not schedule.active or not may_manage(env.org, officer, schedule):
        raise NotAllowed(f"{officer.handle} managing reception schedule {schedule_id}")
    return schedule


# --- schedules ---------------------------------------------------------------------------------


async def create_schedule(
    store: Store, env: Environment, officer: OfficerView, plan: SchedulePlan, now: datetime
) -> ReceptionScheduleView:
    """Lập lịch tiếp công dân định kỳ for a head, at the office of their People's Committee."""
    head = await store.officer_by_id(plan.head_id)
    if head is None or head.handle not in await heads_to_schedule(store, env.org, officer):
        raise NotAllowed(f"{officer.handle} scheduling reception days for {plan.head_id}")
    unit = peoples_committee(env.org, head.unit)
    if unit is None:
        raise NotAllowed(f"{head.handle} serves no People's Committee")
    check_plan(plan)
    schedule = NewReceptionSchedule(
        unit=unit,
        officer_id=head.id,
        weekday=plan.weekday,
        starts=plan.starts.strftime("%H:%M"),
        ends=plan.ends.strftime("%H:%M"),
        slot_minutes=plan.slot_minutes,
        capacity=plan.capacity,
        place=plan.place,
        created_at=now,
    )
    schedule_id = await store.add_reception_schedule(schedule)
    stored = await store.reception_schedule(schedule_id)
    assert stored is not None  # written just now, in this transaction
    return stored


def check_plan(plan: SchedulePlan) -> None:
    """ValueError for a plan the conversation should not have let through."""
    wrong = [
        name
        for name, is_wrong in (
            ("weekday", not 0 <= plan.weekday <= 6),
            ("slot", not MIN_SLOT_MINUTES <= plan.slot_minutes <= MAX_SLOT_MINUTES),
            ("capacity", not 1 <= plan.capacity <= MAX_CAPACITY),
            ("place", not MIN_PLACE_CHARS <= len(plan.place) <= MAX_PLACE_CHARS),
            ("hours", not Hours(plan.starts, plan.ends, plan.slot_minutes).slot_starts()),
        )
        if is_wrong
    ]
    if wrong:
        raise ValueError(f"reception schedule with a wrong {', '.join(wrong)}")


async def stop_schedule(
    store: Store, env: Environment, officer: OfficerView, schedule_id: int, now: datetime
) -> list[BookingView]:
    """Ngừng lịch: no more days are offered; bookings still ahead are cancelled (to be told)."""
    schedule = await managed_schedule(store, env, officer, schedule_id, lock=True)
    await store.deactivate_reception_schedule(schedule.id)
    ahead = await store.bookings(
        [schedule.id], now, now + timedelta(weeks=WEEKS_AHEAD + 1), {BookingStatus.BOOKED}
    )
    return await cancel_all(store, ahead)


async def call_off_day(
    store: Store,
    env: Environment,
    officer: OfficerView,
    schedule_id: int,
    day: date,
    reason: str,
    now: datetime,
) -> list[BookingView]:
    """Hủy một buổi tiếp: the day is no longer offered; its booked citizens are to be told."""
    schedule = await managed_schedule(store, env, officer, schedule_id, lock=True)
    if day not in await upcoming_dates(store, env, schedule, now):
        raise BookingRefused(N_("reception_days.off.gone"))
    await store.close_reception_day(schedule.id, day, reason, officer.id, now)
    since, until = day_bounds(day)
    return await cancel_all(
        store, await store.bookings([schedule.id], since, until, {BookingStatus.BOOKED})
    )


async def cancel_all(store: Store, bookings: Iterable[BookingView]) -> list[BookingView]:
    """Cancel bookings the office called off; their reminders fall silent."""
    cancelled = []
    for booking in bookings:
        await store.set_booking_status(booking.id, BookingStatus.CANCELLED)
        cancelled.append(booking)
    return cancelled


async def upcoming_dates(
    store: Store, env: Environment, schedule: ReceptionScheduleView, now: datetime
) -> list[date]:
    """The schedule's reception days still ahead (today included), not called off."""
    today = local_day(now)
    closed = await store.closed_reception_days([schedule.id], today)
    dates = reception_dates(schedule.weekday, today, WEEKS_AHEAD, env.calendar)
    return [day for day in dates if (schedule.id, day) not in closed]


# --- citizens: finding a day, booking, cancelling -----------------------------------------------


async def places_for(
    store: Store, env: Environment, citizen_id: int
) -> tuple[list[str], list[str]]:
    """People's Committees with reception days: the citizen's own first, then the others.

    A citizen's own are those above where they filed or what they follow: their commune and
    the province.
    """
    offering = list(dict.fromkeys(s.unit for s in await store.reception_schedules(None)))
    own = {
        code
        for place in await store.citizen_places(citizen_id)
        for code in env.org.lineage(env.org.areas[place].unit if place in env.org.areas else place)
        if env.org.units[code].kind in PEOPLES_COMMITTEES
    }
    return [u for u in offering if u in own], [u for u in offering if u not in own]


async def open_days(store: Store, env: Environment, unit: str, now: datetime) -> list[ReceptionDay]:
    """The reception days of a People's Committee a citizen may still book, soonest first."""
    schedules = await store.reception_schedules([unit])
    ids = [schedule.id for schedule in schedules]
    today = local_day(now)
    closed = await store.closed_reception_days(ids, today)
    taken = await store.seats_taken(ids, now, now + timedelta(weeks=WEEKS_AHEAD + 1))
    days = []
    for schedule in schedules:
        head = await store.officer_by_id(schedule.officer_id)
        for day in reception_dates(schedule.weekday, today, WEEKS_AHEAD, env.calendar):
            if head is None or (schedule.id, day) in closed:
                continue
            slots = seats_left(schedule, day, taken, now)
            if slots:
                days.append(ReceptionDay(schedule, head, day, slots))
    return sorted(days, key=lambda d: (d.day, d.schedule.starts, d.schedule.id))


def seats_left(
    schedule: ReceptionScheduleView,
    day: date,
    taken: dict[tuple[int, datetime], int],
    now: datetime,
) -> tuple[OpenSlot, ...]:
    """The day's slots still ahead that have a seat left, with how many."""
    slots = (
        OpenSlot(at, schedule.capacity - taken.get((schedule.id, at), 0))
        for at in slot_moments(schedule, day)
        if at > now
    )
    return tuple(slot for slot in slots if slot.seats_left > 0)


async def book(
    store: Store,
    env: Environment,
    citizen_id: int,
    schedule_id: int,
    slot_at: datetime,
    topic: str,
    now: datetime,
) -> Booked:
    """Đăng ký tiếp: take a seat in a slot, once per citizen, while seats are left.

    The schedule is locked first, so the seats counted are the seats there are.
    """
    if not MIN_TOPIC_CHARS <= len(topic) <= MAX_TOPIC_CHARS:
        raise ValueError("a booking's topic out of bounds")
    schedule = await store.reception_schedule(schedule_id, lock=True)
    head = await store.officer_by_id(schedule.officer_id) if schedule else None
    if schedule is None or head is None or not schedule.active:
        raise BookingRefused(N_("reception_days.slot.gone"))
    if slot_at <= now or slot_at not in await bookable_slots(store, env, schedule, slot_at, now):
        raise BookingRefused(N_("reception_days.slot.gone"))
    holders = await store.bookings(
        [schedule.id], slot_at, slot_at + timedelta(minutes=1), {BookingStatus.BOOKED}
    )
    if any(holder.citizen_id == citizen_id for holder in holders):
        raise BookingRefused(N_("reception_days.slot.yours_already"))
    taken = await store.seats_taken([schedule.id], slot_at, slot_at + timedelta(minutes=1))
    if sum(taken.values()) >= schedule.capacity:
        raise BookingRefused(N_("reception_days.slot.full"))
    booking_id = await store.add_booking(schedule.id, citizen_id, slot_at, topic, now)
    await plan_reminders(store, booking_id, slot_at, now)
    booking = await store.booking(booking_id)
    assert booking is not None  # written just now, in this transaction
    return Booked(booking, schedule, head)


async def bookable_slots(
    store: Store,
    env: Environment,
    schedule: ReceptionScheduleView,
    slot_at: datetime,
    now: datetime,
) -> list[datetime]:
    """The schedule's slots on the day of `slot_at`, if that day is still offered."""
    day = local_day(slot_at)
    if day not in await upcoming_dates(store, env, schedule, now):
        return []
    return slot_moments(schedule, day)


async def plan_reminders(store: Store, booking_id: int, slot_at: datetime, now: datetime) -> None:
    """Nhắc lịch: the day before and two hours before, those still ahead."""
    payload = {"booking": str(booking_id), "slot_at": slot_at.isoformat()}
    for lead in REMINDER_LEADS:
        if slot_at - lead > now:
            await store.schedule(RECEPTION_DAY_REMINDER, slot_at - lead, payload, None)


async def cancel_booking(store: Store, citizen_id: int, booking_id: int, now: datetime) -> Booked:
    """A citizen calls off their own booking before its slot; the seat is free again."""
    booking = await store.booking(booking_id)
    if booking is None or booking.citizen_id != citizen_id:
        raise BookingRefused(N_("reception_days.booking.unknown"))
    if booking.status != BookingStatus.BOOKED or booking.slot_at <= now:
        raise BookingRefused(N_("reception_days.booking.not_cancellable"))
    schedule = await store.reception_schedule(booking.schedule_id)
    head = await store.officer_by_id(schedule.officer_id) if schedule else None
    if schedule is None or head is None:
        raise BookingRefused(N_("reception_days.booking.unknown"))
    await store.set_booking_status(booking.id, BookingStatus.CANCELLED)
    return Booked(booking, schedule, head)


async def bookings_ahead(store: Store, citizen_id: int, now: datetime) -> list[Booked]:
    """A citizen's bookings still to come."""
    booked = []
    for booking in await store.bookings_of_citizen(citizen_id, now, {BookingStatus.BOOKED}):
        schedule = await store.reception_schedule(booking.schedule_id)
        head = await store.officer_by_id(schedule.officer_id) if schedule else None
        if schedule is not None and head is not None:
            booked.append(Booked(booking, schedule, head))
    return booked


# --- officers: the day's bookings and their outcomes -------------------------------------------


async def schedules_for(
    store: Store, env: Environment, officer: OfficerView
) -> list[ReceptionScheduleView]:
    """The active schedules of the officer's People's Committee that they may manage."""
    committee = peoples_committee(env.org, officer.unit)
    schedules = await store.reception_schedules([committee] if committee else [])
    return [schedule for schedule in schedules if may_manage(env.org, officer, schedule)]


async def heads_of_schedules(
    store: Store, schedules: Iterable[ReceptionScheduleView]
) -> dict[int, OfficerView]:
    """The heads who receive on these schedules, by their record id."""
    heads = {}
    for officer_id in {schedule.officer_id for schedule in schedules}:
        head = await store.officer_by_id(officer_id)
        if head is not None:
            heads[officer_id] = head
    return heads


async def bookings_to_receive(
    store: Store, env: Environment, officer: OfficerView, now: datetime
) -> list[Booked]:
    """Booked citizens of the officer's schedules: the past week's still unrecorded, and the
    coming week's."""
    schedules = {s.id: s for s in await schedules_for(store, env, officer)}
    heads = await heads_of_schedules(store, schedules.values())
    midnight, _ = day_bounds(local_day(now))
    found = await store.bookings(
        list(schedules),
        midnight - RECORDING_WINDOW,
        midnight + STAFF_LIST_AHEAD,
        {BookingStatus.BOOKED},
    )
    return [
        Booked(booking, schedule, heads[schedule.officer_id])
        for booking in found
        if (schedule := schedules[booking.schedule_id]).officer_id in heads
    ]


@dataclass(frozen=True)
class OutcomeRecorded:
    """The booking as it was, and the reception record its visit became (none for a no-show)."""

    booked: Booked
    recorded: Recorded | None


async def booking_to_record(
    store: Store, env: Environment, officer: OfficerView, booking_id: int, now: datetime
) -> Booked:
    """A booking of this officer's schedules whose day has come and whose outcome is not
    written yet; NotAllowed or BookingRefused otherwise."""
    booking = await store.booking(booking_id)
    schedule = await store.reception_schedule(booking.schedule_id) if booking else None
    if booking is None or schedule is None or not may_manage(env.org, officer, schedule):
        raise NotAllowed(f"{officer.handle} recording booking {booking_id}")
    head = await store.officer_by_id(schedule.officer_id)
    if head is None or booking.status != BookingStatus.BOOKED:
        raise BookingRefused(N_("reception_days.outcome.done_before"))
    if local_day(booking.slot_at) > local_day(now):
        raise BookingRefused(N_("reception_days.outcome.too_early"))
    return Booked(booking, schedule, head)


async def record_outcome(
    store: Store,
    env: Environment,
    officer: OfficerView,
    booking_id: int,
    outcome: Outcome,
    now: datetime,
) -> OutcomeRecorded:
    """Ghi kết quả: a no-show, or the visit kept as a scheduled reception linked from its booking.

    The head received in person when the head of the schedule records it themselves; the visit
    is dated at its slot (or now, when the citizen came early), so the day counts where it was.
    """
    booked = await booking_to_record(store, env, officer, booking_id, now)
    booking = booked.booking
    if outcome.outcome == NO_SHOW:
        await store.set_booking_status(booking.id, BookingStatus.NO_SHOW)
        return OutcomeRecorded(booked, None)
    visit = Visit(
        kind=ReceptionKind.SCHEDULED,
        head_in_person="head" in officer.roles and officer.id == booked.schedule.officer_id,
        group_size=1,
        field=outcome.field or "",
        content=booking.topic,
        outcome=ReceptionOutcome(outcome.outcome),
        visitor_name=outcome.visitor_name,
        visitor_address=outcome.visitor_address,
        petition_kind=outcome.petition_kind,
        accused=outcome.accused,
    )
    received_at = min(booking.slot_at, now)
    recorded = await record_reception(store, env, officer, visit, received_at, booking.citizen_id)
    await store.set_booking_status(booking.id, BookingStatus.ATTENDED, recorded.reception_id)
    return OutcomeRecorded(booked, recorded)


# --- reminders ---------------------------------------------------------------------------------


async def remind_booking(
    store: Store, catalogues: Catalogues, payload: dict[str, str], now: datetime
) -> list[Outgoing]:
    """The reminder of a booked slot; silent once cancelled, recorded, moved, or past."""
    booking = await store.booking(int(payload.get("booking", "0") or 0))
    if booking is None or booking.status != BookingStatus.BOOKED or booking.slot_at <= now:
        return []
    planned = payload.get("slot_at")
    if planned is None or datetime.fromisoformat(planned) != booking.slot_at:
        return []
    schedule = await store.reception_schedule(booking.schedule_id)
    head = await store.officer_by_id(schedule.officer_id) if schedule else None
    chat = await store.citizen_chat(booking.citizen_id)
    if schedule is None or head is None or chat is None:
        return []
    t = catalogues.get(await store.locale_of(chat))
    booked = Booked(booking, schedule, head)
    return [
        Outgoing(
            chat,
            Reply(
                t("reception_days.reminder", **booking_facts(t, booked)),
                ((cancel_button(t, booking.id),),),
            ),
        )
    ]


def booking_facts(t: Translator, booked: Booked) -> dict[str, str]:
    """What every message about a booking says: when, where, with whom, about what."""
    return {
        "date": t.date(booked.booking.slot_at),
        "time": local_clock(booked.booking.slot_at),
        "place": booked.schedule.place,
        "head": head_text(booked.head),
        "topic": booked.booking.topic,
    }


def head_text(head: OfficerView) -> str:
    """The head's name and title, as a citizen is told whom they will meet."""
    return f"{head.name}, {head.title}" if head.title else head.name


def cancel_button(t: Translator, booking_id: int) -> Button:
    """The citizen's button that calls off one of their bookings."""
    return Button(t("reception_days.mine.cancel"), CancelBooking(booking_id).pack())


# --- indicators --------------------------------------------------------------------------------


async def indicators(
    store: Store, env: Environment, officer: OfficerView, now: datetime
) -> list[HeadIndicator]:
    """Chỉ tiêu: each head of the officer's unit and below (the inspectorate: the province)
    against the dialogue target and the reception days the law asked for so far this year."""
    if not officer.roles & OVERSEERS:
        raise NotAllowed(f"{officer.handle} reading the indicators")
    top = env.org.lineage(officer.unit)[-1] if "inspector" in officer.roles else officer.unit
    today = local_day(now)
    new_year = datetime.combine(date(today.year, 1, 1), time(0), LOCAL_TZ)
    required: dict[ReceptionDuty, int] = {}
    found = []
    for activity in await store.head_activity(units_under(env.org, top), new_year, now):
        duty = None
        if carries_duty(env.org, activity.head.handle):
            duty = duty_of(env.org.units[activity.head.unit].kind)
            if duty not in required:
                required[duty] = days_required(duty, today, env.calendar)
        found.append(
            HeadIndicator(
                activity.head,
                activity.dialogues_held,
                activity.reception_days_held,
                required[duty] if duty else 0,
                duty,
            )
        )
    return found
