"""Thụ lý: accept a petition; the officer and the citizen learn the dates now running."""

from __future__ import annotations

from bot.conversation import Context
from bot.core import Reply
from bot.domain.workflow import Action
from bot.i18n import N_, Translator
from bot.labels import rule_label
from bot.ports import OfficerView
from bot.services.workflow import Accepted, accept_petition
from handlers.officer.actions import ACTIONS, Finished, OfficerAction
from handlers.officer.base import Answers
from handlers.officer.kinds import confirm_question


async def accept(ctx: Context, officer: OfficerView, answers: Answers) -> Accepted:
    """Thụ lý: the resolution clock starts."""
    return await accept_petition(ctx.store, ctx.env, answers["petition"], officer, ctx.now)


def accepted(finished: Finished[Accepted]) -> str:
    """For the officer: the code and every date now running."""
    t = finished.ctx.t
    dates = "\n".join(
        t("officer.deadline", what=rule_label(t, d.rule_id), date=t.date(d.due_date))
        for d in finished.done.deadlines
    )
    return t("officer.accepted", code=finished.code, deadlines=dates)


def citizen_accepted(t: Translator, finished: Finished[Accepted]) -> Reply:
    """Tells the citizen their petition is accepted and by when it must be resolved."""
    lines = [
        t("citizen.accepted", code=finished.code, date=t.date(finished.ctx.now)),
        *(
            t("mine.deadline", what=rule_label(t, d.rule_id), date=t.date(d.due_date))
            for d in finished.done.deadlines
        ),
    ]
    return Reply("\n".join(lines))


ACCEPT = ACTIONS.declare(
    OfficerAction(
        Action.ACCEPT,
        N_("officer.action.accept"),
        # Thụ lý starts the legal clock and tells the citizen: asked once.
        questions=(confirm_question("o.accept.confirm", N_("officer.accept.confirm")),),
        service=accept,
        said=accepted,
        citizen=citizen_accepted,
    )
)
