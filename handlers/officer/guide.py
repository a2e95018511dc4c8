"""Hướng dẫn: the petition ends here; the citizen is told where to take it instead."""

from __future__ import annotations

from bot.domain.workflow import Action
from bot.i18n import N_
from handlers.officer.actions import ACTIONS
from handlers.officer.kinds import ending_with_note

GUIDE = ACTIONS.declare(
    ending_with_note(
        Action.GUIDE,
        label=N_("officer.action.guide"),
        question=N_("officer.guide.ask_note"),
        said=N_("officer.guided"),
        told=N_("citizen.guided"),
    )
)
