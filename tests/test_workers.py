"""Two worker processes' worth of bot on one PostgreSQL database, behind one webhook URL.

A round-robin proxy (what nginx does in front of two workers) alternates the fake Telegram's
webhook deliveries between two Applications with their own names. Whatever worker stores an
update, each is handled once, in order per chat, and each message is sent once, in order.
"""

from __future__ import annotations

import itertools
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from aiohttp import web
from sqlalchemy import func, select

from bot.app import Application
from storage import models as m
from tests.conftest import FakeClock, postgres_server, telegram_settings
from tests.fake_telegram import FakeTelegram
from tests.postgres import free_port
from tests.test_telegram import bind_officer, file_up_to_content, finish_complaint

SECRET = "workers-s3cret"


@pytest.fixture
async def balancer() -> AsyncIterator[tuple[str, list[str], list[str]]]:
    """A round-robin reverse proxy: (its URL, the workers' base URLs to fill in, who got what)."""
    backends: list[str] = []
    served: list[str] = []
    turn = itertools.count()

    async def forward(request: web.Request) -> web.Response:
        backend = backends[next(turn) % len(backends)]
        served.append(backend)
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                backend + request.path, data=await request.read(), headers=request.headers
            ) as answer,
        ):
            return web.Response(status=answer.status, body=await answer.read())

    app = web.Application()
    app.router.add_post("/{path:.*}", forward)
    runner = web.AppRunner(app)
    await runner.setup()
    port = free_port()
    await web.TCPSite(runner, "127.0.0.1", port).start()
    try:
        yield f"http://127.0.0.1:{port}", backends, served
    finally:
        await runner.cleanup()


@pytest.fixture
async def telegram() -> AsyncIterator[FakeTelegram]:
    """Delivering as Telegram does: several connections at once, each chat in order."""
    async with FakeTelegram(webhook_parallel=True) as server:
        yield server


async def test_two_workers_behind_one_webhook_handle_and_send_everything_once_in_order(
    tmp_path: Path,
    telegram: FakeTelegram,
    clock: FakeClock,
    balancer: tuple[str, list[str], list[str]],
) -> None:
    public_url, backends, served = balancer
    database = postgres_server().fresh_database(f"{tmp_path}/workers")
    workers = []
    for name in ("worker-a", "worker-b"):
        port = free_port()
        backends.append(f"http://127.0.0.1:{port}")
        settings = telegram_settings(tmp_path / name, telegram).model_copy(
            update={
                "database_url": database,
                "worker_name": name,
                "workers": 2,
                "http_port": port,
                "webhook_base_url": public_url,
                "telegram_webhook_secret": SECRET,
                "sandbox": False,
            }
        )
        workers.append(Application(settings, clock=clock))
    for worker in workers:
        await worker.start()
    try:
        officer = telegram.user(5001, "Mai")
        await bind_officer(workers[0], officer, "pd.tiepdan")
        citizen = telegram.user(1001, "Phúc")
        await file_up_to_content(citizen)
        receipt = await finish_complaint(citizen)
        assert "PD-2026-000001" in receipt
        assert "Đơn mới PD-2026-000001" in (await officer.next_reply()).text
        for worker in workers:
            await worker.dispatcher.wait_idle()
            await worker.outbox.flush()

        assert set(served) == set(backends), "both workers received updates"
        async with workers[0].db.transaction() as session:
            petitions = await session.scalar(select(func.count()).select_from(m.Petition))
            unhandled = await session.scalar(
                select(func.count())
                .select_from(m.InboxUpdate)
                .where(m.InboxUpdate.processed_at.is_(None))
            )
            senders = set(await session.scalars(select(m.OutboxMessage.claimed_by).distinct()))
        assert (petitions, unhandled) == (1, 0)
        assert senders == {"worker-a", "worker-b"}, "both workers sent messages"
        # Each step above read its own answer, in order: a reordering would have failed there,
        # and a message sent twice would be left over now.
        await citizen.expect_no_reply()
        await officer.expect_no_reply()
    finally:
        for worker in workers:
            await worker.stop()
