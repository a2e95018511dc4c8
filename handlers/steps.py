"""Step kinds: the questions every flow asks, declared in one line each.

- `choose`: one of a list, of any length (pages, a typed name, a number on Zalo: `picker`);
- `write`: a line of text, checked, with a one-line refusal that leaves the question in place.

A step kind makes the question's prompt and registers its answer on the flow; the flow supplies
the check of who is acting and Back/Cancel (`bot.flow`). What the answer means is the step's
`keep`, which stores it in the flow's draft and moves on.
"""

from __future__ import annotations

import inspect
from collections.abc import Awaitable, Callable, Mapping, Sequence
from typing import Any, TypeVar

from bot.conversation import Context, Handler
from bot.core import Button
from bot.domain.words import fold
from bot.flow import Flow, nav_buttons
from handlers.picker import Option, page_rows, picked, typed_text, with_page_hint

Token = TypeVar("Token", bound=str)
Words = str | Callable[[Context], str]  # a message id, or the question written for this chat
Options = Callable[[Context], Sequence[Option] | Awaitable[Sequence[Option]]]
Keep = Callable[[Context, str], Awaitable[None]]
Check = Callable[[str], bool]


def labelled(labels: Mapping[Token, str]) -> Options:
    """Options from tokens and the message ids of their labels, in the mapping's order."""
    return lambda ctx: [Option(token, ctx.t(label)) for token, label in labels.items()]


def words(ctx: Context, text: Words) -> str:
    """The words of a question or a refusal, for this chat."""
    return ctx.t(text) if isinstance(text, str) else text(ctx)


async def listed(ctx: Context, options: Options) -> Sequence[Option]:
    """The options as they stand now (some are read from the store: days, seats, officers)."""
    found = options(ctx)
    return await found if inspect.isawaitable(found) else found


def choose(
    flow: Flow[Any],
    name: str,
    question: Words,
    options: Options,
    keep: Keep,
    *,
    per_row: int = 1,
    extra: Callable[[Context], Sequence[Sequence[Button]]] = lambda ctx: (),
) -> Handler:
    """A step that takes one of `options` (pressed, typed by name, or by number on Zalo), with
    `extra` rows of buttons the step's own code does not handle; returns its prompt."""

    async def prompt(ctx: Context) -> None:
        shown = await listed(ctx, options)
        text = with_page_hint(ctx, words(ctx, question), len(shown))
        ctx.reply(text, *page_rows(ctx, shown, per_row), *extra(ctx), nav_buttons(ctx))

    async def answer(ctx: Context) -> None:
        token = await picked(ctx, await listed(ctx, options), prompt)
        if token is not None:
            await keep(ctx, token)

    flow.step(name, prompt)(answer)
    return prompt


def choose_many(
    flow: Flow[Any],
    name: str,
    question: Words,
    options: Options,
    chosen: Callable[[Context], list[str]],
    done: Callable[[Context], Awaitable[None]],
    *,
    done_label: str,
    none_chosen: str | None = None,
    per_row: int = 2,
) -> Handler:
    """A step where several of `options` are marked (✅) and unmarked, one answer at a time,
    until «done» (refused with `none_chosen`, when given, while nothing is marked); `chosen`
    is the draft's list of marked tokens. Returns its prompt."""

    async def prompt(ctx: Context) -> None:
        marked = set(chosen(ctx))
        shown = [
            Option(option.token, ("✅ " if option.token in marked else "") + option.label)
            for option in await listed(ctx, options)
        ]
        text = with_page_hint(ctx, words(ctx, question), len(shown))
        finish = [ctx.button(ctx.t(done_label), "done")]
        ctx.reply(text, *page_rows(ctx, shown, per_row), finish, nav_buttons(ctx))

    async def answer(ctx: Context) -> None:
        if ctx.choice == "done" or (typed_text(ctx) and says(ctx, done_label)):
            if none_chosen and not chosen(ctx):
                ctx.aside(ctx.t(none_chosen))
            else:
                await done(ctx)
            return
        token = await picked(ctx, await listed(ctx, options), prompt)
        if token is not None:
            marked = chosen(ctx)
            marked.remove(token) if token in marked else marked.append(token)
            await prompt(ctx)

    flow.step(name, prompt)(answer)
    return prompt


async def pressed(ctx: Context, token: str, label: str, prompt: Handler) -> bool:
    """Whether the one button `token` under a review («Gửi», «Xác nhận») was pressed, or its
    words typed; anything else gets a one-line answer and the review stays."""
    return await picked(ctx, [Option(token, ctx.t(label))], prompt) is not None


def says(ctx: Context, label: str) -> bool:
    """Whether the typed words are a button's label (ignoring case, marks and emoji)."""
    typed = fold(typed_text(ctx))
    return bool(typed) and typed == fold(ctx.t(label))


def write(
    flow: Flow[Any],
    name: str,
    question: Words,
    keep: Keep,
    *,
    check: Check,
    invalid: Words,
    skip: str | None = None,
) -> Handler:
    """A step that takes a line of text passing `check` (or «skip», labelled `skip`, as "");
    anything else is refused in one line, `invalid`, and the question stays; returns its prompt."""

    async def prompt(ctx: Context) -> None:
        rows = [[ctx.button(ctx.t(skip), "skip")]] if skip else []
        ctx.reply(words(ctx, question), *rows, nav_buttons(ctx))

    async def answer(ctx: Context) -> None:
        if skip and ctx.choice == "skip":
            await keep(ctx, "")
            return
        text = " ".join(typed_text(ctx).split())
        if not check(text):
            ctx.aside(words(ctx, invalid))
            return
        await keep(ctx, text)

    flow.step(name, prompt)(answer)
    return prompt


def within(low: int, high: int, *, digits: bool = True) -> Check:
    """Text of `low` to `high` characters (and, for a name, `digits=False`, without digits)."""
    return lambda text: low <= len(text) <= high and (digits or not any(c.isdigit() for c in text))


def counted(low: int, high: int) -> Check:
    """A whole number from `low` to `high`, in ASCII digits."""
    return lambda text: text.isascii() and text.isdigit() and low <= int(text) <= high
