"""The answer's road: a head signs what the law has a head sign, and a second complaint after.

A decision on a complaint and a conclusion on a denunciation are the competent head's, not the
drafting officer's (LEGAL §9): by default an officer's draft of either waits, as an event, for
the head of the commune's People's Committee; a unit's `sign_off` in the organisation file
narrows or widens the kinds. A head of the unit or of a unit above answers directly. Only the
latest draft can be approved, so an old button cannot send a text the officer has since replaced;
the approval is an event, and the answer the citizen receives names the head and the day. A
complainant unhappy with the first decision files a second complaint to the level above, linked
to the first (LKN Art. 33), within the window the answer printed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from bot.core import FileRef
from bot.domain.org import SIGN_OFF
from bot.domain.petition import PetitionKind, PetitionState, outcomes_for
from bot.domain.workflow import Action, next_state
from bot.environment import Environment
from bot.i18n import LOCAL_TZ, N_
from bot.ports import OfficerView, PetitionDetail, Store
from bot.services.access import unit_chain
from bot.services.filing import Draft, Filed, file_petition
from bot.services.refusal import Refused
from bot.services.workflow import (
    AnswerSent,
    NotAllowed,
    answer_petition,
    check_action,
)

PROPOSED, APPROVED, RETURNED = "answer_proposed", "answer_approved", "answer_returned"


def head_over(env: Environment, officer: OfficerView, petition: PetitionDetail) -> bool:
    """A head of the petition's unit or of a unit above: they sign their own answers."""
    return "head" in officer.roles and officer.unit in unit_chain(env.org, petition.unit)


def needs_approval(env: Environment, officer: OfficerView, petition: PetitionDetail) -> bool:
    """The unit has a head sign answers of this kind, and the officer is not a head over it."""
    if petition.summary.kind not in env.org.units[petition.unit].sign_off:
        return False
    return not head_over(env, officer, petition)


async def signers(
    store: Store, env: Environment, petition: PetitionDetail, author: OfficerView
) -> list[OfficerView]:
    """Whom a draft goes to. A complaint decision or a denunciation conclusion goes to the head
    of the People's Committee that decides it: the commune's chairman for a unit of a commune
    (LKN Art. 18; LTC Art. 13), the unit's own head above communes. Other kinds go to the
    unit's heads. Where a unit has no head, the nearest unit above that has one; among a
    committee's heads its chairman, its deputies («Phó …») only when it has no other."""
    start = petition.unit
    if petition.summary.kind in SIGN_OFF:
        commune = env.org.commune_of(petition.unit)
        start = commune.code if commune is not None else start
    for unit in unit_chain(env.org, start):
        heads = [h for h in await store.heads_of(unit) if h.id != author.id]
        if heads:
            chiefs = [h for h in heads if not h.title.strip().casefold().startswith("phó")]
            return chiefs or heads
    return []


@dataclass(frozen=True)
class AnswerProposed:
    """A draft answer waiting for a head."""

    petition: PetitionDetail
    proposal_id: int
    heads: list[OfficerView]


@dataclass(frozen=True)
class Approval:
    """Who signed an officer's draft, and when: the citizen's answer names them."""

    name: str
    title: str
    at: datetime


async def propose_answer(
    store: Store,
    env: Environment,
    petition_id: int,
    officer: OfficerView,
    text: str,
    files: tuple[FileRef, ...],
    channel: str,
    now: datetime,
    outcome: str | None = None,
) -> AnswerProposed | AnswerSent:
    """Send the answer with its document (the first file), or hold it for a head where the
    unit has a head sign answers of its kind (`needs_approval`)."""
    petition = await check_action(store, env, petition_id, officer, Action.ANSWER)
    document = files[0] if files else None
    if not needs_approval(env, officer, petition):
        return await answer_petition(
            store, env, petition_id, officer, text, now, document, channel, outcome
        )
    required = outcomes_for(petition.summary.kind, petition.case.instance)
    if (outcome or None) not in (set(required) if required else {None}):
        raise NotAllowed(f"outcome {outcome!r} for petition {petition_id}")
    payload = {
        "document": dataclasses.asdict(document) if document else None,
        "channel": channel,
        "outcome": outcome,
    }
    proposal_id = await store.add_event(
        petition_id, f"officer:{officer.handle}", PROPOSED, text, payload, now
    )
    return AnswerProposed(petition, proposal_id, await signers(store, env, petition, officer))


@dataclass(frozen=True)
class AnswerDecided:
    """A head's decision on a draft: the answer sent and its approval, or the draft returned
    to its author."""

    petition: PetitionDetail
    author: OfficerView | None
    sent: AnswerSent | None
    approval: Approval | None = None


async def decide_answer(
    store: Store,
    env: Environment,
    petition_id: int,
    proposal_id: int,
    head: OfficerView,
    approve: bool,
    reason: str | None,
    now: datetime,
) -> AnswerDecided:
    """Approve (the answer goes out under the head's authority) or return it with a reason.
    Only a head of the petition's unit or of a unit above decides: one who answers directly."""
    petition = await check_action(store, env, petition_id, head, Action.ANSWER)
    if not head_over(env, head, petition):
        raise NotAllowed(f"{head.handle} is not a head over {petition.unit}")
    latest = await store.last_event(petition_id, {PROPOSED, APPROVED, RETURNED})
    if latest is None or latest.id != proposal_id or latest.action != PROPOSED:
        raise NotAllowed(f"proposal {proposal_id} on petition {petition_id} is not the open one")
    author_handle = latest.actor.removeprefix("officer:")
    author = await store.officer_by_handle(author_handle)
    if not approve:
        await store.add_event(
            petition_id, f"officer:{head.handle}", RETURNED, reason, {"proposal": proposal_id}, now
        )
        return AnswerDecided(petition, author, None)
    document = latest.payload.get("document")
    sent = await answer_petition(
        store,
        env,
        petition_id,
        head,
        latest.reason or "",
        now,
        FileRef(**document) if document else None,
        str(latest.payload.get("channel", "")),
        latest.payload.get("outcome"),
    )
    await store.add_event(
        petition_id,
        f"officer:{head.handle}",
        APPROVED,
        None,
        {"proposal": proposal_id, "author": author_handle},
        now,
    )
    return AnswerDecided(petition, author, sent, Approval(head.name, head.title, now))


class SecondComplaintRefused(Refused):
    """The second complaint cannot be filed here; `reason` names the message to show."""


async def second_complaint_window(store: Store, petition: PetitionDetail) -> date | None:
    """The last day to file a second complaint, as the first answer printed it."""
    answer = await store.last_event(petition.summary.id, {Action.ANSWER.value})
    until = answer.payload.get("second_complaint_until") if answer else None
    return date.fromisoformat(until) if until else None


@dataclass(frozen=True)
class Appealed:
    """The second complaint as filed, and the draft it was filed from (for the notices)."""

    filed: Filed
    draft: Draft


async def file_second_complaint(
    store: Store,
    env: Environment,
    first_id: int,
    citizen_id: int,
    content: str,
    files: tuple[FileRef, ...],
    channel: str,
    now: datetime,
) -> Appealed:
    """Khiếu nại lần hai: to the head of the level above, linked to the first, on kn2 dates."""
    first = await store.petition(first_id)
    if (
        first is None
        or first.citizen_id != citizen_id
        or first.summary.kind != PetitionKind.COMPLAINT
        or first.case.instance != 1
    ):
        raise NotAllowed(f"citizen {citizen_id} appealing petition {first_id}")
    next_state(PetitionState(first.summary.state), Action.APPEAL, PetitionKind.COMPLAINT)
    until = await second_complaint_window(store, first)
    if until is None or now.astimezone(LOCAL_TZ).date() > until:
        raise SecondComplaintRefused(N_("appeal.refused.late"))
    commune = env.org.commune_of(first.unit)
    if commune is None or commune.parent is None:
        raise SecondComplaintRefused(N_("appeal.refused.outside"))
    draft = Draft(
        kind=PetitionKind.COMPLAINT,
        field=first.summary.field,
        commune=commune.code,
        area=first.area,
        place_note=first.place_note,
        latitude=first.latitude,
        longitude=first.longitude,
        content=content,
        attachments=files,
        name=first.filer_name,
        phone=first.filer_phone,
        address=first.filer_address,
        anonymous=False,
        instance=2,
        parent_id=first.summary.id,
        unit=commune.parent,
    )
    filed = await file_petition(
        store, env.org, env.rulebook, env.calendar, draft, citizen_id, channel, now
    )
    await store.set_state(first_id, PetitionState.APPEALED, now)
    await store.add_event(first_id, "citizen", Action.APPEAL, None, {"second": filed.code}, now)
    return Appealed(filed, draft)
