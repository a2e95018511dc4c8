"""Issue 3's whole road over the real Telegram stack: filing to answer, with a longer period, a
reminder, the overdue notice and the escalation on the way (controllable clock)."""

from __future__ import annotations

from datetime import UTC, datetime

from bot.app import Application
from storage import models as m
from tests.conftest import FakeClock, run_due_jobs
from tests.fake_telegram import FakeTelegram, Reply, SimUser
from tests.test_telegram import bind_officer, consent, file_up_to_content, finish_complaint


async def run_jobs_at(app: Application, clock: FakeClock, moment: datetime) -> None:
    clock.now = moment
    await run_due_jobs(app)


async def next_about_petitions(officer: SimUser) -> Reply:
    """The next message that is not a report-due reminder: heads also file the periodic
    reports, whose reminders fall on these days too (tests/test_report_chat.py covers them)."""
    reply = await officer.next_reply()
    return await officer.next_reply() if "Nhắc hạn báo cáo" in (reply.text or "") else reply


async def bound(app: Application, telegram: FakeTelegram, handles: dict[str, int]) -> list[SimUser]:
    officers = []
    for handle, user_id in handles.items():
        officer = telegram.user(user_id, handle)
        await bind_officer(app, officer, handle)
        officers.append(officer)
    return officers


async def test_a_complaint_from_filing_to_answer_with_its_document(
    app: Application, telegram: FakeTelegram, clock: FakeClock
) -> None:
    officer, office_head, chairman = await bound(
        app, telegram, {"pd.tiepdan": 5001, "pd.chanhvp": 5002, "pd.chutich": 5003}
    )
    citizen = telegram.user(1001, "Phúc")
    await file_up_to_content(citizen)
    assert "PD-2026-000001" in await finish_complaint(citizen)

    await officer.next_reply()
    await officer.press("📂 Mở đơn")
    card = await officer.next_reply()
    assert "còn 10 ngày" in card.text  # kn1.accept: Thu 12/03/2026
    await officer.press("✅ Thụ lý")
    assert "Thụ lý đơn" in (await officer.next_reply()).text  # asked once
    assert Reply.of(card.sent).buttons, "the card keeps its buttons until it is confirmed"
    await officer.press("✅ Xác nhận")
    assert "01/04/2026" in (await officer.next_reply()).text
    assert "01/04/2026" in (await citizen.next_reply()).text
    assert Reply.of(card.sent).buttons == [], "accepted: the card's buttons were taken off it"

    await officer.press_data("op:1")
    await officer.next_reply()
    await officer.press("🏷 Phân loại")
    await officer.next_reply()
    await officer.press("Tính chất (thường / phức tạp)")
    await officer.next_reply()
    await officer.press("Phức tạp")
    # kn1.resolve complex: 45 days from Mon 02/03/2026 → Thu 16/04/2026 (Điều 28 LKN).
    assert "16/04/2026" in (await officer.next_reply()).text
    assert "16/04/2026" in (await citizen.next_reply()).text

    await run_jobs_at(app, clock, datetime(2026, 3, 25, 1, 0, tzinfo=UTC))
    assert "nửa thời hạn" in (await officer.next_reply()).text
    await run_jobs_at(app, clock, datetime(2026, 4, 13, 1, 0, tzinfo=UTC))  # 3 working days left
    reminder = await officer.next_reply()
    assert "Sắp đến hạn" in reminder.text and "16/04/2026" in reminder.text
    await run_jobs_at(app, clock, datetime(2026, 4, 17, 1, 0, tzinfo=UTC))
    assert "Quá hạn" in (await officer.next_reply()).text
    assert "Quá hạn" in (await next_about_petitions(office_head)).text
    await run_jobs_at(app, clock, datetime(2026, 4, 24, 1, 0, tzinfo=UTC))
    escalated = await next_about_petitions(chairman)
    assert "PD-2026-000001" in escalated.text and "Đinh Văn Phúc" not in escalated.text

    await officer.press_data("op:1")
    await officer.next_reply()
    await officer.press("📨 Trả lời / ra quyết định")
    assert "Kết quả giải quyết" in (await officer.next_reply()).text
    await officer.press("Có đúng, có sai")
    await officer.next_reply()
    await officer.send_text("Quyết định số 12/QĐ-UBND ngày 24/04/2026: công nhận một phần.")
    await officer.next_reply()
    await officer.send_document(b"%PDF-1.4 fake", "quyet-dinh-12.pdf", "application/pdf")
    await officer.next_reply()
    await officer.press("📨 Gửi trả lời")
    assert "Đã trình lãnh đạo duyệt" in (await officer.next_reply()).text
    # The chairman signs the decision (LEGAL §9); only then does it reach the citizen.
    request = await next_about_petitions(chairman)
    assert "Quyết định số 12/QĐ-UBND" in request.text and "chờ đồng chí duyệt" in request.text
    await chairman.press("✅ Duyệt và gửi công dân")
    assert "Đã gửi trả lời" in (await chairman.next_reply()).text
    assert "đã được duyệt" in (await officer.next_reply()).text

    answer = await citizen.next_reply()
    assert answer.document is not None and answer.document.file_name == "quyet-dinh-12.pdf"
    assert answer.text is not None and "Quyết định số 12/QĐ-UBND" in answer.text
    assert "Người duyệt: Chủ tịch UBND xã Phú Đình Nguyễn Văn Hải, ngày 24/04/2026." in answer.text
    assert "⚖️ Khiếu nại lần hai" in answer.button_texts


async def file_denunciation_over_telegram(citizen: SimUser) -> str:
    await consent(citizen)
    for label in ("📝 Gửi đơn", "Tố cáo"):
        await citizen.press(label)
        await citizen.next_reply()
    await citizen.press("Đất đai")
    await citizen.next_reply()
    await citizen.press("Cán bộ, công chức của xã")
    await citizen.next_reply()
    await citizen.press("Xã Phú Đình")
    await citizen.next_reply()
    await citizen.press("Xóm Bản Trang")
    await citizen.next_reply()
    await citizen.send_text("Cán bộ địa chính xã nhận tiền để làm sổ đỏ nhanh.")
    await citizen.next_reply()
    await citizen.press("✅ Xong")
    await citizen.next_reply()
    await citizen.press("👤 Tiếp tục, ghi họ tên của tôi")
    await citizen.next_reply()
    for answer in ("Hoàng Văn Tố", "0987654321", "Xóm Bản Trang, nhà số 17"):
        await citizen.send_text(answer)
        await citizen.next_reply()
    await citizen.press("📨 Gửi đơn")
    return (await citizen.next_reply()).text or ""


async def test_a_denunciation_from_filing_to_conclusion_with_an_extension(
    app: Application, telegram: FakeTelegram, clock: FakeClock
) -> None:
    resolver, deputy, province = await bound(
        app, telegram, {"pd.chutich": 5003, "pd.phochutich": 5004, "tn.chutich": 5005}
    )
    citizen = telegram.user(1002, "Tố")
    assert "PD-2026-000001" in await file_denunciation_over_telegram(citizen)

    notice = await resolver.next_reply()
    assert "Hoàng Văn Tố" not in (notice.text or "")
    await resolver.press("📂 Mở đơn")
    assert "Hoàng Văn Tố" in (await resolver.next_reply()).text
    await resolver.press("✅ Thụ lý")
    assert "Thụ lý đơn" in (await resolver.next_reply()).text  # asked once
    await resolver.press("✅ Xác nhận")
    assert "01/04/2026" in (await resolver.next_reply()).text  # tc.resolve: 30 days
    await citizen.next_reply()

    await run_jobs_at(app, clock, datetime(2026, 3, 17, 1, 0, tzinfo=UTC))
    assert "nửa thời hạn" in (await next_about_petitions(resolver)).text
    await run_jobs_at(app, clock, datetime(2026, 3, 27, 1, 0, tzinfo=UTC))  # 3 working days left
    assert "Sắp đến hạn" in (await resolver.next_reply()).text

    await resolver.press_data("op:1")
    await resolver.next_reply()
    await resolver.press("⏳ Xin gia hạn giải quyết")
    await resolver.next_reply()
    await resolver.press("Phức tạp")
    await resolver.next_reply()
    await resolver.send_text("Cần xác minh tại Văn phòng đăng ký đất đai.")
    await resolver.next_reply()
    request = await next_about_petitions(deputy)
    assert "Đề nghị gia hạn" in request.text and "Hoàng Văn Tố" not in request.text
    await deputy.press("✅ Đồng ý gia hạn")
    assert "04/05/2026" in (await deputy.next_reply()).text
    assert "04/05/2026" in (await citizen.next_reply()).text
    await resolver.next_reply()

    await run_jobs_at(app, clock, datetime(2026, 5, 5, 1, 0, tzinfo=UTC))  # overdue
    assert "Quá hạn" in (await resolver.next_reply()).text
    await run_jobs_at(app, clock, datetime(2026, 5, 12, 1, 0, tzinfo=UTC))
    escalated = await next_about_petitions(province)
    assert "PD-2026-000001" in escalated.text and "Hoàng Văn Tố" not in escalated.text

    await resolver.press_data("op:1")
    await resolver.next_reply()
    await resolver.press("📨 Trả lời / ra quyết định")
    await resolver.next_reply()
    await resolver.press("Có đúng, có sai")
    await resolver.next_reply()
    await resolver.send_text("Kết luận nội dung tố cáo số 03/KL-UBND: tố cáo đúng một phần.")
    await resolver.next_reply()
    await resolver.press("📨 Gửi trả lời")
    assert "Đã gửi trả lời" in (await resolver.next_reply()).text
    conclusion = await citizen.next_reply()
    assert "Kết luận nội dung tố cáo" in conclusion.text
    assert "⚖️ Khiếu nại lần hai" not in conclusion.button_texts
    async with app.db.transaction() as session:
        assert (await session.get_one(m.Petition, 1)).outcome == "partly"
