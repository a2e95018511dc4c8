"""`report`: the official report forms of a period and a unit (with every unit under it) as XLSX.

The figures are counted by the database on one read snapshot, which never holds back the bot's
writes; the sheets come from the form templates (`bot/data/forms/`, or `--forms DIR`).
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from datetime import date, datetime
from pathlib import Path

from bot.commands.arguments import iso_date
from bot.config import Settings
from bot.domain.org import Organisation
from bot.i18n import DEFAULT_LOCALE, LOCAL_TZ, Catalogues
from bot.reporting.forms import FORMS_DIR, FormError, load_forms
from bot.reporting.metrics import ReportMetrics
from bot.reporting.periods import (
    Period,
    PeriodError,
    ScopeError,
    date_range,
    parse_period,
    scope_units,
)
from bot.reporting.workbook import ReportHeading, report_content, write_report
from storage.repository import SqlStore


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.description = (
        "Write the report forms (reception 01/TCD, letter handling 02/XLD, complaint and "
        "denunciation results, a summary) of a period for a unit and every unit under it, "
        "as one XLSX workbook."
    )
    when = parser.add_mutually_exclusive_group(required=True)
    when.add_argument(
        "--period", metavar="PERIOD", help="Q1..Q4, H1, 9M or Y, with a year or not: 2026-Q1"
    )
    when.add_argument("--from", dest="first", type=iso_date, metavar="DATE", help="YYYY-MM-DD")
    parser.add_argument("--to", dest="last", type=iso_date, metavar="DATE", help="with --from")
    parser.add_argument(
        "--year", type=int, default=None, help="the year of a --period without one (this year)"
    )
    parser.add_argument("--unit", required=True, metavar="CODE", help="e.g. TN: the province")
    parser.add_argument(
        "--only", action="store_true", help="the unit alone, not the units under it"
    )
    parser.add_argument("--out", type=Path, required=True, metavar="FILE", help="FILE.xlsx")
    parser.add_argument("--place", default="", help="the place on the signature line")
    parser.add_argument(
        "--forms", type=Path, default=FORMS_DIR, metavar="DIR", help="form templates (bundled)"
    )


def run(args: argparse.Namespace) -> int:
    """Write the workbook and say what it covers; bad input on one stderr line, and 2."""
    from bot.app import load_organisation

    settings = Settings()
    today = datetime.now(LOCAL_TZ).date()
    try:
        org = load_organisation(settings.org_file)
        period = _period(args, today, settings.report_cutoff_day)
        units = scope_units(org, args.unit, below=not args.only)
        forms = load_forms(args.forms)
    except (PeriodError, ScopeError, FormError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    report = asyncio.run(_count(settings, org, period, units))
    heading = ReportHeading(org.units[args.unit].name, period, args.place, today)
    write_report(
        args.out,
        forms,
        heading,
        report_content(org, args.unit, report, Catalogues().get(DEFAULT_LOCALE)),
    )
    total = report.total.petitions
    print(
        f"{args.out}: {heading.unit_name}, {period.first_day:%d/%m/%Y}–{period.last_day:%d/%m/%Y}"
        f" ({len(units)} units): {total.received} petitions received, {total.answered} answered"
    )
    return 0


def _period(args: argparse.Namespace, today: date, cutoff_day: int) -> Period:
    """The preset (of --year, or this year), or the --from/--to range."""
    if args.period:
        return parse_period(args.period, args.year or today.year, cutoff_day)
    if args.last is None:
        raise PeriodError("--from needs --to")
    return date_range(args.first, args.last)


async def _count(
    settings: Settings, org: Organisation, period: Period, units: list[str]
) -> ReportMetrics:
    """The figures, on a read snapshot of the migrated database."""
    from bot.app import prepare_database

    db = await prepare_database(settings, org)
    try:
        async with db.snapshot() as session:
            return await SqlStore(session).report_metrics(period, units)
    finally:
        await db.close()
