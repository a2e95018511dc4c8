"""Public consultations (lấy ý kiến) from publication to the published summary (issue 15).

A People's Committee's heads and admins put a draft to the people of some places with a
question set (`bot.domain.consultations`). The announcement and the summary go out through the
same fan-out as dialogue sessions (`Store.fan_out`, `Store.tell_participants`: one statement per
language, inside the job that decides them); the reminder the day before it closes goes to those
who started and did not finish. Everything the conversation checked is checked here again.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from bot.buttons import ConsultationAction
from bot.core import Button, FileRef, Outgoing, Reply
from bot.domain.consultations import (
    MAX_QUESTIONS,
    ConsultationState,
    OpinionMark,
    Question,
    QuestionKind,
    Tally,
    answering_places,
    closing_moment,
    complete,
    is_open,
    opening_moment,
    option_label,
    question_problem,
    reminder_moment,
    tally,
)
from bot.domain.dialogues import audience_of, places_that_hear
from bot.domain.org import Organisation
from bot.environment import Environment
from bot.i18n import DEFAULT_LOCALE, LOCALES, N_, Translator
from bot.jobs import DueJob, JobKinds
from bot.ports import Answers, ConsultationView, NewConsultation, OfficerView, OpinionView, Store
from bot.services.reception import peoples_committee
from bot.services.refusal import Refused
from bot.services.workflow import NotAllowed

ANNOUNCE, REMIND = "consultation.announce", "consultation.remind"
ORGANISER_ROLES = frozenset({"head", "admin"})
MAX_TITLE_CHARS = 300
MAX_SUMMARY_CHARS = 2000
MAX_RESULT_CHARS = 3000
MAX_REPLY_CHARS = 1000
MAX_OPEN_LISTED = 20
MAX_DAYS = 90  # a consultation longer than this is a typing mistake


class ConsultationRefused(Refused):
    """Not possible for this consultation now; `reason` names the message to show."""


@dataclass(frozen=True)
class ConsultationPlan:
    """What the organiser set in the conversation."""

    title: str
    summary: str
    document: FileRef | None
    audience: tuple[str, ...]
    opens_on: date
    closes_on: date
    questions: tuple[Question, ...]
    anonymous: bool


def organiser_unit(env: Environment, officer: OfficerView) -> str:
    """The People's Committee a head or an admin consults for; NotAllowed for anyone else."""
    unit = peoples_committee(env.org, officer.unit)
    if unit is None or not officer.roles & ORGANISER_ROLES:
        raise NotAllowed(f"{officer.handle} organising consultations")
    return unit


async def managed_consultation(
    store: Store, env: Environment, officer: OfficerView, consultation_id: int
) -> ConsultationView:
    """A consultation the officer's People's Committee (or one above it) holds."""
    unit = organiser_unit(env, officer)
    found = await store.consultation(consultation_id)
    if found is None or unit not in env.org.lineage(found.unit):
        raise NotAllowed(f"{officer.handle} managing consultation {consultation_id}")
    return found


def plan_problem(org: Organisation, unit: str, plan: ConsultationPlan, today: date) -> str | None:
    """Why the plan cannot be published (a message id), or None."""
    if not 0 < len(plan.title) <= MAX_TITLE_CHARS or not 0 < len(plan.summary) <= MAX_SUMMARY_CHARS:
        return N_("consult.refused.plan")
    if not plan.audience or not set(plan.audience) <= set(audience_of(org, unit)):
        return N_("consult.refused.plan")
    if (
        not today <= plan.opens_on <= plan.closes_on
        or (plan.closes_on - plan.opens_on).days > MAX_DAYS
    ):
        return N_("consult.refused.dates")
    if not 0 < len(plan.questions) <= MAX_QUESTIONS:
        return N_("consult.refused.plan")
    if any(question_problem(q) for q in plan.questions):
        return N_("consult.refused.plan")
    if plan.document is not None and plan.document.media not in ("photo", "document"):
        return N_("consult.refused.plan")
    return None


async def publish_consultation(
    store: Store, env: Environment, officer: OfficerView, plan: ConsultationPlan, now: datetime
) -> int:
    """Store it; the announcement goes out as a job on its first day, the reminder the day
    before it closes."""
    unit = organiser_unit(env, officer)
    today = now.astimezone(opening_moment(plan.opens_on).tzinfo).date()
    problem = plan_problem(env.org, unit, plan, today)
    if problem:
        raise ConsultationRefused(problem)
    opens_at, closes_at = opening_moment(plan.opens_on), closing_moment(plan.closes_on)
    consultation_id = await store.add_consultation(
        NewConsultation(
            unit=unit,
            created_by=officer.id,
            title=plan.title,
            summary=plan.summary,
            document=plan.document,
            audience=plan.audience,
            questions=plan.questions,
            anonymous=plan.anonymous,
            opens_at=opens_at,
            closes_at=closes_at,
            created_at=now,
        )
    )
    payload = {"consultation": str(consultation_id), "what": "announce"}
    await store.schedule(ANNOUNCE, max(now, opens_at), payload, None)
    moment = reminder_moment(closes_at, now)
    if moment is not None:
        await store.schedule(REMIND, moment, {"consultation": str(consultation_id)}, None)
    return consultation_id


# --- citizens -------------------------------------------------------------------------------------


async def open_consultations(
    store: Store, env: Environment, citizen_id: int, now: datetime
) -> list[ConsultationView]:
    """Consultations taking answers now: those for the places this citizen follows first."""
    followed = set(await store.subscriptions(citizen_id))
    found = await store.open_consultations(now, MAX_OPEN_LISTED)
    return sorted(found, key=lambda c: not followed & places_that_hear(env.org, c.audience))


async def answering(store: Store, consultation_id: int, now: datetime) -> ConsultationView:
    """A consultation taking answers now; refused otherwise."""
    found = await store.consultation(consultation_id)
    if found is None or not is_open(found.opens_at, found.closes_at, now):
        raise ConsultationRefused(N_("consult.refused.closed"))
    return found


async def begin_answering(
    store: Store, consultation_id: int, citizen_id: int, now: datetime
) -> tuple[ConsultationView, Answers]:
    """The consultation and the citizen's answers so far (a named one's, to change them)."""
    found = await answering(store, consultation_id, now)
    if found.survey is not None and not await store.invited(consultation_id, citizen_id):
        raise ConsultationRefused(N_("survey.refused.not_invited"))
    state = await store.participation(consultation_id, citizen_id)
    if found.anonymous and state == "finished":
        raise ConsultationRefused(N_("consult.refused.anonymous_done"))
    earlier = None if found.anonymous else await store.answers_of(consultation_id, citizen_id)
    return found, earlier or {}


async def join(
    store: Store,
    env: Environment,
    consultation_id: int,
    citizen_id: int,
    village: str,
    now: datetime,
) -> None:
    """The citizen started answering for a village: counted for the reminder."""
    found = await answering(store, consultation_id, now)
    if village not in answering_places(env.org, found.audience):
        raise ConsultationRefused(N_("consult.refused.village"))
    await store.join_consultation(consultation_id, citizen_id, village, now)


async def submit(
    store: Store,
    env: Environment,
    consultation_id: int,
    citizen_id: int,
    village: str,
    answers: Answers,
    now: datetime,
) -> ConsultationView:
    """Keep a whole answer set: named, replacing the citizen's earlier one; anonymous, once.
    A survey's questionnaire takes no village, and only the answers of those it was sent to."""
    found = await answering(store, consultation_id, now)
    if found.survey is not None:
        if not await store.invited(consultation_id, citizen_id):
            raise ConsultationRefused(N_("survey.refused.not_invited"))
    elif village not in answering_places(env.org, found.audience):
        raise ConsultationRefused(N_("consult.refused.village"))
    if not complete(found.questions, answers) or set(answers) - set(range(len(found.questions))):
        raise ConsultationRefused(N_("consult.refused.answers"))
    kept = {index: list(values) for index, values in answers.items() if values}
    named = not found.anonymous
    place = None if found.survey is not None else village
    if not await store.submit_answers(consultation_id, citizen_id, place, kept, named, now):
        raise ConsultationRefused(N_("consult.refused.anonymous_done"))
    return found


# --- organisers -----------------------------------------------------------------------------------


@dataclass(frozen=True)
class Results:
    """What an organiser sees: the figures per question, who took part by village, opinions."""

    consultation: ConsultationView
    tallies: tuple[Tally, ...]
    by_village: dict[str, int]
    opinions: tuple[OpinionView, ...]


async def results(
    store: Store, env: Environment, officer: OfficerView, consultation_id: int
) -> Results:
    """The live figures, counted from the answer sets stored."""
    found = await managed_consultation(store, env, officer, consultation_id)
    sets = await store.answer_sets(consultation_id)
    return Results(
        found,
        tuple(tally(found.questions, sets)),
        await store.participation_by_village(consultation_id),
        tuple(await store.opinions(consultation_id)),
    )


def chart_counts(question: Question, figure: Tally) -> list[tuple[str, int]]:
    """What a choice or scale question's chart shows: each option (or point) and its count."""
    if question.kind is QuestionKind.TEXT:
        return []
    return [(option_label(question, token), count) for token, count in figure.counts]


async def mark_opinion(
    store: Store, env: Environment, officer: OfficerView, opinion_id: int, mark: str, reply: str
) -> OpinionView:
    """Tiếp thu or giải trình, with the commune's words, kept for the summary."""
    opinion = await store.opinion(opinion_id)
    if opinion is None:
        raise NotAllowed(f"opinion {opinion_id}")
    found = await managed_consultation(store, env, officer, opinion.consultation_id)
    if found.state != ConsultationState.PUBLISHED:
        raise ConsultationRefused(N_("consult.refused.summarised"))
    if mark not in set(OpinionMark) or not 0 < len(reply) <= MAX_REPLY_CHARS:
        raise ConsultationRefused(N_("consult.refused.reply"))
    await store.mark_opinion(opinion_id, mark, reply)
    marked = await store.opinion(opinion_id)
    assert marked is not None
    return marked


async def publish_summary(
    store: Store,
    env: Environment,
    officer: OfficerView,
    consultation_id: int,
    result: str,
    now: datetime,
) -> ConsultationView:
    """After closing: keep the summary; every participant gets it with the replies (a job)."""
    found = await managed_consultation(store, env, officer, consultation_id)
    if found.state != ConsultationState.PUBLISHED:
        raise ConsultationRefused(N_("consult.refused.summarised"))
    if now < found.closes_at:
        raise ConsultationRefused(N_("consult.refused.still_open"))
    if not 0 < len(result) <= MAX_RESULT_CHARS:
        raise ConsultationRefused(N_("consult.refused.result"))
    await store.summarise_consultation(consultation_id, result, now)
    payload = {"consultation": str(consultation_id), "what": "summary"}
    await store.schedule(ANNOUNCE, now, payload, None)
    return found


# --- what citizens read ---------------------------------------------------------------------------


def consultation_details(t: Translator, org: Organisation, found: ConsultationView) -> str:
    """Title, who consults, summary, the places, the dates, and whether answers are named."""
    places = ", ".join(place_label(t, org, code) for code in found.audience)
    return t(
        "consult.details",
        title=found.title,
        unit=org.units[found.unit].name,
        summary=found.summary,
        places=places,
        opens=t.date(found.opens_at),
        closes=t.date(closing_day(found)),
        questions=len(found.questions),
        privacy=t(N_("consult.anonymous") if found.anonymous else N_("consult.named")),
    )


def closing_day(found: ConsultationView) -> datetime:
    """The last day answers are taken (it closes at midnight after it)."""
    return found.closes_at - timedelta(seconds=1)


def place_label(t: Translator, org: Organisation, code: str) -> str:
    """A commune (as the whole commune) or a village, by name."""
    if code in org.units:
        return t("dm.audience.commune", unit=org.units[code].place)
    return org.areas[code].name


def announcement(t: Translator, org: Organisation, found: ConsultationView) -> Reply:
    """The announcement to followers: the details, and the buttons to answer and to read."""
    rows = [(Button(t("consult.answer"), ConsultationAction(found.id, "ans").pack()),)]
    if found.document is not None:
        rows.append((Button(t("consult.document"), ConsultationAction(found.id, "doc").pack()),))
    return Reply(
        t("consult.announcement", details=consultation_details(t, org, found)), tuple(rows)
    )


def summary_message(
    t: Translator, org: Organisation, found: ConsultationView, opinions: Sequence[OpinionView]
) -> Reply:
    """The summary for those who took part, with the commune's replies to opinions."""
    replies = [
        t(
            "consult.summary.reply",
            opinion=o.text,
            mark=t(MARKS[o.mark]),
            reply=o.reply or "",
        )
        for o in opinions
        if o.mark in MARKS
    ]
    return Reply(
        t(
            "consult.summary",
            title=found.title,
            unit=org.units[found.unit].name,
            result=found.result or "",
            finished=found.finished,
            replies="\n".join(replies) or "—",
        )
    )


MARKS: Mapping[str | None, str] = {
    OpinionMark.TAKEN_IN: N_("consult.mark.taken_in"),
    OpinionMark.ANSWERED: N_("consult.mark.answered"),
}


# --- jobs -----------------------------------------------------------------------------------------

jobs: JobKinds[Environment] = JobKinds()


@jobs.kind(ANNOUNCE)
async def fan_out(job: DueJob[Environment]) -> list[Outgoing]:
    """The announcement to the followers of the places (as for dialogue sessions), or the
    summary to those who took part, in one statement per language."""
    org, what = job.env.org, job.payload.get("what", "announce")
    found = await job.store.consultation(int(job.payload.get("consultation", 0)))
    if found is None:
        return []
    if what == "summary":
        if found.state != ConsultationState.SUMMARISED:
            return []
        opinions = await job.store.opinions(found.id)
        replies = {
            locale: summary_message(job.env.catalogues.get(locale), org, found, opinions)
            for locale in LOCALES
        }
        await job.store.tell_participants(found.id, replies, DEFAULT_LOCALE, job.now)
        return []
    if job.now >= found.closes_at:
        return []
    replies = {
        locale: announcement(job.env.catalogues.get(locale), org, found) for locale in LOCALES
    }
    places = places_that_hear(org, found.audience)
    reached = await job.store.fan_out(places, None, replies, DEFAULT_LOCALE, job.now)
    await job.store.record_reach(found.id, reached)  # the participation rate's denominator
    return []


@jobs.kind(REMIND)
async def remind_unfinished(job: DueJob[Environment]) -> list[Outgoing]:
    """The day before it closes: those who started and did not finish."""
    found = await job.store.consultation(int(job.payload.get("consultation", 0)))
    if found is None or not is_open(found.opens_at, found.closes_at, job.now):
        return []
    outgoing = []
    for citizen_id in await job.store.unfinished_participants(found.id):
        chat = await job.store.citizen_chat(citizen_id)
        if chat is not None:
            t = job.env.catalogues.get(await job.store.locale_of(chat))
            button = Button(t("consult.answer"), ConsultationAction(found.id, "ans").pack())
            text = t("consult.reminder", title=found.title, closes=t.date(closing_day(found)))
            outgoing.append(Outgoing(chat, Reply(text, ((button,),), unprompted=True)))
    return outgoing
