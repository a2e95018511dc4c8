"""Scheduled job kinds: declared once each, every kind the bot schedules declared, and a job of a
kind nobody declares logged and set aside without stopping the jobs beside it."""

from __future__ import annotations

import logging
from datetime import date

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import Application
from bot.core import UNDELIVERED_NOTICE_JOB, Outgoing
from bot.domain.reminders import plan_reminders
from bot.jobs import DueJob, JobKinds
from bot.scheduler import JOB_KINDS
from bot.services import consultations, surveys
from bot.services.dialogues import ANNOUNCE, REMIND
from bot.services.exports import EXPORT_BUILD_JOB
from bot.services.reception_days import RECEPTION_DAY_REMINDER
from bot.services.reminders import DIALOGUE_REMINDER
from bot.services.reports import REPORT_BUILD_JOB, REPORT_DUE_JOB
from storage import models as m
from storage import queues
from tests.conftest import FakeClock, due_jobs_done
from tests.sandbox_client import SandboxPerson, texts
from tests.test_filing_sandbox import file_complaint
from tests.test_reminders import CALENDAR
from tests.test_scheduler import FRI_13

UNKNOWN = "petition.archived"  # a kind some older or newer version of the bot might have left


async def says_nothing(job: DueJob[None]) -> list[Outgoing]:
    return []


def test_a_kind_declared_twice_is_refused_where_it_is_declared() -> None:
    kinds = JobKinds[None]()
    kinds.kind("deadline.remind")(says_nothing)
    with pytest.raises(ValueError, match=r"deadline\.remind"):
        kinds.kind("deadline.remind")(says_nothing)
    elsewhere = JobKinds[None]()
    elsewhere.kind("deadline.remind")(says_nothing)
    with pytest.raises(ValueError, match="registered twice"):
        JobKinds[None]().include(kinds, elsewhere)


def test_every_kind_the_bot_schedules_is_declared_and_nothing_else() -> None:
    planned = plan_reminders(date(2026, 3, 2), date(2026, 3, 12), CALENDAR)
    deadlines = {f"deadline.{reminder.kind}" for reminder in planned}  # as filing names them
    assert deadlines == {"deadline.remind", "deadline.overdue", "deadline.escalate"}
    assert set(JOB_KINDS.kinds) == deadlines | {
        DIALOGUE_REMINDER,
        ANNOUNCE,
        REMIND,
        RECEPTION_DAY_REMINDER,
        REPORT_BUILD_JOB,
        REPORT_DUE_JOB,
        EXPORT_BUILD_JOB,
        UNDELIVERED_NOTICE_JOB,
        consultations.ANNOUNCE,
        consultations.REMIND,
        surveys.SURVEY_JOB,
    }
    prepared = {name for name, kind in JOB_KINDS.kinds.items() if kind.prepare is not None}
    long_reading = {REPORT_BUILD_JOB, REPORT_DUE_JOB, EXPORT_BUILD_JOB}
    assert prepared == long_reading, "only reports and exports read for long"


async def test_a_job_of_unknown_kind_is_logged_and_set_aside_and_the_others_run(
    sandbox_app: Application,
    http: aiohttp.ClientSession,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    await file_complaint(SandboxPerson(sandbox_app, http, "citizen-1"))
    office_head = SandboxPerson(sandbox_app, http, "officer-pd.chanhvp")
    await office_head.new_lines()
    async with sandbox_app.db.transaction() as session:
        await queues.schedule_job(session, UNKNOWN, FRI_13, {"point": "overdue"}, 1)
    clock.now = FRI_13

    await sandbox_app.scheduler.run_due()
    await due_jobs_done(sandbox_app)  # whichever scheduler ran them
    await sandbox_app.outbox.flush()

    assert "Quá hạn" in texts(await office_head.new_lines()), "the overdue notice beside it ran"
    async with sandbox_app.db.snapshot() as session:
        unknown = (await session.scalars(select(m.Job).where(m.Job.kind == UNKNOWN))).one()
    assert unknown.done_at is not None, "set aside: not claimed again at every lease"
    said = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert len(said) == 1 and UNKNOWN in said[0].getMessage(), [r.getMessage() for r in said]
    assert f"job {unknown.id} " in said[0].getMessage() and not said[0].exc_info
    assert await sandbox_app.scheduler.run_due() == 0
