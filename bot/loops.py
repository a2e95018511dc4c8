"""Background loops that stop between rounds, never in the middle of one.

Cancelling a task that is inside a database call can leave its connection half made and never
returned (it is then closed by the garbage collector, with a warning, or leaks a socket to
PostgreSQL). So the bot's loops wait on a shared `Stopping` signal instead of a plain sleep:
at shutdown they finish the round in hand and return, and only a loop that does not return in
time is cancelled.
"""

from __future__ import annotations

import asyncio
import contextlib


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
