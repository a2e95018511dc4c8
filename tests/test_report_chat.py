"""Reports in chat for inspectors and heads (the XLSX and the charts, the overdue list), and the
report-due reminders with their draft attached."""

from __future__ import annotations

import asyncio
import base64
import io
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import openpyxl
import pytest
from sqlalchemy import func, select

from bot.app import Application
from bot.buttons import Reports
from storage import models as m
from storage.repository import SqlStore
from tests.conftest import FakeClock, due_jobs_done, make_settings
from tests.sandbox_client import SandboxPerson, texts
from tests.test_filing_sandbox import file_complaint

PNG = b"\x89PNG\r\n\x1a\n"


REPORTS_HOME = {"kind": "callback", "data": Reports().pack()}  # «📑 Báo cáo» in the officer's menu


def button(lines: list[dict[str, Any]], label: str) -> dict[str, Any]:
    """The press of the button labelled `label` (a substring) in the bot's lines, to send again."""
    for line in reversed(lines):
        for row in line["buttons"]:
            for offered in row:
                if label in offered["text"]:
                    return {"kind": "callback", "data": offered["data"], "label": offered["text"]}
    raise AssertionError(f"no button {label!r}")


def forged(lines: list[dict[str, Any]], token: str) -> dict[str, Any]:
    """A press of the current question naming `token`, which none of its buttons carries."""
    step = lines[-1]["buttons"][0][0]["data"].partition(".")[0]
    return {"kind": "callback", "data": f"{step}.{token}"}


async def province_q1_asked(
    inspector: SandboxPerson,
) -> tuple[list[dict[str, Any]], dict[str, Any]]:
    """«📑 Báo cáo» → the forms → Q1/2026 → the province: what the inspector reads, and the
    province's press (to tap again)."""
    periods = await inspector.press("Báo cáo thống kê", await inspector.act(dict(REPORTS_HOME)))
    units = await inspector.press("Quý I/2026", periods)
    province = button(units, "Báo cáo: UBND tỉnh Thái Nguyên")
    return await inspector.act(dict(province)), province


async def sent_files(app: Application, chat: str) -> list[tuple[str, bytes]]:
    """The generated files queued to a chat, by name."""
    async with app.db.transaction() as session:
        payloads = await session.scalars(
            select(m.OutboxMessage.payload)
            .where(m.OutboxMessage.chat_id == chat)
            .order_by(m.OutboxMessage.id)
        )
        return [
            (payload["document_name"], base64.b64decode(payload["document_data"]))
            for payload in payloads
            if payload.get("document_data")
        ]


async def test_an_inspector_gets_the_quarter_as_xlsx_and_three_charts(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    await file_complaint(SandboxPerson(sandbox_app, http, "citizen-1"))
    inspector = SandboxPerson(sandbox_app, http, "officer-tt.thanhtravien")
    await inspector.new_lines()
    home = await inspector.act(dict(REPORTS_HOME))
    periods = await inspector.press("Báo cáo thống kê", home)
    assert "Quý I/2026" in str(periods) and "Cả năm 2025" in str(periods)
    scopes = await inspector.press("Quý I/2026", periods)
    building = texts(await inspector.press("Báo cáo: UBND tỉnh Thái Nguyên", scopes))
    assert "Đang lập báo cáo UBND tỉnh Thái Nguyên, từ 15/12/2025 đến 14/03/2026" in building

    await due_jobs_done(sandbox_app)  # the app's own scheduler, woken at once (it ticks at 30 s)
    await sandbox_app.outbox.flush()
    ready = texts(await inspector.new_lines())
    assert "từ 15/12/2025 đến 14/03/2026" in ready and "nhận 1 đơn" in ready

    files = await sent_files(sandbox_app, "officer-tt.thanhtravien")
    assert [name for name, _ in files] == [
        "bao-cao-TN-2026-Q1.xlsx",
        "volume.png",
        "on-time.png",
        "trend.png",
    ]
    workbook = openpyxl.load_workbook(io.BytesIO(files[0][1]))
    assert len(workbook.sheetnames) >= 5
    assert all(data.startswith(PNG) for _, data in files[1:])
    async with sandbox_app.db.transaction() as session:
        audit = (await session.scalars(select(m.AuditEntry.action))).all()
    assert "report.built" in audit


async def test_citizens_are_answered_while_a_report_is_being_built(
    sandbox_app: Application, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A province's quarter takes seconds of counting: no one else waits for it."""
    counting, finish_counting = asyncio.Event(), asyncio.Event()
    count = SqlStore.report_metrics

    async def slow_count(self: SqlStore, *args: Any) -> Any:
        counting.set()
        await finish_counting.wait()
        return await count(self, *args)

    monkeypatch.setattr(SqlStore, "report_metrics", slow_count)
    inspector = SandboxPerson(sandbox_app, http, "officer-tt.thanhtravien")
    await inspector.new_lines()
    await province_q1_asked(inspector)
    async with asyncio.timeout(10):
        await counting.wait()

    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    async with asyncio.timeout(10):
        assert "dữ liệu cá nhân" in texts(await citizen.say("/start"))
    assert await sent_files(sandbox_app, "officer-tt.thanhtravien") == []

    finish_counting.set()
    await due_jobs_done(sandbox_app)
    assert len(await sent_files(sandbox_app, "officer-tt.thanhtravien")) == 4


async def test_reports_are_for_heads_and_inspectors_within_their_scope(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    await clerk.new_lines()
    assert "dành cho lãnh đạo" in texts(await clerk.act(dict(REPORTS_HOME)))
    head = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    await head.new_lines()
    periods = await head.press("Báo cáo thống kê", await head.act(dict(REPORTS_HOME)))
    units = await head.press("Quý I/2026", periods)
    assert "UBND tỉnh" not in str(units)
    province = await head.act(forged(units, "TN"))
    assert "dành cho lãnh đạo" in texts(province), "a commune's head does not see the province"
    assert await sent_files(sandbox_app, "officer-pd.chutich") == []


async def test_the_overdue_list_of_a_scope_on_demand(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await file_complaint(SandboxPerson(sandbox_app, http, "citizen-1"))
    head = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    await head.new_lines()

    async def overdue_of_the_commune() -> list[dict[str, Any]]:
        units = await head.press("Đơn quá hạn", await head.act(dict(REPORTS_HOME)))
        return await head.press("Đơn quá hạn: UBND xã Phú Đình", units)

    assert "không có đơn nào quá hạn" in texts(await overdue_of_the_commune())
    clock.now = datetime(2026, 3, 16, 3, 0, tzinfo=UTC)  # kn1.accept was due Thu 12/03
    overdue = texts(await overdue_of_the_commune())
    assert "PD-2026-000001" in overdue and "hạn 12/03/2026" in overdue and "quá 4 ngày" in overdue
    assert "Nguyễn Thị Dung" not in overdue


async def test_report_due_reminders_carry_the_draft_once_across_a_restart(
    tmp_path: Path, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, sandbox=True)
    first = Application(settings, clock=clock)
    await first.start()
    await first.stop()
    second = Application(settings, clock=clock)
    await second.start()
    try:
        async with second.db.transaction() as session:
            daily = await session.scalar(
                select(func.count()).select_from(m.Job).where(m.Job.kind == "report.daily")
            )
        assert daily == 1, "a restart does not plan a second daily job"

        # Phú Đình's Q1 report is due Tue 10/03/2026: reminded Thu 05/03, 07:30 in Hà Nội.
        clock.now = datetime(2026, 3, 5, 1, 0, tzinfo=UTC)
        for _ in range(2):
            await second.scheduler.run_due()
        await second.outbox.flush()
        files = await sent_files(second, "officer-pd.chutich")
        assert [name for name, _ in files] == ["bao-cao-PD-2026-Q1-du-thao.xlsx"]
        openpyxl.load_workbook(io.BytesIO(files[0][1]))
        chairman = SandboxPerson(second, http, "officer-pd.chutich")
        told = texts(await chairman.new_lines())
        assert "Nhắc hạn báo cáo" in told and "10/03/2026" in told
        assert not await sent_files(second, "officer-tn.chutich"), "the province's is due later"
    finally:
        await second.stop()


async def job_attempts(app: Application) -> int:
    async with app.db.transaction() as session:
        return int(
            await session.scalar(select(m.Job.attempts).where(m.Job.kind == "report.build")) or 0
        )


async def test_a_report_that_cannot_be_built_is_tried_three_times_then_the_officer_is_told(
    sandbox_app: Application,
    http: aiohttp.ClientSession,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    async def broken(self: SqlStore, *args: Any) -> Any:
        raise RuntimeError("the figures cannot be read")

    monkeypatch.setattr(SqlStore, "report_metrics", broken)
    inspector = SandboxPerson(sandbox_app, http, "officer-tt.thanhtravien")
    await inspector.new_lines()
    await province_q1_asked(inspector)
    async with asyncio.timeout(10):
        while await job_attempts(sandbox_app) < 1:  # the woken scheduler's try
            await asyncio.sleep(0.05)
    for _ in range(2):
        assert "chưa lập được" not in texts(await inspector.settle())
        clock.advance(seconds=301)  # the lease runs out: the next try
        await sandbox_app.scheduler.run_due()
    await sandbox_app.outbox.flush()
    told = texts(await inspector.new_lines())
    assert "chưa lập được báo cáo UBND tỉnh Thái Nguyên" in told and "thử 3 lần" in told
    assert await sent_files(sandbox_app, "officer-tt.thanhtravien") == []
    await due_jobs_done(sandbox_app)  # done with: not tried a fourth time


async def province_report_asked(
    app: Application, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> tuple[SandboxPerson, dict[str, Any]]:
    """The inspector asks for the province's Q1; the job waits for the test to run it."""
    monkeypatch.setattr(app.dispatcher, "jobs_due", lambda: None)
    inspector = SandboxPerson(app, http, "officer-tt.thanhtravien")
    await inspector.new_lines()
    building, province = await province_q1_asked(inspector)
    assert "Đang lập báo cáo" in texts(building)
    return inspector, province


async def test_a_report_goes_only_to_a_chat_that_may_still_have_it(
    sandbox_app: Application, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    await province_report_asked(sandbox_app, http, monkeypatch)
    async with sandbox_app.db.transaction() as session:
        officer = await session.scalar(
            select(m.Officer).where(m.Officer.handle == "tt.thanhtravien")
        )
        assert officer is not None
        officer.roles = ""  # moved to other work since the press
    await sandbox_app.scheduler.run_due()
    await due_jobs_done(sandbox_app)
    assert await sent_files(sandbox_app, "officer-tt.thanhtravien") == []


async def test_a_second_tap_while_the_report_is_being_made_builds_it_once(
    sandbox_app: Application, http: aiohttp.ClientSession, monkeypatch: pytest.MonkeyPatch
) -> None:
    inspector, province = await province_report_asked(sandbox_app, http, monkeypatch)
    assert "đang được lập" in texts(await inspector.act(dict(province)))
    await sandbox_app.scheduler.run_due()
    await due_jobs_done(sandbox_app)
    await sandbox_app.outbox.flush()
    assert len(await sent_files(sandbox_app, "officer-tt.thanhtravien")) == 4
