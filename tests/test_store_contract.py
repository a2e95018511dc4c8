"""One contract per port of `bot.ports.Store`, run on the in-memory fake and on the database.

The same test functions run against `tests.fakes.FakeStore` and `storage.repository.SqlStore` on
the suite's database (a SQLite file, or PostgreSQL with `TEST_DATABASE=postgresql`), so a handler
test over the fake tells the truth about the real store. Each test checks what a caller relies
on: what is stored is found again, in the order promised, and None or False when it is not there.
"""

from __future__ import annotations

import shutil
from collections.abc import AsyncIterator
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any, Protocol

import pytest
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.app import DEMO_ORG_FILE, load_organisation
from bot.core import FileRef, Recipient, Reply
from bot.domain.consultations import Question, QuestionKind
from bot.domain.org import Organisation
from bot.domain.petition import Case, PetitionKind, PetitionState
from bot.domain.reception import ReceptionKind
from bot.domain.reception_days import BookingStatus
from bot.domain.workflow import Action
from bot.ports import (
    InviteRefused,
    NewConsultation,
    NewDialogue,
    NewPetition,
    NewReception,
    NewReceptionSchedule,
    NewSurvey,
    OfficerView,
    RatingView,
    Store,
)
from bot.reporting.metrics import Resolutions, Satisfaction, Survey, Visits
from bot.reporting.periods import Period
from storage import models as m
from storage.db import Database, migrate
from storage.repository import SqlStore, sync_organisation
from tests.conftest import START, TEST_DATABASE, database_url
from tests.fakes import FakeStore

DAY = timedelta(days=1)
TELEGRAM_CHAT = Recipient("telegram", "5001")
ZALO_CHAT = Recipient("zalo", "z-5002")


class Backend(Protocol):
    """A store under test, and what a test sets up or reads around it (outside the port)."""

    store: Store

    async def add_invite(self, handle: str, code_hash: str, expires_at: datetime) -> None: ...

    async def set_locale(self, chat: Recipient, locale: str) -> None: ...

    async def queued(self) -> list[tuple[Recipient, str]]: ...

    async def audited(self) -> list[tuple[str, str, str]]: ...


class FakeBackend:
    """The in-memory fake."""

    def __init__(self, org: Organisation) -> None:
        self.fake = FakeStore(org)
        self.store: Store = self.fake

    async def add_invite(self, handle: str, code_hash: str, expires_at: datetime) -> None:
        self.fake.add_invite(handle, code_hash, expires_at)

    async def set_locale(self, chat: Recipient, locale: str) -> None:
        self.fake.set_locale(chat, locale)

    async def queued(self) -> list[tuple[Recipient, str]]:
        return [(chat, reply.text) for chat, reply in self.fake.tables.outbox]

    async def audited(self) -> list[tuple[str, str, str]]:
        return [(row.actor, row.action, row.subject) for row in self.fake.tables.audit_log]


class SqlBackend:
    """The database, in one open transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self.store: Store = SqlStore(session)

    async def add_invite(self, handle: str, code_hash: str, expires_at: datetime) -> None:
        officer = await self.store.officer_by_handle(handle)
        assert officer is not None
        self.session.add(
            m.Invite(
                officer_id=officer.id,
                code_hash=code_hash,
                created_at=expires_at - DAY,
                expires_at=expires_at,
            )
        )

    async def set_locale(self, chat: Recipient, locale: str) -> None:
        self.session.add(
            m.Conversation(
                channel=chat.channel, chat_id=chat.chat_id, locale=locale, updated_at=START
            )
        )
        await self.session.flush()

    async def queued(self) -> list[tuple[Recipient, str]]:
        rows = await self.session.execute(
            select(
                m.OutboxMessage.channel, m.OutboxMessage.chat_id, m.OutboxMessage.payload
            ).order_by(m.OutboxMessage.id)
        )
        return [
            (Recipient(channel, chat_id), Reply.from_json(payload).text)
            for channel, chat_id, payload in rows
        ]

    async def audited(self) -> list[tuple[str, str, str]]:
        rows = await self.session.execute(
            select(m.AuditEntry.actor, m.AuditEntry.action, m.AuditEntry.subject).order_by(
                m.AuditEntry.id
            )
        )
        return [(actor, action, subject) for actor, action, subject in rows]


@pytest.fixture(scope="module")
def org() -> Organisation:
    return load_organisation(DEMO_ORG_FILE)


@pytest.fixture(scope="module")
def sqlite_template(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A migrated SQLite file, copied for each test (migrating takes a second; a copy does not)."""
    path = tmp_path_factory.mktemp("contract") / "template.sqlite3"
    # Alembic runs its own event loop: in a thread, since a test's loop may be running.
    with ThreadPoolExecutor(1) as pool:
        pool.submit(migrate, f"sqlite+aiosqlite:///{path}").result()
    return path


def fresh_database(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    """A migrated database of the suite's kind for one test."""
    if TEST_DATABASE == "postgresql":
        return database_url(tmp_path)
    copy = tmp_path / "store.sqlite3"
    shutil.copyfile(request.getfixturevalue("sqlite_template"), copy)
    return f"sqlite+aiosqlite:///{copy}"


@pytest.fixture(params=["fake", TEST_DATABASE])
async def backend(
    request: pytest.FixtureRequest, org: Organisation, tmp_path: Path
) -> AsyncIterator[Backend]:
    if request.param == "fake":
        yield FakeBackend(org)
        return
    db = Database(fresh_database(request, tmp_path))
    try:
        async with db.transaction() as session:
            await sync_organisation(session, org)
            yield SqlBackend(session)
    finally:
        await db.close()


async def officer(store: Store, handle: str) -> OfficerView:
    found = await store.officer_by_handle(handle)
    assert found is not None
    return found


async def citizen_id(store: Store, chat: Recipient = TELEGRAM_CHAT, name: str | None = None) -> int:
    """A citizen of this chat (named, if a name is given)."""
    citizen = await store.ensure_citizen(chat.channel, chat.chat_id, "u" + chat.chat_id, START)
    if name is not None:
        await store.remember_identity(citizen.id, name, None, None)
    return citizen.id


def new_petition(code: str, **values: Any) -> NewPetition:
    """A complaint to Phú Đình, received at START, unless told otherwise."""
    fields: dict[str, Any] = {
        "code": code,
        "kind": PetitionKind.COMPLAINT,
        "field": "dat_dai",
        "unit": "PD",
        "area": "PD-NM",
        "assignee_handle": None,
        "citizen_id": None,
        "content": "Đường vào xóm bị sạt lở.",
        "place_note": None,
        "latitude": None,
        "longitude": None,
        "anonymous": False,
        "filer_name": "Nguyễn Văn A",
        "filer_phone": None,
        "filer_address": None,
        "channel": "telegram",
        "received_at": START,
    }
    return NewPetition(**(fields | values))


def new_dialogue(leader: OfficerView, starts_at: datetime, unit: str = "PD") -> NewDialogue:
    return NewDialogue(
        unit=unit,
        leader_id=leader.id,
        created_by=leader.id,
        topic="Đường liên xóm",
        starts_at=starts_at,
        place="Hội trường xã",
        link=None,
        audience=(unit,),
        capacity=2,
        registration_closes_at=starts_at - DAY,
        subscribers_may_ask=True,
        created_at=START,
    )


def new_reception(recorder: OfficerView, at: datetime, **values: Any) -> NewReception:
    fields: dict[str, Any] = {
        "unit": "PD",
        "recorded_by": recorder.id,
        "received_at": at,
        "kind": ReceptionKind.REGULAR,
        "head_in_person": False,
        "group_size": 1,
        "visitor_name": None,
        "visitor_phone": None,
        "field": "dat_dai",
        "content": "Hỏi về thủ tục cấp sổ đỏ.",
        "outcome": "guided",
        "petition_id": None,
    }
    return NewReception(**(fields | values))


def weekly(head: OfficerView, weekday: int, unit: str = "PD") -> NewReceptionSchedule:
    """Mornings of one weekday, two people a half-hour slot."""
    return NewReceptionSchedule(unit, head.id, weekday, "08:00", "11:00", 30, 2, "Phòng", START)


class TestCitizenStore:
    async def test_a_citizen_is_made_once_per_chat_and_keeps_their_details(
        self, backend: Backend
    ) -> None:
        store = backend.store
        assert await store.citizen("telegram", "5001") is None
        made = await store.ensure_citizen("telegram", "5001", "u1", START)
        assert (await store.ensure_citizen("telegram", "5001", "u1", START)).id == made.id
        assert made.consent_at is None and made.name is None
        other = await store.ensure_citizen("zalo", "5001", "u1", START)
        assert other.id != made.id, "the same chat id on another channel is another person"
        await store.record_consent(made.id, START)
        await store.remember_identity(made.id, "Lò Văn B", "0912345678", "Xóm Na Mao")
        found = await store.citizen("telegram", "5001")
        assert found is not None
        assert (found.id, found.consent_at) == (made.id, START)
        assert (found.name, found.phone, found.address) == ("Lò Văn B", "0912345678", "Xóm Na Mao")

    async def test_a_citizen_is_reached_in_their_chat_and_language(self, backend: Backend) -> None:
        store = backend.store
        made = await citizen_id(store, ZALO_CHAT)
        assert await store.citizen_chat(made) == ZALO_CHAT
        assert await store.citizen_chat(made + 1000) is None
        assert await store.locale_of(ZALO_CHAT) is None
        await backend.set_locale(ZALO_CHAT, "en")
        assert await store.locale_of(ZALO_CHAT) == "en"
        assert await store.locale_of(TELEGRAM_CHAT) is None


class TestOfficerStore:
    async def test_an_invite_binds_a_chat_once(self, backend: Backend) -> None:
        store = backend.store
        await backend.add_invite("pd.kinhte", "hash-1", START + DAY)
        assert await store.officer_by_chat("telegram", "7001") is None
        bound = await store.redeem_invite("hash-1", "telegram", "7001", START)
        assert bound.handle == "pd.kinhte" and bound.unit == "PD-KT"
        assert bound.roles == frozenset({"reception", "handler"})
        assert await store.officer_by_chat("telegram", "7001") == bound
        assert await store.officer_chats(bound.id) == [Recipient("telegram", "7001")]
        assert await store.reachable_officers("PD-KT") == {"pd.kinhte"}
        with pytest.raises(InviteRefused) as used:
            await store.redeem_invite("hash-1", "telegram", "7002", START)
        assert used.value.reason == "invite.used"

    async def test_unknown_and_expired_invites_are_refused(self, backend: Backend) -> None:
        await backend.add_invite("pd.kinhte", "hash-old", START)
        for code_hash, reason in (("hash-old", "invite.expired"), ("nope", "invite.unknown")):
            with pytest.raises(InviteRefused) as refused:
                await backend.store.redeem_invite(code_hash, "telegram", "7001", START)
            assert refused.value.reason == reason
        assert await backend.store.officer_by_chat("telegram", "7001") is None

    async def test_officers_of_a_unit_by_handle_and_its_heads(self, backend: Backend) -> None:
        store = backend.store
        staff = await store.officers_of("PD-KT")
        assert [o.handle for o in staff] == ["pd.diachinh", "pd.kinhte", "pd.truongkt"]
        assert [o.handle for o in await store.heads_of("PD-KT")] == ["pd.truongkt"]
        assert await store.officers_of("nowhere") == []
        head = staff[2]
        assert await store.officer_by_id(head.id) == head
        assert await store.officer_by_handle("pd.truongkt") == head
        assert await store.officer_by_handle("nobody") is None
        assert await store.officer_by_id(head.id + 1000) is None

    async def test_open_load_counts_open_petitions_per_officer(self, backend: Backend) -> None:
        store = backend.store
        for number, handle in enumerate(("pd.kinhte", "pd.kinhte", "pd.diachinh")):
            await store.add_petition(new_petition(f"PD-2026-{number}", assignee_handle=handle))
        closed = await store.add_petition(new_petition("PD-2026-9", assignee_handle="pd.diachinh"))
        await store.set_state(closed, PetitionState.CLOSED, START)
        assert await store.open_load("PD-KT") == {"pd.kinhte": 2, "pd.diachinh": 1}
        assert await store.open_load("PD-VP") == {}


class TestPetitionStore:
    async def test_numbers_count_per_prefix_and_year(self, backend: Backend) -> None:
        store = backend.store
        numbers = [await store.next_petition_number("PD", 2026) for _ in range(3)]
        assert numbers == [1, 2, 3]
        assert await store.next_petition_number("TS", 2026) == 1
        assert await store.next_petition_number("PD", 2027) == 1

    async def test_a_stored_petition_is_found_by_code_and_listed_for_its_people(
        self, backend: Backend
    ) -> None:
        store = backend.store
        filer = await citizen_id(store)
        kinhte = await officer(store, "pd.kinhte")
        photo = FileRef("f1", "photo", 1200, "image/jpeg", "a.jpg")
        petition_id = await store.add_petition(
            new_petition(
                "PD-2026-000001",
                citizen_id=filer,
                assignee_handle="pd.kinhte",
                attachments=(photo,),
                deadlines=(("kn1.accept", START.date(), date(2026, 3, 12)),),
                group_size=3,
            )
        )
        assert await store.petition_id_by_code("PD-2026-000001") == petition_id
        assert await store.petition_id_by_code("PD-2026-404") is None
        detail = await store.petition(petition_id)
        assert detail is not None
        assert (detail.summary.code, detail.summary.state) == ("PD-2026-000001", "received")
        assert (detail.unit, detail.area, detail.citizen_id) == ("PD", "PD-NM", filer)
        assert (detail.assignee_id, detail.attachments) == (kinhte.id, 1)
        assert detail.case == Case(group_size=3)
        assert [d.rule_id for d in detail.summary.deadlines] == ["kn1.accept"]
        assert [p.id for p in await store.petitions_of_citizen(filer, 10)] == [petition_id]
        assert [p.id for p in await store.petitions_assigned(kinhte.id, 10)] == [petition_id]
        assert await store.petition(petition_id + 1000) is None

    async def test_a_citizens_petitions_newest_first(self, backend: Backend) -> None:
        store = backend.store
        filer = await citizen_id(store)
        ids = [
            await store.add_petition(
                new_petition(f"PD-2026-{n}", citizen_id=filer, received_at=START + n * DAY)
            )
            for n in range(3)
        ]
        listed = await store.petitions_of_citizen(filer, limit=2)
        assert [p.id for p in listed] == [ids[2], ids[1]]

    async def test_open_petitions_soonest_deadline_first_and_overdue_ones(
        self, backend: Backend
    ) -> None:
        store = backend.store
        kinhte = await officer(store, "pd.kinhte")

        async def assigned(code: str, due: date | None) -> int:
            dates = (("kn1.accept", START.date(), due),) if due else ()
            return await store.add_petition(
                new_petition(code, assignee_handle="pd.kinhte", deadlines=dates)
            )

        late = await assigned("A", date(2026, 3, 20))
        soon = await assigned("B", date(2026, 3, 5))
        undated = await assigned("C", None)
        closed = await assigned("D", date(2026, 3, 3))
        await store.set_state(closed, PetitionState.CLOSED, START)
        mine = await store.petitions_assigned(kinhte.id, 10)
        assert [p.id for p in mine] == [soon, late, undated]
        units = await store.petitions_of_units(["PD", "TS"], 10)
        assert [p.id for p in units] == [soon, late, undated]
        overdue = await store.petitions_of_units(["PD"], 10, due_before=date(2026, 3, 10))
        assert [p.id for p in overdue] == [soon]
        assert await store.petitions_of_units(["TS"], 10) == []

    async def test_files_are_kept_in_order_with_their_platform(self, backend: Backend) -> None:
        store = backend.store
        first = FileRef("photo-1", "photo", 10, "image/jpeg", "1.jpg")
        petition_id = await store.add_petition(new_petition("F", attachments=(first,)))
        await store.add_attachments(
            petition_id, "zalo", (FileRef("https://zalo/2.jpg", "photo"), FileRef("v", "voice"))
        )
        files = await store.petition_files(petition_id)
        assert [(f.file_id, f.channel) for f in files] == [
            ("photo-1", "telegram"),
            ("https://zalo/2.jpg", "zalo"),
            ("v", "zalo"),
        ]
        assert files[0] == FileRef("photo-1", "photo", 10, "image/jpeg", "1.jpg", "telegram")
        detail = await store.petition(petition_id)
        assert detail is not None and detail.attachments == 3

    async def test_a_petition_moves_on_and_is_reclassified(self, backend: Backend) -> None:
        store = backend.store
        truongkt = await officer(store, "pd.truongkt")
        tiepdan = await officer(store, "pd.tiepdan")
        petition_id = await store.add_petition(new_petition("R", assignee_handle="pd.kinhte"))
        await store.set_state(petition_id, PetitionState.ACCEPTED, START)
        await store.reassign(petition_id, "PD-VP", "pd.tiepdan")
        case = Case(instance=2, remote_area=True, group_size=6, representatives=2)
        await store.classify(petition_id, PetitionKind.DENUNCIATION, "moi_truong", case)
        await store.record_outcome(petition_id, "correct")
        assert await store.grant_identity(petition_id, tiepdan.id, truongkt.id, START)
        assert not await store.grant_identity(petition_id, tiepdan.id, truongkt.id, START)
        detail = await store.petition(petition_id)
        assert detail is not None
        assert (detail.summary.state, detail.unit, detail.assignee_id) == (
            "accepted",
            "PD-VP",
            tiepdan.id,
        )
        assert (detail.summary.kind, detail.summary.field) == ("to_cao", "moi_truong")
        assert detail.case == case
        assert detail.identity_viewers == frozenset({tiepdan.id})
        assert [p.id for p in await store.petitions_assigned(tiepdan.id, 10)] == [petition_id]
        await store.reassign(petition_id, "PD", None)
        detail = await store.petition(petition_id)
        assert detail is not None and detail.assignee_id is None


class TestDeadlineStore:
    async def test_open_deadlines_move_extend_and_settle(self, backend: Backend) -> None:
        store = backend.store
        start = START.date()
        petition_id = await store.add_petition(
            new_petition("D", deadlines=(("kn1.accept", start, date(2026, 3, 12)),))
        )
        await store.add_deadlines(petition_id, [("kn1.resolve", start, date(2026, 4, 30))])
        await store.move_deadline(petition_id, "kn1.accept", date(2026, 3, 13))
        await store.settle_deadlines(petition_id, {"kn1.accept"}, "met")
        await store.move_deadline(petition_id, "kn1.accept", date(2026, 5, 1))  # settled: stays
        await store.extend_deadline(
            petition_id, "kn1.resolve", date(2026, 5, 30), 1, "especially_complex"
        )
        detail = await store.petition(petition_id)
        assert detail is not None
        assert [
            (d.rule_id, d.due_date, d.status, d.extensions) for d in detail.summary.deadlines
        ] == [
            ("kn1.accept", date(2026, 3, 13), "met", 0),
            ("kn1.resolve", date(2026, 5, 30), "open", 1),
        ]
        assert detail.case.complexity == "especially_complex"
        assert detail.summary.deadlines[1].start_date == start


class TestHistoryStore:
    async def test_history_oldest_first_and_the_last_of_some_actions(
        self, backend: Backend
    ) -> None:
        store = backend.store
        petition_id = await store.add_petition(new_petition("H", event_payload={"unit": "PD"}))
        assert await store.last_event(petition_id, {"ask_citizen"}) is None
        asked = await store.add_event(
            petition_id, "telegram:9", "ask_citizen", "Thiếu ảnh", {"n": 1}, START + DAY
        )
        again = await store.add_event(
            petition_id, "telegram:9", "ask_citizen", None, {"n": 2}, START + 2 * DAY
        )
        assert again > asked
        last = await store.last_event(petition_id, {"ask_citizen", "accept"})
        assert last is not None
        assert (last.id, last.actor, last.payload) == (again, "telegram:9", {"n": 2})
        received = await store.last_event(petition_id, {"received"})
        assert received is not None and received.payload == {"unit": "PD"}
        history = await store.petition_events(petition_id)
        assert [(e.action, e.reason) for e in history] == [
            ("received", None),
            ("ask_citizen", "Thiếu ảnh"),
            ("ask_citizen", None),
        ]


class TestRatingStore:
    async def test_a_petition_is_rated_once_and_explained_once(self, backend: Backend) -> None:
        store = backend.store
        petition_id = await store.add_petition(new_petition("S"))
        assert not await store.explain_rating(petition_id, "slow", None), "nothing rated yet"
        assert await store.record_rating(petition_id, 4, START)
        assert not await store.record_rating(petition_id, 1, START)
        assert await store.explain_rating(petition_id, "fast", "Cảm ơn")
        assert not await store.explain_rating(petition_id, "slow", None)
        assert await store.rating(petition_id) == RatingView(4, "fast", "Cảm ơn")

    async def test_no_rating_reads_as_none(self, backend: Backend) -> None:
        store = backend.store
        assert await store.rating(await store.add_petition(new_petition("S"))) is None


class TestJobStore:
    async def test_a_scheduled_job_is_pending(self, backend: Backend) -> None:
        store = backend.store
        assert not await store.has_pending_job("deadline.remind")
        await store.schedule("deadline.remind", START + DAY, {"rule_id": "kn1.accept"}, None)
        assert await store.has_pending_job("deadline.remind")
        assert await store.has_pending_job("deadline.remind", {"rule_id": "kn1.accept"})
        assert not await store.has_pending_job("deadline.remind", {"rule_id": "kn1.resolve"})
        assert not await store.has_pending_job("report.due")


class TestAuditStore:
    async def test_accesses_are_logged_in_order(self, backend: Backend) -> None:
        await backend.store.audit("telegram:9", "petition.view", "PD-1", {"why": "x"}, START)
        await backend.store.audit("telegram:9", "export", "PD", {}, START)
        assert await backend.audited() == [
            ("telegram:9", "petition.view", "PD-1"),
            ("telegram:9", "export", "PD"),
        ]


class TestReceptionStore:
    async def test_each_visit_gets_its_own_record(self, backend: Backend) -> None:
        tiepdan = await officer(backend.store, "pd.tiepdan")
        first = await backend.store.add_reception(new_reception(tiepdan, START))
        second = await backend.store.add_reception(new_reception(tiepdan, START))
        assert second > first


class TestDialogueStore:
    async def test_a_follow_added_appears_once_and_can_be_dropped(self, backend: Backend) -> None:
        store = backend.store
        follower = await citizen_id(store)
        assert await store.subscribe(follower, "PD", START)
        assert await store.subscribe(follower, "PD-NM", START)
        assert not await store.subscribe(follower, "PD", START)
        assert await store.subscriptions(follower) == ["PD", "PD-NM"]
        assert await store.unsubscribe(follower, "PD")
        assert not await store.unsubscribe(follower, "PD")
        assert await store.subscriptions(follower) == ["PD-NM"]

    async def test_sessions_ahead_soonest_first_and_recent_ones_newest_first(
        self, backend: Backend
    ) -> None:
        store = backend.store
        head = await officer(store, "pd.chutich")
        later = await store.add_dialogue(new_dialogue(head, START + 9 * DAY))
        sooner = await store.add_dialogue(new_dialogue(head, START + 3 * DAY))
        past = await store.add_dialogue(new_dialogue(head, START - DAY))
        elsewhere = await store.add_dialogue(new_dialogue(head, START + 2 * DAY, unit="TS"))
        ahead = await store.upcoming_dialogues(START, ["PD"], 10)
        assert [d.id for d in ahead] == [sooner, later]
        everywhere = await store.upcoming_dialogues(START, None, 10)
        assert [d.id for d in everywhere] == [elsewhere, sooner, later]
        await store.set_dialogue_state(sooner, "cancelled", START)
        assert [d.id for d in await store.upcoming_dialogues(START, ["PD"], 10)] == [later]
        recent = await store.recent_dialogues(["PD"], 10)
        assert [d.id for d in recent] == [later, sooner, past]
        assert await store.dialogue(later + 1000) is None

    async def test_a_session_is_moved_held_and_minuted(self, backend: Backend) -> None:
        store = backend.store
        head = await officer(store, "pd.chutich")
        session = await store.add_dialogue(new_dialogue(head, START + 3 * DAY))
        moved = START + 5 * DAY
        await store.reschedule_dialogue(session, moved, None, "https://meet", moved - DAY)
        await store.set_dialogue_state(session, "held", moved)
        await store.record_session(session, 41, "Biên bản")
        view = await store.dialogue(session)
        assert view is not None
        assert (view.starts_at, view.place, view.link) == (moved, None, "https://meet")
        assert (view.registration_closes_at, view.state) == (moved - DAY, "held")
        assert (view.attendance, view.minutes, view.topic) == (41, "Biên bản", "Đường liên xóm")
        assert (view.audience, view.capacity, view.leader_id) == (("PD",), 2, head.id)

    async def test_seats_and_the_waitlist_keep_their_order(self, backend: Backend) -> None:
        store = backend.store
        head = await officer(store, "pd.chutich")
        session = await store.add_dialogue(new_dialogue(head, START + 3 * DAY))
        a, b, c = [await citizen_id(store, Recipient("telegram", str(n))) for n in (1, 2, 3)]
        assert await store.seat_of(session, a) is None
        await store.save_seat(session, a, "registered", START)
        await store.save_seat(session, b, "waitlisted", START + timedelta(minutes=1))
        await store.save_seat(session, c, "waitlisted", START + timedelta(minutes=2))
        assert await store.first_waitlisted(session) == b
        await store.save_seat(session, b, "cancelled", START + timedelta(minutes=3))
        await store.save_seat(session, b, "waitlisted", START + timedelta(minutes=4))
        assert await store.seat_holders(session, {"waitlisted"}) == [c, b], "back of the line"
        assert await store.seat_holders(session, {"registered", "waitlisted"}) == [a, c, b]
        assert await store.seat_of(session, b) == "waitlisted"
        view = await store.dialogue(session)
        assert view is not None and (view.registered, view.waitlisted) == (1, 2)
        seats = await store.seats_of_citizen(b, START)
        assert [(view.id, status) for view, status in seats] == [(session, "waitlisted")]
        assert await store.seats_of_citizen(b, START + 4 * DAY) == [], "past sessions are not"

    async def test_questions_are_moderated_field_by_field(self, backend: Backend) -> None:
        store = backend.store
        head = await officer(store, "pd.chutich")
        session = await store.add_dialogue(new_dialogue(head, START + 3 * DAY))
        asker = await citizen_id(store)
        first = await store.add_question(session, asker, "Bao giờ làm đường?", START)
        second = await store.add_question(session, asker, "Đường làm khi nào?", START)
        await store.update_question(first, "accepted", unit="PD-KT")
        await store.update_question(second, "merged", merged_into=first, reason="trùng")
        await store.update_question(first, "answered")
        answered = await store.question(first)
        assert answered is not None
        assert (answered.status, answered.unit, answered.text) == (
            "answered",
            "PD-KT",
            "Bao giờ làm đường?",
        )
        merged = await store.questions(session, {"merged", "pending"})
        assert [(q.id, q.merged_into, q.reason) for q in merged] == [(second, first, "trùng")]
        assert [q.id for q in await store.questions(session, {"answered", "merged"})] == [
            first,
            second,
        ]
        assert await store.question(second + 1000) is None

    async def test_news_reaches_each_follower_once_in_their_language(
        self, backend: Backend
    ) -> None:
        store = backend.store
        head = await officer(store, "pd.chutich")
        session = await store.add_dialogue(new_dialogue(head, START + 3 * DAY))
        both = await citizen_id(store, Recipient("telegram", "1"))
        english = await citizen_id(store, Recipient("zalo", "2"))
        registered = await citizen_id(store, Recipient("telegram", "3"))
        await citizen_id(store, Recipient("telegram", "4"))  # follows nothing
        await store.subscribe(both, "PD", START)
        await store.subscribe(both, "PD-NM", START)
        await store.subscribe(english, "PD-NM", START)
        await store.save_seat(session, registered, "registered", START)
        await backend.set_locale(Recipient("zalo", "2"), "en")
        replies = {"vi": Reply("Tin mới"), "en": Reply("News")}
        queued = await store.fan_out({"PD", "PD-NM"}, session, replies, "vi", START)
        assert queued == 3
        assert await backend.queued() == [
            (Recipient("telegram", "1"), "Tin mới"),
            (Recipient("telegram", "3"), "Tin mới"),
            (Recipient("zalo", "2"), "News"),
        ]
        assert await store.fan_out({"TS"}, None, replies, "vi", START) == 0


def new_consultation(org_unit: str = "PD", **values: Any) -> NewConsultation:
    """A named consultation of Phú Đình for Na Mao: a choice, a scale and words."""
    fields: dict[str, Any] = {
        "unit": org_unit,
        "created_by": 1,
        "title": "Quy ước xóm Na Mao",
        "summary": "Dự thảo quy ước mới.",
        "document": FileRef(
            "doc-1", "document", 1000, "application/pdf", "du-thao.pdf", "telegram"
        ),
        "audience": ("PD-NM",),
        "questions": (
            Question("Đồng ý không?", QuestionKind.ONE, ("Có", "Không")),
            Question("Mức độ hài lòng?", QuestionKind.SCALE),
            Question("Ý kiến khác?", QuestionKind.TEXT, (), 200),
        ),
        "anonymous": False,
        "opens_at": START,
        "closes_at": START + 7 * DAY,
        "created_at": START,
    }
    fields.update(values)
    return NewConsultation(**fields)


class TestConsultationStore:
    async def test_a_consultation_is_found_again_and_listed_while_open(
        self, backend: Backend
    ) -> None:
        store = backend.store
        first = await store.add_consultation(new_consultation())
        later = await store.add_consultation(
            new_consultation(opens_at=START + 2 * DAY, closes_at=START + 9 * DAY)
        )
        found = await store.consultation(first)
        assert found is not None
        assert found.questions == new_consultation().questions
        assert found.document == new_consultation().document
        assert (found.state, found.started, found.finished, found.result) == (
            "published",
            0,
            0,
            None,
        )
        assert [c.id for c in await store.open_consultations(START, 10)] == [first]
        assert [c.id for c in await store.open_consultations(START + 3 * DAY, 10)] == [
            first,
            later,
        ]
        assert [c.id for c in await store.consultations_of(["PD"], 10)] == [later, first]
        assert await store.consultations_of(["TS"], 10) == []
        assert await store.consultation(later + 1000) is None

    async def test_named_answers_replace_the_earlier_set_and_count_once(
        self, backend: Backend
    ) -> None:
        store = backend.store
        consultation = await store.add_consultation(new_consultation())
        one = await citizen_id(store, Recipient("telegram", "1"))
        two = await citizen_id(store, Recipient("telegram", "2"))
        await store.join_consultation(consultation, one, "PD-NM", START)
        await store.join_consultation(consultation, two, None, START)
        assert await store.participation(consultation, one) == "started"
        assert await store.unfinished_participants(consultation) == [one, two]
        answers = {0: ["0"], 1: ["4"], 2: ["Cần đèn đường"]}
        assert await store.submit_answers(consultation, one, "PD-NM", answers, True, START)
        changed = {0: ["1"], 1: ["5"]}
        assert await store.submit_answers(consultation, one, "PD-NM", changed, True, START)
        assert await store.answers_of(consultation, one) == changed
        assert await store.answer_sets(consultation) == [changed]
        assert await store.participation(consultation, one) == "finished"
        assert await store.unfinished_participants(consultation) == [two]
        assert await store.participation_by_village(consultation) == {"PD-NM": 1}
        found = await store.consultation(consultation)
        assert found is not None and (found.started, found.finished) == (2, 1)
        assert await store.opinions(consultation) == []

    async def test_anonymous_answers_once_and_opinions_are_marked(self, backend: Backend) -> None:
        store = backend.store
        consultation = await store.add_consultation(new_consultation(anonymous=True))
        one = await citizen_id(store, Recipient("telegram", "1"))
        answers = {0: ["0"], 1: ["3"], 2: ["Cần đèn đường"]}
        assert await store.submit_answers(consultation, one, "PD-NM", answers, False, START)
        assert not await store.submit_answers(consultation, one, "PD-NM", answers, False, START)
        assert await store.answer_sets(consultation) == [answers]
        assert await store.answers_of(consultation, one) is None
        (opinion,) = await store.opinions(consultation)
        assert (opinion.question, opinion.text, opinion.village, opinion.mark) == (
            2,
            "Cần đèn đường",
            None,
            None,
        )
        await store.mark_opinion(opinion.id, "taken_in", "Sẽ lắp trong quý 2.")
        marked = await store.opinion(opinion.id)
        assert marked is not None and (marked.mark, marked.reply) == (
            "taken_in",
            "Sẽ lắp trong quý 2.",
        )
        assert await store.opinion(opinion.id + 1000) is None

    async def test_the_summary_goes_to_those_who_finished_in_their_language(
        self, backend: Backend
    ) -> None:
        store = backend.store
        consultation = await store.add_consultation(new_consultation())
        done = await citizen_id(store, Recipient("telegram", "1"))
        english = await citizen_id(store, Recipient("zalo", "2"))
        halfway = await citizen_id(store, Recipient("telegram", "3"))
        for person in (done, english):
            await store.submit_answers(consultation, person, "PD-NM", {0: ["0"]}, True, START)
        await store.join_consultation(consultation, halfway, "PD-NM", START)
        await backend.set_locale(Recipient("zalo", "2"), "en")
        await store.summarise_consultation(consultation, "Đa số đồng ý.", START)
        found = await store.consultation(consultation)
        assert found is not None and (found.state, found.result) == ("summarised", "Đa số đồng ý.")
        replies = {"vi": Reply("Kết quả"), "en": Reply("Results")}
        assert await store.tell_participants(consultation, replies, "vi", START) == 2
        assert await backend.queued() == [
            (Recipient("telegram", "1"), "Kết quả"),
            (Recipient("zalo", "2"), "Results"),
        ]


class TestReceptionDayStore:
    async def test_active_schedules_of_units_in_weekly_order(self, backend: Backend) -> None:
        store = backend.store
        head = await officer(store, "pd.chutich")

        thursday = await store.add_reception_schedule(weekly(head, 3))
        tuesday = await store.add_reception_schedule(weekly(head, 1))
        other = await store.add_reception_schedule(weekly(head, 0, unit="TS"))
        assert [s.id for s in await store.reception_schedules(["PD"])] == [tuesday, thursday]
        assert [s.id for s in await store.reception_schedules(None)] == [other, tuesday, thursday]
        await store.deactivate_reception_schedule(thursday)
        assert [s.id for s in await store.reception_schedules(["PD"])] == [tuesday]
        stopped = await store.reception_schedule(thursday, lock=True)
        assert stopped is not None and not stopped.active
        assert (stopped.weekday, stopped.starts, stopped.slot_minutes) == (3, "08:00", 30)
        assert await store.reception_schedule(thursday + 1000) is None

    async def test_bookings_hold_seats_until_cancelled(self, backend: Backend) -> None:
        store = backend.store
        head = await officer(store, "pd.chutich")
        schedule = await store.add_reception_schedule(weekly(head, 1))
        slot = START + 2 * DAY
        named = await citizen_id(store, Recipient("telegram", "1"), name="Hà Thị C")
        other = await citizen_id(store, Recipient("telegram", "2"))
        first = await store.add_booking(schedule, named, slot, "Đất đai", START)
        second = await store.add_booking(schedule, other, slot, "Môi trường", START)
        later = await store.add_booking(schedule, named, slot + DAY, "Xây dựng", START)
        window = (START, START + 7 * DAY)
        assert await store.seats_taken([schedule], *window) == {
            (schedule, slot): 2,
            (schedule, slot + DAY): 1,
        }
        await store.set_booking_status(second, BookingStatus.CANCELLED)
        assert await store.seats_taken([schedule], *window) == {
            (schedule, slot): 1,
            (schedule, slot + DAY): 1,
        }
        booking = await store.booking(first)
        assert booking is not None
        assert (booking.citizen_name, booking.topic, booking.status) == (
            "Hà Thị C",
            "Đất đai",
            "booked",
        )
        booked = await store.bookings([schedule], *window, {BookingStatus.BOOKED})
        assert [b.id for b in booked] == [first, later]
        mine = await store.bookings_of_citizen(named, slot + DAY, {BookingStatus.BOOKED})
        assert [b.id for b in mine] == [later]
        assert await store.booking(later + 1000) is None

    async def test_a_booking_is_attended_with_its_reception_record(self, backend: Backend) -> None:
        store = backend.store
        head = await officer(store, "pd.chutich")
        schedule = await store.add_reception_schedule(weekly(head, 1))
        visitor = await citizen_id(store)
        booking = await store.add_booking(schedule, visitor, START, "Đất đai", START)
        visit = await store.add_reception(new_reception(head, START))
        await store.set_booking_status(booking, BookingStatus.ATTENDED, visit)
        attended = await store.booking(booking)
        assert attended is not None
        assert (attended.status, attended.reception_id) == ("attended", visit)

    async def test_a_reception_day_is_called_off_once(self, backend: Backend) -> None:
        store = backend.store
        head = await officer(store, "pd.chutich")
        schedule = await store.add_reception_schedule(weekly(head, 1))
        day = date(2026, 3, 10)
        assert await store.close_reception_day(schedule, day, "Họp tỉnh", head.id, START)
        assert not await store.close_reception_day(schedule, day, "Họp", head.id, START)
        assert await store.closed_reception_days([schedule], date(2026, 3, 1)) == {(schedule, day)}
        assert await store.closed_reception_days([schedule], date(2026, 3, 11)) == set()

    async def test_a_citizens_places_are_where_they_filed_and_what_they_follow(
        self, backend: Backend
    ) -> None:
        store = backend.store
        person = await citizen_id(store)
        assert await store.citizen_places(person) == set()
        await store.add_petition(new_petition("P", citizen_id=person, unit="PD-KT"))
        await store.subscribe(person, "TS-DC", START)
        assert await store.citizen_places(person) == {"PD-KT", "TS-DC"}

    async def test_heads_activity_counts_sessions_held_and_days_received(
        self, backend: Backend
    ) -> None:
        store = backend.store
        chutich = await officer(store, "pd.chutich")
        session = await store.add_dialogue(new_dialogue(chutich, START + DAY))
        await store.set_dialogue_state(session, "held", START + DAY)
        evening = datetime(2026, 3, 2, 16, 0, tzinfo=UTC)  # 23:00 on the 2nd in Hà Nội
        night = datetime(2026, 3, 2, 18, 0, tzinfo=UTC)  # 01:00 on the 3rd in Hà Nội
        for at in (START, evening, night):
            await store.add_reception(
                new_reception(chutich, at, kind=ReceptionKind.SCHEDULED, head_in_person=True)
            )
        await store.add_reception(new_reception(chutich, START, kind=ReceptionKind.SCHEDULED))
        activity = await store.head_activity(["PD"], START - DAY, START + 7 * DAY)
        assert [a.head.handle for a in activity] == ["pd.chutich", "pd.phochutich"]
        assert (activity[0].dialogues_held, activity[0].reception_days_held) == (1, 2)
        assert (activity[1].dialogues_held, activity[1].reception_days_held) == (0, 0)


MARCH = Period(date(2026, 3, 1), date(2026, 3, 31))


async def a_month_in_son_phu(store: Store) -> None:
    """Two letters received in March (one a group's), two received before it (one still
    undecided, one accepted in March), visits, a session held and a rating."""
    accept = START.date() + DAY
    complaint = await store.add_petition(
        new_petition("K1", deadlines=(("kn1.resolve", accept, date(2026, 3, 9)),))
    )
    group = await store.add_petition(
        new_petition(
            "K2",
            kind=PetitionKind.PETITION,
            field="moi_truong",
            channel="zalo",
            group_size=6,
            received_at=START + 3 * DAY,
        )
    )
    await store.add_petition(new_petition("K3", received_at=START - 10 * DAY))
    older = await store.add_petition(new_petition("K4", received_at=START - 20 * DAY))
    officer_actor = "telegram:9"
    await store.add_event(complaint, officer_actor, Action.ACCEPT, None, {}, START + DAY)
    await store.set_state(complaint, PetitionState.ACCEPTED, START + DAY)
    await store.add_event(complaint, officer_actor, Action.ANSWER, None, {}, START + 8 * DAY)
    await store.settle_deadlines(complaint, {"kn1.resolve"}, "met")
    await store.record_outcome(complaint, "correct")
    await store.set_state(complaint, PetitionState.ANSWERED, START + 8 * DAY)
    await store.add_event(
        group, officer_actor, Action.REFUSE, "ngoài thẩm quyền", {}, START + 4 * DAY
    )
    await store.set_state(group, PetitionState.REFUSED, START + 4 * DAY)
    await store.add_event(older, officer_actor, Action.ACCEPT, None, {}, START)
    await store.set_state(older, PetitionState.ACCEPTED, START)
    await store.record_rating(complaint, 5, START + 9 * DAY)
    tiepdan, head = await officer(store, "pd.tiepdan"), await officer(store, "pd.chutich")
    await store.add_reception(new_reception(tiepdan, START, petition_id=complaint))
    await store.add_reception(new_reception(tiepdan, START + timedelta(hours=1)))
    await store.add_reception(
        new_reception(head, START, kind=ReceptionKind.SCHEDULED, head_in_person=True, group_size=5)
    )
    session = await store.add_dialogue(new_dialogue(head, START + 2 * DAY))
    await store.set_dialogue_state(session, "held", START + 2 * DAY)


class TestReportStore:
    async def test_a_months_figures(self, backend: Backend) -> None:
        await a_month_in_son_phu(backend.store)
        report = await backend.store.report_metrics(MARCH, ["PD", "TS"])
        son_phu = report.units["PD"]
        letters = son_phu.petitions
        assert (letters.received, letters.several_signers, letters.group_petitions) == (2, 1, 1)
        assert (letters.group_people, letters.carried_over) == (6, 2)
        assert (letters.accepted, letters.refused, letters.forwarded, letters.guided) == (
            2,
            1,
            0,
            0,
        )
        assert (letters.answered, letters.answered_on_time, letters.answered_late) == (1, 0, 1)
        assert letters.by_kind == {"khieu_nai": 1, "kien_nghi": 1}
        assert letters.by_field == {"dat_dai": 1, "moi_truong": 1}
        assert letters.by_state == {"answered": 1, "refused": 1}
        assert letters.by_channel == {"telegram": 1, "zalo": 1}
        assert letters.accepted_by_kind == {"khieu_nai": 2}
        assert letters.eligible_by_field == {"dat_dai": 2}
        assert son_phu.complaints == Resolutions(
            accepted_first=2, answered=1, correct=1, on_time=0, late=1
        )
        assert son_phu.receptions.regular == Visits(
            sessions=1, visits=2, people=2, matters=2, groups=0
        )
        assert son_phu.receptions.scheduled_in_person == Visits(1, 1, 5, 1, 1)
        assert son_phu.dialogues_held == 1
        assert son_phu.satisfaction == Satisfaction(ratings=1, satisfied=1, score_total=5)
        assert report.units["TS"].petitions.received == 0
        assert report.to_acceptance.count == 2
        assert report.to_acceptance.average_days == pytest.approx(10.5)
        assert report.to_acceptance.p90_days == pytest.approx(20.0)
        answers = report.to_answer
        assert (answers.count, answers.average_days, answers.p90_days) == pytest.approx((1, 8, 8))

    async def test_a_months_volume_for_the_charts(self, backend: Backend) -> None:
        await a_month_in_son_phu(backend.store)
        volume = await backend.store.report_volume(MARCH, ["PD"])
        assert volume.by_field_kind == {"dat_dai": {"khieu_nai": 1}, "moi_truong": {"kien_nghi": 1}}
        assert volume.by_month == {"2026-03": 2}
        empty = await backend.store.report_volume(MARCH, ["TS"])
        assert (empty.by_field_kind, empty.by_month) == ({}, {})


def new_survey(period: str = "2026-Q1", **values: Any) -> NewSurvey:
    """Phú Đình's survey of March's answers, started by its chairman (officer 1 is enough)."""
    fields: dict[str, Any] = {
        "template": "sipas",
        "period": period,
        "period_start": START,
        "period_end": START + 30 * DAY,
        "scope_unit": "PD",
        "sample": None,
        "started_by": 1,
        "created_at": START + 31 * DAY,
    }
    return NewSurvey(**(fields | values))


def questionnaire() -> NewConsultation:
    """A survey's questions: two scales of two aspects and a choice."""
    return new_consultation(
        document=None,
        anonymous=True,
        audience=(),
        questions=(
            Question("Tiếp cận?", QuestionKind.SCALE, aspect="access"),
            Question("Chung?", QuestionKind.SCALE, aspect="overall"),
            Question("Gửi qua đâu?", QuestionKind.ONE, ("Trực tiếp", "Tin nhắn"), aspect="access"),
        ),
        opens_at=START + 31 * DAY,
        closes_at=START + 61 * DAY,
    )


class TestSurveyStore:
    async def test_the_people_answered_in_a_period_are_invited_once_and_counted(
        self, backend: Backend
    ) -> None:
        store = backend.store
        people = [await citizen_id(store, Recipient("telegram", str(n))) for n in (11, 12, 13)]
        held = {people[0]: "PD-VP", people[1]: "PD-KT", people[2]: "PD-VP"}
        for number, (person, unit) in enumerate(held.items()):
            petition = await store.add_petition(
                new_petition(f"S{number}", citizen_id=person, unit=unit)
            )
            await store.add_event(petition, "o", Action.ANSWER, None, {}, START + DAY)
        later = await store.add_petition(new_petition("S9", citizen_id=people[0], unit="PD-KT"))
        await store.add_event(later, "o", Action.ANSWER, None, {}, START + 40 * DAY)
        found = await store.answered_citizens(START, START + 30 * DAY, ["PD-VP", "PD-KT"])
        assert found == sorted(held.items())
        assert await store.answered_citizens(START, START + 30 * DAY, ["TS"]) == []

        survey_id, invited = await store.add_survey(new_survey(), questionnaire(), found)
        assert sorted(invited.values()) == [1, 2]
        forms = {
            (await store.consultation(c)).unit: c  # type: ignore[union-attr]
            for c in invited
        }
        assert set(forms) == {"PD-VP", "PD-KT"}
        assert await store.invited(forms["PD-VP"], people[0])
        assert not await store.invited(forms["PD-KT"], people[0])
        form = await store.consultation(forms["PD-VP"])
        assert form is not None and form.survey == survey_id and form.anonymous
        assert await store.consultations_of(["PD-VP", "PD-KT"], 10) == []
        assert await store.open_consultations(START + 35 * DAY, 10) == []
        # The same period again invites nobody; another period does.
        again, none = await store.add_survey(new_survey(), questionnaire(), found)
        assert none == {} and again != survey_id
        _, other = await store.add_survey(
            new_survey("2026-Q2", period_start=START + 30 * DAY, period_end=START + 60 * DAY),
            questionnaire(),
            found[:1],
        )
        assert list(other.values()) == [1]

        reply = Reply("Mời ông/bà")
        assert await store.invite_to_survey(forms["PD-VP"], {"vi": reply}, "vi", START) == 2
        assert len(await backend.queued()) == 2

        await store.submit_answers(
            forms["PD-VP"], people[0], None, {0: ["5"], 1: ["3"]}, False, START
        )
        await store.submit_answers(
            forms["PD-VP"], people[2], None, {0: ["2"], 2: ["1"]}, False, START
        )
        figures = await store.survey_figures(["PD-VP", "PD-KT"], START, START + 30 * DAY)
        assert figures["PD-VP"] == Survey(
            2, 2, {"access": 2, "overall": 1}, {"access": 7, "overall": 3}
        )
        assert figures["PD-KT"] == Survey(1, 0, {}, {})
        assert await store.survey_figures(["PD-VP"], START + DAY, START + 30 * DAY) == {}
        view = await store.survey(survey_id)
        assert view is not None and (view.invited, view.responses, view.period) == (3, 2, "2026-Q1")
        listed = await store.surveys_of(["PD"], 10)
        assert [s.id for s in listed][-1] == survey_id and len(listed) == 3
        assert await store.surveys_of(["TS"], 10) == []

    async def test_a_consultation_keeps_whom_it_reached_and_is_held_once_closed(
        self, backend: Backend
    ) -> None:
        store = backend.store
        first = await store.add_consultation(new_consultation())
        await store.record_reach(first, 40)
        found = await store.consultation(first)
        assert found is not None and found.reached == 40
        closed = await store.consultations_closed(["PD"], START, START + 8 * DAY)
        assert [c.id for c in closed] == [first]
        assert await store.consultations_closed(["PD"], START, START + 7 * DAY) == []
        assert await store.consultations_closed(["TS"], START, START + 8 * DAY) == []
