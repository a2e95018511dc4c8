"""Reminder and escalation dates of a deadline."""

from __future__ import annotations

from datetime import date

from bot.domain.reminders import plan_reminders
from bot.rulebook import load_calendar

CALENDAR = load_calendar([2026])


def test_a_complaint_is_reminded_before_and_on_its_due_day_then_escalated() -> None:
    # kn1.accept: received Mon 02/03/2026, due Thu 12/03/2026.
    plan = plan_reminders(date(2026, 3, 2), date(2026, 3, 12), CALENDAR)
    assert [(r.kind, r.point, r.on) for r in plan] == [
        # Half time: 02/03 + 5 days = Sat 07/03 → Mon 09/03; three working days before the
        # due date is Mon 09/03 too: said once, as the more urgent "3 days left".
        ("remind", "3wd", date(2026, 3, 9)),
        ("remind", "due", date(2026, 3, 12)),
        ("overdue", "overdue", date(2026, 3, 13)),
        ("escalate", "escalate", date(2026, 3, 18)),  # 3 working days after Fri 13/03
    ]


def test_reminders_skip_tet_and_never_fall_on_a_day_off() -> None:
    # Received Tue 10/02/2026, due Mon 23/02/2026 (10 days across Tết, offices closed 14–22/02).
    plan = plan_reminders(date(2026, 2, 10), date(2026, 2, 23), CALENDAR)
    assert all(CALENDAR.is_working_day(r.on) for r in plan)
    assert [(r.point, r.on) for r in plan][:2] == [
        ("3wd", date(2026, 2, 11)),
        ("due", date(2026, 2, 23)),
    ]
