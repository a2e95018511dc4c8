"""The SQLite file removed or replaced under the running bot (issue 12): SQLite does not mind, the
open connections write on into a file nobody will open again, and everything is lost at the next
stop. The bot notices, says so once in the log and on /healthz, and acknowledges nothing more, so
the platform keeps the updates; restored from a backup and restarted, it answers them."""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import shutil
import sqlite3
import time
from collections.abc import Callable
from pathlib import Path

import aiohttp
import pytest

from bot.app import Application
from bot.config import Settings
from storage.db import Database, DatabaseGone, sqlite_file
from tests.conftest import TEST_DATABASE, FakeClock, telegram_settings
from tests.fake_telegram import FakeTelegram
from tests.postgres import free_port
from tests.test_telegram import consent

pytestmark = pytest.mark.skipif(
    TEST_DATABASE == "postgresql",
    reason="a SQLite file; PostgreSQL outages: test_operations.py",
)

SECRET = "gone-s3cret"
BUSY = "Hệ thống đang bận"


def remove(path: Path) -> None:
    """rm bot.sqlite3 bot.sqlite3-wal bot.sqlite3-shm"""
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.unlink()


def replace(path: Path) -> None:
    """Another file renamed over it (a copy of itself: same content, another inode)."""
    shutil.copyfile(path, f"{path}.new")
    os.replace(f"{path}.new", path)


def back_up(path: Path, to: Path) -> None:
    """A consistent copy of the live database (SQLite's online backup)."""
    with (
        contextlib.closing(sqlite3.connect(path)) as live,
        contextlib.closing(sqlite3.connect(to)) as copy,
    ):
        live.backup(copy)


def put_back(backup: Path, path: Path) -> None:
    """What an operator does, the bot stopped: the backup in place of whatever is there."""
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.unlink(missing_ok=True)
    shutil.copyfile(backup, path)


def rescue(path: Path, to: Path) -> None:
    """The way docs/operations/index.md gives, the bot still running: copy the removed file and
    its -wal (first) out of /proc/PID/fd (here the bot is this process)."""
    open_files = {}
    for fd in Path(f"/proc/{os.getpid()}/fd").iterdir():
        with contextlib.suppress(OSError):
            open_files[os.readlink(fd)] = fd
    shutil.copyfile(open_files[f"{path}-wal (deleted)"], f"{to}-wal")
    shutil.copyfile(open_files[f"{path} (deleted)"], to)


async def get(url: str) -> tuple[int, str]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.text()


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def webhook_settings(tmp_path: Path, telegram: FakeTelegram) -> Settings:
    port = free_port()
    return telegram_settings(tmp_path, telegram).model_copy(
        update={
            "http_port": port,
            "webhook_base_url": f"http://127.0.0.1:{port}",
            "telegram_webhook_secret": SECRET,
            "sandbox": True,
        }
    )


@pytest.mark.parametrize("gone", [remove, replace], ids=["removed", "replaced"])
async def test_a_gone_database_file_is_said_once_and_nothing_more_is_acknowledged(
    tmp_path: Path,
    telegram: FakeTelegram,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
    gone: Callable[[Path], None],
) -> None:
    settings = webhook_settings(tmp_path, telegram)
    app = Application(settings, clock=clock)
    await app.start()
    base = f"http://127.0.0.1:{settings.http_port}"
    citizen = telegram.user(1001, "Phúc")
    try:
        await consent(citizen)
        await app.outbox.flush()
        assert app.db.file is not None
        back_up(app.db.file, tmp_path / "backup.sqlite3")
        caplog.clear()

        gone(app.db.file)
        status, body = await get(f"{base}/healthz")
        assert status == 503
        health = json.loads(body)
        assert health["status"] == "database file gone" and "backup" in health["action"]
        assert (await get(f"{base}/metrics"))[0] == 503

        update = await citizen.send_command("/start")
        busy = await citizen.next_reply(timeout=10)  # straight through the messenger
        assert BUSY in busy.text

        def refusals() -> list[int | None]:
            return [
                d.status for d in telegram.webhook_deliveries if d.update_id == update["update_id"]
            ]

        await telegram.wait_for(lambda: len(refusals()) >= 3, timeout=10)
        assert set(refusals()) == {503}, "refused every time, so Telegram keeps it"
        assert update["update_id"] in [u["update_id"] for u in telegram.pending_updates]
        await citizen.expect_no_reply(within=1.0)

        async with (
            aiohttp.ClientSession() as http,
            http.post(
                f"{base}/sandbox/api/send",
                json={"chat": "citizen-1", "action": {"kind": "text", "text": "xin chào"}},
                headers={"X-Sandbox": "1"},
            ) as response,
        ):
            assert response.status == 503, "the page is told, not shown a sent message"
        assert (await get(f"{base}/healthz"))[0] == 503, "it stays gone"

        logged = errors(caplog)
        assert len(logged) == 1, [r.getMessage() for r in logged]
        assert logged[0].name == "storage.db"
        message = logged[0].getMessage()
        assert str(app.db.file) in message and "restore" in message and "backup" in message
        assert ("removed" if gone is remove else "replaced") in message
    finally:
        await app.stop()

    put_back(tmp_path / "backup.sqlite3", settings_file(settings))
    restarted = Application(settings, clock=clock)
    await restarted.start()
    try:
        answer = await citizen.next_reply(timeout=15)
        assert "Xin chào" in answer.text, "the refused update, delivered again, is answered"
        assert not telegram.pending_updates
    finally:
        await restarted.stop()


async def test_long_polling_holds_its_batch_while_the_database_file_is_gone(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock, caplog: pytest.LogCaptureFixture
) -> None:
    settings = telegram_settings(tmp_path, telegram)
    app = Application(settings, clock=clock)
    await app.start()
    citizen = telegram.user(1001, "Phúc")
    try:
        await consent(citizen)
        await app.outbox.flush()
        assert app.db.file is not None
        caplog.clear()

        remove(app.db.file)
        update = await citizen.send_command("/start")
        assert BUSY in (await citizen.next_reply(timeout=10)).text
        polls = len(telegram.calls_of("getUpdates"))
        await citizen.expect_no_reply(within=2.5)
        assert len(telegram.calls_of("getUpdates")) == polls, "the poller holds the batch"
        assert update["update_id"] in [u["update_id"] for u in telegram.pending_updates]
        assert [r.name for r in errors(caplog)] == ["storage.db"]
        assert f"/proc/{os.getpid()}/fd" in errors(caplog)[0].getMessage()
        if Path("/proc/self/fd").is_dir():
            rescue(app.db.file, tmp_path / "rescued.sqlite3")  # no backup: the lost file itself
    finally:
        await app.stop()

    if not Path("/proc/self/fd").is_dir():
        pytest.skip("no /proc to rescue the lost file from")
    path = settings_file(settings)
    for name in (path, Path(f"{path}-wal"), Path(f"{path}-shm")):
        name.unlink(missing_ok=True)
    os.replace(tmp_path / "rescued.sqlite3-wal", f"{path}-wal")
    os.replace(tmp_path / "rescued.sqlite3", path)
    with contextlib.closing(sqlite3.connect(path)) as rescued:
        assert rescued.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    restarted = Application(settings, clock=clock)
    await restarted.start()
    try:
        assert "Xin chào" in (await citizen.next_reply(timeout=15)).text
    finally:
        await restarted.stop()


async def test_the_scheduler_and_the_outbox_stop_on_a_gone_file(
    sandbox_app: Application, caplog: pytest.LogCaptureFixture
) -> None:
    """Nothing is sent or run on a file whose writes are lost (the restored one sends it)."""
    assert sandbox_app.db.file is not None
    remove(sandbox_app.db.file)
    assert sandbox_app.db.file_gone()
    started = time.monotonic()
    while not all(
        task.done()
        for task in sandbox_app.tasks
        if task.get_name() in {"scheduler", "outbox", "attachments", "housekeeping"}
    ):
        assert time.monotonic() - started < 10, "the loops end"
        await asyncio.sleep(0.05)
    assert sandbox_app.stopping.is_set()
    said, *others = errors(caplog)
    assert said.name == "storage.db"
    # A loop that needed a new connection in that moment is refused it (a new connection would
    # make an empty database at the path), and logs that once before it ends.
    assert len(others) <= 3 and all(
        r.exc_info and isinstance(r.exc_info[1], DatabaseGone) for r in others
    ), [r.getMessage() for r in others]


def settings_file(settings: Settings) -> Path:
    path = sqlite_file(settings.database_url)
    assert path is not None
    return path


async def test_only_a_sqlite_file_is_watched(tmp_path: Path) -> None:
    memory = Database("sqlite+aiosqlite://")
    postgres = Database("postgresql+asyncpg://nobody@127.0.0.1:1/none")
    file = Database(f"sqlite+aiosqlite:///{tmp_path / 'later.sqlite3'}")
    try:
        assert memory.file is None and not memory.file_gone()
        assert postgres.file is None and not postgres.file_gone()
        assert file.file == tmp_path / "later.sqlite3" and not file.file_gone()
        async with file.transaction() as session:  # the first connection makes the file
            await session.connection()
        assert not file.file_gone()
        file.file.unlink()
        assert file.file_gone()
        await file.engine.dispose()  # the next transaction needs a new connection: refused
        with pytest.raises(DatabaseGone):
            async with file.transaction() as session:
                await session.connection()
        assert not file.file.exists(), "no empty database made at the path"
    finally:
        for db in (memory, postgres, file):
            await db.close()
