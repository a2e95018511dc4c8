"""What an operator relies on: /healthz, /metrics, JSON logs, a clean stop on SIGTERM, and a
database outage that loses nothing and needs no restart."""

from __future__ import annotations

import asyncio
import json
import logging
import os
import signal
import subprocess
import sys
from pathlib import Path

import aiohttp
from sqlalchemy import func, select

from bot.app import Application
from bot.logs import JsonLines
from storage import models as m
from tests.conftest import FakeClock, database_url, postgres_server, telegram_settings
from tests.fake_telegram import FakeTelegram
from tests.postgres import free_port
from tests.test_telegram import consent

ROOT = Path(__file__).resolve().parent.parent
SECRET = "ops-s3cret"


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


def metric(exposition: str, name: str) -> float:
    """The value of one sample line (`name` with its labels, as written)."""
    for line in exposition.splitlines():
        if line.startswith(name + " "):
            return float(line.rsplit(" ", 1)[1])
    raise AssertionError(f"no sample {name} in:\n{exposition}")


async def test_health_and_metrics_report_the_work_and_the_queues(
    app: Application, telegram: FakeTelegram
) -> None:
    base = f"http://127.0.0.1:{app.port}"
    status, body = await get(f"{base}/healthz")
    assert status == 200
    health = json.loads(body)
    assert health["status"] == "ok" and health["database"] == "ok"
    assert health["inbox_pending"] == 0 and health["outbox_backlog"] == 0

    await consent(telegram.user(1001, "Phúc"))
    await app.outbox.flush()
    status, exposition = await get(f"{base}/metrics")
    assert status == 200
    assert metric(exposition, 'tiepdan_updates_handled_total{channel="telegram",outcome="ok"}') == 2
    assert metric(exposition, 'tiepdan_messages_sent_total{channel="telegram",outcome="sent"}') >= 2
    assert metric(exposition, "tiepdan_reply_seconds_count") == 2
    assert metric(exposition, "tiepdan_outbox_backlog") == 0
    assert metric(exposition, "tiepdan_jobs_due") >= 0
    assert "1001" not in exposition and "Phúc" not in exposition, "nothing about a person"


async def test_a_lagging_outbox_is_reported(app: Application, clock: FakeClock) -> None:
    async with app.db.transaction() as session:
        session.add(
            m.OutboxMessage(
                channel="nowhere",  # no messenger of this process sends it
                chat_id="1",
                payload={"text": "x"},
                created_at=clock(),
                not_before=clock(),
            )
        )
    clock.advance(minutes=10)
    status, body = await get(f"http://127.0.0.1:{app.port}/healthz")
    health = json.loads(body)
    assert (status, health["status"]) == (200, "lagging")
    assert health["outbox_backlog"] == 1 and health["outbox_lag_seconds"] >= 600


def test_json_log_lines_carry_time_level_logger_and_the_exception() -> None:
    try:
        raise ValueError("boom")
    except ValueError:
        record = logging.LogRecord(
            "bot.outbox", logging.ERROR, __file__, 1, "send failed: %s", ("x",), sys.exc_info()
        )
    line = json.loads(JsonLines().format(record))
    assert (line["level"], line["logger"], line["message"]) == (
        "ERROR",
        "bot.outbox",
        "send failed: x",
    )
    assert "ValueError: boom" in line["exception"] and line["time"].endswith("+00:00")


def test_sigterm_stops_the_bot_cleanly(tmp_path: Path) -> None:
    port = free_port()
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(tmp_path),
        "DATA_DIR": str(tmp_path / "data"),
        "HTTP_PORT": str(port),
        "TELEGRAM_BOT_TOKEN": "",
        "LOG_FORMAT": "json",
    }
    bot = subprocess.Popen(
        [sys.executable, "-m", "bot"],
        cwd=ROOT,
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert asyncio.run(until_healthy(port)), "the bot answered /healthz"
        bot.send_signal(signal.SIGTERM)
        _out, err = bot.communicate(timeout=20)
    finally:
        if bot.poll() is None:
            bot.kill()
    assert bot.returncode == 0, err
    messages = [json.loads(line)["message"] for line in err.splitlines() if line.startswith("{")]
    assert "stopping" in messages


async def until_healthy(port: int, seconds: float = 30.0) -> bool:
    for _ in range(int(seconds * 10)):
        try:
            if (await get(f"http://127.0.0.1:{port}/healthz"))[0] == 200:
                return True
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.1)
    return False


async def test_a_database_outage_loses_nothing_and_needs_no_restart(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock
) -> None:
    """PostgreSQL goes down under a webhook bot: the person is told to wait, the platform's
    redelivery is refused until the database is back, then everything is handled once."""
    server = postgres_server()
    port = free_port()
    settings = telegram_settings(tmp_path, telegram).model_copy(
        update={
            "database_url": server.fresh_database(f"{tmp_path}/outage"),
            "http_port": port,
            "webhook_base_url": f"http://127.0.0.1:{port}",
            "telegram_webhook_secret": SECRET,
            "sandbox": False,
        }
    )
    app = Application(settings, clock=clock)
    await app.start()
    try:
        citizen = telegram.user(1001, "Phúc")
        await consent(citizen)
        server.pause()
        try:
            await citizen.send_command("/start")
            busy = await citizen.next_reply(timeout=15)
            assert "Hệ thống đang bận" in busy.text and "không cần gửi lại" in busy.text
            assert (await get(f"http://127.0.0.1:{port}/healthz"))[0] == 503
            await citizen.send_text("còn đó không?")
        finally:
            server.resume()
        first = await citizen.next_reply(timeout=30)
        second = await citizen.next_reply(timeout=30)
        assert "dữ liệu cá nhân" in first.text or "Xin chào" in first.text
        assert second.text, "the second message is answered too, after the first"
        await citizen.expect_no_reply(within=1.0)
        assert (await get(f"http://127.0.0.1:{port}/healthz"))[0] == 200
        async with app.db.transaction() as session:
            stored = await session.scalar(select(func.count()).select_from(m.InboxUpdate))
            unhandled = await session.scalar(
                select(func.count())
                .select_from(m.InboxUpdate)
                .where(m.InboxUpdate.processed_at.is_(None))
            )
        assert (stored, unhandled) == (4, 0), "both consent updates and both outage updates"
    finally:
        await app.stop()
