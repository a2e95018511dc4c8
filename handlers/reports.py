"""«📑 Báo cáo» for inspectors and heads: pick a period and a scope, get the XLSX of the official
forms and the charts; or the overdue list of a scope, on demand.

Buttons only name a period and a unit: the scopes an officer may report on are checked again on
the server for every press. The package itself is built by a job (bot.services.reports): a
province's quarter takes seconds, which no other chat should wait for.
"""

from __future__ import annotations

import logging

from bot.conversation import Context, Router
from bot.core import Button, Recipient
from bot.i18n import LOCAL_TZ, N_
from bot.labels import kind_label
from bot.ports import OfficerView
from bot.reporting.periods import PeriodError, parse_period, scope_units
from bot.services.reports import REPORT_BUILD_JOB, report_request, report_scopes
from handlers.staff import current_officer

log = logging.getLogger(__name__)

router = Router()

PERIOD_LABELS = {
    "Q1": N_("report.period.q1"),
    "Q2": N_("report.period.q2"),
    "Q3": N_("report.period.q3"),
    "Q4": N_("report.period.q4"),
    "H1": N_("report.period.h1"),
    "9M": N_("report.period.9m"),
    "Y": N_("report.period.y"),
}
OVERDUE_LIMIT = 30


@router.global_button("rp")
async def report_button(ctx: Context) -> None:
    """`rp:home`, `rp:p.<period>` (choose the scope), `rp:s.<period>.<unit>`, `rp:o.<unit>`."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    scopes = report_scopes(ctx.env.org, officer.roles, officer.unit)
    step, _, rest = (ctx.choice or "").partition(".")
    if not scopes:
        log.warning("officer %s asked for a report", officer.handle)
        ctx.reply(ctx.t("report.not_allowed"))
    elif step == "home":
        choose_period(ctx)
    elif step == "p":
        choose_scope(ctx, rest, scopes)
    elif step == "s":
        period, _, unit = rest.partition(".")
        await send_report(ctx, officer, period, unit, scopes)
    elif step == "o":
        await send_overdue(ctx, rest, scopes)
    else:
        ctx.reply(ctx.t("input.unknown_button"))


def choose_period(ctx: Context) -> None:
    """This year's presets on the circular's cut-off, and last year's whole year."""
    year = ctx.now.astimezone(LOCAL_TZ).year
    rows = [
        [Button(ctx.t(PERIOD_LABELS[code], year=year), f"rp:p.{year}-{code}")]
        for code in ("Q1", "Q2", "Q3", "Q4", "H1", "9M", "Y")
    ]
    whole_year = PERIOD_LABELS["Y"]
    rows.append([Button(ctx.t(whole_year, year=year - 1), f"rp:p.{year - 1}-Y")])
    ctx.reply(ctx.t("report.ask_period", day=ctx.env.report_cutoff_day), *rows)


def choose_scope(ctx: Context, period: str, scopes: list[str]) -> None:
    """The officer's People's Committee and own unit; each also has its overdue list."""
    rows = []
    for unit in scopes:
        name = ctx.env.org.units[unit].name
        rows.append([Button(ctx.t("report.scope", unit=name), f"rp:s.{period}.{unit}")])
        rows.append([Button(ctx.t("report.overdue", unit=name), f"rp:o.{unit}")])
    ctx.reply(ctx.t("report.ask_scope"), *rows)


async def send_report(
    ctx: Context, officer: OfficerView, period_code: str, unit: str, scopes: list[str]
) -> None:
    """Check the request, then have the package built and sent here: the figures in three
    lines, the workbook and the charts."""
    try:
        period = parse_period(
            period_code, ctx.now.astimezone(LOCAL_TZ).year, ctx.env.report_cutoff_day
        )
    except PeriodError:
        ctx.reply(ctx.t("input.unknown_button"))
        return
    if unit not in scopes:
        log.warning("officer %s asked for a report on %s", officer.handle, unit)
        ctx.reply(ctx.t("report.not_allowed"))
        return
    chat = Recipient(ctx.incoming.channel, ctx.incoming.chat_id)
    request = report_request(chat, officer, unit, period_code)
    t = ctx.t
    words = {
        "unit": ctx.env.org.units[unit].name,
        "first": t.date(period.first_day),
        "last": t.date(period.last_day),
    }
    if await ctx.store.has_pending_job(REPORT_BUILD_JOB, request):  # a second tap
        ctx.reply(t("report.already_building", **words))
        return
    await ctx.store.schedule(REPORT_BUILD_JOB, ctx.now, request, None)
    ctx.reply(t("report.building", **words))


async def send_overdue(ctx: Context, unit: str, scopes: list[str]) -> None:
    """Open petitions past a deadline in the scope, the most overdue first (no filer data)."""
    if unit not in scopes:
        ctx.reply(ctx.t("report.not_allowed"))
        return
    t = ctx.t
    today = ctx.now.astimezone(LOCAL_TZ).date()
    units = scope_units(ctx.env.org, unit)
    overdue = await ctx.store.petitions_of_units(units, OVERDUE_LIMIT, today)
    if not overdue:
        ctx.reply(t("report.overdue.none", unit=ctx.env.org.units[unit].name))
        return
    lines = [t("report.overdue.title", unit=ctx.env.org.units[unit].name, count=len(overdue))]
    for petition in overdue:
        due = min(d.due_date for d in petition.deadlines if d.status == "open")
        lines.append(
            t(
                "report.overdue.item",
                code=petition.code,
                kind=kind_label(t, petition.kind),
                date=t.date(due),
                days=(today - due).days,
            )
        )
    ctx.reply("\n".join(lines), [Button(t("report.again"), "rp:home")])
