"""Fair delivery after a crash: one chat's backlog must not keep every other chat waiting.

One chat has 300 replies waiting in the outbox (what a crash leaves behind a chat that was
answered at 1 message/s). Then 100 other citizens send /start, and as soon as the bot has queued
its answers to all 100 it is killed with SIGKILL and started again: the answers not sent by then
are found by the outbox's sweep. Counted from
the restart: how long until each of the 100 has its answer, at Telegram's real limits (the fake
Bot API server of tests/fake_telegram.py refuses more than 30 messages/s overall or 1/s to one
chat, with a 429). The same run without the backlog, in the same process, is the baseline.

The bot runs as a real process (`python -m bot`, bench/crash.py's `Worker`), long polling, on a
SQLite file or on a PostgreSQL server started here (tests/postgres.py).

    .venv/bin/python bench/fair_delivery.py [--db sqlite|postgresql] [--chats 100] [--backlog 300]

Target: every other chat served within 30 s of the restart. Exit status 1 when it is not.
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import func, select, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.crash import Worker, bot_environment, free_port  # noqa: E402
from bot.app import load_organisation, prepare_database  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.core import Recipient, Reply  # noqa: E402
from storage import models as m  # noqa: E402
from storage import queues  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.fake_telegram import FakeTelegram  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

TARGET_SECONDS = 30.0
SERVE_TIMEOUT = 240.0
LONG_CHAT = 900_000
FIRST_OTHER = 900_001


@dataclass
class Served:
    """How long each other chat waited for its answer, counted from the restart."""

    before_kill: int
    seconds: list[float]  # one per chat answered after the restart
    unserved: int

    @property
    def worst(self) -> float:
        return max(self.seconds, default=0.0)


async def queued_answers(db: Database, long_chat: int) -> int:
    """Replies queued for the other chats (the bot has handled their /start)."""
    async with db.snapshot() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(m.OutboxMessage)
            .where(m.OutboxMessage.chat_id != str(long_chat))
        )
        return int(count or 0)


async def queue_backlog(db: Database, chat: int, count: int) -> None:
    """Replies left in the outbox by a crash, free for any worker (their claim ran out)."""
    async with db.transaction() as session:
        replies = [(Recipient("telegram", str(chat)), Reply(f"cũ {n}")) for n in range(count)]
        await queues.enqueue(session, replies, datetime.now(UTC))
        await session.execute(update(m.OutboxMessage).values(claimed_by=None, claimed_until=None))


async def one_run(database_url: str, folder: Path, chats: int, backlog: int) -> Served:
    """Set up, crash, restart, and time the answers to the other chats."""
    settings = Settings(_env_file=None, database_url=database_url, data_dir=folder)  # type: ignore[call-arg]
    db = await prepare_database(settings, load_organisation(settings.org_file))
    await queue_backlog(db, LONG_CHAT, backlog)
    async with FakeTelegram(global_rate=30, per_chat_rate=1.0) as server:
        env = bot_environment(server, folder, database_url, "main", port := free_port())
        # Telegram's real limits this time (crash.py lifts them: its people are the pace).
        env.update(OUTBOX_GLOBAL_RATE="30", OUTBOX_PER_CHAT_RATE="1", OUTBOX_PER_CHAT_BURST="1")
        worker = Worker("main", env, folder, port)
        await worker.start()
        await worker.wait_ready()
        server.user(LONG_CHAT)
        others = [server.user(FIRST_OTHER + n) for n in range(chats)]
        for user in others:
            await user.send_command("/start")
        while await queued_answers(db, LONG_CHAT) < chats:
            await asyncio.sleep(0.01)
        await worker.kill()
        answered_before = {user.chat_id for user in others if user.received_count}
        await worker.start()
        restarted = time.monotonic()
        waited: dict[int, float] = {}
        deadline = restarted + SERVE_TIMEOUT
        while len(waited) + len(answered_before) < chats and time.monotonic() < deadline:
            for user in others:
                if user.chat_id not in answered_before and user.received_count:
                    waited.setdefault(user.chat_id, time.monotonic() - restarted)
            await asyncio.sleep(0.05)
        await worker.stop()
        if worker.unexpected_exits:
            raise RuntimeError("; ".join(worker.unexpected_exits))
        long_chat_served = len(server.sent_messages(LONG_CHAT))
        print(f"    the long chat had {long_chat_served} of its {backlog} by the end")
    await db.close()
    return Served(
        len(answered_before), list(waited.values()), chats - len(answered_before) - len(waited)
    )


def describe(name: str, served: Served) -> None:
    after = sorted(served.seconds)
    median = statistics.median(after) if after else 0.0
    print(
        f"  {name}: {served.before_kill} answered before the kill, {len(after)} after the "
        f"restart (median {median:.1f} s, worst {served.worst:.1f} s), {served.unserved} not "
        f"within {SERVE_TIMEOUT:.0f} s"
    )


def database_for(kind: str, folder: Path, name: str, postgres: PostgresServer | None) -> str:
    if postgres is not None:
        return postgres.fresh_database(f"{folder}/{name}")
    return f"sqlite+aiosqlite:///{folder / f'{name}.sqlite3'}"


async def main(args: argparse.Namespace) -> int:
    postgres = PostgresServer() if args.db == "postgresql" else None
    if postgres is not None:
        postgres.start()
    try:
        with tempfile.TemporaryDirectory(prefix="fair-") as tmp:
            figures = {}
            for name, backlog in (("baseline, no backlog", 0), ("with the backlog", args.backlog)):
                folder = Path(tmp) / name.split(",")[0].replace(" ", "-")
                folder.mkdir()
                url = database_for(args.db, folder, "bot", postgres)
                print(f"{name} ({args.db}, {args.chats} chats):")
                figures[name] = await one_run(url, folder, args.chats, backlog)
                describe(name, figures[name])
    finally:
        if postgres is not None:
            postgres.stop()
    base, loaded = figures["baseline, no backlog"], figures["with the backlog"]
    ratio = loaded.worst / base.worst if base.worst else float("nan")
    print(f"worst wait with the backlog / without: {ratio:.2f}")
    ok = loaded.unserved == 0 and loaded.worst <= TARGET_SECONDS
    print(f"every other chat served within {TARGET_SECONDS:.0f} s: {'yes' if ok else 'NO'}")
    return 0 if ok else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--chats", type=int, default=100)
    parser.add_argument("--backlog", type=int, default=300)
    sys.exit(asyncio.run(main(parser.parse_args())))
