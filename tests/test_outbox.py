"""The outbox sends in order per chat, within Telegram's limits, and honours 429 retry_after."""

from __future__ import annotations

import asyncio
import time
from collections import Counter
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from bot.channels.telegram import TelegramChannel, make_bot
from bot.core import Recipient, Reply, SendResult
from bot.outbox import OutboxSender, QueuedMessage, RateLimits, SharedRate, TokenBucket
from storage import models as m
from storage import queues, send_rates
from storage.db import Database, migrate
from tests.conftest import TEST_DATABASE, FakeClock, database_url
from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram


@pytest.fixture
async def db(tmp_path: Path) -> AsyncIterator[Database]:
    url = database_url(tmp_path, "outbox")
    await asyncio.to_thread(migrate, url)
    database = Database(url)
    yield database
    await database.close()


async def sender_for(
    server: FakeTelegram, db: Database, limits: RateLimits
) -> tuple[OutboxSender, TelegramChannel]:
    channel = TelegramChannel(make_bot(DEFAULT_TOKEN, server.api_url))
    await channel.bot.initialize()
    return OutboxSender(db, {"telegram": channel}, {"telegram": limits}, FakeClock()), channel


async def queue(db: Database, messages: list[tuple[int, str]]) -> None:
    async with db.transaction() as session:
        await queues.enqueue(
            session,
            [(Recipient("telegram", str(chat)), Reply(text)) for chat, text in messages],
            FakeClock()(),
        )


def test_token_bucket_allows_a_burst_then_spaces_sends() -> None:
    bucket = TokenBucket(rate=1.0, burst=2, updated=0.0)
    assert [bucket.take(0.0), bucket.take(0.0)] == [0.0, 0.0]
    assert bucket.take(0.0) == pytest.approx(1.0)
    assert bucket.take(0.5) == pytest.approx(1.5)


async def test_broadcast_stays_under_the_limits_with_no_429(db: Database) -> None:
    async with FakeTelegram(global_rate=30, per_chat_rate=1.0) as server:
        chats = [server.user(3000 + n).user_id for n in range(45)]
        await queue(db, [(chat, f"tin {chat}") for chat in chats])
        await queue(db, [(chats[0], "thứ hai"), (chats[0], "thứ ba")])
        sender, channel = await sender_for(server, db, RateLimits(30, 1.0, 1))
        started = time.monotonic()
        await sender.flush()
        elapsed = time.monotonic() - started
        await channel.bot.shutdown()
        assert server.count_429 == 0
        assert len(server.sent_messages()) == 47
        assert [m.text for m in server.sent_messages(chats[0])] == [
            f"tin {chats[0]}",
            "thứ hai",
            "thứ ba",
        ]
        assert elapsed >= 2.0, "three messages to one chat at 1/s take two seconds"


async def test_429_retry_after_is_honoured_and_order_kept(db: Database) -> None:
    assert await two_messages_after_a_429(db) == ([], ["một", "hai"])


async def test_blocked_chat_is_given_up_without_holding_others(db: Database) -> None:
    async with FakeTelegram() as server:
        blocked, other = server.user(4101).user_id, server.user(4102).user_id
        server.block(blocked)
        await queue(db, [(blocked, "a"), (other, "b")])
        sender, channel = await sender_for(server, db, RateLimits(1000, 1000, 1000))
        await sender.flush()
        await channel.bot.shutdown()
        assert [m.text for m in server.sent_messages(other)] == ["b"]
        async with db.transaction() as session:
            assert await queues.due_messages(session, FakeClock()(), 10, set()) == []


def test_long_texts_split_within_telegrams_utf16_limit_at_word_boundaries() -> None:
    from bot.channels.telegram import split_text, utf16_length

    text = ("Đường sạt lở 🚧 " * 600).strip()
    parts = split_text(text)
    assert len(parts) > 1
    assert all(utf16_length(part) <= 4096 for part in parts)
    assert " ".join(parts) == text


async def test_a_send_finishing_while_marks_are_written_is_marked_too(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Nothing but the sender itself writes the marks here (no flush): a send that finishes
    while an earlier batch is being written must be written after it, not forgotten."""
    original = queues.mark_sent

    async def slow_mark_sent(*args: Any) -> None:
        await asyncio.sleep(0.5)
        await original(*args)

    monkeypatch.setattr(queues, "mark_sent", slow_mark_sent)
    async with FakeTelegram() as server:
        quick, slow = server.user(4101).user_id, server.user(4102).user_id
        channel = TelegramChannel(make_bot(DEFAULT_TOKEN, server.api_url))
        await channel.bot.initialize()

        class SlowToOneChat:
            """The send to `slow` ends while the first mark is being written."""

            async def send(self, chat_id: str, reply: Reply) -> SendResult:
                if chat_id == str(slow):
                    await asyncio.sleep(0.4)
                return await channel.send(chat_id, reply)

            async def download(self, file: Any, destination: str) -> int:
                raise NotImplementedError

        limits = RateLimits(1000, 1000, 1000)
        sender = OutboxSender(db, {"telegram": SlowToOneChat()}, {"telegram": limits}, FakeClock())
        try:
            await queue(db, [(quick, "một"), (slow, "hai")])
            await sender.sweep()
            async with asyncio.timeout(5):
                while await unsent_rows(db):
                    await asyncio.sleep(0.1)
        finally:
            await sender.stop()
            await channel.bot.shutdown()


async def unsent_rows(db: Database) -> int:
    async with db.transaction() as session:
        return int(
            await session.scalar(
                select(func.count())
                .select_from(m.OutboxMessage)
                .where(m.OutboxMessage.sent_at.is_(None))
            )
            or 0
        )


several_workers = pytest.mark.skipif(
    TEST_DATABASE != "postgresql", reason="several workers share a PostgreSQL database"
)


async def queue_as(db: Database, chats: list[int]) -> None:
    """Messages that the worker of `db` queues, and so sends itself."""
    async with db.transaction() as session:
        await queues.enqueue(
            session,
            [(Recipient("telegram", str(chat)), Reply(f"tin {chat}")) for chat in chats],
            FakeClock()(),
        )


@several_workers
async def test_two_workers_keep_the_bots_global_limit_together(tmp_path: Path) -> None:
    """Each worker is told the bot's whole limit; together they still never exceed it."""
    url = database_url(tmp_path, "shared")
    workers = [Database(url, "w1"), Database(url, "w2")]
    async with FakeTelegram(global_rate=20) as server:
        chats = [server.user(5000 + n).user_id for n in range(60)]
        await queue_as(workers[0], chats[:30])
        await queue_as(workers[1], chats[30:])
        senders = [(await sender_for(server, db, RateLimits(20, 1000, 1000)))[0] for db in workers]
        started = time.monotonic()
        await asyncio.gather(*(sender.flush() for sender in senders))
        elapsed = time.monotonic() - started
        for sender in senders:
            for channel in sender.messengers.values():
                await channel.bot.shutdown()  # type: ignore[attr-defined]
    for db in workers:
        await db.close()
    assert server.count_429 == 0
    assert sorted(m.chat_id for m in server.sent_messages()) == sorted(chats)
    assert elapsed >= 2.5, "60 messages at 20 a second take three seconds, whoever sends them"


@several_workers
async def test_a_429_to_one_worker_holds_the_other_too(tmp_path: Path) -> None:
    url = database_url(tmp_path, "held")
    first, second = Database(url, "w1"), Database(url, "w2")
    try:
        told, other = SharedRate(first, "telegram", 30), SharedRate(second, "telegram", 30)
        await told.acquire()
        await told.hold(1.0)  # Telegram: "retry after 1"
        started = time.monotonic()
        await other.acquire()
        assert time.monotonic() - started >= 0.9
    finally:
        await first.close()
        await second.close()


async def test_a_wait_that_cannot_be_recorded_strands_no_message(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The database is gone just as a 429 is to be recorded: the chat's messages are not lost
    in the process; the sweep sends them when the database is back."""
    original, failures = queues.postpone, [1]

    async def postpone_once_failing(*args: Any) -> None:
        if failures and failures.pop():
            raise ConnectionError("database unavailable")
        await original(*args)

    monkeypatch.setattr(queues, "postpone", postpone_once_failing)
    assert (await two_messages_after_a_429(db))[1] == ["một", "hai"]


@several_workers
async def test_sends_go_on_when_the_shared_rate_cannot_be_asked(
    db: Database, monkeypatch: pytest.MonkeyPatch
) -> None:
    async def unavailable(*args: Any) -> float:
        raise ConnectionError("database unavailable")

    monkeypatch.setattr(send_rates, "take_slot", unavailable)
    monkeypatch.setattr(send_rates, "hold", unavailable)
    assert (await two_messages_after_a_429(db))[1] == ["một", "hai"]


async def two_messages_after_a_429(db: Database) -> tuple[list[str], list[str]]:
    """Two messages to a chat, the first answered with "retry after 1": what the chat got
    before the second has passed, and in the end."""
    async with FakeTelegram() as server:
        chat = server.user(4201).user_id
        server.fail_next("sendMessage", 429, "Too Many Requests: retry after 1", retry_after=1)
        await queue(db, [(chat, "một"), (chat, "hai")])
        sender, channel = await sender_for(server, db, RateLimits(1000, 1000, 1000))
        await sender.sweep()
        await asyncio.gather(*sender._tasks.values())  # the first attempt gets the 429
        before = [m.text for m in server.sent_messages(chat)]
        sender.clock.advance(seconds=1)  # type: ignore[attr-defined]
        await sender.flush()
        await channel.bot.shutdown()
        return before, [m.text for m in server.sent_messages(chat)]


async def test_a_chats_backlog_does_not_fill_the_sweep(db: Database) -> None:
    """300 older replies to one chat and one to each of 100 others: one sweep takes every
    other chat's reply, and no more of the long chat's than its share."""
    await queue(db, [(5000, f"cũ {n}") for n in range(300)])
    await queue(db, [(5001 + n, "chào") for n in range(100)])
    async with db.transaction() as session:
        rows = await queues.due_messages(session, FakeClock()(), 200, set())
    by_chat = Counter(row.chat_id for row in rows)
    assert len(by_chat) == 101
    assert by_chat["5000"] == queues.PER_CHAT
    assert [row.payload["text"] for row in rows if row.chat_id == "5000"] == [
        f"cũ {n}" for n in range(queues.PER_CHAT)
    ]


async def test_other_chats_are_served_beside_a_long_backlog(db: Database) -> None:
    """At Telegram's real limits (1 message/s per chat), 20 chats that wrote after a chat with
    300 replies waiting get theirs while the long chat has had only a few; its own replies
    still arrive in order."""
    async with FakeTelegram(global_rate=30, per_chat_rate=1.0) as server:
        long_chat = server.user(5100).user_id
        others = [server.user(5101 + n).user_id for n in range(20)]
        await queue(db, [(long_chat, f"cũ {n}") for n in range(300)])
        await queue(db, [(chat, "chào") for chat in others])
        sender, channel = await sender_for(server, db, RateLimits(30, 1.0, 1))
        running = asyncio.create_task(sender.run())
        try:
            async with asyncio.timeout(60):
                while not all(server.sent_messages(chat) for chat in others):
                    await asyncio.sleep(0.05)
            served_long = [message.text for message in server.sent_messages(long_chat)]
        finally:
            await sender.stop()
            await running
            await channel.bot.shutdown()
        assert server.count_429 == 0
        assert len(served_long) < 10, "the others did not wait behind the long backlog"
        assert served_long == [f"cũ {n}" for n in range(len(served_long))]


async def test_a_long_backlog_is_sent_whole_and_in_order_with_new_replies_after_it(
    db: Database,
) -> None:
    """The sweep takes a long chat's rows a share at a time; a reply the dispatcher hands over
    meanwhile waits for the older rows still in the table."""
    async with FakeTelegram() as server:
        long_chat = server.user(5200).user_id
        await queue(db, [(long_chat, f"cũ {n}") for n in range(100)])
        sender, channel = await sender_for(server, db, RateLimits(1000, 1000, 1000))
        await sender.sweep()
        async with db.transaction() as session:
            [(message_id, _, reply)] = await queues.enqueue(
                session, [(Recipient("telegram", str(long_chat)), Reply("mới"))], FakeClock()()
            )
        sender.push([QueuedMessage(message_id, "telegram", str(long_chat), reply)])
        running = asyncio.create_task(sender.run())
        try:
            async with asyncio.timeout(30):
                while len(server.sent_messages(long_chat)) < 101:
                    await asyncio.sleep(0.05)
        finally:
            await sender.stop()
            await running
            await channel.bot.shutdown()
        texts = [message.text for message in server.sent_messages(long_chat)]
        assert texts == [f"cũ {n}" for n in range(100)] + ["mới"]
