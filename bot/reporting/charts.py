"""Charts as PNG images for chat and for the report: volume by field and kind, on-time rate by
unit, and the trend by month. Pure: numbers in, bytes out (a bare `Figure`, no pyplot state).

Labels arrive already translated; DejaVu Sans (bundled with matplotlib) draws Vietnamese.
"""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence

from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

WIDTH, HEIGHT, DPI = 8.0, 4.5, 120  # 960 × 540 px: readable on a cheap phone's screen
COLOURS = ("#1f6fb2", "#e07b39", "#3a9e5d", "#b8404a", "#7b5ea7", "#8c8c8c")


def volume_by_field_and_kind(
    counts: Mapping[str, Mapping[str, int]], title: str, kinds: Sequence[str]
) -> bytes:
    """Stacked bars: one bar per field, one colour per kind. `counts[field][kind]`."""
    return _png(volume_figure(counts, title, kinds))


def volume_figure(
    counts: Mapping[str, Mapping[str, int]], title: str, kinds: Sequence[str]
) -> Figure:
    """The volume chart, before it is drawn as an image."""
    figure, axes = _figure(title)
    fields = list(counts)
    bottoms = [0] * len(fields)
    for index, kind in enumerate(kinds):
        values = [counts[field].get(kind, 0) for field in fields]
        axes.barh(fields, values, left=bottoms, color=COLOURS[index % len(COLOURS)], label=kind)
        bottoms = [b + v for b, v in zip(bottoms, values, strict=True)]
    axes.invert_yaxis()
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))  # petitions: 0, 1, 2, never 0.25
    axes.legend(loc="lower right", fontsize=8)
    return figure


def on_time_rate_by_unit(rates: Mapping[str, float], title: str) -> bytes:
    """Horizontal bars of the share answered on time (0-1), lowest first, with the percentage."""
    figure, axes = _figure(title)
    ordered = sorted(rates.items(), key=lambda item: item[1])
    units = [unit for unit, _ in ordered]
    shares = [share * 100 for _, share in ordered]
    bars = axes.barh(units, shares, color=[_traffic_light(s) for s in shares])
    axes.bar_label(bars, labels=[f"{s:.0f}%" for s in shares], padding=3, fontsize=8)
    axes.set_xlim(0, 110)
    return _png(figure)


def trend_by_month(counts: Mapping[str, int], title: str) -> bytes:
    """A line of petitions received per month (`counts["03/2026"]`), in the order given: every
    month of the period, a month without petitions at zero."""
    return _png(trend_figure(counts, title))


def trend_figure(counts: Mapping[str, int], title: str) -> Figure:
    """The trend chart, before it is drawn as an image."""
    figure, axes = _figure(title)
    months = list(counts)
    axes.plot(months, [counts[m] for m in months], marker="o", color=COLOURS[0])
    axes.set_ylim(bottom=0)
    axes.yaxis.set_major_locator(MaxNLocator(integer=True))
    axes.tick_params(axis="x", labelrotation=45)
    return figure


def _traffic_light(percent: float) -> str:
    """Green from 90 %, orange from 70 %, red below: what a leader scans for."""
    if percent >= 90:
        return COLOURS[2]
    return COLOURS[1] if percent >= 70 else COLOURS[3]


def _figure(title: str) -> tuple[Figure, Axes]:
    figure = Figure(figsize=(WIDTH, HEIGHT), dpi=DPI)
    axes = figure.add_subplot()
    axes.set_title(title, fontsize=11)
    axes.grid(axis="x", alpha=0.3)
    return figure, axes


def _png(figure: Figure) -> bytes:
    buffer = io.BytesIO()
    figure.tight_layout()
    figure.savefig(buffer, format="png")
    return buffer.getvalue()


def option_counts(counts: Sequence[tuple[str, int]], title: str) -> bytes:
    """One question's answers: a bar per option (or per point of a scale), with its count."""
    return _png(option_counts_figure(counts, title))


def option_counts_figure(counts: Sequence[tuple[str, int]], title: str) -> Figure:
    """The answers chart, before it is drawn as an image."""
    figure, axes = _figure(title)
    labels = [label for label, _ in counts]
    values = [value for _, value in counts]
    bars = axes.barh(labels, values, color=COLOURS[0])
    axes.bar_label(bars, padding=3, fontsize=8)
    axes.invert_yaxis()
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    return figure


def satisfaction_by_aspect(indices: Sequence[tuple[str, float]], title: str) -> bytes:
    """A survey's index per aspect (0-1), in the order given, with the percentage."""
    return _png(satisfaction_figure(indices, title))


def satisfaction_figure(indices: Sequence[tuple[str, float]], title: str) -> Figure:
    """The satisfaction chart, before it is drawn as an image."""
    figure, axes = _figure(title)
    labels = [label for label, _ in indices]
    percents = [index * 100 for _, index in indices]
    bars = axes.barh(labels, percents, color=[_traffic_light(p) for p in percents])
    axes.bar_label(bars, labels=[f"{p:.0f}%" for p in percents], padding=3, fontsize=8)
    axes.invert_yaxis()
    axes.set_xlim(0, 110)
    return figure
