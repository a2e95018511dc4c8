"""«📑 Báo cáo» for inspectors and heads (DESIGN §2 step 8): the official forms as XLSX with
charts, the overdue list of a unit, or the list of petitions as XLSX or CSV (issue 14 §5).

    what ─ report: period → unit                        the workbook and charts, by a job
         ─ overdue: unit                                the list at once, then the menu
         ─ export: period (→ days typed) → unit → format the file, by a job

Every answer checks again that this chat's officer may report (`allowed`), and a unit is taken
only if it is one they may report on now, whatever a button says. A report or an export asked
for leaves its question in place: another unit or format may be asked next, and a second tap is
told that the first is still being built. `/export` starts at the export's period.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass
from datetime import date, datetime

from bot.buttons import Reports
from bot.conversation import Context, Router
from bot.core import Recipient
from bot.flow import Flow, nav_buttons
from bot.i18n import LOCAL_TZ, N_
from bot.labels import kind_label
from bot.ports import OfficerView
from bot.reporting.periods import Period, parse_period, scope_units
from bot.services.exports import (
    ExportAsked,
    ask_for_export,
    export_words,
    quarters_around,
    year_around,
)
from bot.services.reports import REPORT_BUILD_JOB, report_request
from bot.services.scopes import officer_reporting_on, report_scopes
from handlers.callbacks import on
from handlers.common import show_menu
from handlers.picker import PAGE, Option, page_rows, picked, with_page_hint
from handlers.steps import Keep, choose, labelled, write

log = logging.getLogger(__name__)

router = Router()

NOT_ALLOWED = N_("report.not_allowed")
WHAT_LABELS = {
    "report": N_("report.what.forms"),
    "overdue": N_("report.what.overdue"),
    "export": N_("report.what.export"),
}
WHAT_STEPS = {"report": "rp.period", "overdue": "rp.overdue", "export": "ex.period"}
PERIOD_LABELS = {
    "Q1": N_("report.period.q1"),
    "Q2": N_("report.period.q2"),
    "Q3": N_("report.period.q3"),
    "Q4": N_("report.period.q4"),
    "H1": N_("report.period.h1"),
    "9M": N_("report.period.9m"),
    "Y": N_("report.period.y"),
}
EXPORT_PERIOD_LABELS = {
    "quarter": N_("export.period.quarter"),
    "previous": N_("export.period.previous"),
    "year": N_("export.period.year"),
}
DAYS_TYPED = "days"
FORMAT_LABELS = {"xlsx": N_("export.format.xlsx"), "csv": N_("export.format.csv")}
OVERDUE_LIMIT = 30
_DAY = r"(\d{1,2}/\d{1,2}/\d{4})"
_DAYS = re.compile(rf"(?:từ|tu)?\s*{_DAY}\s*(?:-|–|—|đến|den|to)\s*{_DAY}", re.IGNORECASE)


@dataclass
class Asking:
    """What the inspector or head is asking for, as far as they have got."""

    period: str = ""  # a report's period, as its preset (2026-Q1)
    first: str = ""  # an export's first day received (ISO) …
    last: str = ""  # … and its last, included
    unit: str = ""  # an export's unit, with every unit under it


async def may_report(ctx: Context) -> bool:
    """Whether this chat still belongs to a head or an inspector (else refused)."""
    return await reporting_officer(ctx, NOT_ALLOWED) is not None


async def leave(ctx: Context, text: str | None) -> None:
    """Back to the officer's menu; what was asked for is built and sent all the same."""
    await show_menu(ctx, text)


REPORTS = Flow(
    router,
    "reports",
    Asking,
    {
        "rp.what": ("rp.period", "rp.overdue", "ex.period"),
        "rp.period": ("rp.unit",),
        "rp.unit": (),
        "rp.overdue": (),
        "ex.period": ("ex.days", "ex.unit"),
        "ex.days": ("ex.unit",),
        "ex.unit": ("ex.format",),
        "ex.format": (),
    },
    leave=leave,
    cancelled=N_("report.closed"),
    allowed=may_report,
)


# --- who, and where it starts -------------------------------------------------------------------


async def reporting_officer(ctx: Context, refusal: str) -> OfficerView | None:
    """The officer of this chat when they may report on some unit; otherwise `refusal` is said
    (to a citizen too: they are told whom it is for, not that they are not an officer)."""
    officer = await ctx.store.officer_by_chat(ctx.incoming.channel, ctx.incoming.chat_id)
    if officer is None or not report_scopes(ctx.env.org, officer.roles, officer.unit):
        log.warning("%s asked for reports", f"officer {officer.handle}" if officer else ctx.actor)
        ctx.reply(ctx.t(refusal))
        return None
    return officer


@on(router, Reports)
async def reports_button(ctx: Context, _data: Reports) -> None:
    """«📑 Báo cáo» in the officer's menu; other data under its prefix does not parse, and is
    refused politely before it gets here (`handlers.callbacks.on`)."""
    await begin(ctx, "rp.what", NOT_ALLOWED)


@router.command("export")
async def export_command(ctx: Context) -> None:
    """/export: straight to the list of petitions, for heads and inspectors."""
    await begin(ctx, "ex.period", N_("export.not_allowed"))


async def begin(ctx: Context, first: str, refusal: str) -> None:
    """Ask `first`, for those who may report; a flow of a few taps is never offered again."""
    if await reporting_officer(ctx, refusal) is not None:
        await REPORTS.start(ctx, Asking(), first)


async def keep_what(ctx: Context, what: str) -> None:
    """The forms, the overdue list or the list of petitions."""
    await REPORTS.forward(ctx, WHAT_STEPS[what])


choose(REPORTS, "rp.what", N_("report.ask_what"), labelled(WHAT_LABELS), keep_what)


def chat_of(ctx: Context) -> Recipient:
    """Where the files are sent: this chat."""
    return Recipient(ctx.incoming.channel, ctx.incoming.chat_id)


# --- a unit, of those the officer may report on -------------------------------------------------


def choose_unit(name: str, question: str, label: str, keep: Keep) -> None:
    """A step that takes one of the units this officer may report on now (typed, or by its
    number on Zalo, as any choice); a unit pressed that is not one of them is refused."""

    async def options(ctx: Context) -> list[Option]:
        officer = await ctx.store.officer_by_chat(ctx.incoming.channel, ctx.incoming.chat_id)
        scopes = report_scopes(ctx.env.org, officer.roles, officer.unit) if officer else []
        return [Option(unit, ctx.t(label, unit=ctx.env.org.units[unit].name)) for unit in scopes]

    async def prompt(ctx: Context) -> None:
        shown = await options(ctx)
        text = with_page_hint(ctx, ctx.t(question), len(shown))
        ctx.reply(text, *page_rows(ctx, shown, 1), nav_buttons(ctx))

    async def answer(ctx: Context) -> None:
        shown = await options(ctx)
        if pressed_outside(ctx, shown):
            log.warning("%s pressed a unit outside their scopes", ctx.actor)
            ctx.aside(ctx.t(NOT_ALLOWED))
            return
        unit = await picked(ctx, shown, prompt)
        if unit is not None:
            await keep(ctx, unit)

    REPORTS.step(name, prompt)(answer)


def pressed_outside(ctx: Context, options: list[Option]) -> bool:
    """A button naming none of the options or pages: data made up, not shown."""
    choice = ctx.choice
    tokens = {option.token for option in options}
    return choice is not None and not choice.startswith(PAGE) and choice not in tokens


# --- the official forms -------------------------------------------------------------------------


def report_periods(ctx: Context) -> list[Option]:
    """This year's presets on the circular's cut-off, and last year's whole year."""
    year = ctx.now.astimezone(LOCAL_TZ).year
    this_year = [
        Option(f"{year}-{code}", ctx.t(label, year=year)) for code, label in PERIOD_LABELS.items()
    ]
    last_year = Option(f"{year - 1}-Y", ctx.t(PERIOD_LABELS["Y"], year=year - 1))
    return [*this_year, last_year]


async def keep_report_period(ctx: Context, period: str) -> None:
    """The period; its unit next."""
    REPORTS.draft(ctx).period = period
    await REPORTS.forward(ctx, "rp.unit")


async def ask_report(ctx: Context, unit: str) -> None:
    """Have the package built and sent here: the figures in three lines, the workbook and the
    charts. The question stays, for another unit; a second tap builds nothing more."""
    officer = await officer_reporting_on(ctx.store, ctx.env, chat_of(ctx), unit)
    if officer is None:
        ctx.aside(ctx.t(NOT_ALLOWED))
        return
    period_code = REPORTS.draft(ctx).period
    period = parse_period(period_code, ctx.now.astimezone(LOCAL_TZ).year, ctx.env.report_cutoff_day)
    request = report_request(chat_of(ctx), officer, unit, period_code)
    t = ctx.t
    words = period_words(ctx, unit, period)
    if await ctx.store.has_pending_job(REPORT_BUILD_JOB, request):
        ctx.aside(t("report.already_building", **words))
        return
    await ctx.store.schedule(REPORT_BUILD_JOB, ctx.now, request, None)
    ctx.aside(t("report.building", **words))


def period_words(ctx: Context, unit: str, period: Period) -> dict[str, str]:
    """The unit and the days a report covers, as its messages name them."""
    t = ctx.t
    return {
        "unit": ctx.env.org.units[unit].name,
        "first": t.date(period.first_day),
        "last": t.date(period.last_day),
    }


choose(
    REPORTS,
    "rp.period",
    lambda ctx: ctx.t("report.ask_period", day=ctx.env.report_cutoff_day),
    report_periods,
    keep_report_period,
)
choose_unit("rp.unit", N_("report.ask_scope"), N_("report.scope"), ask_report)


# --- the overdue list ---------------------------------------------------------------------------


async def send_overdue(ctx: Context, unit: str) -> None:
    """Open petitions past a deadline in the unit and those under it, the most overdue first
    (no filer data); then the menu."""
    t = ctx.t
    today = ctx.now.astimezone(LOCAL_TZ).date()
    name = ctx.env.org.units[unit].name
    units = scope_units(ctx.env.org, unit)
    overdue = await ctx.store.petitions_of_units(units, OVERDUE_LIMIT, today)
    if not overdue:
        await REPORTS.end(ctx, t("report.overdue.none", unit=name))
        return
    lines = [t("report.overdue.title", unit=name, count=len(overdue))]
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
    await REPORTS.end(ctx, "\n".join(lines))


choose_unit("rp.overdue", N_("report.overdue.ask"), N_("report.overdue"), send_overdue)


# --- the list of petitions ----------------------------------------------------------------------


def offered_periods(ctx: Context) -> dict[str, Period]:
    """This quarter, the one before and this year, on the circular's cut-off: an export then
    holds the very petitions its period's report counts."""
    today = ctx.now.astimezone(LOCAL_TZ).date()
    cutoff = ctx.env.report_cutoff_day
    this, previous = quarters_around(today, cutoff)
    return {"quarter": this, "previous": previous, "year": year_around(today, cutoff)}


def export_periods(ctx: Context) -> list[Option]:
    """The periods offered, with their days, and days to type."""
    t = ctx.t
    offered = [
        Option(
            token,
            t(EXPORT_PERIOD_LABELS[token], first=t.date(p.first_day), last=t.date(p.last_day)),
        )
        for token, p in offered_periods(ctx).items()
    ]
    return [*offered, Option(DAYS_TYPED, t("export.period.days"))]


async def keep_export_period(ctx: Context, token: str) -> None:
    """A period offered, then the unit; or the days, typed first."""
    if token == DAYS_TYPED:
        await REPORTS.forward(ctx, "ex.days")
        return
    period = offered_periods(ctx)[token]
    await keep_days(ctx, period.first_day, period.last_day)


def typed_days(text: str) -> tuple[date, date] | None:
    """«01/03/2026 – 31/03/2026» (or with «-», «đến»): the first and last day, the first not
    after the last; None for anything else."""
    match = _DAYS.fullmatch(text.strip())
    if match is None:
        return None
    try:
        first, last = (local_day(day) for day in match.groups())
    except ValueError:  # 31/02
        return None
    return (first, last) if first <= last else None


def local_day(text: str) -> date:
    """«01/03/2026», a day of Vietnam's calendar."""
    return datetime.strptime(text, "%d/%m/%Y").replace(tzinfo=LOCAL_TZ).date()


def example_days(ctx: Context) -> str:
    """This month so far, as an example of what to type."""
    today = ctx.now.astimezone(LOCAL_TZ).date()
    return f"{today.replace(day=1):%d/%m/%Y} – {today:%d/%m/%Y}"


async def keep_typed_days(ctx: Context, text: str) -> None:
    """The days typed (the step's check has read them already)."""
    days = typed_days(text)
    if days is not None:
        await keep_days(ctx, *days)


async def keep_days(ctx: Context, first: date, last: date) -> None:
    """The export's days, then its unit."""
    asking = REPORTS.draft(ctx)
    asking.first, asking.last = first.isoformat(), last.isoformat()
    await REPORTS.forward(ctx, "ex.unit")


async def keep_export_unit(ctx: Context, unit: str) -> None:
    """The unit, then the format."""
    REPORTS.draft(ctx).unit = unit
    await REPORTS.forward(ctx, "ex.format")


async def ask_export(ctx: Context, format_: str) -> None:
    """Have the file built and sent here. The question stays, for the other format; a second
    tap is told the first is still being built."""
    asking = REPORTS.draft(ctx)
    officer = await officer_reporting_on(ctx.store, ctx.env, chat_of(ctx), asking.unit)
    if officer is None:  # their scopes changed since they chose the unit
        ctx.aside(ctx.t(NOT_ALLOWED))
        return
    first, last = date.fromisoformat(asking.first), date.fromisoformat(asking.last)
    asked = ExportAsked(chat_of(ctx), officer.handle, asking.unit, first, last, format_)
    words = export_words(ctx.t, ctx.env.org, asked)
    if await ask_for_export(ctx.store, asked, ctx.now):
        ctx.aside(ctx.t("export.building", **words))
    else:
        ctx.aside(ctx.t("export.already_building", **words))


choose(
    REPORTS,
    "ex.period",
    lambda ctx: ctx.t("export.ask_period", day=ctx.env.report_cutoff_day),
    export_periods,
    keep_export_period,
)
write(
    REPORTS,
    "ex.days",
    lambda ctx: ctx.t("export.ask_days", example=example_days(ctx)),
    keep_typed_days,
    check=lambda text: typed_days(text) is not None,
    invalid=lambda ctx: ctx.t("export.days.invalid", example=example_days(ctx)),
)
choose_unit("ex.unit", N_("export.ask_unit"), N_("export.unit"), keep_export_unit)
choose(
    REPORTS,
    "ex.format",
    N_("export.ask_format"),
    labelled(FORMAT_LABELS),
    ask_export,
    per_row=2,
)
