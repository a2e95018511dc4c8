"""Filing throughput: our bot's full filing conversation vs a bare python-telegram-bot echo bot.

Both run in this process against the same fake Bot API server (tests/fake_telegram.py) over
HTTP, driven by the same simulated citizens, each waiting for the bot's answer before the next
step as a person would. Printed: updates/s for both, their ratio (target ≥ 0.6), and p50/p95 time
from an update being queued to the bot's first reply.

    .venv/bin/python bench/filing_throughput.py [--citizens 50] [--rounds 1]

Rate limits are raised for this run (the fake enforces none): the benchmark measures the bot's
own cost per update, not Telegram's pacing, which tests/test_outbox.py covers. The bare echo bot
is PTB's default Application (one update at a time, as in its echobot example); a concurrent
variant is printed too.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from telegram import InlineKeyboardButton, InlineKeyboardMarkup, Update  # noqa: E402
from telegram.ext import Application as PtbApplication  # noqa: E402
from telegram.ext import CallbackQueryHandler, ContextTypes, MessageHandler, filters  # noqa: E402

from bot.__main__ import run_event_loop  # noqa: E402
from bot.affinity import cpus_for  # noqa: E402
from bot.app import Application  # noqa: E402
from bot.config import Settings  # noqa: E402
from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram, SimUser  # noqa: E402

Step = tuple[Callable[[SimUser], Awaitable[object]], int]


def press(label: str) -> Callable[[SimUser], Awaitable[object]]:
    return lambda user: user.press(label)


def say(text: str) -> Callable[[SimUser], Awaitable[object]]:
    return lambda user: user.send_text(text)


# (what the citizen does, how many messages the bot answers with)
FILING: list[Step] = [
    (lambda u: u.send_command("/start"), 1),
    (press("✅ Tôi đã hiểu, tiếp tục"), 1),
    (press("📝 Gửi đơn"), 1),
    (press("Khiếu nại"), 1),
    (press("Đất đai"), 1),
    (press("Xã Phú Đình"), 1),
    (press("Xóm Na Mao"), 1),
    (say("Đường vào xóm bị lấn chiếm, xin xã xem xét giải quyết."), 1),
    (press("✅ Xong"), 1),
    (say("Nguyễn Văn Bền"), 1),
    (lambda u: u.share_contact("0912345678"), 1),
    (say("Xóm Na Mao, xã Phú Đình"), 1),
    (press("📨 Gửi đơn"), 1),
]
PRESSED = {1, 2, 3, 4, 5, 6, 8, 12}  # the steps above that press a button


async def citizen(user: SimUser, steps: list[Step], latencies: list[float]) -> None:
    """Walk through the steps, timing each update to the bot's first reply."""
    for act, replies in steps:
        started = time.perf_counter()
        await act(user)
        await user.next_reply(timeout=60)
        latencies.append(time.perf_counter() - started)
        for _ in range(replies - 1):
            await user.next_reply(timeout=60)


async def run_load(
    server: FakeTelegram, steps: list[Step], first_user: int, citizens: int
) -> tuple[float, list[float]]:
    """Run `citizens` people at once; return updates/s and latencies."""
    latencies: list[float] = []
    users = [server.user(first_user + n, f"Dân {n}") for n in range(citizens)]
    started = time.perf_counter()
    await asyncio.gather(*(citizen(user, steps, latencies) for user in users))
    elapsed = time.perf_counter() - started
    return len(latencies) / elapsed, latencies


async def echo(update: Update, _context: ContextTypes.DEFAULT_TYPE) -> None:
    """Echo a message or a button press back, with one button to press next."""
    keyboard = InlineKeyboardMarkup([[InlineKeyboardButton("tiếp", callback_data="next")]])
    if update.callback_query is not None:
        await update.callback_query.answer()
        chat = update.callback_query.message.chat  # type: ignore[union-attr]
        await chat.send_message(update.callback_query.data or "", reply_markup=keyboard)
    elif update.effective_message is not None:
        text = update.effective_message.text or "ok"
        await update.effective_message.reply_text(text, reply_markup=keyboard)


def echo_steps() -> list[Step]:
    """The same updates as the filing, of the same kinds: a press where the filing presses."""
    return [(press("tiếp") if n in PRESSED else say(f"tin {n}"), 1) for n in range(len(FILING))]


async def bench_echo(
    server: FakeTelegram, citizens: int, concurrent: bool
) -> tuple[float, list[float]]:
    """The baseline: python-telegram-bot's Application long polling, as in its echobot example.

    `concurrent` also lets it handle updates concurrently (a stronger baseline than the bare
    default, which handles one update at a time).
    """
    builder = (
        PtbApplication.builder()
        .token(DEFAULT_TOKEN)
        .base_url(server.base_url)
        .base_file_url(server.base_file_url)
    )
    if concurrent:
        builder = builder.concurrent_updates(True).connection_pool_size(64)
    application = builder.build()
    application.add_handler(MessageHandler(filters.ALL, echo))
    application.add_handler(CallbackQueryHandler(echo))
    async with application:
        await application.start()
        assert application.updater is not None
        await application.updater.start_polling(poll_interval=0, timeout=10)
        try:
            return await run_load(server, echo_steps(), 10_000, citizens)
        finally:
            await application.updater.stop()
            await application.stop()


async def bench_filing(
    server: FakeTelegram, citizens: int, data_dir: Path
) -> tuple[float, list[float]]:
    """Our bot: the Telegram adapter, inbox, dispatcher, SQLite, outbox, the filing handlers."""
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=DEFAULT_TOKEN,
        telegram_api_url=server.api_url,
        database_url=f"sqlite+aiosqlite:///{data_dir / 'bench.sqlite3'}",
        data_dir=data_dir,
        http_port=0,
        sandbox=False,
        outbox_global_rate=100_000,
        outbox_per_chat_rate=100_000,
        outbox_per_chat_burst=100,
        # Simulated citizens answer in milliseconds, far faster than people (bot.pace).
        flood_burst=1_000_000,
        # The fake answers in a millisecond: two requests in flight keep it busy (production's
        # default of 8 covers the round trip to the real Bot API).
        outbox_max_in_flight=2,
    )
    application = Application(settings)
    await application.start()
    try:
        return await run_load(server, FILING, 20_000, citizens)
    finally:
        await application.stop()


def percentile(values: list[float], fraction: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


def describe(name: str, rate: float, latencies: list[float]) -> None:
    print(
        f"{name:<22} {rate:8.1f} updates/s   p50 {statistics.median(latencies) * 1000:6.1f} ms"
        f"   p95 {percentile(latencies, 0.95) * 1000:6.1f} ms   ({len(latencies)} updates)"
    )


async def measure(citizens: int) -> None:
    """The three runs, each against a fresh fake server, and their ratios."""
    async with FakeTelegram() as server:
        echo_rate, echo_latencies = await bench_echo(server, citizens, concurrent=False)
    async with FakeTelegram() as server:
        fast_rate, fast_latencies = await bench_echo(server, citizens, concurrent=True)
    async with FakeTelegram() as server:
        with tempfile.TemporaryDirectory() as folder:
            filing_rate, filing_latencies = await bench_filing(server, citizens, Path(folder))
    describe("bare PTB echo bot", echo_rate, echo_latencies)
    describe("echo, concurrent", fast_rate, fast_latencies)
    describe("Tiếp Dân filing", filing_rate, filing_latencies)
    print(f"ratio filing / bare echo:       {filing_rate / echo_rate:.2f}   target ≥ 0.60")
    print(f"ratio filing / concurrent echo: {filing_rate / fast_rate:.2f}")


async def main(citizens: int) -> None:
    """Measure on one CPU, as `python -m bot` runs by default, then on any CPU."""
    loop = type(asyncio.get_running_loop()).__module__.split(".")[0]
    print(f"Filing throughput, {citizens} citizens at once, {len(FILING)} updates each ({loop})")
    every_cpu = os.sched_getaffinity(0)
    one_cpu = cpus_for("auto", every_cpu, os.getpid()) or every_cpu
    for label, cpus in (
        (f"on CPU {min(one_cpu)} (CPU_AFFINITY=auto, the default)", one_cpu),
        ("on any CPU (CPU_AFFINITY=none)", every_cpu),
    ):
        os.sched_setaffinity(0, cpus)
        print(f"-- {label}")
        await measure(citizens)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--citizens", type=int, default=50)
    arguments = parser.parse_args()
    run_event_loop(main(arguments.citizens))
