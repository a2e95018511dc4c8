"""A head lets one more officer know who denounced (LEGAL §4): the grant and every view are
logged. It moves no petition, so the workflow table has no row for it."""

from __future__ import annotations

from bot.conversation import Context
from bot.domain.petition import PetitionKind
from bot.i18n import N_
from bot.ports import OfficerView, PetitionDetail
from bot.services.casework import IdentityGranted, grant_identity, identity_candidates
from handlers.officer.actions import ACTIONS, Finished, OfficerAction, Who, opening
from handlers.officer.base import Answers
from handlers.officer.kinds import officer_question
from handlers.staff import current_officer

IDENTITY_ACTION = "identity"


def a_named_denunciation(petition: PetitionDetail) -> bool:
    """Only a denouncer who gave their name has an identity to protect and to share."""
    return petition.summary.kind == PetitionKind.DENUNCIATION and not petition.anonymous


async def candidates(ctx: Context, petition: PetitionDetail) -> list[OfficerView]:
    """The head and the officers of the unit and below who do not know yet."""
    head = await current_officer(ctx)
    return await identity_candidates(ctx.store, ctx.env, head, petition) if head else []


async def grant(ctx: Context, head: OfficerView, answers: Answers) -> IdentityGranted:
    """The service checks the chosen officer against its own list, and audits the grant."""
    handle = answers.get("choice", "")
    return await grant_identity(ctx.store, ctx.env, answers["petition"], head, handle, ctx.now)


def granted(finished: Finished[IdentityGranted]) -> str:
    """For the head: who may know now."""
    name = finished.done.officer.name
    return finished.ctx.t("officer.identity.granted", code=finished.code, officer=name)


async def tell_granted(finished: Finished[IdentityGranted]) -> None:
    """The officer let in learns it, with a button to open the petition."""
    officer = finished.done.officer
    if officer.id == finished.officer.id:
        return
    await finished.ctx.notify_officer(
        officer.id,
        lambda t: opening(
            t, t("officer.identity.granted_to_you", code=finished.code), finished.petition_id
        ),
    )


IDENTITY = ACTIONS.declare(
    OfficerAction(
        IDENTITY_ACTION,
        N_("officer.action.identity"),
        who=Who.HEAD,
        when=a_named_denunciation,
        questions=(
            officer_question(
                "w.identity", candidates, N_("officer.identity.ask"), N_("officer.identity.nobody")
            ),
        ),
        service=grant,
        said=granted,
        others=tell_granted,
    )
)
