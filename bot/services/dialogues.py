"""Dialogue sessions from announcement to follow-up (issue 4, DESIGN §2 step 7).

A leader's People's Committee organises; its heads and reception staff manage. Announcements,
cancellations and minutes fan out to followers through the outbox in one statement each, inside
the job that decides them, so a crash sends them whole or not at all; registrants' reminders are
jobs too. What a session leaves unanswered becomes petitions with their own deadlines.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.buttons import SessionAction
from bot.core import Button, Outgoing, Reply
from bot.domain.dialogues import (
    CalendarEntry,
    DialogueState,
    QuestionStatus,
    Seat,
    audience_of,
    calendar_file,
    places_that_hear,
    reminder_times,
    seat_for_newcomer,
)
from bot.domain.org import Organisation
from bot.domain.petition import PetitionKind
from bot.environment import Environment
from bot.i18n import DEFAULT_LOCALE, LOCALES, N_, Translator
from bot.jobs import DueJob, JobKinds
from bot.ports import DialogueView, NewDialogue, OfficerView, QuestionView, Store
from bot.services.filing import Draft, Filed, file_petition
from bot.services.reception import may_record, peoples_committee
from bot.services.refusal import Refused
from bot.services.workflow import NotAllowed

ANNOUNCE, REMIND = "session.announce", "session.remind"
MAX_TOPIC_CHARS = 300
MAX_CAPACITY = 100_000
MAX_QUESTION_CHARS = 1000
MAX_ANNOUNCED_LOOKED_AT = 50  # sessions ahead looked through for those open to a citizen
FOLLOW_UP_FIELD = "khac"  # the field of petitions a session leaves, when the org file has it


class DialogueRefused(Refused):
    """Not possible for this session now; `reason` names the message to show."""


@dataclass(frozen=True)
class SessionPlan:
    """What the organiser set in the guided conversation."""

    topic: str
    leader_id: int
    starts_at: datetime
    place: str | None
    link: str | None
    audience: tuple[str, ...]
    capacity: int
    registration_closes_at: datetime
    subscribers_may_ask: bool


def organiser_unit(env: Environment, officer: OfficerView) -> str:
    """The People's Committee an officer organises for; NotAllowed for those who may not."""
    unit = peoples_committee(env.org, officer.unit)
    if unit is None or not may_record(officer):
        raise NotAllowed(f"{officer.handle} organising dialogues")
    return unit


async def managed_session(
    store: Store, env: Environment, officer: OfficerView, dialogue_id: int
) -> DialogueView:
    """A session the officer's People's Committee organises (or one above it)."""
    unit = organiser_unit(env, officer)
    session = await store.dialogue(dialogue_id)
    if session is None or unit not in env.org.lineage(session.unit):
        raise NotAllowed(f"{officer.handle} managing dialogue {dialogue_id}")
    return session


async def create_session(
    store: Store, env: Environment, officer: OfficerView, plan: SessionPlan, now: datetime
) -> int:
    """Store the session, then announce it and plan its reminders as jobs."""
    unit = organiser_unit(env, officer)
    leaders = {head.id for head in await store.heads_of(unit)}
    _check_plan(env, unit, leaders, plan, now)
    dialogue_id = await store.add_dialogue(
        NewDialogue(
            unit=unit,
            leader_id=plan.leader_id,
            created_by=officer.id,
            topic=plan.topic,
            starts_at=plan.starts_at,
            place=plan.place,
            link=plan.link,
            audience=plan.audience,
            capacity=plan.capacity,
            registration_closes_at=plan.registration_closes_at,
            subscribers_may_ask=plan.subscribers_may_ask,
            created_at=now,
        )
    )
    await store.schedule(ANNOUNCE, now, {"dialogue": dialogue_id, "what": "announce"}, None)
    await _plan_reminders(store, env, dialogue_id, plan.starts_at, now)
    return dialogue_id


def _check_plan(
    env: Environment, unit: str, leaders: set[int], plan: SessionPlan, now: datetime
) -> None:
    """Refuse what the conversation should not have let through."""
    allowed_places = set(audience_of(env.org, unit))
    if (
        plan.leader_id not in leaders
        or not 0 < len(plan.topic) <= MAX_TOPIC_CHARS
        or not plan.starts_at > now
        or not now < plan.registration_closes_at <= plan.starts_at
        or not 1 <= plan.capacity <= MAX_CAPACITY
        or not plan.audience
        or not set(plan.audience) <= allowed_places
        or not (plan.place or plan.link)
    ):
        raise DialogueRefused(N_("dialogue.refused.plan"))


async def _plan_reminders(
    store: Store, env: Environment, dialogue_id: int, starts_at: datetime, now: datetime
) -> None:
    for moment in reminder_times(starts_at, now, env.session_reminders):
        payload = {"dialogue": dialogue_id, "starts_at": starts_at.isoformat()}
        await store.schedule(REMIND, moment, payload, None)


async def reschedule_session(
    store: Store,
    env: Environment,
    officer: OfficerView,
    dialogue_id: int,
    starts_at: datetime,
    place: str | None,
    link: str | None,
    now: datetime,
) -> tuple[DialogueView, list[int]]:
    """Move a session: the registrants and the waitlist are told; reminders follow the time."""
    session = await managed_session(store, env, officer, dialogue_id)
    if session.state != DialogueState.ANNOUNCED or starts_at <= now or not (place or link):
        raise DialogueRefused(N_("dialogue.refused.change"))
    closes = min(session.registration_closes_at, starts_at)
    await store.reschedule_dialogue(dialogue_id, starts_at, place, link, closes)
    await _plan_reminders(store, env, dialogue_id, starts_at, now)
    moved = await store.dialogue(dialogue_id)
    assert moved is not None
    holders = await store.seat_holders(dialogue_id, {Seat.REGISTERED, Seat.WAITLISTED})
    return moved, holders


async def cancel_session(
    store: Store, env: Environment, officer: OfficerView, dialogue_id: int, now: datetime
) -> DialogueView:
    """Everyone who heard of it, and everyone registered, is told once."""
    session = await managed_session(store, env, officer, dialogue_id)
    if session.state != DialogueState.ANNOUNCED:
        raise DialogueRefused(N_("dialogue.refused.change"))
    await store.set_dialogue_state(dialogue_id, DialogueState.CANCELLED, now)
    await store.schedule(ANNOUNCE, now, {"dialogue": dialogue_id, "what": "cancel"}, None)
    return session


async def register(store: Store, dialogue_id: int, citizen_id: int, now: datetime) -> str:
    """A seat while there is one, else the waitlist; asking again keeps one's place."""
    session = await store.dialogue(dialogue_id)
    if session is None or session.state != DialogueState.ANNOUNCED:
        raise DialogueRefused(N_("dialogue.refused.closed"))
    if now >= session.registration_closes_at:
        raise DialogueRefused(N_("dialogue.refused.registration_closed"))
    current = await store.seat_of(dialogue_id, citizen_id)
    if current in {Seat.REGISTERED, Seat.WAITLISTED}:
        return current
    seat = seat_for_newcomer(session.capacity, session.registered)
    await store.save_seat(dialogue_id, citizen_id, seat, now)
    return seat


async def cancel_seat(store: Store, dialogue_id: int, citizen_id: int, now: datetime) -> int | None:
    """Give up a seat or a waitlist place; the first on the waitlist takes a freed seat.

    Returns the citizen promoted, to be told.
    """
    current = await store.seat_of(dialogue_id, citizen_id)
    if current not in {Seat.REGISTERED, Seat.WAITLISTED}:
        raise DialogueRefused(N_("dialogue.refused.not_registered"))
    await store.save_seat(dialogue_id, citizen_id, Seat.CANCELLED, now)
    session = await store.dialogue(dialogue_id)
    if current != Seat.REGISTERED or session is None or session.state != DialogueState.ANNOUNCED:
        return None
    promoted = await store.first_waitlisted(dialogue_id)
    if promoted is not None:
        await store.save_seat(dialogue_id, promoted, Seat.REGISTERED, now)
    return promoted


async def may_ask(store: Store, env: Environment, session: DialogueView, citizen_id: int) -> bool:
    """Registrants may ask ahead; followers of the audience too when the session allows it."""
    if await store.seat_of(session.id, citizen_id) in {Seat.REGISTERED, Seat.WAITLISTED}:
        return True
    if not session.subscribers_may_ask:
        return False
    followed = set(await store.subscriptions(citizen_id))
    return bool(followed & places_that_hear(env.org, session.audience))


async def open_for_registration(
    store: Store, env: Environment, citizen_id: int, now: datetime
) -> list[DialogueView]:
    """The sessions this citizen was told of (their audience covers a place they follow) that
    still take registrations and where they hold no seat, soonest first: the «Đăng ký» their
    announcements offered, still open."""
    followed = set(await store.subscriptions(citizen_id))
    if not followed:
        return []
    held = {session.id for session, _ in await store.seats_of_citizen(citizen_id, now)}
    return [
        session
        for session in await store.upcoming_dialogues(now, None, MAX_ANNOUNCED_LOOKED_AT)
        if session.state == DialogueState.ANNOUNCED
        and now < session.registration_closes_at
        and session.id not in held
        and followed & places_that_hear(env.org, session.audience)
    ]


async def ask_question(
    store: Store, env: Environment, dialogue_id: int, citizen_id: int, text: str, now: datetime
) -> int:
    """A question sent ahead, waiting for moderation."""
    session = await store.dialogue(dialogue_id)
    if session is None or session.state != DialogueState.ANNOUNCED or now >= session.starts_at:
        raise DialogueRefused(N_("dialogue.refused.closed"))
    if not await may_ask(store, env, session, citizen_id):
        raise DialogueRefused(N_("dialogue.refused.not_registered"))
    if not 5 <= len(text) <= MAX_QUESTION_CHARS:
        raise DialogueRefused(N_("dialogue.refused.question"))
    return await store.add_question(dialogue_id, citizen_id, text, now)


async def moderate(
    store: Store,
    env: Environment,
    officer: OfficerView,
    question_id: int,
    status: str,
    *,
    unit: str | None = None,
    into: int | None = None,
    reason: str | None = None,
) -> QuestionView:
    """Accept (routed to the unit that prepares the answer), merge into another, or reject."""
    question = await store.question(question_id)
    if question is None:
        raise NotAllowed(f"question {question_id}")
    session = await managed_session(store, env, officer, question.dialogue_id)
    if status == QuestionStatus.ACCEPTED:
        if unit is None or session.unit not in env.org.lineage(unit):
            raise DialogueRefused(N_("dialogue.refused.unit"))
    elif status == QuestionStatus.MERGED:
        target = await store.question(into) if into else None
        if target is None or target.dialogue_id != session.id or target.id == question_id:
            raise DialogueRefused(N_("dialogue.refused.merge"))
    elif status != QuestionStatus.REJECTED or not reason:
        raise NotAllowed(f"moderating question {question_id} as {status}")
    await store.update_question(question_id, status, unit=unit, reason=reason, merged_into=into)
    updated = await store.question(question_id)
    assert updated is not None
    return updated


@dataclass(frozen=True)
class FollowUp:
    """A petition a session left, and who raised it (None: the leader's own commitment)."""

    filed: Filed
    draft: Draft
    citizen_id: int | None
    also_told: tuple[int, ...] = ()  # authors of questions merged into this one


async def close_session(
    store: Store,
    env: Environment,
    officer: OfficerView,
    dialogue_id: int,
    attendance: int,
    minutes: str,
    answered: set[int],
    commitments: Sequence[tuple[str, str]],
    now: datetime,
) -> list[FollowUp]:
    """After the session: keep attendance and minutes, send the minutes to everyone concerned,
    and turn each commitment and each question left unanswered into a tracked petition."""
    session = await managed_session(store, env, officer, dialogue_id)
    if session.state != DialogueState.ANNOUNCED or now < session.starts_at or attendance < 0:
        raise DialogueRefused(N_("dialogue.refused.change"))
    await store.record_session(dialogue_id, attendance, minutes)
    await store.set_dialogue_state(dialogue_id, DialogueState.HELD, now)
    await store.schedule(ANNOUNCE, now, {"dialogue": dialogue_id, "what": "minutes"}, None)
    leader = await store.officer_by_id(session.leader_id)
    follow_ups = [
        await _file_follow_up(store, env, session, text, unit, leader, None, now)
        for text, unit in commitments
    ]
    open_questions = await store.questions(
        dialogue_id, {QuestionStatus.PENDING, QuestionStatus.ACCEPTED}
    )
    merged = await store.questions(dialogue_id, {QuestionStatus.MERGED})
    for question in open_questions:
        if question.id in answered:
            await store.update_question(question.id, QuestionStatus.ANSWERED)
            continue
        follow_up = await _file_follow_up(
            store, env, session, question.text, question.unit or session.unit, None, question, now
        )
        authors = tuple(q.citizen_id for q in merged if q.merged_into == question.id)
        follow_ups.append(FollowUp(follow_up.filed, follow_up.draft, question.citizen_id, authors))
        await store.update_question(
            question.id, question.status, petition_id=follow_up.filed.petition_id
        )
    return follow_ups


async def _file_follow_up(
    store: Store,
    env: Environment,
    session: DialogueView,
    text: str,
    unit: str,
    leader: OfficerView | None,
    question: QuestionView | None,
    now: datetime,
) -> FollowUp:
    """A kiến nghị of the unit that must act, linked to the session, on the usual dates."""
    citizen = None
    if question is not None:
        chat = await store.citizen_chat(question.citizen_id)
        citizen = await store.citizen(chat.channel, chat.chat_id) if chat else None
    commune = env.org.commune_of(unit) or env.org.commune_of(session.unit)
    field = FOLLOW_UP_FIELD if env.org.field(FOLLOW_UP_FIELD) else env.org.fields[0].code
    draft = Draft(
        kind=PetitionKind.PETITION,
        field=field,
        commune=commune.code if commune else session.unit,
        area=None,
        place_note=session.place,
        latitude=None,
        longitude=None,
        content=text,
        attachments=(),
        name=citizen.name if citizen else (leader.name if leader else None),
        phone=citizen.phone if citizen else None,
        address=citizen.address if citizen else None,
        anonymous=False,
        unit=unit,
        dialogue_id=session.id,
    )
    citizen_id = question.citizen_id if question else None
    filed = await file_petition(
        store, env.org, env.rulebook, env.calendar, draft, citizen_id, "dialogue", now
    )
    return FollowUp(filed, draft, citizen_id)


def session_calendar(t: Translator, session: DialogueView, now: datetime) -> bytes:
    """The session as a calendar file."""
    return calendar_file(
        CalendarEntry(
            uid=f"dialogue-{session.id}@tiepdan",
            title=t("dialogue.calendar.title", topic=session.topic),
            starts_at=session.starts_at,
            length=timedelta(hours=2),
            location=session.place or session.link or "",
            description=session.link or "",
        ),
        now,
    )


# --- jobs ---------------------------------------------------------------------------------------

# The state a session must still be in for each fan-out to go out.
FAN_OUT_STATES = {
    "announce": DialogueState.ANNOUNCED,
    "cancel": DialogueState.CANCELLED,
    "minutes": DialogueState.HELD,
}
FAN_OUT_MESSAGES = {
    "announce": N_("dialogue.announcement"),
    "cancel": N_("dialogue.cancelled"),
    "minutes": N_("dialogue.minutes"),
}


jobs: JobKinds[Environment] = JobKinds()


@jobs.kind(ANNOUNCE)
async def fan_out(job: DueJob[Environment]) -> list[Outgoing]:
    """An announcement, a cancellation or the minutes fan out to the places that hear of the
    session (and, but for an announcement, to its registrants), in one statement."""
    org, what = job.env.org, job.payload.get("what", "announce")
    session = await job.store.dialogue(int(job.payload.get("dialogue", 0)))
    if session is None or session.state != FAN_OUT_STATES[what]:
        return []  # e.g. cancelled before its announcement went out: nothing to announce
    leader = await job.store.officer_by_id(session.leader_id)
    replies = {
        locale: session_message(job.env.catalogues.get(locale), org, session, leader, what)
        for locale in LOCALES
    }
    places = places_that_hear(org, session.audience)
    registrants = session.id if what != "announce" else None
    await job.store.fan_out(places, registrants, replies, DEFAULT_LOCALE, job.now)
    return []


@jobs.kind(REMIND)
async def remind_registrants(job: DueJob[Environment]) -> list[Outgoing]:
    """Before a session: those registered for it, unless it was cancelled or moved since (the
    new time has its own reminders)."""
    session = await job.store.dialogue(int(job.payload.get("dialogue", 0)))
    if (
        session is None
        or session.state != DialogueState.ANNOUNCED
        or datetime.fromisoformat(job.payload["starts_at"]) != session.starts_at
    ):
        return []
    leader = await job.store.officer_by_id(session.leader_id)
    outgoing = []
    for citizen_id in await job.store.seat_holders(session.id, {Seat.REGISTERED}):
        chat = await job.store.citizen_chat(citizen_id)
        if chat is not None:
            t = job.env.catalogues.get(await job.store.locale_of(chat))
            reply = session_message(t, job.env.org, session, leader, "remind")
            outgoing.append(Outgoing(chat, reply))
    return outgoing


def session_message(
    t: Translator, org: Organisation, session: DialogueView, leader: OfficerView | None, what: str
) -> Reply:
    """A session's announcement, cancellation, reminder or minutes, in one language."""
    details = session_details(t, org, session, leader)
    if what == "remind":
        return Reply(t("session.reminder", details=details))
    if what == "minutes":
        return Reply(
            t(
                FAN_OUT_MESSAGES[what],
                details=details,
                minutes=session.minutes or "",
                attendance=session.attendance or 0,
            )
        )
    if what == "cancel":
        return Reply(t(FAN_OUT_MESSAGES[what], details=details))
    buttons = (
        (Button(t("dialogue.register"), SessionAction(session.id, "reg").pack()),),
        (Button(t("dialogue.view"), SessionAction(session.id, "view").pack()),),
    )
    return Reply(t(FAN_OUT_MESSAGES[what], details=details), buttons)


def session_details(
    t: Translator, org: Organisation, session: DialogueView, leader: OfficerView | None
) -> str:
    """Topic, leader, date and time, place or link, registration deadline, seats."""
    return t(
        "dialogue.details",
        topic=session.topic,
        leader=f"{leader.name} ({leader.title})" if leader else "—",
        unit=org.units[session.unit].name,
        time=t.datetime(session.starts_at),
        place=session.place or session.link or "—",
        closes=t.datetime(session.registration_closes_at),
        capacity=session.capacity,
    )
