"""Tiếp công dân định kỳ in chat (issue 4 §8-9): reception days, booked slots, indicators.

Citizens (`ReceptionDays`): place → day → slot → the matter in brief → confirm → booked; «my
bookings» with a cancel button each (`CancelBooking`). Officers who receive citizens
(`ReceptionStaff`): set up a head's reception day, call off one day or stop a schedule
(`ScheduleAction`; booked citizens are told), and record how each booked visit ended
(`RecordVisit`). Heads and inspectors (`Indicators`): the leaders' indicators. Every answer
re-checks on the server who is acting; button data only says which schedule or booking is meant,
and a foreign one is refused.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.buttons import (
    CancelBooking,
    Indicators,
    Meet,
    Menu,
    ReceptionDays,
    ReceptionStaff,
    RecordVisit,
    ScheduleAction,
)
from bot.conversation import Context, Handler, Router
from bot.core import Button, Reply
from bot.domain.reception import ReceptionOutcome
from bot.domain.reception_days import (
    MAX_CAPACITY,
    MAX_PLACE_CHARS,
    MAX_SLOT_MINUTES,
    MAX_TOPIC_CHARS,
    MIN_PLACE_CHARS,
    MIN_SLOT_MINUTES,
    MIN_TOPIC_CHARS,
    WEEKS_AHEAD,
    Hours,
    Period,
    parse_hours,
)
from bot.flow import Flow, nav_buttons
from bot.i18n import N_, Translator
from bot.labels import kind_label, rule_label
from bot.ports import BookingView, CitizenView, OfficerView, ReceptionScheduleView
from bot.services.reception import peoples_committee
from bot.services.reception_days import (
    NO_SHOW,
    Booked,
    BookingRefused,
    HeadIndicator,
    Outcome,
    OutcomeRecorded,
    ReceptionDay,
    SchedulePlan,
    book,
    booking_facts,
    booking_to_record,
    bookings_ahead,
    bookings_to_receive,
    call_off_day,
    cancel_booking,
    create_schedule,
    head_text,
    heads_of_schedules,
    heads_to_schedule,
    indicators,
    local_clock,
    local_day,
    managed_schedule,
    open_days,
    places_for,
    record_outcome,
    schedules_for,
    stop_schedule,
    upcoming_dates,
)
from bot.services.surveys import standings
from bot.services.workflow import NotAllowed
from handlers.callbacks import on
from handlers.common import require_consent, show_menu
from handlers.filer import FilerSteps, field_options
from handlers.filing import tell_assignee
from handlers.picker import Option, page_rows, picked, typed_text, with_page_hint
from handlers.reception import OUTCOME_LABELS
from handlers.staff import current_officer, receiving_officer, refuse
from handlers.steps import Keep, choose, labelled, listed, pressed, within, write
from handlers.surveys import standings_text, survey_button

log = logging.getLogger(__name__)

router = Router()


async def staff_here(ctx: Context) -> OfficerView | None:
    """The officer of this chat when they receive citizens; else a polite refusal."""
    return await receiving_officer(ctx, STAFF_ONLY)


STAFF_ONLY = N_("reception_days.staff_only")
WEEKDAY_LABELS = {
    0: N_("reception_days.weekday.0"),
    1: N_("reception_days.weekday.1"),
    2: N_("reception_days.weekday.2"),
    3: N_("reception_days.weekday.3"),
    4: N_("reception_days.weekday.4"),
    5: N_("reception_days.weekday.5"),
    6: N_("reception_days.weekday.6"),
}
OFFICE_WEEKDAYS = (0, 1, 2, 3, 4, 5)  # offered as buttons; Sunday receptions are not a thing
HOURS_PRESETS = {  # button: its label, and the hours it stands for
    "morning": (N_("reception_days.hours.morning"), "07:30-11:30"),
    "afternoon": (N_("reception_days.hours.afternoon"), "13:30-17:00"),
}
SLOT_PRESETS = ("15", "20", "30", "60")
CAPACITY_PRESETS = ("1", "2", "3", "5")
PERIOD_LABELS = {
    Period.WEEK: N_("indicators.per.week"),
    Period.MONTH: N_("indicators.per.month"),
}
NOT_YOURS = N_("reception_days.not_yours")
NO_HEAD = N_("reception_days.setup.no_head")
MAX_DAY_BUTTONS = 12
MAX_HEADS_SHOWN = 30
_NUMBER = re.compile(r"[0-9]{1,3}")


@dataclass
class Booking:
    """A citizen's booking being made."""

    all_places: bool = False  # «another commune» was asked for
    unit: str = ""
    schedule: int = 0
    day: str = ""  # ISO date
    slot: str = ""  # ISO date and time
    topic: str = ""


@dataclass
class ScheduleWork:
    """A schedule being set up, or one being called off for a day or stopped."""

    head: str = ""
    weekday: int = 0
    starts: str = ""
    ends: str = ""
    slot_minutes: int = 0
    capacity: int = 0
    place: str = ""
    schedule: int = 0
    day: str = ""  # ISO date of the day called off


@dataclass
class VisitResult:
    """How a booked visit ended, being recorded (with the petition it left, if any)."""

    booking: int = 0
    outcome: str = ""
    field: str = ""
    petition_kind: str | None = None
    accused: str | None = None
    name: str | None = None
    address: str | None = None


async def leave(ctx: Context, text: str | None) -> None:
    """Back to the menu with a word (nothing is kept until the last confirmation)."""
    await show_menu(ctx, text or ctx.t("reception_days.cancelled"))


async def citizen_may_book(ctx: Context) -> bool:
    """A citizen books once they have read the privacy notice (shown if not)."""
    return await booking_citizen(ctx) is not None


async def receiving(ctx: Context) -> bool:
    """Whether this chat still belongs to an officer who receives citizens (else refused)."""
    return await staff_here(ctx) is not None


BOOKING = Flow(
    router,
    "reception_day",
    Booking,
    {
        "rd.place": ("rd.day",),
        "rd.day": ("rd.slot",),
        "rd.slot": ("rd.topic", "rd.confirm"),
        "rd.topic": ("rd.confirm",),
        "rd.confirm": (),
    },
    leave=leave,
    cancelled=N_("reception_days.cancelled"),
    allowed=citizen_may_book,
    title=N_("dialogue.home.reception_days"),
)
SCHEDULING = Flow(
    router,
    "reception_schedule",
    ScheduleWork,
    {
        "rs.head": ("rs.weekday",),
        "rs.weekday": ("rs.hours",),
        "rs.hours": ("rs.slot",),
        "rs.slot": ("rs.capacity",),
        "rs.capacity": ("rs.place",),
        "rs.place": ("rs.review",),
        "rs.review": (),
        "rs.off_day": ("rs.off_reason",),
        "rs.off_reason": (),
        "rs.stop": (),
    },
    leave=leave,
    cancelled=N_("reception_days.cancelled"),
    allowed=receiving,
    title=N_("officer.menu.reception_days"),
)
FILER = FilerSteps("rs.kind", "rs.accused", "rs.filer", "rs.address", then="rs.result")
VISIT_RESULT = Flow(
    router,
    "reception_visit",
    VisitResult,
    {
        "rs.outcome": ("rs.field",),
        "rs.field": (FILER.kind, "rs.result"),
        **FILER.graph(),
        "rs.result": (),
    },
    leave=leave,
    cancelled=N_("reception_days.cancelled"),
    allowed=receiving,
    title=N_("officer.menu.reception_days"),
)
FILER.register(VISIT_RESULT)


async def booking_citizen(ctx: Context) -> CitizenView | None:
    """The citizen of this chat once they have read the privacy notice (which is shown if not)."""
    if not await require_consent(ctx):
        return None
    return await ctx.store.ensure_citizen(
        ctx.incoming.channel, ctx.incoming.chat_id, ctx.incoming.user_id, ctx.now
    )


def unit_name(ctx: Context, code: str) -> str:
    """A People's Committee's name as citizens know it."""
    return ctx.env.org.units[code].name


def weekday_text(t: Translator, day: date) -> str:
    """The day as «Thứ Ba 03/03/2026»."""
    return f"{t(WEEKDAY_LABELS[day.weekday()])} {t.date(day)}"


def schedule_text(t: Translator, schedule: ReceptionScheduleView, head: OfficerView) -> str:
    """One schedule on one line: every which weekday, when, who, where, how many per slot."""
    return t(
        "reception_days.schedule.line",
        weekday=t(WEEKDAY_LABELS[schedule.weekday]),
        starts=schedule.starts,
        ends=schedule.ends,
        head=head_text(head),
        place=schedule.place,
        minutes=schedule.slot_minutes,
        capacity=schedule.capacity,
    )


def number_answer(ctx: Context, limit: int) -> int | None:
    """A pressed or typed whole number from 1 to `limit`."""
    answer = ctx.choice if ctx.choice is not None else typed_text(ctx)
    if not _NUMBER.fullmatch(answer) or not 1 <= int(answer) <= limit:
        return None
    return int(answer)


# --- citizens: book a slot ----------------------------------------------------------------------


@on(router, ReceptionDays)
async def citizen_button(ctx: Context, data: ReceptionDays) -> None:
    """The citizen's reception-day buttons: the list, their bookings."""
    await (begin_booking(ctx) if data.screen == "list" else show_my_bookings(ctx))


@on(router, CancelBooking)
async def cancel_button(ctx: Context, data: CancelBooking) -> None:
    """«Hủy hẹn» under one of the citizen's bookings."""
    await cancel_my_booking(ctx, data.booking)


async def begin_booking(ctx: Context) -> None:
    """Offer the places with reception days: the citizen's own straight away, when known."""
    citizen = await booking_citizen(ctx)
    if citizen is None:
        return
    own, others = await places_for(ctx.store, ctx.env, citizen.id)
    if not own and not others:
        await show_menu(ctx, ctx.t("reception_days.none"))
        return
    booking = Booking(all_places=not own)
    if len(own + others) == 1:
        booking.unit = (own + others)[0]
    await BOOKING.start(ctx, booking, "rd.day" if booking.unit else "rd.place")


async def offered_places(ctx: Context) -> tuple[list[str], bool]:
    """The places to offer now, and whether more are behind «another commune»."""
    citizen = await booking_citizen(ctx)
    own, others = await places_for(ctx.store, ctx.env, citizen.id) if citizen else ([], [])
    if BOOKING.draft(ctx).all_places or not own:
        return own + others, False
    return own, bool(others)


async def place_options(ctx: Context) -> list[Option]:
    """The places offered now, and «another commune» when more are behind it."""
    places, more = await offered_places(ctx)
    options = [Option(code, unit_name(ctx, code)) for code in places]
    return [*options, Option("other", ctx.t("reception_days.place.other"))] if more else options


async def keep_place(ctx: Context, unit: str) -> None:
    """Keeps the place and lists its reception days; «another» shows every place."""
    booking = BOOKING.draft(ctx)
    if unit == "other":
        booking.all_places = True
        await prompt_place(ctx)
        return
    booking.unit = unit
    await BOOKING.forward(ctx, "rd.day")


def my_bookings_row(ctx: Context) -> list[list[Button]]:
    """«My bookings», under the places."""
    return [[Button(ctx.t("reception_days.mine.button"), ReceptionDays("mine").pack())]]


prompt_place = choose(
    BOOKING,
    "rd.place",
    N_("reception_days.ask_place"),
    place_options,
    keep_place,
    extra=my_bookings_row,
)


def day_token(day: ReceptionDay) -> str:
    """A day's button: which schedule, which date."""
    return f"{day.schedule.id}.{day.day:%Y%m%d}"


async def days_on_offer(ctx: Context) -> list[ReceptionDay]:
    """The chosen place's reception days that still have seats."""
    found = await open_days(ctx.store, ctx.env, BOOKING.draft(ctx).unit, ctx.now)
    return found[:MAX_DAY_BUTTONS]


async def day_options(ctx: Context) -> list[Option]:
    """The days with seats, each with its head and hours."""
    t = ctx.t
    return [
        Option(
            day_token(day),
            t(
                "reception_days.day.button",
                day=weekday_text(t, day.day),
                starts=day.schedule.starts,
                head=day.head.name,
            ),
        )
        for day in await days_on_offer(ctx)
    ]


async def prompt_day(ctx: Context) -> None:
    """Lists the reception days of the coming weeks, each with its head and hours."""
    t, unit = ctx.t, BOOKING.draft(ctx).unit
    days = await day_options(ctx)
    if not days:
        ctx.reply(t("reception_days.no_days", unit=unit_name(ctx, unit)), nav_buttons(ctx))
        return
    question = t("reception_days.ask_day", unit=unit_name(ctx, unit), weeks=WEEKS_AHEAD)
    ctx.reply(with_page_hint(ctx, question, len(days)), *page_rows(ctx, days, 1), nav_buttons(ctx))


@BOOKING.step("rd.day", prompt_day)
async def answer_day(ctx: Context) -> None:
    """Keeps the day and shows its slots with the seats left."""
    token = await picked(ctx, await day_options(ctx), prompt_day)
    chosen = next((d for d in await days_on_offer(ctx) if day_token(d) == token), None)
    if chosen is not None:
        booking = BOOKING.draft(ctx)
        booking.schedule, booking.day = chosen.schedule.id, chosen.day.isoformat()
        await BOOKING.forward(ctx, "rd.slot")


async def chosen_day(ctx: Context) -> ReceptionDay | None:
    """The day picked, as it stands now (None once it is full or called off)."""
    booking = BOOKING.draft(ctx)
    return next(
        (
            day
            for day in await open_days(ctx.store, ctx.env, booking.unit, ctx.now)
            if day.schedule.id == booking.schedule and day.day.isoformat() == booking.day
        ),
        None,
    )


async def slot_options(ctx: Context) -> list[Option]:
    """The chosen day's slots that still have seats."""
    day = await chosen_day(ctx)
    t = ctx.t
    return [
        Option(
            f"{slot.at:%H%M}",
            t("reception_days.slot.button", time=local_clock(slot.at), seats=slot.seats_left),
        )
        for slot in (day.slots if day else ())
    ]


async def prompt_slot(ctx: Context) -> None:
    """Shows the day's slots that still have seats, three a row."""
    t = ctx.t
    day = await chosen_day(ctx)
    if day is None:
        ctx.reply(t("reception_days.day.gone"), nav_buttons(ctx))
        return
    slots = await slot_options(ctx)
    text = t(
        "reception_days.ask_slot",
        day=weekday_text(t, day.day),
        head=head_text(day.head),
        place=day.schedule.place,
    )
    ctx.reply(with_page_hint(ctx, text, len(slots)), *page_rows(ctx, slots, 3), nav_buttons(ctx))


@BOOKING.step("rd.slot", prompt_slot)
async def answer_slot(ctx: Context) -> None:
    """Keeps the slot and asks what the citizen comes about (unless they said it already)."""
    day = await chosen_day(ctx)
    token = await picked(ctx, await slot_options(ctx), prompt_slot)
    slot = next((s for s in day.slots if f"{s.at:%H%M}" == token), None) if day else None
    if slot is not None:
        booking = BOOKING.draft(ctx)
        booking.slot = slot.at.isoformat()
        await BOOKING.forward(ctx, "rd.confirm" if booking.topic else "rd.topic")


async def keep_topic(ctx: Context, topic: str) -> None:
    """Keeps the matter and shows the booking once more."""
    BOOKING.draft(ctx).topic = topic
    await BOOKING.forward(ctx, "rd.confirm")


write(
    BOOKING,
    "rd.topic",
    lambda ctx: ctx.t("reception_days.ask_topic", min=MIN_TOPIC_CHARS, max=MAX_TOPIC_CHARS),
    keep_topic,
    check=within(MIN_TOPIC_CHARS, MAX_TOPIC_CHARS),
    invalid=lambda ctx: ctx.t(
        "reception_days.topic.invalid", min=MIN_TOPIC_CHARS, max=MAX_TOPIC_CHARS
    ),
)


async def prompt_confirm(ctx: Context) -> None:
    """Shows the booking before it is made."""
    t, booking = ctx.t, BOOKING.draft(ctx)
    day = await chosen_day(ctx)
    if day is None:
        ctx.reply(t("reception_days.day.gone"), nav_buttons(ctx))
        return
    slot_at = datetime.fromisoformat(booking.slot)
    text = t(
        "reception_days.review",
        day=weekday_text(t, day.day),
        time=local_clock(slot_at),
        head=head_text(day.head),
        place=day.schedule.place,
        topic=booking.topic,
    )
    ctx.reply(text, [ctx.button(t("reception_days.confirm"), "confirm")], nav_buttons(ctx))


async def confirmed(ctx: Context, prompt: Handler) -> bool:
    """Whether the «confirm» under a review was pressed (or its words typed)."""
    return await pressed(ctx, "confirm", N_("reception_days.confirm"), prompt)


@BOOKING.step("rd.confirm", prompt_confirm)
async def answer_confirm(ctx: Context) -> None:
    """Books the slot; a slot taken meanwhile shows the seats still free."""
    citizen = await booking_citizen(ctx)
    if citizen is None or not await confirmed(ctx, prompt_confirm):
        return
    booking = BOOKING.draft(ctx)
    try:
        booked = await book(
            ctx.store,
            ctx.env,
            citizen.id,
            booking.schedule,
            datetime.fromisoformat(booking.slot),
            booking.topic,
            ctx.now,
        )
    except BookingRefused as refused:
        ctx.reply(ctx.t(refused.reason))
        await BOOKING.return_to(ctx, "rd.slot")
        return
    BOOKING.drop(ctx)
    log.info("booking %s made on schedule %s", booked.booking.id, booked.schedule.id)
    await show_menu(ctx, ctx.t("reception_days.booked", **booking_facts(ctx.t, booked)))


async def show_my_bookings(ctx: Context) -> None:
    """The citizen's bookings still ahead, each with its cancel button."""
    citizen = await booking_citizen(ctx)
    if citizen is None:
        return
    t = ctx.t
    mine = await bookings_ahead(ctx.store, citizen.id, ctx.now)
    back = [Button(t("menu.meet"), Meet("home").pack())]
    home = [Button(t("menu.back_home"), Menu("home").pack())]
    if not mine:
        book = [Button(t("reception_days.mine.book"), ReceptionDays("list").pack())]
        ctx.reply(t("reception_days.mine.empty"), book, back, home)
        return
    lines = [t("reception_days.mine.title", count=len(mine))]
    lines += [t("reception_days.mine.item", **booking_facts(t, booked)) for booked in mine]
    rows = [
        [
            Button(
                t(
                    "reception_days.mine.cancel_at",
                    time=local_clock(booked.booking.slot_at),
                    date=t.date(booked.booking.slot_at),
                ),
                CancelBooking(booked.booking.id).pack(),
            )
        ]
        for booked in mine
    ]
    ctx.reply("\n\n".join(lines), *rows, back, home)


async def cancel_my_booking(ctx: Context, booking_id: int) -> None:
    """Calls off one of the citizen's own bookings; anyone else's is refused without a word
    about it."""
    citizen = await booking_citizen(ctx)
    if citizen is None:
        return
    try:
        cancelled = await cancel_booking(ctx.store, citizen.id, booking_id, ctx.now)
    except BookingRefused as refused:
        log.warning("booking %s not cancelled for %s: %s", booking_id, ctx.actor, refused.reason)
        ctx.reply(ctx.t(refused.reason))
        return
    facts = booking_facts(ctx.t, cancelled)
    await show_menu(ctx, ctx.t("reception_days.cancelled_by_you", **facts))


# --- officers: the reception-day home -----------------------------------------------------------


@on(router, ReceptionStaff)
async def staff_button(ctx: Context, data: ReceptionStaff) -> None:
    """«Lịch tiếp dân», «Lập lịch mới» and «Công dân đã hẹn»."""
    await STAFF_SCREENS[data.screen](ctx)


@on(router, ScheduleAction)
async def schedule_button(ctx: Context, data: ScheduleAction) -> None:
    """Call off a day of a schedule, or stop it (the officer's own to manage: checked there)."""
    await (begin_calling_off if data.action == "off" else begin_stopping)(ctx, data.schedule)


@on(router, RecordVisit)
async def visit_button(ctx: Context, data: RecordVisit) -> None:
    """«Ghi kết quả» of a booked visit (of this officer's schedules: checked there)."""
    await begin_outcome(ctx, data.booking)


async def staff_home(ctx: Context) -> None:
    """The officer's schedules, with what can be done to each."""
    officer = await staff_here(ctx)
    if officer is None:
        return
    t = ctx.t
    schedules = await schedules_for(ctx.store, ctx.env, officer)
    heads = await heads_of_schedules(ctx.store, schedules)
    shown = [s for s in schedules if s.officer_id in heads]
    committee = peoples_committee(ctx.env.org, officer.unit) or officer.unit
    lines = [t("reception_days.staff.title", unit=unit_name(ctx, committee))]
    lines += [schedule_text(t, s, heads[s.officer_id]) for s in shown]
    if not shown:
        lines.append(t("reception_days.staff.no_schedules"))
    rows = [[Button(t("reception_days.staff.new"), ReceptionStaff("new").pack())]]
    rows.append([Button(t("reception_days.staff.bookings"), ReceptionStaff("today").pack())])
    for schedule in shown:
        label = f"{t(WEEKDAY_LABELS[schedule.weekday])} · {heads[schedule.officer_id].name}"
        rows.append(
            [
                Button(
                    t("reception_days.staff.call_off", schedule=label),
                    ScheduleAction(schedule.id, "off").pack(),
                ),
                Button(
                    t("reception_days.staff.stop", schedule=label),
                    ScheduleAction(schedule.id, "stop").pack(),
                ),
            ]
        )
    ctx.reply("\n\n".join(lines), *rows)


# --- officers: set up a schedule ----------------------------------------------------------------


async def begin_setup(ctx: Context) -> None:
    """Start a new schedule: for the head themselves, or a head of the People's Committee."""
    officer = await staff_here(ctx)
    if officer is None:
        return
    heads = await heads_to_schedule(ctx.store, ctx.env.org, officer)
    if not heads:
        refuse(ctx, officer, "no head to set reception days for", NO_HEAD)
        return
    work = ScheduleWork(head=heads[0] if len(heads) == 1 else "")
    await SCHEDULING.start(ctx, work, "rs.weekday" if work.head else "rs.head")


async def head_options(ctx: Context) -> list[Option]:
    """The heads this officer may set reception days for."""
    officer = await staff_here(ctx)
    handles = await heads_to_schedule(ctx.store, ctx.env.org, officer) if officer else []
    options = []
    for handle in handles:
        head = await ctx.store.officer_by_handle(handle)
        if head is not None:
            options.append(Option(handle, head_text(head)))
    return options


def keeping(attribute: str, then: str, convert: Callable[[str], Any] = str) -> Keep:
    """Keep the answer as the schedule's `attribute` and ask `then`."""

    async def keep(ctx: Context, value: str) -> None:
        setattr(SCHEDULING.draft(ctx), attribute, convert(value))
        await SCHEDULING.forward(ctx, then)

    return keep


def weekday_options(ctx: Context) -> list[Option]:
    """Monday to Saturday."""
    return [Option(str(day), ctx.t(WEEKDAY_LABELS[day])) for day in OFFICE_WEEKDAYS]


choose(
    SCHEDULING,
    "rs.head",
    N_("reception_days.setup.ask_head"),
    head_options,
    keeping("head", "rs.weekday"),
)
choose(
    SCHEDULING,
    "rs.weekday",
    N_("reception_days.setup.ask_weekday"),
    weekday_options,
    keeping("weekday", "rs.hours", int),
    per_row=2,
)


async def prompt_hours(ctx: Context) -> None:
    """Asks the hours: a morning or an afternoon, or typed."""
    rows = [[ctx.button(ctx.t(label), token)] for token, (label, _) in HOURS_PRESETS.items()]
    ctx.reply(ctx.t("reception_days.setup.ask_hours"), *rows, nav_buttons(ctx))


@SCHEDULING.step("rs.hours", prompt_hours)
async def answer_hours(ctx: Context) -> None:
    """Keeps the hours and asks how long each citizen is given."""
    preset = HOURS_PRESETS.get(ctx.choice or "")
    hours = parse_hours(preset[1] if preset else typed_text(ctx))
    if hours is None:
        ctx.aside(ctx.t("reception_days.setup.hours_invalid"))
        return
    work = SCHEDULING.draft(ctx)
    work.starts, work.ends = f"{hours[0]:%H:%M}", f"{hours[1]:%H:%M}"
    await SCHEDULING.forward(ctx, "rs.slot")


async def prompt_slot_length(ctx: Context) -> None:
    """Asks the minutes each slot lasts."""
    buttons = [
        ctx.button(ctx.t("reception_days.setup.minutes", minutes=m), m) for m in SLOT_PRESETS
    ]
    ctx.reply(ctx.t("reception_days.setup.ask_slot"), buttons, nav_buttons(ctx))


@SCHEDULING.step("rs.slot", prompt_slot_length)
async def answer_slot_length(ctx: Context) -> None:
    """Keeps the slot length, if at least one slot fits the hours, and asks the capacity."""
    minutes = number_answer(ctx, MAX_SLOT_MINUTES)
    work = SCHEDULING.draft(ctx)
    if minutes is None or minutes < MIN_SLOT_MINUTES or not setup_hours(work, minutes):
        ctx.aside(
            ctx.t("reception_days.setup.slot_invalid", min=MIN_SLOT_MINUTES, max=MAX_SLOT_MINUTES)
        )
        return
    work.slot_minutes = minutes
    await SCHEDULING.forward(ctx, "rs.capacity")


def setup_hours(work: ScheduleWork, minutes: int) -> Hours | None:
    """The hours chosen, cut into slots of `minutes`; None when not one slot fits."""
    hours = parse_hours(f"{work.starts}-{work.ends}")
    if hours is None:
        return None
    plan = Hours(hours[0], hours[1], minutes)
    return plan if plan.slot_starts() else None


async def prompt_capacity(ctx: Context) -> None:
    """Asks how many citizens may book each slot."""
    buttons = [ctx.button(count, count) for count in CAPACITY_PRESETS]
    ctx.reply(ctx.t("reception_days.setup.ask_capacity"), buttons, nav_buttons(ctx))


@SCHEDULING.step("rs.capacity", prompt_capacity)
async def answer_capacity(ctx: Context) -> None:
    """Keeps the capacity and asks the place."""
    capacity = number_answer(ctx, MAX_CAPACITY)
    if capacity is None:
        ctx.aside(ctx.t("reception_days.setup.capacity_invalid", max=MAX_CAPACITY))
        return
    SCHEDULING.draft(ctx).capacity = capacity
    await SCHEDULING.forward(ctx, "rs.place")


async def setup_committee(ctx: Context) -> str:
    """The People's Committee whose office the chosen head receives at."""
    head = await ctx.store.officer_by_handle(SCHEDULING.draft(ctx).head)
    committee = peoples_committee(ctx.env.org, head.unit) if head else None
    return committee or ""


async def prompt_place_of_schedule(ctx: Context) -> None:
    """Asks where citizens are received: the office, or typed."""
    committee = await setup_committee(ctx)
    office = ctx.t("reception_days.place.office", unit=unit_name(ctx, committee))
    ctx.reply(
        ctx.t("reception_days.setup.ask_place"), [ctx.button(office, "office")], nav_buttons(ctx)
    )


@SCHEDULING.step("rs.place", prompt_place_of_schedule)
async def answer_place_of_schedule(ctx: Context) -> None:
    """Keeps the place and shows the schedule once more."""
    if ctx.choice == "office":
        unit = unit_name(ctx, await setup_committee(ctx))
        place = ctx.t("reception_days.place.office", unit=unit)
    else:
        place = typed_text(ctx)
    if not MIN_PLACE_CHARS <= len(place) <= MAX_PLACE_CHARS:
        ctx.aside(
            ctx.t("reception_days.setup.place_invalid", min=MIN_PLACE_CHARS, max=MAX_PLACE_CHARS)
        )
        return
    SCHEDULING.draft(ctx).place = place
    await SCHEDULING.forward(ctx, "rs.review")


async def prompt_setup_review(ctx: Context) -> None:
    """Shows the schedule before it is kept."""
    work = SCHEDULING.draft(ctx)
    head = await ctx.store.officer_by_handle(work.head)
    if head is None:
        ctx.reply(ctx.t("reception_days.staff_only"))
        return
    text = ctx.t("reception_days.setup.review", schedule=schedule_text(ctx.t, draft(work), head))
    ctx.reply(text, [ctx.button(ctx.t("reception_days.confirm"), "confirm")], nav_buttons(ctx))


def draft(work: ScheduleWork) -> ReceptionScheduleView:
    """The schedule being set up, shown like a stored one."""
    return ReceptionScheduleView(
        0,
        "",
        0,
        work.weekday,
        work.starts,
        work.ends,
        work.slot_minutes,
        work.capacity,
        work.place,
        True,
    )


@SCHEDULING.step("rs.review", prompt_setup_review)
async def answer_setup_review(ctx: Context) -> None:
    """Keeps the schedule; citizens can book its days from now on."""
    officer = await staff_here(ctx)
    work = SCHEDULING.draft(ctx)
    head = await ctx.store.officer_by_handle(work.head)
    hours = setup_hours(work, work.slot_minutes)
    if officer is None or head is None or hours is None:
        return
    if not await confirmed(ctx, prompt_setup_review):
        return
    plan = SchedulePlan(
        head.id,
        work.weekday,
        hours.starts,
        hours.ends,
        hours.slot_minutes,
        work.capacity,
        work.place,
    )
    SCHEDULING.drop(ctx)
    try:
        created = await create_schedule(ctx.store, ctx.env, officer, plan, ctx.now)
    except NotAllowed:
        refuse(ctx, officer, f"reception schedule for {head.handle}", NOT_YOURS)
        await show_menu(ctx)
        return
    log.info("reception schedule %s set up by %s", created.id, officer.handle)
    text = ctx.t("reception_days.setup.done", schedule=schedule_text(ctx.t, created, head))
    await show_menu(ctx, text)


# --- officers: call off a day, stop a schedule --------------------------------------------------


async def schedule_in_hand(ctx: Context, schedule_id: int) -> ReceptionScheduleView | None:
    """A schedule this officer may manage; a polite refusal for any other id."""
    officer = await staff_here(ctx)
    if officer is None:
        return None
    try:
        return await managed_schedule(ctx.store, ctx.env, officer, schedule_id)
    except NotAllowed:
        refuse(ctx, officer, f"reception schedule {schedule_id}", NOT_YOURS)
        return None


async def begin_calling_off(ctx: Context, schedule_id: int) -> None:
    """Asks which of the schedule's coming days is called off."""
    if await schedule_in_hand(ctx, schedule_id) is None:
        return
    await SCHEDULING.start(ctx, ScheduleWork(schedule=schedule_id), "rs.off_day")


async def off_day_options(ctx: Context) -> list[Option]:
    """The schedule's coming days."""
    schedule = await schedule_in_hand(ctx, SCHEDULING.draft(ctx).schedule)
    days = await upcoming_dates(ctx.store, ctx.env, schedule, ctx.now) if schedule else []
    return [Option(day.isoformat(), weekday_text(ctx.t, day)) for day in days]


async def keep_off_day(ctx: Context, day: str) -> None:
    """Keeps the day and asks the reason the booked citizens will read."""
    SCHEDULING.draft(ctx).day = day
    await SCHEDULING.forward(ctx, "rs.off_reason")


choose(SCHEDULING, "rs.off_day", N_("reception_days.off.ask_day"), off_day_options, keep_off_day)


async def prompt_off_reason(ctx: Context) -> None:
    """Asks why, in a few words for the citizens."""
    ctx.reply(ctx.t("reception_days.off.ask_reason", max=MAX_PLACE_CHARS), nav_buttons(ctx))


@SCHEDULING.step("rs.off_reason", prompt_off_reason)
async def answer_off_reason(ctx: Context) -> None:
    """Calls the day off and tells every citizen booked on it."""
    officer = await staff_here(ctx)
    reason = typed_text(ctx)
    if officer is None or not MIN_PLACE_CHARS <= len(reason) <= MAX_PLACE_CHARS:
        ctx.aside(ctx.t("reception_days.off.reason_invalid", max=MAX_PLACE_CHARS))
        return
    work = SCHEDULING.draft(ctx)
    SCHEDULING.drop(ctx)
    day = date.fromisoformat(work.day)
    try:
        cancelled = await call_off_day(
            ctx.store, ctx.env, officer, work.schedule, day, reason, ctx.now
        )
    except NotAllowed:
        refuse(ctx, officer, f"calling off schedule {work.schedule}", NOT_YOURS)
        await show_menu(ctx)
        return
    except BookingRefused as refused:
        await show_menu(ctx, ctx.t(refused.reason))
        return
    log.info("reception day %s of schedule %s called off by %s", day, work.schedule, officer.handle)
    await tell_called_off(ctx, cancelled, N_("reception_days.off.told"), reason)
    done = ctx.t("reception_days.off.done", day=weekday_text(ctx.t, day), count=len(cancelled))
    await show_menu(ctx, done)


async def tell_called_off(
    ctx: Context, cancelled: list[BookingView], message_id: str, reason: str
) -> None:
    """Each booked citizen learns their slot is off, why, and may book another day."""
    schedules = {b.schedule_id for b in cancelled}
    for schedule_id in schedules:
        schedule = await ctx.store.reception_schedule(schedule_id)
        head = await ctx.store.officer_by_id(schedule.officer_id) if schedule else None
        if schedule is None or head is None:
            continue
        for booking in (b for b in cancelled if b.schedule_id == schedule_id):
            chat = await ctx.store.citizen_chat(booking.citizen_id)
            if chat is not None:
                booked = Booked(booking, schedule, head)
                await ctx.notify(
                    chat,
                    functools.partial(
                        called_off, booked=booked, message_id=message_id, reason=reason
                    ),
                )


def called_off(t: Translator, booked: Booked, message_id: str, reason: str) -> Reply:
    """The citizen's notice, with a button to book another day."""
    text = t(message_id, reason=reason, **booking_facts(t, booked))
    return Reply(text, ((Button(t("reception_days.mine.book"), ReceptionDays("list").pack()),),))


async def begin_stopping(ctx: Context, schedule_id: int) -> None:
    """Asks to confirm stopping a schedule."""
    if await schedule_in_hand(ctx, schedule_id) is None:
        return
    await SCHEDULING.start(ctx, ScheduleWork(schedule=schedule_id), "rs.stop")


async def prompt_stop(ctx: Context) -> None:
    """Shows the schedule to be stopped and what happens to its bookings."""
    schedule = await schedule_in_hand(ctx, SCHEDULING.draft(ctx).schedule)
    head = await ctx.store.officer_by_id(schedule.officer_id) if schedule else None
    if schedule is None or head is None:
        return
    ctx.reply(
        ctx.t("reception_days.stop.ask", schedule=schedule_text(ctx.t, schedule, head)),
        [ctx.button(ctx.t("reception_days.confirm"), "confirm")],
        nav_buttons(ctx),
    )


@SCHEDULING.step("rs.stop", prompt_stop)
async def answer_stop(ctx: Context) -> None:
    """Stops the schedule and tells the citizens booked on it."""
    officer = await staff_here(ctx)
    if officer is None or not await confirmed(ctx, prompt_stop):
        return
    schedule_id = SCHEDULING.draft(ctx).schedule
    SCHEDULING.drop(ctx)
    try:
        cancelled = await stop_schedule(ctx.store, ctx.env, officer, schedule_id, ctx.now)
    except NotAllowed:
        refuse(ctx, officer, f"stopping schedule {schedule_id}", NOT_YOURS)
        await show_menu(ctx)
        return
    log.info("reception schedule %s stopped by %s", schedule_id, officer.handle)
    await tell_called_off(ctx, cancelled, N_("reception_days.stop.told"), "")
    await show_menu(ctx, ctx.t("reception_days.stop.done", count=len(cancelled)))


# --- officers: the bookings and their outcomes --------------------------------------------------


async def show_bookings_to_receive(ctx: Context) -> None:
    """Today's and the coming week's booked citizens; those whose day has come get a button."""
    officer = await staff_here(ctx)
    if officer is None:
        return
    t = ctx.t
    found = await bookings_to_receive(ctx.store, ctx.env, officer, ctx.now)
    if not found:
        ctx.reply(t("reception_days.bookings.empty"))
        return
    today = local_day(ctx.now)
    lines = [t("reception_days.bookings.title", count=len(found))]
    lines += [booking_line(t, booked) for booked in found]
    rows = [
        [
            Button(
                t(
                    "reception_days.bookings.record",
                    time=local_clock(booked.booking.slot_at),
                    date=t.date(booked.booking.slot_at),
                    citizen=visitor_of(t, booked.booking),
                ),
                RecordVisit(booked.booking.id).pack(),
            )
        ]
        for booked in found
        if local_day(booked.booking.slot_at) <= today
    ]
    # Only a visit whose day has come can have an outcome: say which of the two the list holds.
    how = N_("reception_days.bookings.press") if rows else N_("reception_days.bookings.later")
    lines.append(t(how))
    ctx.reply("\n".join(lines), *rows, [Button(t("menu.back_home"), Menu("home").pack())])


def visitor_of(t: Translator, booking: BookingView) -> str:
    """The booked citizen's name, or a plain word when they never gave it."""
    return booking.citizen_name or t("reception_days.citizen.unnamed")


def booking_line(t: Translator, booked: Booked) -> str:
    """One booked citizen: when, who, with which head, about what."""
    return t(
        "reception_days.bookings.item",
        time=local_clock(booked.booking.slot_at),
        date=t.date(booked.booking.slot_at),
        citizen=visitor_of(t, booked.booking),
        head=booked.head.name,
        topic=booked.booking.topic,
    )


async def booking_in_hand(ctx: Context, booking_id: int) -> Booked | None:
    """A booking of this officer's schedules ready for its outcome; a polite no otherwise."""
    officer = await staff_here(ctx)
    if officer is None:
        return None
    try:
        return await booking_to_record(ctx.store, ctx.env, officer, booking_id, ctx.now)
    except NotAllowed:
        refuse(ctx, officer, f"booking {booking_id}", NOT_YOURS)
    except BookingRefused as refused:
        ctx.reply(ctx.t(refused.reason))
    return None


async def begin_outcome(ctx: Context, booking_id: int) -> None:
    """Asks how a booked visit ended."""
    booked = await booking_in_hand(ctx, booking_id)
    if booked is None:
        return
    await VISIT_RESULT.start(
        ctx, VisitResult(booking=booking_id, name=booked.booking.citizen_name), "rs.outcome"
    )


OUTCOME_CHOICES: dict[str, str] = {
    **{outcome.value: label for outcome, label in OUTCOME_LABELS.items()},
    NO_SHOW: N_("reception_days.outcome.no_show"),
}


async def prompt_outcome(ctx: Context) -> None:
    """Shows the booking and asks how it ended: guided, explained, a petition, or no-show."""
    booked = await booking_in_hand(ctx, VISIT_RESULT.draft(ctx).booking)
    if booked is None:
        return
    rows = [[ctx.button(ctx.t(label), code)] for code, label in OUTCOME_CHOICES.items()]
    text = ctx.t("reception_days.outcome.ask", booking=booking_line(ctx.t, booked))
    ctx.reply(text, *rows, nav_buttons(ctx))


@VISIT_RESULT.step("rs.outcome", prompt_outcome)
async def answer_outcome(ctx: Context) -> None:
    """A no-show is recorded at once; a visit asks its field next."""
    outcome = await picked(ctx, await listed(ctx, labelled(OUTCOME_CHOICES)), prompt_outcome)
    if outcome is None:
        return
    VISIT_RESULT.draft(ctx).outcome = outcome
    if outcome == NO_SHOW:
        await finish_outcome(ctx)
    else:
        await VISIT_RESULT.forward(ctx, "rs.field")


async def keep_field(ctx: Context, field: str) -> None:
    """Keeps the field; a petition asks its kind, the rest go to the review."""
    result = VISIT_RESULT.draft(ctx)
    result.field = field
    petition = result.outcome == ReceptionOutcome.PETITION
    await VISIT_RESULT.forward(ctx, FILER.kind if petition else "rs.result")


choose(VISIT_RESULT, "rs.field", N_("reception.ask_field"), field_options, keep_field, per_row=2)


async def prompt_result(ctx: Context) -> None:
    """Shows the outcome once more before it is recorded."""
    t, result = ctx.t, VISIT_RESULT.draft(ctx)
    booked = await booking_in_hand(ctx, result.booking)
    if booked is None:
        return
    field = ctx.env.org.field(result.field)
    outcome = [t(OUTCOME_CHOICES[result.outcome])]
    if result.outcome == ReceptionOutcome.PETITION:
        outcome += [kind_label(t, result.petition_kind or ""), result.name or ""]
        outcome.append(result.address or "")
    text = t(
        "reception_days.outcome.review",
        booking=booking_line(t, booked),
        field=t(field.label) if field else result.field,
        outcome=" · ".join(part for part in outcome if part),
    )
    ctx.reply(text, [ctx.button(t("reception_days.confirm"), "confirm")], nav_buttons(ctx))


@VISIT_RESULT.step("rs.result", prompt_result)
async def answer_result(ctx: Context) -> None:
    """Records the visit."""
    if await confirmed(ctx, prompt_result):
        await finish_outcome(ctx)


async def finish_outcome(ctx: Context) -> None:
    """Writes the outcome (a reception record unless nobody came) and tells those concerned."""
    officer = await staff_here(ctx)
    if officer is None:
        return
    result = VISIT_RESULT.draft(ctx)
    VISIT_RESULT.drop(ctx)
    outcome = Outcome(
        outcome=result.outcome,
        field=result.field or None,
        visitor_name=result.name,
        visitor_address=result.address,
        petition_kind=result.petition_kind,
        accused=result.accused,
    )
    try:
        done = await record_outcome(ctx.store, ctx.env, officer, result.booking, outcome, ctx.now)
    except NotAllowed:
        refuse(ctx, officer, f"outcome of booking {result.booking}", NOT_YOURS)
        await show_menu(ctx)
        return
    except BookingRefused as refused:
        await show_menu(ctx, ctx.t(refused.reason))
        return
    log.info(
        "outcome %s of booking %s recorded by %s", outcome.outcome, result.booking, officer.handle
    )
    await show_menu(ctx, outcome_text(ctx, done))
    await tell_petition(ctx, done)


def outcome_text(ctx: Context, done: OutcomeRecorded) -> str:
    """The officer's confirmation; with a petition, its code."""
    t = ctx.t
    if done.recorded is None:
        return t(
            "reception_days.outcome.no_show_recorded", citizen=visitor_of(t, done.booked.booking)
        )
    petition = done.recorded.petition
    if petition is None:
        return t("reception_days.outcome.recorded", citizen=visitor_of(t, done.booked.booking))
    return t(
        "reception_days.outcome.recorded_petition",
        citizen=visitor_of(t, done.booked.booking),
        code=petition.filed.code,
        kind=kind_label(t, petition.draft.kind),
    )


async def tell_petition(ctx: Context, done: OutcomeRecorded) -> None:
    """A petition written down at the reception goes to its officer, and its code and dates to
    the citizen's chat."""
    petition = done.recorded.petition if done.recorded else None
    if petition is None:
        return
    await tell_assignee(ctx, petition.filed, petition.draft)
    chat = await ctx.store.citizen_chat(done.booked.booking.citizen_id)
    if chat is not None:
        await ctx.notify(chat, functools.partial(petition_for_citizen, done=done))


def petition_for_citizen(t: Translator, done: OutcomeRecorded) -> Reply:
    """The citizen's receipt for the petition written down at their reception."""
    assert done.recorded is not None and done.recorded.petition is not None
    filed = done.recorded.petition.filed
    lines = [
        t(
            "reception_days.outcome.petition_for_citizen",
            code=filed.code,
            kind=kind_label(t, done.recorded.petition.draft.kind),
            date=t.date(done.booked.booking.slot_at),
        )
    ]
    lines += [
        t("mine.deadline", what=rule_label(t, d.rule_id), date=t.date(d.due_date))
        for d in filed.deadlines
    ]
    return Reply("\n".join(lines))


# The screens of `ReceptionStaff`, one for each its data may name.
STAFF_SCREENS: dict[str, Handler] = {
    "home": staff_home,
    "new": begin_setup,
    "today": show_bookings_to_receive,
}


# --- leaders' indicators ------------------------------------------------------------------------


@on(router, Indicators)
async def indicators_button(ctx: Context, data: Indicators) -> None:
    """«Chỉ tiêu»: for heads and inspectors only."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    try:
        found = await indicators(ctx.store, ctx.env, officer, ctx.now)
        units = await standings(ctx.store, ctx.env, officer, ctx.now)
    except NotAllowed:
        refuse(ctx, officer, "indicators", N_("indicators.not_allowed"))
        return
    ctx.reply(indicators_text(ctx.t, found, local_day(ctx.now)))
    ctx.reply(standings_text(ctx.t, ctx.env.org, units), [survey_button(ctx.t)])


def indicators_text(t: Translator, found: list[HeadIndicator], today: date) -> str:
    """One compact block per head, those behind first; the law at the foot.

    A head who is behind is always shown; only heads on track are cut from a long list.
    """
    if not found:
        return t("indicators.none")
    behind = [i for i in found if not (i.dialogues_met and i.reception_days_met)]
    on_track = [i for i in found if i.dialogues_met and i.reception_days_met]
    shown = behind + on_track[: max(0, MAX_HEADS_SHOWN - len(behind))]
    blocks = [t("indicators.title", year=today.year, date=t.date(today))]
    blocks += [indicator_block(t, indicator) for indicator in shown]
    if len(found) > len(shown):
        blocks.append(t("indicators.more", count=len(found) - len(shown)))
    blocks.append(t("indicators.basis"))
    return "\n\n".join(blocks)


def indicator_block(t: Translator, indicator: HeadIndicator) -> str:
    """A head's two indicators, each marked ✅ when met and ⚠️ when behind; a head without
    the reception-day duty of their own (a deputy) has the days counted, not judged."""
    words = {
        "name": indicator.head.name,
        "title": indicator.head.title,
        "dialogues_mark": mark(indicator.dialogues_met),
        "dialogues": indicator.dialogues_held,
        "target": indicator.dialogues_target,
        "days": indicator.reception_days_held,
    }
    if indicator.duty is None:
        return t("indicators.head.no_duty", **words)
    return t(
        "indicators.head",
        **words,
        days_mark=mark(indicator.reception_days_met),
        required=indicator.reception_days_required,
        per=t(PERIOD_LABELS[indicator.duty.period]),
    )


def mark(met: bool) -> str:
    """✅ or ⚠️."""
    return "✅" if met else "⚠️"
