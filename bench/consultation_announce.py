"""Announcing a public consultation (lấy ý kiến, issue 15) to many followers, with the bot killed
half way: the machinery of bench/announce.py, with a consultation in place of a session.

The fake Bot API server runs in this process and enforces Telegram's limits (30 messages/s
overall, 1/s per chat, 429 with retry_after beyond them). N citizens follow the commune of Phú
Đình; its chairman publishes a consultation opening today (`publish_consultation`, as «Công bố»
does), whose announcement job fans out one outbox row per follower (`Store.fan_out`, the same
statement as for sessions) and records how many it reached. The bot (`python -m bot`) is
SIGKILLed once half of the followers have it, then restarted until no outbox row is pending.

Printed, as bench/announce.py prints them: the send rate of each phase against the platform's
30/s (target ≥ 0.95 of it, and never above it: the server answers 429 to a send beyond it,
target 0), the sends in flight at the kill, the people who got the announcement zero times
(target 0) and twice or more (target ≤ the sends in flight), and the reach recorded for the
participation rate (target: every follower). The exit status is 1 when a target is missed.

    .venv/bin/python bench/consultation_announce.py [--subscribers 10000]

About six minutes for 10 000 followers; `--subscribers 1000` takes under a minute.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sqlite3
import sys
import tempfile
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bench.announce import (  # noqa: E402
    COMMUNE,
    GLOBAL_RATE,
    ORGANISER,
    PER_CHAT_RATE,
    report,
    run,
    subscribe,
)
from bot.app import build_environment, load_organisation, prepare_database  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain.consultations import LOCAL_TZ, Question, QuestionKind  # noqa: E402
from bot.services.consultations import ConsultationPlan, publish_consultation  # noqa: E402
from storage.repository import SqlStore  # noqa: E402

TITLE = "Dự thảo phương án đặt điểm tập kết rác thải xã Phú Đình"


async def prepare(settings: Settings, path: Path, subscribers: int) -> None:
    """Migrate and sync the demo organisation, add the followers, and let the chairman publish
    a consultation opening today: its announcement job is then due."""
    org = load_organisation(None)
    db = await prepare_database(settings, org)
    now = datetime.now(UTC)
    await asyncio.to_thread(subscribe, path, subscribers, now)
    env = build_environment(settings, org, now)
    today = now.astimezone(LOCAL_TZ).date()
    async with db.transaction() as session:
        store = SqlStore(session)
        chairman = await store.officer_by_handle(ORGANISER)
        assert chairman is not None
        plan = ConsultationPlan(
            title=TITLE,
            summary="Xã đề xuất ba vị trí; mời người dân cho ý kiến trước khi quyết định.",
            document=None,
            audience=(COMMUNE,),
            opens_on=today,
            closes_on=today + timedelta(days=7),
            questions=(
                Question("Vị trí nào phù hợp?", QuestionKind.ONE, ("Đầu xóm", "Cuối xóm")),
                Question("Mức độ đồng thuận?", QuestionKind.SCALE),
            ),
            anonymous=True,
        )
        await publish_consultation(store, env, chairman, plan, now)
    await db.close()


def reach(path: Path) -> int | None:
    """How many followers the announcement job recorded as reached."""
    db = sqlite3.connect(path, timeout=10)
    try:
        row = db.execute("SELECT reached FROM consultations").fetchone()
        return None if row is None or row[0] is None else int(row[0])
    finally:
        db.close()


async def main(subscribers: int) -> int:
    """Run once in a temporary folder; return the exit status."""
    print(
        f"Consultation announcement to {subscribers:,} followers; fake Bot API at "
        f"{GLOBAL_RATE}/s overall and {PER_CHAT_RATE}/s per chat; the bot killed half way and "
        "restarted"
    )
    with tempfile.TemporaryDirectory() as folder:
        try:
            figures = await run(subscribers, Path(folder), prepare, TITLE)
        except (RuntimeError, TimeoutError) as failure:
            print(f"FAILED: {failure}")
            for log in sorted(Path(folder).glob("bot-*.log")):
                print(f"--- last lines of {log.name}")
                print("\n".join(log.read_text(errors="replace").splitlines()[-20:]))
            return 1
        met = report(figures)
        reached = await asyncio.to_thread(reach, Path(folder) / "announce.sqlite3")
        verdict = "ok" if reached == subscribers else "MISSED"
        print(f"followers reached, recorded for the participation rate  {reached}  {verdict}")
        return 0 if met and reached == subscribers else 1


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--subscribers", type=int, default=10_000)
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main(arguments.subscribers)))
