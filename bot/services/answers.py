"""The answer's road: a head's approval where the unit requires it, and a second complaint after.

An answer drafted by an officer of a unit with `answer_approval` waits, as an event, for one of
the unit's heads; only the latest draft can be approved, so an old button cannot send a text the
officer has since replaced. A complainant unhappy with the first decision files a second complaint
to the level above, linked to the first (LKN Art. 33), within the window the answer printed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import date, datetime

from bot.core import FileRef
from bot.domain.petition import PetitionKind, PetitionState, outcomes_for
from bot.domain.workflow import Action, next_state
from bot.environment import Environment
from bot.i18n import LOCAL_TZ, N_
from bot.ports import OfficerView, PetitionDetail, Store
from bot.services.access import unit_chain
from bot.services.filing import Draft, Filed, file_petition
from bot.services.workflow import (
    AnswerSent,
    NotAllowed,
    answer_petition,
    check_action,
)

PROPOSED, APPROVED, RETURNED = "answer_proposed", "answer_approved", "answer_returned"


def needs_approval(env: Environment, officer: OfficerView, petition: PetitionDetail) -> bool:
    """The unit wants a head's approval, and the officer is not a head of it or above."""
    if not env.org.units[petition.unit].answer_approval:
        return False
    return not ("head" in officer.roles and officer.unit in unit_chain(env.org, petition.unit))


@dataclass(frozen=True)
class AnswerProposed:
    """A draft answer waiting for a head."""

    petition: PetitionDetail
    proposal_id: int
    heads: list[OfficerView]


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
    unit requires approval."""
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
    heads = [h for h in await store.heads_of(petition.unit) if h.id != officer.id]
    parent = env.org.units[petition.unit].parent
    if not heads and parent:
        heads = await store.heads_of(parent)
    return AnswerProposed(petition, proposal_id, heads)


@dataclass(frozen=True)
class AnswerDecided:
    """A head's decision on a draft: the answer sent, or the draft returned to its author."""

    petition: PetitionDetail
    author: OfficerView | None
    sent: AnswerSent | None


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
    """Approve (the answer goes out under the head's authority) or return it with a reason."""
    petition = await check_action(store, env, petition_id, head, Action.ANSWER)
    if "head" not in head.roles:
        raise NotAllowed(f"{head.handle} is not a head")
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
        petition_id, f"officer:{head.handle}", APPROVED, None, {"proposal": proposal_id}, now
    )
    return AnswerDecided(petition, author, sent)


class SecondComplaintRefused(ValueError):
    """The second complaint cannot be filed here; `reason` names the message to show."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


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
