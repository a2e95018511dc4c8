"""Due-job sweep: its cost must not grow with the number of stored petitions.

For each size (default 100 000 and 1 000 000 petitions, 10 % open, four reminder jobs each; the
closed petitions' jobs done) the database is filled directly with SQL, then the real scheduler
runs sweeps in which exactly 100 jobs are due. Printed: the median time of a sweep (claim and
run the due jobs, queueing their messages) at each size, and their ratio (target ≤ 1.5).

    .venv/bin/python bench/due_sweep.py [--sizes 100000 1000000] [--sweeps 5]
"""

from __future__ import annotations

import argparse
import asyncio
import sqlite3
import statistics
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.affinity import pin_process  # noqa: E402
from bot.app import build_environment, load_organisation, prepare_database  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.scheduler import Scheduler  # noqa: E402

BASE = datetime(2026, 3, 2, 1, 0, tzinfo=UTC)
DUE_PER_SWEEP = 100
JOBS_PER_PETITION = 4


def stamp(moment: datetime) -> str:
    """How the models store a time in SQLite (naive UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def fill(path: Path, petitions: int, sweeps: int) -> None:
    """Petitions, their kn1.accept deadlines and reminder jobs, written in bulk."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    assignee = db.execute("SELECT id FROM officers WHERE handle = 'pd.tiepdan'").fetchone()[0]
    received = stamp(BASE)
    db.executemany(
        "INSERT INTO petitions (id, code, kind, field, unit_code, assignee_id, state, instance,"
        " remote_area, complex, especially_complex, group_size, anonymous, content, channel,"
        " received_at) VALUES (?, ?, 'khieu_nai', 'dat_dai', 'PD-VP', ?, ?, 1, 0, 0, 0, 1, 0,"
        " 'Nội dung đơn', 'telegram', ?)",
        (
            (n, f"PD-2026-{n:07d}", assignee, "received" if n % 10 == 0 else "closed", received)
            for n in range(1, petitions + 1)
        ),
    )
    open_ids = range(10, petitions + 1, 10)
    db.executemany(
        "INSERT INTO deadlines (petition_id, rule_id, start_date, due_date, extensions, status)"
        " VALUES (?, 'kn1.accept', '2026-03-02', '2026-03-12', 0, 'open')",
        ((n,) for n in open_ids),
    )
    due_soon = DUE_PER_SWEEP * sweeps
    far = stamp(BASE + timedelta(days=365))

    def jobs() -> object:
        serial = 0
        for n in range(1, petitions + 1):
            for point in ("half", "3wd", "due", "overdue"):
                if n % 10:  # closed petition: its jobs ran long ago
                    yield (n, "deadline.remind", point, stamp(BASE), stamp(BASE))
                    continue
                minute = serial // DUE_PER_SWEEP + 1 if serial < due_soon else None
                due = stamp(BASE + timedelta(minutes=minute)) if minute else far
                serial += 1
                yield (n, "deadline.remind", point, due, None)

    db.executemany(
        "INSERT INTO jobs (petition_id, kind, payload, due_at, done_at, attempts)"
        " VALUES (?, ?, json_object('rule_id', 'kn1.accept', 'point', ?), ?, ?, 0)",
        jobs(),  # type: ignore[arg-type]
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()


async def measure(petitions: int, sweeps: int) -> float:
    """Median seconds per sweep of 100 due jobs with `petitions` stored."""
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "sweep.sqlite3"
        settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{path}")  # type: ignore[call-arg]
        org = load_organisation(None)
        db = await prepare_database(settings, org)
        started = time.perf_counter()
        await asyncio.to_thread(fill, path, petitions, sweeps)
        print(f"  {petitions:>9,} petitions stored in {time.perf_counter() - started:.1f} s")
        env = build_environment(settings, org, BASE)
        clock = [BASE]
        scheduler = Scheduler(db, env, lambda: clock[0], lambda _messages: None, worker="bench")
        timings = []
        for sweep in range(1, sweeps + 1):
            clock[0] = BASE + timedelta(minutes=sweep, seconds=30)
            started = time.perf_counter()
            ran = await scheduler.run_due()
            timings.append(time.perf_counter() - started)
            assert ran == DUE_PER_SWEEP, ran
        await db.close()
        return statistics.median(timings)


async def main(sizes: list[int], sweeps: int) -> None:
    print(f"Due-job sweep: {DUE_PER_SWEEP} jobs due per sweep, median of {sweeps} sweeps")
    results = [(size, await measure(size, sweeps)) for size in sizes]
    for size, seconds in results:
        print(f"{size:>11,} petitions: {seconds * 1000:7.1f} ms per sweep")
    if len(results) > 1:
        ratio = results[-1][1] / results[0][1]
        print(f"ratio {results[-1][0]:,} / {results[0][0]:,}: {ratio:.2f}   target ≤ 1.5")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--sizes", type=int, nargs="+", default=[100_000, 1_000_000])
    parser.add_argument("--sweeps", type=int, default=5)
    arguments = parser.parse_args()
    pin_process("auto")  # as `python -m bot` runs by default
    asyncio.run(main(arguments.sizes, arguments.sweeps))
