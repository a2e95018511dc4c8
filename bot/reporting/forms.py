"""The official report forms as template files (`bot/data/forms/*.toml`): layouts as data.

A new circular is a new template file, not new code. A template names its form (code, title,
sheet), its words (the unit and period lines, the signature block), its header as a tree of
columns (a group's title spans its children: the merged cells), what each leaf column shows
(a metric key of `bot.reporting.metrics`, several keys summed, or `manual` for what the bot
does not record and an officer fills in by hand), and its rows: one per unit of the scope and a
total, or fixed rows over the whole scope. Loading checks every key, so a typo stops the report
with the file and the column named, before anything is written.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from bot.reporting.metrics import (
    ANY_VALUE,
    Figures,
    Number,
    UnknownMetric,
    breakdown,
    check_key,
    resolve,
)

FORMS_DIR = Path(__file__).resolve().parent.parent / "data" / "forms"
NUMBER_FORMATS = ("integer", "decimal", "days", "percent")  # days: one decimal, kept so
SHEET_NAME_LIMIT = 31  # Excel's
SHEET_NAME_FORBIDDEN = set("[]:*?/\\")

# The words every template gives, with the placeholders each may use.
TEXTS = {
    "unit_line": {"unit"},
    "form_line": {"code"},
    "period_line": {"first", "last"},
    "row_header": set(),
    "total": set(),
    "place_date": {"place", "day", "month", "year"},
    "preparer": set(),
    "preparer_note": set(),
    "head": set(),
    "head_note": set(),
}


class FormError(ValueError):
    """A template that cannot be used; the message names the file and the place in it."""


@dataclass(frozen=True)
class Column:
    """A header cell: a group of columns, or a leaf showing a figure."""

    title: str
    metrics: tuple[str, ...] = ()  # summed; empty for a manual column or a group
    manual: bool = False
    number_format: str = "integer"
    children: tuple[Column, ...] = ()

    @property
    def leaves(self) -> list[Column]:
        """The data columns under this header cell, left to right."""
        if not self.children:
            return [self]
        return [leaf for child in self.children for leaf in child.leaves]

    @property
    def depth(self) -> int:
        """How many header rows this cell and its descendants take."""
        return 1 + max((child.depth for child in self.children), default=0)


@dataclass(frozen=True)
class FixedRow:
    """A row over the whole scope: its label, and the key each column's metric is read under.

    With `each`, the row repeats once per value of a breakdown (`petitions.by_field`), labelled
    from the set of names `labels` the caller gives (field names, say). With neither `key` nor
    `each`, it is a heading with empty cells.
    """

    label: str
    key: str = ""
    each: str = ""
    labels: str = ""
    number_format: str | None = None


@dataclass(frozen=True)
class Form:
    """One sheet of the report."""

    source: str
    code: str
    title: str
    sheet: str
    texts: Mapping[str, str]
    columns: tuple[Column, ...]
    rows: tuple[FixedRow, ...] = ()  # empty: one row per unit of the scope, and a total
    numbered: bool = True  # a row of column numbers under the header, as the circular's forms

    @property
    def leaves(self) -> list[Column]:
        """The data columns, left to right."""
        return [leaf for column in self.columns for leaf in column.leaves]

    @property
    def header_depth(self) -> int:
        """How many rows the header takes."""
        return max(column.depth for column in self.columns)


@dataclass(frozen=True)
class HeaderCell:
    """A header cell placed on the grid: column 0 is the row labels' column."""

    row: int
    column: int
    height: int
    width: int
    text: str


@dataclass(frozen=True)
class FormRow:
    """A row of the filled form."""

    label: str
    values: tuple[Number | None, ...]
    formats: tuple[str, ...]
    total: bool = False
    heading: bool = False


def header_cells(form: Form) -> list[HeaderCell]:
    """Every header cell with its span: a leaf reaches down to the last header row."""
    depth = form.header_depth
    cells = [HeaderCell(0, 0, depth, 1, form.texts["row_header"])]
    column = 1
    for top in form.columns:
        cells += _place(top, 0, column, depth)
        column += len(top.leaves)
    return cells


def _place(column: Column, row: int, first: int, depth: int) -> list[HeaderCell]:
    if not column.children:
        return [HeaderCell(row, first, depth - row, 1, column.title)]
    cells = [HeaderCell(row, first, 1, len(column.leaves), column.title)]
    for child in column.children:
        cells += _place(child, row + 1, first, depth)
        first += len(child.leaves)
    return cells


def form_rows(
    form: Form,
    units: Sequence[tuple[str, Figures]],
    total: Figures,
    labels: Mapping[str, Mapping[str, str]],
) -> list[FormRow]:
    """The filled rows: one per unit and a total, or the fixed rows over the whole scope."""
    if not form.rows:
        rows = [_row(form, label, figures) for label, figures in units]
        return [*rows, _row(form, form.texts["total"], total, total=True)]
    return [row for fixed in form.rows for row in _fixed_rows(form, fixed, total, labels)]


def _fixed_rows(
    form: Form, fixed: FixedRow, total: Figures, labels: Mapping[str, Mapping[str, str]]
) -> list[FormRow]:
    if fixed.each:
        names = labels.get(fixed.labels, {})
        counted = breakdown(total, fixed.each)
        values = [*names, *sorted(set(counted) - set(names))]
        return [
            _row(form, fixed.label.format(name=names.get(value, value)), total, key)
            for value in values
            for key in (f"{fixed.each}.{value}",)
        ]
    if not fixed.key:
        blank = tuple(None for _ in form.leaves)
        return [FormRow(fixed.label, blank, tuple(_formats(form)), heading=True)]
    return [_row(form, fixed.label, total, fixed.key, fixed.number_format)]


def _row(
    form: Form,
    label: str,
    figures: Figures,
    prefix: str = "",
    number_format: str | None = None,
    total: bool = False,
) -> FormRow:
    values = tuple(_cell(figures, leaf, prefix) for leaf in form.leaves)
    return FormRow(label, values, tuple(_formats(form, number_format)), total=total)


def _formats(form: Form, number_format: str | None = None) -> list[str]:
    return [number_format or leaf.number_format for leaf in form.leaves]


def _cell(figures: Figures, leaf: Column, prefix: str) -> Number | None:
    """A leaf's number: its keys (under the row's prefix) summed; None if manual or unknown."""
    if leaf.manual:
        return None
    values = [resolve(figures, _joined(prefix, key)) for key in leaf.metrics]
    if any(value is None for value in values):
        return None
    return sum(value for value in values if value is not None)


def _joined(prefix: str, key: str) -> str:
    return ".".join(part for part in (prefix, key) if part)


def load_forms(directory: Path = FORMS_DIR) -> list[Form]:
    """Every template of a folder, in file-name order (the order of the sheets)."""
    forms = [load_form(path) for path in sorted(directory.glob("*.toml"))]
    if not forms:
        raise FormError(f"{directory}: no form templates (*.toml)")
    sheets = [form.sheet for form in forms]
    if duplicated := sorted({sheet for sheet in sheets if sheets.count(sheet) > 1}):
        raise FormError(f"{directory}: two templates use the sheet name {duplicated[0]!r}")
    return forms


def load_form(path: Path) -> Form:
    """Read and check one template."""
    try:
        with path.open("rb") as handle:
            data = tomllib.load(handle)
    except tomllib.TOMLDecodeError as exc:
        raise FormError(f"{path.name}: not valid TOML: {exc}") from None
    return parse_form(data, path.name)


def parse_form(data: Mapping[str, Any], source: str) -> Form:
    """Build a form from a parsed template and check it; FormError names what is wrong."""
    where = _Where(source)
    form = Form(
        source=source,
        code=where.text(data, "code"),
        title=where.text(data, "title"),
        sheet=_sheet_name(where, where.text(data, "sheet")),
        texts=_texts(where, data.get("texts")),
        columns=tuple(_column(where, item, ()) for item in where.tables(data, "columns")),
        rows=tuple(_fixed_row(where, item) for item in where.tables(data, "rows", required=False)),
        numbered=bool(data.get("numbered", True)),
    )
    _check_cells(where, form)
    return form


class _Where:
    """Names the file (and the place in it) in every error."""

    def __init__(self, source: str) -> None:
        self.source = source

    def error(self, message: str) -> FormError:
        return FormError(f"{self.source}: {message}")

    def text(self, data: Mapping[str, Any], key: str, place: str = "") -> str:
        value = data.get(key)
        if not isinstance(value, str) or not value.strip():
            raise self.error(f"{place}`{key}` must be a non-empty text")
        return value

    def tables(
        self, data: Mapping[str, Any], key: str, required: bool = True
    ) -> list[Mapping[str, Any]]:
        value = data.get(key, [])
        if not isinstance(value, list) or not all(isinstance(item, dict) for item in value):
            raise self.error(f"`{key}` must be a list of tables ([[{key}]])")
        if required and not value:
            raise self.error(f"no [[{key}]]")
        return value


def _sheet_name(where: _Where, name: str) -> str:
    if len(name) > SHEET_NAME_LIMIT or set(name) & SHEET_NAME_FORBIDDEN:
        raise where.error(f"sheet name {name!r}: at most 31 characters, none of []:*?/\\")
    return name


def _texts(where: _Where, data: object) -> dict[str, str]:
    if not isinstance(data, dict):
        raise where.error("no [texts] table")
    texts = {}
    for key, placeholders in TEXTS.items():
        text = where.text(data, key, "[texts] ")
        try:
            text.format(**dict.fromkeys(placeholders, ""))
        except (KeyError, IndexError, ValueError) as exc:
            raise where.error(
                f"[texts] `{key}`: placeholder {exc} is not one of {sorted(placeholders)}"
            ) from None
        texts[key] = text
    return texts


def _column(where: _Where, data: Mapping[str, Any], path: tuple[str, ...]) -> Column:
    title = where.text(data, "title", f"a column under «{' › '.join(path)}»: " if path else "")
    here = (*path, title)
    children = data.get("columns")
    shows = [key for key in ("metric", "metrics", "manual", "columns") if key in data]
    if len(shows) != 1:
        raise where.error(
            f"column «{' › '.join(here)}»: give exactly one of metric, metrics, manual, columns"
        )
    number_format = data.get("format", "integer")
    if number_format not in NUMBER_FORMATS:
        raise where.error(f"column «{' › '.join(here)}»: format is one of {NUMBER_FORMATS}")
    if children is not None:
        nested = tuple(_column(where, item, here) for item in where.tables(data, "columns"))
        return Column(title, children=nested)
    metrics = data.get("metrics", [data["metric"]] if "metric" in data else [])
    if not isinstance(metrics, list) or not all(isinstance(key, str) for key in metrics):
        raise where.error(f"column «{' › '.join(here)}»: metrics is a list of keys")
    return Column(title, tuple(metrics), bool(data.get("manual")), number_format)


def _fixed_row(where: _Where, data: Mapping[str, Any]) -> FixedRow:
    label = where.text(data, "label", "a row: ")
    number_format = data.get("format")
    if number_format is not None and number_format not in NUMBER_FORMATS:
        raise where.error(f"row «{label}»: format is one of {NUMBER_FORMATS}")
    each = str(data.get("each", ""))
    if each:
        try:
            check_key(each, breakdown_key=True)
            label.format(name="")
        except UnknownMetric:
            raise where.error(f"row «{label}»: {each!r} is not a breakdown") from None
        except (KeyError, IndexError, ValueError):
            raise where.error(f"row «{label}»: the only placeholder is {{name}}") from None
    return FixedRow(
        label, str(data.get("key", "")), each, str(data.get("labels", "")), number_format
    )


def _check_cells(where: _Where, form: Form) -> None:
    """Every cell's key names a number: under each fixed row's key, or alone for unit rows."""
    prefixes = [("", "")] if not form.rows else []
    prefixes += [(f"row «{row.label}», ", row.key) for row in form.rows if row.key]
    prefixes += [
        (f"row «{row.label}», ", f"{row.each}.{ANY_VALUE}") for row in form.rows if row.each
    ]
    for place, prefix in prefixes:
        for path, leaf in _leaf_paths(form):
            for key in leaf.metrics:
                try:
                    check_key(_joined(prefix, key))
                except UnknownMetric:
                    raise where.error(
                        f"{place}column «{' › '.join(path)}»: unknown metric key "
                        f"{_joined(prefix, key)!r}"
                    ) from None


def _leaf_paths(form: Form) -> list[tuple[tuple[str, ...], Column]]:
    found: list[tuple[tuple[str, ...], Column]] = []

    def walk(column: Column, path: tuple[str, ...]) -> None:
        here = (*path, column.title)
        if not column.children:
            found.append((here, column))
        for child in column.children:
            walk(child, here)

    for column in form.columns:
        walk(column, ())
    return found
