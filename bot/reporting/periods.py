"""What a report covers: a period of local calendar days and a scope of units.

The inspectorate's circular (Thông tư 01/2024/TT-TTCP, LEGAL §6) closes each month's data on a
cut-off day: a period runs from the cut-off day (the 15th) of the last month of the previous
period to the day before the cut-off (the 14th) of the report month. Q1 is 15/12 to 14/03, six
months 15/12 to 14/06, nine months 15/12 to 14/09, the year 15/12 to 14/12. The cut-off day is a
setting (`REPORT_CUTOFF_DAY`): Thông tư 06/2025/TT-TTCP may move it, and 1 gives calendar
periods (Q1 = 01/01 to 31/03).

Days are Vietnam's calendar days, both ends included; the database is asked in UTC instants.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from bot.domain.org import Organisation
from bot.i18n import LOCAL_TZ

DEFAULT_CUTOFF_DAY = 15
MAX_CUTOFF_DAY = 28  # every month has the day before it

# Preset name → the calendar months it reports on (first, last).
PRESETS = {
    "Q1": (1, 3),
    "Q2": (4, 6),
    "Q3": (7, 9),
    "Q4": (10, 12),
    "H1": (1, 6),
    "9M": (1, 9),
    "Y": (1, 12),
}
_PRESET_PATTERN = re.compile(r"^(?:(?P<year>\d{4})-)?(?P<preset>Q[1-4]|H1|9M|Y)$", re.IGNORECASE)


class PeriodError(ValueError):
    """A period that cannot be read or makes no sense; the message says which."""


class ScopeError(ValueError):
    """The unit a report is asked for is not in the organisation."""


@dataclass(frozen=True)
class Period:
    """Local calendar days from `first_day` to `last_day`, both included."""

    first_day: date
    last_day: date
    name: str = ""  # the preset it came from (2026-Q1), empty for a free range

    def __post_init__(self) -> None:
        if self.last_day < self.first_day:
            raise PeriodError(f"the period ends ({self.last_day}) before it starts")

    @property
    def starts_at(self) -> datetime:
        """The first instant of the period (midnight in Vietnam), in UTC."""
        return datetime.combine(self.first_day, time(), LOCAL_TZ).astimezone(UTC)

    @property
    def ends_before(self) -> datetime:
        """The first instant after the period (midnight after its last day in Vietnam), in UTC."""
        after = self.last_day + timedelta(days=1)
        return datetime.combine(after, time(), LOCAL_TZ).astimezone(UTC)


def preset_period(year: int, preset: str, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> Period:
    """A quarter, six months, nine months or year of `year`, on the circular's cut-off."""
    if not 1 <= cutoff_day <= MAX_CUTOFF_DAY:
        raise PeriodError(f"cut-off day {cutoff_day} is not between 1 and {MAX_CUTOFF_DAY}")
    code = preset.upper()
    if code not in PRESETS:
        raise PeriodError(f"unknown period {preset!r}; one of {', '.join(PRESETS)}")
    first_month, last_month = PRESETS[code]
    previous_year, previous_month = (year - 1, 12) if first_month == 1 else (year, first_month - 1)
    first = _closing_day(previous_year, previous_month, cutoff_day) + timedelta(days=1)
    return Period(first, _closing_day(year, last_month, cutoff_day), f"{year}-{code}")


def _closing_day(year: int, month: int, cutoff_day: int) -> date:
    """The last day whose data belongs to this month: the day before the cut-off, or the
    month's last day when the cut-off is the 1st."""
    if cutoff_day == 1:
        return date(year, month, calendar.monthrange(year, month)[1])
    return date(year, month, cutoff_day - 1)


def parse_period(text: str, default_year: int, cutoff_day: int = DEFAULT_CUTOFF_DAY) -> Period:
    """`2026-Q1`, `Q1` (of `default_year`), `2026-H1`, `9M`, `2026-Y` …"""
    match = _PRESET_PATTERN.match(text.strip())
    if match is None:
        raise PeriodError(f"not a period: {text!r} (e.g. 2026-Q1, Q2, H1, 9M, Y)")
    year = int(match["year"]) if match["year"] else default_year
    return preset_period(year, match["preset"], cutoff_day)


def date_range(first_day: date, last_day: date) -> Period:
    """Any range of local days, both ends included."""
    return Period(first_day, last_day)


def months_of(period: Period) -> list[str]:
    """Every month the period touches, as "YYYY-MM", in order: 15/09–14/12 is four months."""
    months = []
    year, month = period.first_day.year, period.first_day.month
    while (year, month) <= (period.last_day.year, period.last_day.month):
        months.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return months


def scope_units(org: Organisation, unit_code: str, below: bool = True) -> list[str]:
    """The unit alone, or with every unit under it, in the organisation file's order."""
    if unit_code not in org.units:
        raise ScopeError(f"unknown unit {unit_code!r}")
    if not below:
        return [unit_code]
    return [code for code in org.units if unit_code in org.lineage(code)]
