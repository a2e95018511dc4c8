"""Hỏi thêm công dân: the officer needs something from the citizen, who gets the question with a
button to answer; the petition waits, and its deadline runs all the while."""

from __future__ import annotations

from bot.conversation import Context
from bot.core import Reply
from bot.domain.workflow import Action
from bot.i18n import N_, Translator
from bot.ports import OfficerView
from bot.services.workflow import Asked, ask_citizen
from handlers.offers import Offers
from handlers.officer.actions import ACTIONS, Finished, OfficerAction, saying
from handlers.officer.base import Answers
from handlers.officer.kinds import words_question


async def put_question(ctx: Context, officer: OfficerView, answers: Answers) -> Asked:
    """The question goes on the file; the petition waits for the citizen."""
    question = answers.get("text", "")
    return await ask_citizen(ctx.store, ctx.env, answers["petition"], officer, question, ctx.now)


def question_for_citizen(t: Translator, finished: Finished[Asked]) -> Reply:
    """The officer's question, with the button that opens the citizen's answer."""
    question = finished.answers.get("text", "")
    offers = Offers(finished.petition_id, answer=True)
    return Reply(
        t("citizen.question", code=finished.code, question=question), tuple(offers.rows(t))
    )


ASK_CITIZEN = ACTIONS.declare(
    OfficerAction(
        Action.ASK_CITIZEN,
        N_("officer.action.ask_citizen"),
        questions=(words_question("o.ask_citizen", N_("officer.ask.ask_question")),),
        service=put_question,
        said=saying(N_("officer.asked")),
        citizen=question_for_citizen,
    )
)
