"""Officer actions on a petition, each checked, recorded as an event, and told to the citizen."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from bot.core import FileRef, Recipient
from bot.domain.deadlines import due_date
from bot.domain.petition import Case, PetitionKind, PetitionState, outcomes_for
from bot.domain.refusals import RefusalReason, reason
from bot.domain.routing import pick_officer
from bot.domain.workflow import Action, next_state
from bot.environment import Environment
from bot.i18n import LOCAL_TZ
from bot.ports import DeadlineView, OfficerView, PetitionDetail, Store
from bot.services.access import may_act
from bot.services.filing import schedule_reminders

# The deadlines that acceptance meets: the letter has been handled (LEGAL §3).
ACCEPTANCE_RULES = frozenset({"kn1.accept", "kn2.accept", "tc.initial", "don.process"})
# The deadlines that telling the filer of the acceptance meets (LTC Art. 29): the bot tells them
# in the same step when they filed in chat.
NOTICE_RULES = frozenset({"tc.notify"})


def case_due_date(
    env: Environment, rule_id: str, start: date, case: Case, extensions: int = 0
) -> date:
    """A rule's due date for this petition's case: remote area and complexity lengthen some."""
    return due_date(
        env.rulebook,
        rule_id,
        start,
        calendar=env.calendar,
        complex=case.complex,
        especially_complex=case.especially_complex,
        remote=case.remote_area,
        extensions=extensions,
    )


async def citizen_of(store: Store, petition: PetitionDetail) -> Recipient | None:
    """The chat where the filer of a petition is told what happens to it."""
    return await store.citizen_chat(petition.citizen_id) if petition.citizen_id else None


class NotAllowed(Exception):
    """This officer may not act on this petition; nothing was changed."""


@dataclass(frozen=True)
class Accepted:
    """What the officer and the citizen are told after thụ lý."""

    petition: PetitionDetail
    deadlines: tuple[DeadlineView, ...]  # every date now running: new ones and carried ones
    citizen: Recipient | None


async def accept_petition(
    store: Store, env: Environment, petition_id: int, officer: OfficerView, now: datetime
) -> Accepted:
    """Thụ lý: start the resolution clock; raise NotAllowed or TransitionRefused otherwise."""
    petition = await check_action(store, env, petition_id, officer, Action.ACCEPT)
    kind = PetitionKind(petition.summary.kind)
    state = PetitionState.ACCEPTED
    accepted_on = now.astimezone(LOCAL_TZ).date()
    case = petition.case
    deadlines = tuple(
        DeadlineView(rule_id, case_due_date(env, rule_id, accepted_on, case))
        for rule_id in env.rulebook.kinds[kind].acceptance(case.instance)
    )
    await store.set_state(petition_id, state, now)
    await store.settle_deadlines(petition_id, set(ACCEPTANCE_RULES), "met")
    await store.add_deadlines(
        petition_id, [(d.rule_id, accepted_on, d.due_date) for d in deadlines]
    )
    citizen = await citizen_of(store, petition)
    if citizen is not None:  # the acceptance notice goes out with this action
        await store.settle_deadlines(petition_id, set(NOTICE_RULES), "met")
    still_open = tuple(d for d in deadlines if citizen is None or d.rule_id not in NOTICE_RULES)
    await schedule_reminders(store, env.calendar, petition_id, accepted_on, still_open)
    await store.add_event(
        petition_id, f"officer:{officer.handle}", Action.ACCEPT, None, {"state": state}, now
    )
    # A kiến nghị's answer period runs from receipt, not from acceptance: it carries on, and the
    # citizen and the officer are told it too.
    carried = tuple(
        DeadlineView(d.rule_id, d.due_date)
        for d in petition.summary.deadlines
        if d.status == "open" and d.rule_id not in ACCEPTANCE_RULES | NOTICE_RULES
    )
    # The notice the citizen reads now meets its own deadline: they are not shown it.
    return Accepted(petition, still_open + carried, citizen)


@dataclass(frozen=True)
class Refused:
    """What the citizen is told after không thụ lý."""

    petition: PetitionDetail
    reason: RefusalReason
    citizen: Recipient | None


async def check_action(
    store: Store, env: Environment, petition_id: int, officer: OfficerView, action: Action
) -> PetitionDetail:
    """The petition, if this officer may take this action on it now; raise otherwise."""
    petition = await store.petition(petition_id)
    if petition is None or not may_act(env.org, officer, petition):
        raise NotAllowed(f"{officer.handle} on petition {petition_id}")
    next_state(PetitionState(petition.summary.state), action, PetitionKind(petition.summary.kind))
    return petition


async def refuse_petition(
    store: Store,
    env: Environment,
    petition_id: int,
    officer: OfficerView,
    reason_code: str,
    note: str,
    now: datetime,
) -> Refused:
    """Không thụ lý, with a legal reason and where to go instead; the citizen is told."""
    petition = await check_action(store, env, petition_id, officer, Action.REFUSE)
    kind = PetitionKind(petition.summary.kind)
    chosen = reason(reason_code, kind)
    if chosen is None:
        raise NotAllowed(f"reason {reason_code} does not apply to a {kind}")
    await store.set_state(petition_id, PetitionState.REFUSED, now)
    await store.settle_deadlines(petition_id, set(ACCEPTANCE_RULES), "met")
    await store.add_event(
        petition_id,
        f"officer:{officer.handle}",
        Action.REFUSE,
        note,
        {"reason": chosen.code, "basis": chosen.basis},
        now,
    )
    citizen = await citizen_of(store, petition)
    return Refused(petition, chosen, citizen)


@dataclass(frozen=True)
class Closed:
    """A petition ended by guidance or by forwarding outside the system."""

    petition: PetitionDetail
    citizen: Recipient | None


async def end_with_note(
    store: Store,
    env: Environment,
    petition_id: int,
    officer: OfficerView,
    action: Action,
    note: str,
    now: datetime,
) -> Closed:
    """Hướng dẫn or chuyển đơn ra ngoài: the petition ends here; the note says where to go."""
    if action not in {Action.GUIDE, Action.FORWARD}:
        raise ValueError(action)
    petition = await check_action(store, env, petition_id, officer, action)
    state = next_state(
        PetitionState(petition.summary.state), action, PetitionKind(petition.summary.kind)
    )
    await store.set_state(petition_id, state, now)
    await store.settle_deadlines(petition_id, set(ACCEPTANCE_RULES), "met")
    await store.add_event(petition_id, f"officer:{officer.handle}", action, note, {}, now)
    citizen = await citizen_of(store, petition)
    return Closed(petition, citizen)


@dataclass(frozen=True)
class Rerouted:
    """A petition sent to another unit of the system, with its new officer."""

    petition: PetitionDetail
    unit: str
    assignee: OfficerView | None
    citizen: Recipient | None


async def reroute_petition(
    store: Store,
    env: Environment,
    petition_id: int,
    officer: OfficerView,
    unit: str,
    now: datetime,
) -> Rerouted:
    """Chuyển đơn trong hệ thống: another unit takes it, its officer is chosen as at filing."""
    petition = await check_action(store, env, petition_id, officer, Action.REROUTE)
    if unit not in env.org.units or unit == petition.unit:
        raise NotAllowed(f"cannot reroute petition {petition_id} to {unit}")
    kind = PetitionKind(petition.summary.kind)
    chosen = pick_officer(
        env.org, unit, kind, await store.open_load(unit), await store.reachable_officers(unit)
    )
    await store.reassign(petition_id, unit, chosen.handle if chosen else None)
    await store.add_event(
        petition_id,
        f"officer:{officer.handle}",
        Action.REROUTE,
        None,
        {"from": petition.unit, "to": unit},
        now,
    )
    assignee = await store.officer_by_handle(chosen.handle) if chosen else None
    citizen = await citizen_of(store, petition)
    return Rerouted(petition, unit, assignee, citizen)


@dataclass(frozen=True)
class Asked:
    """An officer's question, on its way to the citizen."""

    petition: PetitionDetail
    citizen: Recipient | None


async def ask_citizen(
    store: Store,
    env: Environment,
    petition_id: int,
    officer: OfficerView,
    question: str,
    now: datetime,
) -> Asked:
    """The officer needs something from the citizen: the petition waits for the answer."""
    petition = await check_action(store, env, petition_id, officer, Action.ASK_CITIZEN)
    await store.set_state(petition_id, PetitionState.WAITING_CITIZEN, now)
    await store.add_event(
        petition_id, f"officer:{officer.handle}", Action.ASK_CITIZEN, question, {}, now
    )
    citizen = await citizen_of(store, petition)
    return Asked(petition, citizen)


@dataclass(frozen=True)
class Answered:
    """The citizen's answer, on its way to the officer."""

    petition: PetitionDetail
    assignee: OfficerView | None


async def record_citizen_answer(
    store: Store,
    petition_id: int,
    citizen_id: int,
    channel: str,
    text: str,
    files: tuple[FileRef, ...],
    now: datetime,
) -> Answered:
    """The answer and its files join the petition, which goes back to work."""
    petition = await store.petition(petition_id)
    if petition is None or petition.citizen_id != citizen_id:
        raise NotAllowed(f"citizen {citizen_id} answering petition {petition_id}")
    state = next_state(
        PetitionState(petition.summary.state),
        Action.CITIZEN_ANSWERED,
        PetitionKind(petition.summary.kind),
    )
    await store.set_state(petition_id, state, now)
    await store.add_attachments(petition_id, channel, files)
    await store.add_event(
        petition_id, "citizen", Action.CITIZEN_ANSWERED, text, {"files": len(files)}, now
    )
    assignee = await store.officer_by_id(petition.assignee_id) if petition.assignee_id else None
    return Answered(petition, assignee)


@dataclass(frozen=True)
class AnswerSent:
    """The answer the citizen receives, and for a complaint the second-complaint window."""

    petition: PetitionDetail
    text: str
    document: FileRef | None
    citizen: Recipient | None
    second_complaint_until: date | None


async def answer_petition(
    store: Store,
    env: Environment,
    petition_id: int,
    officer: OfficerView,
    text: str,
    now: datetime,
    document: FileRef | None = None,
    channel: str = "",
    outcome: str | None = None,
) -> AnswerSent:
    """The decision, conclusion or reply is sent: the open deadlines are met.

    A complaint or denunciation states its outcome (đúng, sai, đúng một phần; at second instance
    upheld or annulled): the report forms count them.
    """
    petition = await check_action(store, env, petition_id, officer, Action.ANSWER)
    required = outcomes_for(petition.summary.kind, petition.case.instance)
    if (outcome or None) not in (set(required) if required else {None}):
        raise NotAllowed(f"outcome {outcome!r} for petition {petition_id}")
    await store.set_state(petition_id, PetitionState.ANSWERED, now)
    if outcome:
        await store.record_outcome(petition_id, outcome)
    open_rules = {d.rule_id for d in petition.summary.deadlines if d.status == "open"}
    await store.settle_deadlines(petition_id, open_rules, "met")
    if document is not None:
        await store.add_attachments(petition_id, channel, (document,))
    window = None
    if petition.summary.kind == PetitionKind.COMPLAINT and petition.case.instance == 1:
        answered_on = now.astimezone(LOCAL_TZ).date()
        window = case_due_date(env, "kn2.file_window", answered_on, petition.case)
    await store.add_event(
        petition_id,
        f"officer:{officer.handle}",
        Action.ANSWER,
        text,
        {
            "document": document.name if document else None,
            "outcome": outcome,
            "second_complaint_until": window.isoformat() if window else None,
        },
        now,
    )
    citizen = await citizen_of(store, petition)
    return AnswerSent(petition, text, document, citizen, window)


async def rate_answer(
    store: Store, petition_id: int, citizen_id: int, score: int, now: datetime
) -> PetitionDetail:
    """The citizen's 1-5 on an answered petition, once; raise NotAllowed otherwise."""
    petition = await store.petition(petition_id)
    answered = {PetitionState.ANSWERED, PetitionState.CLOSED}
    if (
        petition is None
        or petition.citizen_id != citizen_id
        or PetitionState(petition.summary.state) not in answered
        or not 1 <= score <= 5
    ):
        raise NotAllowed(f"rating of petition {petition_id}")
    if not await store.record_rating(petition_id, score, now):
        raise NotAllowed(f"petition {petition_id} is rated already")
    await store.add_event(petition_id, "citizen", "rated", None, {"score": score}, now)
    return petition


RATING_REASONS = ("clear", "fast", "courteous", "slow", "unclear", "not_solved")


async def explain_rating(
    store: Store, petition_id: int, citizen_id: int, reason: str, comment: str | None
) -> None:
    """The reason (from the short list) and the citizen's words, added to their rating once."""
    petition = await store.petition(petition_id)
    if petition is None or petition.citizen_id != citizen_id or reason not in RATING_REASONS:
        raise NotAllowed(f"explaining the rating of petition {petition_id}")
    if not await store.explain_rating(petition_id, reason, comment):
        raise NotAllowed(f"petition {petition_id} has no rating to explain")


EXTENSION_RULE = "tc.resolve"  # LTC Art. 30: only the conclusion of a denunciation is extended
COMPLEXITIES = ("complex", "especially_complex")


@dataclass(frozen=True)
class ExtensionRequested:
    """An officer's request, waiting for a head's decision."""

    petition: PetitionDetail
    heads: list[OfficerView]


async def request_extension(
    store: Store,
    env: Environment,
    petition_id: int,
    officer: OfficerView,
    complexity: str,
    reason_text: str,
    now: datetime,
) -> ExtensionRequested:
    """Gia hạn: the resolver asks; the unit's heads decide (LTC Art. 30)."""
    petition = await check_action(store, env, petition_id, officer, Action.EXTEND)
    if complexity not in COMPLEXITIES:
        raise NotAllowed(f"complexity {complexity}")
    await store.add_event(
        petition_id,
        f"officer:{officer.handle}",
        "extension_requested",
        reason_text,
        {"complexity": complexity},
        now,
    )
    heads = [h for h in await store.heads_of(petition.unit) if h.id != officer.id]
    parent = env.org.units[petition.unit].parent
    if not heads and parent:
        heads = await store.heads_of(parent)
    return ExtensionRequested(petition, heads)


@dataclass(frozen=True)
class ExtensionDecided:
    """A head's decision; with the new date when approved."""

    petition: PetitionDetail
    approved: bool
    new_due: date | None
    citizen: Recipient | None
    assignee: OfficerView | None


async def decide_extension(
    store: Store,
    env: Environment,
    petition_id: int,
    head: OfficerView,
    complexity: str,
    approve: bool,
    now: datetime,
) -> ExtensionDecided:
    """A head approves (the deadline moves, the denouncer is told) or declines."""
    petition = await store.petition(petition_id)
    if petition is None or "head" not in head.roles or not may_act(env.org, head, petition):
        raise NotAllowed(f"{head.handle} deciding on petition {petition_id}")
    next_state(
        PetitionState(petition.summary.state), Action.EXTEND, PetitionKind(petition.summary.kind)
    )
    deadline = next(
        (
            d
            for d in petition.summary.deadlines
            if d.rule_id == EXTENSION_RULE and d.status == "open"
        ),
        None,
    )
    if deadline is None or deadline.start_date is None or complexity not in COMPLEXITIES:
        raise NotAllowed(f"no open {EXTENSION_RULE} deadline on petition {petition_id}")
    new_due = None
    if approve:
        extensions = deadline.extensions + 1
        case = dataclasses.replace(
            petition.case,
            complex=complexity == "complex",
            especially_complex=complexity == "especially_complex",
        )
        # raises TooManyExtensions beyond what the case allows
        new_due = case_due_date(env, EXTENSION_RULE, deadline.start_date, case, extensions)
        await store.extend_deadline(petition_id, EXTENSION_RULE, new_due, extensions, complexity)
        await store.set_state(petition_id, PetitionState.EXTENDED, now)
        await schedule_reminders(
            store,
            env.calendar,
            petition_id,
            now.astimezone(LOCAL_TZ).date(),
            (DeadlineView(EXTENSION_RULE, new_due),),
        )
    await store.add_event(
        petition_id,
        f"officer:{head.handle}",
        "extend" if approve else "extension_declined",
        None,
        {"due": new_due.isoformat() if new_due else None},
        now,
    )
    citizen = await citizen_of(store, petition)
    assignee = await store.officer_by_id(petition.assignee_id) if petition.assignee_id else None
    return ExtensionDecided(petition, approve, new_due, citizen if approve else None, assignee)
