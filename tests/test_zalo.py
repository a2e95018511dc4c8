"""Zalo: the client against the fake platform, numbered choices, the webhook, de-duplication."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import Application
from bot.channels.numbered import TEXT_LIMIT, ChatMemory, split_text
from bot.channels.zalo import ZaloBadToken, ZaloChannel, ZaloClient, to_incoming, unwrap
from bot.config import Settings
from bot.core import Button, Kind, Reply, RetryLater, Undeliverable
from bot.files import LocalFiles
from bot.i18n import Catalogues
from storage import models as m
from tests.conftest import START, FakeClock, make_settings
from tests.fake_telegram import DEFAULT_TOKEN as TELEGRAM_TOKEN
from tests.fake_telegram import FakeTelegram, SimUser
from tests.fake_zalo import DEFAULT_TOKEN, FakeZalo, FakeZaloUser, Sent
from tests.postgres import free_port
from tests.test_telegram import bind_officer

SECRET = "zalo-s3cret_for-tests"
VI = Catalogues().get("vi", typed=True)  # what a Zalo user reads: every choice is typed


@pytest.fixture
async def client(zalo: FakeZalo) -> AsyncIterator[ZaloClient]:
    zalo_client = ZaloClient(DEFAULT_TOKEN, zalo.api_url)
    await zalo_client.start()
    try:
        yield zalo_client
    finally:
        await zalo_client.close()


def zalo_settings(tmp_path: Path, server: FakeZalo, **overrides: object) -> Settings:
    values: dict[str, object] = {
        "zalo_bot_token": DEFAULT_TOKEN,
        "zalo_api_url": server.api_url,
        # Conversations here are faster than any person; the rate limits have their own tests.
        "outbox_per_chat_rate": 1000,
        "outbox_global_rate": 1000,
    }
    return make_settings(tmp_path, **(values | overrides))


def assert_menu(message: Sent) -> None:
    """The welcome menu, its entries numbered: the privacy notice was accepted."""
    assert message.text.startswith(VI("menu.welcome")[:40])
    assert "\n1. " in message.text


async def test_client_reads_the_bot_and_sends_text(zalo: FakeZalo, client: ZaloClient) -> None:
    zalo.user("u1")
    assert (await client.get_me())["display_name"] == "Tiếp Dân"
    result = await client.send_message("u1", "Xin chào")
    assert [(s.chat_id, s.text) for s in zalo.sent] == [("u1", "Xin chào")]
    assert result["message_id"] == zalo.sent[0].message_id
    await client.send_photo("u1", "https://example.org/a.jpg", "ảnh")
    assert zalo.sent[-1].photo == "https://example.org/a.jpg"


async def test_client_maps_the_platform_errors(zalo: FakeZalo, client: ZaloClient) -> None:
    zalo.user("u1")
    assert await client.get_updates(timeout=1) == [], "408 on an empty long poll is no update"
    with pytest.raises(Undeliverable):
        await client.send_message("nobody", "Xin chào")
    zalo.send_rate = 1
    await client.send_message("u1", "một")
    with pytest.raises(RetryLater) as limited:
        await client.send_message("u1", "hai")
    assert limited.value.seconds >= 1
    bad = ZaloClient("0:wrong", zalo.api_url)
    await bad.start()
    try:
        with pytest.raises(ZaloBadToken, match="ZALO_BOT_TOKEN"):
            await bad.get_me()
    finally:
        await bad.close()
    unreachable = ZaloClient(DEFAULT_TOKEN, f"http://127.0.0.1:{free_port()}")
    await unreachable.start()
    try:
        with pytest.raises(RetryLater):
            await unreachable.send_message("u1", "Xin chào")
    finally:
        await unreachable.close()


async def test_a_bad_token_stops_the_start_with_a_clear_message(
    tmp_path: Path, zalo: FakeZalo, clock: FakeClock
) -> None:
    settings = zalo_settings(tmp_path, zalo, zalo_bot_token="0:wrong")
    app = Application(settings, clock=clock)
    with pytest.raises(SystemExit, match="ZALO_BOT_TOKEN"):
        await app.start()
    await app.db.close()


def test_events_become_incoming() -> None:
    def event(name: str, **fields: object) -> dict[str, object]:
        chat = {"id": "u1", "chat_type": "PRIVATE"}
        message = {"message_id": "m7", "from": {"id": "u1"}, "chat": chat, **fields}
        return {"event_name": name, "message": message}

    text = to_incoming(event("message.text.received", text="/start"), START)
    assert text is not None and text.kind is Kind.COMMAND and text.command == "start"
    assert text.update_key == "message.text.received:m7"
    image = to_incoming(event("message.image.received", photo_url="https://x/p.jpg"), START)
    assert image is not None and image.file is not None
    assert (image.kind, image.file.file_id, image.file.media) == (
        Kind.FILE,
        "https://x/p.jpg",
        "photo",
    )
    sticker = to_incoming(event("message.sticker.received", sticker="s"), START)
    assert sticker is not None and sticker.kind is Kind.STICKER
    hidden = to_incoming(event("message.unsupported.received"), START)
    assert hidden is not None and hidden.kind is Kind.UNSUPPORTED
    bare = event("message.text.received", text="hi")
    assert unwrap({"ok": True, "result": bare}) == unwrap(bare) == bare
    assert unwrap({"ok": True, "result": {}}) is None


async def test_typed_answers_pick_the_last_replys_choices(
    client: ZaloClient, tmp_path: Path
) -> None:
    async def last_reply(chat_id: str) -> list[Reply]:
        """What the outbox would say was sent last: two buttons and a plain key."""
        buttons = ((Button("✅ Khiếu nại", "k"), Button("Tố cáo", "t")),)
        return [Reply("Chọn loại đơn:", buttons, keys=("Quay lại",))]

    no_files = LocalFiles(None, None, tmp_path, b"k", timedelta(days=1))  # type: ignore[arg-type]

    async def at_menu(chat_id: str) -> bool:
        return False

    memory = ChatMemory(last_reply, at_menu)
    channel = ZaloChannel(client, memory, VI, no_files, lambda: START)
    said = to_incoming(
        {
            "event_name": "message.text.received",
            "message": {"message_id": "m1", "chat": {"id": "u1"}, "from": {"id": "u1"}},
        },
        START,
    )
    assert said is not None

    async def answer(text: str) -> tuple[Kind, str | None, str | None]:
        picked = await channel.resolve_choice(replace(said, text=text))
        return picked.kind, picked.callback_data, picked.text

    assert await answer("2") == (Kind.CALLBACK, "t", None)
    assert await answer(" 1. ") == (Kind.CALLBACK, "k", None)
    assert await answer("khiếu nại") == (Kind.CALLBACK, "k", None)
    assert await answer("3") == (Kind.TEXT, None, "Quay lại")
    assert await answer("4") == (Kind.TEXT, None, "4")
    assert await answer("tôi muốn hỏi") == (Kind.TEXT, None, "tôi muốn hỏi")


def test_long_text_is_split_at_sentences_within_the_limit() -> None:
    sentence = "Đơn của ông/bà đã được tiếp nhận và chuyển đến cán bộ phụ trách. "
    text = (sentence * 80).strip()
    parts = split_text(text)
    assert len(parts) > 1
    assert all(len(part) <= TEXT_LIMIT for part in parts)
    assert all(part.endswith(".") for part in parts)
    assert "".join(parts).replace(".", ". ").split() == text.split()


async def test_citizen_accepts_the_privacy_notice_by_typing_its_number(
    tmp_path: Path, zalo: FakeZalo, clock: FakeClock
) -> None:
    app = Application(zalo_settings(tmp_path, zalo), clock=clock)
    await app.start()
    try:
        citizen = zalo.user("citizen-1")
        await citizen.send_text("/start")
        notice = await citizen.next_reply()
        assert "Dữ liệu cá nhân" in notice.text
        assert f"1. {VI('privacy.agree')}" in notice.text
        assert VI("zalo.choose_by_number") in notice.text
        await citizen.send_text("1")
        assert_menu(await citizen.next_reply())
        async with app.db.transaction() as session:
            consent = await session.scalar(select(m.Citizen.consent_at))
        assert consent is not None
        await citizen.send_unsupported()
        assert VI("input.unsupported.zalo") in (await citizen.next_reply()).text
    finally:
        await app.stop()


async def test_typed_numbers_still_work_after_a_restart(
    tmp_path: Path, zalo: FakeZalo, clock: FakeClock
) -> None:
    settings = zalo_settings(tmp_path, zalo)
    first = Application(settings, clock=clock)
    await first.start()
    citizen = zalo.user("citizen-2")
    try:
        await citizen.send_text("/start")
        await citizen.next_reply()
    finally:
        await first.stop()
    # The stopped app's last long poll is still open on the server and would take the next
    # event (getUpdates has no offset: see bot/channels/zalo.py); let it end empty first.
    await asyncio.sleep(zalo.poll_wait_cap + 0.2)
    second = Application(settings, clock=clock)
    await second.start()
    try:
        await citizen.send_text("1")
        assert_menu(await citizen.next_reply())
    finally:
        await second.stop()


async def test_webhook_checks_the_secret_takes_both_bodies_and_drops_duplicates(
    tmp_path: Path, zalo: FakeZalo, clock: FakeClock
) -> None:
    port = free_port()
    settings = zalo_settings(
        tmp_path,
        zalo,
        http_port=port,
        webhook_base_url=f"http://127.0.0.1:{port}",
        zalo_webhook_secret=SECRET,
    )
    app = Application(settings, clock=clock)
    await app.start()
    try:
        assert zalo.webhook_url == f"http://127.0.0.1:{port}/zalo/webhook"
        assert not zalo.calls_of("getUpdates"), "no long polling in webhook mode"
        citizen = zalo.user("citizen-3")
        forged = zalo.event("message.text.received", citizen, text="/start")
        assert await zalo.post_webhook(forged, None) == 401
        assert await zalo.post_webhook(forged, "wrong") == 401

        wrapped = await citizen.send_text("/start")
        assert zalo.webhook_statuses == [200]
        assert "Dữ liệu cá nhân" in (await citizen.next_reply()).text
        zalo.webhook_wrapped = False
        await citizen.send_sticker()
        assert zalo.webhook_statuses == [200, 200]
        await citizen.next_reply()

        assert await zalo.post_webhook(wrapped, SECRET) == 200, "a redelivery is acknowledged"
        await app.dispatcher.wait_idle()
        async with app.db.transaction() as session:
            stored = await session.scalar(
                select(func.count())
                .select_from(m.InboxUpdate)
                .where(m.InboxUpdate.channel == "zalo")
            )
        assert stored == 2, "the duplicate /start was dropped"
        async with (
            aiohttp.ClientSession() as http,
            http.post(
                zalo.webhook_url, data=b"not json", headers={"X-Bot-Api-Secret-Token": SECRET}
            ) as response,
        ):
            assert response.status == 400
    finally:
        await app.stop()


async def test_a_long_reply_goes_in_parts_of_at_most_2000_characters(
    tmp_path: Path, zalo: FakeZalo, clock: FakeClock
) -> None:
    app = Application(zalo_settings(tmp_path, zalo), clock=clock)
    await app.start()
    try:
        assert app.zalo is not None
        zalo.user("citizen-4")
        long_text = "Câu trả lời của cơ quan về kiến nghị. " * 120
        await app.zalo.send("citizen-4", Reply(long_text))
        parts = zalo.sent_to("citizen-4")
        assert len(parts) == 3
        assert all(len(part.text) <= TEXT_LIMIT for part in parts)
    finally:
        await app.stop()


def number_of(message: Sent, label: str) -> str:
    """The number a reply gives the option whose label starts with `label`."""
    for line in message.text.splitlines():
        number, dot, rest = line.partition(". ")
        if dot and number.isdigit() and rest.startswith(label):
            return number
    raise AssertionError(f"no option {label!r} in:\n{message.text}")


async def choose(citizen: FakeZaloUser, message: Sent, label: str) -> Sent:
    """Type the number of an option, as a Zalo user does, and read the answer."""
    await citizen.send_text(number_of(message, label))
    return await citizen.next_reply()


async def file_complaint_over_zalo(citizen: FakeZaloUser, photo_url: str | None = None) -> str:
    """The whole filing of a complaint, every choice typed as its number; returns the receipt.
    With `photo_url`, the citizen adds that photo after the story."""
    await citizen.send_text("/start")
    notice = await citizen.next_reply()
    menu = await choose(citizen, notice, VI("privacy.agree"))
    assert_menu(menu)
    kinds = await choose(citizen, menu, VI("menu.file"))
    assert "loại đơn" in kinds.text
    fields = await choose(citizen, kinds, "Khiếu nại")
    assert "lĩnh vực" in fields.text
    communes = await choose(citizen, fields, "Đất đai")
    assert "xã nào" in communes.text
    villages = await choose(citizen, communes, "Xã Phú Đình")
    assert "xóm nào" in villages.text
    # The Zalo Bot Platform cannot send a location: it is not offered there as a dead end.
    can_locate = not isinstance(citizen, FakeZaloUser)  # an OA follower can
    assert (VI("filing.place.locate") in villages.text) is can_locate
    story = await choose(citizen, villages, "Xóm Làng Bẩy")
    assert "kể lại sự việc" in story.text
    await citizen.send_text("Hàng xóm lấn chiếm lối đi chung, xã đã hòa giải nhưng không xong.")
    noted = await citizen.next_reply()
    assert "Đã ghi nhận" in noted.text
    if photo_url is not None:
        await citizen.send_photo(photo_url)
        noted = await citizen.next_reply()
        assert "Đã nhận tệp đính kèm (tổng cộng 1)" in noted.text
    name = await choose(citizen, noted, VI("filing.content.done"))
    assert "họ và tên" in name.text
    await citizen.send_text("Đinh Văn Phúc")
    phone = await citizen.next_reply()
    assert "Số điện thoại" in phone.text and VI("zalo.type_phone") in phone.text
    await citizen.send_text("12345")
    assert VI("filing.phone.invalid") in (await citizen.next_reply()).text
    await citizen.send_text("0912 345 678")
    assert "Địa chỉ" in (await citizen.next_reply()).text
    await citizen.send_text("Xóm Làng Bẩy, xã Phú Đình")
    review = await citizen.next_reply()
    assert "Đinh Văn Phúc" in review.text and "0912345678" in review.text
    receipt = await choose(citizen, review, VI("filing.review.send"))
    return receipt.text


async def test_a_complaint_filed_on_zalo_by_typing_numbers(
    tmp_path: Path, zalo: FakeZalo, clock: FakeClock
) -> None:
    app = Application(zalo_settings(tmp_path, zalo), clock=clock)
    await app.start()
    try:
        receipt = await file_complaint_over_zalo(zalo.user("citizen-5"))
        assert "Mã đơn: PD-2026-000001" in receipt
        assert "Loại đơn: Khiếu nại" in receipt
        assert "12/03/2026" in receipt
        async with app.db.transaction() as session:
            petition = await session.scalar(select(m.Petition))
        assert petition is not None and petition.channel == "zalo"
    finally:
        await app.stop()


async def test_a_zalo_complaint_is_accepted_by_an_officer_on_telegram(
    tmp_path: Path, zalo: FakeZalo, telegram: FakeTelegram, clock: FakeClock
) -> None:
    settings = zalo_settings(
        tmp_path, zalo, telegram_bot_token=TELEGRAM_TOKEN, telegram_api_url=telegram.api_url
    )
    app = Application(settings, clock=clock)
    await app.start()
    try:
        citizen = zalo.user("citizen-6")
        officer = await complaint_opened_on_telegram(app, citizen, telegram)
        await officer.press("✅ Thụ lý")
        assert "Thụ lý đơn" in (await officer.next_reply()).text  # asked once
        await officer.press("✅ Xác nhận")
        assert "01/04/2026" in (await officer.next_reply()).text
        accepted = await citizen.next_reply()
        assert "PD-2026-000001" in accepted.text and "01/04/2026" in accepted.text
    finally:
        await app.stop()


async def test_a_withheld_message_on_zalo_is_told_how_to_reach_a_person(
    tmp_path: Path, zalo: FakeZalo, clock: FakeClock
) -> None:
    app = Application(zalo_settings(tmp_path, zalo), clock=clock)
    await app.start()
    try:
        citizen = zalo.user("citizen-7")
        await citizen.send_text("/start")
        assert_menu(await choose(citizen, await citizen.next_reply(), VI("privacy.agree")))
        await citizen.send_unsupported()
        answer = (await citizen.next_reply()).text
        assert answer.startswith(VI("input.unsupported.zalo"))
        assert "gõ lại nội dung bằng chữ" in answer and "Bộ phận tiếp công dân" in answer
        assert VI("input.unsupported") not in answer
        menu = await citizen.next_reply()
        assert "\n1. " in menu.text, "the menu follows, numbered"

        kinds = await choose(citizen, menu, VI("menu.file"))
        fields = await choose(citizen, kinds, "Khiếu nại")
        communes = await choose(citizen, fields, "Đất đai")
        villages = await choose(citizen, communes, "Xã Phú Đình")
        await choose(citizen, villages, "Xóm Làng Bẩy")
        await citizen.send_unsupported()
        assert VI("input.unsupported.zalo") in (await citizen.next_reply()).text
        await citizen.send_text("Hàng xóm lấn chiếm lối đi chung.")
        assert "Đã ghi nhận" in (await citizen.next_reply()).text, "the story goes on"
    finally:
        await app.stop()


async def complaint_opened_on_telegram(
    app: Application, citizen: Any, telegram: FakeTelegram
) -> SimUser:
    """A citizen (on Zalo or the OA) files; an officer on Telegram opens the petition."""
    officer = telegram.user(5001, "Mai")
    await bind_officer(app, officer, "pd.tiepdan")
    assert "PD-2026-000001" in await file_complaint_over_zalo(citizen)
    notice = await officer.next_reply()
    assert "Đơn mới PD-2026-000001" in notice.text
    await officer.press("📂 Mở đơn")
    opened = await officer.next_reply()
    assert "lấn chiếm lối đi chung" in opened.text and "0912345678" in opened.text
    return officer
