"""A start that fails half way leaves nothing behind, says why once, and can be tried again.

What an operator would see if it did not: the database file or PostgreSQL connection still held,
a connection to Telegram still open, the web port still taken (the next start in the process
fails with "address in use"), pollers and loops still running, and no line saying what failed.
These are read the way `ss` and `lsof` would read them, from /proc.
"""

from __future__ import annotations

import asyncio
import logging
import os
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from sqlalchemy.engine import make_url

from bot.app import Application
from bot.channels.zalo_oa import ZaloOaClient
from bot.config import Settings
from bot.core import Undeliverable
from tests.conftest import FakeClock
from tests.fake_telegram import DEFAULT_TOKEN as TELEGRAM_TOKEN
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import FakeZalo
from tests.fake_zalo_oa import APP_ID, APP_SECRET, FIRST_REFRESH_TOKEN, FakeZaloOa
from tests.postgres import free_port
from tests.test_zalo import zalo_settings
from tests.test_zalo_oa import oa_settings

pytestmark = pytest.mark.skipif(
    not Path("/proc/self/fd").is_dir(), reason="reads open files and sockets from /proc"
)

WEBHOOK_SECRET = "s3cret-Token_for-tests"


def open_descriptors() -> list[str]:
    """What this process's file descriptors point at: paths, and `socket:[inode]`."""
    found = []
    for descriptor in os.listdir("/proc/self/fd"):
        try:
            found.append(os.readlink(f"/proc/self/fd/{descriptor}"))
        except FileNotFoundError:  # closed meanwhile (the one listdir used)
            continue
    return found


def connections_to(port: int) -> int:
    """This process's open TCP connections to `port`, as `ss -tnp dport = :port` counts them."""
    ours = {target for target in open_descriptors() if target.startswith("socket:")}
    count = 0
    for table in ("/proc/self/net/tcp", "/proc/self/net/tcp6"):
        for line in Path(table).read_text().splitlines()[1:]:
            fields = line.split()
            remote_port = int(fields[2].rsplit(":", 1)[1], 16)
            count += remote_port == port and f"socket:[{fields[9]}]" in ours
    return count


def database_held(settings: Settings) -> int:
    """Open handles on the database: its SQLite files, or connections to PostgreSQL."""
    url = make_url(settings.database_url)
    if url.get_backend_name() == "sqlite":
        path = str(Path(str(url.database)).resolve())
        return sum(target.startswith(path) for target in open_descriptors())
    return connections_to(url.port or 5432)


async def listening(port: int) -> bool:
    """Something answers on this local port (the web server still holds it)."""
    try:
        _reader, writer = await asyncio.open_connection("127.0.0.1", port)
    except ConnectionRefusedError:
        return False
    writer.close()
    await writer.wait_closed()
    return True


def port_of(url: str) -> int:
    port = urlsplit(url).port
    assert port is not None
    return port


async def tasks_left(before: set[asyncio.Task[object]]) -> list[str]:
    """Tasks started since `before` and still running, once those that are ending have ended."""
    for _ in range(50):
        left = asyncio.all_tasks() - before - {asyncio.current_task()}
        if not left:
            return []
        await asyncio.sleep(0.05)
    return sorted(task.get_name() for task in left)


async def nothing_left(settings: Settings, before: set[asyncio.Task[object]], *apis: str) -> None:
    """The database let go, no connection left open to these platforms, no task running."""
    assert database_held(settings) == 0, "the database is let go"
    assert {api: connections_to(port_of(api)) for api in apis} == dict.fromkeys(apis, 0)
    assert await tasks_left(before) == []


async def refused_start(
    settings: Settings, clock: FakeClock, refusal: type[BaseException], reason: str
) -> None:
    with pytest.raises(refusal, match=reason):
        await Application(settings, clock=clock).start()


async def answers_on_zalo(settings: Settings, clock: FakeClock, zalo: FakeZalo) -> None:
    """A start with these settings works: a person writing on Zalo is answered."""
    app = Application(settings, clock=clock)
    await app.start()
    try:
        citizen = zalo.user("u-after")
        await citizen.send_text("/start")
        assert "dữ liệu cá nhân" in (await citizen.next_reply()).text.lower()
    finally:
        await app.stop()


def errors(caplog: pytest.LogCaptureFixture) -> list[logging.LogRecord]:
    return [record for record in caplog.records if record.levelno >= logging.ERROR]


def said_once(caplog: pytest.LogCaptureFixture, reason: str) -> None:
    """One line of the app's says the start failed and why; no traceback anywhere."""
    said = [r for r in errors(caplog) if r.name == "bot.app"]
    assert len(said) == 1, [r.getMessage() for r in errors(caplog)]
    assert "did not start" in said[0].getMessage() and reason in said[0].getMessage()
    assert not [r for r in errors(caplog) if r.exc_info], "no traceback for a refused start"


async def test_a_refused_zalo_token_closes_the_database_and_telegram_and_a_fixed_start_works(
    tmp_path: Path,
    telegram: FakeTelegram,
    zalo: FakeZalo,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Zalo refuses its token after the database and Telegram are open."""
    settings = zalo_settings(
        tmp_path, zalo, telegram_bot_token=TELEGRAM_TOKEN, telegram_api_url=telegram.api_url
    )
    before = asyncio.all_tasks()
    refused = settings.model_copy(update={"zalo_bot_token": "0:wrong"})
    await refused_start(refused, clock, SystemExit, "ZALO_BOT_TOKEN")

    await nothing_left(settings, before, telegram.api_url, zalo.api_url)
    said_once(caplog, "ZALO_BOT_TOKEN")

    await answers_on_zalo(settings, clock, zalo)
    assert database_held(settings) == 0 and connections_to(zalo.port) == 0, "stopped as cleanly"


async def test_a_refused_oa_refresh_token_closes_everything_and_a_new_one_starts(
    tmp_path: Path,
    oa: FakeZaloOa,
    telegram: FakeTelegram,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Zalo refuses the OA's refresh token (spent elsewhere) once Telegram is open."""
    spender = ZaloOaClient(oa.url, oa.url, APP_ID, APP_SECRET)
    await spender.start()
    try:
        grant = await spender.refresh(FIRST_REFRESH_TOKEN)
    finally:
        await spender.close()
    settings = oa_settings(
        tmp_path, oa, telegram_bot_token=TELEGRAM_TOKEN, telegram_api_url=telegram.api_url
    )
    before = asyncio.all_tasks()
    await refused_start(settings, clock, SystemExit, "ZALO_OA_REFRESH_TOKEN")

    await nothing_left(settings, before, telegram.api_url, oa.url)
    said_once(caplog, "ZALO_OA_REFRESH_TOKEN")

    fixed = Application(
        settings.model_copy(update={"zalo_oa_refresh_token": grant.refresh_token}), clock=clock
    )
    await fixed.start()
    try:
        oa.webhook_url = f"http://127.0.0.1:{fixed.port}/zalo-oa/webhook"
        citizen = oa.user("citizen-oa")
        await citizen.send_text("/start")
        assert "dữ liệu cá nhân" in (await citizen.next_reply()).text.lower()
    finally:
        await fixed.stop()


async def test_a_start_failing_at_its_last_step_frees_the_port_and_stops_every_loop(
    tmp_path: Path,
    telegram: FakeTelegram,
    zalo: FakeZalo,
    clock: FakeClock,
    caplog: pytest.LogCaptureFixture,
) -> None:
    """Webhook mode: Zalo refuses the webhook's secret (too short) when it is registered, the
    last step, once the web server, the loops and Telegram's webhook are up."""
    port = free_port()
    settings = zalo_settings(
        tmp_path,
        zalo,
        telegram_bot_token=TELEGRAM_TOKEN,
        telegram_api_url=telegram.api_url,
        http_port=port,
        webhook_base_url=f"http://127.0.0.1:{port}",
        telegram_webhook_secret=WEBHOOK_SECRET,
        zalo_webhook_secret="short",
    )
    before = asyncio.all_tasks()
    await refused_start(settings, clock, Undeliverable, "url or secret_token invalid")

    assert telegram.webhook_url is not None, "it failed after Telegram's webhook was set"
    assert not await listening(port), "the web port is free again"
    await nothing_left(settings, before, telegram.api_url, zalo.api_url)
    said_once(caplog, "url or secret_token invalid")

    fixed = settings.model_copy(update={"zalo_webhook_secret": WEBHOOK_SECRET})
    await answers_on_zalo(fixed, clock, zalo)  # on the same port
    assert zalo.webhook_url == f"http://127.0.0.1:{port}/zalo/webhook"
    assert not await listening(port), "the web port is free again"
