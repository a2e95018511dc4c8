"""Background loops that stop between rounds, never in the middle of one.

Cancelling a task that is inside a database call can leave its connection half made and never
returned (it is then closed by the garbage collector, with a warning, or leaks a socket to
PostgreSQL). So the bot's loops wait on a shared `Stopping` signal instead of a plain sleep:
at shutdown they finish the round in hand and return, and only a loop that does not return in
time is cancelled. A long poller is the exception: it waits on the platform, not the database,
so it is cancelled (`polling`).
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import AsyncIterator, Callable, Collection, Coroutine
from typing import Any

STOP_GRACE_SECONDS = 5.0


class Stopping:
    """Set once, at shutdown; every loop's pause ends at once when it is."""

    def __init__(self) -> None:
        self._event = asyncio.Event()

    def set(self) -> None:
        self._event.set()

    def is_set(self) -> bool:
        return self._event.is_set()

    async def pause(self, seconds: float, wake: asyncio.Event | None = None) -> bool:
        """Wait `seconds` (or until `wake` is set); True when the loop should stop."""
        waits = [asyncio.ensure_future(self._event.wait())]
        if wake is not None:
            waits.append(asyncio.ensure_future(wake.wait()))
        try:
            await asyncio.wait(waits, timeout=seconds, return_when=asyncio.FIRST_COMPLETED)
        finally:
            for waiting in waits:
                waiting.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await asyncio.gather(*waits, return_exceptions=True)
        return self._event.is_set()


Loop = Callable[[Stopping], Coroutine[Any, Any, None]]


async def finish(tasks: Collection[asyncio.Task[Any]], grace: float = STOP_GRACE_SECONDS) -> None:
    """Wait for loops that were told to stop; cancel those still running after `grace` seconds."""
    if not tasks:
        return
    _done, late = await asyncio.wait(tasks, timeout=grace)
    for task in late:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


@contextlib.asynccontextmanager
async def looping(loop: Loop, name: str) -> AsyncIterator[None]:
    """Run `loop` while inside; at the end it is told to stop and finishes its round."""
    stopping = Stopping()
    task = asyncio.create_task(loop(stopping), name=name)
    try:
        yield
    finally:
        stopping.set()
        await finish([task])


@contextlib.asynccontextmanager
async def polling(poll: Coroutine[Any, Any, None], name: str) -> AsyncIterator[None]:
    """Run a long poller while inside; at the end it is cancelled (what it was storing is
    shielded, `bot.app.Application.accept`, and lands all the same)."""
    task = asyncio.create_task(poll, name=name)
    try:
        yield
    finally:
        task.cancel()
        await asyncio.gather(task, return_exceptions=True)
