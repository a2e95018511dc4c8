"""Bad input gets a clear, polite answer in the user's language; nothing crashes or is lost."""

from __future__ import annotations

import pytest
from sqlalchemy import select

from bot.app import Application
from storage import models as m
from tests.fake_telegram import FakeTelegram, SimUser
from tests.test_telegram import bind_officer, consent, file_up_to_content


async def draft(app: Application, chat_id: int) -> dict:
    async with app.db.transaction() as session:
        row = await session.get(m.Conversation, ("telegram", str(chat_id)))
        assert row is not None
        return dict(row.data.get("draft", {}))


async def test_sticker_and_unknown_command_get_a_polite_answer_and_the_question_again(
    app: Application, telegram: FakeTelegram
) -> None:
    user = telegram.user(2001)
    await file_up_to_content(user)
    await user.send_sticker()
    assert "nhãn dán" in (await user.next_reply()).text
    await user.send_command("/frobnicate")
    assert "không có lệnh này" in (await user.next_reply()).text
    assert "kể lại sự việc" in (await user.next_reply()).text


async def test_old_button_does_nothing_but_point_to_the_current_question(
    app: Application, telegram: FakeTelegram
) -> None:
    user = telegram.user(2002)
    await consent(user)
    await user.press("📝 Gửi đơn")
    kinds = await user.next_reply()
    await user.press("Tố cáo")
    await user.next_reply()
    await user.press("Khiếu nại", message_id=kinds.message_id)
    assert "tin nhắn cũ" in (await user.next_reply()).text
    assert "lĩnh vực" in (await user.next_reply()).text
    assert (await draft(app, 2002))["kind"] == "to_cao"


async def test_forged_button_data_is_refused_and_logged(
    app: Application, telegram: FakeTelegram, caplog: pytest.LogCaptureFixture
) -> None:
    user = telegram.user(2003)
    await consent(user)
    await user.press_data("op:1")
    assert "dành cho cán bộ" in (await user.next_reply()).text
    await user.press_data("zz:<script>")
    assert "không hiểu nút" in (await user.next_reply()).text
    assert "Chọn một mục" in (await user.next_reply()).text
    await user.press_data("999999.khieu_nai")
    assert "tin nhắn cũ" in (await user.next_reply()).text
    logged = " ".join(record.getMessage() for record in caplog.records)
    assert "not an officer" in logged and "forged or unknown button" in logged


async def test_oversized_and_unsupported_files_are_refused_kindly(
    app: Application, telegram: FakeTelegram
) -> None:
    user = telegram.user(2004)
    await file_up_to_content(user)
    await user.send_document(b"MZ" + b"\0" * 100, "setup.exe", "application/x-msdownload")
    assert "loại tệp này" in (await user.next_reply()).text
    big = await user.send_document(b"%PDF-1.4 tiny", "so-do.pdf", "application/pdf")
    big["message"]["document"]["file_size"] = 25 * 1024 * 1024
    telegram.queue_raw_update({"message": big["message"]})
    await user.next_reply()  # the real small PDF is accepted
    assert "lớn quá" in (await user.next_reply()).text
    assert len((await draft(app, 2004))["files"]) == 1


async def test_someone_elses_contact_and_a_bad_phone_are_refused(
    app: Application, telegram: FakeTelegram
) -> None:
    user = telegram.user(2005)
    await file_up_to_content(user)
    await user.send_text("Cống thoát nước bị tắc gây ngập.")
    await user.next_reply()
    await user.press("✅ Xong")
    await user.next_reply()
    await user.send_text("0912345678")
    assert "họ và tên" in (await user.next_reply()).text, "a number is not a name"
    await user.send_text("Vi Thị Hằng")
    await user.next_reply()
    await user.share_contact("0912345678", own=False)
    assert "số của người khác" in (await user.next_reply()).text
    await user.send_text("12345")
    assert "chưa đúng" in (await user.next_reply()).text
    await user.send_text("+84 (98) 765-4321")
    assert "Địa chỉ" in (await user.next_reply()).text
    assert (await draft(app, 2005))["phone"] == "0987654321"


async def test_a_burst_of_messages_is_kept_in_order(
    app: Application, telegram: FakeTelegram
) -> None:
    user = telegram.user(2006)
    await file_up_to_content(user)
    for n in range(12):
        await user.send_text(f"dòng {n}")
    for _ in range(12):
        await user.next_reply()
    assert (await draft(app, 2006))["texts"] == [f"dòng {n}" for n in range(12)]


async def test_english_speaker_switches_language_and_gets_english(
    app: Application, telegram: FakeTelegram
) -> None:
    user: SimUser = telegram.user(2007, language_code="en")
    await user.send_command("/start")
    notice = await user.next_reply()
    assert "dữ liệu cá nhân" in notice.text, "Vietnamese first, whatever the phone's language"
    await user.press("🌐 Ngôn ngữ / Language")
    await user.next_reply()
    await user.press("English")
    assert "English" in (await user.next_reply()).text
    assert "personal data" in (await user.next_reply()).text


async def test_nothing_is_lost_when_a_handler_fails(
    app: Application, telegram: FakeTelegram
) -> None:
    user = telegram.user(2008)
    await consent(user)
    async with app.db.transaction() as session:
        row = await session.get(m.Conversation, ("telegram", "2008"))
        assert row is not None
        row.state, row.data = "f.review", {"draft": {"trail": [], "kind": "khieu_nai"}}
    await user.press_data(f"{row.step}.send")
    assert "sự cố" in (await user.next_reply()).text
    async with app.db.transaction() as session:
        inbox = list(
            await session.scalars(
                select(m.InboxUpdate)
                .where(m.InboxUpdate.chat_id == "2008")
                .order_by(m.InboxUpdate.id)
            )
        )
    assert all(item.processed_at is not None for item in inbox)
    assert inbox[-1].error == "handler failed"


async def test_location_key_and_typed_back_key_work(
    app: Application, telegram: FakeTelegram
) -> None:
    user = telegram.user(2009)
    await consent(user)
    await user.press("📝 Gửi đơn")
    await user.next_reply()
    await user.press("Kiến nghị")
    await user.next_reply()
    await user.press("Giao thông")
    await user.next_reply()
    await user.press("Xã Phú Đình")
    await user.next_reply()
    await user.press("📍 Gửi vị trí trên bản đồ")
    hint = await user.next_reply()
    assert hint.keyboard and hint.keyboard[0][0].request_location
    await user.tap("⬅️ Quay lại")
    assert "xã nào" in (await user.next_reply()).text, "the Back key returns to the commune"
    await user.press("Xã Phú Đình")
    await user.next_reply()
    await user.press("📍 Gửi vị trí trên bản đồ")
    await user.next_reply()
    await user.send_location(21.79, 105.64)
    assert "kể lại sự việc" in (await user.next_reply()).text
    saved = await draft(app, 2009)
    assert (saved["latitude"], saved["longitude"]) == (21.79, 105.64)


async def test_start_mid_filing_offers_to_resume_and_cancel_drops_the_draft(
    app: Application, telegram: FakeTelegram
) -> None:
    user = telegram.user(2010)
    await file_up_to_content(user)
    await user.send_voice(b"OggS fake voice", 4)
    assert "tệp đính kèm (tổng cộng 1)" in (await user.next_reply()).text
    await user.send_command("/help")
    helped = (await user.next_reply()).text
    assert "Hướng dẫn" in helped
    assert "Tiếp công dân — UBND xã Phú Đình" in helped and "☎ 0208 3827 456" in helped, "where"
    assert "kể lại sự việc" in (await user.next_reply()).text, "help repeats the pending question"
    await user.send_command("/start")
    assert "đang soạn dở" in (await user.next_reply()).text
    await user.press("▶️ Tiếp tục đơn đang soạn")
    assert "kể lại sự việc" in (await user.next_reply()).text
    assert (await draft(app, 2010))["files"][0]["media"] == "voice"
    await user.send_command("/cancel")
    assert "Đã hủy" in (await user.next_reply()).text
    assert await draft(app, 2010) == {}


async def test_back_from_anonymous_feedback_makes_it_a_protected_denunciation_again(
    app: Application, telegram: FakeTelegram
) -> None:
    clerk = telegram.user(2020, "Mai")
    await bind_officer(app, clerk, "pd.tiepdan")
    head = telegram.user(2021, "Hải")
    await bind_officer(app, head, "pd.chutich")
    user = telegram.user(2011)
    await consent(user)
    for label in (
        "📝 Gửi đơn",
        "Tố cáo",
        "Đất đai",
        "Cán bộ, công chức của xã",
        "Xã Phú Đình",
        "Xóm Na Mao",
    ):
        await user.press(label)
        await user.next_reply()
    await user.send_text("Cán bộ địa chính nhận tiền để làm sổ đỏ nhanh.")
    await user.next_reply()
    await user.press("✅ Xong")
    await user.next_reply()
    await user.press("🕶 Tôi muốn ẩn danh (gửi thành phản ánh)")
    await user.next_reply()
    await user.next_reply()
    await user.press("⬅️ Quay lại")
    assert "giữ bí mật" in (await user.next_reply()).text
    await user.press("👤 Tiếp tục, ghi họ tên của tôi")
    await user.next_reply()
    await user.send_text("Nguyễn Văn Tố")
    await user.next_reply()
    await user.send_text("0912 345 678")
    await user.next_reply()
    await user.send_text("Xóm Na Mao")
    await user.next_reply()
    await user.press("📨 Gửi đơn")
    receipt = (await user.next_reply()).text
    assert "Loại đơn: Tố cáo" in receipt
    notice = (await head.next_reply()).text
    assert "Nguyễn Văn Tố" not in notice and "678" not in notice
    await clerk.expect_no_reply(within=0.3)


async def test_resume_survives_the_menu_and_does_not_loop(
    app: Application, telegram: FakeTelegram
) -> None:
    user = telegram.user(2012)
    await file_up_to_content(user)
    await user.send_command("/menu")
    menu = await user.next_reply()
    await user.press("📝 Gửi đơn", message_id=menu.message_id)
    assert "đang soạn dở" in (await user.next_reply()).text
    await user.press("📝 Gửi đơn", message_id=menu.message_id)
    assert "đang soạn dở" in (await user.next_reply()).text
    await user.press("▶️ Tiếp tục đơn đang soạn")
    assert "kể lại sự việc" in (await user.next_reply()).text


async def test_a_photo_with_a_caption_is_a_whole_story(
    app: Application, telegram: FakeTelegram
) -> None:
    from tests.fake_telegram import tiny_png

    user = telegram.user(2013)
    await file_up_to_content(user)
    await user.send_photo(tiny_png(), caption="Cống bị vỡ trước nhà văn hóa")
    await user.next_reply()
    await user.press("✅ Xong")
    assert "họ và tên" in (await user.next_reply()).text
    assert (await draft(app, 2013))["texts"] == ["Cống bị vỡ trước nhà văn hóa"]
