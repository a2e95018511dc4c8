"""Dialogue sessions for citizens in the sandbox: follow places, hear of a session once, register
with a waitlist, ask ahead, get reminded, a calendar file, and a cancellation reaching everyone."""

from __future__ import annotations

import asyncio
import base64
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import icalendar
from sqlalchemy import select, update

from bot.app import Application
from bot.buttons import FollowCommunes, SessionAction
from bot.services.dialogues import SessionPlan, cancel_session, create_session
from storage import models as m
from storage.repository import SqlStore
from tests.conftest import FakeClock, make_settings, run_due_jobs
from tests.sandbox_client import SandboxPerson, texts
from tests.test_filing_sandbox import consent, file_complaint

# Sat 14/03/2026 08:00 in Hà Nội; registration closes Thu 12/03 17:00.
STARTS = datetime(2026, 3, 14, 1, 0, tzinfo=UTC)
CLOSES = datetime(2026, 3, 12, 10, 0, tzinfo=UTC)


async def announce(
    app: Application,
    *,
    capacity: int = 50,
    audience: tuple[str, ...] = ("PD",),
    subscribers_may_ask: bool = False,
    topic: str = "Giải phóng mặt bằng đường liên xã Phú Đình - Định Hóa",
) -> int:
    """The chairman of Phú Đình announces a session (the staff conversation does the same)."""
    async with app.db.transaction() as session:
        store = SqlStore(session)
        chairman = await store.officer_by_handle("pd.chutich")
        assert chairman is not None
        dialogue_id = await create_session(
            store,
            app.env,
            chairman,
            SessionPlan(
                topic=topic,
                leader_id=chairman.id,
                starts_at=STARTS,
                place="Hội trường UBND xã Phú Đình",
                link=None,
                audience=audience,
                capacity=capacity,
                registration_closes_at=CLOSES,
                subscribers_may_ask=subscribers_may_ask,
            ),
            app.clock(),
        )
    await run_jobs(app)
    return dialogue_id


async def run_jobs(app: Application) -> None:
    await run_due_jobs(app)
    await asyncio.sleep(0)
    await app.outbox.flush()


async def follower(
    app: Application, http: aiohttp.ClientSession, chat: str, *labels: str
) -> SandboxPerson:
    """A citizen who follows the places pressed, in order, from «Nhận tin theo địa bàn»."""
    person = SandboxPerson(app, http, chat)
    lines = await consent(person)
    lines = await person.act({"kind": "callback", "data": FollowCommunes().pack()})
    for label in labels:
        lines = await person.press(label, lines)
    return person


async def queued_texts(app: Application, chat: str) -> list[str]:
    async with app.db.transaction() as session:
        rows = await session.scalars(
            select(m.OutboxMessage)
            .where(m.OutboxMessage.chat_id == chat)
            .order_by(m.OutboxMessage.id)
        )
        return [row.payload["text"] for row in rows]


async def test_a_session_is_announced_once_to_each_follower_in_their_language(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    both = await follower(sandbox_app, http, "citizen-1", "Cả xã Phú Đình", "Chọn thôn", "Na Mao")
    elsewhere = await follower(sandbox_app, http, "citizen-2", "Cả xã Thần Sa")
    english_village = await follower(
        sandbox_app, http, "citizen-3", "Chọn thôn, xóm của xã Phú Đình", "Bản Trang"
    )
    async with sandbox_app.db.transaction() as session:
        await session.execute(
            update(m.Conversation).where(m.Conversation.chat_id == "citizen-3").values(locale="en")
        )
    for person in (both, elsewhere, english_village):
        await person.new_lines()

    await announce(sandbox_app)
    heard = [texts(await p.new_lines()) for p in (both, elsewhere, english_village)]
    assert heard[0].count("Thông báo buổi đối thoại") == 1, "two places followed, one message"
    assert "Giải phóng mặt bằng" in heard[0] and "Hội trường UBND xã Phú Đình" in heard[0]
    assert "08:00 14/03/2026" in heard[0]
    assert heard[1] == "", "Thần Sa's followers are not told of a Phú Đình session"
    assert "Dialogue session" in heard[2], "a village's follower hears of its commune's session"
    assert "Thông báo" not in heard[2], "in the language they chose"


async def test_seats_fill_then_the_waitlist_and_a_cancellation_promotes_the_first_in_line(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    people = [
        await follower(sandbox_app, http, f"citizen-{n}", "Cả xã Phú Đình") for n in (1, 2, 3)
    ]
    dialogue_id = await announce(sandbox_app, capacity=2)
    replies = []
    for person in people:
        announcement = await person.new_lines()
        replies.append(texts(await person.press("Đăng ký tham dự", announcement)))
    assert "đã đăng ký" in replies[0] and "đã đăng ký" in replies[1]
    assert "vị trí 1 trong danh sách chờ" in replies[2]
    again = texts(
        await people[0].act({"kind": "callback", "data": SessionAction(dialogue_id, "reg").pack()})
    )
    assert "đã đăng ký" in again, "pressing again keeps the seat, it does not take a second"

    view = await people[0].act(
        {"kind": "callback", "data": SessionAction(dialogue_id, "view").pack()}
    )
    asked = await people[0].press("Hủy đăng ký", view)
    assert "chắc chắn hủy đăng ký" in texts(asked) and not await people[2].new_lines()
    assert "Đã hủy đăng ký" in texts(await people[0].press("Đúng, hủy đăng ký", asked))
    assert "Đã có chỗ" in texts(await people[2].new_lines())
    async with sandbox_app.db.transaction() as session:
        seats = {
            row.citizen_id: row.status
            for row in await session.scalars(select(m.DialogueRegistration))
        }
    assert sorted(seats.values()) == ["cancelled", "registered", "registered"]


async def test_the_calendar_file_parses_with_the_sessions_time_and_place(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    person = await follower(sandbox_app, http, "citizen-1", "Cả xã Phú Đình")
    dialogue_id = await announce(sandbox_app)
    lines = await person.act({"kind": "callback", "data": SessionAction(dialogue_id, "ics").pack()})
    assert any(line.get("document") == f"doi-thoai-{dialogue_id}.ics" for line in lines)
    async with sandbox_app.db.transaction() as session:
        payloads = await session.scalars(
            select(m.OutboxMessage.payload).where(m.OutboxMessage.chat_id == "citizen-1")
        )
        [payload] = [
            p for p in payloads if p.get("document_name") == f"doi-thoai-{dialogue_id}.ics"
        ]
    calendar = icalendar.Calendar.from_ical(base64.b64decode(payload["document_data"]))
    [event] = calendar.walk("VEVENT")
    assert event.decoded("dtstart") == STARTS
    assert "Giải phóng mặt bằng" in str(event.get("summary"))
    assert str(event.get("location")) == "Hội trường UBND xã Phú Đình"


async def test_questions_ahead_come_from_registrants_or_followers_when_allowed(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    registrant = await follower(sandbox_app, http, "citizen-1", "Cả xã Phú Đình")
    onlooker = await follower(sandbox_app, http, "citizen-2", "Cả xã Phú Đình")
    dialogue_id = await announce(sandbox_app)
    await registrant.press("Đăng ký tham dự", await registrant.new_lines())
    await onlooker.new_lines()
    refused = texts(
        await onlooker.act({"kind": "callback", "data": SessionAction(dialogue_id, "ask").pack()})
    )
    assert "chưa đăng ký" in refused

    await registrant.act({"kind": "callback", "data": SessionAction(dialogue_id, "ask").pack()})
    assert "5 đến 1000" in texts(await registrant.say("Sao?"))
    sent = texts(await registrant.say("Bao giờ chi trả tiền đền bù cho các hộ xóm Na Mao?"))
    assert "Đã gửi câu hỏi" in sent

    open_to_all = await announce(sandbox_app, subscribers_may_ask=True)
    await onlooker.act({"kind": "callback", "data": SessionAction(open_to_all, "ask").pack()})
    assert "Đã gửi câu hỏi" in texts(
        await onlooker.say("Đường có mở rộng qua xóm Bản Trang không?")
    )
    async with sandbox_app.db.transaction() as session:
        questions = [
            (q.dialogue_id, q.status) for q in await session.scalars(select(m.DialogueQuestion))
        ]
    assert questions == [(dialogue_id, "pending"), (open_to_all, "pending")]


async def test_registrants_are_reminded_the_day_before_and_two_hours_before_across_a_restart(
    tmp_path: Path, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, sandbox=True)
    first = Application(settings, clock=clock)
    await first.start()
    person = await follower(first, http, "citizen-1", "Cả xã Phú Đình")
    await announce(first)
    await person.press("Đăng ký tham dự", await person.new_lines())
    await first.stop()

    clock.now = STARTS - timedelta(
        hours=23
    )  # the bot was down when the day-before reminder fell due
    second = Application(settings, clock=clock)
    await second.start()
    try:
        await run_jobs(second)
        await run_jobs(second)
        assert (
            sum("Nhắc lịch buổi đối thoại" in t for t in await queued_texts(second, "citizen-1"))
            == 1
        )
        clock.now = STARTS - timedelta(hours=1, minutes=30)
        await run_jobs(second)
        reminders = [t for t in await queued_texts(second, "citizen-1") if "Nhắc lịch" in t]
        assert len(reminders) == 2 and "08:00 14/03/2026" in reminders[-1]
    finally:
        await second.stop()


async def test_a_cancellation_reaches_followers_and_registrants_once_each(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    registrant = await follower(sandbox_app, http, "citizen-1", "Cả xã Phú Đình")
    quiet = await follower(sandbox_app, http, "citizen-2", "Cả xã Phú Đình")
    dialogue_id = await announce(sandbox_app)
    await registrant.press("Đăng ký tham dự", await registrant.new_lines())
    await quiet.new_lines()
    async with sandbox_app.db.transaction() as session:
        store = SqlStore(session)
        chairman = await store.officer_by_handle("pd.chutich")
        assert chairman is not None
        await cancel_session(store, sandbox_app.env, chairman, dialogue_id, sandbox_app.clock())
    await run_jobs(sandbox_app)
    for person in (registrant, quiet):
        assert texts(await person.new_lines()).count("đã bị hủy") == 1
    late = texts(
        await quiet.act({"kind": "callback", "data": SessionAction(dialogue_id, "reg").pack()})
    )
    assert "đã kết thúc hoặc đã hủy" in late


async def test_after_a_first_petition_the_citizen_is_offered_news_of_their_commune_once(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-1")
    receipt = await file_complaint(citizen)
    assert "nhận tin về các buổi lãnh đạo đối thoại" in texts(receipt)
    followed = texts(await citizen.press("Có, nhận tin", receipt))
    assert "Đã nhận tin về xã Phú Đình" in followed
    async with sandbox_app.db.transaction() as session:
        places = (await session.scalars(select(m.Subscription.place))).all()
    assert places == ["PD"]
