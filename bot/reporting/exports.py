"""Row-level exports of petitions as CSV or XLSX, safe to open in a spreadsheet (issue 5 §4).

Pure: records in, a file out; the query that withholds and masks personal data lives in
`storage/exports.py`. Every text cell that a spreadsheet would read as a formula is neutralised
(OWASP, CSV injection), and the XLSX is written cell by cell with explicit types, so nothing in
a citizen's story ever becomes a formula or a link.
"""

from __future__ import annotations

import contextlib
import csv
from collections.abc import Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from typing import Protocol, TextIO

import xlsxwriter

from bot.domain.petition import IDENTITY_NEEDS, PetitionKind
from bot.i18n import LOCAL_TZ, N_, Translator
from bot.labels import OUTCOME_LABELS, kind_label, state_label

Cell = str | int | float | date | datetime | None

# OWASP "CSV Injection": a cell starting with one of these is run as a formula by Excel,
# LibreOffice or Google Sheets.
FORMULA_TRIGGERS = ("=", "+", "-", "@", "\t", "\r")

XLSX_MAX_ROWS = 1_048_576  # header included; XlsxWriter silently drops rows past it
XLSX_COLUMN_WIDTH = 18
EXPORT_SUFFIXES = (".csv", ".xlsx")
DATE_FORMAT = "%d/%m/%Y"
DATETIME_FORMAT = "%d/%m/%Y %H:%M"
COORDINATE_DECIMALS = 6  # about 10 cm: finer than any phone locates itself


@dataclass(frozen=True)
class PetitionRecord:
    """One petition as the export query returns it: identity withheld or masked already."""

    code: str
    kind: str
    field: str
    unit_name: str
    village: str | None
    channel: str
    received_at: datetime
    state: str
    instance: int
    group_size: int
    accepted_at: datetime | None
    answered_at: datetime | None
    closed_at: datetime | None
    outcome: str | None
    main_due: date | None  # the latest date still binding the petition (open or met)
    main_status: str | None  # open | met
    settled_at: datetime | None  # the last step that meets deadlines (accept … answer)
    anonymous: bool
    filer_name: str | None
    filer_phone: str | None
    filer_address: str | None
    content: str
    # The location the citizen shared (withheld for a denouncer, as the rest of their identity).
    latitude: float | None = None
    longitude: float | None = None


COLUMNS = (
    N_("export.column.code"),
    N_("export.column.kind"),
    N_("export.column.field"),
    N_("export.column.unit"),
    N_("export.column.village"),
    N_("export.column.latitude"),
    N_("export.column.longitude"),
    N_("export.column.channel"),
    N_("export.column.received"),
    N_("export.column.state"),
    N_("export.column.instance"),
    N_("export.column.group_size"),
    N_("export.column.accepted"),
    N_("export.column.answered"),
    N_("export.column.closed"),
    N_("export.column.outcome"),
    N_("export.column.due"),
    N_("export.column.on_time"),
    N_("export.column.filer_name"),
    N_("export.column.filer_phone"),
    N_("export.column.filer_address"),
    N_("export.column.content"),
)

CHANNEL_LABELS = {
    "telegram": N_("export.channel.telegram"),
    "zalo": N_("export.channel.zalo"),
    "zalo_oa": N_("export.channel.zalo_oa"),
    "sandbox": N_("export.channel.sandbox"),
    "reception": N_("export.channel.reception"),
    "dialogue": N_("export.channel.dialogue"),
}


STANDING_LABELS = {
    "on_time": N_("export.deadline.on_time"),
    "late": N_("export.deadline.late"),
    "met": N_("export.deadline.met"),
    "on_track": N_("export.deadline.on_track"),
    "overdue": N_("export.deadline.overdue"),
}


def neutralise(value: Cell) -> Cell:
    """A text a spreadsheet would run as a formula gets a leading apostrophe; the rest is kept.

    Numbers and dates are not text and stay what they are, so sums and filters still work.
    """
    if isinstance(value, str) and value.startswith(FORMULA_TRIGGERS):
        return "'" + value
    return value


def deadline_standing(
    due: date | None, status: str | None, settled_at: datetime | None, today: date
) -> str | None:
    """How the main deadline stands: on_time, late, met (when unknown), on_track or overdue."""
    if due is None:
        return None
    if status == "open":
        return "overdue" if due < today else "on_track"
    if settled_at is None:
        return "met"
    return "on_time" if settled_at.astimezone(LOCAL_TZ).date() <= due else "late"


@dataclass(frozen=True)
class PetitionColumns:
    """The export's header and cells in one language; field labels come from the organisation."""

    t: Translator
    field_labels: Mapping[str, str]  # field code → message id
    today: date  # for "overdue": the export's own day in Vietnam

    def header(self) -> list[str]:
        """The column titles."""
        return [self.t(column) for column in COLUMNS]

    def cells(self, record: PetitionRecord) -> list[Cell]:
        """One record as the cells of a row, in the order of `COLUMNS`."""
        t = self.t
        standing = deadline_standing(
            record.main_due, record.main_status, record.settled_at, self.today
        )
        return [
            record.code,
            kind_label(t, record.kind),
            t(self.field_labels[record.field]) if record.field in self.field_labels else "",
            record.unit_name,
            record.village,
            _coordinate(record.latitude),
            _coordinate(record.longitude),
            t(CHANNEL_LABELS[record.channel]) if record.channel in CHANNEL_LABELS else "",
            record.received_at.astimezone(LOCAL_TZ),
            state_label(t, record.state),
            record.instance,
            record.group_size,
            _local_day(record.accepted_at),
            _local_day(record.answered_at),
            _local_day(record.closed_at),
            t(OUTCOME_LABELS[record.outcome]) if record.outcome in OUTCOME_LABELS else None,
            record.main_due,
            t(STANDING_LABELS[standing]) if standing else None,
            self._filer(record),
            record.filer_phone,
            record.filer_address,
            self._content(record),
        ]

    def _content(self, record: PetitionRecord) -> str:
        """A denouncer often names themselves in the story: a denunciation's stays inside."""
        if IDENTITY_NEEDS[PetitionKind(record.kind)].secret:
            return self.t("export.content.protected")
        return record.content

    def _filer(self, record: PetitionRecord) -> str | None:
        """The filer's name, or why there is none: a denouncer is protected (LEGAL §4)."""
        if IDENTITY_NEEDS[PetitionKind(record.kind)].secret:
            return self.t("officer.filer.protected")
        if record.anonymous:
            return self.t("officer.filer.anonymous")
        return record.filer_name


def _coordinate(degrees: float | None) -> float | None:
    """A coordinate as a number a spreadsheet can filter and a map tool can read."""
    return round(degrees, COORDINATE_DECIMALS) if degrees is not None else None


def _local_day(moment: datetime | None) -> date | None:
    """The day in Vietnam on which something happened."""
    return moment.astimezone(LOCAL_TZ).date() if moment else None


class RowWriter(Protocol):
    """Where exported rows go, in order, a chunk at a time."""

    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        """Append rows after those already written."""


class CsvRowWriter:
    """CSV rows: every text neutralised, dates written the way Vietnamese readers write them."""

    def __init__(self, stream: TextIO) -> None:
        self._csv = csv.writer(stream)

    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        """Append rows after those already written."""
        self._csv.writerows([_csv_value(cell) for cell in row] for row in rows)


def _csv_value(cell: Cell) -> str | int | float:
    """What a CSV cell holds: text (neutralised), a number, or a local date."""
    safe = neutralise(cell)
    if safe is None:
        return ""
    if isinstance(safe, datetime):
        return safe.strftime(DATETIME_FORMAT)
    if isinstance(safe, date):
        return safe.strftime(DATE_FORMAT)
    return safe


class XlsxRowWriter:
    """Rows of one worksheet, each cell written with its own type: text is never a formula."""

    def __init__(self, book: xlsxwriter.Workbook, sheet_name: str) -> None:
        self._sheet = book.add_worksheet(sheet_name)
        self._header = book.add_format({"bold": True, "text_wrap": True, "valign": "top"})
        self._day = book.add_format({"num_format": "dd/mm/yyyy"})
        self._moment = book.add_format({"num_format": "dd/mm/yyyy hh:mm"})
        self._rows = 0
        self._columns = 0

    def write_header(self, header: Sequence[str]) -> None:
        """The first row, in bold, kept in view when scrolling."""
        self._columns = len(header)
        self._sheet.set_column(0, self._columns - 1, XLSX_COLUMN_WIDTH)
        self._sheet.freeze_panes(1, 0)
        for column, title in enumerate(header):
            self._sheet.write_string(0, column, title, self._header)
        self._rows = 1

    def write_rows(self, rows: Iterable[Sequence[Cell]]) -> None:
        """Append rows; refuse the row a worksheet cannot hold rather than drop it silently."""
        for row in rows:
            if self._rows >= XLSX_MAX_ROWS:
                raise ValueError("more rows than an XLSX worksheet holds: export to CSV")
            for column, cell in enumerate(row):
                self._write_cell(column, cell)
            self._rows += 1

    def add_filter(self) -> None:
        """Filter buttons on the header, over every row written."""
        self._sheet.autofilter(0, 0, self._rows - 1, self._columns - 1)

    def _write_cell(self, column: int, cell: Cell) -> None:
        """One cell with an explicit type; an empty cell is simply not written."""
        row, safe = self._rows, neutralise(cell)
        if isinstance(safe, datetime):
            self._sheet.write_datetime(row, column, safe.replace(tzinfo=None), self._moment)
        elif isinstance(safe, date):
            self._sheet.write_datetime(row, column, safe, self._day)
        elif isinstance(safe, int | float):
            self._sheet.write_number(row, column, safe)
        elif isinstance(safe, str):
            self._sheet.write_string(row, column, safe)


@contextlib.contextmanager
def open_export(path: Path, header: Sequence[str], sheet_name: str) -> Iterator[RowWriter]:
    """A writer for `path`, CSV or XLSX by its suffix, with the header written."""
    suffix = path.suffix.lower()
    if suffix == ".csv":
        # The byte order mark makes Excel read the file as UTF-8: Vietnamese shows right.
        with path.open("w", encoding="utf-8-sig", newline="") as stream:
            csv_rows = CsvRowWriter(stream)
            csv_rows.write_rows([header])
            yield csv_rows
    elif suffix == ".xlsx":
        # constant_memory: each row goes to disk once the next begins, so memory stays flat.
        book = xlsxwriter.Workbook(str(path), {"constant_memory": True})
        try:
            xlsx_rows = XlsxRowWriter(book, sheet_name)
            xlsx_rows.write_header(header)
            yield xlsx_rows
            xlsx_rows.add_filter()
        finally:
            book.close()
    else:
        raise ValueError(f"unknown export format {suffix!r}: use {' or '.join(EXPORT_SUFFIXES)}")
