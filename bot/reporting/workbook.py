"""The report as an XLSX workbook: one sheet per form template, laid out as the circular's forms.

Each sheet: the reporting unit and the form's number, the title, the period (dd/mm/yyyy), the
header with its merged cells, a row of column numbers, the rows, and the signature block
(người lập biểu, thủ trưởng đơn vị) under the place and date. Pure but for writing the file:
figures and templates in, a workbook out; no database.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import IO

import xlsxwriter
from xlsxwriter.format import Format
from xlsxwriter.worksheet import Worksheet

from bot.domain.org import Organisation
from bot.reporting.forms import Form, FormRow, form_rows, header_cells
from bot.reporting.metrics import Figures, ReportMetrics, unit_rows
from bot.reporting.periods import Period

DATE_FORMAT = "%d/%m/%Y"
LABEL_WIDTH = 38
NUMBER_WIDTH = 11
FIRST_HEADER_ROW = 4  # under the unit line, the title, the period and a blank row
HEADER_ROW_HEIGHT = 48  # points: three wrapped lines, as Excel does not size merged cells
TITLE_ROW_HEIGHT = 24
NUMBER_FORMATS = {
    "integer": "#,##0",
    "decimal": "#,##0.0",
    "days": "#,##0.0",
    "percent": "0.0%",
}
HEADER_FILL = "#DDEBF7"
A4 = 9  # XlsxWriter's paper code


@dataclass(frozen=True)
class ReportHeading:
    """Who reports, for which period, where and when it is signed."""

    unit_name: str
    period: Period
    place: str
    signed_on: date


@dataclass(frozen=True)
class ReportContent:
    """The figures every sheet draws from."""

    units: Sequence[tuple[str, Figures]]  # a form's unit rows, labelled
    total: Figures  # the whole scope
    labels: Mapping[str, Mapping[str, str]]  # names for breakdown rows ("fields": code → name)


def report_content(
    org: Organisation, scope_unit: str, report: ReportMetrics, translate: Callable[[str], str]
) -> ReportContent:
    """Rows by unit, the total, and the organisation's field names in the report's language."""
    fields = {item.code: translate(item.label) for item in org.fields}
    return ReportContent(unit_rows(org, scope_unit, report), report.total, {"fields": fields})


def write_report(
    target: Path | IO[bytes], forms: Sequence[Form], heading: ReportHeading, content: ReportContent
) -> None:
    """Write the workbook: the sheets in the templates' order."""
    workbook = xlsxwriter.Workbook(target, {"in_memory": True})
    styles = _Styles(workbook)
    for form in forms:
        rows = form_rows(form, content.units, content.total, content.labels)
        _write_sheet(workbook.add_worksheet(form.sheet), styles, form, heading, rows)
    workbook.close()


class _Styles:
    """The cell formats, made once per workbook."""

    def __init__(self, workbook: xlsxwriter.Workbook) -> None:
        base = {"font_name": "Times New Roman", "font_size": 11, "valign": "vcenter"}
        boxed = {**base, "border": 1}
        self.plain = workbook.add_format(base)
        self.bold = workbook.add_format({**base, "bold": True})
        self.right = workbook.add_format({**base, "bold": True, "align": "right"})
        self.title = workbook.add_format({**base, "bold": True, "font_size": 14, "align": "center"})
        self.centred = workbook.add_format({**base, "align": "center", "italic": True})
        self.signature = workbook.add_format({**base, "bold": True, "align": "center"})
        self.header = workbook.add_format(
            {**boxed, "bold": True, "align": "center", "text_wrap": True, "bg_color": HEADER_FILL}
        )
        self.column_number = workbook.add_format({**boxed, "align": "center", "italic": True})
        self.label = workbook.add_format({**boxed, "text_wrap": True})
        self.heading = workbook.add_format({**boxed, "bold": True, "text_wrap": True})
        self.numbers = {
            (name, bold): workbook.add_format({**boxed, "num_format": pattern, "bold": bold})
            for name, pattern in NUMBER_FORMATS.items()
            for bold in (False, True)
        }

    def number(self, name: str, bold: bool) -> Format:
        return self.numbers[name, bold]


def _write_sheet(
    sheet: Worksheet, styles: _Styles, form: Form, heading: ReportHeading, rows: list[FormRow]
) -> None:
    last_column = len(form.leaves)
    _page_setup(sheet, last_column)
    texts = form.texts
    unit_line = texts["unit_line"].format(unit=heading.unit_name)
    _merged(sheet, 0, 0, max(last_column // 2, 1) - 1, unit_line, styles.bold)
    sheet.write(0, last_column, texts["form_line"].format(code=form.code), styles.right)
    sheet.set_row(1, TITLE_ROW_HEIGHT)
    sheet.merge_range(1, 0, 1, last_column, form.title, styles.title)
    period = texts["period_line"].format(
        first=heading.period.first_day.strftime(DATE_FORMAT),
        last=heading.period.last_day.strftime(DATE_FORMAT),
    )
    sheet.merge_range(2, 0, 2, last_column, period, styles.centred)
    next_row = _write_header(sheet, styles, form)
    for row in rows:
        _write_row(sheet, styles, next_row, row)
        next_row += 1
    _write_signatures(sheet, styles, texts, heading, next_row + 1, last_column)


def _page_setup(sheet: Worksheet, last_column: int) -> None:
    sheet.set_column(0, 0, LABEL_WIDTH)
    sheet.set_column(1, last_column, NUMBER_WIDTH)
    sheet.set_landscape()
    sheet.set_paper(A4)
    sheet.fit_to_pages(1, 0)


def _write_header(sheet: Worksheet, styles: _Styles, form: Form) -> int:
    """The header's cells, merged where they span; then the column numbers. The next free row."""
    for row in range(form.header_depth):
        sheet.set_row(FIRST_HEADER_ROW + row, HEADER_ROW_HEIGHT)
    for cell in header_cells(form):
        top, left = FIRST_HEADER_ROW + cell.row, cell.column
        bottom, right = top + cell.height - 1, left + cell.width - 1
        if (bottom, right) == (top, left):
            sheet.write(top, left, cell.text, styles.header)
        else:
            sheet.merge_range(top, left, bottom, right, cell.text, styles.header)
    next_row = FIRST_HEADER_ROW + form.header_depth
    sheet.freeze_panes(next_row, 1)
    if not form.numbered:
        return next_row
    sheet.write(next_row, 0, "A", styles.column_number)
    for number in range(1, len(form.leaves) + 1):
        sheet.write_number(next_row, number, number, styles.column_number)
    return next_row + 1


def _write_row(sheet: Worksheet, styles: _Styles, row_number: int, row: FormRow) -> None:
    emphasis = row.total or row.heading
    sheet.write(row_number, 0, row.label, styles.heading if emphasis else styles.label)
    for column, (value, number_format) in enumerate(
        zip(row.values, row.formats, strict=True), start=1
    ):
        style = styles.number(number_format, row.total)
        if value is None:
            sheet.write_blank(row_number, column, None, style)
        else:
            sheet.write_number(row_number, column, as_shown(value, number_format), style)


def as_shown(value: float, number_format: str) -> float:
    """The value as its format shows it: a duration of 0.002 days is kept as the 0.0 it reads,
    so that a sum or a copy in the inspector's own sheet gives what the form shows."""
    return round(value, 1) if number_format == "days" else value


def _write_signatures(
    sheet: Worksheet,
    styles: _Styles,
    texts: Mapping[str, str],
    heading: ReportHeading,
    row: int,
    last_column: int,
) -> None:
    """Place and date over the head's block on the right; the preparer's block on the left."""
    signed = heading.signed_on
    place_date = texts["place_date"].format(
        place=heading.place or "……………",
        day=f"{signed.day:02d}",
        month=f"{signed.month:02d}",
        year=signed.year,
    )
    right = max(last_column // 2 + 1, 1)
    _merged(sheet, row, right, last_column, place_date, styles.centred)
    _merged(sheet, row + 1, 0, right - 1, texts["preparer"], styles.signature)
    _merged(sheet, row + 1, right, last_column, texts["head"], styles.signature)
    _merged(sheet, row + 2, 0, right - 1, texts["preparer_note"], styles.centred)
    _merged(sheet, row + 2, right, last_column, texts["head_note"], styles.centred)


def _merged(sheet: Worksheet, row: int, first: int, last: int, text: str, style: Format) -> None:
    """Text over columns first..last of a row (a plain cell when that is one column)."""
    if last > first:
        sheet.merge_range(row, first, row, last, text, style)
    else:
        sheet.write(row, first, text, style)
