"""Declared flows: a conversation's questions and the ways between them, in one place.

A wizard (filing a petition, recording a visit, preparing a dialogue session) is a `Flow`:
- its graph: every step and the steps it may lead to, declared together at the top of its
  module, so a reader sees the whole conversation; moving along an edge that was not declared is
  a programming error, caught by the first test that walks it;
- its draft: one dataclass, kept in the conversation (so it survives hours of silence and
  restarts) and read as typed fields, never as `dict[str, Any]`;
- who may be in it: a check run again before every answer, since the officer may have been
  removed between two messages;
- one Back/Cancel trail: Back returns to the question asked before, Cancel (or Back from the first
  question) drops the draft and leaves with the flow's word.

A step is registered like a router state (`@flow.step(name, prompt)`): the flow wraps its answer
with the check and the navigation, so a step's own code reads only the answer it takes.
"""

from __future__ import annotations

import dataclasses
import functools
from collections.abc import Awaitable, Callable, Mapping
from typing import Any, Generic, TypeVar

from bot.conversation import Context, Handler, Router, ask
from bot.core import Button, Kind
from bot.domain.words import matching

Draft = TypeVar("Draft")
Guard = Callable[[Context], Awaitable[bool]]
Leave = Callable[[Context, str | None], Awaitable[None]]

BACK, CANCEL = "back", "cancel"
# The flow's own keys beside the draft's fields: the way back, the step left for the menu, and
# what was asked for when an unfinished draft was found (to start it instead).
TRAIL, RESUME_FROM, ASKED = "trail", "resume_from", "asked"
CONTINUE, RESTART = "continue", "restart"


FLOWS: dict[str, Flow[Any]] = {}  # every declared flow, by the key of its draft


async def anyone(ctx: Context) -> bool:
    """The guard of a flow any chat may be in."""
    return True


class Flow(Generic[Draft]):
    """One declared conversation: its steps and edges, its typed draft, who may be in it."""

    def __init__(
        self,
        router: Router,
        key: str,
        draft: type[Draft],
        graph: Mapping[str, tuple[str, ...]],
        *,
        leave: Leave,
        cancelled: str,
        allowed: Guard = anyone,
        title: str | None = None,
        offer_resume: Handler | None = None,
    ) -> None:
        """`graph` maps each step to the steps it leads to (none for the last); `leave` returns
        the chat to its menu with a word; `cancelled` is the word's message id on Cancel;
        `title` names the work when an unfinished draft is offered again (`start`), unless the
        flow asks that in its own words, `offer_resume`."""
        if key in FLOWS:
            raise ValueError(f"two flows keep their draft under {key!r}")
        unknown = {target for targets in graph.values() for target in targets} - graph.keys()
        if unknown:
            raise ValueError(f"{key}: edges to undeclared steps {sorted(unknown)}")
        self.router = router
        self.key = key
        self.draft_type = draft
        self.graph = graph
        self.leave = leave
        self.cancelled = cancelled
        self.allowed = allowed
        self.title = title
        self.offer_resume = offer_resume
        self.resume_step = f"{key}.resume"
        FLOWS[key] = self
        if title is not None:
            router.state(self.resume_step, self._prompt_resume)(self._guarded(self._answer_resume))

    # --- the graph -------------------------------------------------------------------------------

    def step(self, name: str, prompt: Handler) -> Callable[[Handler], Handler]:
        """Register a declared step: its answers are checked, then Back and Cancel, then taken."""
        if name not in self.graph:
            raise ValueError(f"{self.key}: step {name!r} is not in the flow's graph")

        def register(answer: Handler) -> Handler:
            @functools.wraps(answer)
            async def navigable(ctx: Context) -> None:
                if not await self.navigated(ctx):
                    await answer(ctx)

            self.router.state(name, prompt)(self._guarded(navigable))
            return answer

        return register

    def _guarded(self, answer: Handler) -> Handler:
        """`answer`, run only while the chat may still be in the flow (else the draft goes)."""

        @functools.wraps(answer)
        async def checked(ctx: Context) -> None:
            if not await self.allowed(ctx):
                self.drop(ctx)
                ctx.goto("")
            else:
                await answer(ctx)

        return checked

    def owns(self, state: str) -> bool:
        """Whether the chat is at one of this flow's questions."""
        return state in self.graph

    # --- the draft -------------------------------------------------------------------------------

    def begin(self, ctx: Context, draft: Draft) -> Draft:
        """Start with a fresh draft, forgetting any unfinished one; the first `forward` asks."""
        ctx.conv.data[self.key] = {TRAIL: []}
        ctx.conv.typed[self.key] = draft
        ctx.conv.state = ""
        return draft

    def draft(self, ctx: Context) -> Draft:
        """The draft being written, as its dataclass (read once a turn, written back after it)."""
        if self.key not in ctx.conv.typed:
            raw = ctx.conv.data.setdefault(self.key, {TRAIL: []})
            names = {field.name for field in dataclasses.fields(self.draft_type)}  # type: ignore[arg-type]
            values = {name: value for name, value in raw.items() if name in names}
            ctx.conv.typed[self.key] = self.draft_type(**values)
        draft: Draft = ctx.conv.typed[self.key]
        return draft

    def has_draft(self, ctx: Context) -> bool:
        """Whether an unfinished draft of this flow is kept."""
        return self.key in ctx.conv.data

    def drop(self, ctx: Context) -> None:
        """Forget the draft (sent, cancelled, or its author may no longer be here)."""
        ctx.conv.data.pop(self.key, None)
        ctx.conv.typed.pop(self.key, None)

    def _trail(self, ctx: Context) -> list[str]:
        trail: list[str] = ctx.conv.data.setdefault(self.key, {TRAIL: []}).setdefault(TRAIL, [])
        return trail

    # --- moving ----------------------------------------------------------------------------------

    async def forward(self, ctx: Context, target: str) -> None:
        """Ask the next question along a declared edge, remembering this one for Back.

        A step asked again (a loop: another commitment, another slot) is remembered once."""
        here = ctx.conv.state
        if here and target not in self.graph.get(here, ()):
            raise ValueError(f"{self.key}: no edge {here!r} → {target!r} in the flow's graph")
        trail = self._trail(ctx)
        if here and (not trail or trail[-1] != here):
            trail.append(here)
        await ask(self.router, ctx, target)

    async def return_to(self, ctx: Context, target: str) -> None:
        """Ask an earlier question again, as if Back had been pressed up to it."""
        trail = self._trail(ctx)
        if target in trail:
            del trail[trail.index(target) :]
        await ask(self.router, ctx, target)

    async def back(self, ctx: Context) -> None:
        """The question asked before this one; from the first, the flow is left (and dropped)."""
        trail = self._trail(ctx)
        previous = trail.pop() if trail else ""
        if previous in self.graph:
            await ask(self.router, ctx, previous)
        else:
            self.drop(ctx)
            await self.leave(ctx, None)

    async def cancel(self, ctx: Context) -> None:
        """Drop the draft and leave, saying so."""
        self.drop(ctx)
        await self.leave(ctx, ctx.t(self.cancelled))

    async def end(self, ctx: Context, text: str | None) -> None:
        """The flow is done (or cannot go on): drop the draft and leave with `text`."""
        self.drop(ctx)
        await self.leave(ctx, text)

    async def navigated(self, ctx: Context) -> bool:
        """Handle Back and Cancel, pressed or typed as their labels; True when one was."""
        typed = (ctx.incoming.text or "").strip() if ctx.incoming.kind is Kind.TEXT else None
        if ctx.choice == BACK or typed == ctx.t("nav.back"):
            await self.back(ctx)
            return True
        if ctx.choice == CANCEL or typed == ctx.t("nav.cancel"):
            await self.cancel(ctx)
            return True
        return False

    # --- resuming --------------------------------------------------------------------------------

    async def start(self, ctx: Context, draft: Draft, first: str) -> None:
        """Begin at `first` with `draft`, unless a draft was left midway: then ask first whether
        to go on with it or start this one (nothing typed so far is thrown away unasked)."""
        if self.title is not None and self.paused_at(ctx) is not None:
            asked = {"first": first, "draft": dataclasses.asdict(draft)}  # type: ignore[call-overload]
            ctx.conv.data[self.key][ASKED] = asked
            await ask(self.router, ctx, self.resume_step)
            return
        self.begin(ctx, draft)
        await self.forward(ctx, first)

    async def offer(self, ctx: Context) -> bool:
        """/start found the chat midway: keep its place and ask whether to go on; False when
        there is nothing to go on with (nothing was answered yet)."""
        if self.offer_resume is not None:
            await self.offer_resume(ctx)
            return True
        self.pause(ctx)
        if self.title is None or self.paused_at(ctx) is None:
            return False
        await ask(self.router, ctx, self.resume_step)
        return True

    async def _prompt_resume(self, ctx: Context) -> None:
        t = ctx.t
        ctx.reply(
            t("flow.resume", what=t(self.title or "")),
            [ctx.button(t("flow.resume.continue"), CONTINUE)],
            [ctx.button(t("flow.resume.restart"), RESTART)],
        )

    async def _answer_resume(self, ctx: Context) -> None:
        t = ctx.t
        options = [(CONTINUE, t("flow.resume.continue")), (RESTART, t("flow.resume.restart"))]
        typed = ctx.incoming.text or "" if ctx.incoming.kind is Kind.TEXT else ""
        found = matching(options, typed)
        choice = ctx.choice or (found[0] if len(found) == 1 else None)
        if choice is None:
            ctx.aside(t("input.press_a_button"))
        elif choice == CONTINUE and not await self.resume(ctx):
            await self.end(ctx, None)  # nothing left to go on with
        elif choice == RESTART:
            asked = ctx.conv.data.get(self.key, {}).get(ASKED)
            if asked is None:
                await self.end(ctx, None)
                return
            self.begin(ctx, self.draft_type(**asked["draft"]))
            await self.forward(ctx, asked["first"])

    def pause(self, ctx: Context) -> None:
        """The chat leaves the flow midway (the menu, /start): keep where, to offer to resume
        (not from its first question: nothing was answered yet)."""
        if self.owns(ctx.conv.state) and self.has_draft(ctx) and self._trail(ctx):
            ctx.conv.data[self.key][RESUME_FROM] = ctx.conv.state

    def paused_at(self, ctx: Context) -> str | None:
        """The step the unfinished draft was left at, if any."""
        step = ctx.conv.data.get(self.key, {}).get(RESUME_FROM)
        return step if step in self.graph else None

    async def resume(self, ctx: Context) -> bool:
        """Ask again the question the draft was left at; False when there is none to resume."""
        step = self.paused_at(ctx)
        if step is None:
            return False
        ctx.conv.data[self.key].pop(RESUME_FROM, None)
        await ask(self.router, ctx, step)
        return True


def pause_flows(ctx: Context) -> None:
    """The chat leaves its question for the menu: a flow it was in keeps its draft and place."""
    for flow in FLOWS.values():
        flow.pause(ctx)


def flow_at(state: str) -> Flow[Any] | None:
    """The flow a question belongs to, if any."""
    return next((flow for flow in FLOWS.values() if flow.owns(state)), None)


def nav_buttons(ctx: Context) -> list[Button]:
    """Back and Cancel, under every question of a flow."""
    return [ctx.button(ctx.t("nav.back"), BACK), ctx.button(ctx.t("nav.cancel"), CANCEL)]
