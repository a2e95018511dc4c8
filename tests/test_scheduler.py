"""Deadline reminders and escalation on a controllable clock: on time, once, across restarts."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
from sqlalchemy import func, select, update

from bot.app import Application
from bot.outbox import QueuedMessage
from bot.scheduler import Scheduler
from storage import models as m
from storage.db import Database
from tests.conftest import FakeClock, due_jobs_done, make_settings
from tests.sandbox_client import SandboxPerson, texts
from tests.test_filing_sandbox import file_complaint

# kn1.accept of a complaint received Mon 02/03/2026 is due Thu 12/03/2026 (see the receipt test);
# reminders: Mon 09/03 (three working days left), Thu 12/03 (due today), overdue Fri 13/03,
# escalation to the level above Wed 18/03, each at 07:30 in Hà Nội (00:30 UTC).
MON_09 = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
THU_12 = datetime(2026, 3, 12, 1, 0, tzinfo=UTC)
FRI_13 = datetime(2026, 3, 13, 1, 0, tzinfo=UTC)
WED_18 = datetime(2026, 3, 18, 1, 0, tzinfo=UTC)


async def messages_saying(app: Application, pattern: str) -> int:
    """How many queued messages (to anyone) contain this text."""
    async with app.db.transaction() as session:
        found = await session.scalar(
            select(func.count())
            .select_from(m.OutboxMessage)
            .where(m.OutboxMessage.payload["text"].as_string().like(pattern))
        )
    return int(found or 0)


async def deliver(app: Application) -> None:
    await app.scheduler.run_due()
    await app.outbox.flush()


async def test_the_assignee_is_reminded_once_at_each_point(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await file_complaint(SandboxPerson(sandbox_app, http, "citizen-1"))
    officer = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    await officer.new_lines()
    await deliver(sandbox_app)
    assert await officer.new_lines() == [], "nothing is due on the day of filing"

    clock.now = MON_09
    await deliver(sandbox_app)
    await deliver(sandbox_app)
    reminded = await officer.new_lines()
    assert (
        len(reminded) == 1 and "Sắp đến hạn" in texts(reminded) and "còn 3 ngày" in texts(reminded)
    )
    assert "12/03/2026" in texts(reminded) and "Nguyễn Thị Dung" not in texts(reminded)

    clock.now = THU_12
    await deliver(sandbox_app)
    assert "Hôm nay là hạn cuối" in texts(await officer.new_lines())


async def test_overdue_goes_to_the_unit_head_then_escalates_above(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await file_complaint(SandboxPerson(sandbox_app, http, "citizen-1"))
    office_head = SandboxPerson(sandbox_app, http, "officer-pd.chanhvp")
    chairman = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    clock.now = FRI_13
    await deliver(sandbox_app)
    overdue = texts(await office_head.new_lines())
    assert "Quá hạn" in overdue and "đã quá 1 ngày" in overdue
    early = texts(await chairman.new_lines())
    assert "PD-2026-000001" not in early, "the chairman hears of it only when escalated"
    clock.now = WED_18
    await deliver(sandbox_app)
    assert "Báo cáo đơn quá hạn" in texts(await chairman.new_lines())


async def test_a_reminder_due_during_downtime_fires_once_after_restart(
    tmp_path: Path, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, sandbox=True)
    first = Application(settings, clock=clock)
    await first.start()
    await file_complaint(SandboxPerson(first, http, "citizen-1"))
    await first.stop()

    clock.now = MON_09  # the bot was down when the reminder fell due
    second = Application(settings, clock=clock)
    await second.start()  # the scheduler's first tick runs at start
    try:
        await due_jobs_done(second)  # by the tick it runs at start, not by us
        await second.outbox.flush()
        await deliver(second)
        assert await messages_saying(second, "%Sắp đến hạn%") == 1
    finally:
        await second.stop()


async def test_two_schedulers_on_one_database_send_each_reminder_once(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await file_complaint(SandboxPerson(sandbox_app, http, "citizen-1"))
    clock.now = FRI_13
    other_db = Database(sandbox_app.settings.database_url)
    pushed: list[QueuedMessage] = []
    rival = Scheduler(other_db, sandbox_app.env, clock, pushed.extend, worker="rival")
    try:
        results = await asyncio.gather(sandbox_app.scheduler.run_due(), rival.run_due())
    finally:
        await other_db.close()
    # The three deadline jobs due by Friday and the daily check for reports coming due.
    assert sum(results) == 4, "each job due by Friday run by exactly one scheduler"
    overdue = await messages_saying(sandbox_app, "%Quá hạn%")
    assert overdue == 2, "one overdue notice to the assignee and one to the office head"
    stale = await messages_saying(sandbox_app, "%Sắp đến hạn%")
    assert stale == 0, "caught up after the due day, 'three days left' is not sent"


async def test_jobs_claimed_just_before_a_crash_run_at_the_next_start(
    tmp_path: Path, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """Killed between claiming jobs and running them, the bot takes its claims back at once
    when it starts again, instead of waiting out the lease."""
    settings = make_settings(tmp_path, sandbox=True)
    first = Application(settings, clock=clock)
    await first.start()
    await file_complaint(SandboxPerson(first, http, "citizen-1"))
    worker = first.db.worker
    await first.stop()

    clock.now = MON_09
    db = Database(settings.database_url)
    async with db.transaction() as session:
        await session.execute(
            update(m.Job)
            .where(m.Job.done_at.is_(None))
            .values(claimed_at=MON_09, claimed_by=worker)
        )
    await db.close()
    second = Application(settings, clock=clock)
    await second.start()
    try:
        await due_jobs_done(second)
        await second.outbox.flush()
        await deliver(second)
        assert await messages_saying(second, "%Sắp đến hạn%") == 1
    finally:
        await second.stop()
