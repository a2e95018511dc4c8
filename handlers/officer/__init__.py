"""The officer's side in chat: the menu and lists, a petition's card, and the actions on it.

Each action is one module declaring one `OfficerAction` (see `handlers.officer.actions`): its
button, who may take it, in which states, its questions, the service it calls, and who is told
what. `ACTIONS` collects them; the card's buttons, the check of each press on the server and the
dispatch all read it. Every question lives on the one `router` of this package.
"""

from __future__ import annotations

# Importing a module registers what it declares: its action, its questions, its buttons.
from handlers.officer import (  # noqa: F401
    accept,
    answer,
    ask_citizen,
    card,
    classify,
    close,
    dialogue,
    extend,
    forward,
    guide,
    identity,
    menu,
    minutes,
    note,
    reassign,
    refuse,
    reroute,
)
from handlers.officer.actions import ACTIONS, OfficerAction
from handlers.officer.base import router
from handlers.officer.identity import IDENTITY_ACTION
from handlers.officer.menu import officer_menu

__all__ = ["ACTIONS", "IDENTITY_ACTION", "OfficerAction", "officer_menu", "router"]
