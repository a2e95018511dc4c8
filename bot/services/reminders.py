"""What a deadline job says, and to whom (issue 3: reminders, then escalation).

`remind` goes to the assignee; `overdue` to the assignee and the unit's heads; `escalate` to the
heads of the unit above. A petition no longer open, or a deadline already met, says nothing.
A denouncer's identity is never part of these messages.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import date, datetime
from typing import Any

from bot.conversation import Environment
from bot.core import UNDELIVERED_NOTICE_JOB, Button, Outgoing, Reply
from bot.domain.org import Organisation
from bot.domain.petition import OPEN_STATES, PetitionState
from bot.i18n import LOCAL_TZ, N_, Catalogues, Translator
from bot.labels import kind_label, rule_label
from bot.ports import DeadlineView, OfficerView, PetitionDetail, Store
from bot.services.dialogues import ANNOUNCE, REMIND, session_job
from bot.services.reception_days import RECEPTION_DAY_REMINDER, remind_booking
from bot.services.reports import (
    REPORT_BUILD_JOB,
    REPORT_DUE_JOB,
    ReportFiles,
    prepare_report_build,
    prepare_report_due,
    report_build_failed,
    report_build_job,
    report_due_job,
)
from bot.services.undelivered import undelivered_notice_job

DIALOGUE_REMINDER = "dialogue.remind"
SESSION_JOBS = frozenset({ANNOUNCE, REMIND})

MESSAGES = {
    ("deadline.remind", "half"): N_("reminder.half"),
    ("deadline.remind", "3wd"): N_("reminder.soon"),
    ("deadline.remind", "due"): N_("reminder.due_today"),
    ("deadline.overdue", "overdue"): N_("reminder.overdue"),
    ("deadline.escalate", "escalate"): N_("reminder.escalate"),
}


class PrepareFailed:
    """A job's long reading failed at its last try: the job runs without what it would have read
    (a report: the officer is told; a report reminder: it goes without its draft)."""


PREPARE_FAILED = PrepareFailed()
PREPARE_TRIES = 3  # a try per lease (5 minutes)
Prepare = Callable[[Store, Environment, dict[str, str], datetime], Awaitable[Any]]
# Jobs that read for seconds (reports over the whole archive) do it first, on a read snapshot
# that never holds the database's writer; the job itself then only queues what was prepared.
PREPARED_JOBS: dict[str, Prepare] = {
    REPORT_BUILD_JOB: prepare_report_build,
    REPORT_DUE_JOB: prepare_report_due,
}


async def prepare_job(
    store: Store, env: Environment, kind: str, payload: dict[str, str], now: datetime
) -> Any:
    """A job's long reading (a kind of `PREPARED_JOBS`), on a snapshot, before its transaction."""
    return await PREPARED_JOBS[kind](store, env, payload, now)


async def run_job(
    store: Store,
    env: Environment,
    kind: str,
    payload: dict[str, str],
    petition_id: int | None,
    now: datetime,
    prepared: Any = None,
) -> list[Outgoing]:
    """The messages one scheduled job sends (with what `prepare_job` gave for it, if anything)."""
    org, catalogues = env.org, env.catalogues
    if kind == REPORT_BUILD_JOB:
        if prepared is PREPARE_FAILED:
            return await report_build_failed(store, env, payload)
        files = prepared if isinstance(prepared, ReportFiles) else None
        return await report_build_job(store, env, payload, now, files)
    if kind == REPORT_DUE_JOB:
        drafts = None if prepared is PREPARE_FAILED else prepared
        return await report_due_job(store, env, payload, now, drafts)
    if kind == UNDELIVERED_NOTICE_JOB:
        return await undelivered_notice_job(store, env, payload, petition_id)
    if kind == DIALOGUE_REMINDER:
        return await dialogue_reminder(store, catalogues, payload, petition_id)
    if kind == RECEPTION_DAY_REMINDER:
        return await remind_booking(store, catalogues, payload, now)
    if kind in SESSION_JOBS:
        return await session_job(store, org, catalogues, kind, payload, now)
    return await deadline_job(store, org, catalogues, kind, payload, petition_id, now)


async def dialogue_reminder(
    store: Store, catalogues: Catalogues, payload: dict[str, str], petition_id: int | None
) -> list[Outgoing]:
    """The day before a dialogue: the complainant and the officer, unless it was moved or held."""
    petition = await store.petition(petition_id) if petition_id else None
    if petition is None or petition.summary.state != PetitionState.DIALOGUE:
        return []
    latest = await store.last_event(petition.summary.id, {"hold_dialogue"})
    if latest is None or latest.payload.get("at") != payload.get("at"):
        return []  # rescheduled since: the newer invitation has its own reminder
    at = datetime.fromisoformat(payload["at"])
    place, code = payload.get("place", ""), petition.summary.code
    filer = await store.citizen_chat(petition.citizen_id) if petition.citizen_id else None
    chats = [filer] if filer is not None else []
    assignee = await _assignee(store, petition)
    if assignee is not None:
        chats += await store.officer_chats(assignee.id)
    outgoing = []
    for chat in chats:
        t = catalogues.get(await store.locale_of(chat))
        text = t("dialogue.reminder", code=code, time=t.datetime(at), place=place)
        about = petition.summary.id if chat == filer else None  # the filer must be told
        outgoing.append(Outgoing(chat, Reply(text, about=about)))
    return outgoing


async def deadline_job(
    store: Store,
    org: Organisation,
    catalogues: Catalogues,
    kind: str,
    payload: dict[str, str],
    petition_id: int | None,
    now: datetime,
) -> list[Outgoing]:
    """The messages one deadline job sends (none if there is nothing left to say)."""
    message_id = MESSAGES.get((kind, payload.get("point", "")))
    petition = await store.petition(petition_id) if petition_id else None
    if message_id is None or petition is None:
        return []
    # A reopened petition has its rule twice, the old period met and the new one open.
    deadline = next(
        (
            d
            for d in petition.summary.deadlines
            if d.rule_id == payload.get("rule_id") and d.status == "open"
        ),
        None,
    )
    if deadline is None:
        return []
    if PetitionState(petition.summary.state) not in OPEN_STATES:
        return []
    if payload.get("due", deadline.due_date.isoformat()) != deadline.due_date.isoformat():
        return []  # planned for a date an extension has since moved
    if _superseded(kind, payload.get("point", ""), deadline.due_date, now):
        return []
    outgoing = []
    for officer in await _recipients(store, org, kind, petition):
        for chat in await store.officer_chats(officer.id):
            t = catalogues.get(await store.locale_of(chat))
            outgoing.append(Outgoing(chat, _reply(t, message_id, org, petition, deadline, now)))
    return outgoing


def _superseded(kind: str, point: str, due: date, now: datetime) -> bool:
    """A reminder caught up late (after downtime) whose moment has passed says nothing.

    "Three days left" after the due day would mislead; the overdue notice speaks instead.
    """
    if kind != "deadline.remind":
        return False
    today = now.astimezone(LOCAL_TZ).date()
    return today > due or (point != "due" and today >= due)


async def _recipients(
    store: Store, org: Organisation, kind: str, petition: PetitionDetail
) -> list[OfficerView]:
    assignee = await _assignee(store, petition)
    if kind == "deadline.remind":
        return [assignee] if assignee else []
    if kind == "deadline.overdue":
        heads = await store.heads_of(petition.unit)
        return ([assignee] if assignee else []) + [h for h in heads if h != assignee]
    parent = org.units[petition.unit].parent
    return await store.heads_of(parent) if parent else await store.heads_of(petition.unit)


async def _assignee(store: Store, petition: PetitionDetail) -> OfficerView | None:
    if petition.assignee_id is None:
        return None
    return await store.officer_by_id(petition.assignee_id)


def _reply(
    t: Translator,
    message_id: str,
    org: Organisation,
    petition: PetitionDetail,
    deadline: DeadlineView,
    now: datetime,
) -> Reply:
    today: date = now.astimezone(LOCAL_TZ).date()
    text = t(
        message_id,
        code=petition.summary.code,
        kind=kind_label(t, petition.summary.kind),
        what=rule_label(t, deadline.rule_id),
        date=t.date(deadline.due_date),
        days=abs((deadline.due_date - today).days),
        unit=org.units[petition.unit].name,
    )
    return Reply(text, ((Button(t("officer.open"), f"op:{petition.summary.id}"),),))
