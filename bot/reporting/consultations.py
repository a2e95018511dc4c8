"""A consultation's figures and opinions as an XLSX workbook: the figures per question, the
participation by village, and the opinions with the commune's replies (no personal data: an
anonymous consultation's opinions carry no village either). Pure: data in, bytes out; every
text cell goes through `neutralise`, so no opinion runs as a formula."""

from __future__ import annotations

import io
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

import xlsxwriter

from bot.domain.consultations import Question, Tally, option_label
from bot.i18n import N_, Translator
from bot.reporting.exports import Cell, neutralise

MARK_LABELS = {
    "taken_in": N_("consult.mark.taken_in"),
    "answered": N_("consult.mark.answered"),
}


@dataclass(frozen=True)
class OpinionRow:
    """An opinion as exported: its question, words, village (named only), mark and reply."""

    question: int
    text: str
    village: str | None
    mark: str | None
    reply: str | None


def consultation_workbook(
    t: Translator,
    title: str,
    questions: Sequence[Question],
    tallies: Sequence[Tally],
    by_village: Mapping[str, int],
    opinions: Sequence[OpinionRow],
    named: bool,
) -> bytes:
    """The workbook, in memory."""
    buffer = io.BytesIO()
    book = xlsxwriter.Workbook(buffer, {"in_memory": True})
    bold = book.add_format({"bold": True})
    figures = book.add_worksheet(t("consult.xlsx.figures"))
    _row(figures, 0, [title], bold)
    _row(
        figures,
        2,
        [t("consult.xlsx.question"), t("consult.xlsx.answer"), t("consult.xlsx.count")],
        bold,
    )
    line = 3
    for index, (question, figure) in enumerate(zip(questions, tallies, strict=True)):
        label = f"{index + 1}. {question.text}"
        _row(figures, line, [label, t("consult.xlsx.answered"), figure.answered])
        line += 1
        for token, count in figure.counts:
            _row(figures, line, [label, option_label(question, token), count])
            line += 1
        if figure.average is not None:
            _row(figures, line, [label, t("consult.xlsx.average"), round(figure.average, 2)])
            line += 1
    villages = book.add_worksheet(t("consult.xlsx.villages"))
    _row(villages, 0, [t("consult.xlsx.village"), t("consult.xlsx.count")], bold)
    for offset, (village, count) in enumerate(sorted(by_village.items()), start=1):
        _row(villages, offset, [village or "—", count])
    sheet = book.add_worksheet(t("consult.xlsx.opinions"))
    header = [t("consult.xlsx.question"), t("consult.xlsx.opinion")]
    header += [t("consult.xlsx.village")] if named else []
    header += [t("consult.xlsx.mark"), t("consult.xlsx.reply")]
    _row(sheet, 0, header, bold)
    for offset, opinion in enumerate(opinions, start=1):
        cells: list[Cell] = [f"{opinion.question + 1}. {questions[opinion.question].text}"]
        cells.append(opinion.text)
        cells += [opinion.village or ""] if named else []
        cells += [t(MARK_LABELS[opinion.mark]) if opinion.mark else "", opinion.reply or ""]
        _row(sheet, offset, cells)
    for worksheet in (figures, villages, sheet):
        worksheet.set_column(0, 1, 40)
        worksheet.set_column(2, 4, 20)
    book.close()
    return buffer.getvalue()


def _row(sheet: object, number: int, cells: Sequence[Cell], style: object = None) -> None:
    for column, cell in enumerate(cells):
        value = neutralise(cell)
        if isinstance(value, str):
            sheet.write_string(number, column, value, style)  # type: ignore[attr-defined]
        else:
            sheet.write(number, column, value, style)  # type: ignore[attr-defined]
