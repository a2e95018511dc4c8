"""Quarterly report over a large archive: the statistics, and the full XLSX workbook.

A province of 100 communes (each with three offices) stores 1 000 000 petitions received over
two and a quarter years, with their events (receipt, intake decision, answer), deadlines,
ratings, 100 000 reception visits and 2 000 dialogue sessions, written directly with SQL.
Then, for Q1 2026 (15/12/2025 to 14/03/2026) and the whole province:

- the statistics (`report_metrics`: every figure of every unit), timed over a few runs;
- the full report (figures, rows by commune, every form sheet written to an XLSX), timed, with
  the process's peak resident memory, then once more under tracemalloc for the peak of Python
  allocations.

The database is filled in a child process, so the memory figures are the report's own.

    .venv/bin/python bench/reports.py [--petitions 1000000] [--runs 3]
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import random
import resource
import sqlite3
import statistics
import subprocess
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
from bot.config import Settings  # noqa: E402
from bot.domain.org import Organisation  # noqa: E402
from bot.reporting.forms import load_forms  # noqa: E402
from bot.reporting.metrics import unit_rows  # noqa: E402
from bot.reporting.periods import preset_period, scope_units  # noqa: E402
from bot.reporting.workbook import ReportContent, ReportHeading, write_report  # noqa: E402
from storage.db import Database  # noqa: E402
from storage.repository import SqlStore  # noqa: E402

COMMUNES = 100
OFFICES = ("VP", "KT", "VHXH")
FIELDS = (
    "dat_dai",
    "moi_truong",
    "xay_dung",
    "giao_thong",
    "chinh_sach_xa_hoi",
    "y_te",
    "giao_duc",
    "an_ninh_trat_tu",
    "thu_tuc_hanh_chinh",
    "can_bo",
    "khac",
)
KINDS = (("khieu_nai", 25), ("to_cao", 10), ("kien_nghi", 35), ("phan_anh", 30))
CHANNELS = (("telegram", 60), ("reception", 25), ("dialogue", 10), ("sandbox", 5))
DECISIONS = (("accept", 80), ("refuse", 8), ("forward", 6), ("guide", 6))
FIRST_DAY = datetime(2023, 12, 15, tzinfo=UTC)
LAST_DAY = datetime(2026, 3, 14, tzinfo=UTC)  # the data ends with Q1 2026
RECEPTIONS = 100_000
DIALOGUES = 2_000
ANSWER_RULE = {"khieu_nai": "kn1.resolve", "to_cao": "tc.resolve"}
INTAKE_RULE = {"khieu_nai": "kn1.accept", "to_cao": "tc.initial"}
CHUNK = 50_000

Rows = list[tuple[object, ...]]


def organisation_file(folder: Path) -> Path:
    """A province with its inspectorate and 100 communes of three offices each."""
    lines = [
        'name = "Tỉnh (bench)"',
        '[[units]]\ncode = "P"\nname = "UBND tỉnh"\nkind = "province"',
        '[[units]]\ncode = "P-TT"\nname = "Thanh tra tỉnh"\nkind = "inspectorate"\nparent = "P"',
    ]
    for n in range(COMMUNES):
        lines.append(
            f'[[units]]\ncode = "C{n}"\nname = "UBND xã {n}"\nkind = "commune"\nparent = "P"\n'
            f'prefix = "C{n}"'
        )
        for office in OFFICES:
            lines.append(
                f'[[units]]\ncode = "C{n}-{office}"\nname = "{office} xã {n}"\nkind = "office"\n'
                f'parent = "C{n}"'
            )
    lines += [f'[[fields]]\ncode = "{code}"\nlabel = "field.{code}"' for code in FIELDS]
    lines.append(
        '[[officers]]\nhandle = "p.chutich"\nname = "Chủ tịch"\nunit = "P"\nroles = ["head"]'
    )
    path = folder / "org.toml"
    path.write_text("\n\n".join(lines), "utf-8")
    return path


def stamp(moment: datetime) -> str:
    """How the models store a time in SQLite (naive UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def pick(rng: random.Random, weighted: tuple[tuple[str, int], ...]) -> str:
    return rng.choices([name for name, _ in weighted], [weight for _, weight in weighted])[0]


def petitions(
    count: int, units: list[str]
) -> Iterator[tuple[tuple[object, ...], Rows, Rows, Rows]]:
    """Each petition's row, with its events, deadlines and rating (if any)."""
    rng = random.Random(2026)
    span = (LAST_DAY - FIRST_DAY).total_seconds()
    for n in range(1, count + 1):
        kind, field = pick(rng, KINDS), rng.choice(FIELDS)
        received = FIRST_DAY + timedelta(seconds=rng.random() * span)
        decided = received + timedelta(days=rng.uniform(0.2, 12))
        decision = pick(rng, DECISIONS) if decided < LAST_DAY else None
        answered = decided + timedelta(days=rng.uniform(5, 90)) if decision == "accept" else None
        if answered is not None and answered >= LAST_DAY:
            answered = None
        state = _state(decision, answered, rng)
        outcome = _outcome(kind, rng) if answered else None
        events: Rows = [(n, stamp(received), "received")]
        events += [(n, stamp(decided), decision)] if decision else []
        events += [(n, stamp(answered), "answer")] if answered else []
        deadlines = _deadlines(n, kind, received, decided, decision, answered, rng)
        rating: Rows = [(n, rng.randint(1, 5), stamp(answered + timedelta(days=1)))] if (
            answered and rng.random() < 0.4
        ) else []  # fmt: skip
        row = (
            n, f"B-{n:07d}", kind, field, rng.choice(units), state,
            2 if kind == "khieu_nai" and rng.random() < 0.15 else 1,
            rng.choice((5, 8, 20)) if rng.random() < 0.03 else 1,
            pick(rng, CHANNELS), stamp(received),
            stamp(decided) if decision == "accept" else None,
            stamp(decided) if decision in {"refuse", "forward"} else None,
            outcome,
        )  # fmt: skip
        yield row, events, deadlines, rating


def _state(decision: str | None, answered: datetime | None, rng: random.Random) -> str:
    if decision is None:
        return "received"
    if decision != "accept":
        return {"refuse": "refused", "forward": "forwarded", "guide": "guided"}[decision]
    if answered is None:
        return rng.choice(("accepted", "in_progress", "waiting_citizen"))
    return rng.choice(("answered", "closed"))


def _outcome(kind: str, rng: random.Random) -> str | None:
    if kind in {"khieu_nai", "to_cao"}:
        return rng.choice(("correct", "partly", "incorrect"))
    return None


def _deadlines(
    n: int,
    kind: str,
    received: datetime,
    decided: datetime,
    decision: str | None,
    answered: datetime | None,
    rng: random.Random,
) -> Rows:
    """The intake deadline, and after acceptance the answer deadline (met if answered)."""
    start = received.date()
    intake = INTAKE_RULE.get(kind, "don.process")
    rows: Rows = [
        (n, intake, start.isoformat(), (start + timedelta(days=10)).isoformat(),
         "met" if decision else "open"),
    ]  # fmt: skip
    if decision == "accept":
        accepted = decided.date()
        due = accepted + timedelta(days=rng.choice((30, 45, 60)))
        rule = ANSWER_RULE.get(kind, "pakn.answer")
        rows.append((n, rule, accepted.isoformat(), due.isoformat(), "met" if answered else "open"))
    return rows


def fill(path: Path, count: int) -> None:
    """Everything the report counts, in bulk, a chunk of petitions at a time."""
    db = sqlite3.connect(path)
    db.execute("PRAGMA synchronous=OFF")
    officer = db.execute("SELECT id FROM officers").fetchone()[0]
    units = [code for (code,) in db.execute("SELECT code FROM units WHERE kind = 'office'")]
    generated = petitions(count, units)
    while chunk := list(itertools.islice(generated, CHUNK)):
        db.executemany(
            "INSERT INTO petitions (id, code, kind, field, unit_code, state, instance,"
            " group_size, channel, received_at, accepted_at, closed_at, outcome, remote_area,"
            " complex, especially_complex, representatives, anonymous, content)"
            " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, 0, 0, 0, 0, 'Nội dung đơn')",
            [row for row, _events, _deadlines, _rating in chunk],
        )
        db.executemany(
            "INSERT INTO petition_events (petition_id, at, action, actor, payload)"
            " VALUES (?, ?, ?, 'bench', '{}')",
            [event for _row, events, _deadlines, _rating in chunk for event in events],
        )
        db.executemany(
            "INSERT INTO deadlines (petition_id, rule_id, start_date, due_date, status,"
            " extensions) VALUES (?, ?, ?, ?, ?, 0)",
            [deadline for _row, _events, deadlines, _rating in chunk for deadline in deadlines],
        )
        db.executemany(
            "INSERT INTO ratings (petition_id, score, rated_at) VALUES (?, ?, ?)",
            [rating for _row, _events, _deadlines, ratings in chunk for rating in ratings],
        )
    fill_receptions_and_dialogues(db, officer)
    db.commit()
    db.execute("ANALYZE")
    db.close()


def fill_receptions_and_dialogues(db: sqlite3.Connection, officer: int) -> None:
    rng = random.Random(7)
    committees = ["P", *(f"C{n}" for n in range(COMMUNES))]
    span = (LAST_DAY - FIRST_DAY).total_seconds()

    def moment() -> str:
        return stamp(FIRST_DAY + timedelta(seconds=rng.random() * span))

    db.executemany(
        "INSERT INTO receptions (unit_code, recorded_by, received_at, kind, head_in_person,"
        " group_size, content, outcome) VALUES (?, ?, ?, ?, ?, ?, 'Nội dung', 'explained')",
        (
            (
                rng.choice(committees), officer, moment(),
                rng.choice(("regular", "regular", "scheduled", "unscheduled")),
                rng.random() < 0.5, rng.choice((1, 1, 1, 2, 6)),
            )
            for _ in range(RECEPTIONS)
        ),
    )  # fmt: skip
    db.executemany(
        "INSERT INTO dialogues (unit_code, leader_id, created_by, topic, starts_at, audience,"
        " capacity, registration_closes_at, subscribers_may_ask, state, created_at, held_at)"
        " VALUES (?, ?, ?, 'Đối thoại', ?, '[]', 50, ?, 0, ?, ?, ?)",
        (
            (rng.choice(committees), officer, officer, at, at, state, at,
             at if state == "held" else None)
            for _ in range(DIALOGUES)
            for at, state in ((moment(), rng.choice(("held", "held", "cancelled"))),)
        ),
    )  # fmt: skip


def settings_for(folder: Path) -> Settings:
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=f"sqlite+aiosqlite:///{folder / 'reports.sqlite3'}",
        org_file=folder / "org.toml",
    )


async def prepare_and_fill(folder: Path, count: int) -> None:
    """The child process: schema, organisation, then the bulk data."""
    settings = settings_for(folder)
    db = await prepare_database(settings, load_organisation(settings.org_file))
    await db.close()
    fill(folder / "reports.sqlite3", count)


async def statistics_runs(db: Database, org: Organisation, runs: int) -> list[float]:
    """Seconds for each run of the province's quarterly figures."""
    units = scope_units(org, "P")
    period = preset_period(2026, "Q1")
    timings = []
    for _ in range(runs):
        started = time.perf_counter()
        async with db.snapshot() as session:
            report = await SqlStore(session).report_metrics(period, units)
        timings.append(time.perf_counter() - started)
    total = report.total.petitions
    print(
        f"  Q1 2026, {len(units)} units: {total.received:,} received, {total.carried_over:,}"
        f" carried over, {total.accepted:,} accepted, {total.answered:,} answered"
        f" ({total.answered_late:,} late), p90 to answer {report.to_answer.p90_days:.1f} days"
    )
    return timings


async def full_report(db: Database, org: Organisation, out: Path) -> float:
    """Seconds for the whole workbook: figures, rows by commune, every sheet written."""
    period = preset_period(2026, "Q1")
    started = time.perf_counter()
    async with db.snapshot() as session:
        report = await SqlStore(session).report_metrics(period, scope_units(org, "P"))
    fields = {code: code for code in FIELDS}
    write_report(
        out,
        load_forms(),
        ReportHeading(org.units["P"].name, period, "", date(2026, 3, 15)),
        ReportContent(unit_rows(org, "P", report), report.total, {"fields": fields}),
    )
    return time.perf_counter() - started


async def main(count: int, runs: int) -> None:
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        organisation_file(folder)
        started = time.perf_counter()
        subprocess.run(
            [sys.executable, __file__, "--fill-into", str(folder), "--petitions", str(count)],
            check=True,
        )
        size = (folder / "reports.sqlite3").stat().st_size / 1e6
        print(
            f"{count:,} petitions stored in {time.perf_counter() - started:.0f} s ({size:.0f} MB)"
        )
        settings = settings_for(folder)
        org = load_organisation(settings.org_file)
        db = Database(settings.database_url)
        timings = await statistics_runs(db, org, runs)
        shown = ", ".join(f"{t:.2f}" for t in timings)
        print(f"quarterly statistics of the province: median {statistics.median(timings):.2f} s"
              f" ({shown})")  # fmt: skip
        rss_before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        seconds = await full_report(db, org, folder / "report.xlsx")
        rss_after = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
        tracemalloc.start()
        await full_report(db, org, folder / "report.xlsx")
        _current, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        workbook_kb = (folder / "report.xlsx").stat().st_size / 1024
        print(
            f"full XLSX report (figures + 6 sheets, {COMMUNES + 2} rows a form): {seconds:.2f} s,"
            f" {workbook_kb:.0f} KB; process peak RSS {rss_after:.0f} MB ({rss_before:.0f} MB"
            f" before it); peak Python allocations (tracemalloc, a second run) {peak / 1e6:.1f} MB"
        )
        await db.close()


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--petitions", type=int, default=1_000_000)
    parser.add_argument("--runs", type=int, default=3)
    parser.add_argument("--fill-into", type=Path, help=argparse.SUPPRESS)
    arguments = parser.parse_args()
    if arguments.fill_into:
        asyncio.run(prepare_and_fill(arguments.fill_into, arguments.petitions))
    else:
        pin_process("auto")  # as `python -m bot` runs by default
        asyncio.run(main(arguments.petitions, arguments.runs))
