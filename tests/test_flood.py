"""A chat that writes faster than a person: one notice, every message stored and handled, and
the answer to its latest message once it is quiet (bot.pace), on Telegram at the real pace."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import func, select

from bot.app import Application
from bot.pace import Pace, Pacing
from storage import models as m
from tests.conftest import START, FakeClock, make_settings, running_app
from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram, SimUser
from tests.test_telegram import consent

NOTICE = "nhanh hơn mức bot kịp trả lời"
TEXTS = 60


@pytest.fixture
async def paced_app(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock
) -> AsyncIterator[Application]:
    """The default pacing (bursts of 10, one a second), with sends as fast as the fake takes."""
    settings = make_settings(
        tmp_path,
        telegram_bot_token=DEFAULT_TOKEN,
        telegram_api_url=telegram.api_url,
        flood_burst=10,
        outbox_per_chat_rate=1000,
        outbox_global_rate=1000,
    )
    async with running_app(settings, clock) as application:
        yield application


async def inbox_count(app: Application) -> int:
    async with app.db.snapshot() as session:
        return int(await session.scalar(select(func.count()).select_from(m.InboxUpdate)) or 0)


async def send_stored(app: Application, user: SimUser, text: str) -> None:
    """Send a text and wait until the bot has stored it (so its arrival time is the clock's)."""
    before = await inbox_count(app)
    await user.send_text(text)
    async with asyncio.timeout(10):
        while await inbox_count(app) == before:
            await asyncio.sleep(0.01)


async def settled(app: Application) -> None:
    await app.dispatcher.wait_idle()
    await app.outbox.flush()


async def test_a_flood_gets_one_notice_and_the_answer_to_its_last_message(
    paced_app: Application, telegram: FakeTelegram, clock: FakeClock
) -> None:
    flooder, neighbour = telegram.user(7001), telegram.user(7002)
    await consent(flooder)
    await consent(neighbour)
    clock.advance(minutes=1)
    seen = flooder.received_count
    for n in range(TEXTS):
        await send_stored(paced_app, flooder, f"tin số {n}")
        clock.advance(seconds=0.2)
        if n == TEXTS // 2:  # a neighbour writing at a person's pace is answered as always
            await neighbour.send_command("/menu")
            assert "cần gì" in (await neighbour.next_reply()).text
    await settled(paced_app)
    during = [sent.text or "" for sent in flooder.received_since(seen)]
    assert sum(NOTICE in text for text in during) == 1
    # At 5 a second the bucket (draining 1 a second) passes a burst of 10 at the 13th message.
    assert len(during) == 13, "the answers until the flood is clear, then the notice; no more"

    clock.advance(seconds=11)  # quiet: the answer to the latest message goes out, once
    await settled(paced_app)
    after = [sent.text or "" for sent in flooder.received_since(seen + len(during))]
    assert len(after) == 1 and "cần gì" in after[0]

    async with paced_app.db.snapshot() as session:
        handled = await session.scalar(
            select(func.count())
            .select_from(m.InboxUpdate)
            .where(
                m.InboxUpdate.chat_id == str(flooder.chat_id),
                m.InboxUpdate.processed_at.is_not(None),
                m.InboxUpdate.error.is_(None),
            )
        )
        unsent = await session.scalar(
            select(func.count())
            .select_from(m.OutboxMessage)
            .where(m.OutboxMessage.sent_at.is_(None), m.OutboxMessage.failed_at.is_(None))
        )
    assert handled == TEXTS + 2, "every message was stored and handled"
    assert unsent == 0


async def test_what_a_flood_wrote_is_kept_in_the_petition(
    paced_app: Application, telegram: FakeTelegram, clock: FakeClock
) -> None:
    """Forwarding a long story in many pieces at once: every piece is in the draft, the
    person is told once, and then sees the step's question again."""
    from tests.test_telegram import file_up_to_content

    citizen = telegram.user(7003)
    await file_up_to_content(citizen)
    clock.advance(minutes=1)
    seen = citizen.received_count
    for n in range(25):
        await send_stored(paced_app, citizen, f"đoạn {n} của câu chuyện")
        clock.advance(seconds=0.1)
    await settled(paced_app)
    clock.advance(seconds=20)
    await settled(paced_app)
    texts = [sent.text or "" for sent in citizen.received_since(seen)]
    assert sum(NOTICE in text for text in texts) == 1
    assert "Đã ghi nhận" in texts[-1]
    async with paced_app.db.snapshot() as session:
        draft = await session.scalar(
            select(m.Conversation.data).where(m.Conversation.chat_id == str(citizen.chat_id))
        )
    story = str(draft)
    assert all(f"đoạn {n} của câu chuyện" in story for n in range(25))


def test_an_album_is_not_a_flood_and_a_flood_ends_after_a_quiet_spell() -> None:
    pacing, pace = Pacing(burst=10), Pace()
    for _ in range(10):  # ten photos at once
        pace = pacing.after(pace, START)
    assert not pacing.flooding(pace)
    pace = pacing.after(pace, START)
    assert pacing.flooding(pace)
    for _ in range(500):  # however long it goes on, the bucket holds two bursts
        pace = pacing.after(pace, START)
    assert pace.level == 20
    assert not pacing.flooding(pacing.after(pace, START.replace(second=12)))  # answered again
    assert pacing.still_flooding(pace, START.replace(second=12))
    assert not pacing.still_flooding(pace, START.replace(second=16))  # a new flood is told
