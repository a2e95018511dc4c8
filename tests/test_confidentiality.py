"""A denouncer's identity reaches only the person resolving the denunciation (LEGAL §4)."""

from __future__ import annotations

import logging
from datetime import UTC, datetime

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import Application
from storage import models as m
from tests.conftest import FakeClock
from tests.sandbox_client import SandboxPerson, texts
from tests.test_filing_sandbox import file_denunciation

NAME, PHONE, ADDRESS = "Hoàng Văn Tố", "0987654321", "Xóm Bản Trang, nhà số 17"
SECRETS = (NAME, PHONE, "987654321", "654321", "nhà số 17")


async def test_no_message_but_the_resolvers_and_no_log_line_carries_the_denouncer(
    sandbox_app: Application,
    http: aiohttp.ClientSession,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    caplog.set_level(logging.DEBUG)
    citizen = SandboxPerson(sandbox_app, http, "citizen-2")
    await file_denunciation(citizen, NAME, "0987 654 321", ADDRESS)

    resolver = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    opened = texts(await resolver.press("Mở đơn", await resolver.new_lines()))
    assert NAME in opened and PHONE in opened, "the resolver sees who denounced"

    for moment in (13, 18):  # overdue to the commune's heads, then escalation to the province
        clock.now = datetime(2026, 3, moment, 3, 0, tzinfo=UTC)
        await sandbox_app.scheduler.run_due()
        await sandbox_app.outbox.flush()

    own_chats = {"officer-pd.chutich", "citizen-2"}
    async with sandbox_app.db.transaction() as session:
        others = [
            row.payload["text"]
            for row in await session.scalars(select(m.OutboxMessage))
            if row.chat_id not in own_chats
        ]
        audit = [(a.actor, a.action) for a in await session.scalars(select(m.AuditEntry))]
    assert others, "officers other than the resolver did get messages about it"
    assert any("Quá hạn" in text for text in others)
    assert not [text for text in others if any(secret in text for secret in SECRETS)]
    logged = "\n".join(record.getMessage() for record in caplog.records)
    assert not [secret for secret in SECRETS if secret in logged]
    assert ("officer:pd.chutich", "petition.identity_viewed") in audit
