"""Reception days (tiếp công dân định kỳ): schedules, booked slots, reminders, outcomes, indicators.

The clock starts on Monday 02/03/2026 at 10:00 in Hà Nội; the chairman of Phú Đình receives on
Tuesdays, 08:00-10:00, in 30-minute slots of two people, unless a test sets up otherwise.
"""

from __future__ import annotations

import asyncio
import dataclasses
from datetime import UTC, date, datetime, time
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import Application, load_organisation
from bot.buttons import (
    CancelBooking,
    Indicators,
    ReceptionDays,
    ReceptionStaff,
    RecordVisit,
    ScheduleAction,
)
from bot.domain.calendar import vietnam_calendar
from bot.domain.reception_days import (
    COMMUNE_HEAD_DUTY,
    OTHER_HEAD_DUTY,
    Hours,
    carries_duty,
    days_required,
    parse_hours,
    reception_dates,
)
from bot.services.reception_days import SchedulePlan, create_schedule
from bot.services.workflow import NotAllowed
from storage import models as m
from storage.repository import SqlStore
from tests.conftest import FakeClock, make_settings
from tests.sandbox_client import SandboxPerson, labels, texts
from tests.test_filing_sandbox import consent, file_complaint

PLACE = "Phòng tiếp công dân, UBND xã Phú Đình"
TOPIC = "Hỏi về việc cấp giấy chứng nhận quyền sử dụng đất cho thửa ruộng ở xóm Na Mao."
TUESDAY = 1
# Hà Nội is UTC+7: 08:00 there is 01:00 UTC.
MON_09_0759 = datetime(2026, 3, 9, 0, 59, tzinfo=UTC)
MON_09_0800 = datetime(2026, 3, 9, 1, 0, tzinfo=UTC)
TUE_10_0600 = datetime(2026, 3, 9, 23, 0, tzinfo=UTC)  # two hours before an 08:00 slot
TUE_03_0900 = datetime(2026, 3, 3, 2, 0, tzinfo=UTC)


# --- the law and the calendar, as pure functions ------------------------------------------------


CALENDAR = vietnam_calendar([2026])


def test_a_schedule_skips_the_days_off_of_2026() -> None:
    mondays = reception_dates(0, date(2026, 4, 20), 4, CALENDAR)
    assert mondays == [date(2026, 4, 20), date(2026, 5, 4), date(2026, 5, 11)], (
        "Hùng Kings' day falls on Sunday 26/04 and is observed on Monday 27/04"
    )
    assert reception_dates(3, date(2026, 4, 23), 2, CALENDAR) == [date(2026, 4, 23)]  # 30/04
    assert reception_dates(TUESDAY, date(2026, 8, 24), 3, CALENDAR) == [
        date(2026, 8, 25),
        date(2026, 9, 8),
    ], "Tuesday 01/09 is National Day"


def test_slots_fit_the_hours_and_typed_hours_are_read_loosely() -> None:
    assert Hours(time(8), time(10), 30).slot_starts() == [
        time(8),
        time(8, 30),
        time(9),
        time(9, 30),
    ]
    assert Hours(time(8), time(9, 50), 30).slot_starts()[-1] == time(9), "the last slot fits"
    assert Hours(time(8), time(8, 20), 30).slot_starts() == []
    assert parse_hours("7h30 - 11h30") == (time(7, 30), time(11, 30))
    assert parse_hours("11:00-08:00") is None and parse_hours("sáng thứ ba") is None


def test_the_legal_minimum_counts_ended_periods_with_a_working_day() -> None:
    monday = date(2026, 3, 2)
    # Weeks ended by Monday 02/03: nine, less the week of Tết (16-22/02) with no working day.
    assert days_required(COMMUNE_HEAD_DUTY, monday, CALENDAR) == 8
    assert days_required(OTHER_HEAD_DUTY, monday, CALENDAR) == 2  # January and February
    assert days_required(COMMUNE_HEAD_DUTY, date(2026, 1, 1), CALENDAR) == 0


# --- helpers --------------------------------------------------------------------------------


async def set_up_schedule(
    app: Application,
    clock: FakeClock,
    capacity: int = 2,
    clerk_handle: str = "pd.tiepdan",
    head_handle: str = "pd.chutich",
) -> int:
    """The reception officer sets the chairman's Tuesday mornings, through the service."""
    async with app.db.transaction() as session:
        store = SqlStore(session)
        clerk = await store.officer_by_handle(clerk_handle)
        chairman = await store.officer_by_handle(head_handle)
        assert clerk is not None and chairman is not None
        plan = SchedulePlan(chairman.id, TUESDAY, time(8), time(10), 30, capacity, PLACE)
        created = await create_schedule(store, app.env, clerk, plan, clock())
    return created.id


async def citizen(app: Application, http: aiohttp.ClientSession, number: int) -> SandboxPerson:
    person = SandboxPerson(app, http, f"citizen-{number}")
    await consent(person)
    return person


async def press_data(person: SandboxPerson, data: str) -> list[dict[str, Any]]:
    return await person.act({"kind": "callback", "data": data})


async def up_to_confirm(person: SandboxPerson, day: str, slot: str) -> list[dict[str, Any]]:
    """The citizen picks a day and a slot and writes the matter; the booking awaits Confirm."""
    lines = await press_data(person, ReceptionDays("list").pack())
    lines = await person.press(slot, await person.press(day, lines))
    review = await person.say(TOPIC)
    assert "kiểm tra lại lịch hẹn" in texts(review)
    return review


async def book(person: SandboxPerson, day: str, slot: str) -> str:
    return texts(await person.press("Xác nhận", await up_to_confirm(person, day, slot)))


async def bookings(app: Application) -> list[m.ReceptionBooking]:
    async with app.db.transaction() as session:
        return list(await session.scalars(select(m.ReceptionBooking).order_by("id")))


async def deliver(app: Application) -> None:
    await app.scheduler.run_due()
    await app.outbox.flush()


# --- setting up -----------------------------------------------------------------------------


async def test_a_clerk_sets_up_the_chairmans_tuesdays_which_skip_national_day(
    tmp_path: Path, http: aiohttp.ClientSession
) -> None:
    clock = FakeClock(datetime(2026, 8, 24, 3, 0, tzinfo=UTC))  # Monday 24/08, 10:00 in Hà Nội
    app = Application(make_settings(tmp_path, sandbox=True), clock=clock)
    await app.start()
    try:
        clerk = SandboxPerson(app, http, "officer-pd.tiepdan")
        lines = await clerk.press("Lịch tiếp dân", await clerk.say("/menu"))
        assert "Chưa có lịch nào" in texts(lines)
        lines = await clerk.press("Lập lịch tiếp mới", lines)
        assert "Lãnh đạo nào" in texts(lines)
        lines = await clerk.press("Thứ Ba", await clerk.press("Nguyễn Văn Hải", lines))
        assert "Khung giờ chưa đúng" in texts(await clerk.say("10:00-08:00"))
        lines = await clerk.press("30 phút", await clerk.say("08:00-10:00"))
        lines = await clerk.press("Trụ sở UBND xã Phú Đình", await clerk.press("2", lines))
        assert "Thứ Ba hằng tuần, 08:00–10:00: Nguyễn Văn Hải" in texts(lines)
        done = texts(await clerk.press("Xác nhận", lines))
        assert "Đã lập lịch tiếp công dân" in done

        person = await citizen(app, http, 1)
        days = await press_data(person, ReceptionDays("list").pack())
        assert labels(days)[:3] == [
            "Thứ Ba 25/08/2026 · từ 08:00 · Nguyễn Văn Hải",
            "Thứ Ba 08/09/2026 · từ 08:00 · Nguyễn Văn Hải",
            "Thứ Ba 15/09/2026 · từ 08:00 · Nguyễn Văn Hải",
        ], "Tuesday 01/09 is National Day: the office is closed"
        slots = await person.press("08/09/2026", days)
        assert labels(slots)[:4] == [
            "08:00 (còn 2)",
            "08:30 (còn 2)",
            "09:00 (còn 2)",
            "09:30 (còn 2)",
        ]
        assert "Trụ sở UBND xã Phú Đình" in texts(slots)
    finally:
        await app.stop()


async def test_only_heads_and_reception_staff_set_up_reception_days(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    surveyor = SandboxPerson(sandbox_app, http, "officer-pd.diachinh")  # a handler only
    assert ReceptionStaff("home").pack() not in str((await surveyor.say("/menu"))[-1]["buttons"])
    refused = texts(await press_data(surveyor, ReceptionStaff("new").pack()))
    assert "Chỉ cán bộ tiếp công dân và lãnh đạo" in refused
    async with sandbox_app.db.transaction() as session:
        store = SqlStore(session)
        other_clerk = await store.officer_by_handle("ts.tiepdan")  # Thần Sa's, not Phú Đình's
        chairman = await store.officer_by_handle("pd.chutich")
        assert other_clerk is not None and chairman is not None
        plan = SchedulePlan(chairman.id, TUESDAY, time(8), time(10), 30, 2, PLACE)
        with pytest.raises(NotAllowed):
            await create_schedule(store, sandbox_app.env, other_clerk, plan, clock())
    async with sandbox_app.db.transaction() as session:
        assert list(await session.scalars(select(m.ReceptionSchedule))) == []


# --- booking --------------------------------------------------------------------------------


async def test_a_citizen_sees_their_own_commune_first_and_may_look_further(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await set_up_schedule(sandbox_app, clock)
    await set_up_schedule(sandbox_app, clock, clerk_handle="ts.tiepdan", head_handle="ts.chutich")
    newcomer = await citizen(sandbox_app, http, 1)
    everywhere = labels(await press_data(newcomer, ReceptionDays("list").pack()))
    assert everywhere[:2] == ["UBND xã Phú Đình", "UBND xã Thần Sa"]

    filer = SandboxPerson(sandbox_app, http, "citizen-2")
    await file_complaint(filer)  # to Phú Đình
    places = await press_data(filer, ReceptionDays("list").pack())
    assert labels(places)[:3] == ["UBND xã Phú Đình", "🔎 Xã, tỉnh khác", "📋 Lịch hẹn của tôi"]
    assert "UBND xã Thần Sa" in labels(await filer.press("Xã, tỉnh khác", places))
    days = await filer.press("Phú Đình", await press_data(filer, ReceptionDays("list").pack()))
    assert "Thứ Ba 03/03/2026 · từ 08:00 · Nguyễn Văn Hải" in labels(days)
    assert "Dương Văn Kiên" not in str(labels(days))


async def test_the_last_seat_is_enforced_on_the_server_and_a_cancellation_frees_it(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await set_up_schedule(sandbox_app, clock, capacity=2)
    first, second, third = [await citizen(sandbox_app, http, n) for n in (1, 2, 3)]
    reviews = [await up_to_confirm(p, "03/03/2026", "08:00") for p in (first, second, third)]
    assert "Đã đăng ký" in texts(await first.press("Xác nhận", reviews[0]))
    assert "Đã đăng ký" in texts(await second.press("Xác nhận", reviews[1]))
    full = await third.press("Xác nhận", reviews[2])
    assert "giờ này vừa hết chỗ" in texts(full)
    still_open = labels(full)
    assert "08:30 (còn 2)" in still_open and not any("08:00" in b for b in still_open)
    assert [b.status for b in await bookings(sandbox_app)] == ["booked", "booked"]

    mine = await press_data(first, ReceptionDays("mine").pack())
    assert "08:00 ngày 03/03/2026" in texts(mine) and PLACE in texts(mine)
    cancelled = texts(await first.press("Hủy hẹn 08:00", mine))
    assert "Đã hủy lịch hẹn lúc 08:00 ngày 03/03/2026" in cancelled
    assert "đã đăng ký giờ này rồi" in await book(second, "03/03/2026", "08:00")
    assert "Đã đăng ký" in await book(third, "03/03/2026", "08:00")
    statuses = [b.status for b in await bookings(sandbox_app)]
    assert statuses == ["cancelled", "booked", "booked"]


async def test_a_citizen_cannot_cancel_another_citizens_booking(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await set_up_schedule(sandbox_app, clock)
    owner, other = await citizen(sandbox_app, http, 1), await citizen(sandbox_app, http, 2)
    await book(owner, "03/03/2026", "08:30")
    (booking,) = await bookings(sandbox_app)
    refused = texts(await press_data(other, CancelBooking(booking.id).pack()))
    assert "Không tìm thấy lịch hẹn này" in refused
    assert "không hiểu nút" in texts(await press_data(other, f"{CancelBooking.prefix}:abc"))
    assert "Không tìm thấy" in texts(await press_data(other, CancelBooking(999).pack()))
    assert [b.status for b in await bookings(sandbox_app)] == ["booked"]
    clerk_of_another_commune = SandboxPerson(sandbox_app, http, "officer-ts.tiepdan")
    assert "không có quyền" in texts(
        await press_data(clerk_of_another_commune, RecordVisit(booking.id).pack())
    )
    assert "không có quyền" in texts(
        await press_data(clerk_of_another_commune, ScheduleAction(1, "off").pack())
    )


# --- reminders ------------------------------------------------------------------------------


async def test_reminders_come_once_at_their_time_across_a_restart_and_not_after_a_cancel(
    tmp_path: Path, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, sandbox=True)
    first_run = Application(settings, clock=clock)
    await first_run.start()
    await set_up_schedule(first_run, clock)
    keeper, quitter = await citizen(first_run, http, 1), await citizen(first_run, http, 2)
    await book(keeper, "10/03/2026", "08:00")
    await book(quitter, "10/03/2026", "08:00")
    await quitter.press("Hủy hẹn 08:00", await press_data(quitter, ReceptionDays("mine").pack()))

    clock.now = MON_09_0759
    await deliver(first_run)
    assert await keeper.new_lines() == []
    clock.now = MON_09_0800  # the day before
    await deliver(first_run)
    await deliver(first_run)
    reminded = await keeper.new_lines()
    assert len(reminded) == 1
    assert all(part in texts(reminded) for part in ("08:00", "10/03/2026", PLACE, "Nhắc lịch"))
    assert "Nguyễn Văn Hải" in texts(reminded)
    assert "Nhắc lịch" not in texts(await quitter.new_lines())
    await first_run.stop()

    clock.now = TUE_10_0600
    second_run = Application(settings, clock=clock)
    await second_run.start()  # the scheduler's first tick runs at start
    try:
        await asyncio.sleep(0.2)
        await deliver(second_run)
        keeper_again = SandboxPerson(second_run, http, "citizen-1")  # a fresh transcript
        assert texts(await keeper_again.new_lines()).count("Nhắc lịch") == 1
        async with second_run.db.transaction() as session:
            jobs = list(
                await session.scalars(select(m.Job).where(m.Job.kind == "reception_day.remind"))
            )
        assert len(jobs) == 4 and all(job.done_at is not None for job in jobs)
    finally:
        await second_run.stop()


# --- staff: calling off a day, recording outcomes -----------------------------------------


async def test_calling_off_a_day_tells_every_booked_citizen_and_closes_it(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await set_up_schedule(sandbox_app, clock)
    people = [await citizen(sandbox_app, http, n) for n in (1, 2, 3)]
    await book(people[0], "10/03/2026", "08:00")
    await book(people[1], "10/03/2026", "09:30")
    await book(people[2], "03/03/2026", "08:00")
    for person in people:
        await person.new_lines()

    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    home = await clerk.press("Lịch tiếp dân", await clerk.say("/menu"))
    lines = await clerk.press("10/03/2026", await clerk.press("Lùi một buổi", home))
    assert "lý do" in texts(lines)
    done = texts(await clerk.say("Chủ tịch đi công tác đột xuất tại tỉnh."))
    assert "Đã báo 2 công dân" in done

    for person, slot in ((people[0], "08:00"), (people[1], "09:30")):
        told = texts(await person.new_lines())
        assert f"lúc {slot} ngày 10/03/2026" in told and "không diễn ra" in told
        assert "Chủ tịch đi công tác đột xuất" in told
    assert await people[2].new_lines() == [], "their day (03/03) still takes place"
    assert [b.status for b in await bookings(sandbox_app)] == ["cancelled", "cancelled", "booked"]
    assert not any(
        "10/03/2026" in day
        for day in labels(await press_data(people[0], ReceptionDays("list").pack()))
    )
    clock.now = MON_09_0800
    await deliver(sandbox_app)
    assert "Nhắc lịch" not in texts(await people[0].new_lines())


async def test_the_chairman_records_a_visit_in_person_and_a_no_show(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await set_up_schedule(sandbox_app, clock)
    visitor, absent = await citizen(sandbox_app, http, 1), await citizen(sandbox_app, http, 2)
    await book(visitor, "03/03/2026", "08:00")
    await book(absent, "03/03/2026", "08:30")
    chairman = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    early = await press_data(chairman, ReceptionStaff("today").pack())
    assert "Công dân đã hẹn (2)" in texts(early) and f"{RecordVisit.prefix}:" not in str(
        early[-1]["buttons"]
    )
    assert "được ghi từ ngày hẹn" in texts(early), "no button yet, and it says why"

    clock.now = TUE_03_0900
    listed = await press_data(chairman, ReceptionStaff("today").pack())
    assert "bấm vào từng người bên dưới" in texts(listed)
    lines = await chairman.press("08:00 03/03/2026", listed)
    assert "Kết quả lượt tiếp?" in texts(lines) and TOPIC in texts(lines)
    lines = await chairman.press("Đất đai", await chairman.press("Giải thích", lines))
    assert "Đã ghi nhận lượt tiếp" in texts(await chairman.press("Xác nhận", lines))
    lines = await chairman.press(
        "08:30", await press_data(chairman, ReceptionStaff("today").pack())
    )
    assert "không đến" in texts(await chairman.press("Công dân không đến", lines))

    async with sandbox_app.db.transaction() as session:
        (reception,) = list(await session.scalars(select(m.Reception)))
        chairman_id = await session.scalar(
            select(m.Officer.id).where(m.Officer.handle == "pd.chutich")
        )
    assert (reception.unit_code, reception.kind, reception.head_in_person) == (
        "PD",
        "scheduled",
        True,
    )
    assert (reception.recorded_by, reception.outcome, reception.content) == (
        chairman_id,
        "explained",
        TOPIC,
    )
    assert reception.received_at == datetime(2026, 3, 3, 1, 0, tzinfo=UTC), "dated at its slot"
    attended, no_show = await bookings(sandbox_app)
    assert (attended.status, attended.reception_id) == ("attended", reception.id)
    assert (no_show.status, no_show.reception_id) == ("no_show", None)
    again = texts(await press_data(chairman, RecordVisit(attended.id).pack()))
    assert "đã được ghi kết quả" in again


async def test_a_clerk_takes_a_booked_visit_as_a_petition_the_citizen_follows_in_chat(
    sandbox_app: Application, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    await set_up_schedule(sandbox_app, clock)
    visitor = await citizen(sandbox_app, http, 1)
    await book(visitor, "03/03/2026", "09:00")
    await visitor.new_lines()
    clock.now = TUE_03_0900
    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    lines = await clerk.press(
        "09:00 03/03/2026", await press_data(clerk, ReceptionStaff("today").pack())
    )
    lines = await clerk.press(
        "Kiến nghị", await clerk.press("Đất đai", await clerk.press("Tiếp nhận đơn", lines))
    )
    assert "họ và tên người đứng đơn" in texts(lines), "the citizen never gave a name in chat"
    review = await clerk.say("Vũ Thị Hạnh")
    assert "Kiến nghị · Vũ Thị Hạnh" in texts(review)
    done = texts(await clerk.press("Xác nhận", review))
    assert "tiếp nhận đơn PD-2026-000001 (Kiến nghị)" in done

    told = texts(await visitor.new_lines())
    assert "đã được tiếp nhận thành đơn PD-2026-000001" in told and "03/03/2026" in told
    async with sandbox_app.db.transaction() as session:
        petition = await session.scalar(select(m.Petition))
        reception = await session.scalar(select(m.Reception))
    assert petition is not None and reception is not None
    assert (petition.citizen_id, petition.filer_name, petition.channel) == (
        (await bookings(sandbox_app))[0].citizen_id,
        "Vũ Thị Hạnh",
        "reception",
    )
    assert (reception.petition_id, reception.head_in_person) == (petition.id, False)


# --- indicators -----------------------------------------------------------------------------


async def add_history(app: Application) -> None:
    """A year of the Phú Đình chairman: one dialogue held, receptions on two days in person."""
    async with app.db.transaction() as session:
        ids = {
            handle: officer_id
            for handle, officer_id in await session.execute(select(m.Officer.handle, m.Officer.id))
        }
        chairman = ids["pd.chutich"]

        def dialogue(state: str, held_at: datetime | None) -> m.Dialogue:
            at = held_at or datetime(2026, 4, 1, 1, 0, tzinfo=UTC)
            return m.Dialogue(
                unit_code="PD",
                leader_id=chairman,
                created_by=ids["pd.tiepdan"],
                topic="Đối thoại về bồi thường đường tránh",
                starts_at=at,
                audience=["PD"],
                capacity=50,
                registration_closes_at=at,
                state=state,
                created_at=at,
                held_at=held_at,
            )

        def reception(at: datetime, kind: str, in_person: bool, by: str) -> m.Reception:
            return m.Reception(
                unit_code="PD",
                recorded_by=ids[by],
                received_at=at,
                kind=kind,
                head_in_person=in_person,
                content="Công dân hỏi về đất đai.",
                outcome="explained",
            )

        session.add_all(
            [
                dialogue("held", datetime(2026, 2, 10, 2, 0, tzinfo=UTC)),
                dialogue("held", datetime(2025, 12, 20, 2, 0, tzinfo=UTC)),  # last year
                dialogue("announced", None),
                # Tuesday 13/01: two visits, one day; 23:30 UTC on 19/01 is 06:30 on Tue 20/01.
                reception(datetime(2026, 1, 13, 1, 0, tzinfo=UTC), "scheduled", True, "pd.chutich"),
                reception(datetime(2026, 1, 13, 3, 0, tzinfo=UTC), "scheduled", True, "pd.chutich"),
                reception(
                    datetime(2026, 1, 19, 23, 30, tzinfo=UTC), "scheduled", True, "pd.chutich"
                ),
                # Not reception days held by the chairman in person:
                reception(datetime(2026, 1, 27, 1, 0, tzinfo=UTC), "regular", True, "pd.chutich"),
                reception(datetime(2026, 2, 3, 1, 0, tzinfo=UTC), "scheduled", False, "pd.tiepdan"),
                reception(datetime(2025, 12, 2, 1, 0, tzinfo=UTC), "scheduled", True, "pd.chutich"),
            ]
        )


async def test_indicators_count_dialogues_and_reception_days_against_the_law(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    await add_history(sandbox_app)
    chairman = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    shown = texts(await press_data(chairman, Indicators().pack()))
    assert "Chỉ tiêu năm 2026 (tính đến 02/03/2026)" in shown
    mine = shown.split("Nguyễn Văn Hải")[1].split("\n\n")[0]
    assert "✅ Đối thoại với nhân dân: 1/1" in mine
    assert "⚠️ Ngày trực tiếp tiếp công dân: 2/8 (tối thiểu 1 ngày/tuần)" in mine
    office_head = shown.split("Đỗ Văn Minh")[1].split("\n\n")[0]  # head of the Economy office
    assert "⚠️ Đối thoại với nhân dân: 0/1" in office_head
    assert "0/2 (tối thiểu 1 ngày/tháng)" in office_head
    assert "Trịnh Việt Hùng" not in shown and "Dương Văn Kiên" not in shown, "above and beside"
    # The weekly duty is the chairman's (LTCD Art. 15): his deputy's days are counted, not judged.
    deputy = shown.split("Hoàng Thị Lan")[1].split("\n\n")[0]
    assert "Ngày trực tiếp tiếp công dân: 0 (khi được giao" in deputy
    assert "tối thiểu" not in deputy and "⚠️ Ngày" not in deputy
    assert "Điều 15" in shown

    inspector = SandboxPerson(sandbox_app, http, "officer-tt.thanhtravien")
    province = texts(await press_data(inspector, Indicators().pack()))
    assert all(name in province for name in ("Trịnh Việt Hùng", "Dương Văn Kiên", "Nguyễn Văn Hải"))
    assert "2/8" in province.split("Nguyễn Văn Hải")[1].split("\n\n")[0]

    clerk = SandboxPerson(sandbox_app, http, "officer-pd.tiepdan")
    assert "Chỉ lãnh đạo và thanh tra" in texts(await press_data(clerk, Indicators().pack()))
    a_citizen = await citizen(sandbox_app, http, 1)
    assert "Chức năng này dành cho cán bộ" in texts(
        await press_data(a_citizen, Indicators().pack())
    )


def test_the_org_file_may_name_who_carries_the_reception_duty() -> None:
    """By default the head whose title is not a deputy's; the file can name someone else."""
    org = load_organisation(None)
    assert carries_duty(org, "pd.chutich") and not carries_duty(org, "pd.phochutich")
    named = dataclasses.replace(
        org,
        officers=tuple(
            dataclasses.replace(o, reception_duty=True) if o.handle == "pd.phochutich" else o
            for o in org.officers
        ),
    )
    assert carries_duty(named, "pd.phochutich") and not carries_duty(named, "pd.chutich")
