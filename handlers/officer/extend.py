"""Gia hạn: the resolver of a denunciation asks for more time, saying how complex the case is and
why; the unit's heads decide with one press, and the denouncer learns the new date (LTC Art. 30).
"""

from __future__ import annotations

import functools
from datetime import date

from bot.buttons import ExtensionDecision
from bot.conversation import Context
from bot.core import Reply
from bot.domain.deadlines import TooManyExtensions
from bot.domain.workflow import Action, TransitionRefused
from bot.i18n import N_, Translator
from bot.ports import OfficerView
from bot.services.workflow import (
    ExtensionRequested,
    NotAllowed,
    decide_extension,
    request_extension,
)
from handlers.callbacks import on
from handlers.officer.actions import (
    ACTIONS,
    Finished,
    OfficerAction,
    for_decision,
    say_refused,
    saying,
)
from handlers.officer.base import COMPLEXITY_LABELS, Answers, router
from handlers.officer.kinds import choice_question, words_question
from handlers.staff import current_officer

WHY = words_question("o.extend.reason", N_("officer.extend.ask_reason"))


async def complexities(ctx: Context) -> dict[str, str]:
    """How complex the case is: it sets how many extensions the law allows."""
    return COMPLEXITY_LABELS


COMPLEXITY = choice_question(
    "o.extend", "complexity", N_("officer.extend.ask_case"), complexities, WHY.state
)


async def request(ctx: Context, officer: OfficerView, answers: Answers) -> ExtensionRequested:
    """The request goes on the file; the service finds the heads who decide."""
    complexity, reason = answers.get("complexity", ""), answers.get("text", "")
    petition_id = answers["petition"]
    return await request_extension(
        ctx.store, ctx.env, petition_id, officer, complexity, reason, ctx.now
    )


async def tell_heads(finished: Finished[ExtensionRequested]) -> None:
    """Each head reads the request and decides with one press."""
    for head in finished.done.heads:
        await finished.ctx.notify_officer(head.id, functools.partial(request_for_head, finished))


def request_for_head(finished: Finished[ExtensionRequested], t: Translator) -> Reply:
    """The request as a head reads it, with Approve and Decline."""
    complexity = finished.answers.get("complexity", "")
    text = t(
        "officer.extend.request",
        code=finished.code,
        officer=finished.officer.name,
        case=t(COMPLEXITY_LABELS[complexity]),
        note=finished.answers.get("text", ""),
    )
    yes, no = N_("officer.extend.approve"), N_("officer.extend.decline")
    pid = finished.petition_id
    decide = functools.partial(ExtensionDecision, pid, complexity)
    return for_decision(t, text, decide, pid, yes, no)


EXTEND = ACTIONS.declare(
    OfficerAction(
        Action.EXTEND,
        N_("officer.action.extend"),
        questions=(COMPLEXITY, WHY),
        service=request,
        said=saying(N_("officer.extension_requested")),
        others=tell_heads,
    )
)


@on(router, ExtensionDecision)
async def decide_on_extension(ctx: Context, data: ExtensionDecision) -> None:
    """A head approves or declines an extension; checked again on the server."""
    head = await current_officer(ctx)
    if head is None:
        return
    petition_id, yes = data.petition, data.verdict == "yes"
    try:
        decided = await decide_extension(
            ctx.store, ctx.env, petition_id, head, data.complexity, yes, ctx.now
        )
    except TooManyExtensions:
        ctx.reply(ctx.t("officer.extend.too_many"))
        return
    except (NotAllowed, TransitionRefused) as error:
        await say_refused(ctx, head, f"extension decision on {petition_id}", error, menu=False)
        return
    code = decided.petition.summary.code
    if decided.new_due is None:
        ctx.reply(ctx.t("officer.extend.declined", code=code))
        message = functools.partial(extension_declined, code=code)
    else:
        ctx.reply(ctx.t("officer.extend.approved", code=code, date=ctx.t.date(decided.new_due)))
        message = functools.partial(extension_approved, code=code, due=decided.new_due)
        if decided.citizen is not None:
            await ctx.notify(decided.citizen, message, about=decided.petition.summary.id)
    if decided.assignee is not None:
        await ctx.notify_officer(decided.assignee.id, message)


def extension_approved(t: Translator, code: str, due: date) -> Reply:
    """The new date, for the denouncer and the resolver (LTC Art. 30)."""
    return Reply(t("citizen.extended", code=code, date=t.date(due)))


def extension_declined(t: Translator, code: str) -> Reply:
    """The resolver learns the head did not agree."""
    return Reply(t("officer.extend.declined", code=code))
