"""«🗳️ Lấy ý kiến» for citizens: the consultations open now, and answering one question by
question (issue 15).

Answering is a flow: the village first, then one step per question, declared with the usual
step kinds (a choice of one, of several, a 1-5 scale, words), then the review and «Gửi». The
answers stay in the conversation until they are sent, so a person may stop and resume (the menu
and /start keep them), and nothing is stored with their name before that. A named consultation's
answers can be changed until it closes; an anonymous one's cannot, since nothing says whose
they are. Every step checks again that the consultation is still open, and the service checks
the whole set.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field

from bot.buttons import ConsultationAction, Menu
from bot.conversation import Context, Router
from bot.core import Button
from bot.domain.consultations import (
    MAX_QUESTIONS,
    SCALE,
    Question,
    QuestionKind,
    answering_places,
    option_label,
)
from bot.domain.words import clip
from bot.flow import Flow, nav_buttons
from bot.i18n import N_
from bot.ports import CitizenView, ConsultationView
from bot.services.consultations import (
    ConsultationRefused,
    answering,
    begin_answering,
    closing_day,
    consultation_details,
    join,
    open_consultations,
    place_label,
    submit,
)
from handlers.callbacks import on
from handlers.common import show_menu
from handlers.dialogues import citizen_here
from handlers.picker import Option
from handlers.steps import choose, choose_many, pressed, says, write

router = Router()

LABEL_CHARS = 50
KINDS = tuple(QuestionKind)
SCALE_LABELS = {
    "1": N_("consult.scale.1"),
    "2": N_("consult.scale.2"),
    "3": N_("consult.scale.3"),
    "4": N_("consult.scale.4"),
    "5": N_("consult.scale.5"),
}
HINTS = {
    QuestionKind.ONE: N_("consult.hint.one"),
    QuestionKind.MANY: N_("consult.hint.many"),
    QuestionKind.SCALE: N_("consult.hint.scale"),
    QuestionKind.TEXT: N_("consult.hint.text"),
}


@dataclass
class Answering:
    """A citizen's answers so far, kept in the conversation until sent."""

    consultation: int = 0
    village: str = ""
    answers: dict[str, list[str]] = dataclass_field(default_factory=dict)  # "0" → tokens
    changing: bool = False  # a named set sent before, being changed
    questions: list[dict[str, object]] = dataclass_field(default_factory=list)  # as stored
    survey: bool = False  # a satisfaction survey's questionnaire: no village


def step_of(index: int, kind: str) -> str:
    """The step that asks question `index`, of this kind."""
    return f"c.{index}.{kind}"


def graph() -> dict[str, tuple[str, ...]]:
    """The village, then each question at its place by its kind, then the review."""
    edges: dict[str, tuple[str, ...]] = {
        "c.village": tuple(step_of(0, kind) for kind in KINDS),
        "c.review": (),
    }
    for index in range(MAX_QUESTIONS):
        following = tuple(step_of(index + 1, k) for k in KINDS) if index + 1 < MAX_QUESTIONS else ()
        for kind in KINDS:
            edges[step_of(index, kind)] = (*following, "c.review")
    return edges


async def still_open(ctx: Context) -> bool:
    """The consultation still takes answers; else say so (the draft is dropped)."""
    try:
        await answering(ctx.store, ANSWERING.draft(ctx).consultation, ctx.now)
    except ConsultationRefused as refused:
        ctx.reply(ctx.t(refused.reason))
        return False
    return True


async def leave(ctx: Context, text: str | None) -> None:
    """Back to the menu, with a word."""
    await show_menu(ctx, text)


ANSWERING = Flow(
    router,
    "consulting",
    Answering,
    graph(),
    leave=leave,
    cancelled=N_("consult.cancelled"),
    allowed=still_open,
    title=N_("consult.flow_title"),
)


def draft(ctx: Context) -> Answering:
    return ANSWERING.draft(ctx)


async def current(ctx: Context) -> ConsultationView | None:
    """The consultation being answered, as stored now."""
    return await ctx.store.consultation(draft(ctx).consultation)


# --- the list and a consultation's page -------------------------------------------------------


async def show_open(ctx: Context) -> None:
    """«🗳️ Lấy ý kiến»: the consultations open now, those for followed places first."""
    citizen = await citizen_here(ctx)
    if citizen is None:
        return
    found = await open_consultations(ctx.store, ctx.env, citizen.id, ctx.now)
    home = [Button(ctx.t("menu.back_home"), Menu("home").pack())]
    if not found:
        ctx.reply(ctx.t("consult.none"), home)
        return
    rows = [
        [Button(clip(c.title, LABEL_CHARS), ConsultationAction(c.id, "view").pack())] for c in found
    ]
    ctx.reply(ctx.t("consult.open"), *rows, home)


@on(router, ConsultationAction)
async def consultation_button(ctx: Context, data: ConsultationAction) -> None:
    """A consultation's page, «Trả lời», its draft document: checked on the server."""
    citizen = await citizen_here(ctx)
    if citizen is None:
        return
    try:
        await ACTIONS[data.action](ctx, citizen, data.consultation)
    except ConsultationRefused as refused:
        ctx.reply(ctx.t(refused.reason))


async def view(ctx: Context, citizen: CitizenView, consultation_id: int) -> None:
    """The details, and the buttons to answer and to read the draft."""
    found = await answering(ctx.store, consultation_id, ctx.now)
    t = ctx.t
    rows = [[Button(t("consult.answer"), ConsultationAction(found.id, "ans").pack())]]
    if found.document is not None:
        rows.append([Button(t("consult.document"), ConsultationAction(found.id, "doc").pack())])
    rows.append([Button(t("menu.back_home"), Menu("home").pack())])
    ctx.reply(consultation_details(t, ctx.env.org, found), *rows)


async def document(ctx: Context, citizen: CitizenView, consultation_id: int) -> None:
    """The draft document the commune attached."""
    found = await answering(ctx.store, consultation_id, ctx.now)
    if found.document is None:
        ctx.reply(ctx.t("consult.no_document"))
        return
    ctx.reply(ctx.t("consult.document.sent", title=found.title), attachment=found.document)


async def begin(ctx: Context, citizen: CitizenView, consultation_id: int) -> None:
    """«Trả lời»: from the village; a named set sent before comes back to be changed."""
    found, earlier = await begin_answering(ctx.store, consultation_id, citizen.id, ctx.now)
    answers = {str(index): list(values) for index, values in earlier.items()}
    if earlier:
        until = ctx.t.date(closing_day(found))
        ctx.reply(ctx.t("consult.changing", title=found.title, closes=until))
    work = Answering(
        consultation=found.id,
        answers=answers,
        changing=bool(earlier),
        questions=[question.as_data() for question in found.questions],
        survey=found.survey is not None,
    )
    if work.survey:  # a satisfaction survey asks for no village: its first question
        await ANSWERING.start(ctx, work, step_of(0, found.questions[0].kind))
        return
    await ANSWERING.start(ctx, work, "c.village")


ACTIONS = {"view": view, "ans": begin, "doc": document}


# --- the steps ----------------------------------------------------------------------------------


async def village_options(ctx: Context) -> list[Option]:
    """The villages of the places consulted."""
    found = await current(ctx)
    places = answering_places(ctx.env.org, found.audience) if found else []
    return [Option(code, place_label(ctx.t, ctx.env.org, code)) for code in places]


async def keep_village(ctx: Context, village: str) -> None:
    """Counts the citizen as started (for the reminder), then the first question."""
    citizen = await citizen_here(ctx)
    if citizen is None:
        return
    try:
        await join(ctx.store, ctx.env, draft(ctx).consultation, citizen.id, village, ctx.now)
    except ConsultationRefused as refused:
        await ANSWERING.end(ctx, ctx.t(refused.reason))
        return
    draft(ctx).village = village
    await ask_question(ctx, 0)


choose(ANSWERING, "c.village", N_("consult.ask_village"), village_options, keep_village)


async def ask_question(ctx: Context, index: int) -> None:
    """Question `index`, by its kind; after the last, the review."""
    questions = questions_of(ctx)
    if index >= len(questions):
        await ANSWERING.forward(ctx, "c.review")
        return
    await ANSWERING.forward(ctx, step_of(index, questions[index].kind))


def questions_of(ctx: Context) -> list[Question]:
    """The question set, as copied into the draft when answering began (a published set does
    not change; the service checks the answers against the stored one)."""
    return [Question.from_data(data) for data in draft(ctx).questions]


def asking(index: int) -> Callable[[Context], str]:
    """The question's words with its number, how to answer, and the answer given before."""

    def words(ctx: Context) -> str:
        questions = questions_of(ctx)
        question = questions[index]
        text = ctx.t(
            "consult.question",
            number=index + 1,
            total=len(questions),
            text=question.text,
            hint=ctx.t(HINTS[question.kind], limit=question.limit),
        )
        before = draft(ctx).answers.get(str(index))
        if before:
            shown = "; ".join(answer_words(question, before))
            text += "\n" + ctx.t("consult.before", answer=clip(shown, 300))
        return text

    return words


def answer_words(question: Question, tokens: list[str]) -> list[str]:
    """An answer as the person saw it."""
    if question.kind is QuestionKind.TEXT:
        return tokens
    return [option_label(question, token) for token in tokens]


def options_of(index: int) -> Callable[[Context], list[Option]]:
    """A choice's options, or the scale's points."""

    def options(ctx: Context) -> list[Option]:
        question = questions_of(ctx)[index]
        if question.kind is QuestionKind.SCALE:
            return [Option(point, ctx.t(SCALE_LABELS[point])) for point in SCALE]
        return [Option(str(i), text) for i, text in enumerate(question.options)]

    return options


def keeping(index: int) -> Callable[[Context, str], Awaitable[None]]:
    """A choice of one, or a point of the scale: kept, then the next question."""

    async def keep(ctx: Context, token: str) -> None:
        draft(ctx).answers[str(index)] = [token]
        await ask_question(ctx, index + 1)

    return keep


def marked(index: int) -> Callable[[Context], list[str]]:
    """The options marked so far in a choice of several."""
    return lambda ctx: draft(ctx).answers.setdefault(str(index), [])


def onward(index: int) -> Callable[[Context], Awaitable[None]]:
    """«Tiếp» under a choice of several (none marked: skipped)."""

    async def done(ctx: Context) -> None:
        await ask_question(ctx, index + 1)

    return done


def writing(index: int) -> Callable[[Context, str], Awaitable[None]]:
    """Words within the question's limit («Bỏ qua»: skipped), then the next question."""

    async def keep(ctx: Context, text: str) -> None:
        if says(ctx, N_("consult.skip")):  # «bỏ qua» typed: the button's words, not an opinion
            text = ""
        limit = questions_of(ctx)[index].limit
        if len(text) > limit:
            ctx.aside(ctx.t("consult.too_long", limit=limit, length=len(text)))
            return
        draft(ctx).answers[str(index)] = [text] if text else []
        await ask_question(ctx, index + 1)

    return keep


for _index in range(MAX_QUESTIONS):
    choose(
        ANSWERING,
        step_of(_index, QuestionKind.ONE),
        asking(_index),
        options_of(_index),
        keeping(_index),
    )
    choose(
        ANSWERING,
        step_of(_index, QuestionKind.SCALE),
        asking(_index),
        options_of(_index),
        keeping(_index),
        per_row=5,
    )
    choose_many(
        ANSWERING,
        step_of(_index, QuestionKind.MANY),
        asking(_index),
        options_of(_index),
        marked(_index),
        onward(_index),
        done_label=N_("consult.next"),
        per_row=1,
    )
    write(
        ANSWERING,
        step_of(_index, QuestionKind.TEXT),
        asking(_index),
        writing(_index),
        check=bool,  # its length is the question's own: checked when kept
        invalid=N_("consult.text_empty"),
        skip=N_("consult.skip"),
    )


# --- the review ---------------------------------------------------------------------------------


def review_text(ctx: Context) -> str:
    """Every answer, as given, before it is sent."""
    work = draft(ctx)
    if work.survey:
        lines = [ctx.t("survey.answers.review")]
    else:
        lines = [ctx.t("consult.review", village=place_label(ctx.t, ctx.env.org, work.village))]
    for index, question in enumerate(questions_of(ctx)):
        given = work.answers.get(str(index)) or []
        shown = "; ".join(answer_words(question, given)) or ctx.t("consult.skipped")
        lines.append(f"{index + 1}. {clip(question.text, 80)}\n   → {clip(shown, 300)}")
    return "\n".join(lines)


async def prompt_review(ctx: Context) -> None:
    """The answers once more, and «Gửi ý kiến»; Back goes to the last question to change it."""
    ctx.reply(
        review_text(ctx),
        [ctx.button(ctx.t("consult.send"), "send")],
        nav_buttons(ctx),
    )


@ANSWERING.step("c.review", prompt_review)
async def answer_review(ctx: Context) -> None:
    """Sends the answers: the service checks them all again, and that it is still open."""
    if not await pressed(ctx, "send", N_("consult.send"), prompt_review):
        return
    citizen = await citizen_here(ctx)
    if citizen is None:
        return
    work = draft(ctx)
    answers = {int(index): list(values) for index, values in work.answers.items()}
    try:
        found = await submit(
            ctx.store, ctx.env, work.consultation, citizen.id, work.village, answers, ctx.now
        )
    except ConsultationRefused as refused:
        await ANSWERING.end(ctx, ctx.t(refused.reason))
        return
    closes = ctx.t.date(closing_day(found))
    if found.survey is not None:
        thanks = ctx.t("survey.thanks")
    elif found.anonymous:
        thanks = ctx.t("consult.thanks.anonymous", title=found.title)
    else:
        thanks = ctx.t("consult.thanks.named", title=found.title, closes=closes)
    await ANSWERING.end(ctx, thanks)
