"""The figures an inspector reads: counts on whole-number axes, every month of the period on the
trend, and durations kept as the one decimal they show."""

from __future__ import annotations

from datetime import date

from bot.reporting.charts import trend_figure, volume_figure
from bot.reporting.periods import Period, months_of, preset_period
from bot.reporting.workbook import as_shown


def test_a_quarter_on_the_circulars_cutoff_has_four_months() -> None:
    quarter = preset_period(2026, "Q4", 15)  # 15/09/2026 – 14/12/2026
    assert months_of(quarter) == ["2026-09", "2026-10", "2026-11", "2026-12"]
    assert months_of(Period(date(2025, 12, 15), date(2026, 1, 14))) == ["2025-12", "2026-01"]


def test_the_trend_shows_every_month_and_whole_counts() -> None:
    counts = {"09/2026": 0, "10/2026": 1, "11/2026": 0, "12/2026": 0}
    figure = trend_figure(counts, "Xu hướng")
    axes = figure.axes[0]
    assert list(axes.lines[0].get_xdata()) == list(counts)
    figure.canvas.draw()
    ticks = [tick for tick in axes.get_yticks() if 0 <= tick <= 1]
    assert ticks and all(float(tick).is_integer() for tick in ticks), ticks


def test_the_volume_counts_are_whole_numbers() -> None:
    figure = volume_figure({"Đất đai": {"Khiếu nại": 1}}, "Số đơn", ["Khiếu nại"])
    axes = figure.axes[0]
    figure.canvas.draw()
    ticks = [tick for tick in axes.get_xticks() if 0 <= tick <= 1]
    assert ticks and all(float(tick).is_integer() for tick in ticks), ticks


def test_a_duration_is_kept_as_the_one_decimal_it_shows() -> None:
    assert as_shown(0.002, "days") == 0.0
    assert as_shown(2.46, "days") == 2.5
    assert as_shown(3.6666, "decimal") == 3.6666  # a mean score keeps its precision
