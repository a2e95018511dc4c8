"""When periodic reports are due, and the day their filers are reminded."""

from __future__ import annotations

from datetime import date

from bot.domain.calendar import vietnam_calendar
from bot.reporting.due import report_dues

CALENDAR = vietnam_calendar(range(2025, 2028))


def test_a_commune_reports_by_the_tenth_and_is_reminded_three_working_days_before() -> None:
    dues = report_dues(2026, "commune", CALENDAR)
    assert [(d.period, d.due) for d in dues] == [
        ("2026-Q1", date(2026, 3, 10)),
        ("2026-H1", date(2026, 6, 10)),
        ("2026-9M", date(2026, 9, 10)),
        ("2026-Y", date(2026, 11, 10)),
    ]
    # Tue 10/03/2026: Mon 9, Fri 6, Thu 5 → reminded Thu 05/03.
    assert dues[0].remind_on == date(2026, 3, 5)
    # Thu 10/09/2026: Wed 9, Tue 8, Mon 7.
    assert dues[2].remind_on == date(2026, 9, 7)


def test_a_province_by_the_fifteenth_and_a_unit_may_set_its_own_day() -> None:
    assert report_dues(2026, "province", CALENDAR)[0].due == date(2026, 3, 15)
    assert report_dues(2026, "commune", CALENDAR, due_day=5)[1].due == date(2026, 6, 5)
    assert report_dues(2026, "office", CALENDAR) == []
