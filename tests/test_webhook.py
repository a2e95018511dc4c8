"""Webhook mode: Telegram posts updates to our aiohttp server, which checks the secret header."""

from __future__ import annotations

from pathlib import Path

import aiohttp

from bot.app import Application
from tests.conftest import FakeClock, telegram_settings
from tests.fake_telegram import FakeTelegram
from tests.postgres import free_port

SECRET = "s3cret-Token_for-tests"


async def test_webhook_delivers_updates_and_refuses_a_wrong_secret(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock
) -> None:
    port = free_port()
    settings = telegram_settings(tmp_path, telegram).model_copy(
        update={
            "http_port": port,
            "webhook_base_url": f"http://127.0.0.1:{port}",
            "telegram_webhook_secret": SECRET,
        }
    )
    app = Application(settings, clock=clock)
    await app.start()
    try:
        assert telegram.webhook_url == f"http://127.0.0.1:{port}/telegram/webhook"
        assert not telegram.calls_of("getUpdates"), "no long polling in webhook mode"
        citizen = telegram.user(6001)
        await citizen.send_command("/start")
        assert "dữ liệu cá nhân" in (await citizen.next_reply()).text

        forged = {
            "update_id": 1,
            "message": {
                "message_id": 1,
                "date": 0,
                "text": "/start",
                "chat": {"id": 6002, "type": "private"},
                "from": {"id": 6002, "is_bot": False, "first_name": "X"},
            },
        }
        url = f"http://127.0.0.1:{port}/telegram/webhook"
        async with aiohttp.ClientSession() as http:
            for headers in ({}, {"X-Telegram-Bot-Api-Secret-Token": "wrong"}):
                async with http.post(url, json=forged, headers=headers) as response:
                    assert response.status == 401
            async with http.post(
                url, data=b"not json", headers={"X-Telegram-Bot-Api-Secret-Token": SECRET}
            ) as response:
                assert response.status == 400
        await app.dispatcher.wait_idle()
        assert not [m for m in telegram.sent_messages() if m.chat_id == 6002]
    finally:
        await app.stop()
