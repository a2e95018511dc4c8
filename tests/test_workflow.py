"""The petition state machine: what each state allows, and everything it refuses."""

from __future__ import annotations

import itertools

import pytest

from bot.domain.petition import PetitionKind as K
from bot.domain.petition import PetitionState as S
from bot.domain.workflow import Action as A
from bot.domain.workflow import TransitionRefused, allowed_actions, next_state

# The whole table, written out by hand from DESIGN §6 and LEGAL §3: for each kind and state,
# the actions an officer (or citizen) may take. Anything not listed must be refused.
WORKING_COMMON = {A.ASK_CITIZEN, A.ANSWER, A.NOTE, A.CLASSIFY, A.REASSIGN}
INTAKE = {A.ACCEPT, A.REFUSE, A.FORWARD, A.REROUTE, A.GUIDE, A.CLASSIFY, A.REASSIGN}
# Waiting for the citizen's answer, the officer can still ask again or answer.
WAITING = {A.CITIZEN_ANSWERED, A.ASK_CITIZEN, A.ANSWER, A.NOTE, A.CLASSIFY, A.REASSIGN}
EXPECTED: dict[K, dict[S, set[A]]] = {
    K.COMPLAINT: {
        S.RECEIVED: INTAKE,
        S.ACCEPTED: {A.START, A.HOLD_DIALOGUE} | WORKING_COMMON,
        S.IN_PROGRESS: {A.HOLD_DIALOGUE} | WORKING_COMMON,
        S.EXTENDED: WORKING_COMMON,
        S.DIALOGUE: {A.START} | WORKING_COMMON,
        S.WAITING_CITIZEN: WAITING,
        S.ANSWERED: {A.CLOSE, A.APPEAL},
        S.CLOSED: {A.APPEAL},
    },
    K.DENUNCIATION: {
        S.RECEIVED: INTAKE,
        S.ACCEPTED: {A.START, A.EXTEND} | WORKING_COMMON,
        S.IN_PROGRESS: {A.EXTEND} | WORKING_COMMON,
        S.EXTENDED: {A.EXTEND} | WORKING_COMMON,
        S.DIALOGUE: {A.START} | WORKING_COMMON,
        S.WAITING_CITIZEN: WAITING,
        S.ANSWERED: {A.CLOSE},
    },
}
for kind in (K.PETITION, K.FEEDBACK):
    EXPECTED[kind] = {
        S.RECEIVED: INTAKE,
        S.ACCEPTED: {A.START} | WORKING_COMMON,
        S.IN_PROGRESS: set(WORKING_COMMON),
        S.EXTENDED: set(WORKING_COMMON),
        S.DIALOGUE: {A.START} | WORKING_COMMON,
        S.WAITING_CITIZEN: WAITING,
        S.ANSWERED: {A.CLOSE, A.REOPEN},
        S.CLOSED: {A.REOPEN},
    }


@pytest.mark.parametrize(("kind", "state", "action"), list(itertools.product(K, S, A)))
def test_every_transition_is_allowed_or_refused_as_the_table_says(
    kind: K, state: S, action: A
) -> None:
    expected = action in EXPECTED[kind].get(state, set())
    if expected:
        next_state(state, action, kind)
    else:
        with pytest.raises(TransitionRefused):
            next_state(state, action, kind)


def test_the_main_roads_lead_where_the_law_says() -> None:
    assert next_state(S.RECEIVED, A.ACCEPT, K.COMPLAINT) is S.ACCEPTED
    assert next_state(S.RECEIVED, A.REFUSE, K.COMPLAINT) is S.REFUSED
    assert next_state(S.IN_PROGRESS, A.EXTEND, K.DENUNCIATION) is S.EXTENDED
    assert next_state(S.WAITING_CITIZEN, A.CITIZEN_ANSWERED, K.FEEDBACK) is S.IN_PROGRESS
    assert next_state(S.IN_PROGRESS, A.ANSWER, K.COMPLAINT) is S.ANSWERED
    assert next_state(S.ANSWERED, A.APPEAL, K.COMPLAINT) is S.APPEALED
    assert next_state(S.CLOSED, A.REOPEN, K.FEEDBACK) is S.IN_PROGRESS


def test_finished_petitions_offer_nothing_but_what_the_law_keeps_open() -> None:
    for state in (S.REFUSED, S.FORWARDED, S.GUIDED, S.APPEALED, S.DRAFT):
        assert allowed_actions(state, K.COMPLAINT) == []
    assert allowed_actions(S.CLOSED, K.DENUNCIATION) == []
    assert allowed_actions(S.RECEIVED, K.FEEDBACK) == [
        A.ACCEPT,
        A.REFUSE,
        A.FORWARD,
        A.REROUTE,
        A.GUIDE,
        A.CLASSIFY,
        A.REASSIGN,
    ]


# Actions that keep a petition where it is: a note for the file, a new kind or field, a new
# officer. Whoever holds a petition must have something more in every state not yet final.
STANDING_STILL = {A.NOTE, A.CLASSIFY, A.REASSIGN, A.CITIZEN_ANSWERED}
# Final for its holder: refused, forwarded out, guided, closed for good, or taken to the second
# instance (the second complaint is a petition of its own, held by the next level).
FINAL = {S.DRAFT, S.REFUSED, S.FORWARDED, S.GUIDED, S.APPEALED}


@pytest.mark.parametrize(("kind", "state"), list(itertools.product(K, S)))
def test_every_state_not_final_has_a_way_forward_for_its_holder(kind: K, state: S) -> None:
    if state in FINAL or (state is S.CLOSED):
        return
    forward = set(allowed_actions(state, kind)) - STANDING_STILL
    assert forward, f"a {kind} {state} offers only {allowed_actions(state, kind)}"
