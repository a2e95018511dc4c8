"""A report package for a unit and a period: the XLSX of the official forms and three charts.

Used when an inspector or a head asks in chat, and for the draft attached to report-due
reminders. The figures come from the database (`Store.report_metrics`); the rest is pure.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.conversation import Environment
from bot.core import Outgoing, Reply
from bot.domain.org import Organisation
from bot.i18n import LOCAL_TZ, Translator
from bot.labels import KIND_LABELS, kind_label
from bot.ports import OfficerView, Store
from bot.reporting.charts import on_time_rate_by_unit, trend_by_month, volume_by_field_and_kind
from bot.reporting.due import ReportDue, report_dues
from bot.reporting.forms import load_forms
from bot.reporting.metrics import ReportMetrics, Volume, unit_rows
from bot.reporting.periods import Period, parse_period, scope_units
from bot.reporting.workbook import ReportHeading, report_content, write_report
from bot.services.reception import peoples_committee

REPORT_ROLES = frozenset({"head", "inspector"})


@dataclass(frozen=True)
class ReportFiles:
    """What the reader receives: the figures in short, the workbook, the charts."""

    metrics: ReportMetrics
    workbook: bytes
    charts: tuple[tuple[str, bytes], ...]  # file name, PNG


def report_scopes(org: Organisation, roles: frozenset[str], unit: str) -> list[str]:
    """The scopes an officer may report on: their People's Committee (the inspectorate: its
    province) and their own unit, each with everything under it."""
    if not roles & REPORT_ROLES:
        return []
    committee = peoples_committee(org, unit)
    return list(dict.fromkeys(code for code in (committee, unit) if code))


async def build_report(
    store: Store, env: Environment, t: Translator, unit: str, period: Period, today: date
) -> ReportFiles:
    """Count, then write the workbook and draw the charts."""
    units = scope_units(env.org, unit)
    metrics = await store.report_metrics(period, units)
    volume = await store.report_volume(period, units)
    buffer = io.BytesIO()
    heading = ReportHeading(env.org.units[unit].name, period, "", today)
    write_report(buffer, load_forms(), heading, report_content(env.org, unit, metrics, t))
    return ReportFiles(
        metrics, buffer.getvalue(), charts(t, env.org, unit, metrics, volume, period)
    )


def charts(
    t: Translator,
    org: Organisation,
    unit: str,
    metrics: ReportMetrics,
    volume: Volume,
    period: Period,
) -> tuple[tuple[str, bytes], ...]:
    """Volume by field and kind, on-time rate by unit, trend by month."""
    when = f"{t.date(period.first_day)} – {t.date(period.last_day)}"
    field_names = {item.code: t(item.label) for item in org.fields}
    by_field = {
        field_names.get(field, field): {kind_label(t, k): n for k, n in kinds.items()}
        for field, kinds in volume.by_field_kind.items()
    }
    rates = {
        name: share
        for name, figures in unit_rows(org, unit, metrics)
        if (share := figures.petitions.on_time_share) is not None
    }
    months = {f"{m[5:7]}/{m[:4]}": n for m, n in volume.by_month.items()}
    kinds = [kind_label(t, k) for k in KIND_LABELS]
    return (
        (
            "volume.png",
            volume_by_field_and_kind(by_field, t("report.chart.volume", period=when), kinds),
        ),
        ("on-time.png", on_time_rate_by_unit(rates, t("report.chart.on_time", period=when))),
        ("trend.png", trend_by_month(months, t("report.chart.trend", period=when))),
    )


# --- report-due reminders -----------------------------------------------------------------------

REPORT_DUE_JOB = "report.daily"
DAILY_AT = time(7, 30)  # the start of the office day, in Hà Nội


def next_daily_run(now: datetime) -> datetime:
    """Tomorrow's start of the office day."""
    tomorrow = now.astimezone(LOCAL_TZ).date() + timedelta(days=1)
    return datetime.combine(tomorrow, DAILY_AT, LOCAL_TZ)


async def ensure_report_reminders(store: Store, now: datetime) -> None:
    """Keep one daily job that looks for reports coming due (at start, in one transaction)."""
    if not await store.has_pending_job(REPORT_DUE_JOB):
        today = now.astimezone(LOCAL_TZ).date()
        await store.schedule(
            REPORT_DUE_JOB, next_daily_run(now), {"since": today.isoformat()}, None
        )


async def report_due_job(
    store: Store, env: Environment, payload: dict[str, str], now: datetime
) -> list[Outgoing]:
    """Each report whose reminder day fell since the last run goes to the staff who file it,
    with a draft of its figures attached; then the next run is planned."""
    today = now.astimezone(LOCAL_TZ).date()
    since = date.fromisoformat(payload.get("since", today.isoformat()))
    outgoing: list[Outgoing] = []
    for unit in env.org.units.values():
        for due in report_dues(today.year, unit.kind, env.calendar, unit.report_due_day):
            if since < due.remind_on <= today:
                outgoing += await _remind_report(store, env, unit.code, due, today)
    await store.schedule(REPORT_DUE_JOB, next_daily_run(now), {"since": today.isoformat()}, None)
    return outgoing


async def report_filers(store: Store, env: Environment, unit: str) -> list[OfficerView]:
    """Who files a unit's report: its heads, and the inspectors of the units under it."""
    filers = await store.heads_of(unit)
    for code in scope_units(env.org, unit):
        filers += [o for o in await store.officers_of(code) if "inspector" in o.roles]
    return list({officer.id: officer for officer in filers}.values())


async def _remind_report(
    store: Store, env: Environment, unit: str, due: ReportDue, today: date
) -> list[Outgoing]:
    period = parse_period(due.period, today.year, env.report_cutoff_day)
    draft = await build_report(store, env, env.catalogues.get(None), unit, period, today)
    data = base64.b64encode(draft.workbook).decode()
    name = f"bao-cao-{unit}-{due.period}-du-thao.xlsx"
    outgoing = []
    for officer in await report_filers(store, env, unit):
        for chat in await store.officer_chats(officer.id):
            t = env.catalogues.get(await store.locale_of(chat))
            text = t(
                "report.due.reminder",
                period=due.period,
                unit=env.org.units[unit].name,
                date=t.date(due.due),
            )
            outgoing.append(Outgoing(chat, Reply(text, document_data=data, document_name=name)))
    return outgoing
