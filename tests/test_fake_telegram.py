"""The fake Bot API server, driven by the real python-telegram-bot over HTTP.

These tests pin down both the fake's behaviour and the PTB behaviour a bot built on it must
respect (how errors surface, how offsets confirm updates, how reply_markup is encoded).
"""

from __future__ import annotations

import asyncio
import datetime as dtm
import time
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
)
from telegram.error import (
    BadRequest,
    Conflict,
    Forbidden,
    InvalidToken,
    NetworkError,
    RetryAfter,
)
from telegram.ext import Application, ContextTypes, MessageHandler, filters
from telegram.warnings import PTBDeprecationWarning

from tests.fake_telegram import (
    DEFAULT_TOKEN,
    SECRET_HEADER,
    FakeTelegram,
    ParseError,
    parse_html,
    parse_markdown,
    parse_markdown_v2,
    tiny_png,
)

AN = 1001
BINH = 1002


@pytest.fixture(autouse=True)
def ptb_timedelta(monkeypatch: pytest.MonkeyPatch) -> None:
    """PTB 22 warns when time periods (RetryAfter.retry_after, Voice.duration) are read as
    ints; under filterwarnings=error that warning replaces the real exception. The app must
    opt in to timedeltas the same way."""
    monkeypatch.setenv("PTB_TIMEDELTA", "1")


@pytest.fixture
async def tg() -> AsyncIterator[FakeTelegram]:
    async with FakeTelegram() as server:
        yield server


@pytest.fixture
async def bot(tg: FakeTelegram) -> AsyncIterator[Bot]:
    async with Bot(**tg.bot_kwargs()) as ptb_bot:
        yield ptb_bot


def keyboard(*buttons: tuple[str, str]) -> InlineKeyboardMarkup:
    return InlineKeyboardMarkup([[InlineKeyboardButton(t, callback_data=d)] for t, d in buttons])


@asynccontextmanager
async def webhook_receiver(
    statuses: list[int], answer: dict[str, Any] | None = None
) -> AsyncIterator[tuple[str, list[tuple[dict[str, Any], str | None]]]]:
    """A local webhook answering the given statuses in turn (then 200, with ``answer`` as
    JSON if given); yields its url and what it received (update, secret header)."""
    received: list[tuple[dict[str, Any], str | None]] = []

    async def handle(request: web.Request) -> web.Response:
        received.append((await request.json(), request.headers.get(SECRET_HEADER)))
        status = statuses.pop(0) if statuses else 200
        if status == 200 and answer is not None:
            return web.json_response(answer)
        return web.Response(status=status, text="ok")

    app = web.Application()
    app.router.add_post("/hook", handle)
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = runner.addresses[0][1]
    try:
        yield f"http://127.0.0.1:{port}/hook", received
    finally:
        await runner.cleanup()


# ---- basics: identity, tokens, wire format -------------------------------------------------


async def test_get_me_reports_the_configured_bot(tg: FakeTelegram, bot: Bot) -> None:
    me = await bot.get_me()
    assert me.username == "tiepdan_test_bot"
    assert me.id == int(DEFAULT_TOKEN.split(":")[0])
    assert me.is_bot
    assert tg.calls_by_method["getMe"] >= 1


async def test_unknown_token_and_method_answer_like_telegram(tg: FakeTelegram) -> None:
    with pytest.raises(InvalidToken):
        async with Bot("42:WRONG", base_url=tg.base_url, base_file_url=tg.base_file_url):
            pass
    async with aiohttp.ClientSession() as http:
        async with http.get(f"{tg.api_url}/bot42:WRONG/getMe") as response:
            assert response.status == 401
            assert await response.json() == {
                "ok": False,
                "error_code": 401,
                "description": "Unauthorized",
            }
        async with http.post(f"{tg.base_url}{tg.token}/noSuchMethod") as response:
            assert response.status == 404
            assert await response.json() == {
                "ok": False,
                "error_code": 404,
                "description": "Not Found",
            }
        async with http.get(f"{tg.base_url}{tg.token}/GETME") as response:  # case-insensitive
            assert (await response.json())["result"]["username"] == "tiepdan_test_bot"
        async with http.get(f"{tg.base_url}{tg.token}/forwardMessage") as response:
            assert response.status == 501


async def test_ptb_sends_forms_with_json_encoded_objects(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(AN)
    await bot.send_message(AN, "Chọn", reply_markup=keyboard(("Khiếu nại", "complaint")))
    call = tg.calls_of("sendMessage")[-1]
    assert call.content_type == "application/x-www-form-urlencoded"
    assert call.raw_params["chat_id"] == "1001"  # every value is a string on the wire
    assert isinstance(call.raw_params["reply_markup"], str)  # nested objects: JSON strings
    assert call.params["chat_id"] == AN
    assert call.params["reply_markup"] == {
        "inline_keyboard": [[{"text": "Khiếu nại", "callback_data": "complaint"}]]
    }
    sent = tg.sent_messages(AN)[-1]
    assert sent.text == "Chọn"
    assert sent.reply_markup == call.params["reply_markup"]


async def test_json_and_query_string_requests_work_too(tg: FakeTelegram) -> None:
    tg.user(AN)
    url = f"{tg.base_url}{tg.token}"
    markup = {"inline_keyboard": [[{"text": "Có", "callback_data": "yes"}]]}
    async with aiohttp.ClientSession() as http:
        body = {"chat_id": AN, "text": "JSON", "reply_markup": markup}
        async with http.post(f"{url}/sendMessage", json=body) as response:
            result = (await response.json())["result"]
            assert result["reply_markup"] == markup
            assert result["message_id"] == 1
        async with http.get(f"{url}/sendMessage", params={"chat_id": AN, "text": "GET"}) as r:
            assert (await r.json())["result"]["message_id"] == 2
    assert [m.text for m in tg.sent_messages(AN)] == ["JSON", "GET"]


# ---- updates: getUpdates offsets, long polling, duplicates ------------------------------


async def test_inline_keyboard_round_trip(tg: FakeTelegram, bot: Bot) -> None:
    an = tg.user(AN, first_name="An")
    await an.send_command("/start")
    (start,) = await bot.get_updates()
    assert start.message is not None
    assert start.message.text == "/start"
    assert start.message.entities[0].type == "bot_command"
    assert start.message.from_user is not None
    assert start.message.from_user.language_code == "vi"

    await bot.send_message(
        AN, "Bạn muốn gửi gì?", reply_markup=keyboard(("Khiếu nại", "k"), ("Tố cáo", "t"))
    )
    reply = await an.next_reply()
    assert reply.text == "Bạn muốn gửi gì?"
    assert reply.buttons == [[("Khiếu nại", "k")], [("Tố cáo", "t")]]

    await an.press("Tố cáo")
    (pressed,) = await bot.get_updates(offset=start.update_id + 1)
    query = pressed.callback_query
    assert query is not None
    assert query.data == "t"
    assert query.message is not None
    assert query.message.message_id == reply.message_id
    assert query.id in tg.pending_callbacks

    assert await bot.answer_callback_query(query.id, text="Đã nhận")
    assert tg.answered_callbacks[query.id]["text"] == "Đã nhận"
    with pytest.raises(BadRequest, match=r"(?i)query is too old"):
        await bot.answer_callback_query(query.id)  # a query is answered once


async def test_press_reports_available_buttons_and_forged_data(tg: FakeTelegram, bot: Bot) -> None:
    an = tg.user(AN)
    with pytest.raises(AssertionError, match="no bot message with an inline keyboard"):
        await an.press("Có")
    sent = await bot.send_message(AN, "Xác nhận?", reply_markup=keyboard(("Có", "y")))
    with pytest.raises(AssertionError, match=r"available: \[\('Có', 'y'\)\]"):
        await an.press("Không")
    await an.press_data("admin:delete_all")  # forged: still attached to the last message
    await an.press_data("y", message_id=999)  # a message the bot cannot see any more
    forged, old = await bot.get_updates()
    assert forged.callback_query is not None
    assert forged.callback_query.data == "admin:delete_all"
    assert forged.callback_query.message is not None
    assert forged.callback_query.message.message_id == sent.message_id
    assert old.callback_query is not None
    assert old.callback_query.message is not None
    assert not old.callback_query.message.is_accessible


async def test_offsets_confirm_and_forget_updates(tg: FakeTelegram, bot: Bot) -> None:
    an = tg.user(AN)
    for text in ("một", "hai", "ba"):
        await an.send_text(text)
    first = await bot.get_updates()
    ids = [u.update_id for u in first]
    assert ids == sorted(ids) and len(ids) == 3
    assert [u.update_id for u in await bot.get_updates()] == ids  # not confirmed: again
    assert [u.update_id for u in await bot.get_updates(offset=ids[1])] == ids[1:]
    assert [u.update_id for u in await bot.get_updates()] == ids[1:]  # ids[0] is forgotten
    assert [u.update_id for u in await bot.get_updates(limit=1)] == ids[1:2]
    assert await bot.get_updates(offset=ids[2] + 1) == ()
    assert tg.pending_updates == []

    for text in ("bốn", "năm"):
        await an.send_text(text)
    (last,) = await bot.get_updates(offset=-1)  # negative: only the last, others forgotten
    assert last.message is not None
    assert last.message.text == "năm"
    assert len(tg.pending_updates) == 1


async def test_long_poll_wakes_when_an_update_arrives(tg: FakeTelegram, bot: Bot) -> None:
    an = tg.user(AN)
    poll = asyncio.create_task(bot.get_updates(timeout=10))
    await tg.wait_for(lambda: tg.active_polls == 1)
    started = time.monotonic()
    await an.send_text("xin chào")
    updates = await asyncio.wait_for(poll, 5)
    assert time.monotonic() - started < 1.0
    assert updates[0].message is not None
    assert updates[0].message.text == "xin chào"


async def test_empty_long_poll_returns_after_its_timeout(tg: FakeTelegram, bot: Bot) -> None:
    started = time.monotonic()
    assert await bot.get_updates(timeout=1) == ()
    assert 0.9 <= time.monotonic() - started < 3


async def test_a_second_poller_ends_the_first_with_conflict(tg: FakeTelegram, bot: Bot) -> None:
    """A second bot process with the same token; one PTB Bot cannot even try, as its
    getUpdates connection pool has a single connection (it would raise TimedOut)."""
    first = asyncio.create_task(bot.get_updates(timeout=10))
    await tg.wait_for(lambda: tg.active_polls == 1)
    async with Bot(**tg.bot_kwargs()) as second_process:
        assert await second_process.get_updates(timeout=0) == ()
    with pytest.raises(Conflict, match="terminated by other getUpdates request"):
        await first


async def test_resent_update_is_delivered_again_with_the_same_id(
    tg: FakeTelegram, bot: Bot
) -> None:
    an = tg.user(AN)
    original = await an.send_text("gửi đơn")
    (update,) = await bot.get_updates()
    assert await bot.get_updates(offset=update.update_id + 1) == ()  # confirmed
    tg.resend_update(original)
    (again,) = await bot.get_updates(offset=update.update_id + 1)
    assert again.update_id == update.update_id
    assert again.message is not None
    assert again.message.message_id == update.message.message_id  # type: ignore[union-attr]
    assert await bot.get_updates(offset=again.update_id + 1) == ()


async def test_raw_updates_get_an_id_and_stay_malformed(tg: FakeTelegram) -> None:
    queued = tg.queue_raw_update({"message": {"text": "no chat, no date"}})
    later = tg.queue_raw_update({"edited_message": {"message_id": 1}})
    assert later["update_id"] == queued["update_id"] + 1
    async with (
        aiohttp.ClientSession() as http,
        http.get(f"{tg.base_url}{tg.token}/getUpdates") as response,
    ):
        result = (await response.json())["result"]
    assert result[0] == {"update_id": queued["update_id"], "message": {"text": "no chat, no date"}}


# ---- webhooks ------------------------------------------------------------------------------


async def test_webhook_delivery_in_order_with_secret_and_retries(
    tg: FakeTelegram, bot: Bot
) -> None:
    an = tg.user(AN)
    async with webhook_receiver([500]) as (url, received):
        assert await bot.set_webhook(url, secret_token="bi-mat_123")
        with pytest.raises(Conflict, match="webhook is active"):
            await bot.get_updates()
        first = await an.send_text("một")
        second = await an.send_text("hai")
        await tg.wait_for(lambda: len(received) == 3 and not tg.pending_updates)
        assert [body["update_id"] for body, _ in received] == [
            first["update_id"],  # answered 500
            first["update_id"],  # retried
            second["update_id"],
        ]
        assert {secret for _, secret in received} == {"bi-mat_123"}
        assert [d.status for d in tg.webhook_deliveries] == [500, 200, 200]
        info = await bot.get_webhook_info()
        assert info.url == url
        assert info.pending_update_count == 0
        assert (
            info.last_error_message == "Wrong response from the webhook: 500 Internal Server Error"
        )
    # The receiver is gone: updates wait at Telegram and the error shows.
    await an.send_text("ba")
    await tg.wait_for(lambda: tg.webhook_deliveries[-1].status is None)
    info = await bot.get_webhook_info()
    assert info.pending_update_count == 1
    assert info.last_error_message == "Connection refused"
    assert await bot.delete_webhook()
    (kept,) = await bot.get_updates()  # polling gets what the webhook could not take
    assert kept.message is not None
    assert kept.message.text == "ba"


async def test_a_method_in_the_webhook_answer_is_executed(tg: FakeTelegram, bot: Bot) -> None:
    an = tg.user(AN)
    pong = {"method": "sendMessage", "chat_id": AN, "text": "pong"}
    async with webhook_receiver([], answer=pong) as (url, _received):
        await bot.set_webhook(url)
        await an.send_text("ping")
        assert (await an.next_reply()).text == "pong"


async def test_stopping_the_server_ends_long_polls_promptly() -> None:
    tg = FakeTelegram()
    await tg.start()
    async with Bot(**tg.bot_kwargs()) as bot:
        poll = asyncio.create_task(bot.get_updates(timeout=30))
        await tg.wait_for(lambda: tg.active_polls == 1)
        started = time.monotonic()
        await tg.stop()
        assert await asyncio.wait_for(poll, 5) == ()
        assert time.monotonic() - started < 3


# ---- files ---------------------------------------------------------------------------------


async def test_users_photo_downloads_through_get_file(tg: FakeTelegram, bot: Bot) -> None:
    an = tg.user(AN)
    picture = tiny_png(1000, 500)
    await an.send_photo(picture, caption="Ảnh hiện trường")
    (update,) = await bot.get_updates()
    assert update.message is not None
    sizes = update.message.photo
    assert [(p.width, p.height) for p in sizes][-1] == (1000, 500)
    largest = await bot.get_file(sizes[-1].file_id)
    assert largest.file_size == len(picture)
    assert bytes(await largest.download_as_bytearray()) == picture
    thumbnail = await bot.get_file(sizes[0].file_id)
    assert bytes(await thumbnail.download_as_bytearray()) != picture  # photo[0] is a thumbnail
    with pytest.raises(BadRequest, match=r"(?i)invalid file_id"):
        await bot.get_file("nonexistent")


async def test_bot_uploads_keep_their_bytes(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(AN)
    picture = tiny_png(4, 3)
    photo_message = await bot.send_photo(AN, picture, caption="<b>Biên nhận</b>", parse_mode="HTML")
    assert photo_message.caption == "Biên nhận"
    assert tg.sent_messages(AN)[-1].photo is not None
    assert tg.sent_messages(AN)[-1].photo.data == picture  # type: ignore[union-attr]

    pdf = b"%PDF-1.4 phieu tiep nhan"
    doc_message = await bot.send_document(AN, pdf, filename="phieu.pdf")
    assert doc_message.document is not None
    assert doc_message.document.file_name == "phieu.pdf"
    assert doc_message.document.mime_type == "application/pdf"
    stored = tg.sent_messages(AN)[-1].document
    assert stored is not None and stored.data == pdf
    downloaded = await (await bot.get_file(doc_message.document.file_id)).download_as_bytearray()
    assert bytes(downloaded) == pdf

    resent = await bot.send_document(AN, doc_message.document.file_id)  # by file_id
    assert resent.document is not None
    assert resent.document.file_unique_id == doc_message.document.file_unique_id
    with pytest.raises(BadRequest, match=r"(?i)image_process_failed"):
        await bot.send_photo(AN, b"not an image")


# ---- Telegram's refusals -----------------------------------------------------------------


async def test_per_chat_rate_limit_raises_retry_after() -> None:
    async with FakeTelegram(per_chat_rate=1.0) as tg, Bot(**tg.bot_kwargs()) as bot:
        tg.user(AN)
        tg.user(BINH)
        await bot.send_message(AN, "1")
        with pytest.raises(RetryAfter) as refused:
            await bot.send_message(AN, "2")
        assert refused.value.retry_after == dtm.timedelta(seconds=1)
        await bot.send_message(BINH, "another chat is not limited")
        assert tg.count_429 == 1
        await asyncio.sleep(0.95)  # the documented rule: next send allowed after 0.9 s
        await bot.send_message(AN, "2")
        assert [m.text for m in tg.sent_messages(AN)] == ["1", "2"]


async def test_global_rate_limit_uses_a_one_second_window() -> None:
    async with FakeTelegram(global_rate=5) as tg, Bot(**tg.bot_kwargs()) as bot:
        for user_id in range(1, 8):
            tg.user(user_id)
        for user_id in range(1, 6):  # floor(5 * 1.1) = 5 sends per second pass
            await bot.send_message(user_id, "ok")
        with pytest.raises(RetryAfter):
            await bot.send_message(6, "one too many")
        assert tg.count_429 == 1
        assert tg.calls_of("sendMessage")[-1].status == 429


async def test_without_ptb_timedelta_a_429_surfaces_as_a_warning(
    tg: FakeTelegram, bot: Bot, monkeypatch: pytest.MonkeyPatch
) -> None:
    """Under filterwarnings=error PTB's own RetryAfter constructor raises instead."""
    monkeypatch.delenv("PTB_TIMEDELTA")
    tg.user(AN)
    tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 7", retry_after=7)
    with pytest.raises(PTBDeprecationWarning, match="retry_after"):
        await bot.send_message(AN, "x")


async def test_injected_faults(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(AN)
    tg.fail_next("sendMessage", 429, "Too Many Requests: retry after 3", retry_after=3)
    tg.fail_next("sendMessage", 502, "Bad Gateway", times=2)
    with pytest.raises(RetryAfter) as refused:
        await bot.send_message(AN, "x")
    assert refused.value.retry_after == dtm.timedelta(seconds=3)
    for _ in range(2):
        with pytest.raises(NetworkError, match="Bad Gateway"):
            await bot.send_message(AN, "x")
    await bot.send_message(AN, "finally")
    assert [c.status for c in tg.calls_of("sendMessage")] == [429, 502, 502, 200]
    assert tg.count_429 == 1


async def test_blocked_and_unknown_chats(tg: FakeTelegram, bot: Bot) -> None:
    an = tg.user(AN)
    an.block()
    with pytest.raises(Forbidden, match="bot was blocked by the user"):
        await bot.send_message(AN, "Nhắc hạn")
    with pytest.raises(Forbidden):
        await bot.send_chat_action(AN, "typing")
    an.unblock()
    await bot.send_message(AN, "Nhắc hạn")
    with pytest.raises(BadRequest, match=r"(?i)chat not found"):
        await bot.send_message(424242, "nobody")


async def test_callback_data_is_limited_to_64_bytes(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(AN)
    await bot.send_message(AN, "ok", reply_markup=keyboard(("64", "a" * 64)))
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):
        await bot.send_message(AN, "x", reply_markup=keyboard(("65", "a" * 65)))
    with pytest.raises(BadRequest, match=r"(?i)button_data_invalid"):  # 22 chars, 66 bytes
        await bot.send_message(AN, "x", reply_markup=keyboard(("vi", "ệ" * 22)))
    bare = InlineKeyboardMarkup([[InlineKeyboardButton("no action")]])
    with pytest.raises(BadRequest, match=r"(?i)text buttons are unallowed"):
        await bot.send_message(AN, "x", reply_markup=bare)


async def test_text_rules(tg: FakeTelegram, bot: Bot) -> None:
    tg.user(AN)
    await bot.send_message(AN, "x" * 4096)
    with pytest.raises(BadRequest, match=r"(?i)message is too long"):
        await bot.send_message(AN, "x" * 4097)
    with pytest.raises(BadRequest, match=r"(?i)message text is empty"):
        await bot.send_message(AN, "  \n ")
    with pytest.raises(BadRequest, match=r'(?i)unsupported start tag "" at byte offset 2'):
        await bot.send_message(AN, "1 < 2", parse_mode="HTML")
    with pytest.raises(BadRequest, match=r"(?i)character '.' is reserved"):
        await bot.send_message(AN, "Hạn: 10 ngày.", parse_mode="MarkdownV2")
    sent = await bot.send_message(AN, "*Hạn:* 10 ngày\\.", parse_mode="MarkdownV2")
    assert sent.text == "Hạn: 10 ngày."
    assert sent.entities[0].type == "bold"
    html = await bot.send_message(AN, "  <i>Đơn</i> &lt;số 7&gt;  ", parse_mode="HTML")
    assert html.text == "Đơn <số 7>"  # trimmed, entities decoded
    assert tg.sent_messages(AN)[-1].raw_text == "  <i>Đơn</i> &lt;số 7&gt;  "


async def test_edit_rules(tg: FakeTelegram, bot: Bot) -> None:
    an = tg.user(AN)
    sent = await bot.send_message(AN, "Chọn loại đơn", reply_markup=keyboard(("Khiếu nại", "k")))
    with pytest.raises(BadRequest, match=r"(?i)message is not modified"):
        await bot.edit_message_text(
            "Chọn loại đơn", AN, sent.message_id, reply_markup=keyboard(("Khiếu nại", "k"))
        )
    edited = await bot.edit_message_text("Đã chọn: Khiếu nại", AN, sent.message_id)
    assert isinstance(edited, object)
    assert tg.message(AN, sent.message_id).reply_markup is None  # type: ignore[union-attr]
    with pytest.raises(AssertionError):  # no reply_markup in the edit: keyboard is gone
        await an.press("Khiếu nại")
    await bot.edit_message_reply_markup(AN, sent.message_id, reply_markup=keyboard(("Lại", "r")))
    await an.press("Lại")
    assert await bot.delete_message(AN, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to delete not found"):
        await bot.delete_message(AN, sent.message_id)
    with pytest.raises(BadRequest, match=r"(?i)message to edit not found"):
        await bot.edit_message_text("x", AN, sent.message_id)


async def test_reply_keyboard_contact_and_other_user_messages(tg: FakeTelegram, bot: Bot) -> None:
    an = tg.user(AN, first_name="An")
    share = ReplyKeyboardMarkup(
        [[KeyboardButton("Chia sẻ số điện thoại", request_contact=True)], ["Bỏ qua"]],
        resize_keyboard=True,
    )
    await bot.send_message(AN, "Cho xin số điện thoại", reply_markup=share)
    reply = await an.next_reply()
    assert reply.keyboard is not None
    assert reply.keyboard[0][0].request_contact
    assert an.keyboard == reply.keyboard
    await an.tap("Chia sẻ số điện thoại", phone="84912345678")
    await an.share_contact("+84987654321", own=False)
    await an.send_location(21.0285, 105.8542)
    await an.send_document(b"%PDF", "don.pdf", "application/pdf")
    await an.send_voice(b"OggS voice", duration=3)
    await an.send_sticker()
    own, other, place, document, voice, sticker = await bot.get_updates()
    assert own.message.contact.user_id == AN  # type: ignore[union-attr]
    assert own.message.contact.phone_number == "84912345678"  # type: ignore[union-attr]
    assert other.message.contact.user_id != AN  # type: ignore[union-attr]
    assert place.message.location.latitude == pytest.approx(21.0285)  # type: ignore[union-attr]
    assert document.message.document.file_name == "don.pdf"  # type: ignore[union-attr]
    assert voice.message.voice.duration == dtm.timedelta(seconds=3)  # type: ignore[union-attr]
    assert sticker.message.sticker.emoji == "👍"  # type: ignore[union-attr]
    await bot.send_message(AN, "Cảm ơn", reply_markup=ReplyKeyboardRemove())
    assert (await an.next_reply()).remove_keyboard
    assert an.keyboard is None
    await an.expect_no_reply(within=0.05)


async def test_commands_are_validated_and_stored(tg: FakeTelegram, bot: Bot) -> None:
    assert await bot.set_my_commands([("start", "Bắt đầu"), ("huy", "Hủy đơn")])
    assert [c.command for c in await bot.get_my_commands()] == ["start", "huy"]
    with pytest.raises(BadRequest, match=r"(?i)bot_command_invalid"):
        await bot.set_my_commands([("Gửi-đơn", "x")])


async def test_messages_older_than_48_hours_cannot_be_deleted() -> None:
    now = [dtm.datetime(2026, 3, 2, 3, 0, tzinfo=dtm.UTC)]
    async with FakeTelegram(clock=lambda: now[0]) as tg, Bot(**tg.bot_kwargs()) as bot:
        tg.user(AN)
        sent = await bot.send_message(AN, "Nhắc hạn cũ")
        assert sent.date == now[0]
        now[0] += dtm.timedelta(hours=49)
        with pytest.raises(BadRequest, match=r"(?i)can't be deleted for everyone"):
            await bot.delete_message(AN, sent.message_id)


@pytest.mark.parametrize(
    ("mode", "text", "plain", "types"),
    [
        ("HTML", "<b>Đơn <i>số 7</i></b>", "Đơn số 7", ["bold", "italic"]),
        ("HTML", '<a href="https://dvc.gov.vn">Cổng</a>', "Cổng", ["text_link"]),
        ("HTML", '<pre><code class="language-json">{}</code></pre>', "{}", ["pre"]),
        ("HTML", "😀<u>x</u>", "😀x", ["underline"]),  # offsets count UTF-16 units
        ("MarkdownV2", "__a _b___", "a b", ["underline", "italic"]),
        ("MarkdownV2", r">trích dẫn\.", "trích dẫn.", ["blockquote"]),
        ("MarkdownV2", r"[Cổng](https://dvc.gov.vn/a\)b)", "Cổng", ["text_link"]),
        ("Markdown", r"*đậm* snake\_case", "đậm snake_case", ["bold"]),
    ],
)
def test_parse_modes(mode: str, text: str, plain: str, types: list[str]) -> None:
    parser = {"HTML": parse_html, "MarkdownV2": parse_markdown_v2, "Markdown": parse_markdown}
    got_plain, entities = parser[mode](text)
    assert got_plain == plain
    assert [e["type"] for e in entities] == types
    if mode == "HTML" and text.startswith("😀"):
        assert entities[0]["offset"] == 2


@pytest.mark.parametrize(
    ("mode", "text", "error"),
    [
        ("HTML", "<b>x</i>", 'Unmatched end tag at byte offset 4, expected "</b>", found "</i>"'),
        ("HTML", "<b>x", 'Can\'t find end tag corresponding to start tag "b"'),
        ("HTML", "<br>", 'Unsupported start tag "br" at byte offset 0'),
        ("MarkdownV2", "Hạn (10 ngày)", "Character '(' is reserved"),
        ("MarkdownV2", "*đậm", "Can't find end of Bold entity at byte offset 0"),
        ("Markdown", "a_b", "Can't find end of the entity starting at byte offset 1"),
    ],
)
def test_parse_errors(mode: str, text: str, error: str) -> None:
    parser = {"HTML": parse_html, "MarkdownV2": parse_markdown_v2, "Markdown": parse_markdown}
    with pytest.raises(ParseError) as refused:
        parser[mode](text)
    assert str(refused.value).startswith(error)


# ---- the whole PTB stack -----------------------------------------------------------------


async def test_application_long_polling_echo(tg: FakeTelegram) -> None:
    async def echo(update: Update, context: ContextTypes.DEFAULT_TYPE) -> None:
        assert update.effective_message is not None
        await update.effective_message.reply_text(f"Bạn nói: {update.effective_message.text}")

    app = (
        Application.builder()
        .token(tg.token)
        .base_url(tg.base_url)
        .base_file_url(tg.base_file_url)
        .build()
    )
    app.add_handler(MessageHandler(filters.TEXT & ~filters.COMMAND, echo))
    an = tg.user(AN)
    async with app:
        await app.start()
        assert app.updater is not None
        await app.updater.start_polling(poll_interval=0.0, timeout=dtm.timedelta(seconds=5))
        await an.send_text("xin chào")
        reply = await an.next_reply(timeout=10)
        assert reply.text == "Bạn nói: xin chào"
        assert "reply_to_message" not in reply.message  # reply_text quotes only in groups
        await app.updater.stop()
        await app.stop()
    # Stopping confirmed the update with one last getUpdates(offset=...), as PTB documents.
    assert tg.pending_updates == []
    assert tg.calls_by_method["deleteWebhook"] == 1  # start_polling always deletes a webhook
