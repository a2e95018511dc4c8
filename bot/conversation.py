"""Conversations: the state a chat is in, the context a handler works with, and routing to it.

A handler is `async def handler(ctx: Context) -> None`: it reads `ctx.incoming` and `ctx.conv`,
asks the store, and queues replies with `ctx.reply(...)`. The dispatcher saves the new state and
the replies in one transaction.

Buttons carry short opaque data and are never trusted:
- a step button `"<step>.<token>"` is valid only while the chat is still at that step; an older
  press gets a polite "that button is from an earlier message" and the current question again;
- a global button `"<prefix>:<argument>"` (open a petition, the main menu) is routed by prefix and
  its handler checks on the server that this chat may do it.
"""

from __future__ import annotations

import dataclasses
import logging
import re
from collections.abc import Awaitable, Callable, Iterable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.buttons import Menu
from bot.core import TYPED_CHANNELS, Button, Incoming, Kind, Outgoing, Recipient, Reply
from bot.environment import Environment
from bot.i18n import Translator
from bot.ports import Store

log = logging.getLogger(__name__)

Handler = Callable[["Context"], Awaitable[None]]
ReplyFactory = Callable[[Translator], Reply]

_STEP_DATA = re.compile(r"^(\d{1,9})\.([\w.\-]{1,48})$")
_GLOBAL_DATA = re.compile(r"^([a-z]{1,8}):([\w.\-]{0,48})$")
_NUMBER = re.compile(r"[0-9]{1,18}")


def number_in(text: str | None) -> int | None:
    """The id a button's data carries (or a count a person typed), or None when it is not one.

    Only ASCII digits that fit the database's 64-bit integers: `str.isdigit` also takes "²" or
    "١", which `int` refuses or reads as another number, and a longer run of digits overflows
    the query (or `int` itself, past 4300 digits) instead of meaning "no such petition"."""
    return int(text) if text is not None and _NUMBER.fullmatch(text) else None


@dataclass
class Conversation:
    """Where one chat stands; `step` grows with every question so old buttons can be told apart."""

    state: str = ""
    step: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    locale: str | None = None
    # The drafts of flows (`bot.flow`) read this turn, as their dataclasses: `settle` writes them
    # back into `data` once the turn is handled.
    typed: dict[str, Any] = field(default_factory=dict, compare=False, repr=False)

    def settle(self) -> None:
        """Write this turn's typed drafts back into the stored data (a dropped one stays gone)."""
        for key, draft in self.typed.items():
            if isinstance(self.data.get(key), dict):
                self.data[key].update(dataclasses.asdict(draft))
        self.typed.clear()


class Context:
    """One update being handled: its conversation, the store, and the replies being written."""

    def __init__(
        self, incoming: Incoming, conv: Conversation, store: Store, env: Environment, now: datetime
    ) -> None:
        self.incoming = incoming
        self.conv = conv
        self.store = store
        self.env = env
        self.now = now
        self.choice: str | None = None
        self.replies: list[Reply] = []
        self.outgoing: list[Outgoing] = []

    @property
    def t(self) -> Translator:
        """The translator for this chat's language (and messenger: see `TYPED_CHANNELS`)."""
        typed = self.incoming.channel in TYPED_CHANNELS
        return self.env.catalogues.get(self.conv.locale, typed=typed)

    @property
    def here(self) -> Recipient:
        """This chat."""
        return Recipient(self.incoming.channel, self.incoming.chat_id)

    @property
    def actor(self) -> str:
        """Who is acting, as written in events and the audit log (no personal data)."""
        return f"{self.incoming.channel}:{self.incoming.user_id}"

    def goto(self, state: str) -> None:
        """Move to a new question: buttons of earlier questions stop working."""
        self.conv.state = state
        self.conv.step += 1

    def button(self, label: str, token: str) -> Button:
        """A button valid only for the current question."""
        return Button(label, f"{self.conv.step}.{token}")

    def reply(self, text: str, *rows: Iterable[Button], **options: Any) -> None:
        """Queue a message to this chat."""
        self.replies.append(Reply(text, tuple(tuple(row) for row in rows), **options))

    def rebutton_pressed(self, *rows: Iterable[Button]) -> None:
        """The buttons of the message just pressed no longer apply (what they offered is done):
        it gets `rows` instead (none: they are taken off), so nobody presses them again."""
        if self.incoming.kind is Kind.CALLBACK and self.incoming.pressed_message:
            self.replies.append(Reply.new_buttons(self.incoming.pressed_message, *rows))

    def aside(self, text: str) -> None:
        """Queue a word that does not replace the question being answered (a refusal, a hint):
        its choices stay open, and on Zalo keep their numbers (`Reply.keeps_choices`)."""
        self.replies.append(Reply(text, keeps_choices=True))

    async def notify(
        self, recipient: Recipient, make: ReplyFactory, about: int | None = None
    ) -> None:
        """Queue a message to another chat, written in that chat's language; `about`: the
        petition, when it tells the filer of it (see `Reply.about`). A notice to the filer that
        offers nothing else offers «📂 Đơn của tôi», where its petition's history is."""
        locale = await self.store.locale_of(recipient)
        t = self.env.catalogues.get(locale, typed=recipient.channel in TYPED_CHANNELS)
        reply = make(t)
        if about is not None:
            mine = ((Button(t("menu.mine"), Menu("mine").pack()),),)
            reply = dataclasses.replace(reply, about=about, buttons=reply.buttons or mine)
        self.outgoing.append(Outgoing(recipient, reply))

    async def notify_officer(self, officer_id: int, make: ReplyFactory) -> None:
        """Queue a message to every chat an officer is bound in."""
        for chat in await self.store.officer_chats(officer_id):
            await self.notify(chat, make)


@dataclass(frozen=True)
class StateSpec:
    """A question: how to ask it, and how to take the answer."""

    prompt: Handler
    answer: Handler


class Router:
    """Commands, states and global buttons of one feature; the app merges all features' routers."""

    def __init__(self) -> None:
        self.commands: dict[str, Handler] = {}
        self.states: dict[str, StateSpec] = {}
        self.globals: dict[str, Handler] = {}

    def command(self, name: str) -> Callable[[Handler], Handler]:
        """Register a handler for `/name`."""

        def register(handler: Handler) -> Handler:
            self.commands[name] = handler
            return handler

        return register

    def state(self, name: str, prompt: Handler) -> Callable[[Handler], Handler]:
        """Register the handler that takes answers in state `name`, asked by `prompt`."""

        def register(handler: Handler) -> Handler:
            self.states[name] = StateSpec(prompt, handler)
            return handler

        return register

    def global_button(self, prefix: str) -> Callable[[Handler], Handler]:
        """Register a handler for buttons `prefix:argument`, valid from any message."""

        def register(handler: Handler) -> Handler:
            self.globals[prefix] = handler
            return handler

        return register

    def include(self, *routers: Router) -> Router:
        """Merge feature routers; a name registered twice is a programming error."""
        for other in routers:
            clash = (
                (self.commands.keys() & other.commands.keys())
                | (self.states.keys() & other.states.keys())
                | (self.globals.keys() & other.globals.keys())
            )
            if clash:
                raise ValueError(f"registered twice: {sorted(clash)}")
            self.commands.update(other.commands)
            self.states.update(other.states)
            self.globals.update(other.globals)
        return self


@dataclass(frozen=True)
class Fallbacks:
    """What the root router does when nothing else fits; supplied by the handlers package."""

    idle: Handler  # a message with no question pending: show the menu
    unknown_command: Handler
    stale_button: Handler
    forged_button: Handler


async def route(router: Router, fallbacks: Fallbacks, ctx: Context) -> None:
    """Send one update to the handler it belongs to, and keep what its flow wrote."""
    await _route(router, fallbacks, ctx)
    ctx.conv.settle()


async def _route(router: Router, fallbacks: Fallbacks, ctx: Context) -> None:
    incoming = ctx.incoming
    if incoming.kind is Kind.COMMAND:
        handler = router.commands.get(incoming.command or "", fallbacks.unknown_command)
        await handler(ctx)
        return
    if incoming.kind is Kind.CALLBACK:
        await _route_button(router, fallbacks, ctx, incoming.callback_data or "")
        return
    spec = router.states.get(ctx.conv.state)
    await (spec.answer if spec else fallbacks.idle)(ctx)


async def _route_button(router: Router, fallbacks: Fallbacks, ctx: Context, data: str) -> None:
    if match := _STEP_DATA.match(data):
        spec = router.states.get(ctx.conv.state)
        if int(match.group(1)) != ctx.conv.step or spec is None:
            await fallbacks.stale_button(ctx)
            return
        ctx.choice = match.group(2)
        await spec.answer(ctx)
        return
    if (match := _GLOBAL_DATA.match(data)) and match.group(1) in router.globals:
        ctx.choice = match.group(2)
        await router.globals[match.group(1)](ctx)
        return
    log.warning("forged or unknown button data from %s", ctx.actor)
    await fallbacks.forged_button(ctx)


async def ask(router: Router, ctx: Context, state: str) -> None:
    """Move to `state` and ask its question."""
    ctx.goto(state)
    await router.states[state].prompt(ctx)


async def ask_again(router: Router, ctx: Context) -> None:
    """Repeat the current question (after a stale button or an answer we could not take)."""
    spec = router.states.get(ctx.conv.state)
    if spec is not None:
        await spec.prompt(ctx)
