"""The officer's actions on a petition, each declared once, and the registry that serves them.

An `OfficerAction` says everything about one action: its button, who may take it, in which
states, the questions it asks, the service that does it, and what the officer, the citizen and
anyone else are told. The card's buttons, the check of every press on the server and the work
after the last answer all come from `ACTIONS`: a button only says which petition and action
are meant. The states are the workflow table's (`bot.domain.workflow`); a declaration can only
narrow them (`when`).
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable, Iterator, Mapping
from dataclasses import dataclass
from enum import StrEnum
from typing import Any, Generic, Protocol, TypeVar, runtime_checkable

from bot.buttons import CallbackData, OpenPetition, PetitionAction
from bot.conversation import Context, Handler, StateSpec, ask
from bot.core import Button, Recipient, Reply
from bot.domain.deadlines import TooManyExtensions
from bot.domain.org import Organisation
from bot.domain.petition import PetitionKind, PetitionState
from bot.domain.workflow import Action, TransitionRefused, allowed_actions, next_state
from bot.i18n import N_, Translator
from bot.labels import state_label
from bot.ports import OfficerView, PetitionDetail
from bot.services.access import may_act
from bot.services.casework import ClassificationRefused
from bot.services.workflow import NotAllowed
from handlers.callbacks import on
from handlers.common import reception_line, show_menu
from handlers.officer.base import Answers, router, take_pending
from handlers.staff import current_officer, refuse

log = logging.getLogger(__name__)

NOT_POSSIBLE = N_("officer.action.not_possible")
# What a service raises when it will not do what was asked; nothing was changed.
REFUSALS = (NotAllowed, TransitionRefused, ClassificationRefused, TooManyExtensions)


class Result(Protocol):
    """What every service returns: at least the petition, as it was before the action."""

    @property
    def petition(self) -> PetitionDetail: ...


@runtime_checkable
class ReachesCitizen(Protocol):
    """A service's result that found the chat where the filer is told (None: nowhere)."""

    @property
    def citizen(self) -> Recipient | None: ...


Done = TypeVar("Done", bound=Result)
Service = Callable[[Context, OfficerView, Answers], Awaitable[Done]]  # calls bot.services


class Who(StrEnum):
    """Who may take an action, besides the petition's state allowing it."""

    HOLDER = "holder"  # the assignee, or a head of the petition's unit or above (`may_act`)
    HEAD = "head"  # a head of the petition's unit or above

    def admits(self, officer: OfficerView) -> bool:
        """True when this officer is of this kind (`may_act` is checked besides)."""
        return self is Who.HOLDER or "head" in officer.roles


@dataclass(frozen=True)
class Question:
    """One question an action asks: the state it puts the chat in, how it asks, what it takes."""

    state: str
    prompt: Handler
    answer: Handler


@dataclass(frozen=True)
class Finished(Generic[Done]):
    """An action carried out: where, by whom, with which answers, and what the service did."""

    ctx: Context
    officer: OfficerView
    answers: Answers
    done: Done

    @property
    def code(self) -> str:
        """The petition's code, which every message names."""
        return self.done.petition.summary.code

    @property
    def petition_id(self) -> int:
        """The petition's id, which buttons in the messages carry."""
        return self.done.petition.summary.id


def anywhere(petition: PetitionDetail) -> bool:
    """No narrower than the workflow table."""
    return True


@dataclass(frozen=True)
class OfficerAction(Generic[Done]):
    """One action an officer takes on a petition, declared once."""

    # An `Action`: offered in the states its row of the workflow table names. A plain name: it
    # moves no petition, and is offered wherever the officer may act. The button carries it.
    name: str
    label: str  # message id of the card's button
    service: Service[Done]  # does it, through bot.services, which check everything again
    said: Callable[[Finished[Done]], str]  # what the officer reads afterwards
    citizen: Callable[[Translator, Finished[Done]], Reply] | None = None  # the filer's notice
    others: Callable[[Finished[Done]], Awaitable[None]] | None = None  # assignee, heads …
    questions: tuple[Question, ...] = ()  # the first is asked at the press; none: done at once
    who: Who = Who.HOLDER
    when: Callable[[PetitionDetail], bool] = anywhere  # narrower than the workflow table

    @property
    def step(self) -> Action | None:
        """The workflow table's row for this action, if it is one."""
        return self.name if isinstance(self.name, Action) else None


def saying(message_id: str) -> Callable[[Finished[Any]], str]:
    """What the officer reads after most actions: a message with the petition's code."""
    return lambda finished: finished.ctx.t(message_id, code=finished.code)


def telling(message_id: str) -> Callable[[Translator, Finished[Any]], Reply]:
    """A notice that only names the petition's code."""
    return lambda t, finished: Reply(t(message_id, code=finished.code))


def open_button(t: Translator, petition_id: int) -> Button:
    """The button under an officer's notice that opens the petition's card."""
    return Button(t("officer.open"), OpenPetition(petition_id).pack())


def with_reception(t: Translator, finished: Finished[Any], text: str) -> str:
    """A notice that ends the petition here, and where the citizen can ask in person: the
    reception of the unit that had it."""
    line = reception_line(t, finished.ctx.env.org, finished.done.petition.unit)
    return f"{text}\n{line}" if line else text


def opening(t: Translator, text: str, petition_id: int) -> Reply:
    """A notice to an officer, with the button that opens the petition."""
    return Reply(text, ((open_button(t, petition_id),),))


def for_decision(
    t: Translator,
    text: str,
    decide: Callable[[str], CallbackData],
    petition_id: int,
    yes: str,
    no: str,
) -> Reply:
    """A request a head decides with one press: `yes` and `no` (message ids) carry
    `decide("yes")` and `decide("no")`; a third button opens the petition."""
    return Reply(
        text,
        (
            (Button(t(yes), decide("yes").pack()),),
            (Button(t(no), decide("no").pack()),),
            (open_button(t, petition_id),),
        ),
    )


class Registry(Mapping[str, OfficerAction[Any]]):
    """Every officer action by name; declaring one registers its questions on the router."""

    def __init__(self) -> None:
        self._actions: dict[str, OfficerAction[Any]] = {}

    def __getitem__(self, name: str) -> OfficerAction[Any]:
        return self._actions[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._actions)

    def __len__(self) -> int:
        return len(self._actions)

    def declare(self, action: OfficerAction[Done]) -> OfficerAction[Done]:
        """Add one action; a question two actions share is registered once."""
        if action.name in self._actions:
            raise ValueError(f"officer action {action.name} declared twice")
        self._actions[action.name] = action
        for question in action.questions:
            spec = StateSpec(question.prompt, question.answer)
            if router.states.setdefault(question.state, spec) != spec:
                raise ValueError(f"question {question.state} declared twice")
        return action

    def offered(
        self, org: Organisation, officer: OfficerView, petition: PetitionDetail
    ) -> list[OfficerAction[Any]]:
        """What this officer may do to the petition now, in the workflow's order; someone only
        shown the petition may do nothing."""
        if not may_act(org, officer, petition):
            return []
        state, kind = PetitionState(petition.summary.state), PetitionKind(petition.summary.kind)
        steps = allowed_actions(state, kind)
        in_order = sorted(self._actions.values(), key=workflow_order)
        return [
            action
            for action in in_order
            if (action.step is None or action.step in steps)
            and action.who.admits(officer)
            and action.when(petition)
        ]

    def refusal(
        self,
        org: Organisation,
        officer: OfficerView,
        petition: PetitionDetail | None,
        action: OfficerAction[Any],
    ) -> str | None:
        """Why this officer may not start the action on the petition now (a message id), or
        None when they may: exactly the buttons `offered` shows."""
        if (
            petition is None
            or not may_act(org, officer, petition)
            or not action.who.admits(officer)
        ):
            return N_("officer.not_allowed")
        if all(action is not other for other in self.offered(org, officer, petition)):
            return NOT_POSSIBLE
        return None


def workflow_order(action: OfficerAction[Any]) -> int:
    """The card lists actions in the workflow's order; those that move nothing last."""
    return list(Action).index(action.step) if action.step else len(Action)


ACTIONS = Registry()


@on(router, PetitionAction)
async def act_on_petition(ctx: Context, data: PetitionAction) -> None:
    """An action button of a petition's card: checked again on the server, whatever it says."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    petition_id, name = data.petition, data.action
    action = ACTIONS.get(name)
    if action is None:
        log.warning("officer %s sent unknown action data", officer.handle)
        ctx.reply(ctx.t("input.unknown_button"))
        return
    petition = await ctx.store.petition(petition_id)
    refusal = ACTIONS.refusal(ctx.env.org, officer, petition, action)
    if refusal == NOT_POSSIBLE and petition is not None:
        await say_what_happened(ctx, petition, action)
        return
    if refusal is not None:
        refuse(ctx, officer, f"{name} on petition {petition_id}", refusal)
        return
    answers = Answers(petition=petition_id, action=action.name)
    if ctx.incoming.pressed_message:
        answers["card"] = ctx.incoming.pressed_message
    if not action.questions:
        await complete(ctx, officer, action, answers)
        return
    ctx.conv.data["pending"] = answers
    await ask(router, ctx, action.questions[0].state)


async def finish(ctx: Context, last: Answers) -> None:
    """The last answer is in: carry out the action being prepared in this chat."""
    officer = await current_officer(ctx)
    if officer is None:
        return
    answers = take_pending(ctx)
    action = ACTIONS.get(answers.get("action", ""))
    if action is None:
        await show_menu(ctx, ctx.t("officer.action.not_possible"))
        return
    answers.update(last)
    await complete(ctx, officer, action, answers)


async def complete(
    ctx: Context, officer: OfficerView, action: OfficerAction[Done], answers: Answers
) -> None:
    """Have the service do the action, then tell the officer, the citizen and whoever else
    must know; a service's refusal is said politely and changes nothing."""
    try:
        done = await action.service(ctx, officer, answers)
    except REFUSALS as error:
        await say_refused(ctx, officer, action.name, error, menu=bool(action.questions))
        return
    finished = Finished(ctx, officer, answers, done)
    if moves_petition(action, finished.done.petition) and (card := answers.get("card")):
        ctx.replies.append(Reply.new_buttons(card))  # its buttons were for the step now past
    await conclude(
        ctx, action.said(finished), menu=bool(action.questions), about=finished.petition_id
    )
    await tell_holder(finished, action)
    tell = action.citizen
    if tell is not None and isinstance(done, ReachesCitizen) and done.citizen is not None:
        await ctx.notify(done.citizen, lambda t: tell(t, finished), about=finished.petition_id)
    if action.others is not None:
        await action.others(finished)


async def say_what_happened(
    ctx: Context, petition: PetitionDetail, action: OfficerAction[Any]
) -> None:
    """A button from an older card, for a step the petition has moved past: say where it is
    now and since when, not a bare «cannot»."""
    t = ctx.t
    summary = petition.summary
    events = await ctx.store.petition_events(summary.id)
    since = events[-1].at if events else summary.received_at
    text = t(
        "officer.action.stale",
        action=t(action.label),
        code=summary.code,
        state=state_label(t, summary.state),
        time=t.datetime(since),
    )
    ctx.reply(text, [open_button(t, summary.id)])


async def tell_holder(finished: Finished[Any], action: OfficerAction[Any]) -> None:
    """Whoever held the petition hears when someone else acted on it (a head refused it,
    forwarded it, gave it to another officer): nobody finds out from a refused button."""
    holder = finished.done.petition.assignee_id  # as it was before the action
    if holder is None or holder == finished.officer.id:
        return
    ctx, acting = finished.ctx, finished.officer

    def notice(t: Translator) -> Reply:
        text = t(
            "officer.told.acted",
            code=finished.code,
            officer=acting.name,
            action=t(action.label),
            time=t.datetime(ctx.now),
        )
        return Reply(text, ((open_button(t, finished.petition_id),),))

    await ctx.notify_officer(holder, notice)


async def conclude(ctx: Context, text: str, *, menu: bool, about: int | None = None) -> None:
    """The officer's last word on an action, with what comes next: the petition's card, and the
    menu (with the lists) when questions led to it, as it leaves the question."""
    card = [[open_button(ctx.t, about)]] if about is not None else []
    if menu:
        await show_menu(ctx, text, card)
    else:
        ctx.reply(text, *card)


def moves_petition(action: OfficerAction[Any], before: PetitionDetail) -> bool:
    """Whether the action took the petition to another state (its card's buttons were for the
    state it left)."""
    if action.step is None:
        return False
    state, kind = PetitionState(before.summary.state), PetitionKind(before.summary.kind)
    try:
        return next_state(state, action.step, kind) != state
    except TransitionRefused:
        return False


async def say_refused(
    ctx: Context, officer: OfficerView, what: str, error: Exception, *, menu: bool
) -> None:
    """The service said no: the officer reads why in plain words; the log says who tried what."""
    log.warning("officer %s refused: %s (%s)", officer.handle, what, error)
    if isinstance(error, NotAllowed):
        message = N_("officer.not_allowed")
    elif isinstance(error, ClassificationRefused):
        message = error.reason
    else:
        message = N_("officer.action.not_possible")
    await conclude(ctx, ctx.t(message), menu=menu)
