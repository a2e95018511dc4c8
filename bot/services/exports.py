"""Lists of petitions in chat (issue 14 §5): an inspector or a head picks a period, a unit and a
format, and the CSV or XLSX arrives in the chat.

The rows are those of the command-line export (`bot.commands.export`), written by the same code
(`write_petitions`): the query withholds a denouncer's identity and masks phone and ID numbers
(`Store.export_chunks`), and no cell is one a spreadsheet would run (`bot.reporting.exports`).
As a report is, the file is built by a job in two phases (`bot.jobs`): read and written on a
snapshot first, the writing in a thread, then sent with its audit entry in a short write
transaction. A province's year takes seconds, which no other chat should wait for.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import tempfile
from collections.abc import AsyncGenerator, AsyncIterator
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path

from bot.core import Outgoing, Recipient, Reply
from bot.domain.org import Organisation
from bot.environment import Environment
from bot.i18n import LOCAL_TZ, Translator
from bot.jobs import PREPARE_FAILED, DueJob, JobKinds
from bot.ports import Store
from bot.reporting.exports import PetitionColumns, PetitionRecord, RowWriter, open_export
from bot.reporting.periods import Period, date_range, preset_period, scope_units
from bot.services.scopes import officer_reporting_on

log = logging.getLogger(__name__)

EXPORT_BUILD_JOB = "export.build"
EXPORT_FORMATS = ("xlsx", "csv")
QUARTERS = ("Q1", "Q2", "Q3", "Q4")

jobs: JobKinds[Environment] = JobKinds()


@dataclass(frozen=True)
class ExportAsked:
    """An export asked for in chat: by which chat and officer, of which unit (with every unit
    under it), of the petitions received from `first` to `last` (local days), in which format."""

    chat: Recipient
    officer: str
    unit: str
    first: date
    last: date
    format: str

    @classmethod
    def of(cls, payload: dict[str, str]) -> ExportAsked:
        """The request a job carries (`payload`)."""
        return cls(
            Recipient(payload["channel"], payload["chat_id"]),
            payload["officer"],
            payload["unit"],
            date.fromisoformat(payload["first"]),
            date.fromisoformat(payload["last"]),
            payload["format"],
        )

    def payload(self) -> dict[str, str]:
        """What the job carries: plain strings, compared whole to find a second tap."""
        return {
            "channel": self.chat.channel,
            "chat_id": self.chat.chat_id,
            "officer": self.officer,
            "unit": self.unit,
            "first": self.first.isoformat(),
            "last": self.last.isoformat(),
            "format": self.format,
        }

    @property
    def period(self) -> Period:
        """The days asked for, both included."""
        return date_range(self.first, self.last)

    @property
    def file_name(self) -> str:
        """Says what the file holds where it is saved: the unit and the days."""
        return f"danh-sach-don-{self.unit}-{self.first:%Y%m%d}-{self.last:%Y%m%d}.{self.format}"


@dataclass(frozen=True)
class ExportFile:
    """What phase one made: the file's bytes and how many petitions it lists (none: no file)."""

    data: bytes
    rows: int


# --- the periods offered ------------------------------------------------------------------------


def quarters_around(day: date, cutoff_day: int) -> tuple[Period, Period]:
    """The reporting quarter `day` falls in and the one before, on the circular's cut-off (with
    the 15th, 20/12/2025 is in Q1/2026): an export then matches the quarter's report."""
    quarters = [
        preset_period(year, quarter, cutoff_day)
        for year in range(day.year - 1, day.year + 2)
        for quarter in QUARTERS
    ]
    now = next(i for i, period in enumerate(quarters) if period.first_day <= day <= period.last_day)
    return quarters[now], quarters[now - 1]


def year_around(day: date, cutoff_day: int) -> Period:
    """The reporting year `day` falls in."""
    years = (preset_period(year, "Y", cutoff_day) for year in (day.year, day.year + 1))
    return next(period for period in years if period.first_day <= day <= period.last_day)


# --- writing the file (here and on the command line) --------------------------------------------


def petition_columns(t: Translator, org: Organisation, now: datetime) -> PetitionColumns:
    """The export's header and cells in this language, for the organisation's fields; "overdue"
    is judged on `now`'s day in Vietnam."""
    fields = {field.code: field.label for field in org.fields}
    return PetitionColumns(t, fields, now.astimezone(LOCAL_TZ).date())


async def write_petitions(
    path: Path, columns: PetitionColumns, chunks: AsyncGenerator[list[PetitionRecord]]
) -> int:
    """Write the records into `path` (CSV or XLSX by its suffix) a chunk at a time, so memory
    stays flat, and return how many there were. The writing is done in a thread: a province's
    year is seconds of CPU that the bot's chats need not wait for."""
    rows = 0
    async with _opened(path, columns) as writer, contextlib.aclosing(chunks):
        async for chunk in chunks:
            await asyncio.to_thread(_write, writer, columns, chunk)
            rows += len(chunk)
    return rows


@contextlib.asynccontextmanager
async def _opened(path: Path, columns: PetitionColumns) -> AsyncIterator[RowWriter]:
    """`open_export`, opened and closed in a thread too (an XLSX is compressed at its close)."""
    export = open_export(path, columns.header(), columns.t("export.sheet"))
    writer = await asyncio.to_thread(export.__enter__)
    try:
        yield writer
    except BaseException as error:
        if not await asyncio.to_thread(export.__exit__, type(error), error, error.__traceback__):
            raise
    else:
        await asyncio.to_thread(export.__exit__, None, None, None)


def _write(writer: RowWriter, columns: PetitionColumns, chunk: list[PetitionRecord]) -> None:
    writer.write_rows(columns.cells(record) for record in chunk)


def audit_detail(
    first: date, last: date, units: list[str], file_name: str, rows: int
) -> dict[str, object]:
    """An export's audit entry: scope, period, format and count, never a row's content."""
    return {
        "units": units,
        "from": first.isoformat(),
        "to": last.isoformat(),
        "format": Path(file_name).suffix.lower().lstrip("."),
        "file": file_name,
        "rows": rows,
    }


# --- an export asked for in chat ----------------------------------------------------------------


async def ask_for_export(store: Store, asked: ExportAsked, now: datetime) -> bool:
    """Have the file built and sent to the chat that asked; False when the very same export is
    already being built (a second tap builds nothing more)."""
    payload = asked.payload()
    if await store.has_pending_job(EXPORT_BUILD_JOB, payload):
        return False
    await store.schedule(EXPORT_BUILD_JOB, now, payload, None)
    return True


def export_words(t: Translator, org: Organisation, asked: ExportAsked) -> dict[str, str]:
    """What every message about an export names: the unit, the days and the format."""
    unit = org.units[asked.unit].name if asked.unit in org.units else asked.unit
    return {
        "unit": unit,
        "first": t.date(asked.first),
        "last": t.date(asked.last),
        "format": asked.format.upper(),
    }


async def prepare_export(
    store: Store, env: Environment, payload: dict[str, str], now: datetime
) -> ExportFile | None:
    """Phase one, on a snapshot: the file, in the language of the chat that asked (None when
    that chat may no longer have it: phase two then says nothing)."""
    asked = ExportAsked.of(payload)
    if await officer_reporting_on(store, env, asked.chat, asked.unit) is None:
        return None
    t = env.catalogues.get(await store.locale_of(asked.chat))
    period = asked.period
    units = scope_units(env.org, asked.unit)
    chunks = store.export_chunks(units, period.starts_at, period.ends_before)
    with tempfile.TemporaryDirectory(prefix="export-") as folder:
        path = Path(folder) / asked.file_name
        rows = await write_petitions(path, petition_columns(t, env.org, now), chunks)
        return ExportFile(path.read_bytes() if rows else b"", rows)


@jobs.kind(EXPORT_BUILD_JOB, prepare=prepare_export)
async def send_export(job: DueJob[Environment]) -> list[Outgoing]:
    """Phase two: the file, word that the period has no petitions, or that it could not be made."""
    asked = ExportAsked.of(job.payload)
    if job.prepared is PREPARE_FAILED:
        t = job.env.catalogues.get(await job.store.locale_of(asked.chat))
        failed = t("export.failed", **export_words(t, job.env.org, asked))
        return [Outgoing(asked.chat, Reply(failed))]
    built = job.prepared if isinstance(job.prepared, ExportFile) else None
    return await deliver_export(job.store, job.env, asked, job.now, built)


async def deliver_export(
    store: Store, env: Environment, asked: ExportAsked, now: datetime, built: ExportFile | None
) -> list[Outgoing]:
    """The file to the chat that asked, if its officer still may have it, and the audit entry
    saying who took which rows; an empty period is said in words, not sent as an empty file."""
    officer = await officer_reporting_on(store, env, asked.chat, asked.unit)
    if officer is None or built is None:
        log.warning("an export of %s was asked by a chat that may no longer have it", asked.unit)
        return []
    units = scope_units(env.org, asked.unit)
    detail = audit_detail(asked.first, asked.last, units, asked.file_name, built.rows)
    await store.audit_export(f"officer:{officer.handle}", asked.unit, detail, now)
    t = env.catalogues.get(await store.locale_of(asked.chat))
    words = export_words(t, env.org, asked)
    if not built.rows:
        return [Outgoing(asked.chat, Reply(t("export.empty", **words)))]
    data = base64.b64encode(built.data).decode()
    text = t("export.ready", count=built.rows, **words)
    return [Outgoing(asked.chat, Reply(text, document_data=data, document_name=asked.file_name))]
