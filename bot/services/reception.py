"""Tiếp công dân: an officer records a citizen's visit, and may write it down as a petition."""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from datetime import datetime

from bot.domain.org import Organisation
from bot.domain.petition import IDENTITY_NEEDS, PetitionKind, normalise_phone
from bot.domain.reception import (
    MAX_GROUP_SIZE,
    MAX_SUMMARY_CHARS,
    MIN_SUMMARY_CHARS,
    ReceptionKind,
    ReceptionOutcome,
)
from bot.environment import Environment
from bot.ports import NewReception, OfficerView, Store
from bot.services.access import unit_chain
from bot.services.filing import Draft, Filed, file_petition
from bot.services.workflow import NotAllowed

RECEPTION_ROLES = frozenset({"reception", "head"})
PEOPLES_COMMITTEES = frozenset({"commune", "province"})
CHANNEL = "reception"  # a petition written down at the office, not sent from a chat


@dataclass(frozen=True)
class Visit:
    """What the officer told the conversation about one visit."""

    kind: str  # ReceptionKind
    head_in_person: bool
    group_size: int
    field: str
    content: str
    outcome: str  # ReceptionOutcome
    visitor_name: str | None = None
    visitor_phone: str | None = None
    visitor_address: str | None = None
    petition_kind: str | None = None  # when the outcome is a petition
    accused: str | None = None  # for a denunciation: staff | leader | other


@dataclass(frozen=True)
class FiledOnBehalf:
    """The petition written down for the visitor, and its receipt."""

    draft: Draft
    filed: Filed


@dataclass(frozen=True)
class Recorded:
    """What the officer is told; the petition's code and dates when one was filed."""

    reception_id: int
    unit: str
    petition: FiledOnBehalf | None


def may_record(officer: OfficerView) -> bool:
    """Reception staff receive citizens every day, heads on their reception days (LEGAL §5)."""
    return bool(officer.roles & RECEPTION_ROLES)


def peoples_committee(org: Organisation, unit_code: str) -> str | None:
    """The People's Committee a unit works for: the nearest commune or province at or above it.

    An office's clerk receives citizens on behalf of the commune; the visit counts for the
    commune on the reception form.
    """
    return next(
        (code for code in unit_chain(org, unit_code) if org.units[code].kind in PEOPLES_COMMITTEES),
        None,
    )


async def record_reception(
    store: Store,
    env: Environment,
    officer: OfficerView,
    visit: Visit,
    now: datetime,
    citizen_id: int | None = None,
) -> Recorded:
    """Ghi sổ tiếp công dân: keep the visit, filing its petition when that was the outcome.

    A visitor who booked in chat (`citizen_id`) follows their petition there; others get the
    code on paper. Raise NotAllowed for an officer who does not receive citizens, and ValueError
    for a visit the conversation should not have let through.
    """
    unit = peoples_committee(env.org, officer.unit)
    if not may_record(officer) or unit is None:
        raise NotAllowed(f"{officer.handle} recording a reception")
    visit = checked(env.org, visit)
    petition = None
    if visit.outcome == ReceptionOutcome.PETITION:
        petition = await file_on_behalf(store, env, unit, visit, now, citizen_id)
    reception_id = await store.add_reception(
        NewReception(
            unit=unit,
            recorded_by=officer.id,
            received_at=now,
            kind=visit.kind,
            head_in_person=visit.head_in_person,
            group_size=visit.group_size,
            visitor_name=visit.visitor_name,
            visitor_phone=visit.visitor_phone,
            field=visit.field,
            content=visit.content,
            outcome=visit.outcome,
            petition_id=petition.filed.petition_id if petition else None,
        )
    )
    return Recorded(reception_id, unit, petition)


def checked(org: Organisation, visit: Visit) -> Visit:
    """The visit with its phone as 0XXXXXXXXX; ValueError for anything out of bounds."""
    ReceptionKind(visit.kind)
    ReceptionOutcome(visit.outcome)
    phone = normalise_phone(visit.visitor_phone) if visit.visitor_phone else None
    wrong = [
        name
        for name, is_wrong in (
            ("group_size", not 1 <= visit.group_size <= MAX_GROUP_SIZE),
            ("field", org.field(visit.field) is None),
            ("content", not MIN_SUMMARY_CHARS <= len(visit.content) <= MAX_SUMMARY_CHARS),
            ("phone", bool(visit.visitor_phone) and phone is None),
        )
        if is_wrong
    ]
    if wrong:
        raise ValueError(f"visit with a wrong {', '.join(wrong)}")
    return dataclasses.replace(visit, visitor_phone=phone)


async def file_on_behalf(
    store: Store,
    env: Environment,
    unit: str,
    visit: Visit,
    now: datetime,
    citizen_id: int | None = None,
) -> FiledOnBehalf:
    """Tiếp nhận đơn: the visit becomes a named petition, routed and dated as one sent in chat.

    A walk-in visitor has no chat (citizen_id None): the officer hands over the code on paper.
    """
    kind = PetitionKind(visit.petition_kind or "")  # ValueError when none was chosen
    needs = IDENTITY_NEEDS[kind]
    if not visit.visitor_name or (needs.address_required and not visit.visitor_address):
        raise ValueError(f"a {kind} needs the visitor's name and, for some kinds, address")
    draft = Draft(
        kind=kind.value,
        field=visit.field,
        commune=unit,
        area=None,
        place_note=None,
        latitude=None,
        longitude=None,
        content=visit.content,
        attachments=(),
        name=visit.visitor_name,
        phone=visit.visitor_phone,
        address=visit.visitor_address,
        anonymous=False,
        accused=visit.accused if kind is PetitionKind.DENUNCIATION else None,
        group_size=visit.group_size,
    )
    filed = await file_petition(
        store, env.org, env.rulebook, env.calendar, draft, citizen_id, CHANNEL, now
    )
    return FiledOnBehalf(draft, filed)
