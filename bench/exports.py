"""Row-level export of 200 000 petitions: time and peak memory, CSV and XLSX.

The database is filled directly with SQL: petitions of every kind over the demo province's
units in the first half of 2026, each with two deadlines and two steps (acceptance, answer),
names, phones, addresses and a story of about 300 characters (one in ten starting with "=").
Then the real command's export (`python -m bot export --unit TN`, the whole province) writes
them all, first as CSV, then as XLSX. Each export runs twice: once for its time, once under
tracemalloc for the peak of Python allocations; the process's maximum resident set size
(getrusage) is printed after each.

    .venv/bin/python bench/exports.py [--petitions 200000]
"""

from __future__ import annotations

import argparse
import asyncio
import resource
import sqlite3
import sys
import tempfile
import time
import tracemalloc
from collections.abc import Iterator
from datetime import UTC, date, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.affinity import pin_process  # noqa: E402
from bot.app import load_organisation, prepare_database  # noqa: E402
from bot.commands.export import ExportRequest, export_and_audit  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain.org import Organisation  # noqa: E402
from storage.db import Database  # noqa: E402

START = datetime(2026, 1, 1, 1, 0, tzinfo=UTC)
HALF_YEAR_MINUTES = 181 * 24 * 60
KINDS = ("khieu_nai", "to_cao", "kien_nghi", "phan_anh")
UNITS = ("PD-VP", "PD-KT", "PD-VHXH", "PD", "TS-VP", "TS")
STORY = (
    "Gia đình tôi ở xóm Na Mao có thửa đất số 127 bị lấn chiếm khi làm đường liên xóm; "
    "đã nhiều lần đề nghị nhưng chưa được giải quyết. Đề nghị Ủy ban xã kiểm tra, đo đạc "
    "lại ranh giới và trả lời bằng văn bản. Liên hệ 0912 345 678, CCCD 001099012345. "
)


def stamp(moment: datetime) -> str:
    """How the models store a time in SQLite (naive UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def petition_rows(count: int) -> Iterator[tuple[object, ...]]:
    """Petitions spread over the half year, the kinds and the units."""
    for n in range(1, count + 1):
        received = START + timedelta(minutes=n * HALF_YEAR_MINUTES // count)
        story = ("=" if n % 10 == 0 else "") + STORY
        yield (
            n,
            f"PD-2026-{n:07d}",
            KINDS[n % len(KINDS)],
            UNITS[n % len(UNITS)],
            "answered" if n % 3 else "accepted",
            f"Nguyễn Văn {n}",
            f"09{n % 100_000_000:08d}",
            f"Xóm Na Mao, nhà số {n % 300}",
            story,
            stamp(received),
            stamp(received + timedelta(days=3)),
        )


def fill(path: Path, count: int) -> None:
    """Petitions, their deadlines and steps, written in bulk."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    db.executemany(
        "INSERT INTO petitions (id, code, kind, field, unit_code, state, instance, remote_area,"
        " complex, especially_complex, group_size, representatives, anonymous, filer_name,"
        " filer_phone, filer_address, content, channel, received_at, accepted_at)"
        " VALUES (?, ?, ?, 'dat_dai', ?, ?, 1, 0, 0, 0, 1, 0, 0, ?, ?, ?, ?, 'telegram', ?, ?)",
        petition_rows(count),
    )
    db.executemany(
        "INSERT INTO deadlines (petition_id, rule_id, start_date, due_date, extensions, status)"
        " VALUES (?, ?, ?, ?, 0, ?)",
        (
            (n, rule, date(2026, 1, 1).isoformat(), date(2026, due, 1).isoformat(), "met")
            for n in range(1, count + 1)
            for rule, due in (("kn1.accept", 2), ("kn1.resolve", 8))
        ),
    )
    db.executemany(
        "INSERT INTO petition_events (petition_id, at, actor, action, payload)"
        " VALUES (?, ?, 'officer:pd.tiepdan', ?, '{}')",
        (
            (n, stamp(START + timedelta(days=days)), action)
            for n in range(1, count + 1)
            for action, days in (("accept", 3), ("answer", 20))
        ),
    )
    db.commit()
    db.execute("ANALYZE")
    db.close()


def max_rss_mb() -> float:
    """The process's largest resident set so far (Linux reports kilobytes)."""
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


async def export_once(
    db: Database, org: Organisation, out: Path, traced: bool
) -> tuple[int, float, float]:
    """Rows written, seconds, and the tracemalloc peak in MB (0 when not traced)."""
    request = ExportRequest(date(2026, 1, 1), date(2026, 12, 31), "TN", out)
    if traced:
        tracemalloc.start()
    started = time.perf_counter()
    rows = await export_and_audit(db, org, request, "bench", datetime.now(UTC))
    seconds = time.perf_counter() - started
    if not traced:
        return rows, seconds, 0.0
    peak = tracemalloc.get_traced_memory()[1] / 2**20
    tracemalloc.stop()
    return rows, seconds, peak


async def main(count: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / "export.sqlite3"
        settings = Settings(_env_file=None, database_url=f"sqlite+aiosqlite:///{path}")  # type: ignore[call-arg]
        org = load_organisation(None)
        db = await prepare_database(settings, org)
        started = time.perf_counter()
        await asyncio.to_thread(fill, path, count)
        print(f"{count:,} petitions stored in {time.perf_counter() - started:.1f} s")
        print(f"max RSS before exporting: {max_rss_mb():.0f} MB")
        for suffix in ("csv", "xlsx"):
            out = Path(folder) / f"petitions.{suffix}"
            rows, seconds, _ = await export_once(db, org, out, traced=False)
            _, traced_seconds, peak = await export_once(db, org, out, traced=True)
            print(
                f"{suffix.upper():>4}: {rows:,} rows in {seconds:.1f} s"
                f" ({rows / seconds:,.0f} rows/s),"
                f" {out.stat().st_size / 2**20:.0f} MB file; tracemalloc peak {peak:.1f} MB"
                f" (traced run {traced_seconds:.1f} s); max RSS so far {max_rss_mb():.0f} MB"
            )
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--petitions", type=int, default=200_000)
    arguments = parser.parse_args()
    pin_process("auto")  # as `python -m bot` runs by default
    asyncio.run(main(arguments.petitions))
