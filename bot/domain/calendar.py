"""Working days in Vietnam: which dates count when a deadline is counted in (working) days.

A working day is Monday to Friday, minus public holidays, minus days off by the government's yearly
swaps (ngày nghỉ bù / hoán đổi), plus the Saturdays or Sundays those swaps turn into working days
(làm bù), plus or minus the days a province or commune announces itself. The national part comes
from the `holidays` package (country VN); the local part is passed in by the caller.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import date, timedelta

import holidays

_SATURDAY = 5


class OutsideCalendar(ValueError):
    """A date falls in a year the calendar was not built for, so its days off are unknown."""


def _is_weekend(d: date) -> bool:
    """Tell Saturday and Sunday apart from Monday to Friday."""
    return d.weekday() >= _SATURDAY


@dataclass(frozen=True)
class WorkingCalendar:
    """Days off and weekend working days, the facts every working-day count depends on.

    `years`, when not empty, lists the years whose days off are known; asking about a date outside
    them raises `OutsideCalendar` rather than silently treating an unknown holiday as a working day.
    """

    days_off: frozenset[date] = frozenset()
    working_weekend_days: frozenset[date] = frozenset()
    years: frozenset[int] = field(default=frozenset())

    def __post_init__(self) -> None:
        """Refuse contradictory calendars so a date is never both off and worked."""
        not_weekend = sorted(d for d in self.working_weekend_days if not _is_weekend(d))
        if not_weekend:
            raise ValueError(
                "working_weekend_days must be Saturdays or Sundays; got "
                + ", ".join(d.isoformat() for d in not_weekend)
            )
        both = sorted(self.days_off & self.working_weekend_days)
        if both:
            raise ValueError(
                "a date cannot be both a day off and a working day: "
                + ", ".join(d.isoformat() for d in both)
            )

    def _check_covered(self, d: date) -> None:
        """Fail loudly when the calendar does not know the year of `d`."""
        if self.years and d.year not in self.years:
            known = ", ".join(str(y) for y in sorted(self.years))
            raise OutsideCalendar(
                f"{d.isoformat()} is outside the calendar (built for {known}); "
                "build it with that year too"
            )

    def is_working_day(self, d: date) -> bool:
        """Tell whether offices work on `d` (Mon-Fri not off, or a weekend day made working)."""
        self._check_covered(d)
        if d in self.working_weekend_days:
            return True
        return not _is_weekend(d) and d not in self.days_off

    def next_working_day_on_or_after(self, d: date) -> date:
        """Move a period's last day forward to a working day (BLDS 2015 Art. 148)."""
        while not self.is_working_day(d):
            d += timedelta(days=1)
        return d

    def add_working_days(self, start: date, n: int) -> date:
        """Return the Nth working day after `start`'s day (the start day itself never counts)."""
        if n < 0:
            raise ValueError(f"cannot count a negative number of working days: {n}")
        d = start
        counted = 0
        while counted < n:
            d += timedelta(days=1)
            if self.is_working_day(d):
                counted += 1
        return d


def vietnam_calendar(
    years: Iterable[int],
    extra_days_off: Iterable[date] = (),
    extra_working_days: Iterable[date] = (),
) -> WorkingCalendar:
    """Build the national calendar for `years` from `holidays`, then apply local overrides.

    National: public holidays with their observed days, lunar Tết, Hùng Vương, the 2/9 adjacent
    day, 24/11 from 2026, and the government's swaps (days off and the weekend days worked for
    them). Local: `extra_days_off` are days a province or commune gives off; `extra_working_days`
    are days it makes working (a weekend day worked, or a holiday it does not observe). Local
    overrides win over the national calendar; the same date in both lists is an error.
    """
    year_set = frozenset(years)
    if not year_set:
        raise ValueError("vietnam_calendar needs at least one year")
    local_off = frozenset(extra_days_off)
    local_work = frozenset(extra_working_days)
    clash = sorted(local_off & local_work)
    if clash:
        raise ValueError(
            "a local override lists the same date as day off and working day: "
            + ", ".join(d.isoformat() for d in clash)
        )

    national = holidays.country_holidays("VN", years=sorted(year_set))
    national_off = frozenset(d for d in national if d.year in year_set)
    national_work = frozenset(d for d in national.weekend_workdays if d.year in year_set)

    days_off = (national_off | local_off) - local_work
    weekend_worked = (national_work | {d for d in local_work if _is_weekend(d)}) - local_off
    return WorkingCalendar(
        days_off=frozenset(days_off),
        working_weekend_days=frozenset(weekend_worked),
        years=year_set,
    )
