"""What a deadline job says, and to whom (issue 3: reminders, then escalation).

`remind` goes to the assignee; `overdue` to the assignee and the unit's heads; `escalate` to the
heads of the unit above. A petition no longer open, or a deadline already met, says nothing.
A denouncer's identity is never part of these messages.

The kinds of other features are declared here too, for modules that do not declare their own
yet (reports, undelivered notices, reception days, a complaint's dialogue).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime

from bot.buttons import OpenPetition
from bot.core import UNDELIVERED_NOTICE_JOB, Button, Outgoing, Reply
from bot.domain.org import Organisation
from bot.domain.petition import OPEN_STATES, PetitionState
from bot.environment import Environment
from bot.i18n import LOCAL_TZ, N_, Translator
from bot.jobs import PREPARE_FAILED, DueJob, JobKinds
from bot.labels import kind_label, rule_label
from bot.ports import DeadlineView, OfficerView, PetitionDetail, Store
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
# The deadline kinds (`bot.services.filing.schedule_reminders` names them from the plan).
REMIND, OVERDUE, ESCALATE = "deadline.remind", "deadline.overdue", "deadline.escalate"
# What each deadline kind says, by the point of the period it falls on.
MESSAGES = {
    (REMIND, "half"): N_("reminder.half"),
    (REMIND, "3wd"): N_("reminder.soon"),
    (REMIND, "due"): N_("reminder.due_today"),
    (OVERDUE, "overdue"): N_("reminder.overdue"),
    (ESCALATE, "escalate"): N_("reminder.escalate"),
}

jobs: JobKinds[Environment] = JobKinds()


@dataclass(frozen=True)
class DeadlineNotice:
    """What a deadline job is about, still to be said: its message, petition and deadline."""

    message_id: str
    petition: PetitionDetail
    deadline: DeadlineView


@jobs.kind(REMIND)
async def remind_assignee(job: DueJob[Environment]) -> list[Outgoing]:
    """Half the period gone, three working days left, due today: the assignee is reminded."""
    notice = await _still_to_say(job, REMIND)
    if notice is None or _moment_passed(job, notice.deadline.due_date):
        return []
    assignee = await _assignee(job.store, notice.petition)
    return await _tell(job, notice, [assignee] if assignee else [])


@jobs.kind(OVERDUE)
async def tell_overdue(job: DueJob[Environment]) -> list[Outgoing]:
    """The due day has passed: the assignee and the unit's heads are told."""
    notice = await _still_to_say(job, OVERDUE)
    if notice is None:
        return []
    assignee = await _assignee(job.store, notice.petition)
    heads = await job.store.heads_of(notice.petition.unit)
    return await _tell(
        job, notice, ([assignee] if assignee else []) + [h for h in heads if h != assignee]
    )


@jobs.kind(ESCALATE)
async def escalate(job: DueJob[Environment]) -> list[Outgoing]:
    """Still overdue days later: the heads of the unit above (the unit's own, at the top)."""
    notice = await _still_to_say(job, ESCALATE)
    if notice is None:
        return []
    unit = notice.petition.unit
    parent = job.env.org.units[unit].parent
    return await _tell(job, notice, await job.store.heads_of(parent or unit))


@jobs.kind(DIALOGUE_REMINDER)
async def dialogue_reminder(job: DueJob[Environment]) -> list[Outgoing]:
    """The day before a dialogue: the complainant and the officer, unless it was moved or held."""
    store, payload = job.store, job.payload
    petition = await store.petition(job.petition_id) if job.petition_id else None
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
        t = job.env.catalogues.get(await store.locale_of(chat))
        text = t("dialogue.reminder", code=code, time=t.datetime(at), place=place)
        about = petition.summary.id if chat == filer else None  # the filer must be told
        outgoing.append(Outgoing(chat, Reply(text, about=about)))
    return outgoing


@jobs.kind(REPORT_BUILD_JOB, prepare=prepare_report_build)
async def build_report(job: DueJob[Environment]) -> list[Outgoing]:
    """A report asked for in chat: its files, or word that they could not be made."""
    if job.prepared is PREPARE_FAILED:
        return await report_build_failed(job.store, job.env, job.payload)
    files = job.prepared if isinstance(job.prepared, ReportFiles) else None
    return await report_build_job(job.store, job.env, job.payload, job.now, files)


@jobs.kind(REPORT_DUE_JOB, prepare=prepare_report_due)
async def reports_coming_due(job: DueJob[Environment]) -> list[Outgoing]:
    """The daily check of reports coming due, their drafts attached when they could be made."""
    drafts = None if job.prepared is PREPARE_FAILED else job.prepared
    return await report_due_job(job.store, job.env, job.payload, job.now, drafts)


@jobs.kind(UNDELIVERED_NOTICE_JOB)
async def undelivered_notice(job: DueJob[Environment]) -> list[Outgoing]:
    """The citizen could not be told: the petition's officers are."""
    return await undelivered_notice_job(job.store, job.env, job.payload, job.petition_id)


@jobs.kind(RECEPTION_DAY_REMINDER)
async def reception_day_reminder(job: DueJob[Environment]) -> list[Outgoing]:
    """Before a booked reception-day slot: the citizen who booked it."""
    return await remind_booking(job.store, job.env.catalogues, job.payload, job.now)


async def _still_to_say(job: DueJob[Environment], kind: str) -> DeadlineNotice | None:
    """The notice a deadline job gives, if it still has one to give: a point this kind speaks
    of, a petition still open, its deadline still open and still due on the planned date."""
    message_id = MESSAGES.get((kind, job.payload.get("point", "")))
    petition = await job.store.petition(job.petition_id) if job.petition_id else None
    if message_id is None or petition is None:
        return None
    if PetitionState(petition.summary.state) not in OPEN_STATES:
        return None
    # A reopened petition has its rule twice, the old period met and the new one open.
    deadline = next(
        (
            d
            for d in petition.summary.deadlines
            if d.rule_id == job.payload.get("rule_id") and d.status == "open"
        ),
        None,
    )
    if deadline is None:
        return None
    if job.payload.get("due", deadline.due_date.isoformat()) != deadline.due_date.isoformat():
        return None  # planned for a date an extension has since moved
    return DeadlineNotice(message_id, petition, deadline)


async def _tell(
    job: DueJob[Environment], notice: DeadlineNotice, officers: list[OfficerView]
) -> list[Outgoing]:
    """The notice to every chat of these officers, each in the officer's language."""
    outgoing = []
    for officer in officers:
        for chat in await job.store.officer_chats(officer.id):
            t = job.env.catalogues.get(await job.store.locale_of(chat))
            reply = _reply(
                t, notice.message_id, job.env.org, notice.petition, notice.deadline, job.now
            )
            outgoing.append(Outgoing(chat, reply))
    return outgoing


def _moment_passed(job: DueJob[Environment], due: date) -> bool:
    """A reminder caught up late (after downtime) whose moment has passed says nothing.

    "Three days left" after the due day would mislead; the overdue notice speaks instead.
    """
    today = job.now.astimezone(LOCAL_TZ).date()
    return today > due or (job.payload.get("point") != "due" and today >= due)


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
    return Reply(text, ((Button(t("officer.open"), OpenPetition(petition.summary.id).pack()),),))
