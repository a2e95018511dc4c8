"""Handlers of typed button data (`bot.buttons`): registered by the kind of data they take."""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable
from typing import TypeVar

from bot.buttons import CallbackData
from bot.conversation import Context, Handler, Router

log = logging.getLogger(__name__)

Data = TypeVar("Data", bound=CallbackData)


def on(
    router: Router, kind: type[Data]
) -> Callable[[Callable[[Context, Data], Awaitable[None]]], Handler]:
    """Register a handler for the buttons of `kind`; it is called with their parsed data."""

    def register(handler: Callable[[Context, Data], Awaitable[None]]) -> Handler:
        async def parsed(ctx: Context) -> None:
            data = kind.parse(ctx.choice or "")
            if data is None:
                from handlers.common import forged_button

                log.warning("malformed %s button data from %s", kind.__name__, ctx.actor)
                await forged_button(ctx)
                return
            await handler(ctx, data)

        router.global_button(kind.prefix)(parsed)
        return parsed

    return register


async def press(ctx: Context, data: str) -> None:
    """Do what the button carrying `data` does, as if it were pressed: its words were typed (a
    menu entry, an offer a notice made). The data is one the bot made itself."""
    from handlers import ROOT

    prefix, _, ctx.choice = data.partition(":")
    await ROOT.globals[prefix](ctx)
