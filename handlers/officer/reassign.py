"""Phân công lại: a head gives the petition to another officer of its unit; both officers and the
citizen are told."""

from __future__ import annotations

from bot.conversation import Context
from bot.core import Reply
from bot.domain.workflow import Action
from bot.i18n import N_
from bot.labels import kind_label
from bot.ports import OfficerView, PetitionDetail
from bot.services.casework import Reassigned, reassign_within_unit, reassignable_officers
from handlers.officer.actions import ACTIONS, Finished, OfficerAction, Who, opening, telling
from handlers.officer.base import Answers
from handlers.officer.kinds import officer_question


async def candidates(ctx: Context, petition: PetitionDetail) -> list[OfficerView]:
    """The unit's officers who can handle it, other than its assignee."""
    return await reassignable_officers(ctx.store, petition)


async def reassign(ctx: Context, head: OfficerView, answers: Answers) -> Reassigned:
    """The service checks the chosen officer against its own list."""
    handle = answers.get("choice", "")
    return await reassign_within_unit(
        ctx.store, ctx.env, answers["petition"], head, handle, ctx.now
    )


def reassigned(finished: Finished[Reassigned]) -> str:
    """For the head: who holds the petition now."""
    name = finished.done.assignee.name
    return finished.ctx.t("officer.reassigned", code=finished.code, officer=name)


async def tell_officers(finished: Finished[Reassigned]) -> None:
    """The new assignee gets the petition with a button to open it; the previous one (unless
    the head took it from themselves) learns who has it now."""
    moved, notify = finished.done, finished.ctx.notify_officer
    kind, name = moved.petition.summary.kind, moved.assignee.name
    await notify(
        moved.assignee.id,
        lambda t: opening(
            t,
            t("officer.reassigned_to_you", code=finished.code, kind=kind_label(t, kind)),
            finished.petition_id,
        ),
    )
    if moved.previous is not None and moved.previous.id != finished.officer.id:
        await notify(
            moved.previous.id,
            lambda t: Reply(t("officer.reassigned", code=finished.code, officer=name)),
        )


REASSIGN = ACTIONS.declare(
    OfficerAction(
        Action.REASSIGN,
        N_("officer.action.reassign"),
        who=Who.HEAD,
        questions=(
            officer_question(
                "w.reassign", candidates, N_("officer.reassign.ask"), N_("officer.reassign.nobody")
            ),
        ),
        service=reassign,
        said=reassigned,
        citizen=telling(N_("citizen.reassigned")),
        others=tell_officers,
    )
)
