"""Khảo sát hài lòng for heads and inspectors (issue 15 §5-6): the satisfaction index and the
consultations held, beside the leaders' indicators; starting a survey; its chart.

«📊 Chỉ tiêu» ends with each unit's consultations held, their participation and the index of the
year's surveys, and a button here. This screen lists the surveys of the officer's scope with
their index and a chart each, under «Gửi khảo sát»: a small flow (the quarter → everyone or a
random sample → its size → check and «Gửi»); a job stores it and invites the people, and tells
the officer how many. Every answer checks again on the server that this chat belongs to a head
or an inspector; the services check again the scope.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from bot.buttons import SurveyCard, SurveyStaff
from bot.conversation import Context, Router
from bot.core import Button, Recipient
from bot.domain.org import Organisation
from bot.domain.surveys import DEFAULT_SURVEY, load_survey
from bot.flow import Flow, nav_buttons
from bot.i18n import N_, Translator
from bot.ports import OfficerView
from bot.reporting.charts import satisfaction_by_aspect
from bot.services.access import units_under
from bot.services.surveys import (
    MAX_SAMPLE,
    Standings,
    SurveyRefused,
    chart_indices,
    index_words,
    percent,
    period_label,
    request_survey,
    survey_period,
    survey_periods,
    survey_scope,
    survey_standing,
)
from bot.services.workflow import NotAllowed
from handlers.callbacks import on
from handlers.common import show_menu
from handlers.picker import Option
from handlers.staff import current_officer, refuse
from handlers.steps import choose, counted, labelled, pressed, write

router = Router()

NOT_ALLOWED = N_("survey.not_allowed")
RECENT_LIMIT = 8
MAX_UNITS_SHOWN = 15
WHOM = {"all": N_("survey.whom.all"), "sample": N_("survey.whom.sample")}


@dataclass
class SurveyWork:
    """The survey being started."""

    period: str = ""  # the quarter's name: 2026-Q1
    sample: int = 0  # 0: everyone
    answered: int = 0  # people with a petition answered in it, when asked


async def surveyor(ctx: Context) -> tuple[OfficerView, str] | None:
    """The officer of this chat and the unit they survey; else a refusal."""
    officer = await current_officer(ctx)
    if officer is None:
        return None
    try:
        return officer, survey_scope(ctx.env, officer)
    except NotAllowed as error:
        refuse(ctx, officer, str(error), NOT_ALLOWED)
        return None


async def is_surveyor(ctx: Context) -> bool:
    return await surveyor(ctx) is not None


async def leave(ctx: Context, text: str | None) -> None:
    await show_menu(ctx, text or ctx.t("survey.cancelled"))


SURVEYING = Flow(
    router,
    "survey",
    SurveyWork,
    {
        "sv.period": ("sv.whom",),
        "sv.whom": ("sv.size", "sv.review"),
        "sv.size": ("sv.review",),
        "sv.review": (),
    },
    leave=leave,
    cancelled=N_("survey.cancelled"),
    allowed=is_surveyor,
    title=N_("survey.flow_title"),
)


# --- the indicators' part ----------------------------------------------------------------------


def standings_text(t: Translator, org: Organisation, found: Standings) -> str:
    """Per unit: consultations held and participation, and the survey index; the formula."""
    lines = [t("indicators.consult.title", first=t.date(found.year.first_day))]
    for standing in found.units[:MAX_UNITS_SHOWN]:
        lines.append(
            t(
                "indicators.consult.unit",
                unit=org.units[standing.unit].name,
                held=standing.consultations_held,
                participants=standing.participants,
                reached=standing.reached,
                rate=percent(standing.participation),
            )
        )
        if standing.survey.invited:
            lines.append("   " + index_words(t, standing.survey))
    if not found.units:
        lines.append(t("indicators.consult.none"))
    elif len(found.units) > MAX_UNITS_SHOWN:
        lines.append(t("indicators.more_units", count=len(found.units) - MAX_UNITS_SHOWN))
    if found.total.invited:
        lines.append(t("indicators.survey.total", line=index_words(t, found.total)))
    lines.append(t("indicators.consult.basis"))
    return "\n".join(lines)


def survey_button(t: Translator) -> Button:
    return Button(t("survey.menu"), SurveyStaff("home").pack())


# --- the surveys' screen -------------------------------------------------------------------------


@on(router, SurveyStaff)
async def staff_button(ctx: Context, data: SurveyStaff) -> None:
    """The surveys of the scope, or «Gửi khảo sát»."""
    await (show_surveys(ctx) if data.screen == "home" else begin_survey(ctx))


async def show_surveys(ctx: Context) -> None:
    """The latest surveys, each with its period, how many answered, its index and a chart."""
    found = await surveyor(ctx)
    if found is None:
        return
    t, scope = ctx.t, found[1]
    listed = await ctx.store.surveys_of([scope], RECENT_LIMIT)
    lines = [t("survey.home", unit=ctx.env.org.units[scope].name, title=load_survey().title)]
    rows = [[Button(t("survey.new"), SurveyStaff("new").pack())]]
    if not listed:
        lines.append(t("survey.empty"))
    for survey in listed:
        lines.append(
            t(
                "survey.listed",
                period=survey.period,
                invited=survey.invited,
                responses=survey.responses,
                sample=t("survey.sampled", size=survey.sample) if survey.sample else "",
            )
        )
        label = t("survey.chart", period=survey.period)
        rows.append([Button(label, SurveyCard(survey.id, "chart").pack())])
    ctx.reply("\n".join(lines), *rows)


@on(router, SurveyCard)
async def card_button(ctx: Context, data: SurveyCard) -> None:
    """A survey's index per aspect, as words and as a chart."""
    found = await surveyor(ctx)
    if found is None:
        return
    try:
        period, figures = await survey_standing(ctx.store, ctx.env, found[0], data.survey)
    except NotAllowed as error:
        refuse(ctx, found[0], str(error), NOT_ALLOWED)
        return
    t = ctx.t
    text = t("survey.figures", period=period_label(t, period), line=index_words(t, figures))
    indices = chart_indices(t, figures)
    if not indices:
        ctx.reply(text + "\n" + t("survey.no_answers"))
        return
    title = t("survey.chart.title", period=period_label(t, period))
    ctx.reply(
        text,
        document_data=base64.b64encode(satisfaction_by_aspect(indices, title)).decode(),
        document_name=f"hai-long-{data.survey}.png",
    )


# --- starting one --------------------------------------------------------------------------------


async def begin_survey(ctx: Context) -> None:
    if await surveyor(ctx) is not None:
        await SURVEYING.start(ctx, SurveyWork(), "sv.period")


def period_options(ctx: Context) -> list[Option]:
    """The quarters that have begun, newest first."""
    return [
        Option(period.name, f"{period.name} ({period_label(ctx.t, period)})")
        for period in survey_periods(ctx.now, ctx.env.report_cutoff_day)
    ]


async def keep_period(ctx: Context, name: str) -> None:
    """The quarter, and how many had a petition answered in it."""
    found = await surveyor(ctx)
    if found is None:
        return
    try:
        period = survey_period(ctx.env, name, ctx.now)
    except SurveyRefused as refused:  # a quarter offered before midnight, chosen after
        await SURVEYING.end(ctx, ctx.t(refused.reason))
        return
    people = await ctx.store.answered_citizens(
        period.starts_at, period.ends_before, units_under(ctx.env.org, found[1])
    )
    work = SURVEYING.draft(ctx)
    work.period, work.answered = name, len(people)
    await SURVEYING.forward(ctx, "sv.whom")


choose(
    SURVEYING,
    "sv.period",
    N_("survey.ask_period"),
    period_options,
    keep_period,
    per_row=1,
)


async def keep_whom(ctx: Context, whom: str) -> None:
    if whom == "sample":
        await SURVEYING.forward(ctx, "sv.size")
        return
    SURVEYING.draft(ctx).sample = 0
    await SURVEYING.forward(ctx, "sv.review")


choose(
    SURVEYING,
    "sv.whom",
    lambda ctx: ctx.t("survey.ask_whom", answered=SURVEYING.draft(ctx).answered),
    labelled(WHOM),
    keep_whom,
)


async def keep_size(ctx: Context, text: str) -> None:
    SURVEYING.draft(ctx).sample = int(text)
    await SURVEYING.forward(ctx, "sv.review")


write(
    SURVEYING,
    "sv.size",
    lambda ctx: ctx.t("survey.ask_size", max=MAX_SAMPLE),
    keep_size,
    check=counted(1, MAX_SAMPLE),
    invalid=lambda ctx: ctx.t("survey.size.invalid", max=MAX_SAMPLE),
)


async def prompt_review(ctx: Context) -> None:
    """What will be sent, to how many, and «Gửi khảo sát»."""
    work = SURVEYING.draft(ctx)
    t = ctx.t
    found = await surveyor(ctx)
    if found is None:
        return
    try:
        period = survey_period(ctx.env, work.period, ctx.now)
    except SurveyRefused as refused:
        await SURVEYING.end(ctx, ctx.t(refused.reason))
        return
    template = load_survey(DEFAULT_SURVEY)
    invited = min(work.sample, work.answered) if work.sample else work.answered
    text = t(
        "survey.review",
        title=template.title,
        unit=ctx.env.org.units[found[1]].name,
        period=period_label(t, period),
        answered=work.answered,
        invited=invited,
        questions=len(template.questions),
    )
    ctx.reply(text, [ctx.button(t("survey.send"), "send")], nav_buttons(ctx))


@SURVEYING.step("sv.review", prompt_review)
async def answer_review(ctx: Context) -> None:
    """«Gửi khảo sát»: a job stores it and invites them; the officer is told when it is done."""
    if not await pressed(ctx, "send", N_("survey.send"), prompt_review):
        return
    found = await surveyor(ctx)
    if found is None:
        return
    work = SURVEYING.draft(ctx)
    chat = Recipient(ctx.incoming.channel, ctx.incoming.chat_id)
    try:
        await request_survey(
            ctx.store, ctx.env, found[0], chat, work.period, work.sample or None, ctx.now
        )
    except SurveyRefused as refused:
        await SURVEYING.end(ctx, ctx.t(refused.reason))
        return
    await SURVEYING.end(ctx, ctx.t("survey.requested", period=work.period))
