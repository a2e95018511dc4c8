"""Lists of petitions in chat (issue 14 §5): an inspector or a head picks a period, a unit and a
format, and the XLSX or CSV arrives in the chat, as the command-line export writes it: phones
masked, no denouncer's identity, no cell a spreadsheet would run, and an entry in the audit log.
An empty period is said in words; anyone but heads and inspectors is refused; on Zalo every
choice is typed."""

from __future__ import annotations

import csv
import io
import zipfile
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import aiohttp
import openpyxl
import pytest
from sqlalchemy import func, select

from bot.app import Application
from bot.reporting.exports import FORMULA_TRIGGERS
from storage import models as m
from storage.exports import EXPORT_ACTION
from tests.conftest import FakeClock, due_jobs_done
from tests.fake_zalo import FakeZalo, FakeZaloUser, Sent
from tests.sandbox_client import SandboxPerson, texts
from tests.test_dialogues import run_jobs
from tests.test_exports import (
    COMPLAINANT_PHONE,
    DENOUNCER_TRACES,
    IN_SCOPE,
    INJECTION,
    add_history,
    fixture_petitions,
)
from tests.test_report_chat import REPORTS_HOME, button, sent_files
from tests.test_zalo import number_of, zalo_settings
from tests.test_zalo_flows import officer_on_zalo, said

INSPECTOR, CHAIRMAN = "officer-tt.thanhtravien", "officer-pd.chutich"
# The quarter of the test clock (02/03/2026) on the circular's cut-off, under the province: the
# petitions of Phú Đình received 28/02 to 14/03 (Thần Sa's came on the 15th: the next quarter).
PROVINCE_QUARTER = ("PD-FEB", "PD-1", "PD-2", "PD-4", "PD-5", "PD-6")


async def with_petitions(app: Application) -> None:
    """The petitions of tests/test_exports.py: March in Phú Đình, and some outside it."""
    async with app.db.transaction() as session:
        rows = fixture_petitions()
        session.add_all(rows)
        await session.flush()
        await add_history(session, {row.code: row.id for row in rows})


async def export_asked(person: SandboxPerson, *presses: str) -> list[dict[str, Any]]:
    """«📑 Báo cáo» → «Xuất danh sách đơn», then the buttons labelled `presses`, in order."""
    lines = await person.press("Xuất danh sách đơn", await person.act(dict(REPORTS_HOME)))
    for label in presses:
        lines = await person.press(label, lines)
    return lines


async def delivered(app: Application, person: SandboxPerson) -> str:
    """The jobs due are run and their messages sent; what the person reads then."""
    await due_jobs_done(app)
    await app.outbox.flush()
    return texts(await person.new_lines())


async def export_audits(app: Application) -> list[m.AuditEntry]:
    async with app.db.transaction() as session:
        query = select(m.AuditEntry).where(m.AuditEntry.action == EXPORT_ACTION)
        return list((await session.scalars(query)).all())


def by_code(rows: list[list[Any]]) -> dict[str, dict[str, Any]]:
    header, *body = rows
    return {row[0]: dict(zip(header, row, strict=True)) for row in body}


def xlsx_text(data: bytes) -> str:
    """Every part of the XLSX (a zip) as text: what a reader of the file could find."""
    with zipfile.ZipFile(io.BytesIO(data)) as archive:
        return "".join(archive.read(name).decode("utf-8") for name in archive.namelist())


def csv_rows(data: bytes) -> list[list[str]]:
    return list(csv.reader(io.StringIO(data.decode("utf-8-sig"), newline="")))


async def test_an_inspector_gets_this_quarter_of_the_province_as_xlsx(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    await with_petitions(sandbox_app)
    inspector = SandboxPerson(sandbox_app, http, INSPECTOR)
    await inspector.new_lines()
    home = await inspector.act(dict(REPORTS_HOME))
    assert "Báo cáo thống kê" in str(home) and "Đơn quá hạn" in str(home)
    periods = await inspector.press("Xuất danh sách đơn", home)
    assert "Quý này: 15/12/2025 – 14/03/2026" in str(periods)
    assert "Quý trước: 15/09/2025 – 14/12/2025" in str(periods)
    assert "Năm nay: 15/12/2025 – 14/12/2026" in str(periods)
    units = await inspector.press("Quý này", periods)
    formats = await inspector.press("UBND tỉnh Thái Nguyên", units)
    building = texts(await inspector.press("Excel", formats))
    assert "Đang xuất danh sách đơn UBND tỉnh Thái Nguyên" in building
    assert "từ 15/12/2025 đến 14/03/2026, tệp XLSX" in building

    ready = await delivered(sandbox_app, inspector)
    assert "UBND tỉnh Thái Nguyên nhận từ 15/12/2025 đến 14/03/2026: 6 đơn" in ready
    [(name, data)] = await sent_files(sandbox_app, INSPECTOR)
    assert name == "danh-sach-don-TN-20251215-20260314.xlsx"
    sheet = openpyxl.load_workbook(io.BytesIO(data)).active
    assert sheet is not None
    rows = by_code([[cell.value for cell in row] for row in sheet.iter_rows()])
    assert list(rows) == list(PROVINCE_QUARTER), "the quarter's petitions, in order of receipt"
    assert rows["PD-1"]["Số điện thoại"] == "091****678"
    assert rows["PD-1"]["Nội dung"] == "'" + INJECTION
    assert "bí mật" in rows["PD-2"]["Người gửi đơn"]
    assert rows["PD-2"]["Số điện thoại"] is None and rows["PD-2"]["Địa chỉ"] is None
    contents = xlsx_text(data)
    assert "<f>" not in contents
    assert not [trace for trace in (*DENOUNCER_TRACES, COMPLAINANT_PHONE) if trace in contents]

    [audit] = await export_audits(sandbox_app)
    assert (audit.actor, audit.subject) == ("officer:tt.thanhtravien", "TN")
    assert audit.detail["rows"] == len(PROVINCE_QUARTER) and audit.detail["format"] == "xlsx"
    assert (audit.detail["from"], audit.detail["to"]) == ("2025-12-15", "2026-03-14")


async def test_a_head_types_the_days_and_gets_the_communes_csv(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    await with_petitions(sandbox_app)
    chairman = SandboxPerson(sandbox_app, http, CHAIRMAN)
    await chairman.new_lines()
    periods = await chairman.say("/export")
    asked = await chairman.press("Khoảng ngày khác", periods)
    assert "dd/mm/yyyy – dd/mm/yyyy" in texts(asked)
    assert "Chưa đọc được" in texts(await chairman.say("31/03/2026 - 01/03/2026"))
    assert "Chưa đọc được" in texts(await chairman.say("tháng 3"))
    units = await chairman.say("1/3/2026 đến 31/3/2026")
    formats = await chairman.press("UBND xã Phú Đình", units)
    assert "từ 01/03/2026 đến 31/03/2026, tệp CSV" in texts(await chairman.press("CSV", formats))

    assert "6 đơn" in await delivered(sandbox_app, chairman)
    [(name, data)] = await sent_files(sandbox_app, CHAIRMAN)
    assert name == "danh-sach-don-PD-20260301-20260331.csv"
    rows = csv_rows(data)
    assert [row[0] for row in rows[1:]] == list(IN_SCOPE), "typed days, both ends included"
    exported = by_code(rows)
    assert exported["PD-1"]["Số điện thoại"] == "091****678"
    assert exported["PD-2"]["Số điện thoại"] == exported["PD-2"]["Địa chỉ"] == ""
    assert not [trace for trace in (*DENOUNCER_TRACES, COMPLAINANT_PHONE) if trace.encode() in data]
    for row in rows[1:]:
        assert not [cell for cell in row if cell.startswith(FORMULA_TRIGGERS)], row


async def test_an_empty_period_says_so_and_sends_no_file(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    await with_petitions(sandbox_app)
    inspector = SandboxPerson(sandbox_app, http, INSPECTOR)
    await inspector.new_lines()
    await export_asked(inspector, "Quý trước", "UBND tỉnh Thái Nguyên", "Excel")
    said = await delivered(sandbox_app, inspector)
    assert "không có đơn nào nhận từ 15/09/2025 đến 14/12/2025" in said
    assert await sent_files(sandbox_app, INSPECTOR) == []
    [audit] = await export_audits(sandbox_app)
    assert audit.detail["rows"] == 0


async def test_a_second_tap_while_the_file_is_built_builds_it_once(
    sandbox_app: Application, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sandbox_app.dispatcher, "jobs_due", lambda: None)
    await with_petitions(sandbox_app)
    inspector = SandboxPerson(sandbox_app, http, INSPECTOR)
    await inspector.new_lines()
    formats = await export_asked(inspector, "Quý này", "UBND tỉnh Thái Nguyên")
    csv_button = button(formats, "CSV")
    assert "Đang xuất" in texts(await inspector.act(dict(csv_button)))
    assert "đang được xuất" in texts(await inspector.act(dict(csv_button)))
    await sandbox_app.scheduler.run_due()
    await due_jobs_done(sandbox_app)
    assert len(await sent_files(sandbox_app, INSPECTOR)) == 1
    assert len(await export_audits(sandbox_app)) == 1


async def scheduled_exports(app: Application) -> int:
    async with app.db.transaction() as session:
        query = select(func.count()).select_from(m.Job).where(m.Job.kind == "export.build")
        return int(await session.scalar(query) or 0)


async def test_citizens_and_officers_without_the_role_are_refused(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    assert "dành cho lãnh đạo và thanh tra viên" in texts(await citizen.say("/export"))
    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    await clerk.new_lines()
    assert "dành cho lãnh đạo và thanh tra viên" in texts(await clerk.say("/export"))
    assert "dành cho lãnh đạo" in texts(await clerk.act(dict(REPORTS_HOME)))
    assert await scheduled_exports(sandbox_app) == 0


async def test_an_officer_who_loses_the_role_midway_is_refused_at_the_next_answer(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    inspector = SandboxPerson(sandbox_app, http, INSPECTOR)
    await inspector.new_lines()
    formats = await export_asked(inspector, "Quý này", "UBND tỉnh Thái Nguyên")
    async with sandbox_app.db.transaction() as session:
        officer = await session.scalar(
            select(m.Officer).where(m.Officer.handle == "tt.thanhtravien")
        )
        assert officer is not None
        officer.roles = ""  # moved to other work between two answers
    assert "dành cho lãnh đạo" in texts(await inspector.press("Excel", formats))
    assert await scheduled_exports(sandbox_app) == 0


# --- on Zalo ------------------------------------------------------------------------------------


@pytest.fixture
async def zalo_app(tmp_path: Path, zalo: FakeZalo, clock: FakeClock) -> AsyncIterator[Application]:
    application = Application(zalo_settings(tmp_path, zalo), clock=clock)
    await application.start()
    try:
        yield application
    finally:
        await application.stop()


async def linked_file(http: aiohttp.ClientSession, message: Sent) -> bytes:
    """The file a Zalo message links to (Zalo has no upload: files go as signed links)."""
    url = message.text.rsplit("\n", 1)[-1]
    async with http.get(url) as response:
        assert response.status == 200
        return await response.read()


async def test_on_zalo_every_choice_of_an_export_is_typed(
    zalo_app: Application, zalo: FakeZalo, http: aiohttp.ClientSession
) -> None:
    await with_petitions(zalo_app)
    inspector: FakeZaloUser = await officer_on_zalo(zalo_app, zalo, "z-tt", "tt.thanhtravien")
    periods = await said(inspector, "/export")
    units = await said(inspector, "quy nay")  # words, without their marks
    assert "UBND tỉnh Thái Nguyên" in units.text
    formats = await said(inspector, number_of(units, "UBND tỉnh Thái Nguyên"))
    assert "CSV" in formats.text
    units_again = await said(inspector, "quay lại")
    assert "đơn vị nào" in units_again.text
    several = await said(inspector, "thai nguyen")  # the province's committee and inspectorate
    formats = await said(inspector, number_of(several, "UBND tỉnh Thái Nguyên"))
    building = await said(inspector, number_of(formats, "📄 CSV"))
    assert "Đang xuất danh sách đơn UBND tỉnh Thái Nguyên" in building.text
    assert periods.text.count("\n1. ") == 1, "the periods, numbered"

    await run_jobs(zalo_app)
    ready = await inspector.next_reply()
    assert "6 đơn" in ready.text and "danh-sach-don-TN-20251215-20260314.csv" in ready.text
    rows = csv_rows(await linked_file(http, ready))
    assert [row[0] for row in rows[1:]] == list(PROVINCE_QUARTER)
