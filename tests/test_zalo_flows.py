"""Every citizen flow and the officer's work on Zalo, end to end, every choice typed as its number.

The real Application against the fake Zalo Bot Platform, on a SQLite file, with a clock the tests
move: «Đơn của tôi» and a petition's timeline; an officer bound on Zalo who accepts, asks the
citizen, and answers; the citizen's answer, rating and «Chưa được giải quyết»; following a commune,
registering for a dialogue session, a question ahead and the reminders; the invitation to a
complaint's dialogue and the reminders of dates. What is asserted is what the person reads.
"""

from __future__ import annotations

from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Application
from storage import models as m
from tests.conftest import FakeClock
from tests.fake_zalo import FakeZalo, FakeZaloUser, Sent
from tests.test_dialogues import STARTS, announce, run_jobs
from tests.test_telegram import invite_code
from tests.test_zalo import (
    VI,
    choose,
    file_complaint_over_zalo,
    number_of,
    zalo_settings,
)

CODE = "PD-2026-000001"
STORY = "Hàng xóm lấn chiếm lối đi chung, xã đã hòa giải nhưng không xong."


@pytest.fixture
async def app(tmp_path: Path, zalo: FakeZalo, clock: FakeClock) -> AsyncIterator[Application]:
    application = Application(zalo_settings(tmp_path, zalo), clock=clock)
    await application.start()
    try:
        yield application
    finally:
        await application.stop()


async def said(person: FakeZaloUser, text: str) -> Sent:
    """Type a message and read the answer."""
    await person.send_text(text)
    return await person.next_reply()


async def the_rest(app: Application, person: FakeZaloUser) -> list[Sent]:
    """Everything else the bot has said to this person by now (its queued messages sent first)."""
    await app.outbox.flush()
    return person.unread()


async def at(app: Application, clock: FakeClock, moment: datetime) -> None:
    """The clock moves to `moment` and the jobs due by then run."""
    clock.now = moment
    await run_jobs(app)


async def officer_on_zalo(
    app: Application, zalo: FakeZalo, user_id: str, handle: str
) -> FakeZaloUser:
    """The officer types `/start <code>` of an invite in Zalo."""
    code = await invite_code(app, handle)
    officer = zalo.user(user_id, handle)
    bound = await said(officer, f"/start {code}")
    assert "đã được liên kết" in bound.text
    assert f"1. {VI('officer.menu.assigned')}" in bound.text, "the officer's menu, numbered"
    return officer


async def complaint_filed(zalo: FakeZalo, user_id: str) -> tuple[FakeZaloUser, Sent]:
    """A citizen files the complaint of tests/test_zalo.py; the receipt ends with the menu."""
    citizen = zalo.user(user_id)
    text = await file_complaint_over_zalo(citizen)
    receipt = zalo.sent_to(user_id)[-1]
    assert receipt.text == text and f"Mã đơn: {CODE}" in text
    return citizen, receipt


async def accepted_on_zalo(officer: FakeZaloUser, citizen: FakeZaloUser) -> tuple[Sent, Sent]:
    """The officer opens the new petition from its notice and accepts it; what each reads."""
    notice = await officer.next_reply()
    assert f"Đơn mới {CODE}" in notice.text
    card = await choose(officer, notice, VI("officer.open"))
    confirm = await choose(officer, card, VI("officer.action.accept"))
    accepted = await choose(officer, confirm, VI("officer.confirm.yes"))
    return accepted, await citizen.next_reply()


async def feedback_filed(citizen: FakeZaloUser, text: str) -> Sent:
    """A kiến nghị about administrative procedures (it goes to the commune's office)."""
    await citizen.send_text("/start")
    menu = await choose(citizen, await citizen.next_reply(), VI("privacy.agree"))
    kinds = await choose(citizen, menu, VI("menu.file"))
    fields = await choose(citizen, kinds, "Kiến nghị")
    communes = await choose(citizen, fields, "Thủ tục hành chính")
    villages = await choose(citizen, communes, "Xã Phú Đình")
    story = await choose(citizen, villages, "Xóm Na Mao")
    assert "kể lại sự việc" in story.text
    noted = await said(citizen, text)
    name = await choose(citizen, noted, VI("filing.content.done"))
    assert "họ và tên" in name.text
    phone = await said(citizen, "Đinh Văn Phúc")
    assert VI("zalo.type_phone") in phone.text
    address = await said(citizen, "0912 345 678")
    review = await choose(citizen, address, VI("filing.address.skip"))
    assert "Loại đơn: Kiến nghị" in review.text
    return await choose(citizen, review, VI("filing.review.send"))


async def answered_on_zalo(officer: FakeZaloUser, card: Sent, text: str) -> Sent:
    """From the petition's card: «Trả lời», the text, «Gửi trả lời» (no outcome for a kiến nghị)."""
    asked = await choose(officer, card, VI("officer.action.answer"))
    assert "Viết nội dung trả lời" in asked.text
    noted = await said(officer, text)
    done = await choose(officer, noted, VI("officer.answer.send"))
    assert f"Đã gửi trả lời đơn {CODE}" in done.text
    return done


# --- «Đơn của tôi» ------------------------------------------------------------------------------


async def test_my_petitions_on_zalo_show_the_code_state_and_dates(
    app: Application, zalo: FakeZalo
) -> None:
    officer = await officer_on_zalo(app, zalo, "officer-1", "pd.tiepdan")
    citizen, receipt = await complaint_filed(zalo, "citizen-1")

    listing = await choose(citizen, receipt, VI("menu.mine"))
    assert f"📄 {CODE} · Khiếu nại" in listing.text
    assert "Tình trạng: Đã tiếp nhận · Ngày nhận: 02/03/2026" in listing.text
    assert "⏰ Thụ lý hoặc trả lời không thụ lý: 12/03/2026" in listing.text
    assert number_of(listing, VI("mine.timeline", code=CODE)), "the timeline is offered"
    await the_rest(app, citizen)

    await accepted_on_zalo(officer, citizen)
    menu = await said(citizen, "/menu")
    listing = await choose(citizen, menu, VI("menu.mine"))
    assert "Tình trạng: Đã thụ lý · Ngày nhận: 02/03/2026" in listing.text
    # kn1.resolve: 30 days after the acceptance on Mon 02/03/2026 (Điều 28 Luật Khiếu nại).
    assert "⏰ Giải quyết khiếu nại lần đầu: 01/04/2026" in listing.text
    assert "Thụ lý hoặc trả lời không thụ lý" not in listing.text, "a met date is not listed"


async def test_a_petitions_timeline_opens_on_zalo_by_typing_its_number(
    app: Application, zalo: FakeZalo
) -> None:
    officer = await officer_on_zalo(app, zalo, "officer-1", "pd.tiepdan")
    citizen, _ = await complaint_filed(zalo, "citizen-1")
    await accepted_on_zalo(officer, citizen)

    listing = await choose(citizen, await said(citizen, "/menu"), VI("menu.mine"))
    assert f"📄 {CODE} · Khiếu nại" in listing.text
    await the_rest(app, citizen)
    timeline = await choose(citizen, listing, VI("mine.timeline", code=CODE))
    assert f"Diễn biến đơn {CODE}:" in timeline.text
    assert f"• 10:00 02/03/2026: {VI('event.received')}" in timeline.text
    assert f"• 10:00 02/03/2026: {VI('event.accept')}" in timeline.text
    assert "⏰ Giải quyết khiếu nại lần đầu: 01/04/2026" in timeline.text


# --- the officer's work on Zalo -----------------------------------------------------------------


async def test_an_officer_on_zalo_accepts_asks_and_answers_and_the_citizen_rates_on_zalo(
    app: Application, zalo: FakeZalo
) -> None:
    officer = await officer_on_zalo(app, zalo, "officer-1", "pd.tiepdan")
    citizen, _ = await complaint_filed(zalo, "citizen-1")

    notice = await officer.next_reply()
    assert f"📥 Đơn mới {CODE}" in notice.text and "Loại: Khiếu nại" in notice.text
    assert "Người gửi: Đinh Văn Phúc · 091****678" in notice.text
    assert f"1. {VI('officer.open')}" in notice.text
    card = await choose(officer, notice, VI("officer.open"))
    assert STORY in card.text and "0912345678" in card.text, "the assignee sees the full phone"
    confirm = await choose(officer, card, VI("officer.action.accept"))
    accepted = await choose(officer, confirm, VI("officer.confirm.yes"))
    assert f"Đã thụ lý đơn {CODE}" in accepted.text
    assert "Giải quyết khiếu nại lần đầu: 01/04/2026" in accepted.text
    told = await citizen.next_reply()
    assert f"Đơn {CODE} của ông/bà đã được thụ lý (nhận giải quyết) ngày 02/03/2026" in told.text
    assert "⏰ Giải quyết khiếu nại lần đầu: 01/04/2026" in told.text

    # The officer finds the petition again from the menu's list and asks the citizen a question.
    menu = await said(officer, "/menu")
    listing = await choose(officer, menu, VI("officer.menu.assigned"))
    card = await choose(officer, listing, f"{VI('officer.urgency.on_track')} {CODE}")
    assert "Tình trạng: Đã thụ lý" in card.text
    prompt = await choose(officer, card, VI("officer.action.ask_citizen"))
    assert "Viết câu hỏi" in prompt.text
    question = "Ông/bà gửi giúp số và ngày của biên bản hòa giải ở xã."
    asked = await said(officer, question)
    assert f"Đã gửi câu hỏi về đơn {CODE}" in asked.text

    to_citizen = await citizen.next_reply()
    assert f"Cán bộ hỏi thêm về đơn {CODE}" in to_citizen.text and question in to_citizen.text
    writing = await choose(citizen, to_citizen, VI("citizen.question.answer"))
    assert "gõ câu trả lời" in writing.text
    reply = "Biên bản hòa giải số 05/BB-HG ngày 10/01/2026, tôi sẽ mang bản gốc đến xã."
    noted = await said(citizen, reply)
    assert VI("answer.noted") in noted.text
    sent = await choose(citizen, noted, VI("answer.send"))
    assert f"Đã gửi câu trả lời về đơn {CODE} cho cán bộ" in sent.text
    relayed = await officer.next_reply()
    assert f"Công dân đã trả lời về đơn {CODE}" in relayed.text and reply in relayed.text

    # The answer: the outcome, the text, Send; the citizen reads it with the rating choices.
    card = await choose(officer, relayed, VI("officer.open"))
    assert "Tình trạng: Đang giải quyết" in card.text
    outcomes = await choose(officer, card, VI("officer.action.answer"))
    assert "Kết quả giải quyết" in outcomes.text
    writing = await choose(officer, outcomes, VI("outcome.partly"))
    assert "Viết nội dung trả lời" in writing.text
    decision = "Quyết định số 12/QĐ-UBND ngày 02/03/2026: công nhận một phần khiếu nại."
    noted = await said(officer, decision)
    assert await the_rest(app, citizen) == [], "nothing reaches the citizen before Send"
    chairman = await officer_on_zalo(app, zalo, "officer-2", "pd.chutich")
    done = await choose(officer, noted, VI("officer.answer.send"))
    assert f"Đã trình lãnh đạo duyệt trả lời đơn {CODE}" in done.text
    assert await the_rest(app, citizen) == [], "nor before the chairman signs it (LEGAL §9)"
    signed = await choose(chairman, await chairman.next_reply(), VI("officer.answer.approve"))
    assert f"Đã gửi trả lời đơn {CODE} cho công dân" in signed.text

    answer = await citizen.next_reply()
    assert f"Trả lời về đơn {CODE}:\n{decision}" in answer.text
    assert "Người duyệt: Chủ tịch UBND xã Phú Đình Nguyễn Văn Hải, ngày 02/03/2026." in answer.text
    # kn2.file_window: 30 days after the decision of Mon 02/03/2026 (Điều 33 Luật Khiếu nại).
    assert "khiếu nại lần hai" in answer.text and "01/04/2026" in answer.text
    assert VI("citizen.answer.rate") in answer.text
    stars = {score: number_of(answer, "⭐" * score) for score in range(1, 6)}
    assert stars == {score: str(score) for score in range(1, 6)}, "«4» gives four stars"
    assert number_of(answer, VI("citizen.appeal.button")) == "6"

    reasons = await said(citizen, "4 sao")  # as people say it
    assert VI("rating.ask_reason") in reasons.text
    comment = await choose(citizen, reasons, VI("rating.reason.clear"))
    assert VI("rating.ask_comment") in comment.text
    thanks = await said(citizen, "Cán bộ giải thích dễ hiểu.")
    assert VI("rating.thanks") in thanks.text
    async with app.db.transaction() as session:
        ratings = [
            (r.petition_id, r.score, r.reason, r.comment)
            for r in await session.scalars(select(m.Rating))
        ]
        petition = await session.get_one(m.Petition, 1)
    assert ratings == [(1, 4, "clear", "Cán bộ giải thích dễ hiểu.")]
    assert (petition.state, petition.outcome, petition.channel) == ("answered", "partly", "zalo")


async def test_a_kien_nghi_answered_on_zalo_is_reopened_by_typing_not_resolved(
    app: Application, zalo: FakeZalo, clock: FakeClock
) -> None:
    officer = await officer_on_zalo(app, zalo, "officer-1", "pd.tiepdan")
    citizen = zalo.user("citizen-1")
    receipt = await feedback_filed(
        citizen, "Đề nghị bộ phận một cửa của xã làm việc cả sáng thứ Bảy."
    )
    assert f"Mã đơn: {CODE}" in receipt.text and "Loại đơn: Kiến nghị" in receipt.text
    await accepted_on_zalo(officer, citizen)
    card = await said(officer, f"/tim {CODE}")
    await answered_on_zalo(officer, card, "Từ tháng 4/2026 bộ phận một cửa làm việc sáng thứ Bảy.")
    answer = await citizen.next_reply()
    assert "Từ tháng 4/2026" in answer.text
    assert VI("citizen.appeal.button") not in answer.text, "no second complaint for a kiến nghị"

    clock.now = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)  # Mon 09/03/2026
    why = await choose(citizen, answer, VI("citizen.reopen.button"))
    assert VI("reopen.ask") in why.text
    reason = "Sáng thứ Bảy vừa rồi bộ phận một cửa vẫn đóng cửa."
    reopened = await said(citizen, reason)
    # pakn.answer again: 15 working days after Mon 09/03/2026.
    assert f"Đã mở lại đơn {CODE}" in reopened.text and "30/03/2026" in reopened.text
    told = await officer.next_reply()
    assert f"Công dân báo đơn {CODE} chưa được giải quyết" in told.text and reason in told.text
    card = await choose(officer, told, VI("officer.open"))
    assert "Tình trạng: Đang giải quyết" in card.text
    assert "⏰ Trả lời kiến nghị, phản ánh: 30/03/2026" in card.text
    async with app.db.transaction() as session:
        assert (await session.get_one(m.Petition, 1)).state == "in_progress"


# --- dialogue sessions --------------------------------------------------------------------------


async def test_following_a_commune_registering_asking_ahead_and_reminders_on_zalo(
    app: Application, zalo: FakeZalo, clock: FakeClock
) -> None:
    citizen = zalo.user("citizen-1")
    await citizen.send_text("/start")
    menu = await choose(citizen, await citizen.next_reply(), VI("privacy.agree"))
    home = await choose(citizen, menu, VI("menu.meet"))
    assert VI("dialogue.home") in home.text
    places = await choose(citizen, home, VI("dialogue.home.follow"))
    assert VI("follow.title") in places.text
    followed = await choose(citizen, places, "Cả xã Phú Đình")
    assert "Đã nhận tin về xã Phú Đình" in followed.text
    [places] = await the_rest(app, citizen)
    assert number_of(places, "✅ Cả xã Phú Đình"), "the list marks what is followed"

    dialogue_id = await announce(app)
    announcement = await citizen.next_reply()
    assert "Thông báo buổi đối thoại" in announcement.text
    assert "Giải phóng mặt bằng" in announcement.text and "08:00 14/03/2026" in announcement.text
    registered = await choose(citizen, announcement, VI("dialogue.register"))
    assert "đã đăng ký tham dự buổi đối thoại lúc 08:00 14/03/2026" in registered.text
    prompt = await choose(citizen, registered, VI("dialogue.ask"))
    assert VI("dialogue.question.ask") in prompt.text
    question = "Bao giờ chi trả tiền đền bù cho các hộ xóm Na Mao?"
    sent = await said(citizen, question)
    assert VI("dialogue.question.sent") in sent.text
    async with app.db.transaction() as session:
        seats = [
            (r.dialogue_id, r.status) for r in await session.scalars(select(m.DialogueRegistration))
        ]
        questions = [
            (q.dialogue_id, q.text, q.status)
            for q in await session.scalars(select(m.DialogueQuestion))
        ]
    assert seats == [(dialogue_id, "registered")]
    assert questions == [(dialogue_id, question, "pending")]

    await at(app, clock, STARTS - timedelta(hours=23))
    day_before = await citizen.next_reply()
    assert "Nhắc lịch buổi đối thoại ông/bà đã đăng ký" in day_before.text
    assert (
        "08:00 14/03/2026" in day_before.text and "Hội trường UBND xã Phú Đình" in day_before.text
    )
    await at(app, clock, STARTS - timedelta(hours=1, minutes=30))
    hours_before = await citizen.next_reply()
    assert "Nhắc lịch buổi đối thoại" in hours_before.text
    assert await the_rest(app, citizen) == [], "each reminder once"


async def follows_son_phu_on_zalo(app: Application, zalo: FakeZalo, user_id: str) -> FakeZaloUser:
    """A citizen on Zalo who agreed to the notice and follows the whole of Phú Đình."""
    citizen = zalo.user(user_id)
    await citizen.send_text("/start")
    menu = await choose(citizen, await citizen.next_reply(), VI("privacy.agree"))
    home = await choose(citizen, menu, VI("menu.meet"))
    places = await choose(citizen, home, VI("dialogue.home.follow"))
    assert "Đã nhận tin" in (await choose(citizen, places, "Cả xã Phú Đình")).text
    await the_rest(app, citizen)
    return citizen


async def seats(app: Application) -> list[tuple[int, int, str]]:
    async with app.db.transaction() as session:
        rows = await session.scalars(select(m.DialogueRegistration))
        return sorted((r.dialogue_id, r.citizen_id, r.status) for r in rows)


async def test_on_zalo_typing_dang_ky_later_registers_at_the_session_announced(
    app: Application, zalo: FakeZalo
) -> None:
    """The announcement's «Đăng ký» stays open: typed after other messages, in any case and
    without diacritics, it registers; once the seat is held the words go where they went."""
    citizen = await follows_son_phu_on_zalo(app, zalo, "citizen-1")
    dialogue_id = await announce(app)
    assert "Thông báo buổi đối thoại" in (await citizen.next_reply()).text
    menu = await said(citizen, "cảm ơn")  # an unrelated message: the menu takes the numbers
    assert VI("menu.title") in menu.text

    registered = await said(citizen, "dang KY")
    assert "đã đăng ký tham dự buổi đối thoại lúc 08:00 14/03/2026" in registered.text
    assert [(d, status) for d, _, status in await seats(app)] == [(dialogue_id, "registered")]

    again = await said(citizen, "Đăng ký")  # the seat is held: nothing is open, the menu
    assert VI("menu.title") in again.text and "đã đăng ký" not in again.text
    assert len(await seats(app)) == 1


async def test_on_zalo_with_two_sessions_open_dang_ky_lists_them_to_choose(
    app: Application, zalo: FakeZalo
) -> None:
    citizen = await follows_son_phu_on_zalo(app, zalo, "citizen-1")
    water = await announce(app, topic="Nước sạch cho xóm Na Mao")
    road = await announce(app, topic="Đường liên xã Phú Đình - Định Hóa")
    assert len(await the_rest(app, citizen)) == 2, "two announcements"

    listed = await said(citizen, "đăng ký")
    assert "Có 2 buổi đối thoại đang nhận đăng ký" in listed.text
    assert await seats(app) == [], "nothing is taken before the citizen chooses"
    registered = await choose(citizen, listed, "08:00 14/03/2026 · Nước sạch")
    assert "đã đăng ký tham dự" in registered.text
    assert [d for d, _, _ in await seats(app)] == [water]

    # One session is left open to this citizen: its words take it straight away.
    assert "đã đăng ký tham dự" in (await said(citizen, "dang ky tham du")).text
    assert [d for d, _, _ in await seats(app)] == sorted([water, road])


# --- dates and reminders ------------------------------------------------------------------------


async def test_a_complaints_dialogue_invitation_and_reminders_reach_zalo(
    app: Application, zalo: FakeZalo, clock: FakeClock
) -> None:
    officer = await officer_on_zalo(app, zalo, "officer-1", "pd.tiepdan")
    citizen, _ = await complaint_filed(zalo, "citizen-1")
    await accepted_on_zalo(officer, citizen)

    card = await said(officer, f"/tim {CODE}")
    when = await choose(officer, card, VI("officer.action.dialogue"))
    assert "ngày/tháng/năm giờ:phút" in when.text
    where = await said(officer, "10/03/2026 14:00")
    assert VI("officer.dialogue.ask_place") in where.text
    place = "Phòng tiếp công dân UBND xã Phú Đình"
    scheduled = await said(officer, place)
    assert f"Đã hẹn đối thoại đơn {CODE} lúc 14:00 10/03/2026" in scheduled.text
    invitation = await citizen.next_reply()
    assert f"Giấy mời đối thoại về đơn {CODE}" in invitation.text
    assert "Thời gian: 14:00 10/03/2026" in invitation.text and place in invitation.text

    # The day before, at the same hour: both are reminded.
    await at(app, clock, datetime(2026, 3, 9, 7, 0, tzinfo=UTC))
    reminder = f"Nhắc lịch đối thoại về đơn {CODE}: 14:00 10/03/2026, tại {place}."
    assert reminder in (await citizen.next_reply()).text
    assert [reminder in s.text for s in await the_rest(app, officer)] == [True]

    # Half of the 30 days to resolve the complaint: the officer opens it from the reminder.
    await at(app, clock, datetime(2026, 3, 17, 1, 0, tzinfo=UTC))
    half = await officer.next_reply()
    assert f"đơn {CODE} (Khiếu nại) đã qua nửa thời hạn" in half.text
    assert "hạn 01/04/2026" in half.text
    card = await choose(officer, half, VI("officer.open"))
    assert f"Đơn {CODE}" in card.text and "Tình trạng: Đang đối thoại" in card.text
    assert await the_rest(app, citizen) == [], "the office's reminders are not the citizen's"


async def test_the_acceptance_of_a_kien_nghi_tells_the_citizen_on_zalo_its_answer_date(
    app: Application, zalo: FakeZalo
) -> None:
    officer = await officer_on_zalo(app, zalo, "officer-1", "pd.tiepdan")
    citizen = zalo.user("citizen-1")
    receipt = await feedback_filed(citizen, "Đề nghị xã lắp đèn đường ở ngã ba xóm Na Mao.")
    # pakn.answer: 15 working days after Mon 02/03/2026.
    assert "Trả lời kiến nghị, phản ánh: chậm nhất ngày 23/03/2026" in receipt.text
    accepted, told = await accepted_on_zalo(officer, citizen)
    assert f"Đã thụ lý đơn {CODE}" in accepted.text
    assert f"Đơn {CODE} của ông/bà đã được thụ lý" in told.text
    assert "⏰ Trả lời kiến nghị, phản ánh: 23/03/2026" in told.text


async def test_after_a_reopen_the_officer_on_zalo_is_reminded_of_the_new_date(
    app: Application, zalo: FakeZalo, clock: FakeClock
) -> None:
    officer = await officer_on_zalo(app, zalo, "officer-1", "pd.tiepdan")
    citizen = zalo.user("citizen-1")
    await feedback_filed(citizen, "Đề nghị bộ phận một cửa của xã làm việc cả sáng thứ Bảy.")
    await accepted_on_zalo(officer, citizen)
    await answered_on_zalo(officer, await said(officer, f"/tim {CODE}"), "Đã bố trí từ tháng 4.")
    answer = await citizen.next_reply()
    clock.now = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)  # Mon 09/03/2026
    await choose(citizen, answer, VI("citizen.reopen.button"))
    assert "30/03/2026" in (await said(citizen, "Thứ Bảy vừa rồi vẫn đóng cửa.")).text
    await officer.next_reply()

    # 30/03/2026 is the new answer date: the day's reminder, then the overdue notice.
    await at(app, clock, datetime(2026, 3, 30, 1, 0, tzinfo=UTC))
    due = [s.text for s in await the_rest(app, officer) if "Hôm nay là hạn cuối" in s.text]
    assert len(due) == 1 and CODE in due[0] and "hạn 30/03/2026" in due[0]
    await at(app, clock, datetime(2026, 3, 31, 1, 0, tzinfo=UTC))
    late = [s.text for s in await the_rest(app, officer) if "Quá hạn" in s.text]
    assert len(late) == 1 and "hạn 30/03/2026" in late[0]


async def test_a_notice_arriving_mid_answer_does_not_take_over_the_answers_numbers(
    app: Application, zalo: FakeZalo
) -> None:
    officer = await officer_on_zalo(app, zalo, "officer-1", "pd.tiepdan")
    first, _ = await complaint_filed(zalo, "citizen-1")
    await accepted_on_zalo(officer, first)
    card = await said(officer, f"/tim {CODE}")
    outcomes = await choose(officer, card, VI("officer.action.answer"))
    writing = await choose(officer, outcomes, VI("outcome.partly"))
    assert "Viết nội dung trả lời" in writing.text
    noted = await said(officer, "Quyết định số 12/QĐ-UBND: công nhận một phần khiếu nại.")

    # Meanwhile another citizen files a complaint: its notice reaches the officer.
    assert "PD-2026-000002" in await file_complaint_over_zalo(zalo.user("citizen-2"))
    notice = await officer.next_reply()
    assert "Đơn mới PD-2026-000002" in notice.text

    chairman = await officer_on_zalo(app, zalo, "officer-2", "pd.chutich")
    done = await said(officer, number_of(noted, VI("officer.answer.send")))
    assert f"Đã trình lãnh đạo duyệt trả lời đơn {CODE}" in done.text
    await choose(chairman, await chairman.next_reply(), VI("officer.answer.approve"))
    assert "Quyết định số 12/QĐ-UBND" in (await first.next_reply()).text


async def test_a_complaint_filed_on_zalo_by_typing_words_and_numbers(
    app: Application, zalo: FakeZalo
) -> None:
    citizen = zalo.user("8201")
    await citizen.send_text("/start")
    await citizen.next_reply()
    menu = await said(citizen, "đồng ý")  # the privacy notice's ✅
    assert VI("menu.file") in menu.text
    kinds = await said(citizen, "gửi")  # the first word of «📝 Gửi đơn»
    assert "loại đơn" in kinds.text
    await citizen.send_text("khieu nai")
    assert "lĩnh vực" in (await citizen.next_reply()).text
    await citizen.send_text("dat dai")
    assert "xã nào" in (await citizen.next_reply()).text
    await citizen.send_text("xã Phú Đình")
    assert "xóm nào" in (await citizen.next_reply()).text
    await citizen.send_text("làng bẩy")
    assert "kể lại sự việc" in (await citizen.next_reply()).text


async def test_a_zalo_filing_names_no_button_and_says_how_to_choose_once(
    app: Application, zalo: FakeZalo
) -> None:
    """Zalo has no buttons or keyboard: no message says «bấm nút» or «bàn phím», and the
    "type the number" hint comes with the first list only."""
    await complaint_filed(zalo, "8301")
    read = [sent.text for sent in zalo.sent_to("8301")]
    assert sum(VI("zalo.choose_by_number") in text for text in read) == 1
    for words in ("bấm nút", "Bấm nút", "bàn phím", "nút bên dưới"):
        assert not [text for text in read if words in text], words


async def test_on_zalo_a_refusal_or_a_sticker_leaves_the_numbers_of_the_question(
    app: Application, zalo: FakeZalo
) -> None:
    """A name that is no commune gets one short line, and the numbers shown still work; a
    sticker while telling the story does not make «xong» part of the story."""
    citizen = zalo.user("8401")
    await citizen.send_text("/start")
    menu = await choose(citizen, await citizen.next_reply(), VI("privacy.agree"))
    kinds = await choose(citizen, menu, VI("menu.file"))
    fields = await choose(citizen, kinds, "Khiếu nại")
    communes = await choose(citizen, fields, "Đất đai")
    refusal = await said(citizen, "hà nội")
    assert "hà nội" in refusal.text and len(refusal.text) < 200
    villages = await said(citizen, number_of(communes, "Xã Thần Sa"))
    assert "xóm nào" in villages.text
    story = await said(citizen, "không rõ")
    assert "kể lại sự việc" in story.text
    await said(citizen, STORY)
    await citizen.send_sticker()
    assert VI("input.sticker") in (await citizen.next_reply()).text
    name = await said(citizen, "xong")
    assert "họ và tên" in name.text
