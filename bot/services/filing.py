"""File a petition: route it, number it, set its statutory dates, store it."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, time

from bot.core import FileRef
from bot.domain.calendar import WorkingCalendar
from bot.domain.deadlines import RuleBook, due_date
from bot.domain.org import OfficerRecord, Organisation
from bot.domain.petition import IDENTITY_NEEDS, PetitionKind, format_code
from bot.domain.reminders import plan_reminders
from bot.domain.routing import pick_officer, route_unit
from bot.i18n import LOCAL_TZ
from bot.ports import DeadlineView, NewPetition, Store

OFFICE_DAY_STARTS = time(7, 30)


@dataclass(frozen=True)
class Draft:
    """What the citizen told us, checked by the conversation."""

    kind: str
    field: str
    commune: str
    area: str | None
    place_note: str | None
    latitude: float | None
    longitude: float | None
    content: str
    attachments: tuple[FileRef, ...]
    name: str | None
    phone: str | None
    address: str | None
    anonymous: bool
    accused: str | None = None  # for a denunciation: staff | leader | other
    instance: int = 1  # 2: a second complaint (LKN Art. 33)
    parent_id: int | None = None  # the first complaint, for a second one
    unit: str | None = None  # set when the law names the unit (a second complaint)
    dialogue_id: int | None = None  # raised at a dialogue session
    group_size: int = 1  # people who came in person together (tiếp công dân)


@dataclass(frozen=True)
class Filed:
    """The receipt's facts."""

    petition_id: int
    code: str
    unit: str
    assignee: OfficerRecord | None
    received_on: date
    deadlines: tuple[DeadlineView, ...]


def receipt_deadlines(
    rulebook: RuleBook, calendar: WorkingCalendar, kind: str, received_on: date, instance: int = 1
) -> tuple[DeadlineView, ...]:
    """The dates the law sets from the day a petition of this kind is received."""
    return tuple(
        DeadlineView(rule_id, due_date(rulebook, rule_id, received_on, calendar=calendar))
        for rule_id in rulebook.kinds[kind].receipt(instance)
    )


async def file_petition(
    store: Store,
    org: Organisation,
    rulebook: RuleBook,
    calendar: WorkingCalendar,
    draft: Draft,
    citizen_id: int | None,
    channel: str,
    now: datetime,
) -> Filed:
    """Tiếp nhận đơn: route, number, date and store a confirmed draft in the open transaction."""
    kind = PetitionKind(draft.kind)
    unit = draft.unit or route_unit(org, draft.commune, kind, draft.field, draft.accused)
    assignee = pick_officer(
        org, unit, kind, await store.open_load(unit), await store.reachable_officers(unit)
    )
    received_on = now.astimezone(LOCAL_TZ).date()
    number = await store.next_petition_number(org.prefix_of(unit), received_on.year)
    code = format_code(org.prefix_of(unit), received_on.year, number)
    deadlines = receipt_deadlines(rulebook, calendar, kind, received_on, draft.instance)
    keep_identity = not (draft.anonymous and IDENTITY_NEEDS[kind].anonymous_allowed)
    petition_id = await store.add_petition(
        NewPetition(
            code=code,
            kind=kind,
            field=draft.field,
            unit=unit,
            area=draft.area,
            assignee_handle=assignee.handle if assignee else None,
            citizen_id=citizen_id,
            content=draft.content,
            place_note=draft.place_note,
            latitude=draft.latitude,
            longitude=draft.longitude,
            anonymous=not keep_identity,
            filer_name=draft.name if keep_identity else None,
            filer_phone=draft.phone if keep_identity else None,
            filer_address=draft.address if keep_identity else None,
            channel=channel,
            received_at=now,
            attachments=draft.attachments,
            deadlines=tuple((d.rule_id, received_on, d.due_date) for d in deadlines),
            event_payload={"unit": unit, "assignee": assignee.handle if assignee else None},
            group_size=draft.group_size,
            instance=draft.instance,
            parent_id=draft.parent_id,
            dialogue_id=draft.dialogue_id,
        )
    )
    await schedule_reminders(store, calendar, petition_id, received_on, deadlines)
    return Filed(petition_id, code, unit, assignee, received_on, deadlines)


async def schedule_reminders(
    store: Store,
    calendar: WorkingCalendar,
    petition_id: int,
    start: date,
    deadlines: tuple[DeadlineView, ...],
) -> None:
    """Plan each deadline's reminders and escalations as jobs, at the start of the office day."""
    for deadline in deadlines:
        for reminder in plan_reminders(start, deadline.due_date, calendar):
            await store.schedule(
                f"deadline.{reminder.kind}",
                datetime.combine(reminder.on, OFFICE_DAY_STARTS, LOCAL_TZ),
                {
                    "rule_id": deadline.rule_id,
                    "point": reminder.point,
                    "due": deadline.due_date.isoformat(),
                },
                petition_id,
            )
