"""Lấy ý kiến, the organiser's side: heads and admins of a People's Committee put a draft to the
people in chat, follow the answers live, reply to opinions and publish the summary (issue 15).

Create: title → summary → draft document (a PDF or an image, or none) → audience (the dialogue
sessions' multi-select of places) → opening day → closing day → questions (kind, words, options
or a length limit; up to ten) → anonymous or named → review, with a preview as a citizen sees it
→ «Công bố». A consultation's card shows the figures (a chart per choice or scale question), the
opinions, each marked tiếp thu or giải trình with a reply, the XLSX export and, once it closed,
the summary. Every answer re-checks on the server that this chat belongs to a head or an admin
of an organising committee; the services check again that the consultation is theirs.
"""

from __future__ import annotations

import base64
import dataclasses
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import date, datetime
from typing import TypeVar

from bot.buttons import ConsultationCard, ConsultationStaff, OpinionButton
from bot.conversation import Context, Router
from bot.core import Button, FileRef, Kind
from bot.domain.consultations import (
    LOCAL_TZ,
    MAX_OPTIONS,
    MAX_QUESTIONS,
    MAX_TEXT_LIMIT,
    MIN_OPTIONS,
    MIN_TEXT_LIMIT,
    ConsultationState,
    Question,
    QuestionKind,
    closing_moment,
    opening_moment,
    question_problem,
    split_options,
)
from bot.domain.dialogues import audience_of
from bot.domain.words import clip
from bot.flow import Flow, nav_buttons
from bot.i18n import N_
from bot.ports import ConsultationView, OfficerView
from bot.reporting.charts import option_counts
from bot.reporting.consultations import OpinionRow, consultation_workbook
from bot.services.consultations import (
    MARKS,
    MAX_REPLY_CHARS,
    MAX_RESULT_CHARS,
    MAX_SUMMARY_CHARS,
    MAX_TITLE_CHARS,
    ConsultationPlan,
    ConsultationRefused,
    Results,
    chart_counts,
    consultation_details,
    managed_consultation,
    mark_opinion,
    organiser_unit,
    place_label,
    publish_consultation,
    publish_summary,
    results,
    summary_message,
)
from bot.services.workflow import NotAllowed
from handlers.callbacks import on
from handlers.common import show_menu
from handlers.consultations import HINTS, SCALE_LABELS
from handlers.picker import Option, typed_text
from handlers.staff import current_officer, refuse
from handlers.steps import choose, choose_many, counted, labelled, pressed, says, within, write

log = logging.getLogger(__name__)

router = Router()

NOT_ALLOWED = N_("consult.staff.not_allowed")
RECENT_LIMIT = 10
LABEL_CHARS = 40
MIN_TEXT_CHARS = 5
MAX_OPINIONS_SHOWN = 30
DOCUMENT_MIMES = ("application/pdf", "image/")
Result = TypeVar("Result")

KIND_LABELS = {
    QuestionKind.ONE: N_("consult.kind.one"),
    QuestionKind.MANY: N_("consult.kind.many"),
    QuestionKind.SCALE: N_("consult.kind.scale"),
    QuestionKind.TEXT: N_("consult.kind.text"),
}
PRIVACY = {"named": N_("consult.named"), "anonymous": N_("consult.anonymous")}
OPINION_MARKS = {"in": "taken_in", "ans": "answered"}
STATE_MARKS = {"open": "🟢", "closed": "⏹", "summarised": "✅"}
DOCUMENT_WORDS = {True: N_("consult.review.document"), False: N_("consult.review.no_document")}


@dataclass
class ConsultationWork:
    """What is being prepared: a new consultation, a reply to an opinion, or the summary."""

    unit: str = ""
    title: str = ""
    summary: str = ""
    document: dict[str, object] | None = None  # a FileRef
    audience: list[str] = dataclass_field(default_factory=list)
    opens: str = ""  # ISO day
    closes: str = ""
    questions: list[dict[str, object]] = dataclass_field(default_factory=list)
    kind: str = ""  # the question being added
    text: str = ""
    anonymous: bool = False
    consultation: int = 0
    opinion: int = 0
    mark: str = ""
    result: str = ""


async def is_organiser(ctx: Context) -> bool:
    """Whether this chat still belongs to a head or admin of an organising committee."""
    return await organiser(ctx) is not None


async def organiser(ctx: Context) -> tuple[OfficerView, str] | None:
    """The officer of this chat and the People's Committee they consult for; else a refusal."""
    officer = await current_officer(ctx)
    if officer is None:
        return None
    try:
        return officer, organiser_unit(ctx.env, officer)
    except NotAllowed as error:
        refuse(ctx, officer, str(error), NOT_ALLOWED)
        return None


async def leave(ctx: Context, text: str | None) -> None:
    await show_menu(ctx, text or ctx.t("consult.staff.cancelled"))


PREPARING = Flow(
    router,
    "consultation",
    ConsultationWork,
    {
        "k.title": ("k.summary",),
        "k.summary": ("k.document",),
        "k.document": ("k.audience",),
        "k.audience": ("k.opens",),
        "k.opens": ("k.closes",),
        "k.closes": ("k.q.kind",),
        "k.q.kind": ("k.q.text", "k.anonymity"),
        "k.q.text": ("k.q.options", "k.q.limit", "k.q.kind"),
        "k.q.options": ("k.q.kind",),
        "k.q.limit": ("k.q.kind",),
        "k.anonymity": ("k.review",),
        "k.review": (),
        # an opinion's reply
        "k.op.reply": (),
        # after closing: the summary
        "k.sum.text": ("k.sum.review",),
        "k.sum.review": (),
    },
    leave=leave,
    cancelled=N_("consult.staff.cancelled"),
    allowed=is_organiser,
    title=N_("officer.menu.consultations"),
)


def work_of(ctx: Context) -> ConsultationWork:
    return PREPARING.draft(ctx)


async def finish(ctx: Context, text: str) -> None:
    await PREPARING.end(ctx, text)


async def by_service(
    ctx: Context, call: Callable[[OfficerView], Awaitable[Result]]
) -> Result | None:
    """Run a service for this officer; on a refusal say why, end the work, and return None."""
    officer = await current_officer(ctx)
    if officer is None:
        return None
    try:
        return await call(officer)
    except NotAllowed as error:
        refuse(ctx, officer, str(error), NOT_ALLOWED)
        await finish(ctx, ctx.t("consult.staff.cancelled"))
    except ConsultationRefused as error:
        await finish(ctx, ctx.t(error.reason))
    return None


async def managed(ctx: Context, consultation_id: int) -> ConsultationView | None:
    """A consultation this officer's committee holds; else a refusal."""
    officer = await current_officer(ctx)
    if officer is None:
        return None
    try:
        return await managed_consultation(ctx.store, ctx.env, officer, consultation_id)
    except NotAllowed as error:
        refuse(ctx, officer, str(error), NOT_ALLOWED)
        return None


def standing(ctx: Context, found: ConsultationView) -> str:
    """Open, closed, or summarised."""
    if found.state == ConsultationState.SUMMARISED:
        return "summarised"
    return "open" if ctx.now < found.closes_at else "closed"


# --- the list and a consultation's card --------------------------------------------------------


@on(router, ConsultationStaff)
async def staff_button(ctx: Context, data: ConsultationStaff) -> None:
    """«Lấy ý kiến» in the officer's menu, and «Tạo đợt lấy ý kiến» under it."""
    await (show_consultations(ctx) if data.screen == "home" else begin_creating(ctx))


@on(router, ConsultationCard)
async def card_button(ctx: Context, data: ConsultationCard) -> None:
    """A consultation's card and its buttons: whether it is this officer's is checked there."""
    await CARD_ACTIONS[data.action](ctx, data.consultation)


async def show_consultations(ctx: Context) -> None:
    """The committee's consultations, latest first, under a button to create one."""
    found = await organiser(ctx)
    if found is None:
        return
    unit = found[1]
    t = ctx.t
    listed = await ctx.store.consultations_of([unit], RECENT_LIMIT)
    intro = t("consult.staff.home", unit=ctx.env.org.units[unit].name)
    if not listed:
        intro += "\n" + t("consult.staff.empty")
    ctx.reply(
        intro,
        [Button(t("consult.staff.new"), ConsultationStaff("new").pack())],
        *(
            [
                Button(
                    f"{STATE_MARKS[standing(ctx, c)]} {clip(c.title, LABEL_CHARS)}",
                    ConsultationCard(c.id, "open").pack(),
                )
            ]
            for c in listed
        ),
    )


async def open_card(ctx: Context, consultation_id: int) -> None:
    """The details, who took part so far, and what can be done now."""
    found = await managed(ctx, consultation_id)
    if found is None:
        return
    t = ctx.t
    lines = [
        consultation_details(t, ctx.env.org, found),
        t(
            "consult.card.people",
            finished=found.finished,
            unfinished=found.started - found.finished,
        ),
        t(STANDINGS[standing(ctx, found)]),
    ]
    rows = [
        [Button(t("consult.card.results"), ConsultationCard(found.id, "results").pack())],
        [Button(t("consult.card.opinions"), ConsultationCard(found.id, "opinions").pack())],
        [Button(t("consult.card.export"), ConsultationCard(found.id, "export").pack())],
    ]
    if standing(ctx, found) == "closed":
        rows.append(
            [Button(t("consult.card.summary"), ConsultationCard(found.id, "summary").pack())]
        )
    rows.append([Button(t("consult.card.list"), ConsultationStaff("home").pack())])
    ctx.reply("\n".join(lines), *rows)


STANDINGS = {
    "open": N_("consult.state.open"),
    "closed": N_("consult.state.closed"),
    "summarised": N_("consult.state.summarised"),
}


async def found_results(ctx: Context, consultation_id: int) -> Results | None:
    officer = await current_officer(ctx)
    if officer is None:
        return None
    try:
        return await results(ctx.store, ctx.env, officer, consultation_id)
    except NotAllowed as error:
        refuse(ctx, officer, str(error), NOT_ALLOWED)
        return None


def village_name(ctx: Context, code: str) -> str:
    return place_label(ctx.t, ctx.env.org, code) if code else "—"


def figures_text(ctx: Context, found: Results) -> str:
    """Participation by village, then each question's counts (and a scale's mean)."""
    t = ctx.t
    consultation = found.consultation
    lines = [t("consult.results.title", title=consultation.title, finished=consultation.finished)]
    for code, count in sorted(found.by_village.items(), key=lambda item: (-item[1], item[0])):
        lines.append(t("consult.results.village", village=village_name(ctx, code), count=count))
    for index, (question, figure) in enumerate(
        zip(consultation.questions, found.tallies, strict=True)
    ):
        lines.append("")
        lines.append(
            t(
                "consult.results.question",
                number=index + 1,
                text=question.text,
                answered=figure.answered,
            )
        )
        for label, count in chart_counts(question, figure):
            lines.append(f"  • {clip(label, 60)}: {count}")
        if figure.average is not None:
            average = round(figure.average, 2)
            lines.append(t("consult.results.average", average=average))
    return "\n".join(lines)


async def show_results(ctx: Context, consultation_id: int) -> None:
    """The figures live, and a chart per choice or scale question."""
    found = await found_results(ctx, consultation_id)
    if found is None:
        return
    ctx.reply(figures_text(ctx, found))
    for index, (question, figure) in enumerate(
        zip(found.consultation.questions, found.tallies, strict=True)
    ):
        counts = chart_counts(question, figure)
        if not counts:
            continue
        title = f"{index + 1}. {clip(question.text, 80)}"
        ctx.reply(
            ctx.t("consult.results.chart", number=index + 1),
            document_data=base64.b64encode(option_counts(counts, title)).decode(),
            document_name=f"cau-{index + 1}.png",
        )
    back = [Button(ctx.t("consult.card.back"), ConsultationCard(consultation_id, "open").pack())]
    ctx.reply(ctx.t("consult.results.done"), back)


async def show_opinions(ctx: Context, consultation_id: int) -> None:
    """The free-text opinions, each with «Tiếp thu» and «Giải trình» until the summary."""
    found = await found_results(ctx, consultation_id)
    if found is None:
        return
    t = ctx.t
    opinions = found.opinions
    if not opinions:
        ctx.reply(t("consult.opinions.none"))
        return
    ctx.reply(
        t(
            "consult.opinions.title",
            count=len(opinions),
            shown=min(len(opinions), MAX_OPINIONS_SHOWN),
        )
    )
    markable = found.consultation.state == ConsultationState.PUBLISHED
    questions = found.consultation.questions
    for opinion in opinions[:MAX_OPINIONS_SHOWN]:
        text = t(
            "consult.opinion",
            id=opinion.id,
            question=clip(questions[opinion.question].text, 80),
            text=opinion.text,
        )
        if opinion.village:
            text += "\n" + t("consult.opinion.village", village=village_name(ctx, opinion.village))
        if opinion.mark in MARKS:
            text += "\n" + t(
                "consult.opinion.marked", mark=t(MARKS[opinion.mark]), reply=opinion.reply or ""
            )
        rows = (
            [
                [
                    Button(t("consult.mark.taken_in"), OpinionButton(opinion.id, "in").pack()),
                    Button(t("consult.mark.answered"), OpinionButton(opinion.id, "ans").pack()),
                ]
            ]
            if markable
            else []
        )
        ctx.reply(text, *rows)


async def export(ctx: Context, consultation_id: int) -> None:
    """The figures and the opinions as XLSX (no personal data; no village when anonymous)."""
    found = await found_results(ctx, consultation_id)
    if found is None:
        return
    consultation = found.consultation
    named = not consultation.anonymous
    rows = [
        OpinionRow(
            o.question,
            o.text,
            village_name(ctx, o.village) if named and o.village else None,
            o.mark,
            o.reply,
        )
        for o in found.opinions
    ]
    by_village = {village_name(ctx, code): count for code, count in found.by_village.items()}
    data = consultation_workbook(
        ctx.t, consultation.title, consultation.questions, found.tallies, by_village, rows, named
    )
    await ctx.store.audit(ctx.actor, "consultation.export", str(consultation.id), {}, ctx.now)
    ctx.reply(
        ctx.t("consult.exported", title=consultation.title),
        document_data=base64.b64encode(data).decode(),
        document_name=f"lay-y-kien-{consultation.id}.xlsx",
    )


# --- creating ------------------------------------------------------------------------------------


async def begin_creating(ctx: Context) -> None:
    """«Tạo đợt lấy ý kiến»: the first question, for heads and admins of a People's Committee."""
    found = await organiser(ctx)
    if found is not None:
        await PREPARING.start(ctx, ConsultationWork(unit=found[1]), "k.title")


async def keep_title(ctx: Context, text: str) -> None:
    work_of(ctx).title = text
    await PREPARING.forward(ctx, "k.summary")


write(
    PREPARING,
    "k.title",
    lambda ctx: ctx.t("consult.ask_title", limit=MAX_TITLE_CHARS),
    keep_title,
    check=within(MIN_TEXT_CHARS, MAX_TITLE_CHARS),
    invalid=lambda ctx: ctx.t("consult.text_invalid", min=MIN_TEXT_CHARS, max=MAX_TITLE_CHARS),
)


async def keep_summary(ctx: Context, text: str) -> None:
    work_of(ctx).summary = text
    await PREPARING.forward(ctx, "k.document")


write(
    PREPARING,
    "k.summary",
    lambda ctx: ctx.t("consult.ask_summary", limit=MAX_SUMMARY_CHARS),
    keep_summary,
    check=within(MIN_TEXT_CHARS, MAX_SUMMARY_CHARS),
    invalid=lambda ctx: ctx.t("consult.text_invalid", min=MIN_TEXT_CHARS, max=MAX_SUMMARY_CHARS),
)


async def prompt_document(ctx: Context) -> None:
    """Asks for the draft document: a PDF or an image sent here, or none."""
    ctx.reply(
        ctx.t("consult.ask_document"),
        [ctx.button(ctx.t("consult.no_document_button"), "none")],
        nav_buttons(ctx),
    )


def is_draft_file(file: FileRef) -> bool:
    """A photo, or a document that is a PDF or an image."""
    if file.media == "photo":
        return True
    name = (file.name or "").lower()
    mime = file.mime or ""
    return file.media == "document" and (mime.startswith(DOCUMENT_MIMES) or name.endswith(".pdf"))


@PREPARING.step("k.document", prompt_document)
async def answer_document(ctx: Context) -> None:
    """Keeps the file (or none) and asks for the places."""
    work = work_of(ctx)
    if ctx.choice == "none" or says(ctx, N_("consult.no_document_button")):
        work.document = None
    elif ctx.incoming.kind is Kind.FILE and ctx.incoming.file and is_draft_file(ctx.incoming.file):
        work.document = dataclasses.asdict(ctx.incoming.file)
    else:
        ctx.aside(ctx.t("consult.document_invalid"))
        return
    await PREPARING.forward(ctx, "k.audience")


def audience_options(ctx: Context) -> list[Option]:
    """The communes and villages this committee may consult (as for dialogue sessions)."""
    places = audience_of(ctx.env.org, work_of(ctx).unit)
    return [Option(code, place_label(ctx.t, ctx.env.org, code)) for code in places]


async def to_opens(ctx: Context) -> None:
    await PREPARING.forward(ctx, "k.opens")


choose_many(
    PREPARING,
    "k.audience",
    N_("consult.ask_audience"),
    audience_options,
    lambda ctx: work_of(ctx).audience,
    to_opens,
    done_label=N_("dm.done"),
    none_chosen=N_("dm.audience_none"),
)


def parse_day(text: str) -> date | None:
    """«25/03/2026», a day in Vietnam."""
    try:
        return datetime.strptime(text.strip(), "%d/%m/%Y").replace(tzinfo=LOCAL_TZ).date()
    except ValueError:
        return None


def today(ctx: Context) -> date:
    return ctx.now.astimezone(LOCAL_TZ).date()


async def keep_opens(ctx: Context, text: str) -> None:
    day = parse_day(text)
    if day is None or day < today(ctx):
        ctx.aside(ctx.t("consult.opens_invalid", today=ctx.t.date(today(ctx))))
        return
    work_of(ctx).opens = day.isoformat()
    await PREPARING.forward(ctx, "k.closes")


write(
    PREPARING,
    "k.opens",
    lambda ctx: ctx.t("consult.ask_opens", today=ctx.t.date(today(ctx))),
    keep_opens,
    check=bool,
    invalid=lambda ctx: ctx.t("consult.opens_invalid", today=ctx.t.date(today(ctx))),
)


async def keep_closes(ctx: Context, text: str) -> None:
    day = parse_day(text)
    opens = date.fromisoformat(work_of(ctx).opens)
    if day is None or not opens <= day or (day - opens).days > 90:
        ctx.aside(ctx.t("consult.closes_invalid", opens=ctx.t.date(opens)))
        return
    work_of(ctx).closes = day.isoformat()
    await PREPARING.forward(ctx, "k.q.kind")


write(
    PREPARING,
    "k.closes",
    lambda ctx: ctx.t(
        "consult.ask_closes", opens=ctx.t.date(date.fromisoformat(work_of(ctx).opens))
    ),
    keep_closes,
    check=bool,
    invalid=N_("consult.text_empty"),
)


def kind_options(ctx: Context) -> list[Option]:
    """The kinds of question, and «no more» once there is one; only that at ten."""
    count = len(work_of(ctx).questions)
    kinds = (
        [Option(str(kind), ctx.t(label)) for kind, label in KIND_LABELS.items()]
        if count < MAX_QUESTIONS
        else []
    )
    done = [Option("done", ctx.t("consult.no_more_questions"))] if count else []
    return kinds + done


async def keep_kind(ctx: Context, kind: str) -> None:
    work = work_of(ctx)
    if kind == "done":
        await PREPARING.forward(ctx, "k.anonymity")
        return
    work.kind, work.text = kind, ""
    await PREPARING.forward(ctx, "k.q.text")


choose(
    PREPARING,
    "k.q.kind",
    lambda ctx: ctx.t(
        "consult.ask_kind", number=len(work_of(ctx).questions) + 1, limit=MAX_QUESTIONS
    ),
    kind_options,
    keep_kind,
)


def add_question(ctx: Context, question: Question) -> bool:
    """Adds a question that can be asked; otherwise says why and returns False."""
    if question_problem(question) is not None:
        ctx.aside(ctx.t("consult.question_invalid"))
        return False
    work_of(ctx).questions.append(question.as_data())
    return True


async def keep_question_text(ctx: Context, text: str) -> None:
    work = work_of(ctx)
    work.text = text
    kind = QuestionKind(work.kind)
    if kind in (QuestionKind.ONE, QuestionKind.MANY):
        await PREPARING.forward(ctx, "k.q.options")
    elif kind is QuestionKind.TEXT:
        await PREPARING.forward(ctx, "k.q.limit")
    elif add_question(ctx, Question(text, kind)):
        await PREPARING.forward(ctx, "k.q.kind")


write(
    PREPARING,
    "k.q.text",
    lambda ctx: ctx.t(
        "consult.ask_question_text", kind=ctx.t(KIND_LABELS[QuestionKind(work_of(ctx).kind)])
    ),
    keep_question_text,
    check=within(MIN_TEXT_CHARS, 300),
    invalid=lambda ctx: ctx.t("consult.text_invalid", min=MIN_TEXT_CHARS, max=300),
)


async def keep_options(ctx: Context, text: str) -> None:
    work = work_of(ctx)
    question = Question(work.text, QuestionKind(work.kind), split_options(text))
    if add_question(ctx, question):
        await PREPARING.forward(ctx, "k.q.kind")


async def prompt_options(ctx: Context) -> None:
    ctx.reply(ctx.t("consult.ask_options", min=MIN_OPTIONS, max=MAX_OPTIONS), nav_buttons(ctx))


@PREPARING.step("k.q.options", prompt_options)
async def answer_options(ctx: Context) -> None:
    """Options one a line, or separated by «;» (the line's spaces are kept)."""
    text = typed_text(ctx)
    if not text:
        ctx.aside(ctx.t("consult.question_invalid"))
        return
    await keep_options(ctx, text)


async def keep_limit(ctx: Context, text: str) -> None:
    work = work_of(ctx)
    if add_question(ctx, Question(work.text, QuestionKind.TEXT, (), int(text))):
        await PREPARING.forward(ctx, "k.q.kind")


write(
    PREPARING,
    "k.q.limit",
    lambda ctx: ctx.t("consult.ask_limit", min=MIN_TEXT_LIMIT, max=MAX_TEXT_LIMIT),
    keep_limit,
    check=counted(MIN_TEXT_LIMIT, MAX_TEXT_LIMIT),
    invalid=lambda ctx: ctx.t("consult.limit_invalid", min=MIN_TEXT_LIMIT, max=MAX_TEXT_LIMIT),
)


async def keep_privacy(ctx: Context, token: str) -> None:
    work_of(ctx).anonymous = token == "anonymous"
    await PREPARING.forward(ctx, "k.review")


choose(PREPARING, "k.anonymity", N_("consult.ask_privacy"), labelled(PRIVACY), keep_privacy)


def plan_of(work: ConsultationWork) -> ConsultationPlan:
    """The conversation's record as the service takes it."""
    document = FileRef(**work.document) if work.document else None  # type: ignore[arg-type]
    return ConsultationPlan(
        title=work.title,
        summary=work.summary,
        document=document,
        audience=tuple(work.audience),
        opens_on=date.fromisoformat(work.opens),
        closes_on=date.fromisoformat(work.closes),
        questions=tuple(Question.from_data(q) for q in work.questions),
        anonymous=work.anonymous,
    )


def preview_of(ctx: Context, plan: ConsultationPlan) -> ConsultationView:
    """The plan as a stored consultation would read (for the review and the preview)."""
    return ConsultationView(
        id=0,
        unit=work_of(ctx).unit,
        title=plan.title,
        summary=plan.summary,
        document=plan.document,
        audience=plan.audience,
        questions=plan.questions,
        anonymous=plan.anonymous,
        opens_at=opening_moment(plan.opens_on),
        closes_at=closing_moment(plan.closes_on),
        state=ConsultationState.PUBLISHED,
        result=None,
        started=0,
        finished=0,
    )


def questions_text(ctx: Context, questions: tuple[Question, ...]) -> str:
    """Each question as a citizen reads it: its words, how to answer, its options."""
    t = ctx.t
    blocks = []
    for index, question in enumerate(questions):
        lines = [
            t(
                "consult.question",
                number=index + 1,
                total=len(questions),
                text=question.text,
                hint=t(HINTS[question.kind], limit=question.limit),
            )
        ]
        if question.kind is QuestionKind.SCALE:
            lines += [f"  {t(label)}" for label in SCALE_LABELS.values()]
        lines += [f"  {n}. {option}" for n, option in enumerate(question.options, start=1)]
        blocks.append("\n".join(lines))
    return "\n\n".join(blocks)


async def prompt_review(ctx: Context) -> None:
    """The consultation once more, with a preview and «Công bố»."""
    plan = plan_of(work_of(ctx))
    t = ctx.t
    text = t(
        "consult.staff.review",
        details=consultation_details(t, ctx.env.org, preview_of(ctx, plan)),
        document=t(DOCUMENT_WORDS[plan.document is not None]),
        questions=questions_text(ctx, plan.questions),
    )
    ctx.reply(
        text,
        [ctx.button(t("consult.preview"), "preview")],
        [ctx.button(t("consult.publish"), "publish")],
        nav_buttons(ctx),
    )


@PREPARING.step("k.review", prompt_review)
async def answer_review(ctx: Context) -> None:
    """«Xem trước»: the announcement as citizens will get it; «Công bố»: publish."""
    t = ctx.t
    if ctx.choice == "preview" or says(ctx, N_("consult.preview")):
        plan = plan_of(work_of(ctx))
        view = preview_of(ctx, plan)
        ctx.reply(t("consult.preview.title"))
        ctx.reply(t("consult.announcement", details=consultation_details(t, ctx.env.org, view)))
        ctx.reply(questions_text(ctx, plan.questions))
        await prompt_review(ctx)
        return
    if not await pressed(ctx, "publish", N_("consult.publish"), prompt_review):
        return
    plan = plan_of(work_of(ctx))
    consultation_id = await by_service(
        ctx, lambda officer: publish_consultation(ctx.store, ctx.env, officer, plan, ctx.now)
    )
    if consultation_id is None:
        return
    log.info("consultation %s published", consultation_id)
    await finish(ctx, ctx.t("consult.published", title=plan.title, opens=ctx.t.date(plan.opens_on)))


# --- an opinion's reply --------------------------------------------------------------------------


@on(router, OpinionButton)
async def opinion_button(ctx: Context, data: OpinionButton) -> None:
    """«Tiếp thu» or «Giải trình» under an opinion: checked before anything is asked."""
    opinion = await ctx.store.opinion(data.opinion)
    found = await managed(ctx, opinion.consultation_id if opinion else 0)
    if found is None or opinion is None:
        return
    if found.state != ConsultationState.PUBLISHED:
        ctx.reply(ctx.t("consult.refused.summarised"))
        return
    work = ConsultationWork(
        consultation=found.id, opinion=opinion.id, mark=OPINION_MARKS[data.mark]
    )
    await PREPARING.start(ctx, work, "k.op.reply")


async def keep_reply(ctx: Context, text: str) -> None:
    work = work_of(ctx)
    marked = await by_service(
        ctx,
        lambda officer: mark_opinion(ctx.store, ctx.env, officer, work.opinion, work.mark, text),
    )
    if marked is not None:
        await finish(
            ctx, ctx.t("consult.opinion.saved", id=marked.id, mark=ctx.t(MARKS[marked.mark]))
        )


write(
    PREPARING,
    "k.op.reply",
    lambda ctx: ctx.t(
        "consult.ask_reply", mark=ctx.t(MARKS[work_of(ctx).mark]), limit=MAX_REPLY_CHARS
    ),
    keep_reply,
    check=within(MIN_TEXT_CHARS, MAX_REPLY_CHARS),
    invalid=lambda ctx: ctx.t("consult.text_invalid", min=MIN_TEXT_CHARS, max=MAX_REPLY_CHARS),
)


# --- the summary ---------------------------------------------------------------------------------


async def begin_summary(ctx: Context, consultation_id: int) -> None:
    """«Công bố kết quả»: once it closed, and only once."""
    found = await managed(ctx, consultation_id)
    if found is None:
        return
    if found.state != ConsultationState.PUBLISHED:
        ctx.reply(ctx.t("consult.refused.summarised"))
        return
    if ctx.now < found.closes_at:
        ctx.reply(ctx.t("consult.refused.still_open"))
        return
    await PREPARING.start(ctx, ConsultationWork(consultation=found.id), "k.sum.text")


async def keep_result(ctx: Context, text: str) -> None:
    work_of(ctx).result = text
    await PREPARING.forward(ctx, "k.sum.review")


async def prompt_result(ctx: Context) -> None:
    ctx.reply(ctx.t("consult.ask_result", limit=MAX_RESULT_CHARS), nav_buttons(ctx))


@PREPARING.step("k.sum.text", prompt_result)
async def answer_result(ctx: Context) -> None:
    """The summary's words, lines as typed."""
    text = (ctx.incoming.text or "").strip() if ctx.incoming.kind is Kind.TEXT else ""
    if not MIN_TEXT_CHARS <= len(text) <= MAX_RESULT_CHARS:
        ctx.aside(ctx.t("consult.text_invalid", min=MIN_TEXT_CHARS, max=MAX_RESULT_CHARS))
        return
    await keep_result(ctx, text)


async def prompt_summary_review(ctx: Context) -> None:
    """The summary as those who took part will read it, with the replies to opinions."""
    work = work_of(ctx)
    found = await ctx.store.consultation(work.consultation)
    if found is None:
        await finish(ctx, ctx.t("consult.staff.cancelled"))
        return
    shown = dataclasses.replace(found, result=work.result)
    opinions = await ctx.store.opinions(found.id)
    message = summary_message(ctx.t, ctx.env.org, shown, opinions)
    ctx.reply(
        ctx.t("consult.summary.review", count=found.finished) + "\n\n" + message.text,
        [ctx.button(ctx.t("consult.summary.send"), "send")],
        nav_buttons(ctx),
    )


@PREPARING.step("k.sum.review", prompt_summary_review)
async def answer_summary_review(ctx: Context) -> None:
    """Publishes the summary; a job sends it to everyone who took part."""
    if not await pressed(ctx, "send", N_("consult.summary.send"), prompt_summary_review):
        return
    work = work_of(ctx)
    found = await by_service(
        ctx,
        lambda officer: publish_summary(
            ctx.store, ctx.env, officer, work.consultation, work.result, ctx.now
        ),
    )
    if found is not None:
        log.info("consultation %s summarised", found.id)
        await finish(ctx, ctx.t("consult.summary.sent", count=found.finished))


# What a consultation card's buttons do, by the action in `cc:<id>.<action>`.
CARD_ACTIONS: dict[str, Callable[[Context, int], Awaitable[None]]] = {
    "open": open_card,
    "results": show_results,
    "opinions": show_opinions,
    "export": export,
    "summary": begin_summary,
}
