"""Tiếp công dân: an officer records a citizen's visit, which may become a petition."""

from __future__ import annotations

from typing import Any

import aiohttp
from sqlalchemy import func, select

from bot.app import Application
from bot.buttons import NewReception
from storage import models as m
from tests.fake_telegram import FakeTelegram
from tests.sandbox_client import SandboxPerson, texts
from tests.test_filing_sandbox import consent
from tests.test_telegram import bind_officer


async def start_reception(officer: SandboxPerson) -> list[dict[str, Any]]:
    """The officer opens the menu and presses «Tiếp công dân»."""
    lines = await officer.press("Tiếp công dân", await officer.say("/menu"))
    assert "Đây là buổi tiếp nào?" in texts(lines)
    return lines


async def press_through(officer: SandboxPerson, lines: list[dict], *labels: str) -> list[dict]:
    for label in labels:
        lines = await officer.press(label, lines)
    return lines


async def stored(app: Application) -> tuple[list[m.Reception], list[m.Petition]]:
    async with app.db.transaction() as session:
        receptions = list(await session.scalars(select(m.Reception)))
        petitions = list(await session.scalars(select(m.Petition)))
    return receptions, petitions


async def officer_id(app: Application, handle: str) -> int:
    async with app.db.transaction() as session:
        found = await session.scalar(select(m.Officer.id).where(m.Officer.handle == handle))
    assert found is not None
    return found


async def test_a_group_received_by_the_chairman_is_recorded_after_polite_re_asks(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    chairman = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    lines = await start_reception(chairman)
    lines = await press_through(chairman, lines, "Tiếp định kỳ", "Thủ trưởng trực tiếp tiếp")
    assert "đoàn đông người" in texts(lines)
    assert "gõ số người" in texts(await chairman.press("5 người trở lên", lines))
    again = texts(await chairman.say("mười hai"))
    # One line says what to type; the question and its buttons stay where they are.
    assert "Số người chưa đúng" in again and "Có bao nhiêu người đến?" not in again
    lines = await chairman.press("Đất đai", await chairman.say("12"))
    lines = await chairman.say("Hoàng Văn Tư")
    assert "Số điện thoại chưa đúng" in texts(await chairman.say("0123"))
    await chairman.say("0987 654 321")
    assert "Nội dung cần từ 5 đến 2000 ký tự" in texts(await chairman.say("ok"))
    lines = await chairman.say("Các hộ dân hỏi tiến độ bồi thường đường tránh qua xóm Na Mao.")
    review = await chairman.press("Giải thích", lines)
    assert "Số người: 12 người (đoàn đông người)" in texts(review)
    assert "Hoàng Văn Tư · 0987654321" in texts(review)

    done = texts(await chairman.press("Xác nhận", review))
    assert "Đã ghi nhận lượt tiếp công dân lúc 10:00 02/03/2026" in done
    receptions, petitions = await stored(sandbox_app)
    assert [
        (r.unit_code, r.kind, r.head_in_person, r.group_size, r.field, r.outcome, r.petition_id)
        for r in receptions
    ] == [("PD", "scheduled", True, 12, "dat_dai", "explained", None)]
    assert receptions[0].recorded_by == await officer_id(sandbox_app, "pd.chutich")
    assert receptions[0].visitor_phone == "0987654321"
    assert petitions == []


async def test_a_visit_taken_as_a_petition_is_filed_linked_and_sent_to_its_officer(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    lines = await start_reception(clerk)
    lines = await press_through(clerk, lines, "Tiếp thường xuyên", "ủy quyền", "3", "Đất đai")
    lines = await clerk.press("Bỏ qua", await clerk.say("Trần Thị Hoa"))
    lines = await clerk.say("Đề nghị xã sửa đoạn mương thủy lợi bị vỡ ở xóm Gốc Duối.")
    review = await press_through(clerk, lines, "Tiếp nhận đơn", "Kiến nghị")
    assert "Tiếp nhận đơn (ghi thành đơn thay công dân) · Kiến nghị" in texts(review)

    done = texts(await clerk.press("Xác nhận", review))
    assert "Đã tiếp nhận đơn PD-2026-000001 (Kiến nghị)" in done
    assert "Phòng Kinh tế xã Phú Đình" in done and "giấy biên nhận" in done
    receptions, petitions = await stored(sandbox_app)
    (reception,), (petition,) = receptions, petitions
    assert (reception.outcome, reception.petition_id, reception.group_size) == (
        "petition",
        petition.id,
        3,
    )
    assert (petition.code, petition.channel, petition.citizen_id) == (
        "PD-2026-000001",
        "reception",
        None,
    )
    assert (petition.unit_code, petition.filer_name, petition.group_size) == (
        "PD-KT",
        "Trần Thị Hoa",
        3,
    )
    async with sandbox_app.db.transaction() as session:
        deadlines = list(await session.scalars(select(m.Deadline)))
    assert {d.rule_id for d in deadlines} == {"don.process", "pakn.answer"}
    assert all(d.due_date.strftime("%d/%m/%Y") in done for d in deadlines)

    economist = SandboxPerson(sandbox_app, http, "officer-pd.kinhte")
    notice = texts(await economist.new_lines())
    assert "Đơn mới PD-2026-000001" in notice and "mương thủy lợi" in notice
    assert "Trần Thị Hoa" in notice


async def test_a_denunciation_of_the_chairman_goes_above_him_with_the_denouncer_protected(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    lines = await start_reception(clerk)
    lines = await press_through(
        clerk, lines, "Tiếp đột xuất", "ủy quyền", "1", "Thái độ", "Bỏ qua", "Bỏ qua"
    )
    lines = await clerk.say("Công dân tố cáo lãnh đạo xã nhận tiền khi giao đất.")
    lines = await press_through(clerk, lines, "Tiếp nhận đơn", "Tố cáo", "Chủ tịch")
    assert "họ và tên người đứng đơn" in texts(lines), "a petition cannot be nameless"
    assert "Địa chỉ của công dân" in texts(await clerk.say("Lý Văn Sáu"))
    review = await clerk.say("Xóm Khau Diều, xã Phú Đình")
    done = texts(await clerk.press("Xác nhận", review))
    assert "Đã tiếp nhận đơn TN-2026-000001 (Tố cáo)" in done and "UBND tỉnh Thái Nguyên" in done

    governor = SandboxPerson(sandbox_app, http, "officer-tn.chutich")
    notice = texts(await governor.new_lines())
    assert "Đơn mới TN-2026-000001" in notice and "Được giữ bí mật" in notice
    assert "Lý Văn Sáu" not in notice
    chairman = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    assert "TN-2026-000001" not in texts(await chairman.new_lines())


async def test_only_officers_who_receive_citizens_may_record_a_visit(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    await consent(citizen)
    forged = texts(await citizen.act({"kind": "callback", "data": NewReception().pack()}))
    assert "Chức năng này dành cho cán bộ" in forged
    assert "Chức năng này dành cho cán bộ" in texts(await citizen.say("/tiepdan"))

    surveyor = SandboxPerson(sandbox_app, http, "officer-pd.diachinh")  # a handler only
    assert NewReception().pack() not in str((await surveyor.say("/menu"))[-1]["buttons"])
    refused = texts(await surveyor.act({"kind": "callback", "data": NewReception().pack()}))
    assert "Chỉ cán bộ tiếp công dân và lãnh đạo" in refused

    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    assert "không hiểu nút" in texts(
        await clerk.act({"kind": "callback", "data": f"{NewReception.prefix}:open"})
    )
    assert await stored(sandbox_app) == ([], [])


async def test_an_officer_deactivated_mid_visit_is_stopped_at_the_next_answer(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    lines = await clerk.press("Tiếp thường xuyên", await start_reception(clerk))
    clerk_id = await officer_id(sandbox_app, "pd.tiepdan")
    async with sandbox_app.db.transaction() as session:
        (await session.get_one(m.Officer, clerk_id)).active = False
    assert "Chức năng này dành cho cán bộ" in texts(await clerk.press("ủy quyền", lines))
    assert await stored(sandbox_app) == ([], [])


async def test_back_returns_to_the_previous_question_and_cancel_stores_nothing(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    lines = await clerk.press("Tiếp thường xuyên", await start_reception(clerk))
    assert "Ai trực tiếp tiếp công dân?" in texts(lines)
    lines = await clerk.press("Quay lại", lines)
    assert "Đây là buổi tiếp nào?" in texts(lines)
    lines = await press_through(
        clerk, lines, "Tiếp đột xuất", "Thủ trưởng", "1", "Đất đai", "Bỏ qua", "Bỏ qua"
    )
    lines = await clerk.say("Công dân hỏi thủ tục cấp lại giấy chứng nhận quyền sử dụng đất.")
    review = await clerk.press("Hướng dẫn", lines)
    assert "Công dân: không cho biết" in texts(review)

    assert "Đã hủy" in texts(await clerk.press("Hủy", review))
    assert "tin nhắn cũ" in texts(await clerk.press("Xác nhận", review))
    assert await stored(sandbox_app) == ([], [])


async def test_over_telegram_a_complaint_taken_at_reception_gets_its_code_and_dates(
    app: Application, telegram: FakeTelegram
) -> None:
    clerk = telegram.user(5001, "Mai")
    await bind_officer(app, clerk, "pd.tiepdan")
    await clerk.send_command("/tiepdan")
    assert "buổi tiếp nào" in (await clerk.next_reply()).text
    for button, next_question in (
        ("Tiếp thường xuyên", "Ai trực tiếp tiếp"),
        ("Người được thủ trưởng ủy quyền, cán bộ tiếp công dân", "bao nhiêu người"),
        ("2", "lĩnh vực"),
        ("Đất đai", "Họ và tên công dân"),
        ("⏭️ Bỏ qua", "Số điện thoại"),
    ):
        await clerk.press(button)
        assert next_question in (await clerk.next_reply()).text
    await clerk.send_text("+84 912 000 111")
    assert "tóm tắt nội dung" in (await clerk.next_reply()).text
    await clerk.send_text("Hàng xóm lấn chiếm lối đi chung, xã đã hòa giải nhưng chưa xong.")
    assert "Kết quả tiếp công dân?" in (await clerk.next_reply()).text
    await clerk.press("📝 Tiếp nhận đơn (ghi thành đơn thay công dân)")
    assert "loại nào" in (await clerk.next_reply()).text
    await clerk.press("Khiếu nại")
    assert "người đứng đơn" in (await clerk.next_reply()).text
    await clerk.send_text("Đinh Văn Phúc")
    assert "Địa chỉ" in (await clerk.next_reply()).text
    await clerk.send_text("Xóm Làng Bẩy, xã Phú Đình")
    review = (await clerk.next_reply()).text
    assert "Đinh Văn Phúc · 0912000111 · Xóm Làng Bẩy" in review
    await clerk.press("✅ Xác nhận")

    receipt = (await clerk.next_reply()).text
    assert "Đã tiếp nhận đơn PD-2026-000001 (Khiếu nại)" in receipt
    assert "12/03/2026" in receipt  # kn1.accept: 10 days after Mon 02/03/2026
    notice = await clerk.next_reply()  # the clerk is also the officer it is routed to
    assert "Đơn mới PD-2026-000001" in notice.text and "091****111" in notice.text
    async with app.db.transaction() as session:
        petition = await session.scalar(select(m.Petition))
        linked = await session.scalar(
            select(func.count()).select_from(m.Reception).where(m.Reception.petition_id == 1)
        )
    assert petition is not None and (petition.channel, petition.group_size) == ("reception", 2)
    assert linked == 1
