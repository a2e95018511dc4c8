"""When to remind an officer of a deadline, and when to escalate (issue 3, DESIGN §2 step 5).

Pure: dates in, dates out. Reminders fall on working days at the start of the office day.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.calendar import WorkingCalendar

DEFAULT_POINTS = ("half", "3wd", "due")
ESCALATE_AFTER_WORKING_DAYS = 3
URGENCY = ("escalate", "overdue", "due", "3wd", "half")  # on one day, the most urgent is said


@dataclass(frozen=True)
class Reminder:
    """One planned nudge: `remind` the assignee, `overdue` to the unit head, `escalate` above."""

    kind: str
    point: str
    on: date


def plan_reminders(
    start: date,
    due: date,
    calendar: WorkingCalendar,
    points: tuple[str, ...] = DEFAULT_POINTS,
    escalate_after: int = ESCALATE_AFTER_WORKING_DAYS,
) -> list[Reminder]:
    """The reminders of one deadline, in date order, never two on the same day.

    `half`: half the period gone; `3wd`: three working days before the due date; `due`: the due
    date itself; then `overdue` on the first working day after it, and `escalate` a few working
    days later. A reminder that would fall before the start or on a day off moves to the next
    working day, or is dropped when that is past the due date.
    """
    planned: list[Reminder] = []
    for point in points:
        day = _point_day(point, start, due, calendar)
        if day is not None and start < day <= due:
            planned.append(Reminder("remind", point, day))
    overdue = calendar.next_working_day_on_or_after(due + timedelta(days=1))
    planned.append(Reminder("overdue", "overdue", overdue))
    planned.append(
        Reminder("escalate", "escalate", calendar.add_working_days(overdue, escalate_after))
    )
    unique: dict[date, Reminder] = {}
    for reminder in sorted(planned, key=lambda item: (item.on, URGENCY.index(item.point))):
        unique.setdefault(reminder.on, reminder)
    return list(unique.values())


URGENCY_MARKS = ("overdue", "soon", "on_track")


def urgency(due: date, today: date, calendar: WorkingCalendar, soon_within: int = 3) -> str:
    """How pressing a deadline is: overdue, due within a few working days, or on track."""
    if due < today:
        return "overdue"
    if due <= calendar.add_working_days(today, soon_within):
        return "soon"
    return "on_track"


def _point_day(point: str, start: date, due: date, calendar: WorkingCalendar) -> date | None:
    if point == "half":
        return calendar.next_working_day_on_or_after(start + (due - start) / 2)
    if point == "3wd":
        day, left = due, 3
        while left and day > start:
            day -= timedelta(days=1)
            if calendar.is_working_day(day):
                left -= 1
        return day if not left else None
    if point == "due":
        return due
    raise ValueError(f"unknown reminder point {point!r} (half, 3wd, due)")
