"""Tiếp công dân định kỳ in chat (issue 4 §8-9): reception days, booked slots, indicators.

Citizens («rd»): place → day → slot → the matter in brief → confirm → booked; «my bookings» with
a cancel button each. Officers who receive citizens («rs»): set up a head's reception day, call off
one day or stop a schedule (booked citizens are told), and record how each booked visit ended.
Heads and inspectors («ki»): the leaders' indicators. Every answer re-checks on the server who is
acting; button data only says which schedule or booking is meant, and a foreign one is refused.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from bot.conversation import Context, Handler, Router, ask, number_in
from bot.core import Button, Reply
from bot.domain.petition import IDENTITY_NEEDS, MAX_ADDRESS_CHARS, MAX_NAME_CHARS, PetitionKind
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
from bot.domain.routing import ACCUSED_LEVELS
from bot.i18n import N_, Translator
from bot.labels import KIND_EXPLANATIONS, kind_label, rule_label
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
from bot.services.workflow import NotAllowed
from handlers.common import forged_button, require_consent, show_menu
from handlers.filing import nav_row, not_a_choice, tell_assignee
from handlers.reception import ACCUSED_LABELS, OUTCOME_LABELS, typed_text
from handlers.staff import current_officer, receiving_officer, refuse

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


def flow_of(ctx: Context) -> dict[str, Any]:
    """The booking or setup being prepared, kept in the conversation."""
    flow: dict[str, Any] = ctx.conv.data.setdefault("reception_day", {"trail": []})
    return flow


def start_flow(ctx: Context, **values: Any) -> None:
    """Begin a new flow, forgetting any earlier one."""
    ctx.conv.data["reception_day"] = {"trail": [], **values}
    ctx.conv.state = ""


async def forward(ctx: Context, state: str) -> None:
    """Ask the next question, remembering this one for Back."""
    flow_of(ctx)["trail"].append(ctx.conv.state)
    await ask(router, ctx, state)


async def return_to(ctx: Context, state: str) -> None:
    """Ask an earlier question again, as if Back had been pressed up to it."""
    trail = flow_of(ctx)["trail"]
    if state in trail:
        del trail[trail.index(state) :]
    await ask(router, ctx, state)


async def navigated(ctx: Context) -> bool:
    """Back goes to the previous question, Cancel drops the flow; True when one was pressed."""
    if ctx.choice not in {"back", "cancel"}:
        return False
    trail = flow_of(ctx)["trail"]
    previous = trail.pop() if ctx.choice == "back" and trail else ""
    if previous in router.states:
        await ask(router, ctx, previous)
    else:
        ctx.conv.data.pop("reception_day", None)
        await show_menu(ctx, ctx.t("reception_days.cancelled"))
    return True


def question(
    state: str, prompt: Handler, who: Callable[[Context], Awaitable[object | None]]
) -> Callable[[Handler], Handler]:
    """Register a question whose answers first re-check who is acting, then Back and Cancel."""

    def register(answer: Handler) -> Handler:
        @functools.wraps(answer)
        async def checked(ctx: Context) -> None:
            if await who(ctx) is None:
                ctx.conv.data.pop("reception_day", None)
                ctx.goto("")
            elif not await navigated(ctx):
                await answer(ctx)

        return router.state(state, prompt)(checked)

    return register


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


@router.global_button("rd")
async def citizen_button(ctx: Context) -> None:
    """The citizen's reception-day buttons: the list, their bookings, cancelling one."""
    choice = ctx.choice or ""
    if choice == "list":
        await begin_booking(ctx)
    elif choice == "mine":
        await show_my_bookings(ctx)
    elif choice.startswith("x.") and (booking_id := number_in(choice[2:])) is not None:
        await cancel_my_booking(ctx, booking_id)
    else:
        await forged_button(ctx)


async def begin_booking(ctx: Context) -> None:
    """Offer the places with reception days: the citizen's own straight away, when known."""
    citizen = await booking_citizen(ctx)
    if citizen is None:
        return
    own, others = await places_for(ctx.store, ctx.env, citizen.id)
    if not own and not others:
        await show_menu(ctx, ctx.t("reception_days.none"))
        return
    start_flow(ctx, all_places=not own)
    if len(own + others) == 1:
        flow_of(ctx)["unit"] = (own + others)[0]
        await forward(ctx, "rd.day")
    else:
        await forward(ctx, "rd.place")


async def offered_places(ctx: Context) -> tuple[list[str], bool]:
    """The places to offer now, and whether more are behind «another commune»."""
    citizen = await booking_citizen(ctx)
    own, others = await places_for(ctx.store, ctx.env, citizen.id) if citizen else ([], [])
    if flow_of(ctx).get("all_places") or not own:
        return own + others, False
    return own, bool(others)


async def prompt_place(ctx: Context) -> None:
    """Asks whose reception days to look at: the commune's or the province's."""
    places, more = await offered_places(ctx)
    rows = [[ctx.button(unit_name(ctx, code), code)] for code in places]
    if more:
        rows.append([ctx.button(ctx.t("reception_days.place.other"), "other")])
    rows.append([Button(ctx.t("reception_days.mine.button"), "rd:mine")])
    ctx.reply(ctx.t("reception_days.ask_place"), *rows, nav_row(ctx))


@question("rd.place", prompt_place, booking_citizen)
async def answer_place(ctx: Context) -> None:
    """Keeps the place and lists its reception days; «another» shows every place."""
    if ctx.choice == "other":
        flow_of(ctx)["all_places"] = True
        await prompt_place(ctx)
        return
    places, _ = await offered_places(ctx)
    if ctx.choice not in places:
        await not_a_choice(ctx, prompt_place)
        return
    flow_of(ctx)["unit"] = ctx.choice
    await forward(ctx, "rd.day")


def day_token(day: ReceptionDay) -> str:
    """A day's button: which schedule, which date."""
    return f"{day.schedule.id}.{day.day:%Y%m%d}"


async def days_on_offer(ctx: Context) -> list[ReceptionDay]:
    """The chosen place's reception days that still have seats."""
    found = await open_days(ctx.store, ctx.env, flow_of(ctx)["unit"], ctx.now)
    return found[:MAX_DAY_BUTTONS]


async def prompt_day(ctx: Context) -> None:
    """Lists the reception days of the coming weeks, each with its head and hours."""
    t, unit = ctx.t, flow_of(ctx)["unit"]
    days = await days_on_offer(ctx)
    if not days:
        ctx.reply(t("reception_days.no_days", unit=unit_name(ctx, unit)), nav_row(ctx))
        return
    rows = [
        [
            ctx.button(
                t(
                    "reception_days.day.button",
                    day=weekday_text(t, day.day),
                    starts=day.schedule.starts,
                    head=day.head.name,
                ),
                day_token(day),
            )
        ]
        for day in days
    ]
    ctx.reply(
        t("reception_days.ask_day", unit=unit_name(ctx, unit), weeks=WEEKS_AHEAD),
        *rows,
        nav_row(ctx),
    )


@question("rd.day", prompt_day, booking_citizen)
async def answer_day(ctx: Context) -> None:
    """Keeps the day and shows its slots with the seats left."""
    chosen = next((d for d in await days_on_offer(ctx) if day_token(d) == ctx.choice), None)
    if chosen is None:
        await not_a_choice(ctx, prompt_day)
        return
    flow_of(ctx).update(schedule=chosen.schedule.id, day=chosen.day.isoformat())
    await forward(ctx, "rd.slot")


async def chosen_day(ctx: Context) -> ReceptionDay | None:
    """The day picked, as it stands now (None once it is full or called off)."""
    flow = flow_of(ctx)
    return next(
        (
            day
            for day in await open_days(ctx.store, ctx.env, flow["unit"], ctx.now)
            if day.schedule.id == flow.get("schedule") and day.day.isoformat() == flow.get("day")
        ),
        None,
    )


async def prompt_slot(ctx: Context) -> None:
    """Shows the day's slots that still have seats, three a row."""
    t = ctx.t
    day = await chosen_day(ctx)
    if day is None:
        ctx.reply(t("reception_days.day.gone"), nav_row(ctx))
        return
    buttons = [
        ctx.button(
            t("reception_days.slot.button", time=local_clock(slot.at), seats=slot.seats_left),
            f"{slot.at:%H%M}",
        )
        for slot in day.slots
    ]
    rows = [buttons[i : i + 3] for i in range(0, len(buttons), 3)]
    text = t(
        "reception_days.ask_slot",
        day=weekday_text(t, day.day),
        head=head_text(day.head),
        place=day.schedule.place,
    )
    ctx.reply(text, *rows, nav_row(ctx))


@question("rd.slot", prompt_slot, booking_citizen)
async def answer_slot(ctx: Context) -> None:
    """Keeps the slot and asks what the citizen comes about (unless they said it already)."""
    day = await chosen_day(ctx)
    slot = next((s for s in day.slots if f"{s.at:%H%M}" == ctx.choice), None) if day else None
    if slot is None:
        await not_a_choice(ctx, prompt_slot)
        return
    flow = flow_of(ctx)
    flow["slot"] = slot.at.isoformat()
    await forward(ctx, "rd.confirm" if flow.get("topic") else "rd.topic")


async def prompt_topic(ctx: Context) -> None:
    """Asks for the matter in a few words, so the head can prepare."""
    ctx.reply(
        ctx.t("reception_days.ask_topic", min=MIN_TOPIC_CHARS, max=MAX_TOPIC_CHARS), nav_row(ctx)
    )


@question("rd.topic", prompt_topic, booking_citizen)
async def answer_topic(ctx: Context) -> None:
    """Keeps the matter and shows the booking once more."""
    topic = typed_text(ctx)
    if not MIN_TOPIC_CHARS <= len(topic) <= MAX_TOPIC_CHARS:
        ctx.reply(ctx.t("reception_days.topic.invalid", min=MIN_TOPIC_CHARS, max=MAX_TOPIC_CHARS))
        return
    flow_of(ctx)["topic"] = topic
    await forward(ctx, "rd.confirm")


async def prompt_confirm(ctx: Context) -> None:
    """Shows the booking before it is made."""
    t, flow = ctx.t, flow_of(ctx)
    day = await chosen_day(ctx)
    if day is None:
        ctx.reply(t("reception_days.day.gone"), nav_row(ctx))
        return
    slot_at = datetime.fromisoformat(flow["slot"])
    text = t(
        "reception_days.review",
        day=weekday_text(t, day.day),
        time=local_clock(slot_at),
        head=head_text(day.head),
        place=day.schedule.place,
        topic=flow["topic"],
    )
    ctx.reply(text, [ctx.button(t("reception_days.confirm"), "confirm")], nav_row(ctx))


@question("rd.confirm", prompt_confirm, booking_citizen)
async def answer_confirm(ctx: Context) -> None:
    """Books the slot; a slot taken meanwhile shows the seats still free."""
    citizen = await booking_citizen(ctx)
    if ctx.choice != "confirm" or citizen is None:
        await not_a_choice(ctx, prompt_confirm)
        return
    flow = flow_of(ctx)
    try:
        booked = await book(
            ctx.store,
            ctx.env,
            citizen.id,
            int(flow["schedule"]),
            datetime.fromisoformat(flow["slot"]),
            flow["topic"],
            ctx.now,
        )
    except BookingRefused as refused:
        ctx.reply(ctx.t(refused.reason))
        await return_to(ctx, "rd.slot")
        return
    ctx.conv.data.pop("reception_day", None)
    log.info("booking %s made on schedule %s", booked.booking.id, booked.schedule.id)
    await show_menu(ctx, ctx.t("reception_days.booked", **booking_facts(ctx.t, booked)))


async def show_my_bookings(ctx: Context) -> None:
    """The citizen's bookings still ahead, each with its cancel button."""
    citizen = await booking_citizen(ctx)
    if citizen is None:
        return
    t = ctx.t
    mine = await bookings_ahead(ctx.store, citizen.id, ctx.now)
    if not mine:
        ctx.reply(
            t("reception_days.mine.empty"), [Button(t("reception_days.mine.book"), "rd:list")]
        )
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
                f"rd:x.{booked.booking.id}",
            )
        ]
        for booked in mine
    ]
    ctx.reply("\n\n".join(lines), *rows)


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


@router.global_button("rs")
async def staff_button(ctx: Context) -> None:
    """«Lịch tiếp dân» and the buttons under it; the argument names a schedule or a booking."""
    action, _, argument = (ctx.choice or "").partition(".")
    simple = {"home": staff_home, "new": begin_setup, "today": show_bookings_to_receive}
    with_id = {"day": begin_calling_off, "stop": begin_stopping, "out": begin_outcome}
    if action in simple and not argument:
        await simple[action](ctx)
    elif action in with_id and (number := number_in(argument)) is not None:
        await with_id[action](ctx, number)
    else:
        await forged_button(ctx)


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
    rows = [[Button(t("reception_days.staff.new"), "rs:new")]]
    rows.append([Button(t("reception_days.staff.bookings"), "rs:today")])
    for schedule in shown:
        label = f"{t(WEEKDAY_LABELS[schedule.weekday])} · {heads[schedule.officer_id].name}"
        rows.append(
            [
                Button(t("reception_days.staff.call_off", schedule=label), f"rs:day.{schedule.id}"),
                Button(t("reception_days.staff.stop", schedule=label), f"rs:stop.{schedule.id}"),
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
    start_flow(ctx)
    if len(heads) == 1:
        flow_of(ctx)["head"] = heads[0]
        await forward(ctx, "rs.weekday")
    else:
        await forward(ctx, "rs.head")


async def prompt_head(ctx: Context) -> None:
    """Asks which head receives on this schedule."""
    officer = await staff_here(ctx)
    handles = await heads_to_schedule(ctx.store, ctx.env.org, officer) if officer else []
    rows = []
    for handle in handles:
        head = await ctx.store.officer_by_handle(handle)
        if head is not None:
            rows.append([ctx.button(head_text(head), handle)])
    ctx.reply(ctx.t("reception_days.setup.ask_head"), *rows, nav_row(ctx))


@question("rs.head", prompt_head, staff_here)
async def answer_head(ctx: Context) -> None:
    """Keeps the head and asks the weekday."""
    officer = await staff_here(ctx)
    handles = await heads_to_schedule(ctx.store, ctx.env.org, officer) if officer else []
    if ctx.choice not in handles:
        await not_a_choice(ctx, prompt_head)
        return
    flow_of(ctx)["head"] = ctx.choice
    await forward(ctx, "rs.weekday")


async def prompt_weekday(ctx: Context) -> None:
    """Asks which day of the week, Monday to Saturday, two a row."""
    buttons = [ctx.button(ctx.t(WEEKDAY_LABELS[day]), str(day)) for day in OFFICE_WEEKDAYS]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    ctx.reply(ctx.t("reception_days.setup.ask_weekday"), *rows, nav_row(ctx))


@question("rs.weekday", prompt_weekday, staff_here)
async def answer_weekday(ctx: Context) -> None:
    """Keeps the weekday and asks the hours."""
    if ctx.choice not in {str(day) for day in OFFICE_WEEKDAYS}:
        await not_a_choice(ctx, prompt_weekday)
        return
    flow_of(ctx)["weekday"] = int(ctx.choice)
    await forward(ctx, "rs.hours")


async def prompt_hours(ctx: Context) -> None:
    """Asks the hours: a morning or an afternoon, or typed."""
    rows = [[ctx.button(ctx.t(label), token)] for token, (label, _) in HOURS_PRESETS.items()]
    ctx.reply(ctx.t("reception_days.setup.ask_hours"), *rows, nav_row(ctx))


@question("rs.hours", prompt_hours, staff_here)
async def answer_hours(ctx: Context) -> None:
    """Keeps the hours and asks how long each citizen is given."""
    preset = HOURS_PRESETS.get(ctx.choice or "")
    hours = parse_hours(preset[1] if preset else typed_text(ctx))
    if hours is None:
        ctx.reply(ctx.t("reception_days.setup.hours_invalid"))
        return
    flow_of(ctx).update(starts=f"{hours[0]:%H:%M}", ends=f"{hours[1]:%H:%M}")
    await forward(ctx, "rs.slot")


async def prompt_slot_length(ctx: Context) -> None:
    """Asks the minutes each slot lasts."""
    buttons = [
        ctx.button(ctx.t("reception_days.setup.minutes", minutes=m), m) for m in SLOT_PRESETS
    ]
    ctx.reply(ctx.t("reception_days.setup.ask_slot"), buttons, nav_row(ctx))


@question("rs.slot", prompt_slot_length, staff_here)
async def answer_slot_length(ctx: Context) -> None:
    """Keeps the slot length, if at least one slot fits the hours, and asks the capacity."""
    minutes = number_answer(ctx, MAX_SLOT_MINUTES)
    flow = flow_of(ctx)
    if minutes is None or minutes < MIN_SLOT_MINUTES or not setup_hours(flow, minutes):
        ctx.reply(
            ctx.t("reception_days.setup.slot_invalid", min=MIN_SLOT_MINUTES, max=MAX_SLOT_MINUTES)
        )
        return
    flow["slot_minutes"] = minutes
    await forward(ctx, "rs.capacity")


def setup_hours(flow: dict[str, Any], minutes: int) -> Hours | None:
    """The hours chosen, cut into slots of `minutes`; None when not one slot fits."""
    hours = parse_hours(f"{flow['starts']}-{flow['ends']}")
    if hours is None:
        return None
    plan = Hours(hours[0], hours[1], minutes)
    return plan if plan.slot_starts() else None


async def prompt_capacity(ctx: Context) -> None:
    """Asks how many citizens may book each slot."""
    buttons = [ctx.button(count, count) for count in CAPACITY_PRESETS]
    ctx.reply(ctx.t("reception_days.setup.ask_capacity"), buttons, nav_row(ctx))


@question("rs.capacity", prompt_capacity, staff_here)
async def answer_capacity(ctx: Context) -> None:
    """Keeps the capacity and asks the place."""
    capacity = number_answer(ctx, MAX_CAPACITY)
    if capacity is None:
        ctx.reply(ctx.t("reception_days.setup.capacity_invalid", max=MAX_CAPACITY))
        return
    flow_of(ctx)["capacity"] = capacity
    await forward(ctx, "rs.place")


async def setup_committee(ctx: Context) -> str:
    """The People's Committee whose office the chosen head receives at."""
    head = await ctx.store.officer_by_handle(flow_of(ctx).get("head", ""))
    committee = peoples_committee(ctx.env.org, head.unit) if head else None
    return committee or ""


async def prompt_place_of_schedule(ctx: Context) -> None:
    """Asks where citizens are received: the office, or typed."""
    committee = await setup_committee(ctx)
    office = ctx.t("reception_days.place.office", unit=unit_name(ctx, committee))
    ctx.reply(ctx.t("reception_days.setup.ask_place"), [ctx.button(office, "office")], nav_row(ctx))


@question("rs.place", prompt_place_of_schedule, staff_here)
async def answer_place_of_schedule(ctx: Context) -> None:
    """Keeps the place and shows the schedule once more."""
    if ctx.choice == "office":
        unit = unit_name(ctx, await setup_committee(ctx))
        place = ctx.t("reception_days.place.office", unit=unit)
    else:
        place = typed_text(ctx)
    if not MIN_PLACE_CHARS <= len(place) <= MAX_PLACE_CHARS:
        ctx.reply(
            ctx.t("reception_days.setup.place_invalid", min=MIN_PLACE_CHARS, max=MAX_PLACE_CHARS)
        )
        return
    flow_of(ctx)["place"] = place
    await forward(ctx, "rs.review")


async def prompt_setup_review(ctx: Context) -> None:
    """Shows the schedule before it is kept."""
    flow = flow_of(ctx)
    head = await ctx.store.officer_by_handle(flow.get("head", ""))
    if head is None:
        ctx.reply(ctx.t("reception_days.staff_only"))
        return
    text = ctx.t("reception_days.setup.review", schedule=schedule_text(ctx.t, draft(flow), head))
    ctx.reply(text, [ctx.button(ctx.t("reception_days.confirm"), "confirm")], nav_row(ctx))


def draft(flow: dict[str, Any]) -> ReceptionScheduleView:
    """The schedule being set up, shown like a stored one."""
    return ReceptionScheduleView(
        0,
        "",
        0,
        flow["weekday"],
        flow["starts"],
        flow["ends"],
        flow["slot_minutes"],
        flow["capacity"],
        flow["place"],
        True,
    )


@question("rs.review", prompt_setup_review, staff_here)
async def answer_setup_review(ctx: Context) -> None:
    """Keeps the schedule; citizens can book its days from now on."""
    officer = await staff_here(ctx)
    flow = flow_of(ctx)
    head = await ctx.store.officer_by_handle(flow.get("head", ""))
    hours = setup_hours(flow, int(flow.get("slot_minutes", 0)))
    if ctx.choice != "confirm" or officer is None or head is None or hours is None:
        await not_a_choice(ctx, prompt_setup_review)
        return
    plan = SchedulePlan(
        head.id,
        flow["weekday"],
        hours.starts,
        hours.ends,
        hours.slot_minutes,
        flow["capacity"],
        flow["place"],
    )
    ctx.conv.data.pop("reception_day", None)
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
    start_flow(ctx, schedule=schedule_id)
    await forward(ctx, "rs.off_day")


async def prompt_off_day(ctx: Context) -> None:
    """Lists the schedule's coming days."""
    schedule = await schedule_in_hand(ctx, int(flow_of(ctx).get("schedule", 0)))
    if schedule is None:
        return
    days = await upcoming_dates(ctx.store, ctx.env, schedule, ctx.now)
    rows = [[ctx.button(weekday_text(ctx.t, day), f"{day:%Y%m%d}")] for day in days]
    ctx.reply(ctx.t("reception_days.off.ask_day"), *rows, nav_row(ctx))


@question("rs.off_day", prompt_off_day, staff_here)
async def answer_off_day(ctx: Context) -> None:
    """Keeps the day and asks the reason the booked citizens will read."""
    schedule = await schedule_in_hand(ctx, int(flow_of(ctx).get("schedule", 0)))
    days = await upcoming_dates(ctx.store, ctx.env, schedule, ctx.now) if schedule else []
    day = next((d for d in days if f"{d:%Y%m%d}" == ctx.choice), None)
    if day is None:
        await not_a_choice(ctx, prompt_off_day)
        return
    flow_of(ctx)["day"] = day.isoformat()
    await forward(ctx, "rs.off_reason")


async def prompt_off_reason(ctx: Context) -> None:
    """Asks why, in a few words for the citizens."""
    ctx.reply(ctx.t("reception_days.off.ask_reason", max=MAX_PLACE_CHARS), nav_row(ctx))


@question("rs.off_reason", prompt_off_reason, staff_here)
async def answer_off_reason(ctx: Context) -> None:
    """Calls the day off and tells every citizen booked on it."""
    officer = await staff_here(ctx)
    reason = typed_text(ctx)
    if officer is None or not MIN_PLACE_CHARS <= len(reason) <= MAX_PLACE_CHARS:
        ctx.reply(ctx.t("reception_days.off.reason_invalid", max=MAX_PLACE_CHARS))
        return
    flow = ctx.conv.data.pop("reception_day", {})
    day = date.fromisoformat(flow["day"])
    try:
        cancelled = await call_off_day(
            ctx.store, ctx.env, officer, int(flow["schedule"]), day, reason, ctx.now
        )
    except NotAllowed:
        refuse(ctx, officer, f"calling off schedule {flow['schedule']}", NOT_YOURS)
        await show_menu(ctx)
        return
    except BookingRefused as refused:
        await show_menu(ctx, ctx.t(refused.reason))
        return
    log.info(
        "reception day %s of schedule %s called off by %s", day, flow["schedule"], officer.handle
    )
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
    return Reply(text, ((Button(t("reception_days.mine.book"), "rd:list"),),))


async def begin_stopping(ctx: Context, schedule_id: int) -> None:
    """Asks to confirm stopping a schedule."""
    if await schedule_in_hand(ctx, schedule_id) is None:
        return
    start_flow(ctx, schedule=schedule_id)
    await forward(ctx, "rs.stop")


async def prompt_stop(ctx: Context) -> None:
    """Shows the schedule to be stopped and what happens to its bookings."""
    schedule = await schedule_in_hand(ctx, int(flow_of(ctx).get("schedule", 0)))
    head = await ctx.store.officer_by_id(schedule.officer_id) if schedule else None
    if schedule is None or head is None:
        return
    ctx.reply(
        ctx.t("reception_days.stop.ask", schedule=schedule_text(ctx.t, schedule, head)),
        [ctx.button(ctx.t("reception_days.confirm"), "confirm")],
        nav_row(ctx),
    )


@question("rs.stop", prompt_stop, staff_here)
async def answer_stop(ctx: Context) -> None:
    """Stops the schedule and tells the citizens booked on it."""
    officer = await staff_here(ctx)
    if ctx.choice != "confirm" or officer is None:
        await not_a_choice(ctx, prompt_stop)
        return
    flow = ctx.conv.data.pop("reception_day", {})
    try:
        cancelled = await stop_schedule(ctx.store, ctx.env, officer, int(flow["schedule"]), ctx.now)
    except NotAllowed:
        refuse(ctx, officer, f"stopping schedule {flow['schedule']}", NOT_YOURS)
        await show_menu(ctx)
        return
    log.info("reception schedule %s stopped by %s", flow["schedule"], officer.handle)
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
                f"rs:out.{booked.booking.id}",
            )
        ]
        for booked in found
        if local_day(booked.booking.slot_at) <= today
    ]
    ctx.reply("\n".join(lines), *rows)


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
    start_flow(ctx, booking=booking_id, name=booked.booking.citizen_name)
    await forward(ctx, "rs.outcome")


OUTCOME_CHOICES: dict[str, str] = {
    **{outcome.value: label for outcome, label in OUTCOME_LABELS.items()},
    NO_SHOW: N_("reception_days.outcome.no_show"),
}


async def prompt_outcome(ctx: Context) -> None:
    """Shows the booking and asks how it ended: guided, explained, a petition, or no-show."""
    booked = await booking_in_hand(ctx, int(flow_of(ctx).get("booking", 0)))
    if booked is None:
        return
    rows = [[ctx.button(ctx.t(label), code)] for code, label in OUTCOME_CHOICES.items()]
    text = ctx.t("reception_days.outcome.ask", booking=booking_line(ctx.t, booked))
    ctx.reply(text, *rows, nav_row(ctx))


@question("rs.outcome", prompt_outcome, staff_here)
async def answer_outcome(ctx: Context) -> None:
    """A no-show is recorded at once; a visit asks its field next."""
    if ctx.choice not in OUTCOME_CHOICES:
        await not_a_choice(ctx, prompt_outcome)
        return
    flow_of(ctx)["outcome"] = ctx.choice
    if ctx.choice == NO_SHOW:
        await finish_outcome(ctx)
    else:
        await forward(ctx, "rs.field")


async def prompt_field(ctx: Context) -> None:
    """Asks what the matter is about, two fields a row."""
    buttons = [ctx.button(ctx.t(item.label), item.code) for item in ctx.env.org.fields]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    ctx.reply(ctx.t("reception.ask_field"), *rows, nav_row(ctx))


@question("rs.field", prompt_field, staff_here)
async def answer_field(ctx: Context) -> None:
    """Keeps the field; a petition asks its kind, the rest go to the review."""
    if ctx.choice not in {item.code for item in ctx.env.org.fields}:
        await not_a_choice(ctx, prompt_field)
        return
    flow = flow_of(ctx)
    flow["field"] = ctx.choice
    await forward(ctx, "rs.kind" if flow["outcome"] == ReceptionOutcome.PETITION else "rs.result")


async def prompt_petition_kind(ctx: Context) -> None:
    """Asks which kind of petition to write down."""
    rows = [[ctx.button(kind_label(ctx.t, kind), kind)] for kind in KIND_EXPLANATIONS]
    ctx.reply(ctx.t("reception.ask_petition_kind"), *rows, nav_row(ctx))


@question("rs.kind", prompt_petition_kind, staff_here)
async def answer_petition_kind(ctx: Context) -> None:
    """Keeps the kind; a denunciation asks whom it is about, so it never reaches them."""
    if ctx.choice not in KIND_EXPLANATIONS:
        await not_a_choice(ctx, prompt_petition_kind)
        return
    flow_of(ctx)["petition_kind"] = ctx.choice
    if ctx.choice == PetitionKind.DENUNCIATION:
        await forward(ctx, "rs.accused")
    else:
        await ask_what_the_petition_needs(ctx)


async def prompt_accused(ctx: Context) -> None:
    """Asks whom the denunciation is about."""
    rows = [[ctx.button(ctx.t(label), code)] for code, label in ACCUSED_LABELS.items()]
    ctx.reply(ctx.t("filing.ask_accused"), *rows, nav_row(ctx))


@question("rs.accused", prompt_accused, staff_here)
async def answer_accused(ctx: Context) -> None:
    """Keeps who is denounced, then asks what the petition still needs."""
    if ctx.choice not in ACCUSED_LEVELS:
        await not_a_choice(ctx, prompt_accused)
        return
    flow_of(ctx)["accused"] = ctx.choice
    await ask_what_the_petition_needs(ctx)


async def ask_what_the_petition_needs(ctx: Context) -> None:
    """A petition carries its filer's name, and an address where the kind needs one."""
    flow = flow_of(ctx)
    needs = IDENTITY_NEEDS[PetitionKind(flow["petition_kind"])]
    if not flow.get("name"):
        await forward(ctx, "rs.filer")
    elif needs.address_required and not flow.get("address"):
        await forward(ctx, "rs.address")
    else:
        await forward(ctx, "rs.result")


async def prompt_filer(ctx: Context) -> None:
    """Asks the name the petition is filed under: the citizen never gave it in chat."""
    ctx.reply(ctx.t("reception.ask_filer"), nav_row(ctx))


@question("rs.filer", prompt_filer, staff_here)
async def answer_filer(ctx: Context) -> None:
    """Keeps the filer's name and asks what else the petition needs."""
    name = typed_text(ctx)
    if not 2 <= len(name) <= MAX_NAME_CHARS or any(ch.isdigit() for ch in name):
        ctx.reply(ctx.t("reception.name.invalid", limit=MAX_NAME_CHARS))
        return
    flow_of(ctx)["name"] = name
    await ask_what_the_petition_needs(ctx)


async def prompt_address(ctx: Context) -> None:
    """Asks the citizen's address, which a complaint or denunciation must carry."""
    ctx.reply(ctx.t("reception.ask_address"), nav_row(ctx))


@question("rs.address", prompt_address, staff_here)
async def answer_address(ctx: Context) -> None:
    """Keeps the address and shows the review."""
    address = typed_text(ctx)
    if not 3 <= len(address) <= MAX_ADDRESS_CHARS:
        ctx.reply(ctx.t("reception.address.invalid", limit=MAX_ADDRESS_CHARS))
        return
    flow_of(ctx)["address"] = address
    await forward(ctx, "rs.result")


async def prompt_result(ctx: Context) -> None:
    """Shows the outcome once more before it is recorded."""
    t, flow = ctx.t, flow_of(ctx)
    booked = await booking_in_hand(ctx, int(flow.get("booking", 0)))
    if booked is None:
        return
    field = ctx.env.org.field(flow["field"])
    label = OUTCOME_CHOICES[flow["outcome"]]
    outcome = [t(label)]
    if flow["outcome"] == ReceptionOutcome.PETITION:
        outcome += [kind_label(t, flow["petition_kind"]), flow.get("name") or ""]
        outcome.append(flow.get("address") or "")
    text = t(
        "reception_days.outcome.review",
        booking=booking_line(t, booked),
        field=t(field.label) if field else flow["field"],
        outcome=" · ".join(part for part in outcome if part),
    )
    ctx.reply(text, [ctx.button(t("reception_days.confirm"), "confirm")], nav_row(ctx))


@question("rs.result", prompt_result, staff_here)
async def answer_result(ctx: Context) -> None:
    """Records the visit."""
    if ctx.choice != "confirm":
        await not_a_choice(ctx, prompt_result)
        return
    await finish_outcome(ctx)


async def finish_outcome(ctx: Context) -> None:
    """Writes the outcome (a reception record unless nobody came) and tells those concerned."""
    officer = await staff_here(ctx)
    if officer is None:
        return
    flow = ctx.conv.data.pop("reception_day", {})
    outcome = Outcome(
        outcome=flow["outcome"],
        field=flow.get("field"),
        visitor_name=flow.get("name"),
        visitor_address=flow.get("address"),
        petition_kind=flow.get("petition_kind"),
        accused=flow.get("accused"),
    )
    try:
        done = await record_outcome(
            ctx.store, ctx.env, officer, int(flow["booking"]), outcome, ctx.now
        )
    except NotAllowed:
        refuse(ctx, officer, f"outcome of booking {flow['booking']}", NOT_YOURS)
        await show_menu(ctx)
        return
    except BookingRefused as refused:
        await show_menu(ctx, ctx.t(refused.reason))
        return
    log.info(
        "outcome %s of booking %s recorded by %s", outcome.outcome, flow["booking"], officer.handle
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


# --- leaders' indicators ------------------------------------------------------------------------


@router.global_button("ki")
async def indicators_button(ctx: Context) -> None:
    """«Chỉ tiêu»: for heads and inspectors only."""
    if ctx.choice != "show":
        await forged_button(ctx)
        return
    officer = await current_officer(ctx)
    if officer is None:
        return
    try:
        found = await indicators(ctx.store, ctx.env, officer, ctx.now)
    except NotAllowed:
        refuse(ctx, officer, "indicators", N_("indicators.not_allowed"))
        return
    ctx.reply(indicators_text(ctx.t, found, local_day(ctx.now)))


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
    """A head's two indicators, each marked ✅ when met and ⚠️ when behind."""
    return t(
        "indicators.head",
        name=indicator.head.name,
        title=indicator.head.title,
        dialogues_mark=mark(indicator.dialogues_met),
        dialogues=indicator.dialogues_held,
        target=indicator.dialogues_target,
        days_mark=mark(indicator.reception_days_met),
        days=indicator.reception_days_held,
        required=indicator.reception_days_required,
        per=t(PERIOD_LABELS[indicator.duty.period]),
    )


def mark(met: bool) -> str:
    """✅ or ⚠️."""
    return "✅" if met else "⚠️"
