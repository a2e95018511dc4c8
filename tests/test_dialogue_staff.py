"""Dialogue sessions, the organiser's side, in the sandbox: create and announce, move, cancel,
moderate the questions sent ahead, and close with minutes and follow-up petitions."""

from __future__ import annotations

import re
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any, TypeVar

import aiohttp
from sqlalchemy import select

from bot.app import Application
from bot.buttons import DialogueStaff, ModerateQuestion, SessionCard
from bot.domain.words import clip
from bot.services.dialogues import SessionPlan, ask_question, create_session, moderate, register
from storage import models as m
from storage.repository import SqlStore
from tests.conftest import FakeClock, run_due_jobs
from tests.sandbox_client import SandboxPerson, labels, texts
from tests.test_filing_sandbox import consent

TOPIC = "Giải phóng mặt bằng đường tránh xóm Na Mao"
# Thursday 5 March 2026, 14:00 in Hà Nội: three days after the clock's start.
STARTS = datetime(2026, 3, 5, 7, 0, tzinfo=UTC)
HALL = "Hội trường UBND xã Phú Đình"

Result = TypeVar("Result")


async def in_store(app: Application, work: Callable[[SqlStore], Awaitable[Result]]) -> Result:
    """Do something through the store, in a transaction of its own."""
    async with app.db.transaction() as session:
        return await work(SqlStore(session))


async def run_jobs(app: Application) -> None:
    await run_due_jobs(app)


async def resident(
    app: Application, http: aiohttp.ClientSession, number: int, *follows: str
) -> tuple[SandboxPerson, int]:
    """A citizen who has read the privacy notice and follows these places; their id."""
    person = SandboxPerson(app, http, f"citizen-{number}")
    await consent(person)
    async with app.db.transaction() as session:
        citizen_id = await session.scalar(
            select(m.Citizen.id).where(m.Citizen.chat_id == person.chat)
        )
        assert citizen_id is not None
        for place in follows:
            await SqlStore(session).subscribe(citizen_id, place, app.clock())
    return person, citizen_id


async def announced_session(app: Application, capacity: int = 100) -> int:
    """A session the chairman of Phú Đình announced for Na Mao, as the service stores it."""

    async def create(store: SqlStore) -> int:
        chairman = await store.officer_by_handle("pd.chutich")
        assert chairman is not None
        plan = SessionPlan(
            topic=TOPIC,
            leader_id=chairman.id,
            starts_at=STARTS,
            place=HALL,
            link=None,
            audience=("PD-NM",),
            capacity=capacity,
            registration_closes_at=STARTS - timedelta(hours=2),
            subscribers_may_ask=False,
        )
        return await create_session(store, app.env, chairman, plan, app.clock())

    dialogue_id = await in_store(app, create)
    await run_jobs(app)
    return dialogue_id


async def registered(app: Application, dialogue_id: int, citizen_id: int) -> str:
    return await in_store(app, lambda store: register(store, dialogue_id, citizen_id, app.clock()))


async def asked(app: Application, dialogue_id: int, citizen_id: int, text: str) -> int:
    await registered(app, dialogue_id, citizen_id)
    return await in_store(
        app,
        lambda store: ask_question(store, app.env, dialogue_id, citizen_id, text, app.clock()),
    )


async def dialogue_row(app: Application, dialogue_id: int = 1) -> m.Dialogue:
    async with app.db.transaction() as session:
        return await session.get_one(m.Dialogue, dialogue_id)


async def question_rows(app: Application) -> dict[int, m.DialogueQuestion]:
    async with app.db.transaction() as session:
        return {q.id: q for q in await session.scalars(select(m.DialogueQuestion))}


async def press_data(person: SandboxPerson, data: str) -> list[dict[str, Any]]:
    """Press a button by its data, as a forged or an old message's button would be."""
    return await person.act({"kind": "callback", "data": data})


def officer(app: Application, http: aiohttp.ClientSession, handle: str) -> SandboxPerson:
    return SandboxPerson(app, http, f"officer-{handle}")


# --- creating ------------------------------------------------------------------------------------


async def test_a_session_created_in_chat_is_stored_and_announced_to_followers_only(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    follower, _ = await resident(sandbox_app, http, 1, "PD-NM")
    elsewhere, _ = await resident(sandbox_app, http, 2, "TS")
    clerk = officer(sandbox_app, http, "pd.tiepdan")

    home = await clerk.press("Đối thoại", await clerk.say("/menu"))
    assert "Chưa có buổi đối thoại nào" in texts(home)
    lines = await clerk.press("Tạo buổi đối thoại", home)
    assert "Chủ đề" in texts(lines)
    lines = await clerk.say(TOPIC)
    assert "Lãnh đạo nào chủ trì" in texts(lines)
    lines = await clerk.press("Nguyễn Văn Hải", lines)
    await clerk.say("05/03/2026 14:00")
    lines = await clerk.say(HALL)
    assert "Xóm Na Mao" in labels(lines) and "Xóm Đồng Chẽ" not in labels(lines), "Phú Đình only"
    lines = await clerk.press("Xóm Na Mao", lines)
    assert "✅ Xóm Na Mao" in labels(lines)
    lines = await clerk.press("Xong", lines)
    lines = await clerk.say("100")
    lines = await clerk.press("1 ngày trước", lines)
    lines = await clerk.press("Chỉ người đã đăng ký", lines)
    review = texts(lines)
    assert all(
        part in review
        for part in (TOPIC, "Nguyễn Văn Hải", "14:00 05/03/2026", HALL, "Xóm Na Mao", "14:00 04/03")
    )

    done = texts(await clerk.press("Công bố", lines))
    assert "Thông báo đang được gửi" in done
    row = await dialogue_row(sandbox_app)
    assert (row.unit_code, row.topic, row.place, row.link, row.audience, row.capacity) == (
        "PD",
        TOPIC,
        HALL,
        None,
        ["PD-NM"],
        100,
    )
    assert row.starts_at == STARTS and row.registration_closes_at == STARTS - timedelta(days=1)
    assert not row.subscribers_may_ask and row.state == "announced"

    await run_jobs(sandbox_app)
    told = texts(await follower.new_lines())
    assert "Thông báo buổi đối thoại" in told and TOPIC in told and "14:00 05/03/2026" in told
    assert not await elsewhere.new_lines()
    listed = texts(await clerk.press("Đối thoại", await clerk.say("/menu")))
    assert "Các buổi đối thoại của UBND xã Phú Đình" in listed


async def test_bad_answers_are_asked_again_politely_and_back_and_cancel_store_nothing(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    chairman = officer(sandbox_app, http, "pd.chutich")
    lines = await chairman.press("Đối thoại", await chairman.say("/menu"))
    lines = await chairman.press("Tạo buổi đối thoại", lines)
    assert "cần từ 5 đến 300 ký tự" in texts(await chairman.say("Đất"))
    lines = await chairman.press("Hoàng Thị Lan", await chairman.say(TOPIC))
    assert "đã qua" in texts(await chairman.say("01/03/2026 09:00"))
    assert "Chưa đọc được thời gian" in texts(await chairman.say("chiều thứ năm"))
    await chairman.say("05/03/2026 14:00")
    lines = await chairman.say("https://meet.example.vn/son-phu")
    again = await chairman.press("Xong", lines)
    # One line says what is missing; the places stay above, and their buttons still work.
    assert "ít nhất một địa bàn" in texts(again) and "dành cho người dân ở đâu" not in texts(again)
    lines = await chairman.press("Toàn địa bàn", lines)
    lines = await chairman.press("Xong", lines)
    assert "Số chỗ cần là một số" in texts(await chairman.say("abc"))
    lines = await chairman.press("Quay lại", lines)  # the seats question is still the current one
    assert "dành cho người dân ở đâu" in texts(lines) and "✅ " in " ".join(labels(lines))
    lines = await chairman.press("Xong", lines)
    closes = await chairman.say("250")
    lines = await chairman.say("06/03/2026 08:00")
    assert "không muộn hơn giờ bắt đầu (14:00 05/03/2026)" in texts(lines)
    lines = await chairman.press("2 giờ trước", closes)
    review = await chairman.press("người theo dõi địa bàn", lines)
    assert "https://meet.example.vn/son-phu" in texts(review)

    assert "chưa có gì thay đổi" in texts(await chairman.press("Hủy", review))
    async with sandbox_app.db.transaction() as session:
        assert not list(await session.scalars(select(m.Dialogue)))


async def test_a_handler_without_reception_duties_may_not_organise(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    surveyor = officer(sandbox_app, http, "pd.diachinh")
    menu = await surveyor.say("/menu")
    assert "Đối thoại" not in " ".join(labels(menu))
    assert "không có quyền" in texts(await press_data(surveyor, DialogueStaff("new").pack()))


# --- who may press what --------------------------------------------------------------------------


async def test_a_citizen_or_another_commune_cannot_cancel_or_moderate(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen, citizen_id = await resident(sandbox_app, http, 1, "PD-NM")
    dialogue_id = await announced_session(sandbox_app)
    await asked(sandbox_app, dialogue_id, citizen_id, "Bao giờ chi trả tiền bồi thường?")
    await citizen.new_lines()

    assert "dành cho cán bộ" in texts(await press_data(citizen, SessionCard(1, "cancel").pack()))
    assert "dành cho cán bộ" in texts(await press_data(citizen, "dq:1.rej"))
    stranger = officer(sandbox_app, http, "ts.tiepdan")
    for data in (
        SessionCard(1, "cancel").pack(),
        ModerateQuestion(1, "rej").pack(),
        ModerateQuestion(1, "acc").pack(),
        SessionCard(1, "open").pack(),
        SessionCard(1, "close").pack(),
    ):
        assert "không có quyền quản lý buổi đối thoại này" in texts(
            await press_data(stranger, data)
        )
    assert "chắc chắn hủy" not in texts(await stranger.say("xác nhận")), "no question began"

    assert (await dialogue_row(sandbox_app)).state == "announced"
    assert (await question_rows(sandbox_app))[1].status == "pending"
    assert not await citizen.new_lines()


async def test_the_province_may_manage_a_commune_session(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    await announced_session(sandbox_app)
    governor = officer(sandbox_app, http, "tn.chutich")
    card = texts(await press_data(governor, SessionCard(1, "open").pack()))
    assert TOPIC in card and "Đã đăng ký: 0/100 chỗ" in card


# --- moving and cancelling -----------------------------------------------------------------------


async def test_moving_a_session_tells_the_registered_and_the_waitlist(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    first, first_id = await resident(sandbox_app, http, 1)
    second, second_id = await resident(sandbox_app, http, 2)
    follower, _ = await resident(sandbox_app, http, 3, "PD-NM")
    dialogue_id = await announced_session(sandbox_app, capacity=1)
    assert await registered(sandbox_app, dialogue_id, first_id) == "registered"
    assert await registered(sandbox_app, dialogue_id, second_id) == "waitlisted"
    await follower.new_lines()

    clerk = officer(sandbox_app, http, "pd.tiepdan")
    card = await press_data(clerk, SessionCard(dialogue_id, "open").pack())
    assert "Đã đăng ký: 1/1 chỗ · Danh sách chờ: 1 người" in texts(card)
    assert "Ghi kết quả" not in " ".join(labels(card)), "not before the session starts"
    lines = await clerk.press("Dời lịch", card)
    assert "14:00 05/03/2026" in texts(lines)
    lines = await clerk.say("06/03/2026 15:30")
    assert HALL in texts(lines)
    done = texts(await clerk.press("Giữ địa điểm cũ", lines))
    assert "15:30 06/03/2026" in done and "Đã báo cho 2 người" in done

    for person in (first, second):
        told = texts(await person.new_lines())
        assert "đã đổi thời gian" in told and "15:30 06/03/2026" in told and HALL in told
    assert not await follower.new_lines()
    row = await dialogue_row(sandbox_app, dialogue_id)
    assert row.starts_at == datetime(2026, 3, 6, 8, 30, tzinfo=UTC)
    assert row.registration_closes_at == STARTS - timedelta(hours=2), "kept: still before"


async def test_cancelling_tells_each_follower_and_registrant_once(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    both, both_id = await resident(sandbox_app, http, 1, "PD-NM", "PD")
    follower, _ = await resident(sandbox_app, http, 2, "PD-NM")
    registrant, registrant_id = await resident(sandbox_app, http, 3)
    dialogue_id = await announced_session(sandbox_app)
    for citizen_id in (both_id, registrant_id):
        await registered(sandbox_app, dialogue_id, citizen_id)
    for person in (both, follower, registrant):
        await person.new_lines()

    chairman = officer(sandbox_app, http, "pd.chutich")
    lines = await chairman.press(
        "Hủy buổi đối thoại", await press_data(chairman, SessionCard(1, "open").pack())
    )
    assert "chắc chắn hủy" in texts(lines)
    done = texts(await chairman.press("Xác nhận hủy", lines))
    assert "Đã hủy buổi đối thoại" in done
    await run_jobs(sandbox_app)
    await run_jobs(sandbox_app)

    for person in (both, follower, registrant):
        told = [line["text"] for line in await person.new_lines()]
        assert len(told) == 1 and "đã bị hủy" in told[0] and TOPIC in told[0]
    assert (await dialogue_row(sandbox_app)).state == "cancelled"
    again = texts(await press_data(chairman, SessionCard(1, "cancel").pack()))
    assert "không còn thay đổi được" in again


# --- questions sent ahead ------------------------------------------------------------------------

QUESTIONS = (
    "Bao giờ các hộ xóm Na Mao được chi trả tiền bồi thường?",
    "Khi nào gia đình tôi nhận được tiền đền bù đất vườn?",
    "Xã có hỗ trợ tiền học cho con em hộ nghèo không?",
)


async def three_askers(
    app: Application, http: aiohttp.ClientSession
) -> tuple[int, list[SandboxPerson]]:
    """A session with one question from each of three residents; the first gave a phone."""
    people = [await resident(app, http, number) for number in (1, 2, 3)]
    dialogue_id = await announced_session(app)
    for (_, citizen_id), text in zip(people, QUESTIONS, strict=True):
        await asked(app, dialogue_id, citizen_id, text)
    await in_store(
        app, lambda store: store.remember_identity(people[0][1], "Lục Văn Tâm", "0912345678", None)
    )
    return dialogue_id, [person for person, _ in people]


async def test_moderating_questions_tells_each_asker_and_the_answering_unit(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    dialogue_id, (first, second, third) = await three_askers(sandbox_app, http)
    clerk = officer(sandbox_app, http, "pd.tiepdan")
    listed = await press_data(clerk, SessionCard(dialogue_id, "questions").pack())
    assert "3 câu" in texts(listed) and all(q in texts(listed) for q in QUESTIONS)
    assert "0912345678" not in texts(listed) and "Lục Văn Tâm" not in texts(listed)

    lines = await press_data(clerk, "dq:1.acc")
    assert "Phòng Kinh tế xã Phú Đình" in labels(lines) and "UBND xã Thần Sa" not in labels(lines)
    done = texts(await clerk.press("Phòng Kinh tế", lines))
    assert "Đã tiếp nhận câu hỏi #1" in done and "#1 · đã tiếp nhận" in done
    told = texts(await first.new_lines())
    assert "đã được tiếp nhận" in told and "Phòng Kinh tế xã Phú Đình" in told
    head = officer(sandbox_app, http, "pd.truongkt")
    assert QUESTIONS[0] in texts(await head.new_lines())

    lines = await press_data(clerk, "dq:2.merge")
    assert labels(lines)[:2] == [f"#1 {clip(QUESTIONS[0], 40)}", f"#3 {clip(QUESTIONS[2], 40)}"]
    assert labels(lines)[0] == "#1 Bao giờ các hộ xóm Na Mao được chi trả…", "cut at a word"
    assert "Đã gộp câu hỏi #2 vào câu #1" in texts(await clerk.press("#1", lines))
    assert "trả lời cùng với một câu hỏi tương tự" in texts(await second.new_lines())

    await press_data(clerk, "dq:3.rej")
    assert "Lý do cần từ 5" in texts(await clerk.say("ok"))
    await clerk.say("Nội dung này thuộc chuyên đề giáo dục, xã sẽ trả lời tại buổi khác.")
    told = texts(await third.new_lines())
    assert "chưa được đưa vào buổi đối thoại" in told and "chuyên đề giáo dục" in told

    questions = await question_rows(sandbox_app)
    assert [(q.status, q.unit_code, q.merged_into) for q in questions.values()] == [
        ("accepted", "PD-KT", None),
        ("merged", None, 1),
        ("rejected", None, None),
    ]
    assert "đã được xử lý rồi" in texts(await press_data(clerk, "dq:3.acc"))


async def test_a_question_once_accepted_loses_its_moderation_buttons(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    dialogue_id, _askers = await three_askers(sandbox_app, http)
    clerk = officer(sandbox_app, http, "pd.tiepdan")
    listed = await press_data(clerk, SessionCard(dialogue_id, "questions").pack())
    first = next(line for line in listed if QUESTIONS[0] in line["text"])
    units = await clerk.press("Tiếp nhận", [first])
    relisted = await clerk.press("Phòng Kinh tế", units)
    accepted = next(line for line in relisted if QUESTIONS[0] in line["text"])
    assert "đã tiếp nhận" in accepted["text"] and accepted["buttons"] == [], "nothing to press"
    async with http.get(
        f"{clerk.base}/messages", params={"chat": clerk.chat, "after": 0}, headers=SANDBOX
    ) as response:
        transcript = (await response.json())["messages"]
    pressed = next(line for line in transcript if line["id"] == first["id"])
    assert pressed["buttons"] == [], "the pressed question's buttons were taken off it"
    assert any(line.get("edits") == first["id"] for line in transcript), "and the page told"


SANDBOX = {"X-Sandbox": "1"}


# --- after the session ---------------------------------------------------------------------------


async def test_closing_keeps_the_minutes_and_files_what_was_left_open_as_petitions(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    dialogue_id, (first, second, third) = await three_askers(sandbox_app, http)

    async def moderated(store: SqlStore) -> None:
        chairman = await store.officer_by_handle("pd.chutich")
        assert chairman is not None
        await moderate(store, sandbox_app.env, chairman, 1, "accepted", unit="PD-KT")
        await moderate(store, sandbox_app.env, chairman, 2, "merged", into=1)

    await in_store(sandbox_app, moderated)
    chairman = officer(sandbox_app, http, "pd.chutich")
    too_early = texts(await press_data(chairman, SessionCard(dialogue_id, "close").pack()))
    assert "ghi kết quả sau giờ đó" in too_early

    clock.now = STARTS + timedelta(hours=3)
    for person in (first, second, third):
        await person.new_lines()
    lines = await chairman.press(
        "Ghi kết quả", await press_data(chairman, SessionCard(dialogue_id, "open").pack())
    )
    assert "Số người tham dự cần là một số" in texts(await chairman.say("nhiều"))
    await chairman.say("85")
    lines = await chairman.say("Lãnh đạo xã trả lời về tiến độ bồi thường và học phí.")
    assert f"#3 {clip(QUESTIONS[2], 40)}" in labels(lines)
    lines = await chairman.press("#3", lines)
    assert f"✅ #3 {clip(QUESTIONS[2], 40)}" in labels(lines)
    lines = await chairman.press("Tiếp", lines)
    lines = await chairman.say("Sửa đường dây điện xóm Na Mao trước 30/4.")
    lines = await chairman.press("Phòng Văn hóa", lines)
    assert "Đã ghi 1 cam kết" in texts(lines)
    lines = await chairman.press("Thêm cam kết khác", lines)
    lines = await chairman.press("Không còn cam kết nào", lines)
    review = texts(lines)
    assert "Số người tham dự: 85" in review and "sẽ thành đơn kiến nghị): 1" in review
    assert "Sửa đường dây điện xóm Na Mao trước 30/4. — Phòng Văn hóa - Xã hội" in review
    done = texts(await chairman.press("Xác nhận", lines))
    assert "Đã tạo 2 đơn kiến nghị" in done and "PD-2026-000001, PD-2026-000002" in done

    async with sandbox_app.db.transaction() as session:
        petitions = list(await session.scalars(select(m.Petition).order_by(m.Petition.id)))
        deadlines = list(await session.scalars(select(m.Deadline)))
    assert [(p.kind, p.unit_code, p.dialogue_id) for p in petitions] == [
        ("kien_nghi", "PD-VHXH", 1),
        ("kien_nghi", "PD-KT", 1),
    ]
    assert {d.petition_id for d in deadlines} == {1, 2}
    answer_due = next(d for d in deadlines if d.petition_id == 2 and d.rule_id == "pakn.answer")
    questions = await question_rows(sandbox_app)
    assert (questions[1].petition_id, questions[3].status) == (2, "answered")

    for person in (first, second):
        told = texts(await person.new_lines())
        assert "PD-2026-000002" in told and "Phòng Kinh tế xã Phú Đình" in told
        assert answer_due.due_date.strftime("%d/%m/%Y") in told
    assert not await third.new_lines(), "answered at the session: no petition"
    for handle, code in (("pd.kinhte", "PD-2026-000002"), ("pd.vhxh", "PD-2026-000001")):
        notice = texts(await officer(sandbox_app, http, handle).new_lines())
        assert "Đơn mới " + code in notice and "0912345678" not in notice

    await run_jobs(sandbox_app)
    minutes = texts(await third.new_lines())
    assert "Kết quả buổi đối thoại" in minutes and "Số người tham dự: 85" in minutes
    assert (await dialogue_row(sandbox_app)).state == "held"


async def test_the_example_time_is_ahead_and_accepted_as_typed(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    """The time question's example is a week ahead: typed as given, it is taken (issue 14)."""
    chairman = officer(sandbox_app, http, "pd.chutich")
    lines = await chairman.press("Đối thoại", await chairman.say("/menu"))
    lines = await chairman.press("Tạo buổi đối thoại", lines)
    asked = texts(await chairman.press("Hoàng Thị Lan", await chairman.say(TOPIC)))
    example = re.search(r"\d\d/\d\d/\d{4} \d\d:\d\d", asked)
    assert example is not None and example.group() == "09/03/2026 14:00"  # now: 02/03/2026
    assert "tổ chức ở đâu" in texts(await chairman.say(example.group()))
