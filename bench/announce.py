"""Announcing a dialogue session to many subscribers, with the bot killed half way.

The fake Bot API server (tests/fake_telegram.py) runs in this process and enforces Telegram's
limits: 30 messages/s overall and 1/s per chat, answering 429 with retry_after. The bot runs as
a separate process (`python -m bot`, long polling the fake) on a temporary SQLite database where
N citizens follow the commune of Phú Đình and its chairman has just created a session, whose
announcement job fans out one outbox row per follower.

Phase 1 starts the bot and SIGKILLs it once half of the subscribers have received the
announcement; phase 2 restarts it and waits until no outbox row is pending. Printed: the achieved
rate of each phase as a fraction of 30/s (accepted sends minus one over the seconds from the
first to the last accepted send; target ≥ 0.95), the sends in flight at the kill (the server
accepted them, their rows were still unsent: they go again), the people who got the announcement
zero times (target 0) and twice or more (target ≤ the sends in flight), and the 429 answers
(target 0). The exit status is 1 when a target is missed.

    .venv/bin/python bench/announce.py [--subscribers 10000]

About six minutes for 10 000 subscribers (Telegram's 30/s is the limit); `--subscribers 1000`
takes under a minute. The bot keeps itself on one CPU as it does by default (CPU_AFFINITY=auto);
this process, which only plays Telegram, runs no full garbage collections while it measures
(see `quiet_collector`).
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import gc
import os
import signal
import socket
import sqlite3
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import build_environment, load_organisation, prepare_database  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.services.dialogues import SessionPlan, create_session  # noqa: E402
from storage.repository import SqlStore  # noqa: E402
from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram, SentMessage  # noqa: E402

GLOBAL_RATE = 30
PER_CHAT_RATE = 1
TARGET_RATE_FRACTION = 0.95
FIRST_USER_ID = 1_000_001
COMMUNE = "PD"
ORGANISER = "pd.chutich"
TOPIC = "Giải phóng mặt bằng đường liên xã Phú Đình - Định Hóa"
STARTUP_SECONDS = 60.0  # the most a phase may spend before its first send
SLACK = 2.0  # a phase may take this many times its duration at the nominal rate


def stamp(moment: datetime) -> str:
    """How the models store a time in SQLite (naive UTC)."""
    return moment.astimezone(UTC).replace(tzinfo=None).isoformat(sep=" ")


def subscribe(path: Path, subscribers: int, now: datetime) -> None:
    """N Telegram citizens, consent given, each following the commune: written in bulk."""
    db = sqlite3.connect(path)
    when = stamp(now)
    users = range(FIRST_USER_ID, FIRST_USER_ID + subscribers)
    db.executemany(
        "INSERT INTO citizens (id, channel, chat_id, user_id, consent_at, created_at)"
        " VALUES (?, 'telegram', ?, ?, ?, ?)",
        ((n, str(n), str(n), when, when) for n in users),
    )
    db.executemany(
        "INSERT INTO subscriptions (citizen_id, place, created_at) VALUES (?, ?, ?)",
        ((n, COMMUNE, when) for n in users),
    )
    db.commit()
    db.close()


async def prepare(settings: Settings, path: Path, subscribers: int) -> None:
    """Migrate and sync the demo organisation as the app does, add the subscribers, and let the
    chairman create a session: its announcement job is then due."""
    org = load_organisation(None)
    db = await prepare_database(settings, org)
    now = datetime.now(UTC)
    await asyncio.to_thread(subscribe, path, subscribers, now)
    env = build_environment(settings, org, now)
    async with db.transaction() as session:
        store = SqlStore(session)
        chairman = await store.officer_by_handle(ORGANISER)
        assert chairman is not None
        await create_session(
            store,
            env,
            chairman,
            SessionPlan(
                topic=TOPIC,
                leader_id=chairman.id,
                starts_at=now + timedelta(days=4),
                place="Hội trường UBND xã Phú Đình",
                link=None,
                audience=(COMMUNE,),
                capacity=500,
                registration_closes_at=now + timedelta(days=3),
                subscribers_may_ask=False,
            ),
            now,
        )
    await db.close()


def quiet_collector() -> None:
    """Keep the fake server from pausing: it is the instrument, not the subject.

    It keeps a record of every call; a full garbage collection over that growing record stops it
    for 0.1-0.2 s, after which the sends that waited are counted as arriving together (a burst
    that Telegram, or the bot, did not make). So this process runs only the young collections.
    """
    gc.collect()
    gc.freeze()
    young, middle, _ = gc.get_threshold()
    gc.set_threshold(young, middle, 1_000_000_000)


def free_port() -> int:
    """A TCP port nobody listens on now."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def bot_environment(server: FakeTelegram, data_dir: Path, database: Path) -> dict[str, str]:
    """The caller's environment without any of the bot's settings, then ours."""
    names = {name.upper() for name in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in names}
    env.update(
        TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
        TELEGRAM_API_URL=server.api_url,
        DATABASE_URL=f"sqlite+aiosqlite:///{database}",
        DATA_DIR=str(data_dir),
        HTTP_PORT=str(free_port()),
        SANDBOX="false",
        SCHEDULER_TICK_SECONDS="1",
        PYTHONPATH=str(ROOT),
    )
    return env


async def start_bot(
    env: dict[str, str], data_dir: Path, log_name: str
) -> asyncio.subprocess.Process:
    """`python -m bot`, run from the data folder (so no developer's .env is read), logging to a
    file there."""
    with (data_dir / log_name).open("wb") as log:
        return await asyncio.create_subprocess_exec(
            sys.executable, "-m", "bot", cwd=data_dir, env=env, stdout=log, stderr=log
        )


def announcements(server: FakeTelegram, marker: str = TOPIC) -> list[SentMessage]:
    """The announcements the server accepted, in order (the bot sends subscribers nothing else):
    the messages that carry `marker` (the session's topic, a consultation's title)."""
    return [sent for sent in server.sent_messages() if marker in (sent.text or "")]


def outbox_state(path: Path) -> tuple[set[str], int, int]:
    """Chats whose announcement is still unsent, rows marked sent, rows given up."""
    db = sqlite3.connect(path, timeout=10)
    try:
        unsent = {
            chat
            for (chat,) in db.execute(
                "SELECT chat_id FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
            )
        }
        sent = db.execute("SELECT count(*) FROM outbox WHERE sent_at IS NOT NULL").fetchone()[0]
        failed = db.execute("SELECT count(*) FROM outbox WHERE failed_at IS NOT NULL").fetchone()[0]
        return unsent, int(sent), int(failed)
    finally:
        db.close()


def pending_rows(path: Path) -> int:
    """Outbox rows neither sent nor given up."""
    db = sqlite3.connect(path, timeout=10)
    try:
        query = "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND failed_at IS NULL"
        return int(db.execute(query).fetchone()[0])
    finally:
        db.close()


async def wait_until(
    bot: asyncio.subprocess.Process, done: Callable[[], bool], seconds: float, what: str
) -> None:
    """Poll `done` every few milliseconds; fail if the bot exits or time runs out."""
    deadline = time.monotonic() + seconds
    while not done():
        if bot.returncode is not None:
            raise RuntimeError(f"the bot exited ({bot.returncode}) before {what}")
        if time.monotonic() > deadline:
            raise TimeoutError(f"no {what} within {seconds:.0f} s")
        await asyncio.sleep(0.005)


async def wait_pending_zero(bot: asyncio.subprocess.Process, path: Path, seconds: float) -> None:
    """Poll the database until no outbox row is pending; fail if the bot exits or time runs out."""
    deadline = time.monotonic() + seconds
    while await asyncio.to_thread(pending_rows, path):
        if bot.returncode is not None:
            raise RuntimeError(f"the bot exited ({bot.returncode}) with rows pending")
        if time.monotonic() > deadline:
            raise TimeoutError(f"outbox rows still pending after {seconds:.0f} s")
        await asyncio.sleep(0.5)


def rate(sends: list[SentMessage]) -> float:
    """Sends per second from the first accepted send to the last (intervals over time)."""
    if len(sends) < 2:
        return 0.0
    return (len(sends) - 1) / (sends[-1].sent_at - sends[0].sent_at)


@dataclass
class Figures:
    """What one run measured."""

    subscribers: int
    phase1: list[SentMessage]
    phase2: list[SentMessage]
    in_flight: int
    marked_sent: int
    zero: int
    twice: int
    count_429: int
    failed: int
    other_errors: Counter[str]


Prepare = Callable[[Settings, Path, int], Awaitable[None]]


async def run(
    subscribers: int, folder: Path, setup: Prepare | None = None, marker: str = TOPIC
) -> Figures:
    """Set up (`setup`: subscribers and what is announced to them; by default a dialogue
    session), run the two phases, and count the messages carrying `marker`."""
    database = folder / "announce.sqlite3"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        database_url=f"sqlite+aiosqlite:///{database}",
        data_dir=folder,
    )
    started = time.perf_counter()
    await (setup or prepare)(settings, database, subscribers)
    print(
        f"  database ready: {subscribers:,} subscribers, announcement due "
        f"({time.perf_counter() - started:.1f} s)"
    )
    half = subscribers // 2
    phase_seconds = STARTUP_SECONDS + SLACK * subscribers / GLOBAL_RATE
    async with FakeTelegram(global_rate=GLOBAL_RATE, per_chat_rate=PER_CHAT_RATE) as server:
        for user_id in range(FIRST_USER_ID, FIRST_USER_ID + subscribers):
            server.user(user_id)
        quiet_collector()
        env = bot_environment(server, folder, database)

        bot = await start_bot(env, folder, "bot-1.log")
        try:
            await wait_until(
                bot, lambda: len(server.sent_messages()) >= half, phase_seconds, "half sent"
            )
            bot.send_signal(signal.SIGKILL)
            await bot.wait()
        finally:
            if bot.returncode is None:
                bot.kill()
                await bot.wait()
        # Requests the bot wrote before dying are still answered: let the server read them.
        await asyncio.sleep(1.0)
        phase1 = announcements(server, marker)
        unsent, marked_sent, _ = await asyncio.to_thread(outbox_state, database)
        in_flight = len({str(sent.chat_id) for sent in phase1} & unsent)
        print(f"  phase 1: {len(phase1):,} accepted, bot killed (SIGKILL)")

        bot = await start_bot(env, folder, "bot-2.log")
        try:
            await wait_pending_zero(bot, database, phase_seconds)
        finally:
            if bot.returncode is None:
                bot.send_signal(signal.SIGTERM)
                try:
                    await asyncio.wait_for(bot.wait(), 30)
                except TimeoutError:
                    bot.kill()
                    await bot.wait()
        everything = announcements(server, marker)
        print(
            f"  phase 2: {len(everything) - len(phase1):,} accepted, outbox empty, "
            "bot stopped (SIGTERM)"
        )
        _, _, failed = await asyncio.to_thread(outbox_state, database)
        received = Counter(sent.chat_id for sent in everything)
        users = range(FIRST_USER_ID, FIRST_USER_ID + subscribers)
        other_errors = Counter(
            f"{call.method} {call.status}"
            for call in server.calls
            if call.status not in (200, 429) and call.method != "getUpdates"
        )
        return Figures(
            subscribers=subscribers,
            phase1=phase1,
            phase2=everything[len(phase1) :],
            in_flight=in_flight,
            marked_sent=marked_sent,
            zero=sum(1 for user in users if received[user] == 0),
            twice=sum(1 for user in users if received[user] >= 2),
            count_429=server.count_429,
            failed=failed,
            other_errors=other_errors,
        )


def report(figures: Figures) -> bool:
    """Print the table; True when every target is met."""
    rows: list[tuple[str, str, str, bool | None]] = []

    def add(name: str, value: str, target: str = "", ok: bool | None = None) -> None:
        rows.append((name, value, target, ok))

    for label, sends in (("phase 1", figures.phase1), ("phase 2", figures.phase2)):
        achieved = rate(sends)
        span = sends[-1].sent_at - sends[0].sent_at if len(sends) > 1 else 0.0
        add(
            f"rate, {label} ({len(sends):,} sends in {span:.1f} s)",
            f"{achieved:.2f}/s = {achieved / GLOBAL_RATE:.3f}",
            f"≥ {TARGET_RATE_FRACTION}",
            achieved / GLOBAL_RATE >= TARGET_RATE_FRACTION,
        )
    add("outbox rows marked sent at the kill", f"{figures.marked_sent:,}")
    add("sends in flight at the kill", f"{figures.in_flight:,}")
    add("people who got it zero times", f"{figures.zero:,}", "0", figures.zero == 0)
    add(
        "people who got it twice or more",
        f"{figures.twice:,}",
        f"≤ {figures.in_flight}",
        figures.twice <= figures.in_flight,
    )
    add("429 answers", f"{figures.count_429:,}", "0", figures.count_429 == 0)
    if figures.failed:
        add("outbox rows given up", f"{figures.failed:,}", "0", False)
    width = max(len(row[0]) for row in rows)
    value_width = max(len(row[1]) for row in rows)
    for name, value, target, ok in rows:
        verdict = "" if ok is None else ("ok" if ok else "MISSED")
        print(f"{name:<{width}}  {value:>{value_width}}  {target:<8} {verdict}".rstrip())
    for error, count in sorted(figures.other_errors.items()):
        print(f"other refused calls: {error} × {count}")
    return all(ok is not False for *_, ok in rows)


async def main(subscribers: int) -> int:
    """Run once in a temporary folder; return the exit status."""
    print(
        f"Announcement to {subscribers:,} subscribers; fake Bot API at {GLOBAL_RATE}/s overall "
        f"and {PER_CHAT_RATE}/s per chat; the bot killed half way and restarted"
    )
    with tempfile.TemporaryDirectory() as folder:
        try:
            figures = await run(subscribers, Path(folder))
        except (RuntimeError, TimeoutError) as failure:
            print(f"FAILED: {failure}")
            for log in sorted(Path(folder).glob("bot-*.log")):
                print(f"--- last lines of {log.name}")
                lines = log.read_text(errors="replace").splitlines()
                print("\n".join(lines[-20:]))
            return 1
        return 0 if report(figures) else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=10_000)
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main(arguments.subscribers)))
