"""The petition's life (DESIGN §6): which action moves it from which state to which.

Pure data and one function; the services check it before they write anything, so a refused
transition changes nothing, whoever pressed which button.
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.petition import PetitionKind, PetitionState

S = PetitionState
K = PetitionKind


class Action(StrEnum):
    """What an officer (or the citizen, or the clock) does to a petition."""

    ACCEPT = "accept"  # thụ lý
    REFUSE = "refuse"  # không thụ lý, with a legal reason
    FORWARD = "forward"  # chuyển đơn to a competent body outside the system
    REROUTE = "reroute"  # to another unit inside the system, which then handles it
    GUIDE = "guide"  # hướng dẫn: tell the citizen where to go
    START = "start"  # begin verification
    NOTE = "note"  # ghi nhận kết quả xác minh: for the file, not for the citizen
    ASK_CITIZEN = "ask_citizen"
    CITIZEN_ANSWERED = "citizen_answered"
    EXTEND = "extend"  # gia hạn (denunciations, LTC Art. 30)
    HOLD_DIALOGUE = "hold_dialogue"  # đối thoại (complaints, LKN Art. 30, 38)
    ANSWER = "answer"  # decision, conclusion or reply sent
    CLOSE = "close"
    APPEAL = "appeal"  # second complaint (LKN Art. 33)
    REOPEN = "reopen"  # "not resolved" on a feedback or petition
    CLASSIFY = "classify"  # phân loại: kind, field, remote area, complexity, group
    REASSIGN = "reassign"  # another officer of the same unit


WORKING = frozenset({S.ACCEPTED, S.IN_PROGRESS, S.EXTENDED, S.DIALOGUE})
STILL_OPEN = WORKING | {S.RECEIVED, S.WAITING_CITIZEN}

# The target None means the action leaves the state as it is.
TRANSITIONS: dict[Action, tuple[frozenset[PetitionState], PetitionState | None]] = {
    Action.CLASSIFY: (STILL_OPEN, None),
    Action.REASSIGN: (STILL_OPEN, None),
    Action.ACCEPT: (frozenset({S.RECEIVED}), S.ACCEPTED),
    Action.REFUSE: (frozenset({S.RECEIVED}), S.REFUSED),
    Action.FORWARD: (frozenset({S.RECEIVED}), S.FORWARDED),
    Action.REROUTE: (frozenset({S.RECEIVED}), S.RECEIVED),
    Action.GUIDE: (frozenset({S.RECEIVED}), S.GUIDED),
    Action.START: (frozenset({S.ACCEPTED, S.DIALOGUE}), S.IN_PROGRESS),
    Action.NOTE: (WORKING | {S.WAITING_CITIZEN}, None),
    # Waiting for the citizen never stops the officer: ask again (or something else), or answer
    # without it; the deadline runs all the while.
    Action.ASK_CITIZEN: (WORKING | {S.WAITING_CITIZEN}, S.WAITING_CITIZEN),
    Action.CITIZEN_ANSWERED: (frozenset({S.WAITING_CITIZEN}), S.IN_PROGRESS),
    # A second extension (especially complex) starts from EXTENDED; the deadline engine refuses
    # more than the case allows.
    Action.EXTEND: (frozenset({S.ACCEPTED, S.IN_PROGRESS, S.EXTENDED}), S.EXTENDED),
    Action.HOLD_DIALOGUE: (frozenset({S.ACCEPTED, S.IN_PROGRESS}), S.DIALOGUE),
    Action.ANSWER: (WORKING | {S.WAITING_CITIZEN}, S.ANSWERED),
    Action.CLOSE: (frozenset({S.ANSWERED}), S.CLOSED),
    Action.APPEAL: (frozenset({S.ANSWERED, S.CLOSED}), S.APPEALED),
    Action.REOPEN: (frozenset({S.ANSWERED, S.CLOSED}), S.IN_PROGRESS),
}

# Actions the law gives only some kinds.
ONLY_FOR: dict[Action, frozenset[PetitionKind]] = {
    Action.EXTEND: frozenset({K.DENUNCIATION}),
    Action.HOLD_DIALOGUE: frozenset({K.COMPLAINT}),
    Action.APPEAL: frozenset({K.COMPLAINT}),
    Action.REOPEN: frozenset({K.PETITION, K.FEEDBACK}),
}


class TransitionRefused(ValueError):
    """The action does not apply to a petition of this kind in this state."""


def next_state(state: PetitionState, action: Action, kind: PetitionKind) -> PetitionState:
    """The state after `action`, or `TransitionRefused` saying why not."""
    if kind not in ONLY_FOR.get(action, frozenset(PetitionKind)):
        raise TransitionRefused(f"{action} does not apply to a {kind}")
    sources, target = TRANSITIONS[action]
    if state not in sources:
        raise TransitionRefused(f"{action} is not possible while the petition is {state}")
    return state if target is None else target


def allowed_actions(state: PetitionState, kind: PetitionKind) -> list[Action]:
    """The actions to offer on a petition, in a stable order."""
    allowed = []
    for action in Action:
        try:
            next_state(state, action, kind)
        except TransitionRefused:
            continue
        allowed.append(action)
    return allowed
