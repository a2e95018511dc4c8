"""No secret and no personal data in any log line, at any level (issue 12).

The real app on each messenger logs through `bot.logs.configure`, as `python -m bot` does, into a
stream the test reads, at INFO and at DEBUG, while a citizen files a named denunciation whose card
reaches the officer who resolves it, and while forged webhook calls are refused. Not one line may
carry a token, a secret, or the denouncer's name, phone, address or story; and lines the bot does
write are there, so the capture is known to work.
"""

from __future__ import annotations

import asyncio
import contextlib
import io
import json
import logging
import os
import sys
from collections.abc import Iterable, Iterator
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from pydantic import ValidationError
from sqlalchemy.exc import IntegrityError

from bot import logs
from bot.app import Application
from bot.config import Settings
from tests.conftest import FakeClock, database_url, telegram_settings
from tests.fake_telegram import DEFAULT_TOKEN as TELEGRAM_TOKEN
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import DEFAULT_TOKEN as ZALO_TOKEN
from tests.fake_zalo import FakeZalo, FakeZaloUser, Sent
from tests.fake_zalo_oa import (
    APP_SECRET,
    FIRST_REFRESH_TOKEN,
    SECRET_KEY,
    FakeOaUser,
    FakeZaloOa,
    sign,
)
from tests.postgres import free_port
from tests.test_casework_telegram import bound, file_denunciation_over_telegram
from tests.test_confidentiality import ADDRESS, NAME, PHONE
from tests.test_operations import ROOT
from tests.test_telegram import invite_code
from tests.test_zalo import VI, choose, zalo_settings
from tests.test_zalo_oa import oa_settings, running, stored_tokens

STORY = "Cán bộ địa chính xã nhận tiền để làm sổ đỏ nhanh."  # as file_denunciation_over_telegram
PERSONAL = (NAME, PHONE, PHONE[1:], "nhà số 17", STORY)
WEBHOOK_SECRET = "webhook-s3cret_for-log-tests"
LINK_SECRET = "file-link-secret-for-log-tests"
SECRET_HEADER = "X-Bot-Api-Secret-Token"  # Zalo Bot Platform's
# The libraries whose levels `bot.logs.configure` sets, restored after each test.
LIBRARIES = ("httpx", "httpcore", "telegram", "aiosqlite")
LOGGING = [
    pytest.param("INFO", "text", id="INFO"),
    pytest.param("DEBUG", "text", id="DEBUG"),
    pytest.param("DEBUG", "json", id="DEBUG-json"),
]


class Journal:
    """What the bot wrote to its log, one line per record (a JSON line holds its traceback)."""

    def __init__(self) -> None:
        self.stream = io.StringIO()

    @property
    def lines(self) -> list[str]:
        return self.stream.getvalue().splitlines()

    def assert_clean(self, level: str, secrets: Iterable[str], expected: Iterable[str]) -> None:
        """Each expected text is in some line and, at DEBUG, debug lines are (the capture works,
        at that level); no secret is in any line."""
        lines = self.lines
        for text in expected:
            assert any(text in line for line in lines), f"no line with {text!r} in {lines}"
        debug = [line for line in lines if " DEBUG " in line or '"level": "DEBUG"' in line]
        assert bool(debug) == (level == "DEBUG"), debug
        leaking = [line for line in lines if any(secret in line for secret in secrets)]
        assert not leaking, f"{len(leaking)} of {len(lines)} lines show a secret:\n" + "\n".join(
            leaking[:10]
        )


@contextlib.contextmanager
def logging_as_the_bot(settings: Settings) -> Iterator[Journal]:
    """The process's logging set up by `bot.logs.configure`, writing to a journal; pytest's own
    handlers and the libraries' levels are put back afterwards."""
    root = logging.getLogger()
    handlers, level = root.handlers[:], root.level
    levels = {name: logging.getLogger(name).level for name in LIBRARIES}
    journal = Journal()
    logs.configure(settings, stream=journal.stream)
    try:
        yield journal
    finally:
        root.handlers[:] = handlers
        root.setLevel(level)
        for name, saved in levels.items():
            logging.getLogger(name).setLevel(saved)


async def forged_posts(url: str, header: str, body: dict[str, Any]) -> None:
    """Webhook calls without the secret and with a wrong one, carrying a person's words."""
    async with aiohttp.ClientSession() as http:
        for headers in ({}, {header: "wrong"}, {header: WEBHOOK_SECRET[:-1]}):
            async with http.post(url, json=body, headers=headers) as response:
                assert response.status == 401


async def bound_on_zalo(app: Application, person: FakeZaloUser | FakeOaUser, handle: str) -> None:
    """The officer types `/start <code>` of an invite (Zalo Bot Platform or OA alike)."""
    await person.send_text(f"/start {await invite_code(app, handle)}")
    assert "đã được liên kết" in (await person.next_reply()).text


async def file_denunciation_over_zalo(citizen: FakeZaloUser | FakeOaUser) -> str:
    """The named denunciation of file_denunciation_over_telegram, every choice typed as its
    number; returns the receipt."""
    await citizen.send_text("/start")
    reply = await choose(citizen, await citizen.next_reply(), VI("privacy.agree"))
    labels = (VI("menu.file"), "Tố cáo", "Đất đai", VI("filing.accused.staff"))
    for label in (*labels, "Xã Phú Đình", "Xóm Bản Trang"):
        reply = await choose(citizen, reply, label)
    await citizen.send_text(STORY)
    reply = await choose(citizen, await citizen.next_reply(), VI("filing.content.done"))
    reply = await choose(citizen, reply, VI("filing.denunciation.named"))
    for answer in (NAME, PHONE, ADDRESS):
        await citizen.send_text(answer)
        reply = await citizen.next_reply()
    assert NAME in reply.text, "the review shows the denouncer to themselves"
    return (await choose(citizen, reply, VI("filing.review.send"))).text


async def card_opened_on_zalo(resolver: FakeZaloUser | FakeOaUser) -> Sent:
    """The resolver opens the new denunciation from its notice: the card names the denouncer."""
    notice = await resolver.next_reply()
    assert "Đơn mới PD-2026-000001" in notice.text and NAME not in notice.text
    card = await choose(resolver, notice, VI("officer.open"))
    assert NAME in card.text and PHONE in card.text
    return card


@pytest.mark.parametrize(("level", "log_format"), LOGGING)
async def test_telegram_logs_no_token_secret_or_denouncer(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock, level: str, log_format: str
) -> None:
    port = free_port()
    settings = telegram_settings(tmp_path, telegram).model_copy(
        update={
            "http_port": port,
            "webhook_base_url": f"http://127.0.0.1:{port}",
            "telegram_webhook_secret": WEBHOOK_SECRET,
            "file_link_secret": LINK_SECRET,
            "log_level": level,
            "log_format": log_format,
        }
    )
    with logging_as_the_bot(settings) as journal:
        app = Application(settings, clock=clock)
        await app.start()
        try:
            [resolver] = await bound(app, telegram, {"pd.chutich": 5003})
            forged = {"update_id": 9, "message": {"message_id": 1, "date": 0, "text": STORY}}
            await forged_posts(
                f"http://127.0.0.1:{port}/telegram/webhook",
                "X-Telegram-Bot-Api-Secret-Token",
                forged,
            )
            citizen = telegram.user(1002, "Tố")
            assert "PD-2026-000001" in await file_denunciation_over_telegram(citizen)
            assert NAME not in ((await resolver.next_reply()).text or "")
            await resolver.press("📂 Mở đơn")
            assert NAME in ((await resolver.next_reply()).text or "")
        finally:
            await app.stop()
    journal.assert_clean(
        level,
        (TELEGRAM_TOKEN, WEBHOOK_SECRET, LINK_SECRET, *PERSONAL),
        ("petition PD-2026-000001 filed on telegram", "telegram webhook call with a wrong secret"),
    )


@pytest.mark.parametrize(("level", "log_format"), LOGGING)
async def test_zalo_logs_no_token_secret_or_denouncer(
    tmp_path: Path, clock: FakeClock, level: str, log_format: str
) -> None:
    port = free_port()
    async with FakeZalo() as zalo:
        settings = zalo_settings(
            tmp_path,
            zalo,
            http_port=port,
            webhook_base_url=f"http://127.0.0.1:{port}",
            zalo_webhook_secret=WEBHOOK_SECRET,
            file_link_secret=LINK_SECRET,
            log_level=level,
            log_format=log_format,
        )
        with logging_as_the_bot(settings) as journal:
            app = Application(settings, clock=clock)
            await app.start()
            try:
                resolver = zalo.user("officer-1", "pd.chutich")
                await bound_on_zalo(app, resolver, "pd.chutich")
                forged = zalo.event("message.text.received", zalo.user("citizen-2"), text=STORY)
                await forged_posts(f"http://127.0.0.1:{port}/zalo/webhook", SECRET_HEADER, forged)
                receipt = await file_denunciation_over_zalo(zalo.user("citizen-1"))
                assert "PD-2026-000001" in receipt
                await card_opened_on_zalo(resolver)
            finally:
                await app.stop()
    journal.assert_clean(
        level,
        (ZALO_TOKEN, WEBHOOK_SECRET, LINK_SECRET, *PERSONAL),
        ("petition PD-2026-000001 filed on zalo", "zalo webhook call with a wrong secret"),
    )


@pytest.mark.parametrize(("level", "log_format"), LOGGING)
async def test_zalo_oa_logs_no_token_secret_or_denouncer(
    tmp_path: Path, clock: FakeClock, level: str, log_format: str
) -> None:
    async with FakeZaloOa(clock=clock) as oa:
        settings = oa_settings(
            tmp_path, oa, file_link_secret=LINK_SECRET, log_level=level, log_format=log_format
        )
        with logging_as_the_bot(settings) as journal:
            async with running(settings, oa, clock) as app:
                resolver = oa.user("officer-1")
                await bound_on_zalo(app, resolver, "pd.chutich")
                forged = oa.event("user_send_text", oa.user("citizen-2"), text=STORY)
                raw = json.dumps(forged, ensure_ascii=False).encode()
                for signature in (None, "mac=" + "0" * 64, sign(raw, forged["timestamp"], "x")):
                    assert await oa.post_webhook(raw, signature) == 401
                receipt = await file_denunciation_over_zalo(oa.user("citizen-1"))
                assert "PD-2026-000001" in receipt
                await card_opened_on_zalo(resolver)
                access = (await stored_tokens(app)).access_token
                # Our own code never logs them; were it to, they are hidden (as issued).
                logging.getLogger("bot.channels.zalo_oa").warning(
                    "tokens in a log line: %s %s", access, oa.refresh_token
                )
    tokens = (access, oa.refresh_token, *oa.refresh_calls)
    journal.assert_clean(
        level,
        (APP_SECRET, SECRET_KEY, FIRST_REFRESH_TOKEN, *tokens, LINK_SECRET, *PERSONAL),
        (
            "petition PD-2026-000001 filed on zalo_oa",
            "zalo_oa webhook call with a wrong secret",
            "tokens in a log line: *** ***",
        ),
    )


async def test_a_rejected_token_that_stops_the_bot_is_hidden_in_its_last_words(
    tmp_path: Path, telegram: FakeTelegram
) -> None:
    """python-telegram-bot names the token Telegram rejected in its error, which ends the start:
    `python -m bot` logs it, redacted, instead of letting Python print the raw traceback."""
    token = "999:rejected-token_for-log-tests"
    environment = {
        **os.environ,
        "DATABASE_URL": database_url(tmp_path),
        "DATA_DIR": str(tmp_path / "data"),
        "HTTP_PORT": "0",
        "TELEGRAM_BOT_TOKEN": token,
        "TELEGRAM_API_URL": telegram.api_url,
        "LOG_LEVEL": "DEBUG",
        "LOG_FORMAT": "text",
    }
    bot = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "bot", cwd=ROOT, env=environment, stderr=asyncio.subprocess.PIPE
    )
    _out, err = await asyncio.wait_for(bot.communicate(), 60)
    written = err.decode()
    assert bot.returncode == 1, written
    assert "CRITICAL bot: python -m bot run stopped on an error" in written
    assert "InvalidToken: The token `***` was rejected by the server." in written
    assert token not in written and "Logging error" not in written, written


def hurl(error: Exception) -> BaseException:
    """`error` with its traceback, as a caught exception has it."""
    try:
        raise error
    except Exception as caught:
        return caught


@pytest.mark.parametrize("log_format", ["text", "json"])
def test_lines_are_redacted_whatever_logs_them_traceback_included(log_format: str) -> None:
    password = "p@ss:w0rd/x"
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        telegram_bot_token=TELEGRAM_TOKEN,
        zalo_oa_app_secret=APP_SECRET,
        database_url="postgresql+asyncpg://tiepdan:p%40ss%3Aw0rd%2Fx@db/tiepdan",
        log_level="debug",
        log_format=log_format,
    )
    unknown_token = "987654:unknown-token_From-Elsewhere"
    link = "/files/ZmlsZXMvYS5wZGYKMTc3Mjc1.c2lnbmF0dXJlLW9mLTI3LWNoYXJhY3Rlcg/bien-ban.pdf"
    with logging_as_the_bot(settings) as journal:
        log = logging.getLogger("bot.outbox")
        log.warning("sending to https://api.telegram.org/bot%s/sendMessage", TELEGRAM_TOKEN)
        log.warning("https://bot-api.zaloplatforms.com/bot%s/getMe failed", unknown_token)
        log.warning("downloading http://127.0.0.1:8081/file/bot%s/photos/1.jpg", unknown_token)
        log.warning("GET https://bot.example.gov.vn%s 200", link)
        logs.hide("an-access-token-issued-now")
        log.warning("renewed: %s", "an-access-token-issued-now")
        error = ConnectionError(f"postgresql://tiepdan:{password}@db failed, {APP_SECRET}")
        log.error("database gone", exc_info=hurl(error))
        failed = IntegrityError("INSERT INTO citizens VALUES (?, ?)", (NAME, PHONE), Exception())
        log.error("could not store a citizen", exc_info=hurl(failed))
        logging.getLogger("httpx").info("HTTP Request: POST https://x/bot%s/m", TELEGRAM_TOKEN)
        logging.getLogger("telegram.Bot").debug("Calling Bot API with parameters %s", STORY)
        logging.getLogger("telegram.Bot").critical(
            "Error while parsing updates! Received data was %r", [{"text": STORY}]
        )
    text = journal.stream.getvalue()
    assert "Traceback" in text and "ConnectionError" in text
    if log_format == "json":
        records = [json.loads(line) for line in journal.lines]
        assert len(records) == 8, "one line each, but for the two held at their floors"
        assert "ConnectionError" in records[5]["exception"]
    for secret in (TELEGRAM_TOKEN, unknown_token, APP_SECRET, password, "p%40ss", *PERSONAL):
        assert secret not in text
    for shown in (
        "/bot***/sendMessage",
        "/bot***/getMe failed",
        "/file/bot***/photos/1.jpg",
        "/files/***/bien-ban.pdf",
        "renewed: ***",
        "postgresql://tiepdan:***@db failed, ***",
        "[parameters: ***]",
        "[arguments withheld]",
    ):
        assert shown in text, f"{shown!r} not in {text}"
    assert "HTTP Request" not in text and "Calling Bot API" not in text, "held at their floors"


def test_log_level_is_a_setting_with_floors_for_the_libraries() -> None:
    def configured(level: str, quiet: bool = False) -> dict[str, int]:
        settings = Settings(_env_file=None, log_level=level)  # type: ignore[call-arg]
        with logging_as_the_bot(settings):
            logs.configure(settings, quiet=quiet, stream=sys.stderr)
            return {
                name: logging.getLogger(name).getEffectiveLevel()
                for name in ("", "bot", "httpx", "httpcore", "telegram.Bot")
            }

    debug = logging.DEBUG
    assert configured("debug") == {
        "": debug,
        "bot": debug,
        "httpx": logging.WARNING,
        "httpcore": logging.WARNING,
        "telegram.Bot": logging.INFO,
    }
    assert configured(" Info ")["bot"] == logging.INFO
    assert configured("ERROR")["telegram.Bot"] == logging.ERROR
    assert configured("DEBUG", quiet=True)["bot"] == logging.WARNING, "a command's output first"
    assert configured("ERROR", quiet=True)["bot"] == logging.ERROR
    with pytest.raises(ValidationError, match="'DEBUG', 'INFO', 'WARNING' or 'ERROR'"):
        Settings(_env_file=None, log_level="verbose")  # type: ignore[call-arg]
    assert Settings(_env_file=None).log_level == "INFO"  # type: ignore[call-arg]
    settings = Settings(
        _env_file=None,  # type: ignore[call-arg]
        zalo_bot_token="zalo-token",
        database_url="postgresql+asyncpg://tiepdan:a%2Fb-c@db/tiepdan",
    )
    assert settings.secret_values == ["zalo-token", "a%2Fb-c", "a/b-c"]
