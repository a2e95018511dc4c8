"""Officer actions in chat: thụ lý (accept), checked on the server and told to the citizen."""

from __future__ import annotations

from datetime import UTC, datetime

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import Application
from bot.buttons import OfficerList
from storage import models as m
from tests.conftest import FakeClock
from tests.sandbox_client import SandboxPerson, texts
from tests.test_filing_sandbox import consent, file_complaint, file_denunciation


async def complaint_opened_by_assignee(
    app: Application, http: aiohttp.ClientSession
) -> tuple[SandboxPerson, SandboxPerson, list[dict]]:
    """A citizen files a complaint; its assignee opens it from the notification."""
    citizen = SandboxPerson(app, http, "citizen-1")
    await file_complaint(citizen)
    officer = SandboxPerson(app, http, "officer-pd.tiepdan")
    opened = await officer.press("Mở đơn", await officer.new_lines())
    return citizen, officer, opened


async def accepted_then(
    app: Application, http: aiohttp.ClientSession, action: str
) -> tuple[SandboxPerson, SandboxPerson, list[dict]]:
    """The assignee accepts the complaint, reopens it and presses `action`; its first question."""
    citizen, officer, opened = await complaint_opened_by_assignee(app, http)
    await officer.press("Xác nhận", await officer.press("Thụ lý", opened))
    await citizen.new_lines()
    reopened = await officer.act({"kind": "callback", "data": "op:1"})
    asked = await officer.press(action, reopened)
    return citizen, officer, asked


async def signed_by_chairman(app: Application, http: aiohttp.ClientSession) -> str:
    """The commune's chairman approves the draft decision waiting for him, as the law has him
    sign it (LEGAL §9); what he reads."""
    chairman = SandboxPerson(app, http, "officer-pd.chutich")
    request = await chairman.new_lines()
    assert "chờ đồng chí duyệt" in texts(request)
    return texts(await chairman.press("Duyệt và gửi", request))


async def test_the_assignee_accepts_and_the_citizen_learns_the_resolution_deadline(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, opened = await complaint_opened_by_assignee(sandbox_app, http)
    done = texts(await officer.press("Xác nhận", await officer.press("Thụ lý", opened)))
    # kn1.resolve: accepted Mon 02/03/2026 + 30 days = Wed 01/04/2026 (Điều 28 Luật Khiếu nại).
    assert "Đã thụ lý đơn PD-2026-000001" in done and "01/04/2026" in done

    notice = await citizen.new_lines()
    assert "đã được thụ lý" in texts(notice) and "01/04/2026" in texts(notice)
    mine = await citizen.press("Đơn của tôi", notice)  # the notice offers where its history is
    assert "Đã thụ lý" in texts(mine)

    async with sandbox_app.db.transaction() as session:
        deadlines = {d.rule_id: d.status for d in await session.scalars(select(m.Deadline))}
        events = [e.action for e in await session.scalars(select(m.PetitionEvent))]
    assert deadlines == {"kn1.accept": "met", "kn1.resolve": "open"}
    assert events == ["received", "accept"]

    again = texts(await officer.press("Thụ lý", opened))  # a replayed press changes nothing
    assert (
        "Không thể «✅ Thụ lý» lúc này: đơn PD-2026-000001 đang ở trạng thái «Đã thụ lý»" in again
    )


@pytest.mark.parametrize(
    ("who", "answer"),
    [
        ("citizen-2", "dành cho cán bộ"),  # a citizen forging the officer's button
        ("officer-ts.tiepdan", "không có quyền"),  # an officer of another commune
        ("officer-pd.kinhte", "không có quyền"),  # an officer of another office, same commune
    ],
)
async def test_no_one_else_can_accept(
    sandbox_app: Application, http: aiohttp.ClientSession, who: str, answer: str
) -> None:
    await file_complaint(SandboxPerson(sandbox_app, http, "citizen-1"))
    intruder = SandboxPerson(sandbox_app, http, who)
    await intruder.new_lines()
    refused = texts(await intruder.act({"kind": "callback", "data": "pa:1.accept"}))
    assert answer in refused
    async with sandbox_app.db.transaction() as session:
        petition = await session.get_one(m.Petition, 1)
    assert petition.state == "received"


async def test_refusal_gives_the_citizen_the_legal_reason_and_where_to_go(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, opened = await complaint_opened_by_assignee(sandbox_app, http)
    reasons = await officer.press("Không thụ lý", opened)
    offered = [b["text"] for line in reasons for row in line["buttons"] for b in row]
    assert "Đã hết thời hiệu khiếu nại mà không có lý do chính đáng" in offered
    asked = await officer.press("Không thuộc thẩm quyền", reasons)
    assert "nên gửi đơn đến đâu" in texts(asked)
    await officer.say("ok")  # too short to help anyone
    done = await officer.say("Việc cấp sổ đỏ thuộc Chi nhánh Văn phòng đăng ký đất đai huyện.")
    assert "Đã ghi nhận không thụ lý đơn PD-2026-000001" in texts(done)

    told = texts(await citizen.new_lines())
    assert "không được thụ lý" in told and "Không thuộc thẩm quyền" in told
    assert "Chi nhánh Văn phòng đăng ký đất đai" in told
    async with sandbox_app.db.transaction() as session:
        petition = await session.get_one(m.Petition, 1)
        event = (await session.scalars(select(m.PetitionEvent).order_by(m.PetitionEvent.id))).all()[
            -1
        ]
    assert petition.state == "refused"
    assert (event.action, event.payload["reason"]) == ("refuse", "not_competent")
    again = texts(await officer.press("Không thụ lý", opened))  # the button of the old card
    assert "Không thể «⛔ Không thụ lý» lúc này: đơn PD-2026-000001 đang ở trạng thái" in again

    mine = await citizen.press("Đơn của tôi", await citizen.say("/menu"))
    timeline = texts(await citizen.press("Diễn biến đơn PD-2026-000001", mine))
    assert "Đơn được tiếp nhận" in timeline and "Đơn không được thụ lý — Việc cấp sổ đỏ" in timeline
    other = SandboxPerson(sandbox_app, http, "citizen-3")
    await other.say("/start")
    assert "Không tìm thấy đơn này" in texts(await other.act({"kind": "callback", "data": "mp:1"}))


async def test_the_officer_list_marks_urgency_and_codes_can_be_looked_up(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await file_complaint(SandboxPerson(sandbox_app, http, "citizen-1"))
    officer = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    await officer.new_lines()
    listed = await officer.act({"kind": "callback", "data": OfficerList("list").pack()})
    assert "🟢 PD-2026-000001 · Khiếu nại · 12/03/2026" in str(listed[-1]["buttons"])
    clock.now = datetime(2026, 3, 10, 3, 0, tzinfo=UTC)  # Tue 10/03: due Thu 12/03
    listed = await officer.act({"kind": "callback", "data": OfficerList("list").pack()})
    assert "🟠 PD-2026-000001" in str(listed[-1]["buttons"])
    clock.now = datetime(2026, 3, 13, 3, 0, tzinfo=UTC)
    listed = await officer.act({"kind": "callback", "data": OfficerList("list").pack()})
    assert "🔴 PD-2026-000001" in str(listed[-1]["buttons"])

    found = texts(await officer.say("/tim pd-2026-000001"))
    assert "Đơn PD-2026-000001" in found and "thu hồi 200m2" in found
    assert "Không tìm thấy" in texts(await officer.say("/tim PD-2026-999999"))
    stranger = SandboxPerson(sandbox_app, http, "officer-ts.tiepdan")
    assert "không có quyền" in texts(await stranger.say("/tim PD-2026-000001"))


async def test_a_head_sees_the_units_queue_and_its_overdue_petitions_others_do_not(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await file_complaint(SandboxPerson(sandbox_app, http, "citizen-1"))
    chairman = SandboxPerson(sandbox_app, http, "officer-pd.chutich")  # head of the commune
    queue = await chairman.act({"kind": "callback", "data": OfficerList("unit").pack()})
    assert "PD-2026-000001" in str(queue[-1]["buttons"]), "the office below is in his queue"
    # Each list says what it is: the unit's queue, not «assigned to you».
    assert "Đơn đang mở của UBND xã Phú Đình và các đơn vị trực thuộc (1)" in texts(queue)
    assert "giao cho đồng chí" not in texts(queue)
    overdue = await chairman.act({"kind": "callback", "data": OfficerList("overdue").pack()})
    assert "UBND xã Phú Đình và các đơn vị trực thuộc không có đơn nào quá hạn" in texts(overdue)
    assert "🏠 Về menu chính" in str(overdue[-1]["buttons"])  # a list leads back to the menu
    clock.now = datetime(2026, 3, 13, 3, 0, tzinfo=UTC)  # really past due now
    overdue = await chairman.act({"kind": "callback", "data": OfficerList("overdue").pack()})
    assert "🔴 PD-2026-000001" in str(overdue[-1]["buttons"])
    assert "Đơn quá hạn của UBND xã Phú Đình và các đơn vị trực thuộc (1)" in texts(overdue)

    other_head = SandboxPerson(sandbox_app, http, "officer-ts.chutich")
    empty = texts(await other_head.act({"kind": "callback", "data": OfficerList("unit").pack()}))
    assert "UBND xã Thần Sa và các đơn vị trực thuộc hiện không có đơn nào đang mở" in empty
    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    unit_list = {"kind": "callback", "data": OfficerList("unit").pack()}
    assert "không có quyền" in texts(await clerk.act(unit_list))


async def test_accepting_is_asked_once_then_the_card_loses_its_buttons_and_what_next_is_offered(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, opened = await complaint_opened_by_assignee(sandbox_app, http)
    card = opened[-1]
    asked = await officer.press("Thụ lý", [card])
    assert "Thụ lý đơn PD-2026-000001?" in texts(asked) and "Xác nhận" in str(asked[-1]["buttons"])
    kept = await officer.press("Hủy", asked)
    assert "đã hủy" in texts(kept).lower()
    assert not await citizen.new_lines(), "cancelled: the petition is as it was"
    assert card["buttons"], "a cancelled question leaves the card as it was"

    done = await officer.press("Xác nhận", await officer.press("Thụ lý", [card]))
    assert "Đã thụ lý đơn PD-2026-000001" in texts(done)
    offered = str(done[-1]["buttons"])
    assert "Mở đơn" in offered and "Đơn được giao" in offered, "the card and the list, next"
    async with http.get(
        f"{officer.base}/messages", params={"chat": officer.chat, "after": 0}, headers=SANDBOX
    ) as response:
        transcript = (await response.json())["messages"]
    assert next(line for line in transcript if line["id"] == card["id"])["buttons"] == []


SANDBOX = {"X-Sandbox": "1"}
RECEPTION = (
    "📍 Tiếp công dân — UBND xã Phú Đình: Trụ sở UBND xã Phú Đình, xóm Na Mao · ☎ 0208 3878 123"
    " · Thứ Hai đến Thứ Sáu, 7:30–11:30 và 13:30–17:00"
)


async def test_rerouting_gives_the_petition_to_the_other_units_officer(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, opened = await complaint_opened_by_assignee(sandbox_app, http)
    targets = await officer.press("Chuyển đơn vị khác", opened)
    confirm = await officer.press("Phòng Kinh tế xã Phú Đình", targets)
    assert "Chuyển đơn PD-2026-000001 cho Phòng Kinh tế xã Phú Đình?" in texts(confirm)
    assert not await citizen.new_lines(), "nothing moves before the officer confirms"
    done = texts(await officer.press("Xác nhận", confirm))
    assert "Đã chuyển đơn PD-2026-000001 đến Phòng Kinh tế xã Phú Đình" in done
    assert "chuyển đến Phòng Kinh tế" in texts(await citizen.new_lines())

    economist = SandboxPerson(sandbox_app, http, "officer-pd.kinhte")
    arrived = await economist.new_lines()
    assert "Đơn PD-2026-000001 được chuyển đến" in texts(arrived)
    assert "thu hồi 200m2" in texts(await economist.press("Mở đơn", arrived))
    reopened = await officer.act({"kind": "callback", "data": "op:1"})
    assert "không có quyền" in texts(reopened), "no longer the clerk's"


@pytest.mark.parametrize(
    ("button", "note", "citizen_reads", "state"),
    [
        (
            "Hướng dẫn công dân",
            "Mang sổ hộ khẩu đến bộ phận một cửa xã.",
            "Hướng dẫn về đơn",
            "guided",
        ),
        (
            "Chuyển cơ quan ngoài hệ thống",
            "Đã chuyển Công an huyện Định Hóa, số 12 đường Thanh Niên.",
            "đã được chuyển đi",
            "forwarded",
        ),
    ],
)
async def test_guiding_or_forwarding_out_ends_the_petition_with_the_officers_words(
    sandbox_app: Application,
    http: aiohttp.ClientSession,
    button: str,
    note: str,
    citizen_reads: str,
    state: str,
) -> None:
    citizen, officer, opened = await complaint_opened_by_assignee(sandbox_app, http)
    await officer.press(button, opened)
    await officer.say(note)
    told = texts(await citizen.new_lines())
    assert citizen_reads in told and note in told
    assert RECEPTION in told, "where to ask in person"
    async with sandbox_app.db.transaction() as session:
        assert (await session.get_one(m.Petition, 1)).state == state


async def test_the_officer_asks_and_the_citizens_answer_with_a_photo_comes_back(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, _ = await accepted_then(sandbox_app, http, "Hỏi thêm công dân")
    asked = texts(await officer.say("Ông/bà gửi giúp ảnh quyết định thu hồi đất."))
    assert "Đơn chờ công dân trả lời" in asked

    question = await citizen.new_lines()
    assert "gửi giúp ảnh quyết định thu hồi đất" in texts(question)
    intruder = SandboxPerson(sandbox_app, http, "citizen-3")
    await consent(intruder)
    assert "Không tìm thấy" in texts(await intruder.act({"kind": "callback", "data": "ca:1"}))

    lines = await citizen.press("Trả lời", question)
    lines = await citizen.say("Quyết định số 45/QĐ-UBND, tôi gửi ảnh kèm theo.")
    await citizen.upload(b"\x89PNG fake", "quyet-dinh.png", "image/png")
    sent = texts(await citizen.press("Gửi trả lời", lines))
    assert "Đã gửi câu trả lời" in sent

    relayed = texts(await officer.new_lines())
    assert "Quyết định số 45/QĐ-UBND" in relayed and "Tệp kèm theo: 1" in relayed
    card = texts(await officer.act({"kind": "callback", "data": "op:1"}))  # later, on the card
    assert "Công dân đã trả lời — «Quyết định số 45/QĐ-UBND, tôi gửi ảnh kèm theo.»" in card
    async with sandbox_app.db.transaction() as session:
        assert (await session.get_one(m.Petition, 1)).state == "in_progress"
        assert len((await session.scalars(select(m.Attachment))).all()) == 1


async def test_an_answer_typed_without_pressing_reply_reaches_the_officer(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, _ = await accepted_then(sandbox_app, http, "Hỏi thêm công dân")
    await officer.say("Ông/bà gửi giúp ảnh quyết định thu hồi đất.")
    await citizen.new_lines()
    taken = await citizen.say("Quyết định số 45/QĐ-UBND, ảnh tôi gửi sau.")
    assert "ghi nhận là câu trả lời" in texts(taken) and "PD-2026-000001" in texts(taken)
    assert "Ông/bà cần gì" not in texts(taken), "not the main menu"
    sent = texts(await citizen.press("Gửi trả lời", taken))
    assert "Đã gửi câu trả lời" in sent
    assert "Quyết định số 45/QĐ-UBND" in texts(await officer.new_lines())


async def test_while_the_citizen_is_silent_the_officer_can_ask_again_or_answer(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, _ = await accepted_then(sandbox_app, http, "Hỏi thêm công dân")
    await officer.say("Ông/bà gửi giúp ảnh quyết định thu hồi đất.")
    card = await officer.act({"kind": "callback", "data": "op:1"})
    offered = str(card[-1]["buttons"])
    assert "Chờ bổ sung" in texts(card)
    assert "Hỏi thêm công dân" in offered and "Trả lời / ra quyết định" in offered
    await officer.press("Hỏi thêm công dân", card)
    await officer.say("Và bản sao sổ đỏ, nếu có.")
    assert "bản sao sổ đỏ" in texts(await citizen.new_lines())


async def test_start_in_the_middle_of_an_answer_keeps_what_was_written(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, _ = await accepted_then(sandbox_app, http, "Hỏi thêm công dân")
    await officer.say("Ông/bà gửi giúp ảnh quyết định thu hồi đất.")
    question = await citizen.new_lines()
    await citizen.press("Trả lời", question)
    await citizen.say("Quyết định số 45/QĐ-UBND.")
    await citizen.upload(b"\x89PNG fake", "quyet-dinh.png", "image/png")
    await citizen.act({"kind": "text", "text": "/start"})
    again = await citizen.press("Trả lời", question)
    sent = texts(await citizen.press("Gửi trả lời", again))
    assert "Đã gửi câu trả lời" in sent, "the answer written before /start is sent"
    relayed = texts(await officer.new_lines())
    assert "Quyết định số 45/QĐ-UBND" in relayed and "Tệp kèm theo: 1" in relayed


async def test_a_complaint_is_answered_shown_its_second_complaint_window_and_rated_once(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, outcomes = await accepted_then(sandbox_app, http, "Trả lời / ra quyết định")
    await officer.press("Có đúng, có sai", outcomes)
    noted = await officer.say("Quyết định số 12/QĐ-UBND ngày 02/03/2026: công nhận một phần.")
    assert not texts(await citizen.new_lines()), "nothing leaves before Send"
    done = texts(await officer.press("Gửi trả lời", noted))
    assert "Đã trình lãnh đạo duyệt trả lời đơn PD-2026-000001" in done
    assert not texts(await citizen.new_lines()), "nothing leaves before the chairman signs"
    assert "Đã gửi trả lời đơn PD-2026-000001" in await signed_by_chairman(sandbox_app, http)

    answer = await citizen.new_lines()
    # kn2.file_window: 30 days from Mon 02/03/2026 → Wed 01/04/2026 (Điều 33 Luật Khiếu nại).
    assert "Quyết định số 12/QĐ-UBND" in texts(answer) and "01/04/2026" in texts(answer)
    why = await citizen.press("⭐⭐⭐⭐", answer)
    assert "Điều gì khiến" in texts(why)
    comment = await citizen.press("Trả lời rõ ràng", why)
    assert "Cảm ơn" in texts(await citizen.say("Cán bộ giải thích dễ hiểu."))
    assert "góp ý thêm" in texts(comment)
    assert "đã được đánh giá" in texts(await citizen.press("⭐⭐⭐⭐⭐", answer))
    intruder = SandboxPerson(sandbox_app, http, "citizen-3")
    await consent(intruder)
    assert "đã được đánh giá" in texts(await intruder.act({"kind": "callback", "data": "cr:1.1"}))
    async with sandbox_app.db.transaction() as session:
        ratings = [
            (r.petition_id, r.score, r.reason, r.comment)
            for r in await session.scalars(select(m.Rating))
        ]
        petition = await session.get_one(m.Petition, 1)
    assert ratings == [(1, 4, "clear", "Cán bộ giải thích dễ hiểu.")]
    assert petition.state == "answered"


async def test_a_denunciation_is_extended_once_by_a_head_and_the_denouncer_told(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-2")
    await file_denunciation(citizen, "Hoàng Văn Tố", "0987 654 321", "Xóm Bản Trang")

    resolver = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    opened = await resolver.press("Mở đơn", await resolver.new_lines())
    accepted = texts(await resolver.press("Xác nhận", await resolver.press("Thụ lý", opened)))
    assert "01/04/2026" in accepted  # tc.resolve: 30 days after Mon 02/03/2026
    await citizen.new_lines()

    async def ask_for_extension() -> None:
        reopened = await resolver.act({"kind": "callback", "data": "op:1"})
        cases = await resolver.press("Xin gia hạn", reopened)
        await resolver.press("Phức tạp", cases)
        await resolver.say("Cần xác minh tại Văn phòng đăng ký đất đai huyện.")

    await ask_for_extension()
    deputy = SandboxPerson(sandbox_app, http, "officer-pd.phochutich")
    request = await deputy.new_lines()
    assert "Đề nghị gia hạn đơn PD-2026-000001" in texts(request)
    assert "Hoàng Văn Tố" not in texts(request)
    approved = texts(await deputy.press("Đồng ý gia hạn", request))
    # One extension of 30 days from the same start: 01/05/2026 is Labour Day, then a weekend.
    assert "Hạn mới: 04/05/2026" in approved
    assert "04/05/2026" in texts(await citizen.new_lines())

    await ask_for_extension()
    second = await deputy.new_lines()
    assert "Không thể gia hạn thêm" in texts(await deputy.press("Đồng ý gia hạn", second))
    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    forged = await clerk.act({"kind": "callback", "data": "xa:1.especially_complex.yes"})
    assert "không có quyền" in texts(forged)


async def test_the_holder_hears_when_a_head_refuses_their_petition(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    """A head refuses a petition an officer holds: the officer is told at once, and the old
    card's «Thụ lý» says what happened instead of a bare «cannot» (issue 14)."""
    _, officer, opened = await complaint_opened_by_assignee(sandbox_app, http)
    head = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    await head.new_lines()
    card = await head.act({"kind": "callback", "data": "op:1"})
    reasons = await head.press("Không thụ lý", card)
    await head.press("Không thuộc thẩm quyền", reasons)
    await head.say("Việc cấp sổ đỏ thuộc Chi nhánh Văn phòng đăng ký đất đai huyện.")

    told = await officer.new_lines()
    assert "Đơn PD-2026-000001 đồng chí đang giữ" in texts(told)
    assert "«⛔ Không thụ lý»" in texts(told) and "Mở đơn" in str(told[-1]["buttons"])
    again = texts(await officer.press("Thụ lý", opened))
    assert "Không thể «✅ Thụ lý» lúc này" in again and "«Không thụ lý»" in again
