"""Working days: national holidays and swaps from `holidays`, plus local overrides."""

from __future__ import annotations

from datetime import date
from pathlib import Path

import pytest

from bot.domain.calendar import OutsideCalendar, WorkingCalendar, vietnam_calendar
from bot.rulebook import load_calendar

VN = vietnam_calendar([2024, 2025, 2026])


def test_tet_2026_days_off() -> None:
    """Tết Bính Ngọ 2026: the offices close Sat 14/2 to Sun 22/2."""
    # holidays (VN) gives Mon 16/2 (giao thừa, 29 Tết) to Fri 20/2 (mùng 4); 14-15/2 and 21-22/2
    # are the weekends around them. Fri 13/2 and Mon 23/2 are working days.
    off = [d for d in (date(2026, 2, day) for day in range(12, 25)) if not VN.is_working_day(d)]
    assert off == [date(2026, 2, day) for day in range(14, 23)]
    assert VN.is_working_day(date(2026, 2, 13))
    assert VN.is_working_day(date(2026, 2, 23))


def test_swapped_saturday_2025_is_a_working_day() -> None:
    """Sat 26/4/2025 was worked in exchange for Fri 2/5/2025 off."""
    assert VN.is_working_day(date(2025, 4, 26))
    assert not VN.is_working_day(date(2025, 5, 2))
    # Other swaps the package knows: Sat 4/5/2024 worked for Mon 29/4/2024; Sat 22/8/2026 for
    # Mon 31/8/2026.
    assert VN.is_working_day(date(2024, 5, 4))
    assert not VN.is_working_day(date(2024, 4, 29))
    assert VN.is_working_day(date(2026, 8, 22))
    assert not VN.is_working_day(date(2026, 8, 31))


def test_swapped_saturday_counts_in_working_day_arithmetic() -> None:
    """From Thu 24/4/2025 the count uses the worked Saturday and skips the long break."""
    # Fri 25/4 (1), Sat 26/4 worked by swap (2)
    assert VN.add_working_days(date(2025, 4, 24), 2) == date(2025, 4, 26)
    # ... Mon 28/4 (3), Tue 29/4 (4); Wed 30/4, Thu 1/5 holidays, Fri 2/5 swapped off, 3-4/5
    # weekend; Mon 5/5 (5)
    assert VN.add_working_days(date(2025, 4, 24), 5) == date(2025, 5, 5)


def test_hung_vuong_and_national_day_adjacent_day() -> None:
    """Giỗ Tổ on Sun 26/4/2026 is observed Mon 27/4; 2/9 takes an adjacent day off."""
    assert not VN.is_working_day(date(2026, 4, 27))
    # 2025: Mon 1/9 and Tue 2/9 off; 2026: Tue 1/9 and Wed 2/9 off.
    assert not VN.is_working_day(date(2025, 9, 1))
    assert not VN.is_working_day(date(2026, 9, 1))
    assert VN.is_working_day(date(2026, 9, 3))


def test_culture_day_24_11_from_2026_only() -> None:
    """Ngày Văn hóa Việt Nam 24/11 is a day off from 2026, not before."""
    assert VN.is_working_day(date(2025, 11, 24))  # Monday, an ordinary working day
    assert not VN.is_working_day(date(2026, 11, 24))  # Tuesday, day off
    # from Mon 23/11/2026: Tue 24/11 off, so the 1st working day after is Wed 25/11
    assert VN.add_working_days(date(2026, 11, 23), 1) == date(2026, 11, 25)


def test_next_working_day_on_or_after() -> None:
    """A working day stays; a weekend or holiday moves forward to the next working day."""
    assert VN.next_working_day_on_or_after(date(2026, 3, 4)) == date(2026, 3, 4)  # Wednesday
    assert VN.next_working_day_on_or_after(date(2026, 4, 4)) == date(2026, 4, 6)  # Sat -> Mon
    # Thu 30/4 and Fri 1/5/2026 holidays, weekend 2-3/5 -> Mon 4/5
    assert VN.next_working_day_on_or_after(date(2026, 4, 30)) == date(2026, 5, 4)


def test_start_day_never_counts_even_on_weekend() -> None:
    """From Sat 7/3/2026 the first working day after is Mon 9/3."""
    assert VN.add_working_days(date(2026, 3, 7), 1) == date(2026, 3, 9)
    assert VN.add_working_days(date(2026, 3, 9), 0) == date(2026, 3, 9)


def test_local_overrides_win_over_the_national_calendar() -> None:
    """A provincial day off closes a Wednesday; the Saturday worked for it opens."""
    cal = vietnam_calendar(
        [2026],
        extra_days_off=[date(2026, 10, 14)],  # Wednesday
        extra_working_days=[date(2026, 10, 24)],  # Saturday
    )
    assert not cal.is_working_day(date(2026, 10, 14))
    assert cal.is_working_day(date(2026, 10, 24))
    # from Tue 13/10: Wed 14/10 off, Thu 15/10 (1)
    assert cal.add_working_days(date(2026, 10, 13), 1) == date(2026, 10, 15)
    # from Fri 23/10: Sat 24/10 worked (1)
    assert cal.add_working_days(date(2026, 10, 23), 1) == date(2026, 10, 24)
    # the national calendar alone: Wed 14/10 works, Sat 24/10 does not
    assert VN.is_working_day(date(2026, 10, 14))
    assert not VN.is_working_day(date(2026, 10, 24))


def test_local_override_can_cancel_a_national_swap() -> None:
    """A unit that keeps Sat 22/8/2026 off makes that Saturday a day off again."""
    cal = vietnam_calendar([2026], extra_days_off=[date(2026, 8, 22)])
    assert not cal.is_working_day(date(2026, 8, 22))


def test_same_date_off_and_working_is_refused() -> None:
    """A contradictory override is an error, not a coin toss."""
    with pytest.raises(ValueError, match="2026-10-14"):
        vietnam_calendar(
            [2026], extra_days_off=[date(2026, 10, 14)], extra_working_days=[date(2026, 10, 14)]
        )


def test_weekday_listed_as_working_weekend_day_is_refused() -> None:
    """working_weekend_days holds only Saturdays and Sundays."""
    with pytest.raises(ValueError, match="2026-10-14"):
        WorkingCalendar(working_weekend_days=frozenset({date(2026, 10, 14)}))


def test_dates_outside_the_calendar_years_fail_loudly() -> None:
    """A 2026-only calendar does not know Tết 2027, so it refuses to guess."""
    cal = vietnam_calendar([2026])
    with pytest.raises(OutsideCalendar, match="2027-02-08"):
        cal.is_working_day(date(2027, 2, 8))
    # Thu 31/12/2026 + 1 working day would be Fri 1/1/2027 (New Year): unknown here
    with pytest.raises(OutsideCalendar):
        cal.add_working_days(date(2026, 12, 31), 1)


def test_load_calendar_reads_overrides_file(tmp_path: Path) -> None:
    """The overrides file's dates reach the working-day count."""
    path = tmp_path / "overrides.toml"
    path.write_text(
        "days_off = [\n"
        '    { date = 2026-10-14, reason = "Ngày truyền thống của tỉnh" },\n'
        "]\n"
        "working_days = [\n"
        '    { date = 2026-10-24, reason = "Làm bù cho 14/10" },\n'
        "]\n",
        encoding="utf-8",
    )
    cal = load_calendar([2026], path)
    # from Tue 13/10: Wed 14/10 off (local), Thu 15/10 (1)
    assert cal.add_working_days(date(2026, 10, 13), 1) == date(2026, 10, 15)
    assert cal.is_working_day(date(2026, 10, 24))


def test_bundled_overrides_are_empty() -> None:
    """By default the calendar is the national one."""
    cal = load_calendar([2026])
    assert cal.days_off == {d for d in VN.days_off if d.year == 2026}
    assert cal.add_working_days(date(2026, 2, 13), 1) == date(2026, 2, 23)  # across Tết


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("days_off = [{ date = 2026-10-14 }]\nworking_days = []\n", "reason"),
        ('days_off = [{ date = "2026-10-14", reason = "x" }]\n', "bare date"),
        ('days_off = [{ date = 2026-10-14T08:00:00, reason = "x" }]\n', "bare date"),
        ("holidays = []\n", "unknown key"),
        ('days_off = [{ date = 2026-10-14, reason = "x", note = "y" }]\n', "unknown field"),
        ("days_off = [\n", "not valid TOML"),
    ],
)
def test_load_calendar_rejects_malformed_overrides(tmp_path: Path, text: str, message: str) -> None:
    """A broken overrides file stops loading with a message naming the problem."""
    path = tmp_path / "overrides.toml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(ValueError, match=message):
        load_calendar([2026], path)
