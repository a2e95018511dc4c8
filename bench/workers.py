"""Filing throughput with real worker processes: SQLite, PostgreSQL with one worker and with two.

Each run starts the bot as `python -m bot` subprocesses in webhook mode behind a round-robin
proxy (what nginx does), on a fresh database, against the fake Bot API server of tests/ which
posts updates as Telegram does (several connections at once, each chat in order). The same
simulated citizens as bench/filing_throughput.py walk the 13-step filing conversation, each
waiting for the answer before the next step. Printed: updates/s, p50/p95 from an update to the
bot's first reply, and the ratios two workers / one worker and PostgreSQL / SQLite.

    .venv/bin/python bench/workers.py [--citizens 60]

Each worker is kept on its own CPU (CPU_AFFINITY 0 and 1). On a 2-core machine the driver
(fake server, proxy, citizens) and PostgreSQL share those cores with the workers, so the ratio
shows what a second worker buys when the machine is already busy, not a ceiling.
"""

from __future__ import annotations

import argparse
import asyncio
import itertools
import os
import socket
import subprocess
import sys
import tempfile
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import aiohttp
from aiohttp import web

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

from filing_throughput import FILING, describe, run_load  # noqa: E402

from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram  # noqa: E402
from tests.postgres import PostgresServer  # noqa: E402

SECRET = "bench-s3cret"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@asynccontextmanager
async def round_robin(backends: list[str]) -> AsyncIterator[str]:
    """A reverse proxy that hands each request to the next backend; yields its URL."""
    turn = itertools.count()
    http = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=200))

    async def forward(request: web.Request) -> web.Response:
        backend = backends[next(turn) % len(backends)]
        async with http.post(
            backend + request.path, data=await request.read(), headers=request.headers
        ) as answer:
            return web.Response(status=answer.status, body=await answer.read())

    app = web.Application()
    app.router.add_post("/{path:.*}", forward)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()
        await http.close()


def start_worker(
    number: int, database_url: str, api_url: str, public_url: str, data: Path
) -> tuple[subprocess.Popen[bytes], str]:
    """One `python -m bot` worker on its own port and CPU; returns it and its base URL."""
    port = free_port()
    environment = {
        **os.environ,
        "TELEGRAM_BOT_TOKEN": DEFAULT_TOKEN,
        "TELEGRAM_API_URL": api_url,
        "DATABASE_URL": database_url,
        "DATA_DIR": str(data),
        "HTTP_PORT": str(port),
        "WEBHOOK_BASE_URL": public_url,
        "TELEGRAM_WEBHOOK_SECRET": SECRET,
        "SANDBOX": "false",
        "WORKER_NAME": f"w{number}",
        "CPU_AFFINITY": os.environ.get("BENCH_AFFINITY", str(number % (os.cpu_count() or 1))),
        "OUTBOX_GLOBAL_RATE": "100000",
        "OUTBOX_PER_CHAT_RATE": "100000",
        "OUTBOX_PER_CHAT_BURST": "100",
        "FLOOD_BURST": "1000000",  # simulated people answer in milliseconds (bot.pace)
        "OUTBOX_MAX_IN_FLIGHT": "4",
        "LOG_FORMAT": "json",
    }
    process = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    return process, f"http://127.0.0.1:{port}"


async def healthy(url: str, seconds: float = 60.0) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(int(seconds * 10)):
            try:
                async with http.get(f"{url}/healthz") as answer:
                    if answer.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError(f"no worker at {url}")


async def run(database_url: str, workers: int, citizens: int) -> tuple[float, list[float]]:
    """One measured load against `workers` processes on one database."""
    backends: list[str] = []
    processes = []
    with tempfile.TemporaryDirectory() as folder:
        async with (
            FakeTelegram(webhook_parallel=True) as telegram,
            round_robin(backends) as public_url,
        ):
            try:
                for number in range(workers):
                    process, url = start_worker(
                        number, database_url, telegram.api_url, public_url, Path(folder)
                    )
                    processes.append(process)
                    backends.append(url)
                    await healthy(url)
                await run_load(telegram, FILING[:2], 90_000, citizens)  # warm-up, not counted
                return await run_load(telegram, FILING, 20_000, citizens)
            finally:
                for process in processes:
                    process.terminate()
                for process in processes:
                    process.wait(timeout=30)


async def main(citizens: int) -> None:
    print(f"Filing throughput, {citizens} citizens at once, {len(FILING)} updates each")
    with tempfile.TemporaryDirectory() as folder:
        sqlite_rate, sqlite_latencies = await run(
            f"sqlite+aiosqlite:///{folder}/bench.sqlite3", 1, citizens
        )
    postgres = PostgresServer()
    postgres.start()
    try:
        one_rate, one_latencies = await run(postgres.fresh_database("one"), 1, citizens)
        two_rate, two_latencies = await run(postgres.fresh_database("two"), 2, citizens)
    finally:
        postgres.stop()
    describe("SQLite, 1 worker", sqlite_rate, sqlite_latencies)
    describe("PostgreSQL, 1 worker", one_rate, one_latencies)
    describe("PostgreSQL, 2 workers", two_rate, two_latencies)
    print(f"ratio PostgreSQL 2 workers / 1 worker: {two_rate / one_rate:.2f}")
    print(f"ratio PostgreSQL 1 worker / SQLite:    {one_rate / sqlite_rate:.2f}")


if __name__ == "__main__":
    arguments = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    arguments.add_argument("--citizens", type=int, default=60)
    started = time.perf_counter()
    asyncio.run(main(arguments.parse_args().citizens))
    print(f"({time.perf_counter() - started:.0f} s in all)")
