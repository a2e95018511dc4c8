"""The work between acceptance and the answer: classify, reassign, verify, hold a dialogue, close.

Each action is checked against the officer's standing and the state machine before anything is
written, recorded as an event with its actor, and returns what the citizen should be told.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.core import FileRef, Recipient
from bot.domain.deadlines import TooManyExtensions
from bot.domain.petition import IDENTITY_NEEDS, Case, PetitionKind, PetitionState
from bot.domain.workflow import Action, next_state
from bot.environment import Environment
from bot.i18n import LOCAL_TZ, N_
from bot.ports import DeadlineView, OfficerView, PetitionDetail, Store
from bot.services.access import may_act, units_under
from bot.services.filing import schedule_reminders
from bot.services.refusal import Refused
from bot.services.reminders import DIALOGUE_REMINDER
from bot.services.workflow import (
    ACCEPTANCE_RULES,
    NotAllowed,
    case_due_date,
    check_action,
    citizen_of,
)


class ClassificationRefused(Refused):
    """The change is not lawful for this petition; `reason` names the message to show."""


@dataclass(frozen=True)
class Reclassified:
    """A classification change and the dates it moved."""

    petition: PetitionDetail
    kind: str
    field: str
    moved: tuple[DeadlineView, ...]
    citizen: Recipient | None

    @property
    def citizen_should_know(self) -> bool:
        """The kind, the field or a date changed: what the citizen reads on the receipt."""
        summary = self.petition.summary
        return bool(self.moved) or self.kind != summary.kind or self.field != summary.field


async def reclassify(
    store: Store,
    env: Environment,
    petition_id: int,
    officer: OfficerView,
    kind: str,
    field: str,
    case: Case,
    now: datetime,
) -> Reclassified:
    """Phân loại lại: store the new classification and move every open date it changes."""
    petition = await check_action(store, env, petition_id, officer, Action.CLASSIFY)
    _check_classification(env, petition, PetitionKind(kind), field, case)
    if kind != petition.summary.kind or case.instance != petition.case.instance:
        moved = await _restart_receipt_deadlines(store, env, petition, kind, case)
    else:
        moved = await _move_open_deadlines(store, env, petition, case)
    await store.classify(petition_id, kind, field, case)
    await schedule_reminders(
        store, env.calendar, petition_id, now.astimezone(LOCAL_TZ).date(), moved
    )
    await store.add_event(
        petition_id,
        f"officer:{officer.handle}",
        Action.CLASSIFY,
        None,
        {"kind": kind, "field": field, **dataclasses.asdict(case)},
        now,
    )
    return Reclassified(petition, kind, field, moved, await citizen_of(store, petition))


def _check_classification(
    env: Environment, petition: PetitionDetail, kind: PetitionKind, field: str, case: Case
) -> None:
    """Refuse what the law or the filer's protection does not allow."""
    before = PetitionKind(petition.summary.kind)
    received = petition.summary.state == PetitionState.RECEIVED
    if env.org.field(field) is None or case.group_size < 1 or case.representatives < 0:
        raise ClassificationRefused(N_("classify.refused.invalid"))
    if (kind != before or case.instance != petition.case.instance) and not received:
        raise ClassificationRefused(N_("classify.refused.after_acceptance"))
    if kind != before and before == PetitionKind.DENUNCIATION:
        raise ClassificationRefused(N_("classify.refused.denunciation"))
    if petition.anonymous and not IDENTITY_NEEDS[kind].anonymous_allowed:
        raise ClassificationRefused(N_("classify.refused.anonymous"))
    if case.instance == 2 and kind != PetitionKind.COMPLAINT:
        raise ClassificationRefused(N_("classify.refused.instance"))


async def _restart_receipt_deadlines(
    store: Store, env: Environment, petition: PetitionDetail, kind: str, case: Case
) -> tuple[DeadlineView, ...]:
    """Another kind (or instance) runs on other rules, counted from the day it was received."""
    received_on = petition.summary.received_at.astimezone(LOCAL_TZ).date()
    open_rules = {d.rule_id for d in petition.summary.deadlines if d.status == "open"}
    await store.settle_deadlines(petition.summary.id, open_rules, "superseded")
    fresh = tuple(
        DeadlineView(rule_id, case_due_date(env, rule_id, received_on, case))
        for rule_id in env.rulebook.kinds[kind].receipt(case.instance)
    )
    await store.add_deadlines(
        petition.summary.id, [(d.rule_id, received_on, d.due_date) for d in fresh]
    )
    return fresh


async def _move_open_deadlines(
    store: Store, env: Environment, petition: PetitionDetail, case: Case
) -> tuple[DeadlineView, ...]:
    """Remote area and complexity lengthen some periods: recompute each open one."""
    moved = []
    for deadline in petition.summary.deadlines:
        if deadline.status != "open" or deadline.start_date is None:
            continue
        try:
            due = case_due_date(
                env, deadline.rule_id, deadline.start_date, case, deadline.extensions
            )
        except TooManyExtensions:
            raise ClassificationRefused(N_("classify.refused.extensions")) from None
        if due != deadline.due_date:
            await store.move_deadline(petition.summary.id, deadline.rule_id, due)
            moved.append(DeadlineView(deadline.rule_id, due, start_date=deadline.start_date))
    return tuple(moved)


@dataclass(frozen=True)
class Reassigned:
    """Another officer of the same unit takes the petition over."""

    petition: PetitionDetail
    assignee: OfficerView
    previous: OfficerView | None
    citizen: Recipient | None


async def reassignable_officers(store: Store, petition: PetitionDetail) -> list[OfficerView]:
    """The unit's officers who can handle a petition, other than its assignee."""
    return [
        officer
        for officer in await store.officers_of(petition.unit)
        if officer.id != petition.assignee_id and officer.roles & {"handler", "head"}
    ]


async def reassign_within_unit(
    store: Store,
    env: Environment,
    petition_id: int,
    head: OfficerView,
    handle: str,
    now: datetime,
) -> Reassigned:
    """Phân công lại: a head gives the petition to another officer of its unit."""
    petition = await check_action(store, env, petition_id, head, Action.REASSIGN)
    if "head" not in head.roles:
        raise NotAllowed(f"{head.handle} is not a head")
    target = next(
        (o for o in await reassignable_officers(store, petition) if o.handle == handle), None
    )
    if target is None:
        raise NotAllowed(f"{handle} cannot take petition {petition_id}")
    await store.reassign(petition_id, petition.unit, target.handle)
    previous = await store.officer_by_id(petition.assignee_id) if petition.assignee_id else None
    await store.add_event(
        petition_id,
        f"officer:{head.handle}",
        Action.REASSIGN,
        None,
        {"from": previous.handle if previous else None, "to": target.handle},
        now,
    )
    return Reassigned(petition, target, previous, await citizen_of(store, petition))


@dataclass(frozen=True)
class NoteAdded:
    """A verification note; the first one starts the verification."""

    petition: PetitionDetail
    files: tuple[FileRef, ...]
    started: bool
    citizen: Recipient | None


async def add_verification_note(
    store: Store,
    env: Environment,
    petition_id: int,
    officer: OfficerView,
    text: str,
    files: tuple[FileRef, ...],
    channel: str,
    now: datetime,
) -> NoteAdded:
    """Ghi nhận kết quả xác minh: for the file; the citizen only learns verification began."""
    petition = await check_action(store, env, petition_id, officer, Action.NOTE)
    started = petition.summary.state == PetitionState.ACCEPTED
    if started:
        await store.set_state(petition_id, PetitionState.IN_PROGRESS, now)
    await store.add_attachments(petition_id, channel, files)
    await store.add_event(
        petition_id, f"officer:{officer.handle}", Action.NOTE, text, {"files": len(files)}, now
    )
    citizen = await citizen_of(store, petition) if started else None
    return NoteAdded(petition, files, started, citizen)


DIALOGUE_NOTICE_HOURS = 24


@dataclass(frozen=True)
class DialogueScheduled:
    """The invitation the complainant receives."""

    petition: PetitionDetail
    at: datetime
    place: str
    citizen: Recipient | None


async def schedule_dialogue(
    store: Store,
    env: Environment,
    petition_id: int,
    officer: OfficerView,
    at: datetime,
    place: str,
    now: datetime,
) -> DialogueScheduled:
    """Đối thoại (LKN Art. 30): set the time and place, invite, and remind the day before."""
    petition = await check_action(store, env, petition_id, officer, Action.HOLD_DIALOGUE)
    if at <= now:
        raise NotAllowed("a dialogue cannot be held in the past")
    await store.set_state(petition_id, PetitionState.DIALOGUE, now)
    when = {"at": at.isoformat(), "place": place}
    await store.add_event(
        petition_id, f"officer:{officer.handle}", Action.HOLD_DIALOGUE, None, when, now
    )
    remind_at = at - timedelta(hours=DIALOGUE_NOTICE_HOURS)
    await store.schedule(DIALOGUE_REMINDER, max(remind_at, now), when, petition_id)
    return DialogueScheduled(petition, at, place, await citizen_of(store, petition))


@dataclass(frozen=True)
class MinutesRecorded:
    """The dialogue's minutes, attached and on their way to the complainant."""

    petition: PetitionDetail
    text: str
    document: FileRef | None
    citizen: Recipient | None


async def record_minutes(
    store: Store,
    env: Environment,
    petition_id: int,
    officer: OfficerView,
    text: str,
    files: tuple[FileRef, ...],
    channel: str,
    now: datetime,
) -> MinutesRecorded:
    """Biên bản đối thoại: the minutes join the file and the complaint goes back to work."""
    petition = await check_action(store, env, petition_id, officer, Action.START)
    if petition.summary.state != PetitionState.DIALOGUE:
        raise NotAllowed(f"petition {petition_id} has no dialogue to record")
    await store.set_state(petition_id, PetitionState.IN_PROGRESS, now)
    await store.add_attachments(petition_id, channel, files)
    await store.add_event(
        petition_id,
        f"officer:{officer.handle}",
        "dialogue_minutes",
        text,
        {"files": len(files)},
        now,
    )
    document = next((f for f in files if f.media == "document"), files[0] if files else None)
    return MinutesRecorded(petition, text, document, await citizen_of(store, petition))


@dataclass(frozen=True)
class Closed:
    """The file is closed after the answer."""

    petition: PetitionDetail
    citizen: Recipient | None


async def close_petition(
    store: Store, env: Environment, petition_id: int, officer: OfficerView, now: datetime
) -> Closed:
    """Kết thúc hồ sơ: the case is done; a complaint can still be taken further (Art. 33)."""
    petition = await check_action(store, env, petition_id, officer, Action.CLOSE)
    await store.set_state(petition_id, PetitionState.CLOSED, now)
    await store.add_event(petition_id, f"officer:{officer.handle}", Action.CLOSE, None, {}, now)
    return Closed(petition, await citizen_of(store, petition))


async def identity_candidates(
    store: Store, env: Environment, head: OfficerView, petition: PetitionDetail
) -> list[OfficerView]:
    """The head and the officers of the petition's unit and below who do not yet see it."""
    seen = petition.identity_viewers | {petition.assignee_id}
    candidates = [head]
    for unit in units_under(env.org, petition.unit):
        candidates += [o for o in await store.officers_of(unit) if o.id != head.id]
    return [officer for officer in candidates if officer.id not in seen]


@dataclass(frozen=True)
class IdentityGranted:
    """Who may now know the denouncer."""

    petition: PetitionDetail
    officer: OfficerView


async def grant_identity(
    store: Store,
    env: Environment,
    petition_id: int,
    head: OfficerView,
    handle: str,
    now: datetime,
) -> IdentityGranted:
    """A head lets one more officer know the denouncer (LEGAL §4); the grant is audited."""
    petition = await store.petition(petition_id)
    if (
        petition is None
        or "head" not in head.roles
        or not may_act(env.org, head, petition)
        or petition.summary.kind != PetitionKind.DENUNCIATION
        or petition.anonymous
    ):
        raise NotAllowed(f"{head.handle} granting identity on petition {petition_id}")
    candidates = await identity_candidates(store, env, head, petition)
    target = next((o for o in candidates if o.handle == handle), None)
    if target is None or not await store.grant_identity(petition_id, target.id, head.id, now):
        raise NotAllowed(f"{handle} cannot be granted petition {petition_id}")
    await store.audit(
        f"officer:{head.handle}",
        "petition.identity_granted",
        petition.summary.code,
        {"to": target.handle},
        now,
    )
    return IdentityGranted(petition, target)


@dataclass(frozen=True)
class Reopened:
    """A petition the citizen says is not resolved: back to work, and the heads know."""

    petition: PetitionDetail
    deadlines: tuple[DeadlineView, ...]
    assignee: OfficerView | None
    heads: list[OfficerView]


async def reopen_by_citizen(
    store: Store,
    env: Environment,
    petition_id: int,
    citizen_id: int,
    reason: str,
    now: datetime,
) -> Reopened:
    """«Chưa được giải quyết»: the answer period runs again and the case goes to the heads."""
    petition = await store.petition(petition_id)
    if petition is None or petition.citizen_id != citizen_id:
        raise NotAllowed(f"citizen {citizen_id} reopening petition {petition_id}")
    state = next_state(
        PetitionState(petition.summary.state), Action.REOPEN, PetitionKind(petition.summary.kind)
    )
    today = now.astimezone(LOCAL_TZ).date()
    rules = env.rulebook.kinds[petition.summary.kind]
    deadlines = tuple(
        DeadlineView(rule_id, case_due_date(env, rule_id, today, petition.case))
        for rule_id in (*rules.receipt(), *rules.acceptance())
        if rule_id not in ACCEPTANCE_RULES  # the answer periods run again, not the intake
    )
    await store.set_state(petition_id, state, now)
    await store.add_deadlines(petition_id, [(d.rule_id, today, d.due_date) for d in deadlines])
    await schedule_reminders(store, env.calendar, petition_id, today, deadlines)
    await store.add_event(petition_id, "citizen", Action.REOPEN, reason, {}, now)
    heads = await store.heads_of(petition.unit)
    parent = env.org.units[petition.unit].parent
    if parent:
        heads += await store.heads_of(parent)
    assignee = await store.officer_by_id(petition.assignee_id) if petition.assignee_id else None
    return Reopened(petition, deadlines, assignee, [h for h in heads if h != assignee])
