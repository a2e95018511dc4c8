"""Satisfaction surveys (khảo sát sự hài lòng, SIPAS-style, issue 15 §5) and the consultation
indicators (§6).

A head or an inspector starts a survey in chat for a quarter: everyone whose petition their
scope answered in it, or a random sample of them. A job then stores it (one anonymous
questionnaire per unit that answered, the questions read from `bot/data/surveys/`) and invites
each person once a period, as the database enforces, with the consultations' «Trả lời»: citizens
answer it with the consultations' own steps. The index (`bot.domain.surveys`) is counted from the
stored answers for the leaders' indicators, the report's sheet and the chart.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from bot.buttons import ConsultationAction
from bot.core import Button, Outgoing, Recipient, Reply
from bot.domain.surveys import ASPECTS, DEFAULT_SURVEY, load_survey
from bot.environment import Environment
from bot.i18n import DEFAULT_LOCALE, LOCAL_TZ, LOCALES, N_, Translator
from bot.jobs import DueJob, JobKinds
from bot.ports import ConsultationView, NewConsultation, NewSurvey, OfficerView, Store
from bot.reporting.metrics import Survey as SurveyFigures
from bot.reporting.metrics import sum_of
from bot.reporting.periods import Period, parse_period, preset_period
from bot.services.access import units_under
from bot.services.refusal import Refused
from bot.services.workflow import NotAllowed

SURVEY_JOB = "survey.start"
OVERSEERS = frozenset({"head", "inspector"})  # who starts a survey and reads the indicators
QUARTERS = ("Q1", "Q2", "Q3", "Q4")
SURVEY_DAYS = 30  # how long a survey takes answers
MAX_SAMPLE = 100_000
ASPECT_LABELS = {
    "access": N_("survey.aspect.access"),
    "procedures": N_("survey.aspect.procedures"),
    "officers": N_("survey.aspect.officers"),
    "results": N_("survey.aspect.results"),
    "overall": N_("survey.aspect.overall"),
}


class SurveyRefused(Refused):
    """Not possible; `reason` names the message to show."""


def survey_scope(env: Environment, officer: OfficerView) -> str:
    """The unit whose petitions a head (their own unit and below) or an inspector (the whole
    province) surveys; NotAllowed for anyone else."""
    if not officer.roles & OVERSEERS:
        raise NotAllowed(f"{officer.handle} surveying")
    return env.org.lineage(officer.unit)[-1] if "inspector" in officer.roles else officer.unit


def survey_periods(now: datetime, cutoff_day: int) -> list[Period]:
    """The quarters that have begun, this report year's and last year's last, newest first."""
    today = now.astimezone(LOCAL_TZ).date()
    found = [preset_period(today.year - 1, "Q4", cutoff_day)]
    found += [preset_period(today.year + 1, "Q1", cutoff_day)]  # a December after the cut-off
    found += [preset_period(today.year, q, cutoff_day) for q in QUARTERS]
    begun = [p for p in found if p.first_day <= today]
    return sorted(begun, key=lambda p: p.first_day, reverse=True)[: len(QUARTERS) + 1]


def survey_period(env: Environment, name: str, now: datetime) -> Period:
    """A quarter offered now, by its name; refused otherwise."""
    for period in survey_periods(now, env.report_cutoff_day):
        if period.name == name:
            return period
    raise SurveyRefused(N_("survey.refused.period"))


async def request_survey(
    store: Store,
    env: Environment,
    officer: OfficerView,
    chat: Recipient,
    period_name: str,
    sample: int | None,
    now: datetime,
) -> dict[str, str]:
    """Check, then have the survey started by a job (it may invite thousands); its payload."""
    scope = survey_scope(env, officer)
    survey_period(env, period_name, now)
    if sample is not None and not 0 < sample <= MAX_SAMPLE:
        raise SurveyRefused(N_("survey.refused.sample"))
    payload = {
        "officer": officer.handle,
        "channel": chat.channel,
        "chat_id": chat.chat_id,
        "scope": scope,
        "period": period_name,
        "sample": str(sample or ""),
        "template": DEFAULT_SURVEY,
    }
    await store.schedule(SURVEY_JOB, now, payload, None)
    return payload


jobs: JobKinds[Environment] = JobKinds()


@jobs.kind(SURVEY_JOB)
async def start_survey(job: DueJob[Environment]) -> list[Outgoing]:
    """Store the survey and invite its people in one transaction (a retry after a crash does it
    whole or not at all); tell the officer who started it how many were invited."""
    env, store, payload = job.env, job.store, job.payload
    chat = Recipient(payload["channel"], payload["chat_id"])
    officer = await store.officer_by_handle(payload["officer"])
    if officer is None or chat not in await store.officer_chats(officer.id):
        return []
    t = env.catalogues.get(await store.locale_of(chat))
    try:
        scope = survey_scope(env, officer)
        period = survey_period(env, payload["period"], job.now)
    except (NotAllowed, SurveyRefused):
        return [Outgoing(chat, Reply(t("survey.refused.period")))]
    if scope != payload["scope"]:
        return [Outgoing(chat, Reply(t("survey.not_allowed")))]
    template = load_survey(payload.get("template") or DEFAULT_SURVEY)
    people = await store.answered_citizens(
        period.starts_at, period.ends_before, units_under(env.org, scope)
    )
    sample = int(payload["sample"]) if payload.get("sample") else None
    if sample is not None and sample < len(people):
        people = sorted(random.SystemRandom().sample(people, sample))
    survey_id, invited = await store.add_survey(
        NewSurvey(
            template=template.code,
            period=period.name,
            period_start=period.starts_at,
            period_end=period.ends_before,
            scope_unit=scope,
            sample=sample,
            started_by=officer.id,
            created_at=job.now,
        ),
        NewConsultation(
            unit=scope,
            created_by=officer.id,
            title=template.title,
            summary=template.intro,
            document=None,
            audience=(),
            questions=template.questions,
            anonymous=True,
            opens_at=job.now,
            closes_at=job.now + timedelta(days=SURVEY_DAYS),
            created_at=job.now,
        ),
        people,
    )
    for consultation_id in invited:
        found = await store.consultation(consultation_id)
        assert found is not None
        replies = {
            locale: invitation(env.catalogues.get(locale), env, found, period) for locale in LOCALES
        }
        await store.invite_to_survey(consultation_id, replies, DEFAULT_LOCALE, job.now)
    text = t(
        "survey.started",
        period=period_label(t, period),
        unit=env.org.units[scope].name,
        chosen=len(people),
        invited=sum(invited.values()),
        skipped=len(people) - sum(invited.values()),
        closes=t.date(job.now + timedelta(days=SURVEY_DAYS)),
        id=survey_id,
    )
    return [Outgoing(chat, Reply(text))]


def period_label(t: Translator, period: Period) -> str:
    """«01/01/2026 – 31/03/2026»."""
    return f"{t.date(period.first_day)} – {t.date(period.last_day)}"


def invitation(t: Translator, env: Environment, found: ConsultationView, period: Period) -> Reply:
    """What an invited citizen reads: who asks, about which answers, and «Trả lời»."""
    button = Button(t("consult.answer"), ConsultationAction(found.id, "ans").pack())
    text = t(
        "survey.invitation",
        unit=env.org.units[found.unit].name,
        period=period_label(t, period),
        title=found.title,
        intro=found.summary,
        questions=len(found.questions),
        closes=t.date(found.closes_at - timedelta(seconds=1)),
    )
    return Reply(text, ((button,),), unprompted=True)


# --- the index and the indicators -------------------------------------------------------------


@dataclass(frozen=True)
class UnitStanding:
    """A unit's consultations held this year, who took part of those reached, and its index."""

    unit: str
    consultations_held: int
    participants: int  # finished answering
    reached: int  # followers the announcements were queued to
    survey: SurveyFigures

    @property
    def participation(self) -> float | None:
        """Participants of those reached (None when nobody was)."""
        return self.participants / self.reached if self.reached else None


@dataclass(frozen=True)
class Standings:
    """The scope's units with something to show, and the scope's survey figures together."""

    year: Period
    units: tuple[UnitStanding, ...]
    total: SurveyFigures


async def standings(
    store: Store, env: Environment, officer: OfficerView, now: datetime
) -> Standings:
    """This report year so far: per unit, the consultations that closed, and the surveys of the
    year's quarters; only units with one or the other."""
    scope = survey_scope(env, officer)
    today = now.astimezone(LOCAL_TZ).date()
    year = preset_period(today.year, "Y", env.report_cutoff_day)
    if year.last_day < today:  # late December, past the cut-off: next year's report year
        year = preset_period(today.year + 1, "Y", env.report_cutoff_day)
    units = units_under(env.org, scope)
    closed = await store.consultations_closed(units, year.starts_at, min(now, year.ends_before))
    figures = await store.survey_figures(units, year.starts_at, year.ends_before)
    found = []
    for unit in units:
        held = [c for c in closed if c.unit == unit]
        if not held and unit not in figures:
            continue
        found.append(
            UnitStanding(
                unit,
                len(held),
                sum(c.finished for c in held),
                sum(c.reached or 0 for c in held),
                figures.get(unit, SurveyFigures()),
            )
        )
    return Standings(year, tuple(found), sum_of(figures.values(), SurveyFigures()))


async def survey_standing(
    store: Store, env: Environment, officer: OfficerView, survey_id: int
) -> tuple[Period, SurveyFigures]:
    """One survey's period and the figures of its scope for it (the officer's own scope)."""
    scope = survey_scope(env, officer)
    found = await store.survey(survey_id)
    if found is None or scope not in env.org.lineage(found.scope_unit):
        raise NotAllowed(f"{officer.handle} reading survey {survey_id}")
    period = parse_period(found.period, found.period_start.year, env.report_cutoff_day)
    units = units_under(env.org, found.scope_unit)
    figures = await store.survey_figures(units, found.period_start, found.period_end)
    return period, sum_of(figures.values(), SurveyFigures())


def chart_indices(t: Translator, figures: SurveyFigures) -> list[tuple[str, float]]:
    """What the chart draws: each aspect answered and its index, then the overall index."""
    found = [
        (t(ASPECT_LABELS[aspect]), index)
        for aspect in ASPECTS
        if (index := figures.index[aspect]) is not None
    ]
    if figures.overall is not None:
        found.append((t("survey.index"), figures.overall))
    return found


def percent(value: float | None) -> str:
    """«72,5 %», or «—» when there is no figure."""
    return "—" if value is None else f"{value * 100:.1f}%".replace(".", ",")


def index_words(t: Translator, figures: SurveyFigures) -> str:
    """«Chỉ số hài lòng 75,0% (Tiếp cận 80,0% · …) · 12/20 phiếu»."""
    aspects = " · ".join(
        f"{t(ASPECT_LABELS[aspect])} {percent(figures.index[aspect])}"
        for aspect in ASPECTS
        if figures.index[aspect] is not None
    )
    return t(
        "survey.index.line",
        index=percent(figures.overall),
        aspects=aspects or "—",
        responses=figures.responses,
        invited=figures.invited,
    )
