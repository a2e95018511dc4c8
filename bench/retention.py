"""Forgetting old copies of messages and drafts, without holding up the bot's writes.

The housekeeping (storage/retention.py) deletes handled updates and sent messages older than 90
days and clears drafts idle for 30. A commune's database after some years holds millions of such
rows. Deleting them in one statement holds SQLite's one writer for as long as the statement
runs, and every chat's turn waits behind it; the housekeeping deletes in batches of short
transactions instead.

On one SQLite file filled with `--rows` inbox rows and as many outbox rows (nine tenths of them
older than 90 days) and `--drafts` conversations (half of them idle for more than 30 days), this
bench runs, on two copies of the file:

- baseline: one DELETE per table and one UPDATE of the drafts, each a single transaction;
- the housekeeping's `retention.forget`.

Meanwhile a probe writes one small transaction every 20 ms, as a chat's turn would, through the
same `Database`. Printed for both: rows forgotten, the time taken, the longest transaction, and
the probe's p50 / p99 / max wait; then the ratio of the probes' longest waits.

    .venv/bin/python bench/retention.py [--rows 1000000] [--drafts 100000]
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import json
import shutil
import sqlite3
import statistics
import sys
import tempfile
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from sqlalchemy import Text, cast, delete, update  # noqa: E402
from sqlalchemy.ext.asyncio import AsyncSession  # noqa: E402

from storage import models as m  # noqa: E402
from storage import retention  # noqa: E402
from storage.db import Database, migrate  # noqa: E402

NOW = datetime(2026, 11, 22, 3, 0, tzinfo=UTC)
MESSAGES_BEFORE = NOW - timedelta(days=90)
DRAFTS_BEFORE = NOW - timedelta(days=30)
PROBE_EVERY = 0.02
PAYLOAD = json.dumps(
    {"text": "Hàng xóm lấn chiếm lối đi chung, xã đã hòa giải nhưng không giải quyết." * 3}
)


def stamp(moment: datetime) -> str:
    """How the models store a time in SQLite (naive UTC, with microseconds)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ", timespec="microseconds")


def fill(path: Path, rows: int, drafts: int) -> None:
    """Old and young copies of messages, in the order they came; idle and recent drafts."""
    old_part = rows * 9 // 10
    moments = [NOW - timedelta(days=400) + timedelta(seconds=n * 27) for n in range(old_part)]
    moments += [NOW - timedelta(days=10) + timedelta(seconds=n) for n in range(rows - old_part)]
    with contextlib.closing(sqlite3.connect(path)) as db, db:
        db.executemany(
            "INSERT INTO inbox (channel, update_key, chat_id, payload, received_at, processed_at)"
            " VALUES ('telegram', ?, ?, ?, ?, ?)",
            ((str(n), str(n % 5000), PAYLOAD, stamp(t), stamp(t)) for n, t in enumerate(moments)),
        )
        db.executemany(
            "INSERT INTO outbox (channel, chat_id, payload, created_at, not_before, attempts,"
            " sent_at) VALUES ('telegram', ?, ?, ?, ?, 0, ?)",
            ((str(n % 5000), PAYLOAD, stamp(t), stamp(t), stamp(t)) for n, t in enumerate(moments)),
        )
        draft = json.dumps({"draft": {"trail": [], "kind": "khieu_nai", "texts": [PAYLOAD]}})
        db.executemany(
            "INSERT INTO conversations (channel, chat_id, state, step, data, updated_at)"
            " VALUES ('telegram', ?, 'f.content', 3, ?, ?)",
            (
                (f"d{n}", draft, stamp(NOW - timedelta(days=60 if n % 2 else 5)))
                for n in range(drafts)
            ),
        )


@dataclass
class Timed:
    """The transactions of a run and the probe's waits."""

    transactions: list[float] = field(default_factory=list)
    waits: list[float] = field(default_factory=list)


def time_transactions(db: Database, timed: Timed) -> None:
    """Record how long each of the purge's transactions holds the writer."""
    original = db.transaction

    @contextlib.asynccontextmanager
    async def transaction() -> AsyncIterator[AsyncSession]:
        started = time.perf_counter()
        async with original() as session:
            yield session
        timed.transactions.append(time.perf_counter() - started)

    db.transaction = transaction  # type: ignore[method-assign]
    db.untimed = original  # type: ignore[attr-defined]


async def probe(db: Database, timed: Timed, done: asyncio.Event) -> None:
    """A chat's turn in miniature: one small write, every 20 ms, timed from asking to commit."""
    while not done.is_set():
        started = time.perf_counter()
        async with db.untimed() as session:  # type: ignore[attr-defined]
            await session.execute(
                update(m.Conversation)
                .where(m.Conversation.chat_id == "probe")
                .values(step=m.Conversation.step + 1)
            )
        timed.waits.append(time.perf_counter() - started)
        await asyncio.sleep(PROBE_EVERY)


async def one_statement_each(db: Database) -> int:
    """The baseline: everything old in three statements, each one transaction."""
    inbox, outbox, conversation = m.InboxUpdate, m.OutboxMessage, m.Conversation
    statements = [
        delete(inbox).where(inbox.received_at < MESSAGES_BEFORE, inbox.processed_at.is_not(None)),
        delete(outbox).where(
            outbox.created_at < MESSAGES_BEFORE,
            outbox.sent_at.is_not(None) | outbox.failed_at.is_not(None),
        ),
        update(conversation)
        .where(
            conversation.updated_at < DRAFTS_BEFORE,
            (conversation.state != "") | (cast(conversation.data, Text) != "{}"),
        )
        .values(state="", data={}, step=conversation.step + 1),
    ]
    total = 0
    for statement in statements:
        async with db.transaction() as session:
            total += (await session.execute(statement)).rowcount  # type: ignore[attr-defined]
    return total


async def batched(db: Database) -> int:
    """The housekeeping's way."""
    forgotten = await retention.forget(db, MESSAGES_BEFORE, DRAFTS_BEFORE)
    return forgotten.updates + forgotten.messages + forgotten.drafts


async def measure(
    path: Path, purge: Callable[[Database], Awaitable[int]]
) -> tuple[int, float, Timed]:
    """Purge a copy of the file, with the probe writing alongside."""
    db = Database(f"sqlite+aiosqlite:///{path}")
    timed = Timed()
    time_transactions(db, timed)
    async with db.untimed() as session:  # type: ignore[attr-defined]
        session.add(m.Conversation(channel="telegram", chat_id="probe", updated_at=NOW))
    done = asyncio.Event()
    probing = asyncio.create_task(probe(db, timed, done))
    await asyncio.sleep(0.5)
    started = time.perf_counter()
    forgotten = await purge(db)
    elapsed = time.perf_counter() - started
    await asyncio.sleep(0.5)
    done.set()
    await probing
    await db.close()
    return forgotten, elapsed, timed


def describe(name: str, forgotten: int, elapsed: float, timed: Timed) -> float:
    waits = sorted(timed.waits)
    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))]
    print(
        f"{name:<28} {forgotten:>9} rows in {elapsed:6.1f} s ({forgotten / elapsed:>8.0f}/s); "
        f"{len(timed.transactions)} transactions, longest {max(timed.transactions) * 1000:7.0f} ms;"
        f" probe p50 {statistics.median(waits) * 1000:5.1f} ms, p99 {p99 * 1000:6.0f} ms,"
        f" max {waits[-1] * 1000:6.0f} ms"
    )
    return waits[-1]


async def main(rows: int, drafts: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        original = Path(folder) / "filled.sqlite3"
        url = f"sqlite+aiosqlite:///{original}"
        await asyncio.to_thread(migrate, url)
        started = time.perf_counter()
        await asyncio.to_thread(fill, original, rows, drafts)
        size = original.stat().st_size / 2**20
        print(f"{rows} inbox and {rows} outbox rows, {drafts} drafts: {size:.0f} MB, filled in "
              f"{time.perf_counter() - started:.0f} s")  # fmt: skip
        results = {}
        for name, purge in (("one statement each", one_statement_each), ("batched", batched)):
            copy = Path(folder) / f"{name.replace(' ', '-')}.sqlite3"
            shutil.copyfile(original, copy)
            results[name] = describe(name, *await measure(copy, purge))
            copy.unlink()
        ratio = results["batched"] / results["one statement each"]
        print(f"probe's longest wait, batched / one statement each: {ratio:.3f}")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--drafts", type=int, default=100_000)
    arguments = parser.parse_args()
    asyncio.run(main(arguments.rows, arguments.drafts))
