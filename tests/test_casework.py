"""The work after intake, in the sandbox: classify, reassign, verify, dialogue, approve, close,
reopen, second complaint, and a head letting someone know a denouncer."""

from __future__ import annotations

import json
import tomllib
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import DEMO_ORG_FILE, Application, load_organisation
from bot.domain.org import OrganisationError, parse_organisation
from bot.services.workflow import NotAllowed, answer_petition
from handlers.officer import ACTIONS
from storage import models as m
from storage.repository import SqlStore
from tests.conftest import FakeClock, make_settings, running_app
from tests.sandbox_client import SandboxPerson, texts
from tests.test_filing_sandbox import consent, file_denunciation
from tests.test_officer_actions import (
    accepted_then,
    complaint_opened_by_assignee,
    signed_by_chairman,
)


async def petition_row(app: Application, petition_id: int = 1) -> m.Petition:
    async with app.db.transaction() as session:
        return await session.get_one(m.Petition, petition_id)


async def open_deadlines(app: Application, petition_id: int = 1) -> dict[str, str]:
    async with app.db.transaction() as session:
        rows = await session.scalars(
            select(m.Deadline).where(
                m.Deadline.petition_id == petition_id, m.Deadline.status == "open"
            )
        )
        return {row.rule_id: row.due_date.strftime("%d/%m/%Y") for row in rows}


async def events(app: Application, petition_id: int = 1) -> list[str]:
    async with app.db.transaction() as session:
        rows = await session.scalars(
            select(m.PetitionEvent)
            .where(m.PetitionEvent.petition_id == petition_id)
            .order_by(m.PetitionEvent.id)
        )
        return [row.action for row in rows]


async def file_feedback(person: SandboxPerson, field: str, story: str) -> list[dict]:
    """A named feedback (phản ánh) about `field` in Phú Đình."""
    lines = await consent(person)
    for label in ("Gửi đơn", "Phản ánh", field, "Phú Đình", "Na Mao"):
        lines = await person.press(label, lines)
    lines = await person.say(story)
    lines = await person.press("Xong", lines)
    lines = await person.press("Gửi kèm họ tên", lines)
    lines = await person.say("Lục Thị Mai")
    lines = await person.act({"kind": "contact", "phone": "+84913222333"})
    lines = await person.press("Bỏ qua", lines)  # the address is optional for feedback
    return await person.press("Gửi đơn", lines)


async def opened_by(person: SandboxPerson, petition_id: int = 1) -> list[dict]:
    await person.new_lines()
    return await person.act({"kind": "callback", "data": f"op:{petition_id}"})


# --- classification ------------------------------------------------------------------------------


async def test_marking_remote_then_complex_moves_the_decision_date_and_tells_the_citizen(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, asked = await accepted_then(sandbox_app, http, "Phân loại")
    assert await open_deadlines(sandbox_app) == {"kn1.resolve": "01/04/2026"}
    # kn1.resolve remote: 45 days from Mon 02/03/2026 → Thu 16/04/2026 (Điều 28 LKN).
    done = texts(await officer.press("vùng sâu", asked))
    assert "Đã lưu phân loại" in done and "16/04/2026" in done
    told = texts(await citizen.new_lines())
    assert "đã được phân loại" in told and "16/04/2026" in told

    lines = await opened_by(officer)
    lines = await officer.press("Phân loại", lines)
    lines = await officer.press("Tính chất", lines)
    done = texts(await officer.press("Phức tạp", lines))
    # remote + complex: 60 days → Fri 01/05/2026, a holiday; weekend; → Mon 04/05/2026.
    assert "04/05/2026" in done
    assert await open_deadlines(sandbox_app) == {"kn1.resolve": "04/05/2026"}
    card = texts(await opened_by(officer))
    assert "vùng sâu, vùng xa" in card and "Phức tạp" in card and "Phân loại đơn" in card
    row = await petition_row(sandbox_app)
    assert row.remote_area and row.complex and not row.especially_complex


async def test_a_group_petition_records_its_people_and_representatives(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, asked = await accepted_then(sandbox_app, http, "Phân loại")
    lines = await officer.press("Số người", asked)
    assert "số người đứng đơn" in texts(lines)
    assert "Chưa đúng" in texts(await officer.say("mười hai người"))
    assert "Chưa đúng" in texts(await officer.say("3 12")), "more representatives than people"
    assert "Đã lưu phân loại" in texts(await officer.say("12 3"))
    row = await petition_row(sandbox_app)
    assert (row.group_size, row.representatives) == (12, 3)
    assert "đông người: 12 người, 3 đại diện" in texts(await opened_by(officer))
    assert not texts(await citizen.new_lines()), "no date moved: the citizen is not disturbed"


async def test_before_acceptance_a_complaint_can_become_feedback_with_its_own_dates(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, opened = await complaint_opened_by_assignee(sandbox_app, http)
    await citizen.new_lines()
    lines = await officer.press("Phân loại", opened)
    lines = await officer.press("Loại đơn", lines)
    done = texts(await officer.press("Phản ánh", lines))
    # pakn.answer: 15 working days after Mon 02/03/2026 → Mon 23/03/2026.
    assert "23/03/2026" in done
    assert (await petition_row(sandbox_app)).kind == "phan_anh"
    assert set(await open_deadlines(sandbox_app)) == {"don.process", "pakn.answer"}
    told = texts(await citizen.new_lines())
    assert "Phản ánh" in told and "23/03/2026" in told


async def test_a_denunciation_cannot_be_turned_into_another_kind(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    await file_denunciation(
        SandboxPerson(sandbox_app, http, "citizen-2"), "Hoàng Văn Tố", "0987654321", "Bản Trang"
    )
    head = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    lines = await head.press("Phân loại", await opened_by(head))
    lines = await head.press("Loại đơn", lines)
    refused = texts(await head.press("Khiếu nại", lines))
    assert "giữ bí mật người tố cáo" in refused
    assert (await petition_row(sandbox_app)).kind == "to_cao"


async def test_a_denouncer_is_not_shown_the_deadline_of_the_notice_they_are_reading(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    """The acceptance notice is itself «thông báo thụ lý» (LTC Art. 29): it lists the
    resolution date, not its own (issue 14)."""
    citizen = SandboxPerson(sandbox_app, http, "citizen-2")
    await file_denunciation(citizen, "Hoàng Văn Tố", "0987654321", "Bản Trang")
    head = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    await citizen.new_lines()
    await head.press("Xác nhận", await head.press("Thụ lý", await opened_by(head)))
    told = texts(await citizen.new_lines())
    assert "đã được thụ lý" in told and "Kết luận nội dung tố cáo: 01/04/2026" in told
    assert "Thông báo thụ lý cho người tố cáo" not in told
    assert set(await open_deadlines(sandbox_app)) == {"tc.resolve"}


# --- reassignment, verification ------------------------------------------------------------------


async def test_a_head_hands_a_petition_to_another_officer_of_the_unit(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    await file_feedback(
        citizen, "Đất đai", "Mương thoát nước xóm Na Mao bị lấp, nước tràn vào nhà."
    )
    first = SandboxPerson(sandbox_app, http, "officer-pd.kinhte")
    assert "Đơn mới" in texts(await first.new_lines())
    other = SandboxPerson(sandbox_app, http, "officer-pd.diachinh")
    assert "không có quyền" in texts(await opened_by(other)), "same unit, not assigned"
    offered = [b["text"] for line in await opened_by(first) for row in line["buttons"] for b in row]
    assert not [label for label in offered if "Giao cán bộ khác" in label], "only heads reassign"

    head = SandboxPerson(sandbox_app, http, "officer-pd.truongkt")
    lines = await head.press("Giao cán bộ khác", await opened_by(head))
    done = texts(await head.press("Lường Văn Sơn", lines))
    assert "Lường Văn Sơn" in done
    assert "được giao xử lý đơn PD-2026-000001" in texts(await other.new_lines())
    assert "Lường Văn Sơn" in texts(await first.new_lines())
    assert "cán bộ khác" in texts(await citizen.new_lines())
    assert "Mương thoát nước" in texts(await opened_by(other))
    assert "không có quyền" in texts(await opened_by(first)), "the former assignee lets go"


async def test_a_verification_note_stays_on_file_and_the_citizen_only_learns_it_began(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, _ = await accepted_then(sandbox_app, http, "Ghi nhận xác minh")
    await officer.say("Đã làm việc với trưởng xóm Na Mao: diện tích thu hồi thực tế 180m2.")
    noted = await officer.upload(b"\x89PNG fake", "bien-ban-xac-minh.png", "image/png")
    saved = texts(await officer.press("Lưu ghi nhận", noted))
    assert "Đã lưu kết quả xác minh" in saved and "1 tệp" in saved
    told = texts(await citizen.new_lines())
    assert "đang được xác minh" in told and "180m2" not in told
    assert (await petition_row(sandbox_app)).state == "in_progress"
    timeline = await citizen.act({"kind": "callback", "data": "mp:1"})
    assert "180m2" not in texts(timeline) and "xác minh" not in texts(timeline)


# --- dialogue -----------------------------------------------------------------------------------


async def test_a_dialogue_is_scheduled_reminded_the_day_before_and_its_minutes_sent(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    citizen, officer, _ = await accepted_then(sandbox_app, http, "Hẹn đối thoại")
    assert "Chưa đúng" in texts(await officer.say("01/03/2026 09:00")), "in the past"
    assert "Chưa đúng" in texts(await officer.say("thứ sáu tuần sau"))
    await officer.say("10/03/2026 14:00")
    done = texts(await officer.say("Phòng tiếp công dân UBND xã Phú Đình"))
    assert "14:00 10/03/2026" in done
    invitation = texts(await citizen.new_lines())
    assert "Giấy mời đối thoại" in invitation and "14:00 10/03/2026" in invitation
    assert (await petition_row(sandbox_app)).state == "dialogue"

    clock.now = datetime(2026, 3, 9, 7, 0, tzinfo=UTC)  # 14:00 the day before, in Hà Nội
    await sandbox_app.scheduler.run_due()
    await sandbox_app.scheduler.run_due()
    await sandbox_app.outbox.flush()
    reminded = texts(await citizen.new_lines())
    assert reminded.count("Nhắc lịch đối thoại") == 1 and "Phòng tiếp công dân" in reminded
    assert "Nhắc lịch đối thoại" in texts(await officer.new_lines())

    clock.now = datetime(2026, 3, 10, 9, 0, tzinfo=UTC)
    await officer.press("Biên bản đối thoại", await opened_by(officer))
    noted = await officer.say("Hai bên thống nhất đo đạc lại ranh giới trong tháng 3.")
    sent = texts(await officer.press("Gửi biên bản", noted))
    assert "Đã lưu biên bản" in sent
    assert "đo đạc lại ranh giới" in texts(await citizen.new_lines())
    assert (await petition_row(sandbox_app)).state == "in_progress"


# --- approval, closing, reopening ----------------------------------------------------------------


async def test_an_answer_waits_for_the_head_who_returns_it_then_approves_the_new_draft(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    await file_feedback(citizen, "Y tế", "Trạm y tế xã đóng cửa giờ hành chính nhiều ngày.")
    officer = SandboxPerson(sandbox_app, http, "officer-pd.vhxh")
    await officer.press("Xác nhận", await officer.press("Thụ lý", await opened_by(officer)))
    await citizen.new_lines()

    await officer.press("Trả lời", await opened_by(officer))
    noted = await officer.say("Trạm y tế đã bố trí trực đủ giờ từ tuần này.")
    submitted = texts(await officer.press("Gửi trả lời", noted))
    assert "trình lãnh đạo duyệt" in submitted
    assert not texts(await citizen.new_lines()), "nothing reaches the citizen before approval"

    head = SandboxPerson(sandbox_app, http, "officer-pd.truongvhxh")
    request = await head.new_lines()
    assert "Trạm y tế đã bố trí trực" in texts(request)
    await head.press("Trả lại", request)
    returned = texts(await head.say("Ghi rõ lịch trực và số điện thoại trạm."))
    assert "Đã trả lại" in returned
    assert "Ghi rõ lịch trực" in texts(await officer.new_lines())

    await officer.press("Trả lời", await opened_by(officer))
    noted = await officer.say("Trạm y tế trực 7h-17h hằng ngày, điện thoại 0208 3800 115.")
    await officer.press("Gửi trả lời", noted)
    second = await head.new_lines()
    stale = texts(await head.press("Duyệt", request))
    assert "không có quyền" in stale, "the first draft's button no longer sends anything"
    assert "Đã gửi trả lời" in texts(await head.press("Duyệt", second))
    answer = texts(await citizen.new_lines())
    assert "7h-17h" in answer and "bố trí trực đủ giờ" not in answer
    assert "đã được duyệt" in texts(await officer.new_lines())
    assert (await petition_row(sandbox_app)).state == "answered"
    assert (await events(sandbox_app))[-4:] == [
        "answer_returned",
        "answer_proposed",
        "answer",
        "answer_approved",
    ]


# --- sign-off: a head signs a complaint decision or a denunciation conclusion (LEGAL §9) -------

DECISION = "Quyết định số 15/QĐ-UBND ngày 05/03/2026: không công nhận nội dung khiếu nại."
CHAIRMAN = "Chủ tịch UBND xã Phú Đình Nguyễn Văn Hải"


async def approvals(app: Application, petition_id: int = 1) -> list[tuple[str, str]]:
    async with app.db.transaction() as session:
        rows = await session.scalars(
            select(m.PetitionEvent)
            .where(
                m.PetitionEvent.petition_id == petition_id,
                m.PetitionEvent.action.in_(("answer_proposed", "answer", "answer_approved")),
            )
            .order_by(m.PetitionEvent.id)
        )
        return [(row.action, row.actor) for row in rows]


async def test_the_reception_officers_complaint_decision_waits_for_the_chairman_who_signs_it(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    citizen, officer, outcomes = await accepted_then(sandbox_app, http, "Trả lời")
    await officer.press("Sai toàn bộ", outcomes)
    submitted = texts(await officer.press("Gửi trả lời", await officer.say(DECISION)))
    assert "Đã trình lãnh đạo duyệt trả lời đơn PD-2026-000001" in submitted
    assert f"Người duyệt: đồng chí {CHAIRMAN}." in submitted
    assert not texts(await citizen.new_lines()), "the citizen gets nothing before he signs"
    for other in ("officer-pd.chanhvp", "officer-pd.phochutich"):
        heard = texts(await SandboxPerson(sandbox_app, http, other).new_lines())
        assert "chờ đồng chí duyệt" not in heard, f"{other} is not the one who signs"
    assert (await petition_row(sandbox_app)).state == "accepted"

    chairman = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    request = await chairman.new_lines()
    assert "Dự thảo trả lời đơn PD-2026-000001 của Lê Thị Mai" in texts(request)
    assert DECISION in texts(request) and "nêu trong dự thảo: Sai toàn bộ" in texts(request)
    clock.now = datetime(2026, 3, 5, 17, 30, tzinfo=UTC)  # 00:30 on Fri 06/03/2026 in Hà Nội
    assert "Đã gửi trả lời đơn PD-2026-000001" in texts(
        await chairman.press("Duyệt và gửi", request)
    )

    answer = texts(await citizen.new_lines())
    assert DECISION in answer
    assert f"Người duyệt: {CHAIRMAN}, ngày 06/03/2026." in answer
    # kn2.file_window counts from the signed decision: 30 days from Fri 06/03/2026 is Sunday
    # 05/04/2026, so Mon 06/04/2026 (Điều 33 Luật Khiếu nại; BLDS Art. 148).
    assert "chậm nhất ngày 06/04/2026" in answer
    assert "đã được duyệt" in texts(await officer.new_lines())
    assert (await petition_row(sandbox_app)).state == "answered"
    assert await approvals(sandbox_app) == [
        ("answer_proposed", "officer:pd.tiepdan"),
        ("answer", "officer:pd.chutich"),
        ("answer_approved", "officer:pd.chutich"),
    ]


async def file_kien_nghi(person: SandboxPerson, story: str) -> None:
    """A named kiến nghị about administrative procedures: it goes to the commune's office."""
    lines = await consent(person)
    for label in ("Gửi đơn", "Kiến nghị", "Thủ tục hành chính", "Phú Đình", "Na Mao"):
        lines = await person.press(label, lines)
    lines = await person.press("Xong", await person.say(story))
    await person.say("Đinh Văn Phúc")
    lines = await person.act({"kind": "contact", "phone": "+84912345678"})
    lines = await person.press("Bỏ qua", lines)  # the address
    assert "Loại đơn: Kiến nghị" in texts(lines)
    await person.press("Gửi đơn", lines)


async def test_the_same_officers_answer_to_a_kien_nghi_goes_straight_to_the_citizen(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    await file_kien_nghi(citizen, "Đề nghị bộ phận một cửa của xã làm việc cả sáng thứ Bảy.")
    officer = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    await officer.press(
        "Xác nhận",
        await officer.press("Thụ lý", await officer.press("Mở đơn", await officer.new_lines())),
    )
    await citizen.new_lines()
    await officer.press("Trả lời", await opened_by(officer))
    noted = await officer.say("Từ tháng 4/2026 bộ phận một cửa làm việc sáng thứ Bảy.")
    done = texts(await officer.press("Gửi trả lời", noted))
    assert "Đã gửi trả lời đơn PD-2026-000001 cho công dân" in done
    answer = texts(await citizen.new_lines())
    assert "Từ tháng 4/2026" in answer and "Người duyệt" not in answer
    chairman = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    assert "chờ đồng chí duyệt" not in texts(await chairman.new_lines())


def org_file(tmp_path: Path, change: Callable[[dict[str, Any]], None]) -> Path:
    """The demo organisation with `change` made to it, written to a file of the test's own."""
    data = tomllib.loads(DEMO_ORG_FILE.read_text(encoding="utf-8"))
    change(data)

    def line(key: str, value: object) -> str:
        return f"{key} = {json.dumps(value, ensure_ascii=False)}"  # TOML reads these alike

    out = [line(k, v) for k, v in data.items() if not isinstance(v, list)]
    for key, tables in data.items():
        if isinstance(tables, list):
            for table in tables:
                out += [f"[[{key}]]", *(line(k, v) for k, v in table.items())]
    path = tmp_path / "org.toml"
    path.write_text("\n".join(out) + "\n", encoding="utf-8")
    return path


def unit_of(data: dict[str, Any], handle: str) -> dict[str, Any]:
    """The [[units]] table of the officer with this handle."""
    code = next(o["unit"] for o in data["officers"] if o["handle"] == handle)
    return next(u for u in data["units"] if u["code"] == code)


async def test_with_sign_off_relaxed_on_the_office_the_decision_goes_straight_out(
    tmp_path: Path, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    relaxed = org_file(tmp_path, lambda data: unit_of(data, "pd.tiepdan").update(sign_off=[]))
    settings = make_settings(tmp_path, sandbox=True, org_file=relaxed)
    async with running_app(settings, clock) as app:
        citizen, officer, outcomes = await accepted_then(app, http, "Trả lời")
        await officer.press("Sai toàn bộ", outcomes)
        done = texts(await officer.press("Gửi trả lời", await officer.say(DECISION)))
        assert "Đã gửi trả lời đơn PD-2026-000001 cho công dân" in done
        answer = texts(await citizen.new_lines())
        assert DECISION in answer and "Người duyệt" not in answer
        chairman = SandboxPerson(app, http, "officer-pd.chutich")
        assert "chờ đồng chí duyệt" not in texts(await chairman.new_lines())
        assert [action for action, _ in await approvals(app)] == ["answer"]


@pytest.mark.parametrize(
    ("settings", "kinds"),
    [
        ({}, {"khieu_nai", "to_cao"}),  # the law's, by default
        ({"sign_off": []}, set()),
        ({"sign_off": ["kien_nghi"]}, {"kien_nghi"}),
        ({"answer_approval": True}, {"khieu_nai", "to_cao", "kien_nghi", "phan_anh"}),
        ({"answer_approval": False}, {"khieu_nai", "to_cao"}),  # never an opt-out of the law
    ],
)
def test_the_organisation_file_sets_which_answers_a_head_signs(
    settings: dict[str, Any], kinds: set[str]
) -> None:
    unit = {"code": "PD", "name": "UBND xã Phú Đình", "kind": "commune", **settings}
    assert parse_organisation({"units": [unit]}).units["PD"].sign_off == kinds


@pytest.mark.parametrize(
    ("settings", "says"),
    [
        ({"sign_off": ["khieu_nai", "don_thu"]}, "unknown kinds ['don_thu']"),
        ({"sign_off": "khieu_nai"}, "must be a list"),
        ({"sign_off": [], "answer_approval": True}, "not answer_approval as well"),
    ],
)
def test_a_sign_off_the_bot_cannot_read_is_refused_with_the_unit(
    settings: dict[str, Any], says: str
) -> None:
    unit = {"code": "PD", "name": "UBND xã Phú Đình", "kind": "commune", **settings}
    with pytest.raises(OrganisationError, match=r"^PD: ") as refused:
        parse_organisation({"units": [unit]})
    assert says in str(refused.value)


def test_the_demo_has_the_law_everywhere_and_one_office_sign_everything() -> None:
    demo = load_organisation(DEMO_ORG_FILE)
    assert demo.units["PD-VP"].sign_off == {"khieu_nai", "to_cao"}
    assert demo.units["PD-VHXH"].sign_off == {"khieu_nai", "to_cao", "kien_nghi", "phan_anh"}


VERIFIER = {
    "handle": "pd.tuphap",
    "name": "Vi Thị Hằng",
    "title": "Công chức Tư pháp - Hộ tịch",
    "unit": "PD",
    "roles": ["handler"],
}


async def test_a_denunciation_conclusion_drafted_by_the_verifier_waits_for_the_chairman(
    tmp_path: Path, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    """The chairman takes a denunciation and gives it to a verifier of the committee; her
    conclusion reaches the denouncer only once he signs it, naming him."""
    with_verifier = org_file(tmp_path, lambda data: data["officers"].append(VERIFIER))
    settings = make_settings(tmp_path, sandbox=True, org_file=with_verifier)
    async with running_app(settings, clock) as app:
        denouncer = SandboxPerson(app, http, "citizen-2")
        await file_denunciation(denouncer, "Hoàng Văn Tố", "0987654321", "Bản Trang")
        chairman = SandboxPerson(app, http, "officer-pd.chutich")
        await chairman.press(
            "Xác nhận",
            await chairman.press(
                "Thụ lý", await chairman.press("Mở đơn", await chairman.new_lines())
            ),
        )
        assigned = await chairman.press("Giao cán bộ khác", await opened_by(chairman))
        await chairman.press("Vi Thị Hằng", assigned)
        await denouncer.new_lines()

        verifier = SandboxPerson(app, http, "officer-pd.tuphap")
        outcomes = await verifier.press("Trả lời", await opened_by(verifier))
        await verifier.press("Có đúng, có sai", outcomes)
        conclusion = "Kết luận số 03/KL-UBND: tố cáo đúng một phần; đã kiểm điểm cán bộ địa chính."
        submitted = texts(await verifier.press("Gửi trả lời", await verifier.say(conclusion)))
        assert "Đã trình lãnh đạo duyệt" in submitted and CHAIRMAN in submitted
        assert not texts(await denouncer.new_lines()), "nothing before the chairman signs"

        request = await chairman.new_lines()
        assert conclusion in texts(request)
        await chairman.press("Duyệt và gửi", request)
        answer = texts(await denouncer.new_lines())
        assert conclusion in answer and f"Người duyệt: {CHAIRMAN}, ngày 02/03/2026." in answer
        assert "đã được duyệt" in texts(await verifier.new_lines())
        assert await approvals(app) == [
            ("answer_proposed", "officer:pd.tuphap"),
            ("answer", "officer:pd.chutich"),
            ("answer_approved", "officer:pd.chutich"),
        ]


async def test_not_resolved_reopens_a_feedback_and_the_heads_hear_why(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    await file_feedback(
        citizen, "Đất đai", "Mương thoát nước xóm Na Mao bị lấp, nước tràn vào nhà."
    )
    officer = SandboxPerson(sandbox_app, http, "officer-pd.kinhte")
    await officer.press("Xác nhận", await officer.press("Thụ lý", await opened_by(officer)))
    await officer.press("Trả lời", await opened_by(officer))
    noted = await officer.say("Xã đã nạo vét mương ngày 05/03.")
    await officer.press("Gửi trả lời", noted)
    answer = await citizen.new_lines()

    clock.now = datetime(2026, 3, 9, 3, 0, tzinfo=UTC)  # Mon 09/03/2026
    asked = await citizen.press("Chưa được giải quyết", answer)
    assert "chưa được giải quyết" in texts(asked)
    done = texts(await citizen.say("Mương vẫn bị lấp đoạn trước nhà số 12."))
    # pakn.answer again: 15 working days after Mon 09/03/2026 → Mon 30/03/2026.
    assert "Đã mở lại" in done and "30/03/2026" in done
    assert (await petition_row(sandbox_app)).state == "in_progress"
    assert "trước nhà số 12" in texts(await officer.new_lines())
    for head in ("officer-pd.truongkt", "officer-pd.chutich"):
        assert "trước nhà số 12" in texts(await SandboxPerson(sandbox_app, http, head).new_lines())
    again = texts(await citizen.press("Chưa được giải quyết", answer))
    assert "không thể mở lại" in again, "an old button cannot reopen a petition at work"


async def test_the_file_is_closed_after_the_answer(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, officer, outcomes = await accepted_then(sandbox_app, http, "Trả lời")
    await officer.press("Có đúng, có sai", outcomes)
    noted = await officer.say("Quyết định số 12/QĐ-UBND: công nhận một phần.")
    await officer.press("Gửi trả lời", noted)
    await signed_by_chairman(sandbox_app, http)
    assert "Quyết định số 12/QĐ-UBND" in texts(await citizen.new_lines())
    done = texts(await officer.press("Kết thúc hồ sơ", await opened_by(officer)))
    assert "Đã kết thúc hồ sơ" in done
    assert "đã kết thúc" in texts(await citizen.new_lines())
    assert (await petition_row(sandbox_app)).state == "closed"


# --- second complaint ---------------------------------------------------------------------------


async def answered_complaint(
    app: Application, http: aiohttp.ClientSession
) -> tuple[SandboxPerson, list[dict]]:
    citizen, officer, outcomes = await accepted_then(app, http, "Trả lời")
    assert "Kết quả giải quyết" in texts(outcomes)
    await officer.press("Sai toàn bộ", outcomes)
    noted = await officer.say("Quyết định số 12/QĐ-UBND: không công nhận nội dung khiếu nại.")
    await officer.press("Gửi trả lời", noted)
    await signed_by_chairman(app, http)
    return citizen, await citizen.new_lines()


async def test_a_second_complaint_goes_to_the_province_linked_to_the_first(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    citizen, answer = await answered_complaint(sandbox_app, http)
    clock.now = datetime(2026, 3, 16, 3, 0, tzinfo=UTC)  # Mon 16/03/2026
    lines = await citizen.press("Khiếu nại lần hai", answer)
    assert "Điều 33" in texts(lines) and "01/04/2026" in texts(lines)
    noted = await citizen.say("Quyết định lần đầu không xem xét biên bản đo đạc năm 2019.")
    receipt = texts(await citizen.press("Gửi khiếu nại lần hai", noted))
    # kn2.accept: 10 days from Mon 16/03/2026 → Thu 26/03/2026 (Điều 36 LKN).
    assert "TN-2026-000001" in receipt and "26/03/2026" in receipt
    assert "UBND tỉnh Thái Nguyên" in receipt

    second = await petition_row(sandbox_app, 2)
    assert (second.instance, second.parent_id, second.unit_code) == (2, 1, "TN")
    assert (await petition_row(sandbox_app)).outcome == "incorrect"
    assert (await petition_row(sandbox_app)).state == "appealed"
    assert await open_deadlines(sandbox_app, 2) == {"kn2.accept": "26/03/2026"}
    province = SandboxPerson(sandbox_app, http, "officer-tn.chutich")
    assert "TN-2026-000001" in texts(await province.new_lines())
    again = texts(await citizen.press("Khiếu nại lần hai", answer))
    assert "không thể khiếu nại lần hai" in again


async def test_a_second_complaint_after_the_window_is_refused_with_guidance(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    citizen, answer = await answered_complaint(sandbox_app, http)
    await citizen.press("Khiếu nại lần hai", answer)
    clock.now = datetime(2026, 4, 2, 3, 0, tzinfo=UTC)  # the day after 01/04/2026
    noted = await citizen.say("Tôi không đồng ý với quyết định.")
    refused = texts(await citizen.press("Gửi khiếu nại lần hai", noted))
    assert "quá thời hạn" in refused
    async with sandbox_app.db.transaction() as session:
        assert len((await session.scalars(select(m.Petition))).all()) == 1


async def test_another_citizen_cannot_appeal_or_reopen_someone_elses_petition(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    await answered_complaint(sandbox_app, http)
    intruder = SandboxPerson(sandbox_app, http, "citizen-3")
    await consent(intruder)
    for data in ("ap:1", "cn:1"):
        assert "Không tìm thấy" in texts(await intruder.act({"kind": "callback", "data": data}))
    assert (await petition_row(sandbox_app)).state == "answered"


# --- a denouncer's identity, by designation -----------------------------------------------------


async def test_a_head_lets_one_officer_know_the_denouncer_and_each_view_is_logged(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    await file_denunciation(
        SandboxPerson(sandbox_app, http, "citizen-2"), "Hoàng Văn Tố", "0987654321", "Bản Trang"
    )
    deputy = SandboxPerson(sandbox_app, http, "officer-pd.phochutich")
    assert "Hoàng Văn Tố" not in texts(await opened_by(deputy)), "a head, but not designated"

    head = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    lines = await head.press("Cho phép biết người tố cáo", await opened_by(head))
    done = texts(await head.press("Hoàng Thị Lan", lines))
    assert "Đã cho phép" in done
    assert "được biết danh tính" in texts(await deputy.new_lines())
    assert "Hoàng Văn Tố" in texts(await opened_by(deputy))

    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    assert "không có quyền" in texts(await opened_by(clerk))
    async with sandbox_app.db.transaction() as session:
        audit = [(a.actor, a.action) for a in await session.scalars(select(m.AuditEntry))]
        grants = (await session.scalars(select(m.IdentityGrant))).all()
    assert ("officer:pd.chutich", "petition.identity_granted") in audit
    assert ("officer:pd.phochutich", "petition.identity_viewed") in audit
    assert len(grants) == 1


# --- authorisation: every officer action, by everyone who may not take it -----------------------

EVERY_OFFICER_BUTTON = [
    *(f"pa:1.{action}" for action in ACTIONS),
    "xa:1.complex.yes",
    "ad:1.1.yes",
    "op:1",
]


@pytest.mark.parametrize(
    ("intruder", "refusal"),
    [
        ("citizen-2", "dành cho cán bộ"),  # a citizen forging officers' buttons
        ("officer-ts.tiepdan", "không có quyền"),  # an officer of another commune
        ("officer-pd.vhxh", "không có quyền"),  # another office of the same commune
        ("officer-pd.diachinh", "không có quyền"),  # the same office, not assigned
    ],
)
async def test_every_officer_action_is_refused_to_anyone_without_standing(
    sandbox_app: Application, http: aiohttp.ClientSession, intruder: str, refusal: str
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    await file_feedback(
        citizen, "Đất đai", "Mương thoát nước xóm Na Mao bị lấp, nước tràn vào nhà."
    )
    officer = SandboxPerson(sandbox_app, http, "officer-pd.kinhte")
    await officer.press("Xác nhận", await officer.press("Thụ lý", await opened_by(officer)))
    before = (await petition_row(sandbox_app)).state, await events(sandbox_app)

    person = SandboxPerson(sandbox_app, http, intruder)
    if intruder.startswith("citizen"):
        await consent(person)
    for data in EVERY_OFFICER_BUTTON:
        answer = texts(await person.act({"kind": "callback", "data": data}))
        assert refusal in answer, f"{data} by {intruder}: {answer!r}"
    assert ((await petition_row(sandbox_app)).state, await events(sandbox_app)) == before


async def test_a_forged_choice_of_officer_is_refused_on_the_server(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    await file_feedback(
        citizen, "Đất đai", "Mương thoát nước xóm Na Mao bị lấp, nước tràn vào nhà."
    )
    head = SandboxPerson(sandbox_app, http, "officer-pd.truongkt")
    choices = await head.press("Giao cán bộ khác", await opened_by(head))
    real = next(b["data"] for line in choices for row in line["buttons"] for b in row)
    step = real.partition(".")[0]
    forged = texts(await head.act({"kind": "callback", "data": f"{step}.ts.tiepdan"}))
    assert "không có quyền" in forged
    async with sandbox_app.db.transaction() as session:
        assignee = await session.scalar(
            select(m.Officer.handle).join(m.Petition, m.Petition.assignee_id == m.Officer.id)
        )
    assert assignee == "pd.kinhte"


async def test_a_complaint_cannot_be_answered_without_its_outcome_nor_feedback_with_one(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    await accepted_then(sandbox_app, http, "Trả lời")
    async with sandbox_app.db.transaction() as session:
        store = SqlStore(session)
        officer = await store.officer_by_handle("pd.tiepdan")
        assert officer is not None
        for outcome in (None, "upheld", "made-up"):
            with pytest.raises(NotAllowed):
                await answer_petition(
                    store,
                    sandbox_app.env,
                    1,
                    officer,
                    "Trả lời.",
                    sandbox_app.clock(),
                    outcome=outcome,
                )
    assert (await petition_row(sandbox_app)).state == "accepted"


FEEDBACK = "Bãi rác tự phát bên đường vào xóm Na Mao, bốc mùi cả tuần nay."


async def test_only_a_complaints_card_names_its_instance(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    """«giải quyết lần 1» is a complaint's: a feedback's card does not say it (issue 14)."""
    _, _, opened = await complaint_opened_by_assignee(sandbox_app, http)
    assert "Phân loại: giải quyết lần 1" in texts(opened)
    await file_feedback(SandboxPerson(sandbox_app, http, "citizen-2"), "Môi trường", FEEDBACK)
    head = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    card = texts(await head.act({"kind": "callback", "data": "op:2"}))
    assert "Đơn PD-2026-000002" in card
    assert "giải quyết lần" not in card and "Phân loại: —" in card
