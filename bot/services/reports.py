"""A report package for a unit and a period: the XLSX of the official forms and three charts.

Used when an inspector or a head asks in chat, and for the draft attached to report-due
reminders. The figures come from the database (`Store.report_metrics`); the rest is pure.

Both are scheduled jobs in two phases (`bot.services.reminders.prepare_job`): the package is
built first on a read snapshot, with the workbook and charts drawn in a thread, and only then are
its messages queued in a short write transaction. A province's quarter takes seconds of queries
over a million petitions; built inside a chat's turn it held SQLite's one writer, and every
citizen's reply waited for it.
"""

from __future__ import annotations

import asyncio
import base64
import io
import logging
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta

from bot.core import Outgoing, Recipient, Reply
from bot.domain.org import Organisation
from bot.environment import Environment
from bot.i18n import LOCAL_TZ, Translator
from bot.labels import KIND_LABELS, kind_label
from bot.ports import OfficerView, Store
from bot.reporting.charts import on_time_rate_by_unit, trend_by_month, volume_by_field_and_kind
from bot.reporting.due import ReportDue, report_dues
from bot.reporting.forms import load_forms
from bot.reporting.metrics import ReportMetrics, Volume, unit_rows
from bot.reporting.periods import Period, months_of, parse_period, scope_units
from bot.reporting.workbook import ReportHeading, report_content, write_report
from bot.services.scopes import officer_reporting_on

log = logging.getLogger(__name__)

REPORT_BUILD_JOB = "report.build"


@dataclass(frozen=True)
class ReportFiles:
    """What the reader receives: the figures in short, the workbook, the charts."""

    metrics: ReportMetrics
    workbook: bytes
    charts: tuple[tuple[str, bytes], ...]  # file name, PNG
    period: Period


async def build_report(
    store: Store, env: Environment, t: Translator, unit: str, period: Period, today: date
) -> ReportFiles:
    """Count, then write the workbook and draw the charts (in a thread: a second of CPU that
    the bot's other work need not wait for)."""
    units = scope_units(env.org, unit)
    metrics = await store.report_metrics(period, units)
    volume = await store.report_volume(period, units)
    heading = ReportHeading(env.org.units[unit].name, period, "", today)
    return await asyncio.to_thread(_draw, t, env.org, unit, heading, metrics, volume)


def _draw(
    t: Translator,
    org: Organisation,
    unit: str,
    heading: ReportHeading,
    metrics: ReportMetrics,
    volume: Volume,
) -> ReportFiles:
    buffer = io.BytesIO()
    write_report(buffer, load_forms(), heading, report_content(org, unit, metrics, t))
    period = heading.period
    return ReportFiles(
        metrics, buffer.getvalue(), charts(t, org, unit, metrics, volume, period), period
    )


# --- a report asked for in chat -----------------------------------------------------------------


def report_request(
    recipient: Recipient, officer: OfficerView, unit: str, period: str
) -> dict[str, str]:
    """The job's payload: who asked, from which chat, for what (checked when it was asked)."""
    return {
        "channel": recipient.channel,
        "chat_id": recipient.chat_id,
        "officer": officer.handle,
        "unit": unit,
        "period": period,
    }


async def prepare_report_build(
    store: Store, env: Environment, payload: dict[str, str], now: datetime
) -> ReportFiles | None:
    """Phase one, on a snapshot: the package, in the language of the chat that asked (None when
    that chat may no longer have it: phase two says nothing then)."""
    chat = Recipient(payload["channel"], payload["chat_id"])
    if not await officer_reporting_on(store, env, chat, payload["unit"]):
        return None
    t = env.catalogues.get(await store.locale_of(chat))
    today = now.astimezone(LOCAL_TZ).date()
    period = parse_period(payload["period"], today.year, env.report_cutoff_day)
    return await build_report(store, env, t, payload["unit"], period, today)


async def report_build_job(
    store: Store,
    env: Environment,
    payload: dict[str, str],
    now: datetime,
    files: ReportFiles | None,
) -> list[Outgoing]:
    """Phase two: the figures in three lines, the workbook and the charts, to the chat that
    asked, if its officer still may report on the unit; recorded in the audit log."""
    chat, unit = Recipient(payload["channel"], payload["chat_id"]), payload["unit"]
    officer = await officer_reporting_on(store, env, chat, unit)
    if officer is None:
        log.warning("a report on %s was asked for by a chat that may no longer have it", unit)
        return []
    if files is None:  # phase one found the chat may not have it either
        return []
    t = env.catalogues.get(await store.locale_of(chat))
    period = files.period
    total = files.metrics.total.petitions
    share = total.on_time_share
    text = t(
        "report.ready",
        unit=env.org.units[unit].name,
        first=t.date(period.first_day),
        last=t.date(period.last_day),
        received=total.received,
        answered=total.answered,
        on_time=f"{share:.0%}" if share is not None else "—",
    )
    workbook = base64.b64encode(files.workbook).decode()
    name = f"bao-cao-{unit}-{period.name or 'ky'}.xlsx"
    outgoing = [Outgoing(chat, Reply(text, document_data=workbook, document_name=name))]
    for chart, png in files.charts:
        data = base64.b64encode(png).decode()
        outgoing.append(Outgoing(chat, Reply("", document_data=data, document_name=chart)))
    await store.audit(
        f"officer:{officer.handle}", "report.built", unit, {"period": period.name}, now
    )
    return outgoing


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
    months = {f"{m[5:7]}/{m[:4]}": volume.by_month.get(m, 0) for m in months_of(period)}
    kinds = [kind_label(t, k) for k in KIND_LABELS]
    return (
        (
            "volume.png",
            volume_by_field_and_kind(by_field, t("report.chart.volume", period=when), kinds),
        ),
        ("on-time.png", on_time_rate_by_unit(rates, t("report.chart.on_time", period=when))),
        ("trend.png", trend_by_month(months, t("report.chart.trend", period=when))),
    )


async def report_build_failed(
    store: Store, env: Environment, payload: dict[str, str]
) -> list[Outgoing]:
    """The package could not be built at its last try: say so to the chat that asked."""
    chat, unit = Recipient(payload["channel"], payload["chat_id"]), payload["unit"]
    t = env.catalogues.get(await store.locale_of(chat))
    name = env.org.units[unit].name if unit in env.org.units else unit
    return [Outgoing(chat, Reply(t("report.failed", unit=name)))]


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


Drafts = dict[tuple[str, str], bytes]  # (unit, period) → the draft workbook


def _reports_coming_due(
    env: Environment, payload: dict[str, str], now: datetime
) -> list[tuple[str, ReportDue]]:
    """The units' reports whose reminder day fell since the last run."""
    today = now.astimezone(LOCAL_TZ).date()
    since = date.fromisoformat(payload.get("since", today.isoformat()))
    return [
        (unit.code, due)
        for unit in env.org.units.values()
        for due in report_dues(today.year, unit.kind, env.calendar, unit.report_due_day)
        if since < due.remind_on <= today
    ]


async def prepare_report_due(
    store: Store, env: Environment, payload: dict[str, str], now: datetime
) -> Drafts:
    """Phase one, on a snapshot: the draft of each report coming due."""
    today = now.astimezone(LOCAL_TZ).date()
    return {
        (unit, due.period): await _draft(store, env, unit, due, today)
        for unit, due in _reports_coming_due(env, payload, now)
    }


async def report_due_job(
    store: Store,
    env: Environment,
    payload: dict[str, str],
    now: datetime,
    drafts: Drafts | None,
) -> list[Outgoing]:
    """Phase two: each report coming due goes to the staff who file it, with its draft
    attached (None: the drafts could not be made, the reminders go without); then the next run
    is planned."""
    today = now.astimezone(LOCAL_TZ).date()
    outgoing: list[Outgoing] = []
    for unit, due in _reports_coming_due(env, payload, now):  # as in phase one: same `now`
        draft = drafts[(unit, due.period)] if drafts is not None else None
        outgoing += await _remind_report(store, env, unit, due, draft)
    await store.schedule(REPORT_DUE_JOB, next_daily_run(now), {"since": today.isoformat()}, None)
    return outgoing


async def report_filers(store: Store, env: Environment, unit: str) -> list[OfficerView]:
    """Who files a unit's report: its heads, and the inspectors of the units under it."""
    filers = await store.heads_of(unit)
    for code in scope_units(env.org, unit):
        filers += [o for o in await store.officers_of(code) if "inspector" in o.roles]
    return list({officer.id: officer for officer in filers}.values())


async def _draft(store: Store, env: Environment, unit: str, due: ReportDue, today: date) -> bytes:
    period = parse_period(due.period, today.year, env.report_cutoff_day)
    built = await build_report(store, env, env.catalogues.get(None), unit, period, today)
    return built.workbook


async def _remind_report(
    store: Store, env: Environment, unit: str, due: ReportDue, draft: bytes | None
) -> list[Outgoing]:
    data = base64.b64encode(draft).decode() if draft is not None else None
    name = f"bao-cao-{unit}-{due.period}-du-thao.xlsx" if draft is not None else None
    outgoing, unit_name = [], env.org.units[unit].name
    for officer in await report_filers(store, env, unit):
        for chat in await store.officer_chats(officer.id):
            t = env.catalogues.get(await store.locale_of(chat))
            words = {"period": due.period, "unit": unit_name, "date": t.date(due.due)}
            if draft is not None:
                text = t("report.due.reminder", **words)
            else:
                text = t("report.due.reminder.no_draft", **words)
            outgoing.append(Outgoing(chat, Reply(text, document_data=data, document_name=name)))
    return outgoing
