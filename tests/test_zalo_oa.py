"""Zalo Official Account: filing by typed numbers, the signed webhook, the rotating tokens, the
48-hour reply window, and an officer on Telegram working an OA citizen's complaint."""

from __future__ import annotations

import asyncio
import base64
import contextlib
import json
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import Application
from bot.channels.zalo_oa import (
    OUTSIDE_WINDOW,
    AccessTokenRejected,
    ZaloOaClient,
    to_incoming,
)
from bot.channels.zalo_oa_tokens import OaTokens, ZaloOaAuthRefused
from bot.config import Settings
from bot.core import Kind, Recipient, Reply, RetryLater, Undeliverable
from storage import models as m
from storage import queues
from storage.db import Database
from tests.conftest import START, FakeClock, make_settings
from tests.fake_telegram import DEFAULT_TOKEN as TELEGRAM_TOKEN
from tests.fake_telegram import FakeTelegram, tiny_png
from tests.fake_zalo_oa import (
    APP_ID,
    APP_SECRET,
    FIRST_REFRESH_TOKEN,
    SECRET_KEY,
    FakeZaloOa,
    sign,
)
from tests.test_telegram import accepted_but_filer_unreachable
from tests.test_zalo import (
    assert_menu,
    complaint_opened_on_telegram,
    file_complaint_over_zalo,
    free_port,
)


def oa_settings(tmp_path: Path, oa: FakeZaloOa, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "zalo_oa_app_id": APP_ID,
        "zalo_oa_secret_key": SECRET_KEY,
        "zalo_oa_app_secret": APP_SECRET,
        "zalo_oa_refresh_token": FIRST_REFRESH_TOKEN,
        "zalo_oa_api_url": oa.url,
        "zalo_oauth_url": oa.url,
        # Conversations here are faster than any person; the rate limits have their own tests.
        "outbox_per_chat_rate": 1000,
        "outbox_global_rate": 1000,
    }
    return make_settings(tmp_path, **(values | overrides))


@contextlib.asynccontextmanager
async def running(
    settings: Settings, oa: FakeZaloOa, clock: FakeClock
) -> AsyncIterator[Application]:
    """The bot, with Zalo posting the OA's events to its webhook."""
    app = Application(settings, clock=clock)
    await app.start()
    oa.webhook_url = f"http://127.0.0.1:{app.port}/zalo-oa/webhook"
    try:
        yield app
    finally:
        await app.stop()


@pytest.fixture
async def bot(tmp_path: Path, oa: FakeZaloOa, clock: FakeClock) -> AsyncIterator[Application]:
    async with running(oa_settings(tmp_path, oa), oa, clock) as app:
        yield app


@pytest.fixture
async def client(oa: FakeZaloOa) -> AsyncIterator[ZaloOaClient]:
    oa_client = ZaloOaClient(oa.url, oa.url, APP_ID, APP_SECRET)
    await oa_client.start()
    try:
        yield oa_client
    finally:
        await oa_client.close()


async def stored_updates(app: Application) -> int:
    async with app.db.snapshot() as session:
        count = await session.scalar(
            select(func.count())
            .select_from(m.InboxUpdate)
            .where(m.InboxUpdate.channel == "zalo_oa")
        )
    return int(count or 0)


async def stored_tokens(app: Application) -> m.ZaloOaToken:
    async with app.db.snapshot() as session:
        row = await session.scalar(select(m.ZaloOaToken))
    assert row is not None
    return row


async def fetch(url: str) -> tuple[int, bytes]:
    async with aiohttp.ClientSession() as http, http.get(url) as response:
        return response.status, await response.read()


async def test_a_complaint_filed_on_the_oa_by_typing_numbers(
    bot: Application, oa: FakeZaloOa
) -> None:
    photo = tiny_png(4, 3)
    citizen = oa.user("citizen-1")
    receipt = await file_complaint_over_zalo(citizen, oa.host_photo("ranh-gioi.png", photo))
    assert "Mã đơn: PD-2026-000001" in receipt and "12/03/2026" in receipt
    assert set(oa.webhook_statuses) == {200}
    assert oa.refresh_calls == [FIRST_REFRESH_TOKEN], "one refresh, at start"
    assert oa.token_refusals == 0
    await bot.fetcher.fetch_missing()
    async with bot.db.snapshot() as session:
        petition = await session.scalar(select(m.Petition))
        attachment = await session.scalar(select(m.Attachment))
    assert petition is not None and petition.channel == "zalo_oa"
    assert attachment is not None and attachment.local_path is not None
    assert Path(attachment.local_path).read_bytes() == photo, "our own copy of the photo"


def test_events_become_incoming() -> None:
    def event(name: str, **message: object) -> dict[str, object]:
        return {
            "event_name": name,
            "timestamp": "1772420400000",
            "sender": {"id": "u1"},
            "recipient": {"id": "oa"},
            "message": {"msg_id": "m7", **message},
        }

    def attached(payload: dict[str, object]) -> list[dict[str, object]]:
        return [{"type": "x", "payload": payload}]

    command = to_incoming(event("user_send_text", text="/start ABC"), START)
    assert command is not None and (command.kind, command.command, command.args) == (
        Kind.COMMAND,
        "start",
        "ABC",
    )
    assert (command.chat_id, command.update_key) == ("u1", "user_send_text:m7")
    image = to_incoming(
        event("user_send_image", attachments=attached({"url": "https://z/p"})), START
    )
    assert image is not None and image.file is not None
    assert (image.kind, image.file.file_id, image.file.media) == (Kind.FILE, "https://z/p", "photo")
    file = to_incoming(
        event(
            "user_send_file",
            attachments=attached({"url": "https://z/f", "name": "a.pdf", "size": "12"}),
        ),
        START,
    )
    assert file is not None and file.file is not None
    assert (file.file.media, file.file.name, file.file.size) == ("document", "a.pdf", 12)
    coordinates = {"coordinates": {"latitude": "21.59", "longitude": "105.84"}}
    place = to_incoming(event("user_send_location", attachments=attached(coordinates)), START)
    assert place is not None and (place.kind, place.latitude, place.longitude) == (
        Kind.LOCATION,
        21.59,
        105.84,
    )
    nowhere = {"coordinates": {"latitude": "nan", "longitude": "inf"}}
    odd_place = to_incoming(event("user_send_location", attachments=attached(nowhere)), START)
    assert odd_place is not None and odd_place.kind is Kind.UNSUPPORTED, "the inbox keeps JSON"
    sticker = to_incoming(event("user_send_sticker"), START)
    assert sticker is not None and sticker.kind is Kind.STICKER
    too_long = {**event("user_send_text", text="hi"), "sender": {"id": "9" * 65}}
    assert to_incoming(too_long, START) is None, "no id longer than the chat column"
    broken = to_incoming(event("user_send_image", attachments="?"), START)
    assert broken is not None and broken.kind is Kind.UNSUPPORTED
    assert to_incoming({"event_name": "follow", "follower": {"id": "u1"}}, START) is None
    assert to_incoming(event("oa_send_text", text="ours"), START) is None
    assert to_incoming({"event_name": ["user_send_text"], "message": {}}, START) is None
    assert (
        to_incoming(event("user_send_text", text="hi") | {"message": {"text": "hi"}}, START) is None
    )


async def test_the_webhook_refuses_unsigned_forged_and_stale_events(
    bot: Application, oa: FakeZaloOa, clock: FakeClock
) -> None:
    citizen = oa.user("citizen-2")
    stale = oa.event("user_send_text", citizen, text="/start")
    clock.advance(minutes=11)
    event = oa.event("user_send_text", citizen, text="/start")
    raw = json.dumps(event).encode()
    signed = sign(raw, event["timestamp"])

    assert await oa.post_webhook(raw, None) == 401
    assert await oa.post_webhook(raw, "mac=" + "0" * 64) == 401
    assert await oa.post_webhook(raw, sign(raw, event["timestamp"], "another-oa-key")) == 401
    assert await oa.post_webhook(raw.replace(b"/start", b"/help!"), signed) == 401, "altered"
    assert await oa.post_webhook(b"not json", signed) == 401
    stale_raw = json.dumps(stale).encode()
    assert await oa.post_webhook(stale_raw, sign(stale_raw, stale["timestamp"])) == 401, "replay"
    assert await stored_updates(bot) == 0 and oa.sent == []

    assert await oa.post_webhook(raw, signed) == 200
    await bot.dispatcher.wait_idle()
    assert await stored_updates(bot) == 1


async def test_a_redelivered_event_is_dropped_and_other_events_are_ignored(
    bot: Application, oa: FakeZaloOa
) -> None:
    citizen = oa.user("citizen-3")
    raw = await citizen.send_text("/start")
    assert "Dữ liệu cá nhân" in (await citizen.next_reply()).text
    assert await oa.post_webhook(raw, sign(raw, json.loads(raw)["timestamp"])) == 200
    await citizen.follow()
    await oa.deliver(oa.event("oa_send_text", citizen))
    assert oa.webhook_statuses == [200, 200, 200]
    await bot.dispatcher.wait_idle()
    await bot.outbox.flush()
    assert await stored_updates(bot) == 1, "the redelivery, follow and the OA's own echo: none"
    assert citizen.unread() == []


async def test_a_rejected_token_is_renewed_once_and_the_new_refresh_token_outlives_a_restart(
    tmp_path: Path, oa: FakeZaloOa, clock: FakeClock, client: ZaloOaClient
) -> None:
    settings = oa_settings(tmp_path, oa)
    citizen = oa.user("citizen-4")
    async with running(settings, oa, clock) as first:
        assert oa.refresh_calls == [FIRST_REFRESH_TOKEN], "the settings' token, at start"
        oa.revoke_access_tokens()
        await citizen.send_text("/start")
        assert "Dữ liệu cá nhân" in (await citizen.next_reply()).text
        assert (oa.token_refusals, len(oa.refresh_calls)) == (1, 2), "rejected, renewed, sent"

        clock.advance(hours=24, minutes=30)  # half an hour before the token expires
        await citizen.send_text("1")
        assert_menu(await citizen.next_reply())
        assert (oa.token_refusals, len(oa.refresh_calls)) == (1, 3), "renewed before its end"
        kept = await stored_tokens(first)
    assert kept.refresh_token == oa.refresh_token, "the last refresh token Zalo gave is stored"

    clock.advance(hours=26)  # the stored access token has expired: the start renews it
    async with running(settings, oa, clock):
        assert oa.refresh_calls[-1] == kept.refresh_token, "the stored token, not the settings'"
        await citizen.send_text("/start")
        assert_menu(await citizen.next_reply())
    with pytest.raises(ZaloOaAuthRefused):
        await client.refresh(FIRST_REFRESH_TOKEN)
    with pytest.raises(ZaloOaAuthRefused):
        await client.refresh(kept.refresh_token)


async def test_two_refreshes_at_once_spend_the_refresh_token_once(
    tmp_path: Path, oa: FakeZaloOa, clock: FakeClock, client: ZaloOaClient
) -> None:
    settings = oa_settings(tmp_path, oa)
    async with running(settings, oa, clock):
        pass  # migrated, and the first tokens stored
    oa.refresh_delay = 0.3  # both ask while the first answer is on its way
    processes = [Database(settings.database_url) for _ in range(2)]
    try:
        tokens = [
            OaTokens(db, client.refresh, APP_ID, FIRST_REFRESH_TOKEN, clock) for db in processes
        ]
        clock.advance(hours=25)
        expired = await asyncio.gather(*(each.current() for each in tokens))
        assert expired[0] == expired[1] and len(oa.refresh_calls) == 2, "one refresh for both"

        rejected = await asyncio.gather(*(each.renew(rejected=expired[0]) for each in tokens))
        assert rejected[0] == rejected[1] != expired[0] and len(oa.refresh_calls) == 3
    finally:
        for db in processes:
            await db.close()
    assert len(set(oa.refresh_calls)) == len(oa.refresh_calls), "no refresh token spent twice"


async def queue_notice(app: Application, chat_id: str, text: str) -> int:
    """A notice for the chat, committed and sent as the dispatcher would; its outbox id."""
    async with app.db.transaction() as session:
        [(message_id, _recipient, _reply)] = await queues.enqueue(
            session, [(Recipient("zalo_oa", chat_id), Reply(text, unprompted=True))], app.clock()
        )
    app.outbox.wake()
    await app.outbox.flush()
    return message_id


async def outbox_row(app: Application, message_id: int) -> m.OutboxMessage:
    async with app.db.snapshot() as session:
        row = await session.get(m.OutboxMessage, message_id)
    assert row is not None
    return row


async def test_outside_the_48_hour_window_a_reply_is_undeliverable_and_not_retried(
    bot: Application, oa: FakeZaloOa, clock: FakeClock
) -> None:
    citizen = oa.user("citizen-5")
    await citizen.send_text("/start")
    await citizen.next_reply()
    clock.advance(hours=47)
    inside = await queue_notice(bot, "citizen-5", "Đơn của ông/bà đã được thụ lý.")
    assert (await citizen.next_reply()).text == "Đơn của ông/bà đã được thụ lý."
    assert (await outbox_row(bot, inside)).sent_at is not None

    clock.advance(hours=1, minutes=1)
    asked = oa.send_calls
    outside = await queue_notice(bot, "citizen-5", "Đơn của ông/bà đã có kết quả.")
    await bot.outbox.flush()
    row = await outbox_row(bot, outside)
    assert row.failed_at is not None and row.sent_at is None
    assert (row.last_error, row.attempts) == (OUTSIDE_WINDOW, 1), "given up at once"
    assert oa.send_calls == asked, "Zalo was not asked"

    await citizen.send_text("/start")  # a new message opens the window again
    assert "Dữ liệu cá nhân" in (await citizen.next_reply()).text
    assert (await outbox_row(bot, outside)).attempts == 1, "the refused notice is not retried"


async def test_the_client_maps_zalo_refusals(oa: FakeZaloOa, client: ZaloOaClient) -> None:
    token = (await client.refresh(FIRST_REFRESH_TOKEN)).access_token
    text = {"text": "Xin chào"}
    with pytest.raises(Undeliverable, match="not written to the OA recently"):
        await client.send_message(token, "never-wrote", text)
    oa.fail_next(-201, "User is not a follower of the OA")
    with pytest.raises(Undeliverable, match="does not follow"):
        await client.send_message(token, "u1", text)
    oa.fail_next(-32, "Exceeded the limit of requests")
    with pytest.raises(RetryLater) as limited:
        await client.send_message(token, "u1", text)
    assert limited.value.seconds == 60
    oa.fail_next(-999, "Something new")
    with pytest.raises(Undeliverable, match="-999: Something new"):
        await client.send_message(token, "u1", text)
    with pytest.raises(AccessTokenRejected):
        await client.send_message("not-a-token", "u1", text)
    unreachable = ZaloOaClient(*[f"http://127.0.0.1:{free_port()}"] * 2, APP_ID, APP_SECRET)
    await unreachable.start()
    try:
        with pytest.raises(RetryLater):
            await unreachable.send_message(token, "u1", text)
    finally:
        await unreachable.close()


async def test_files_reach_an_oa_citizen_as_a_media_template_or_a_signed_link(
    bot: Application, oa: FakeZaloOa
) -> None:
    assert bot.zalo_oa is not None
    citizen = oa.user("citizen-7")
    await citizen.send_text("/start")
    await citizen.next_reply()
    calendar = b"BEGIN:VCALENDAR\r\nEND:VCALENDAR\r\n"
    await bot.zalo_oa.send(
        "citizen-7",
        Reply(
            "Ông/bà đã đăng ký.",
            document_data=base64.b64encode(calendar).decode(),
            document_name="doi-thoai.ics",
        ),
    )
    linked = (await citizen.next_reply()).text
    assert "📎 doi-thoai.ics:" in linked
    link = next(line for line in linked.splitlines() if line.startswith("http"))
    assert await fetch(link) == (200, calendar)

    chart = tiny_png(8, 6)
    await bot.zalo_oa.send(
        "citizen-7",
        Reply("", document_data=base64.b64encode(chart).decode(), document_name="b.png"),
    )
    photo = (await citizen.next_reply()).photo
    assert photo is not None and await fetch(photo) == (200, chart)


async def test_a_start_without_the_secrets_or_with_a_spent_token_stops_clearly(
    tmp_path: Path, oa: FakeZaloOa, clock: FakeClock, client: ZaloOaClient
) -> None:
    unsigned = Application(oa_settings(tmp_path, oa, zalo_oa_secret_key=""), clock=clock)
    with pytest.raises(SystemExit, match="ZALO_OA_SECRET_KEY"):
        await unsigned.start()
    await unsigned.db.close()
    await client.refresh(FIRST_REFRESH_TOKEN)  # spent elsewhere before the bot ever ran
    spent = Application(oa_settings(tmp_path, oa), clock=clock)
    with pytest.raises(SystemExit, match="ZALO_OA_REFRESH_TOKEN"):
        await spent.start()
    await spent.db.close()


async def test_an_oa_complaint_is_accepted_by_an_officer_on_telegram(
    tmp_path: Path, oa: FakeZaloOa, telegram: FakeTelegram, clock: FakeClock
) -> None:
    settings = oa_settings(
        tmp_path, oa, telegram_bot_token=TELEGRAM_TOKEN, telegram_api_url=telegram.api_url
    )
    async with running(settings, oa, clock) as app:
        citizen = oa.user("citizen-6")
        officer = await complaint_opened_on_telegram(app, citizen, telegram)
        await officer.press("✅ Thụ lý")
        assert "Thụ lý đơn" in (await officer.next_reply()).text  # asked once
        await officer.press("✅ Xác nhận")
        assert "01/04/2026" in (await officer.next_reply()).text
        accepted = await citizen.next_reply()
        assert "PD-2026-000001" in accepted.text and "01/04/2026" in accepted.text


async def test_a_citizen_silent_past_the_window_is_not_told_but_the_officer_hears_of_it(
    tmp_path: Path, oa: FakeZaloOa, telegram: FakeTelegram, clock: FakeClock
) -> None:
    settings = oa_settings(
        tmp_path, oa, telegram_bot_token=TELEGRAM_TOKEN, telegram_api_url=telegram.api_url
    )
    async with running(settings, oa, clock) as app:
        officer = await complaint_opened_on_telegram(app, oa.user("citizen-6"), telegram)
        clock.advance(hours=49)
        told = await accepted_but_filer_unreachable(app, officer)
        assert "qua Zalo OA" in told and "48" in told
