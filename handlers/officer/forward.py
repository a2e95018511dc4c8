"""Chuyển đơn: the petition goes to a competent body outside the system, and ends here; the
citizen is told where it went."""

from __future__ import annotations

from bot.domain.workflow import Action
from bot.i18n import N_
from handlers.officer.actions import ACTIONS
from handlers.officer.kinds import ending_with_note

FORWARD = ACTIONS.declare(
    ending_with_note(
        Action.FORWARD,
        label=N_("officer.action.forward"),
        question=N_("officer.forward.ask_note"),
        said=N_("officer.forwarded"),
        told=N_("citizen.forwarded"),
    )
)
