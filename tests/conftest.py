"""Shared fixtures: a real app on a real database, a controllable clock, HTTP clients.

The database is a SQLite file per test, or with `TEST_DATABASE=postgresql` a fresh database per
test on a PostgreSQL server the tests start themselves (tests/postgres.py).
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import os
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import Application, load_organisation
from bot.config import Settings
from bot.domain.org import Organisation
from storage import models as m
from tests.fake_telegram import DEFAULT_TOKEN, FakeTelegram
from tests.fake_zalo import FakeZalo
from tests.fake_zalo_oa import FakeZaloOa
from tests.postgres import PostgresServer

TEST_DATABASE = os.environ.get("TEST_DATABASE", "sqlite")

# 10:00 in Hà Nội on Monday 2 March 2026: a working day with no holiday nearby.
START = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)


class FakeClock:
    """A clock the test moves by hand."""

    def __init__(self, now: datetime = START) -> None:
        self.now = now

    def __call__(self) -> datetime:
        return self.now

    def advance(self, **delta: float) -> None:
        self.now += timedelta(**delta)


@pytest.fixture
def clock() -> FakeClock:
    return FakeClock()


@functools.cache
def postgres_server() -> PostgresServer:
    """The session's PostgreSQL server, started on first use."""
    server = PostgresServer()
    server.start()
    return server


def database_url(tmp_path: Path, name: str = "bot") -> str:
    """The test's own database: a SQLite file in its folder, or a fresh PostgreSQL database."""
    if TEST_DATABASE == "postgresql":
        return postgres_server().fresh_database(f"{tmp_path}/{name}")
    return f"sqlite+aiosqlite:///{tmp_path / f'{name}.sqlite3'}"


def make_settings(tmp_path: Path, **overrides: object) -> Settings:
    """Settings for a test app: its own database and files folder, a free port, no .env."""
    values: dict[str, object] = {
        "database_url": database_url(tmp_path),
        "data_dir": tmp_path / "data",
        "http_port": 0,
        "telegram_bot_token": "",
        "webhook_base_url": "",
        # The test clock stands still, so every step of a flow arrives at the same instant: a
        # flood to `bot.pace`. tests/test_flood.py checks floods at the real pace.
        "flood_burst": 1000,
    }
    values.update(overrides)
    return Settings(_env_file=None, **values)  # type: ignore[call-arg]


@pytest.fixture(scope="session")
def hcm_file(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """TP Hồ Chí Minh's organisation: its 168 wards and communes, 40 villages each."""
    from tests.province import write_province_org

    return write_province_org(tmp_path_factory.mktemp("org") / "hcm.toml", "TP HCM")


@pytest.fixture(scope="session")
def hcm(hcm_file: Path) -> Organisation:
    return load_organisation(hcm_file)


@contextlib.asynccontextmanager
async def running_app(settings: Settings, clock: FakeClock) -> AsyncIterator[Application]:
    """The real app with these settings, started, and stopped afterwards."""
    application = Application(settings, clock=clock)
    await application.start()
    try:
        yield application
    finally:
        await application.stop()


@pytest.fixture
async def sandbox_app(tmp_path: Path, clock: FakeClock) -> AsyncIterator[Application]:
    app = Application(make_settings(tmp_path, sandbox=True), clock=clock)
    await app.start()
    try:
        yield app
    finally:
        await app.stop()


@pytest.fixture
async def http() -> AsyncIterator[aiohttp.ClientSession]:
    async with aiohttp.ClientSession() as session:
        yield session


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def zalo() -> AsyncIterator[FakeZalo]:
    """The fake Zalo Bot Platform."""
    async with FakeZalo() as server:
        yield server


@pytest.fixture
async def oa(clock: FakeClock) -> AsyncIterator[FakeZaloOa]:
    """The fake Zalo Official Account API, on the test's clock."""
    async with FakeZaloOa(clock=clock) as server:
        yield server


def telegram_settings(tmp_path: Path, server: FakeTelegram) -> Settings:
    return make_settings(
        tmp_path,
        telegram_bot_token=DEFAULT_TOKEN,
        telegram_api_url=server.api_url,
        sandbox=True,
        # Conversations here are faster than any person; the rate limits have their own tests.
        outbox_per_chat_rate=1000,
        outbox_global_rate=1000,
    )


@pytest.fixture
async def app(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock
) -> AsyncIterator[Application]:
    application = Application(telegram_settings(tmp_path, telegram), clock=clock)
    await application.start()
    try:
        yield application
    finally:
        await application.stop()


async def run_due_jobs(app: Application) -> None:
    """Run the jobs due now and send what they queue.

    The app's own scheduler may be running a tick at the same moment (it ticks at start): a job
    it holds is skipped by our claim, so wait for it to be done before sending.
    """
    await app.scheduler.run_due()
    await due_jobs_done(app)
    await app.outbox.flush()


async def due_jobs_done(app: Application, timeout: float = 10.0) -> None:
    """Wait until no job due by now is left undone (by whichever scheduler runs it)."""
    async with asyncio.timeout(timeout):
        while True:
            async with app.db.transaction() as session:
                due = await session.scalar(
                    select(func.count())
                    .select_from(m.Job)
                    .where(m.Job.done_at.is_(None), m.Job.due_at <= app.clock())
                )
            if not due:
                return
            await asyncio.sleep(0.05)
