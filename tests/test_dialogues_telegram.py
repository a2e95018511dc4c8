"""A dialogue session's whole life over the real Telegram stack, with several citizens: created in
chat, announced to followers, seats and a waitlist, a calendar file, a question, reminders on the
clock, then minutes and the question left open turned into a tracked petition."""

from __future__ import annotations

from datetime import UTC, datetime

import icalendar
from sqlalchemy import select

from bot.app import Application
from bot.buttons import SessionAction, SessionCard
from storage import models as m
from tests.conftest import FakeClock
from tests.fake_telegram import FakeTelegram, SimUser
from tests.test_casework_telegram import bound, run_jobs_at
from tests.test_dialogues import announce
from tests.test_telegram import consent

# Thu 05/03/2026 14:00 in Hà Nội.
STARTS = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
TOPIC = "Nước sạch cho xóm Na Mao"


async def follows_son_phu(citizen: SimUser) -> None:
    await consent(citizen)
    await citizen.press("🤝 Đối thoại & tiếp dân")
    await citizen.next_reply()
    await citizen.press("🔔 Nhận tin theo địa bàn")
    await citizen.next_reply()
    await citizen.press("Cả xã Phú Đình")
    assert "Đã nhận tin" in (await citizen.next_reply()).text
    await citizen.next_reply()


async def create_in_chat(clerk: SimUser) -> None:
    await clerk.press("📅 Đối thoại")
    await clerk.next_reply()
    await clerk.press("➕ Tạo buổi đối thoại")
    await clerk.next_reply()
    await clerk.send_text(TOPIC)
    await clerk.next_reply()
    await clerk.press("Nguyễn Văn Hải · Chủ tịch UBND xã Phú Đình")
    await clerk.next_reply()
    await clerk.send_text("05/03/2026 14:00")
    await clerk.next_reply()
    await clerk.send_text("Nhà văn hóa xóm Na Mao")
    audience = await clerk.next_reply()
    await clerk.press(next(label for label in audience.button_texts if "Phú Đình" in label))
    await clerk.next_reply()
    await clerk.press("✔️ Xong")
    await clerk.next_reply()
    await clerk.send_text("2")
    await clerk.next_reply()
    await clerk.press("1 ngày trước giờ họp")
    await clerk.next_reply()
    await clerk.press("Chỉ người đã đăng ký tham dự")
    review = await clerk.next_reply()
    assert TOPIC in review.text and "14:00 05/03/2026" in review.text
    await clerk.press("📣 Công bố")
    await clerk.next_reply()


async def test_a_session_from_announcement_to_follow_up_with_three_citizens(
    app: Application, telegram: FakeTelegram, clock: FakeClock
) -> None:
    (clerk,) = await bound(app, telegram, {"pd.tiepdan": 5001})
    citizens = [telegram.user(1000 + n, f"Dân {n}") for n in (1, 2, 3)]
    for citizen in citizens:
        await follows_son_phu(citizen)

    await clerk.send_command("/menu")
    await clerk.next_reply()
    await create_in_chat(clerk)
    await run_jobs_at(app, clock, clock.now)
    for citizen in citizens:
        announcement = await citizen.next_reply()
        assert "Thông báo buổi đối thoại" in announcement.text and TOPIC in announcement.text
        await citizen.press("✅ Đăng ký tham dự")
    first, second, third = [(await c.next_reply()).text for c in citizens]
    assert "đã đăng ký" in first and "đã đăng ký" in second
    assert "vị trí 1 trong danh sách chờ" in third

    await citizens[0].press("📅 Lưu vào lịch điện thoại")
    calendar_reply = await citizens[0].next_reply()
    assert calendar_reply.document is not None
    [event] = icalendar.Calendar.from_ical(calendar_reply.document.data).walk("VEVENT")
    assert (
        event.decoded("dtstart") == STARTS
        and str(event.get("location")) == "Nhà văn hóa xóm Na Mao"
    )

    await citizens[1].press("❓ Gửi câu hỏi trước")
    await citizens[1].next_reply()
    await citizens[1].send_text("Khi nào đường ống nước sạch về đến xóm Na Mao?")
    assert "Đã gửi câu hỏi" in (await citizens[1].next_reply()).text

    await citizens[0].press_data(SessionAction(1, "leave").pack())
    assert "chắc chắn hủy đăng ký" in (await citizens[0].next_reply()).text
    await citizens[2].expect_no_reply(within=0.3)  # nothing is given up before the yes
    await citizens[0].press("✅ Đúng, hủy đăng ký")
    await citizens[0].next_reply()
    assert "Đã có chỗ" in (await citizens[2].next_reply()).text

    await run_jobs_at(app, clock, datetime(2026, 3, 4, 7, 30, tzinfo=UTC))  # a day before
    for citizen in citizens[1:]:
        assert "Nhắc lịch buổi đối thoại" in (await citizen.next_reply()).text
    await citizens[0].expect_no_reply(within=0.3)

    clock.now = datetime(2026, 3, 5, 10, 0, tzinfo=UTC)  # the session is over
    await clerk.press_data(SessionCard(1, "open").pack())
    await clerk.next_reply()
    await clerk.press("📝 Ghi kết quả buổi đối thoại")
    await clerk.next_reply()
    await clerk.send_text("64")
    await clerk.next_reply()
    await clerk.send_text("Xã cam kết khảo sát tuyến ống nước trong tháng 3.")
    await clerk.next_reply()
    await clerk.press("➡️ Tiếp")  # the question was not answered at the session
    await clerk.next_reply()
    await clerk.press("⏭ Không còn cam kết nào")
    await clerk.next_reply()
    await clerk.press("✅ Xác nhận và gửi biên bản")
    assert "PD-2026-000001" in (await clerk.next_reply()).text

    author = await citizens[1].next_reply()
    assert "PD-2026-000001" in author.text
    await run_jobs_at(app, clock, clock.now)
    minutes = [(await c.next_reply()).text for c in citizens]
    assert all("khảo sát tuyến ống nước" in text and "64" in text for text in minutes)
    async with app.db.transaction() as session:
        petition = await session.get_one(m.Petition, 1)
        deadlines = (await session.scalars(select(m.Deadline.rule_id))).all()
    assert (petition.kind, petition.dialogue_id) == ("kien_nghi", 1)
    assert "pakn.answer" in deadlines


async def test_typing_dang_ky_later_registers_only_those_told_of_the_session(
    app: Application, telegram: FakeTelegram
) -> None:
    """«Đăng ký» typed after other messages registers a follower at the one session open to
    them; someone told of no session gets the menu, as any other words."""
    follower = telegram.user(1001, "Dân 1")
    await follows_son_phu(follower)
    stranger = telegram.user(1002, "Dân 2")
    await consent(stranger)
    dialogue_id = await announce(app)
    assert "Thông báo buổi đối thoại" in (await follower.next_reply()).text
    await follower.send_command("/menu")
    await follower.next_reply()

    await follower.send_text("ĐĂNG KÝ")
    assert (
        "đã đăng ký tham dự buổi đối thoại lúc 08:00 14/03/2026"
        in (await follower.next_reply()).text
    )
    await stranger.send_text("đăng ký")
    assert "Ông/bà cần gì?" in (await stranger.next_reply()).text
    async with app.db.transaction() as session:
        seats = [
            (r.dialogue_id, r.citizen_id, r.status)
            for r in await session.scalars(select(m.DialogueRegistration))
        ]
        (citizen_id,) = await session.scalars(
            select(m.Citizen.id).where(m.Citizen.chat_id == str(follower.chat_id))
        )
    assert seats == [(dialogue_id, citizen_id, "registered")]
