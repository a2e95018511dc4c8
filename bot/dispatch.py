"""The dispatcher: store every acknowledged update, then handle each once, in order, per chat.

Adapters call `accept` before they acknowledge an update to the platform, so an update the
platform considers delivered is always in the inbox table. Each chat's updates are handled one at
a time, in order; a handler's new state, its events and its outgoing messages are committed in
one transaction together with the "handled" mark. A crash therefore either loses nothing (the
update is handled again after restart) or has done everything.

Under load, the next update of up to `BATCH_LIMIT` different chats are handled in one
transaction, which spreads the fixed cost of a transaction over many people; a quiet bot handles
each update as soon as it arrives. Should a handler fail inside a batch, the batch is rolled back
and its updates are handled again one by one, each in a savepoint, so that only the failing one
ends with an apology.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import Context, Conversation, Environment
from bot.core import Incoming, Recipient, Reply
from bot.outbox import QueuedMessage
from storage import queues
from storage.db import Database
from storage.repository import SqlStore

log = logging.getLogger(__name__)

HandlerFn = Callable[[Context], Awaitable[None]]
Clock = Callable[[], datetime]


ChatKey = tuple[str, str]
Push = Callable[[list[QueuedMessage]], None]


ChatKey = tuple[str, str]
Push = Callable[[list[QueuedMessage]], None]
Item = tuple[int, Incoming]

BATCH_LIMIT = 32


class Dispatcher:
    """Turns stored updates into handled conversations, in order per chat."""

    def __init__(
        self,
        db: Database,
        env: Environment,
        handler: HandlerFn,
        clock: Clock,
        push: Push = lambda _messages: None,
    ) -> None:
        self.db = db
        self.env = env
        self.handler = handler
        self.clock = clock
        self.push = push
        self._pending: dict[ChatKey, deque[Item]] = {}
        self._ready: dict[ChatKey, None] = {}  # chats with work and none in hand, oldest first
        self._work = asyncio.Event()
        self._idle = asyncio.Event()
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None

    async def accept(self, updates: Sequence[Incoming]) -> list[Incoming]:
        """Store updates durably (dropping redeliveries) and start handling them."""
        if not updates:
            return []
        async with self.db.transaction() as session:
            fresh = await queues.store_updates(session, updates, self.clock())
        self._queue(fresh)
        return [incoming for _, incoming in fresh]

    async def recover(self) -> int:
        """After a restart, resume every update acknowledged but not yet handled."""
        async with self.db.transaction() as session:
            pending = await queues.pending_updates(session)
        self._queue(pending)
        return len(pending)

    def _queue(self, updates: list[Item]) -> None:
        for item in updates:
            key = (item[1].channel, item[1].chat_id)
            chat = self._pending.setdefault(key, deque())
            if not chat:
                self._ready[key] = None
            chat.append(item)
        if updates:
            self._idle.clear()
            self._work.set()
            if self._worker is None or self._worker.done():
                self._worker = asyncio.create_task(self._work_loop(), name="dispatcher")

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every stored update is handled (tests and graceful shutdown)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def close(self) -> None:
        """Finish what is in hand; anything left stays in the inbox for the next start."""
        with contextlib.suppress(TimeoutError):
            await self.wait_idle(timeout=5)
        if self._worker is not None:
            self._worker.cancel()
            await asyncio.gather(self._worker, return_exceptions=True)

    async def _work_loop(self) -> None:
        """Handle batches while there is work."""
        while self._ready:
            self._work.clear()
            keys = list(self._ready)[:BATCH_LIMIT]
            for key in keys:
                del self._ready[key]
            batch = [self._pending[key][0] for key in keys]
            try:
                await self._handle_batch(batch, isolated=len(batch) == 1)
            except Exception:
                log.info("a batch of %d updates failed; handling them one by one", len(batch))
                for item in batch:
                    await self._handle_alone(item)
            for key in keys:
                chat = self._pending[key]
                chat.popleft()
                if chat:
                    self._ready[key] = None
                else:
                    del self._pending[key]
        self._idle.set()

    async def _handle_alone(self, item: Item) -> None:
        """Retry one update of a failed batch; if even that fails, it waits for a restart."""
        try:
            await self._handle_batch([item], isolated=True)
        except Exception:
            log.exception(
                "could not handle an update of a %s chat; retried on restart", item[1].channel
            )

    async def _handle_batch(self, batch: list[Item], *, isolated: bool) -> None:
        """Run each handler; commit states, messages and handled marks of the batch at once.

        `isolated` runs each handler in a savepoint and turns its failure into an apology;
        otherwise a failure aborts the whole batch (the caller retries it isolated).
        """
        async with self.db.transaction() as session:
            now = self.clock()
            rows = await queues.load_conversations(
                session, [(incoming.channel, incoming.chat_id) for _, incoming in batch]
            )
            messages: list[tuple[Recipient, Reply]] = []
            handled: list[tuple[int, str | None]] = []
            for inbox_id, incoming in batch:
                row = rows[(incoming.channel, incoming.chat_id)]
                sent, error = await self._run_handler(session, incoming, row, now, isolated)
                messages += sent
                handled.append((inbox_id, error))
            stored = await queues.enqueue(session, messages, now)
            await queues.mark_handled(session, handled, now)
            queued = [QueuedMessage.of(message) for message in stored]
        self.push(queued)

    async def _run_handler(
        self, session: AsyncSession, incoming: Incoming, row: Any, now: datetime, isolated: bool
    ) -> tuple[list[tuple[Recipient, Reply]], str | None]:
        """One update; isolated, a failing handler leaves no trace but an apology."""
        here = Recipient(incoming.channel, incoming.chat_id)
        conv = Conversation(row.state, row.step, copy.deepcopy(row.data or {}), row.locale)
        ctx = Context(incoming, conv, SqlStore(session), self.env, now)
        if not isolated:
            await self.handler(ctx)
            return self._commit_turn(session, ctx, row, now), None
        try:
            async with session.begin_nested():
                await self.handler(ctx)
        except Exception:
            log.exception("handler failed on a %s update in state %r", incoming.kind, row.state)
            t = self.env.catalogues.get(conv.locale)
            return [(here, Reply(t("error.internal")))], "handler failed"
        return self._commit_turn(session, ctx, row, now), None

    @staticmethod
    def _commit_turn(
        session: AsyncSession, ctx: Context, row: Any, now: datetime
    ) -> list[tuple[Recipient, Reply]]:
        """Keep the conversation's new state; return the messages to queue."""
        conv = ctx.conv
        row.state, row.step, row.data, row.locale = conv.state, conv.step, conv.data, conv.locale
        row.updated_at = now
        session.add(row)
        sent = [(ctx.here, reply) for reply in ctx.replies]
        return sent + [(out.recipient, out.reply) for out in ctx.outgoing]
