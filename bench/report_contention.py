"""Citizens' reply times while an inspector asks in chat for the province's quarterly report.

The report over a large archive takes seconds of queries and workbook writing. Built inside the
dispatcher's turn (as it was until the report became a job prepared on a read snapshot), that
turn held SQLite's write lock (and the process's write queue) the whole time, so every other
chat waited for it. This bench shows how long they wait:

1. a province archive is stored with bench/reports.py (in a child process, as there), with an
   inspector of the provincial inspectorate added to its organisation file (inspectors of the
   inspectorate report on the province);
2. the real `bot.app.Application` runs in this process on that database in sandbox mode, on a
   clock that starts on Monday 16/03/2026 (Q1 2026 has closed) and moves with real time, and is
   driven through the sandbox page's HTTP API, as tests/sandbox_client.py does;
3. citizens each send `/start` again and again, one after another, timing each message from the
   request until that chat's whole answer is on the page;
4. phase A: citizens only, for a while (the baseline); phase B: the same citizens while the
   inspector presses «📑 Báo cáo» → Q1 → the province, until the XLSX arrives, and a little more.

Printed: citizens' p50/p95/max in both phases, how many messages waited 1 s or more, the ratio
of the p95s, and for the inspector the time from the last press to the first reply and to the
workbook. The workbook is waited for on the chat's page (120 s at most), so it may come as the
direct answer or later from a job. Read the max and the slow count first: a citizen waits for
each answer, so a stall holds one message per citizen while the others of the phase are quick,
and the p95 hardly moves; work spread over the phase (a background report) moves it more.

    .venv/bin/python bench/report_contention.py [--petitions 300000] [--citizens 10]

The sandbox page offers three citizens; more are added to its list for this run. The process is
kept on one CPU as `python -m bot` runs by default; the citizens' client shares it, as the
page's requests would share the bot's event loop anyway.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import re
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

import bot.web.app as web_app  # noqa: E402
from bench import reports  # noqa: E402
from bot.__main__ import run_event_loop  # noqa: E402
from bot.affinity import pin_process  # noqa: E402
from bot.app import Application, load_organisation  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.sandbox_client import SandboxPerson  # noqa: E402

START = datetime(2026, 3, 16, 3, 0, tzinfo=UTC)  # 10:00 on Monday 16/03/2026 in Hà Nội
INSPECTOR = "p.thanhtra"
XLSX_TIMEOUT = 120.0
POLL_SECONDS = 20.0  # the page's long poll
SLOW = 1.0  # each citizen waits for their answer, so a stall slows one message each: count them
Line = dict[str, Any]


def organisation_file(folder: Path) -> Path:
    """The bench province of reports.py, with an inspector of its inspectorate."""
    path = reports.organisation_file(folder)
    with path.open("a", encoding="utf-8") as org:
        org.write(
            f'\n\n[[officers]]\nhandle = "{INSPECTOR}"\nname = "Thanh tra viên"\n'
            'title = "Thanh tra viên"\nunit = "P-TT"\nroles = ["inspector"]\n'
        )
    return path


def fill(folder: Path, count: int) -> None:
    """Schema, organisation and archive, written by reports.py in a child process."""
    started = time.perf_counter()
    subprocess.run(
        [sys.executable, reports.__file__, "--fill-into", str(folder), "--petitions", str(count)],
        check=True,
    )
    size = (folder / "reports.sqlite3").stat().st_size / 1e6
    print(f"{count:,} petitions stored in {time.perf_counter() - started:.0f} s ({size:.0f} MB)")


def settings_for(folder: Path) -> Settings:
    """The filled database in sandbox mode, as the tests run the app: no messenger, any port."""
    return Settings(  # type: ignore[call-arg]
        _env_file=None,
        database_url=reports.settings_for(folder).database_url,
        org_file=folder / "org.toml",
        data_dir=folder / "data",
        http_port=0,
        sandbox=True,
        telegram_bot_token="",
        webhook_base_url="",
        flood_burst=1_000_000,  # simulated people answer in milliseconds (bot.pace)
    )


def moving_clock() -> Callable[[], datetime]:
    """START, advancing with real time (jobs planned "now" fall due as they would)."""
    origin = time.monotonic()
    return lambda: START + timedelta(seconds=time.monotonic() - origin)


def citizen_chats(count: int) -> list[str]:
    """Sandbox citizens; the page's list only has three, so it is lengthened before start."""
    chats = [f"citizen-{n}" for n in range(1, count + 1)]
    web_app.CITIZEN_PERSONAS = tuple(dict.fromkeys([*web_app.CITIZEN_PERSONAS, *chats]))
    return chats


class Chat(SandboxPerson):
    """A sandbox person who does not wait for the whole bot to be idle, only for their chat."""

    async def post(self, action: dict[str, Any]) -> bool:
        """Send one action; False when the page refused it (the bot could not store it)."""
        async with self.http.post(
            f"{self.base}/send",
            json={"chat": self.chat, "action": action},
            headers={"X-Sandbox": "1"},
        ) as response:
            return response.status == 200

    async def lines_until(
        self, done: Callable[[list[Line]], bool], timeout: float = XLSX_TIMEOUT
    ) -> list[Line]:
        """The bot's new lines of this chat, long-polled until `done` holds for them."""
        seen: list[Line] = []
        async with asyncio.timeout(timeout):
            while not done(seen):
                async with self.http.get(
                    f"{self.base}/messages",
                    params={"chat": self.chat, "after": self.seen, "wait": POLL_SECONDS},
                    headers={"X-Sandbox": "1"},
                ) as response:
                    lines = (await response.json())["messages"]
                if lines:
                    self.seen = lines[-1]["id"]
                seen += [line for line in lines if line["sender"] == "bot"]
        return seen


def button(lines: list[Line], pattern: str) -> str | None:
    """The callback data of the first button whose data matches `pattern`."""
    for line in lines:
        for row in line["buttons"]:
            for offered in row:
                if re.fullmatch(pattern, offered["data"]):
                    return str(offered["data"])
    return None


async def press(chat: Chat, lines: list[Line], pattern: str) -> None:
    """Press the button matching `pattern` (read from the bot's lines, or waited for)."""
    with contextlib.suppress(TimeoutError):
        lines += await chat.lines_until(lambda more: button(lines + more, pattern) is not None, 30)
    data = button(lines, pattern)
    if data is None:
        offered = [b["data"] for line in lines for row in line["buttons"] for b in row]
        raise SystemExit(f"no button {pattern!r} in the bot's answer; offered: {offered}")
    await chat.post({"kind": "callback", "data": data})


def is_xlsx(line: Line) -> bool:
    return str(line.get("document") or "").endswith(".xlsx")


async def warm_up(citizens: list[Chat]) -> int:
    """Citizens read the privacy notice and agree; return how many lines `/start` answers."""
    counts = set()
    for citizen in citizens:
        notice = await citizen.act({"kind": "text", "text": "/start"})
        await citizen.act({"kind": "callback", "data": button(notice, r"pv:ok") or "pv:ok"})
        counts.add(len(await citizen.act({"kind": "text", "text": "/start"})))
    if len(counts) != 1 or 0 in counts:
        raise SystemExit(f"citizens' /start is answered with {counts} lines")
    return counts.pop()


@dataclass
class Timings:
    """Citizens' reply times, and messages refused or never answered."""

    seconds: list[float] = field(default_factory=list)
    refused: int = 0


async def keep_asking(citizen: Chat, replies: int, stop: asyncio.Event, out: Timings) -> None:
    """Send `/start` and wait for its whole answer, again and again until told to stop."""
    while not stop.is_set():
        started = time.perf_counter()
        if not await citizen.post({"kind": "text", "text": "/start"}):
            out.refused += 1
            await asyncio.sleep(0.5)
            continue
        try:
            await citizen.lines_until(lambda lines: len(lines) >= replies)
        except TimeoutError:
            out.refused += 1
            continue
        out.seconds.append(time.perf_counter() - started)


@dataclass
class Inspector:
    """When the inspector's answers came, counted from the last press."""

    first_reply: float | None = None
    workbook: float | None = None
    first_text: str = ""


async def ask_for_report(chat: Chat, menu: list[Line], province: str) -> Inspector:
    """«📑 Báo cáo» from the officer's menu, this year's Q1, the province; wait for the XLSX."""
    await press(chat, menu, r"rp:home")
    await press(chat, [], r"\d+\.report")
    await press(chat, [], rf"\d+\.{START.year}-Q1")
    result = Inspector()
    pressed = time.perf_counter()
    await press(chat, [], rf"\d+\.{re.escape(province)}")
    lines = await chat.lines_until(bool)
    result.first_reply = time.perf_counter() - pressed
    result.first_text = lines[0]["text"].splitlines()[0][:70] if lines[0]["text"] else ""
    with contextlib.suppress(TimeoutError):
        if not any(is_xlsx(line) for line in lines):
            await chat.lines_until(lambda more: any(is_xlsx(line) for line in more))
        result.workbook = time.perf_counter() - pressed
    return result


async def phase(
    citizens: list[Chat], replies: int, until: Callable[[], Any], tail: float
) -> Timings:
    """Citizens keep asking while `until()` runs, and `tail` seconds after it."""
    stop = asyncio.Event()
    timings = Timings()
    load = [asyncio.create_task(keep_asking(c, replies, stop, timings)) for c in citizens]
    await asyncio.sleep(0.2)  # every citizen has a message in hand
    try:
        await until()
        await asyncio.sleep(tail)
    finally:
        stop.set()
        await asyncio.gather(*load)
    return timings


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def row(name: str, timings: Timings) -> tuple[float, str]:
    """One line of the table; also the p95, for the ratio."""
    values = timings.seconds
    p95 = percentile(values, 0.95)
    slow = sum(value >= SLOW for value in values)
    refused = f", {timings.refused} refused or unanswered" if timings.refused else ""
    return p95, (
        f"{name:<22} {statistics.median(values) * 1000:8.0f} {p95 * 1000:8.0f}"
        f" {max(values) * 1000:8.0f} {slow:8d}   ({len(values)} messages{refused})"
    )


def seconds(value: float | None) -> str:
    return f"{value:.2f} s" if value is not None else f"none within {XLSX_TIMEOUT:.0f} s"


def report(baseline: Timings, during: Timings, inspector: Inspector, citizens: int) -> None:
    print(f"\n{citizens} citizens sending /start, each waiting for the answer (ms)")
    print(f"{'':<22} {'p50':>8} {'p95':>8} {'max':>8} {'≥ 1 s':>8}")
    base_p95, line = row("baseline", baseline)
    print(line)
    during_p95, line = row("during the report", during)
    print(line)
    print(f"p95 during / baseline: {during_p95 / base_p95:.1f}")
    print(f"inspector, last press → first reply: {seconds(inspector.first_reply)}"
          f" ({inspector.first_text!r})")  # fmt: skip
    print(f"inspector, last press → XLSX:        {seconds(inspector.workbook)}")


async def run(folder: Path, citizens: int, baseline_seconds: float, tail: float) -> bool:
    """Start the bot on the filled database, warm up, then the two phases."""
    settings = settings_for(folder)
    province = next(u.code for u in load_organisation(settings.org_file).units.values()
                    if u.kind == "province")  # fmt: skip
    chats = citizen_chats(citizens)
    app = Application(settings, clock=moving_clock())
    await app.start()
    timeout = aiohttp.ClientTimeout(total=XLSX_TIMEOUT + 30)
    try:
        async with aiohttp.ClientSession(timeout=timeout) as http:
            people = [Chat(app, http, chat) for chat in chats]
            replies = await warm_up(people)
            inspector = Chat(app, http, f"officer-{INSPECTOR}")
            menu = await inspector.act({"kind": "text", "text": "/start"})
            print(f"phase A: {citizens} citizens alone for {baseline_seconds:.0f} s")
            baseline = await phase(people, replies, lambda: asyncio.sleep(baseline_seconds), tail=0)
            print("phase B: the same, while the inspector asks for the province's Q1 report")
            asked: list[Inspector] = []

            async def ask() -> None:
                asked.append(await ask_for_report(inspector, menu, province))

            during = await phase(people, replies, ask, tail)
    finally:
        await app.stop()
    report(baseline, during, asked[0], citizens)
    return asked[0].workbook is not None


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--petitions", type=int, default=300_000)
    parser.add_argument("--citizens", type=int, default=10)
    parser.add_argument("--baseline-seconds", type=float, default=10.0)
    parser.add_argument("--tail-seconds", type=float, default=2.0, help="phase B after the XLSX")
    arguments = parser.parse_args()
    started = time.perf_counter()
    with tempfile.TemporaryDirectory() as name:
        folder = Path(name)
        organisation_file(folder)
        fill(folder, arguments.petitions)
        pin_process("auto")  # as `python -m bot` runs by default
        ok: list[bool] = []

        async def bench() -> None:
            ok.append(
                await run(
                    folder, arguments.citizens, arguments.baseline_seconds, arguments.tail_seconds
                )
            )

        run_event_loop(bench())
    print(f"whole run: {time.perf_counter() - started:.0f} s")
    sys.exit(0 if ok and ok[0] else 1)


if __name__ == "__main__":
    main()
