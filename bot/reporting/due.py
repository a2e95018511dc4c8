"""When the periodic reports are due, and on which day to remind the staff who file them.

The plans this product serves ask a commune to report Q1 before 10/3, six months before 10/6,
nine months before 10/9 and the year before 10/11; a province by the 15th (LEGAL §6). A unit may
set its own day in the organisation file (`report_due_day`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta

from bot.domain.calendar import WorkingCalendar

DUE_MONTHS = (("Q1", 3), ("H1", 6), ("9M", 9), ("Y", 11))
DEFAULT_DUE_DAY = {"commune": 10, "province": 15}
REMIND_WORKING_DAYS_BEFORE = 3


@dataclass(frozen=True)
class ReportDue:
    """One report a unit owes: its period preset (e.g. 2026-Q1), due date and reminder day."""

    period: str
    due: date
    remind_on: date


def report_dues(
    year: int, unit_kind: str, calendar: WorkingCalendar, due_day: int | None = None
) -> list[ReportDue]:
    """The reports a unit of this kind owes in `year` (none for offices and the inspectorate,
    whose numbers are part of their People's Committee's report)."""
    day = due_day or DEFAULT_DUE_DAY.get(unit_kind)
    if day is None:
        return []
    return [
        ReportDue(
            f"{year}-{code}", due, working_days_before(calendar, due, REMIND_WORKING_DAYS_BEFORE)
        )
        for code, month in DUE_MONTHS
        for due in (date(year, month, day),)
    ]


def working_days_before(calendar: WorkingCalendar, day: date, n: int) -> date:
    """The Nth working day before `day` (which itself does not count)."""
    counted = 0
    while counted < n:
        day -= timedelta(days=1)
        if calendar.is_working_day(day):
            counted += 1
    return day
