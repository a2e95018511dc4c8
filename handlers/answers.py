"""The citizen's side of the conversation with the office, after filing.

Answering an officer's question; after the answer: rating it (stars, a reason, a comment),
saying a feedback is not resolved (it reopens), or filing a second complaint (LKN Art. 33).
Every button names a petition; the server checks it is the pressing citizen's own.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.buttons import AnswerQuestion, Appeal, OpenPetition, Rate, Reopen
from bot.conversation import Context, Router, ask
from bot.core import Button, Kind, Reply
from bot.domain.petition import PetitionState
from bot.domain.workflow import TransitionRefused
from bot.flow import Flow
from bot.i18n import N_
from bot.ports import CitizenView, PetitionDetail
from bot.services.answers import (
    SecondComplaintRefused,
    file_second_complaint,
    second_complaint_window,
)
from bot.services.casework import reopen_by_citizen
from bot.services.workflow import (
    NotAllowed,
    explain_rating,
    rate_answer,
    record_citizen_answer,
)
from handlers.callbacks import on
from handlers.common import require_consent, show_menu
from handlers.compose import Composer
from handlers.filing import receipt_text, tell_assignee
from handlers.offers import offers_on
from handlers.steps import choose, labelled, says, within, write

router = Router()

ANSWER = Composer("answer", N_("answer.send"), N_("answer.noted"))
APPEAL = Composer("appeal", N_("appeal.send"), N_("appeal.noted"))
MAX_REASON_CHARS = 1000
SKIP = "skip"
MAX_WAITING = 50  # a citizen's latest petitions looked through for one waiting for an answer

RATING_LABELS = {
    "clear": N_("rating.reason.clear"),
    "fast": N_("rating.reason.fast"),
    "courteous": N_("rating.reason.courteous"),
    "slow": N_("rating.reason.slow"),
    "unclear": N_("rating.reason.unclear"),
    "not_solved": N_("rating.reason.not_solved"),
}


async def own_petition(ctx: Context, petition_id: int) -> tuple[CitizenView, PetitionDetail] | None:
    """The citizen and the petition the button names, if it is theirs; else a polite refusal."""
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    petition = await ctx.store.petition(petition_id)
    if petition is None or citizen is None or petition.citizen_id != citizen.id:
        ctx.reply(ctx.t("mine.not_yours"))
        return None
    return citizen, petition


# --- answering an officer's question ------------------------------------------------------------


@on(router, AnswerQuestion)
async def start_answer(ctx: Context, data: AnswerQuestion) -> None:
    """«Trả lời» under an officer's question: only the petition's own filer may answer."""
    if not await require_consent(ctx):
        return
    owned = await own_petition(ctx, data.petition)
    if owned is None:
        return
    petition = owned[1]
    if petition.summary.state != PetitionState.WAITING_CITIZEN:
        ctx.reply(ctx.t("answer.not_waiting", code=petition.summary.code))
        return
    keep_or_start_answer(ctx, petition.summary.id)
    await ask(router, ctx, "c.answer")


def keep_or_start_answer(ctx: Context, petition_id: int) -> None:
    """Begin an answer about this petition, or keep the one written before and not sent (the
    person left it for the menu, /start or something else, and comes back to it)."""
    written = ctx.conv.data.get(ANSWER.key) or {}
    if written.get("extra", {}).get("petition") != petition_id:
        ANSWER.start(ctx, petition=petition_id)


async def typed_answer(ctx: Context) -> bool:
    """Words or files sent without «✍️ Trả lời» while an officer waits for this citizen's answer:
    they are its first part, and the person is told so (Cancel if they were not). Only when one
    petition waits: with several, «Đơn của tôi» tells them apart."""
    if ctx.incoming.kind not in (Kind.TEXT, Kind.FILE):
        return False
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    if citizen is None:
        return False
    mine = await ctx.store.petitions_of_citizen(citizen.id, limit=MAX_WAITING)
    waiting = [p for p in mine if p.state == PetitionState.WAITING_CITIZEN]
    if len(waiting) != 1:
        return False
    keep_or_start_answer(ctx, waiting[0].id)
    ctx.goto("c.answer")
    if says(ctx, N_("citizen.question.answer")):  # the button's words, typed: ask, keep nothing
        await prompt_answer(ctx)
        return True
    ctx.reply(ctx.t("answer.from_menu", code=waiting[0].code))
    await take_answer(ctx)
    return True


async def prompt_answer(ctx: Context) -> None:
    """Asks for the answer: text, photos, documents or voice, then Send."""
    ctx.reply(ctx.t("answer.ask"), *ANSWER.buttons(ctx))


@router.state("c.answer", prompt_answer)
async def take_answer(ctx: Context) -> None:
    """Collects the answer; Send delivers it to the officer."""
    written = await ANSWER.take_until_sent(ctx, N_("answer.cancelled"))
    if written is None:
        return
    petition_id = int(written.extra.get("petition", 0))
    if not written.text and not written.files:
        ctx.reply(ctx.t("answer.empty"))
        ANSWER.start(ctx, petition=petition_id)
        return
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    try:
        answered = await record_citizen_answer(
            ctx.store,
            petition_id,
            citizen.id if citizen else 0,
            ctx.incoming.channel,
            written.text,
            written.files,
            ctx.now,
        )
    except (NotAllowed, TransitionRefused):
        await show_menu(ctx, ctx.t("answer.not_waiting", code=""))
        return
    code, petition_id = answered.petition.summary.code, answered.petition.summary.id
    await show_menu(ctx, ctx.t("answer.sent", code=code))
    if answered.assignee is not None:
        files = len(written.files)
        await ctx.notify_officer(
            answered.assignee.id,
            lambda t: Reply(
                t("officer.answer_received", code=code, text=written.text or "—", files=files),
                ((Button(t("officer.open"), OpenPetition(petition_id).pack()),),),
            ),
        )


# --- rating the answer --------------------------------------------------------------------------


@on(router, Rate)
async def rate(ctx: Context, data: Rate) -> None:
    """The citizen rates the answer (1-5), once, on their own petition; then says why."""
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    petition_id, score = data.petition, data.score
    if citizen is None:
        ctx.reply(ctx.t("input.unknown_button"))
        return
    try:
        await rate_answer(ctx.store, petition_id, citizen.id, score, ctx.now)
    except NotAllowed:
        ctx.reply(ctx.t("rating.refused"))
        return
    # The stars go from the answer's message; a second complaint or «not resolved» stays.
    petition = await ctx.store.petition(petition_id)
    if petition is not None:
        ctx.rebutton_pressed(*(await offers_on(ctx, petition)).rows(ctx.t))
    await RATING.start(ctx, RatingNotes(petition=petition_id), "c.rating.reason")


@dataclass
class RatingNotes:
    """Why the citizen rated as they did, being asked after the stars."""

    petition: int = 0
    reason: str = ""


async def after_rating(ctx: Context, text: str | None) -> None:
    """The stars are kept whatever happens here: thank the citizen."""
    await show_menu(ctx, text or ctx.t("rating.thanks"))


RATING = Flow(
    router,
    "rating",
    RatingNotes,
    {"c.rating.reason": ("c.rating.comment",), "c.rating.comment": ()},
    leave=after_rating,
    cancelled=N_("rating.thanks"),
)


async def keep_rating_reason(ctx: Context, reason: str) -> None:
    """A reason from the short list, then an optional comment in the citizen's words."""
    if reason == SKIP:
        await RATING.end(ctx, None)
        return
    RATING.draft(ctx).reason = reason
    await RATING.forward(ctx, "c.rating.comment")


async def keep_rating_comment(ctx: Context, comment: str) -> None:
    """Stores the reason and the comment with the rating."""
    rating = RATING.draft(ctx)
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    try:
        await explain_rating(
            ctx.store, rating.petition, citizen.id if citizen else 0, rating.reason, comment or None
        )
    except NotAllowed:
        await RATING.end(ctx, ctx.t("rating.refused"))
        return
    await RATING.end(ctx, None)


choose(
    RATING,
    "c.rating.reason",
    N_("rating.ask_reason"),
    labelled({**RATING_LABELS, SKIP: N_("rating.skip")}),
    keep_rating_reason,
)
write(
    RATING,
    "c.rating.comment",
    N_("rating.ask_comment"),
    keep_rating_comment,
    check=within(1, MAX_REASON_CHARS),
    invalid=lambda ctx: ctx.t("rating.comment_invalid", limit=MAX_REASON_CHARS),
    skip=N_("rating.skip"),
)


# --- «not resolved»: a petition or feedback reopens ---------------------------------------------


@dataclass
class Reopening:
    """The petition the citizen says is not resolved."""

    petition: int = 0


async def after_reopening(ctx: Context, text: str | None) -> None:
    await show_menu(ctx, text)


REOPEN = Flow(
    router,
    "reopen",
    Reopening,
    {"c.reopen": ()},
    leave=after_reopening,
    cancelled=N_("reopen.cancelled"),
)


@on(router, Reopen)
async def start_reopen(ctx: Context, data: Reopen) -> None:
    """«Chưa được giải quyết» under an answer: asks what is still wrong."""
    owned = await own_petition(ctx, data.petition)
    if owned is None:
        return
    if owned[1].summary.state not in {PetitionState.ANSWERED, PetitionState.CLOSED}:
        ctx.reply(ctx.t("reopen.not_possible"))
        return
    await REOPEN.start(ctx, Reopening(petition=owned[1].summary.id), "c.reopen")


async def reopen(ctx: Context, reason: str) -> None:
    """Reopens the petition; its officer and the heads above are told, with the reason."""
    petition_id = REOPEN.draft(ctx).petition
    REOPEN.drop(ctx)
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    try:
        reopened = await reopen_by_citizen(
            ctx.store, ctx.env, petition_id, citizen.id if citizen else 0, reason, ctx.now
        )
    except (NotAllowed, TransitionRefused):
        await show_menu(ctx, ctx.t("reopen.not_possible"))
        return
    code, petition_id = reopened.petition.summary.code, reopened.petition.summary.id
    due = min((d.due_date for d in reopened.deadlines), default=None)
    await show_menu(ctx, ctx.t("reopen.done", code=code, date=ctx.t.date(due) if due else "—"))
    officers = [o for o in (reopened.assignee, *reopened.heads) if o is not None]
    for officer in officers:
        await ctx.notify_officer(
            officer.id,
            lambda t: Reply(
                t("officer.reopened", code=code, reason=reason),
                ((Button(t("officer.open"), OpenPetition(petition_id).pack()),),),
            ),
        )


write(
    REOPEN,
    "c.reopen",
    N_("reopen.ask"),
    reopen,
    check=within(5, MAX_REASON_CHARS),
    invalid=lambda ctx: ctx.t("reopen.invalid", limit=MAX_REASON_CHARS),
)


# --- a second complaint (khiếu nại lần hai) -----------------------------------------------------


@on(router, Appeal)
async def start_appeal(ctx: Context, data: Appeal) -> None:
    """«Khiếu nại lần hai» under a first decision: explains where it goes, asks why."""
    if not await require_consent(ctx):
        return
    owned = await own_petition(ctx, data.petition)
    if owned is None:
        return
    petition = owned[1]
    until = await second_complaint_window(ctx.store, petition)
    if until is None or petition.summary.state not in {
        PetitionState.ANSWERED,
        PetitionState.CLOSED,
    }:
        ctx.reply(ctx.t("appeal.refused.not_open", code=petition.summary.code))
        return
    APPEAL.start(ctx, petition=petition.summary.id)
    ctx.reply(ctx.t("appeal.intro", code=petition.summary.code, date=ctx.t.date(until)))
    await ask(router, ctx, "c.appeal")


async def prompt_appeal(ctx: Context) -> None:
    ctx.reply(ctx.t("appeal.ask"), *APPEAL.buttons(ctx))


@router.state("c.appeal", prompt_appeal)
async def take_appeal(ctx: Context) -> None:
    """Files the second complaint to the level above and gives its receipt."""
    written = await APPEAL.take_until_sent(ctx, N_("appeal.cancelled"))
    if written is None:
        return
    first_id = int(written.extra.get("petition", 0))
    if len(written.text) < 5:
        ctx.reply(ctx.t("appeal.too_short"))
        APPEAL.start(ctx, petition=first_id)
        return
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    try:
        appealed = await file_second_complaint(
            ctx.store,
            ctx.env,
            first_id,
            citizen.id if citizen else 0,
            written.text,
            written.files,
            ctx.incoming.channel,
            ctx.now,
        )
    except SecondComplaintRefused as refused:
        await show_menu(ctx, ctx.t(refused.reason))
        return
    except (NotAllowed, TransitionRefused):
        await show_menu(ctx, ctx.t("appeal.refused.not_open", code=""))
        return
    await show_menu(ctx, receipt_text(ctx, appealed.draft, appealed.filed))
    await tell_assignee(ctx, appealed.filed, appealed.draft)
