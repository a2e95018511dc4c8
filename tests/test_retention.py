"""Personal data is kept no longer than needed (LEGAL §7): copies of messages go after 90 days and
drafts left half way after 30, while the petition file itself stays."""

from __future__ import annotations

from datetime import timedelta

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import Application
from storage import models as m
from storage import retention
from tests.conftest import START, FakeClock
from tests.sandbox_client import SandboxPerson, texts
from tests.test_filing_sandbox import consent, file_complaint

STORY = "Hàng xóm đổ đất lấn sang ruộng nhà tôi ở cánh đồng Bãi Dài."


async def count(app: Application, table: type[m.Base]) -> int:
    async with app.db.transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def copies_before(app: Application, moment: object) -> tuple[int, int]:
    """Inbox and outbox rows from before `moment`."""
    async with app.db.transaction() as session:
        updates = await session.scalar(
            select(func.count()).where(m.InboxUpdate.received_at < moment)
        )
        messages = await session.scalar(
            select(func.count()).where(m.OutboxMessage.created_at < moment)
        )
    return int(updates or 0), int(messages or 0)


async def start_a_draft(person: SandboxPerson) -> None:
    """Up to the story, typed and kept, then left."""
    lines = await consent(person)
    lines = await person.press("Gửi đơn", lines)
    lines = await person.press("Khiếu nại", lines)
    lines = await person.press("Đất đai", lines)
    lines = await person.press("Phú Đình", lines)
    lines = await person.press("Na Mao", lines)
    assert "kể lại sự việc" in texts(lines)
    assert "Đã ghi nhận" in texts(await person.say(STORY))


async def drafts_holding_the_story(app: Application) -> list[str]:
    async with app.db.transaction() as session:
        rows = await session.execute(select(m.Conversation.chat_id, m.Conversation.data))
        return sorted(chat for chat, data in rows if STORY in str(data))


async def unfinished_copies(app: Application) -> None:
    """An update stored but never handled, and a message never sent, from the first day."""
    async with app.db.transaction() as session:
        session.add(
            m.InboxUpdate(
                channel="sandbox", update_key="stuck", chat_id="citizen-9", payload={},
                received_at=START,
            )
        )  # fmt: skip
        session.add(
            m.OutboxMessage(
                channel="sandbox", chat_id="citizen-9", payload={"text": "…"}, created_at=START,
                not_before=START + timedelta(days=365), attempts=3,
            )
        )  # fmt: skip


async def test_copies_of_messages_go_after_90_days_and_the_petition_stays(
    sandbox_app: Application,
    http: aiohttp.ClientSession,
    clock: FakeClock,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    # Batches of a few rows, so that the walk takes many of them.
    monkeypatch.setattr(retention, "FIRST_BATCH", 3)
    monkeypatch.setattr(retention, "MIN_BATCH", 2)
    monkeypatch.setattr(retention, "MAX_BATCH", 5)
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    await file_complaint(citizen)
    await unfinished_copies(sandbox_app)
    filed = await copies_before(sandbox_app, START + timedelta(days=1))
    assert filed[0] > 10 and filed[1] > 10

    clock.now = START + timedelta(days=89)
    assert (await sandbox_app.forget_old()).messages == 0
    assert await copies_before(sandbox_app, START + timedelta(days=1)) == filed

    clock.now = START + timedelta(days=91)
    forgotten = await sandbox_app.forget_old()
    assert (forgotten.updates, forgotten.messages) == (filed[0] - 1, filed[1] - 1)
    left = await copies_before(sandbox_app, START + timedelta(days=1))
    assert left == (1, 1), "an update not yet handled and a message not yet sent are kept"
    assert await count(sandbox_app, m.Petition) == 1
    assert await count(sandbox_app, m.PetitionEvent) >= 1
    async with sandbox_app.db.transaction() as session:
        assert await session.scalar(select(m.Petition.filer_name)) == "Nguyễn Thị Dung"

    mine = await citizen.press("Đơn của tôi", await citizen.say("/menu"))
    assert "PD-2026-000001" in texts(mine), "the citizen still finds the petition"


async def test_a_draft_left_for_30_days_is_forgotten_and_a_younger_one_kept(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    left_long_ago = SandboxPerson(sandbox_app, http, "citizen-2")
    await start_a_draft(left_long_ago)
    clock.now = START + timedelta(days=2)
    left_lately = SandboxPerson(sandbox_app, http, "citizen-3")
    await start_a_draft(left_lately)
    assert await drafts_holding_the_story(sandbox_app) == ["citizen-2", "citizen-3"]

    clock.now = START + timedelta(days=31)
    assert (await sandbox_app.forget_old()).drafts == 1
    assert await drafts_holding_the_story(sandbox_app) == ["citizen-3"]

    fresh = texts(await left_long_ago.say("/start"))
    assert "soạn dở" not in fresh and "Xin chào" in fresh
    assert "soạn dở" in texts(await left_lately.say("/start"))


async def test_the_privacy_notice_says_how_long_a_draft_is_kept(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    notice = texts(await SandboxPerson(sandbox_app, http, "citizen-1").say("/start"))
    assert "chưa gửi sẽ được xóa sau 30 ngày" in notice
