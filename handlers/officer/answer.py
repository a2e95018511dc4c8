"""Trả lời: the decision, conclusion or reply, with its document, goes to the citizen. A decision
on a complaint or a conclusion on a denunciation drafted by an officer (and any kind the unit's
`sign_off` adds) goes first to the head who signs it (LEGAL §9), who approves it (it goes out,
naming them and the day) or returns it with a reason."""

from __future__ import annotations

import functools
from typing import cast

from bot.buttons import AnswerDecision
from bot.conversation import Context, ask
from bot.core import Reply
from bot.domain.petition import PetitionKind, outcomes_for
from bot.domain.workflow import Action, TransitionRefused
from bot.i18n import N_, Translator
from bot.labels import OUTCOME_LABELS
from bot.ports import OfficerView
from bot.services.answers import AnswerProposed, Approval, decide_answer, propose_answer
from bot.services.workflow import AnswerSent, NotAllowed
from handlers.callbacks import on
from handlers.common import show_menu
from handlers.compose import Composer
from handlers.offers import REOPENABLE, Offers
from handlers.officer.actions import (
    ACTIONS,
    Finished,
    OfficerAction,
    for_decision,
    opening,
    say_refused,
)
from handlers.officer.base import (
    Answers,
    pending_cancelled,
    router,
    take_pending,
    the_petition,
    typed_words,
)
from handlers.officer.kinds import choice_question, sending_written, written_question
from handlers.staff import cancel_row, current_officer, refuse

ANSWER = Composer("answer", N_("officer.answer.send"), N_("officer.answer.noted"), 1, "pending")
TEXT = written_question("w.answer", ANSWER, N_("officer.answer.ask_text"))

Sent = AnswerProposed | AnswerSent


async def outcomes(ctx: Context) -> dict[str, str]:
    """How a complaint or denunciation was decided, as its answer must state; other kinds have
    none, and go straight on to the answer."""
    petition = await the_petition(ctx)
    kind, instance = (petition.summary.kind, petition.case.instance) if petition else ("", 1)
    return {o.value: OUTCOME_LABELS[o] for o in outcomes_for(kind, instance)}


OUTCOME = choice_question(
    "w.outcome", "outcome", N_("officer.answer.ask_outcome"), outcomes, TEXT.state
)


async def send(ctx: Context, officer: OfficerView, answers: Answers) -> Sent:
    """The answer goes out with the outcome chosen, or waits for a head where the unit wants
    approval."""
    outcome = answers.get("outcome")
    written = sending_written(functools.partial(propose_answer, outcome=outcome))
    return await written(ctx, officer, answers)


def answered(finished: Finished[Sent]) -> str:
    """For the officer: sent, or waiting for a head, named."""
    t, done = finished.ctx.t, finished.done
    if not isinstance(done, AnswerProposed):
        return t("officer.answered", code=finished.code)
    said = t("officer.answer.submitted", code=finished.code)
    if done.heads:
        heads = ", ".join(named(head.title, head.name) for head in done.heads)
        said += "\n" + t("officer.answer.signer", heads=heads)
    return said


def named(title: str, name: str) -> str:
    """«Chủ tịch UBND xã Phú Đình Nguyễn Văn Hải», or the name alone where no title is set."""
    return " ".join(part for part in (title.strip(), name.strip()) if part)


def citizen_answer(t: Translator, finished: Finished[Sent]) -> Reply:
    """The answer the citizen receives: only a sent one found their chat, a draft none."""
    return answer_for_citizen(t, cast(AnswerSent, finished.done))


async def ask_heads(finished: Finished[Sent]) -> None:
    """A draft goes to the unit's heads, each with Approve and Return."""
    proposed = finished.done
    if not isinstance(proposed, AnswerProposed):
        return
    author, text = finished.officer.name, finished.answers.get("text", "")
    outcome = finished.answers.get("outcome")
    for head in proposed.heads:
        await finished.ctx.notify_officer(
            head.id, lambda t: approval_request(t, proposed, author, text, outcome)
        )


ANSWER_ACTION = ACTIONS.declare(
    OfficerAction(
        Action.ANSWER,
        N_("officer.action.answer"),
        questions=(OUTCOME, TEXT),
        service=send,
        said=answered,
        citizen=citizen_answer,
        others=ask_heads,
    )
)


def approval_request(
    t: Translator, proposed: AnswerProposed, author: str, text: str, outcome: str | None = None
) -> Reply:
    """The head reads the draft, and the outcome it states, and decides with one press."""
    petition_id, code = proposed.petition.summary.id, proposed.petition.summary.code
    text = t("officer.answer.approval", code=code, officer=author, text=text)
    if outcome in OUTCOME_LABELS:
        text += "\n" + t("officer.answer.approval.outcome", outcome=t(OUTCOME_LABELS[outcome]))
    yes, no = N_("officer.answer.approve"), N_("officer.answer.return")
    decide = functools.partial(AnswerDecision, petition_id, proposed.proposal_id)
    return for_decision(t, text, decide, petition_id, yes, no)


def answer_for_citizen(t: Translator, sent: AnswerSent, approval: Approval | None = None) -> Reply:
    """The answer; who approved the officer's draft, and when; for a complaint the
    second-complaint window; the rating; «not resolved»."""
    petition = sent.petition
    code, petition_id = petition.summary.code, petition.summary.id
    lines = [t("citizen.answer", code=code, text=sent.text)]
    if approval is not None:
        who = named(approval.title, approval.name)
        lines.append(t("citizen.answer.approved_by", approver=who, date=t.date(approval.at)))
    if sent.second_complaint_until is not None:
        until = t.date(sent.second_complaint_until)
        lines.append(t("citizen.answer.second_complaint", date=until))
    lines.append(t("citizen.answer.rate"))
    offers = Offers(
        petition_id,
        rate=True,
        appeal_until=sent.second_complaint_until,
        reopen=PetitionKind(petition.summary.kind) in REOPENABLE,
    )
    return Reply("\n".join(lines), tuple(offers.rows(t)), attachment=sent.document)


@on(router, AnswerDecision)
async def decide_on_answer(ctx: Context, data: AnswerDecision) -> None:
    """A head approves a draft answer (it goes out) or returns it (asked why)."""
    head = await current_officer(ctx)
    if head is None:
        return
    petition_id, proposal_id = data.petition, data.proposal
    if data.verdict == "no":
        ctx.conv.data["pending"] = Answers(petition=petition_id, proposal=proposal_id)
        await ask(router, ctx, "w.return")
        return
    try:
        decided = await decide_answer(
            ctx.store, ctx.env, petition_id, proposal_id, head, True, None, ctx.now
        )
    except NotAllowed:
        refuse(ctx, head, f"approving answer {proposal_id}")
        return
    except TransitionRefused:
        ctx.reply(ctx.t("officer.action.not_possible"))
        return
    code = decided.petition.summary.code
    ctx.reply(ctx.t("officer.answered", code=code))
    if decided.author is not None:
        await ctx.notify_officer(
            decided.author.id, lambda t: Reply(t("officer.answer.approved", code=code))
        )
    sent, approval = decided.sent, decided.approval
    if sent is not None and sent.citizen is not None:
        await ctx.notify(
            sent.citizen,
            lambda t: answer_for_citizen(t, sent, approval),
            about=sent.petition.summary.id,
        )


async def prompt_return_reason(ctx: Context) -> None:
    """Asks the head why the draft goes back: its author reads it."""
    ctx.reply(ctx.t("officer.answer.ask_return_reason"), cancel_row(ctx))


@router.state("w.return", prompt_return_reason)
async def take_return_reason(ctx: Context) -> None:
    """Returns the draft to its author with the head's reason."""
    if await pending_cancelled(ctx):
        return
    head = await current_officer(ctx)
    reason = typed_words(ctx)
    if head is None or reason is None:
        return
    job = take_pending(ctx)
    petition_id, proposal_id = job.get("petition", 0), job.get("proposal", 0)
    try:
        decided = await decide_answer(
            ctx.store, ctx.env, petition_id, proposal_id, head, False, reason, ctx.now
        )
    except (NotAllowed, TransitionRefused) as error:
        await say_refused(ctx, head, f"returning answer {proposal_id}", error, menu=True)
        return
    code, petition_id = decided.petition.summary.code, decided.petition.summary.id
    await show_menu(ctx, ctx.t("officer.answer.returned", code=code))
    if decided.author is not None:
        await ctx.notify_officer(
            decided.author.id,
            lambda t: opening(
                t, t("officer.answer.returned_to_author", code=code, reason=reason), petition_id
            ),
        )
