"""Kết thúc hồ sơ: close the file once the citizen has the answer; they are told."""

from __future__ import annotations

from bot.conversation import Context
from bot.domain.workflow import Action
from bot.i18n import N_
from bot.ports import OfficerView
from bot.services.casework import Closed, close_petition
from handlers.officer.actions import ACTIONS, OfficerAction, saying, telling
from handlers.officer.base import Answers


async def close(ctx: Context, officer: OfficerView, answers: Answers) -> Closed:
    """Kết thúc hồ sơ: a complaint can still be taken further (LKN Art. 33)."""
    return await close_petition(ctx.store, ctx.env, answers["petition"], officer, ctx.now)


CLOSE = ACTIONS.declare(
    OfficerAction(
        Action.CLOSE,
        N_("officer.action.close"),
        service=close,
        said=saying(N_("officer.closed")),
        citizen=telling(N_("citizen.closed")),
    )
)
