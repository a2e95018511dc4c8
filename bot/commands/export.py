"""`export`: the petitions of a period and a unit (with every unit under it) as CSV or XLSX.

The file carries no denouncer's identity and masks phone and ID numbers (LEGAL §4, §7); each
export is written to the audit log with who ran it, the scope, the period and the row count.
"""

from __future__ import annotations

import argparse
import asyncio
import getpass
import sys
from dataclasses import dataclass
from datetime import UTC, date, datetime
from pathlib import Path

from bot.commands.arguments import iso_date
from bot.config import Settings
from bot.domain.org import Organisation
from bot.i18n import DEFAULT_LOCALE, Catalogues
from bot.reporting.exports import EXPORT_SUFFIXES
from bot.reporting.periods import date_range
from bot.services.access import units_under
from bot.services.exports import audit_detail, petition_columns, write_petitions
from storage.db import Database
from storage.exports import audit_export, petition_chunks


@dataclass(frozen=True)
class ExportRequest:
    """What to export: received from `first` to `last` (local days, inclusive), under `unit`."""

    first: date
    last: date
    unit: str
    out: Path

    def bounds(self) -> tuple[datetime, datetime]:
        """[start, end): from midnight of `first` to midnight after `last`, in Vietnam."""
        period = date_range(self.first, self.last)
        return period.starts_at, period.ends_before


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.description = (
        "Write the petitions received in a period by a unit and every unit under it, one row "
        "each, as CSV or XLSX. Denouncers' identities are left out; phones and ID numbers are "
        "masked; the export is written to the audit log."
    )
    parser.add_argument(
        "--from",
        dest="first",
        type=iso_date,
        required=True,
        metavar="DATE",
        help="first day received, YYYY-MM-DD (Vietnam's calendar)",
    )
    parser.add_argument(
        "--to",
        dest="last",
        type=iso_date,
        required=True,
        metavar="DATE",
        help="last day received, included",
    )
    parser.add_argument(
        "--unit",
        required=True,
        metavar="CODE",
        help="a unit code, e.g. PD; the units under it are included",
    )
    parser.add_argument("--out", type=Path, required=True, metavar="FILE", help="FILE.csv|.xlsx")


def run(args: argparse.Namespace) -> int:
    """Export and print the row count; report bad input on one stderr line and return 2."""
    # bot.app pulls in the messengers and the web server: load it only when the command runs.
    from bot.app import load_organisation, prepare_database

    settings = Settings()
    request = ExportRequest(args.first, args.last, args.unit, args.out)
    org = load_organisation(settings.org_file)
    problem = _problem(request, org)
    if problem:
        print(f"error: {problem}", file=sys.stderr)
        return 2

    async def export() -> int:
        db = await prepare_database(settings, org)
        try:
            return await export_and_audit(db, org, request, _operator(), datetime.now(UTC))
        finally:
            await db.close()

    rows = asyncio.run(export())
    print(f"{rows} petitions written to {request.out}")
    return 0


def _problem(request: ExportRequest, org: Organisation) -> str | None:
    """What is wrong with the request, if anything."""
    if request.last < request.first:
        return f"--to {request.last} is before --from {request.first}"
    if request.unit not in org.units:
        return f"unknown unit {request.unit!r}; see the organisation file"
    if not request.out.parent.is_dir():
        return f"no folder {request.out.parent} to write into"
    if request.out.suffix.lower() not in EXPORT_SUFFIXES:
        return f"--out must end in {' or '.join(EXPORT_SUFFIXES)}"
    return None


async def export_and_audit(
    db: Database, org: Organisation, request: ExportRequest, actor: str, now: datetime
) -> int:
    """Write the export, then the audit entry saying who took which rows."""
    units = units_under(org, request.unit)
    rows = await write_export(db, org, request, units, now)
    detail = audit_detail(request.first, request.last, units, request.out.name, rows)
    await audit_export(db, actor, request.unit, detail, now)
    return rows


async def write_export(
    db: Database, org: Organisation, request: ExportRequest, units: list[str], now: datetime
) -> int:
    """Stream the petitions into the file a chunk at a time; a failed export leaves no file.

    The rows go to `NAME.part.SUFFIX` first and take the real name only once complete.
    """
    columns = petition_columns(Catalogues().get(DEFAULT_LOCALE), org, now)
    out = request.out
    partial = out.with_name(f"{out.stem}.part{out.suffix}")
    try:
        # The chunks' snapshot ends with the writing, even on error.
        rows = await write_petitions(
            partial, columns, petition_chunks(db, units, *request.bounds())
        )
    except BaseException:
        partial.unlink(missing_ok=True)
        raise
    partial.replace(out)
    return rows


def _operator() -> str:
    """Who ran the command, as the audit log names actors."""
    try:
        return f"cli:{getpass.getuser()}"
    except (KeyError, OSError):
        return "cli:unknown"
