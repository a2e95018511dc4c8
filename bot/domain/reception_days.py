"""Tiếp công dân định kỳ: a head's reception days, their slots, and how many days the law asks for.

Pure: dates and clock times in, dates and clock times out; "today" and the calendar are arguments.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum

from bot.domain.calendar import WorkingCalendar
from bot.domain.org import Organisation

WEEKS_AHEAD = 4  # how far ahead a citizen may book
MIN_SLOT_MINUTES, MAX_SLOT_MINUTES = 10, 240
MAX_CAPACITY = 50  # people received in one slot
MIN_TOPIC_CHARS, MAX_TOPIC_CHARS = 5, 500  # the matter, as the citizen sums it up
MIN_PLACE_CHARS, MAX_PLACE_CHARS = 3, 300
# A booked citizen is reminded the day before and two hours before their slot.
REMINDER_LEADS = (timedelta(days=1), timedelta(hours=2))
# The plans in the seeds: the head of each government level holds at least one direct dialogue
# with the people a year (LEGAL §5).
DIALOGUES_PER_YEAR = 1

_CLOCK = re.compile(r"([01]?[0-9]|2[0-3])[:hH.]([0-5][0-9])")


class BookingStatus(StrEnum):
    """Where a booked slot stands; every status but CANCELLED holds a seat."""

    BOOKED = "booked"
    CANCELLED = "cancelled"
    ATTENDED = "attended"
    NO_SHOW = "no_show"


@dataclass(frozen=True)
class Hours:
    """When a reception day runs and how it is cut into slots."""

    starts: time
    ends: time
    slot_minutes: int

    def slot_starts(self) -> list[time]:
        """Each slot's start; the last slot still ends by `ends`."""
        step = timedelta(minutes=self.slot_minutes)
        moment = datetime.combine(date.min, self.starts)
        end = datetime.combine(date.min, self.ends)
        starts = []
        while moment + step <= end:
            starts.append(moment.time())
            moment += step
        return starts


def parse_clock(text: str) -> time | None:
    """A time of day as officers type it: 07:30, 7h30, 7.30."""
    match = _CLOCK.fullmatch(text.strip())
    return time(int(match.group(1)), int(match.group(2))) if match else None


def parse_hours(text: str) -> tuple[time, time] | None:
    """A time range such as «07:30-11:30» or «7h30 - 11h30»; None unless it ends after it starts."""
    parts = re.split(r"\s*[-–—]\s*|\s+đến\s+|\s+to\s+", text.strip(), maxsplit=1)
    if len(parts) != 2:
        return None
    starts, ends = parse_clock(parts[0]), parse_clock(parts[1])
    if starts is None or ends is None or ends <= starts:
        return None
    return starts, ends


def reception_dates(weekday: int, first: date, weeks: int, calendar: WorkingCalendar) -> list[date]:
    """The schedule's weekday in each of `weeks` weeks from `first` (inclusive), on working days.

    A reception day that falls on a day off (Tết, 30/4, a swapped day) is skipped, not moved: the
    office is closed, and the head's next reception day is the week after.
    """
    day = first + timedelta(days=(weekday - first.weekday()) % 7)
    last = first + timedelta(weeks=weeks)
    dates = []
    while day < last:
        if calendar.is_working_day(day):
            dates.append(day)
        day += timedelta(weeks=1)
    return dates


class Period(StrEnum):
    """How often the law asks a head to receive citizens in person."""

    WEEK = "week"
    MONTH = "month"


@dataclass(frozen=True)
class ReceptionDuty:
    """At least one reception day per period, and the law that says so."""

    period: Period
    citation: str


# Luật Tiếp công dân 2013 Art. 15: the commune chairman receives citizens at the commune office at
# least 1 day a week.
COMMUNE_HEAD_DUTY = ReceptionDuty(Period.WEEK, "Luật Tiếp công dân 2013, Điều 15")
# Art. 12 (provincial chairman) and Art. 18 (heads of agencies), detailed by NĐ 64/2014: at least
# 1 day a month.
OTHER_HEAD_DUTY = ReceptionDuty(Period.MONTH, "Luật Tiếp công dân 2013, Điều 12, 18; NĐ 64/2014")


def carries_duty(org: Organisation, handle: str) -> bool:
    """Whether the law's reception-day duty is this head's own: the organisation file may name
    who carries it in a unit (`reception_duty = true`); where it names nobody, the head whose
    title is not a deputy's («Phó …») does. A deputy receives when delegated, without a quota."""
    record = next((o for o in org.officers if o.handle == handle), None)
    if record is None:
        return False
    named = [o for o in org.officers if o.unit == record.unit and o.reception_duty is not None]
    if named:
        return record.reception_duty is True
    return not record.title.strip().casefold().startswith("phó")


def duty_of(unit_kind: str) -> ReceptionDuty:
    """The reception duty of a head of a unit of this kind (commune, province, office, ...)."""
    return COMMUNE_HEAD_DUTY if unit_kind == "commune" else OTHER_HEAD_DUTY


def days_required(duty: ReceptionDuty, today: date, calendar: WorkingCalendar) -> int:
    """Reception days the law asked for from 1 January to `today`.

    Only periods that have ended count (a week still running cannot be missed yet), and a period
    without a single working day (the week of Tết) asks for none.
    """
    periods = _weeks if duty.period is Period.WEEK else _months
    return sum(
        any(calendar.is_working_day(day) for day in _days(first, last))
        for first, last in periods(date(today.year, 1, 1), today)
    )


def _weeks(first: date, today: date) -> list[tuple[date, date]]:
    """The weeks (Monday to Sunday, cut at 1 January) that ended before `today`."""
    ended = []
    start = first
    while (end := start + timedelta(days=6 - start.weekday())) < today:
        ended.append((start, end))
        start = end + timedelta(days=1)
    return ended


def _months(first: date, today: date) -> list[tuple[date, date]]:
    """The months of the year that ended before `today`."""
    return [
        (date(first.year, month, 1), date(first.year, month + 1, 1) - timedelta(days=1))
        for month in range(1, today.month)
    ]


def _days(first: date, last: date) -> list[date]:
    return [first + timedelta(days=n) for n in range((last - first).days + 1)]
