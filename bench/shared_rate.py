"""Two workers keep the bot's global send limit together (PostgreSQL, bot.outbox.SharedRate).

Telegram limits a bot as a whole to about 30 messages a second, however many processes send for
it. Each worker is told the whole limit and takes its send slots from one schedule in the
database. On a PostgreSQL server started here and the fake Bot API server enforcing 30/s (it
answers 429 above 33 in any second), this bench sends an announcement to `--messages` chats:

- one worker alone, every message queued by it: the limit is all its own;
- two workers, each having queued half (as after a broadcast handled by both).

It prints, for each, the rate achieved as a fraction of 30/s (target ≥ 0.95: one worker alone
is not held to half), the 429 answers (target 0: two workers do not add up to 60/s), and how
the sends were shared. A split limit (each worker 15/s) would show 0.5 for one worker alone.

    .venv/bin/python bench/shared_rate.py [--messages 600]
"""

from __future__ import annotations

import argparse
import asyncio
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.channels.telegram import TelegramChannel, make_bot  # noqa: E402
from bot.outbox import OutboxSender, RateLimits  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.conftest import FakeClock  # noqa: E402
from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402
from tests.test_outbox import queue_as  # noqa: E402

RATE = 30.0


async def send_all(server: PostgresServer, name: str, messages: int, workers: int) -> None:
    """Queue `messages` among `workers`, send them all, print what the platform saw."""
    url = await asyncio.to_thread(server.fresh_database, name)  # migrated
    databases = [Database(url, f"w{n}") for n in range(workers)]
    async with FakeTelegram(global_rate=RATE) as telegram:
        chats = [telegram.user(10_000 + n).user_id for n in range(messages)]
        for number, db in enumerate(databases):
            await queue_as(db, chats[number::workers])
        channels = [TelegramChannel(make_bot(DEFAULT_TOKEN, telegram.api_url)) for _ in databases]
        senders = []
        for db, channel in zip(databases, channels, strict=True):
            await channel.bot.initialize()
            limits = {"telegram": RateLimits(RATE, 1.0, 3)}
            senders.append(OutboxSender(db, {"telegram": channel}, limits, FakeClock()))
        started = time.monotonic()
        await asyncio.gather(*(sender.flush() for sender in senders))
        elapsed = time.monotonic() - started
        for channel in channels:
            await channel.bot.shutdown()
        sent = len(telegram.sent_messages())
        refused = telegram.count_429
    for db in databases:
        await db.close()
    shares = Counter(n % workers for n in range(messages))
    print(
        f"{workers} worker(s): {sent}/{messages} sent in {elapsed:5.1f} s, "
        f"{sent / elapsed / RATE:.2f} of {RATE:.0f}/s, {refused} × 429, "
        f"queued per worker {sorted(shares.values())}"
    )


async def main(messages: int) -> None:
    server = PostgresServer()
    await asyncio.to_thread(server.start)
    try:
        await send_all(server, "alone", messages, 1)
        await send_all(server, "together", messages, 2)
    finally:
        await asyncio.to_thread(server.stop)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--messages", type=int, default=600)
    asyncio.run(main(parser.parse_args().messages))
