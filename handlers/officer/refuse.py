"""Không thụ lý: a petition is not accepted, for a legal reason the officer picks from those the
law gives its kind; the citizen reads the reason and where to go instead."""

from __future__ import annotations

from bot.conversation import Context
from bot.core import Reply
from bot.domain.petition import PetitionKind
from bot.domain.refusals import reasons_for
from bot.domain.workflow import Action
from bot.i18n import N_, Translator
from bot.ports import OfficerView
from bot.services.workflow import Refused, refuse_petition
from handlers.officer.actions import ACTIONS, Finished, OfficerAction, saying, with_reception
from handlers.officer.base import Answers, the_petition
from handlers.officer.kinds import choice_question, words_question

REFUSAL_LABELS = {
    "kn_internal": N_("refusal.kn_internal"),
    "kn_not_affected": N_("refusal.kn_not_affected"),
    "kn_capacity": N_("refusal.kn_capacity"),
    "kn_representative": N_("refusal.kn_representative"),
    "kn_unsigned": N_("refusal.kn_unsigned"),
    "kn_time_limit": N_("refusal.kn_time_limit"),
    "kn_second_decision": N_("refusal.kn_second_decision"),
    "kn_suspended": N_("refusal.kn_suspended"),
    "kn_court": N_("refusal.kn_court"),
    "tc_conditions": N_("refusal.tc_conditions"),
    "not_competent": N_("refusal.not_competent"),
    "repeated": N_("refusal.repeated"),
}

WHERE_TO_GO = words_question("o.refuse.note", N_("officer.refuse.ask_note"))


async def reasons(ctx: Context) -> dict[str, str]:
    """The legal reasons the law gives the petition's kind for not accepting it."""
    petition = await the_petition(ctx)
    kind = PetitionKind(petition.summary.kind) if petition else PetitionKind.FEEDBACK
    return {item.code: REFUSAL_LABELS[item.code] for item in reasons_for(kind)}


REASON = choice_question(
    "o.refuse", "reason", N_("officer.refuse.ask_reason"), reasons, WHERE_TO_GO.state
)


async def refuse(ctx: Context, officer: OfficerView, answers: Answers) -> Refused:
    """Không thụ lý; the service checks the reason applies to the petition's kind."""
    reason, note = answers.get("reason", ""), answers.get("text", "")
    petition_id = answers["petition"]
    return await refuse_petition(ctx.store, ctx.env, petition_id, officer, reason, note, ctx.now)


def citizen_refused(t: Translator, finished: Finished[Refused]) -> Reply:
    """Tells the citizen the petition is not accepted, the legal reason, and where to go."""
    reason = finished.done.reason
    text = t(
        "citizen.refused",
        code=finished.code,
        reason=t(REFUSAL_LABELS[reason.code]),
        basis=reason.basis,
        note=finished.answers.get("text", ""),
    )
    return Reply(with_reception(t, finished, text))


REFUSE = ACTIONS.declare(
    OfficerAction(
        Action.REFUSE,
        N_("officer.action.refuse"),
        questions=(REASON, WHERE_TO_GO),
        service=refuse,
        said=saying(N_("officer.refused")),
        citizen=citizen_refused,
    )
)
