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
import logging
from collections import deque
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import Context, Conversation
from bot.core import Incoming, Recipient, Reply, notice
from bot.environment import Environment
from bot.loops import Stopping
from bot.metrics import Metrics
from bot.outbox import QueuedMessage
from bot.pace import Pace, Pacing
from storage import queues
from storage.db import Database
from storage.repository import SqlStore

log = logging.getLogger(__name__)

HandlerFn = Callable[[Context], Awaitable[None]]
Clock = Callable[[], datetime]


ChatKey = tuple[str, str]
Push = Callable[[list[QueuedMessage]], None]


class Marks(Protocol):
    """The outbox's record of sends not yet written: the dispatcher writes them in its turn."""

    def take(self) -> list[tuple[int, str | None]]:
        """Hand over the sends to record."""
        ...

    def give_back(self, marks: list[tuple[int, str | None]]) -> None:
        """The turn failed: they still need recording."""
        ...

    def recorded(self, marks: list[tuple[int, str | None]]) -> None:
        """They are committed."""
        ...


Item = tuple[int, Incoming]

BATCH_LIMIT = 32
RETRY_SECONDS = 2.0
ORPHAN_SWEEP_SECONDS = 30.0


class Dispatcher:
    """Turns stored updates into handled conversations, in order per chat.

    One worker does every write of the hot path, so that nothing queues for SQLite's single
    writer: each turn stores the updates that arrived (their senders wait for that commit before
    acknowledging them), handles the next update of up to `BATCH_LIMIT` chats, queues the replies
    and records the outbox's sent marks, all in one transaction.
    """

    def __init__(
        self,
        db: Database,
        env: Environment,
        handler: HandlerFn,
        clock: Clock,
        push: Push = lambda _messages: None,
        marks: Marks | None = None,
        metrics: Metrics | None = None,
        jobs_due: Callable[[], None] = lambda: None,
        pacing: Pacing | None = None,
    ) -> None:
        self.db = db
        self.pacing = pacing or Pacing()
        self.jobs_due = jobs_due  # a turn committed a job that is due now (a report asked for)
        self.env = env
        self.handler = handler
        self.clock = clock
        self.push = push
        self.marks = marks
        self.metrics = metrics or Metrics()
        self._arrivals: list[tuple[list[Incoming], asyncio.Future[list[Incoming]]]] = []
        self._pending: dict[ChatKey, deque[Item]] = {}
        self._ready: dict[ChatKey, None] = {}  # chats with work and none in hand, oldest first
        self._idle = asyncio.Event()
        self._idle.set()
        self._worker: asyncio.Task[None] | None = None
        self._retries: set[asyncio.Task[None]] = set()
        self._queued_ids: set[int] = set()

    async def accept(self, updates: Sequence[Incoming]) -> list[Incoming]:
        """Store updates durably (dropping redeliveries); return once they are committed."""
        if not updates:
            return []
        stored: asyncio.Future[list[Incoming]] = asyncio.get_running_loop().create_future()
        self._arrivals.append((list(updates), stored))
        self._start_worker()
        return await stored

    async def recover(self, received_before: datetime | None = None) -> int:
        """After a restart, resume every update acknowledged but not yet handled (with a cut-off:
        those another worker stored and then left, see `adopt_orphans`)."""
        async with self.db.transaction() as session:
            pending = await queues.pending_updates(session, received_before)
        fresh = [item for item in pending if item[0] not in self._queued_ids]
        self._queue(fresh)
        self._start_worker()
        return len(fresh)

    async def adopt_orphans(self, stopping: Stopping, every: float = ORPHAN_SWEEP_SECONDS) -> None:
        """Several workers: now and then take over updates that a worker stored and then died
        before handling (a chat nobody writes to again would otherwise wait for its restart)."""
        while not await stopping.pause(every):
            try:
                cutoff = self.clock() - timedelta(seconds=every)
                if adopted := await self.recover(received_before=cutoff):
                    log.info("took over %d updates left unhandled", adopted)
            except Exception:
                log.exception("could not look for unhandled updates; will look again")

    def _queue(self, updates: list[Item]) -> None:
        for item in updates:
            self._queued_ids.add(item[0])
            key = (item[1].channel, item[1].chat_id)
            chat = self._pending.setdefault(key, deque())
            if not chat:
                self._ready[key] = None
            chat.append(item)

    def _start_worker(self) -> None:
        self._idle.clear()
        if self._worker is None or self._worker.done():
            self._worker = asyncio.create_task(self._work_loop(), name="dispatcher")

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every stored update is handled (tests and graceful shutdown)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def close(self) -> None:
        """Finish what is in hand; anything left stays in the inbox for the next start."""
        with contextlib.suppress(TimeoutError):
            await self.wait_idle(timeout=5)
        pending = [*self._retries, *([self._worker] if self._worker else [])]
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)

    async def _work_loop(self) -> None:
        """Take turns while updates arrive or wait."""
        while self._arrivals or self._ready:
            arrivals, self._arrivals = self._arrivals, []
            keys = list(self._ready)[:BATCH_LIMIT]
            for key in keys:
                del self._ready[key]
            try:
                await self._turn(arrivals, keys, isolated=False)
            except Exception:
                log.info("a turn with %d updates failed; handling them one by one", len(keys))
                await self._store_alone(arrivals)
                stuck = {key for key in keys if not await self._handle_alone(key)}
            else:
                stuck = set()
            for key in keys:
                if key in stuck:
                    self._retry_later(key)
                else:
                    self._next_of(key)
        self._idle.set()

    def _retry_later(self, key: ChatKey) -> None:
        """The database refused a chat's update: keep it first in line and try again soon."""
        task = asyncio.create_task(self._ready_after(key, RETRY_SECONDS))
        self._retries.add(task)
        task.add_done_callback(self._retries.discard)

    async def _ready_after(self, key: ChatKey, seconds: float) -> None:
        await asyncio.sleep(seconds)
        self._ready[key] = None
        self._start_worker()

    async def _store_alone(
        self, arrivals: list[tuple[list[Incoming], asyncio.Future[list[Incoming]]]]
    ) -> None:
        """Store the arrivals of a failed turn; if even that fails, their senders are told.

        An update that cannot be stored is not acknowledged: the platform delivers it again.
        """
        try:
            await self._turn(arrivals, [], isolated=True)
        except Exception as error:
            log.exception("could not store %d arriving updates", len(arrivals))
            for _, future in arrivals:
                if not future.done():
                    future.set_exception(error)

    def _next_of(self, key: ChatKey) -> None:
        """A chat's head update is done: its next one becomes ready."""
        chat = self._pending[key]
        self._queued_ids.discard(chat.popleft()[0])
        if chat:
            self._ready[key] = None
        else:
            del self._pending[key]

    async def _handle_alone(self, key: ChatKey) -> bool:
        """Retry one update of a failed turn in a savepoint; False when the database refused."""
        try:
            await self._turn([], [key], isolated=True)
        except Exception:
            log.exception("could not handle an update of a %s chat; will retry", key[0])
            return False
        return True

    async def _turn(
        self,
        arrivals: list[tuple[list[Incoming], asyncio.Future[list[Incoming]]]],
        keys: list[ChatKey],
        *,
        isolated: bool,
    ) -> None:
        """One transaction: store arrivals, handle the chats' head updates, record sent marks.

        `isolated` runs each handler in a savepoint and turns its failure into an apology;
        otherwise a failure aborts the whole turn (the caller retries it isolated).
        """
        marks = self.marks.take() if self.marks and not isolated else []
        try:
            async with self.db.transaction() as session:
                now = self.clock()
                fresh = [
                    await queues.store_updates(session, updates, now) for updates, _ in arrivals
                ]
                queued = await self._handle(
                    session, [self._pending[key][0] for key in keys], now, isolated
                )
                if marks:
                    await queues.mark_sent(session, marks, now)
        except BaseException:
            if self.marks and marks:
                self.marks.give_back(marks)
            raise
        if self.marks and marks:
            self.marks.recorded(marks)
        if queues.scheduled_due(session, now):
            self.jobs_due()
        for (_, future), items in zip(arrivals, fresh, strict=True):
            self._queue(items)
            if not future.done():
                future.set_result([incoming for _, incoming in items])
        self.push(queued)

    async def _handle(
        self, session: AsyncSession, batch: list[Item], now: datetime, isolated: bool
    ) -> list[QueuedMessage]:
        """Run each handler; save the conversations, queue the replies, mark the updates handled."""
        batch = await queues.claim_chats(session, batch)  # several workers: see there
        if not batch:
            return []
        rows = await queues.load_conversations(
            session, [(incoming.channel, incoming.chat_id) for _, incoming in batch]
        )
        messages: list[tuple[Recipient, Reply]] = []
        handled: list[tuple[int, str | None]] = []
        changed: list[queues.ConversationRow] = []
        floods = Floods(self.pacing)
        for inbox_id, incoming in batch:
            row = rows[(incoming.channel, incoming.chat_id)]
            sent, error = await self._run_handler(session, incoming, row, now, isolated)
            if error is None:
                changed.append(row)
                sent = floods.pace(row, incoming, sent, now, self._flood_notice)
            messages += sent
            handled.append((inbox_id, error))
        await queues.save_conversations(session, changed, now)
        stored = await queues.enqueue(session, messages, now)
        await floods.store(session, now)
        await queues.mark_handled(session, handled, now)
        for (_, incoming), (_, error) in zip(batch, handled, strict=True):
            waited = (self.clock() - incoming.received_at).total_seconds()
            self.metrics.handled(incoming.channel, error is None, waited)
        return [
            QueuedMessage(message_id, recipient.channel, recipient.chat_id, reply)
            for message_id, recipient, reply in stored
        ]

    async def _run_handler(
        self,
        session: AsyncSession,
        incoming: Incoming,
        row: queues.ConversationRow,
        now: datetime,
        isolated: bool,
    ) -> tuple[list[tuple[Recipient, Reply]], str | None]:
        """One update; isolated, a failing handler leaves no trace but an apology."""
        conv = Conversation(row.state, row.step, row.data, row.locale)
        ctx = Context(incoming.readable(), conv, SqlStore(session), self.env, now)
        if not isolated:
            await self.handler(ctx)
            return self._keep_turn(ctx, row), None
        try:
            async with session.begin_nested():
                await self.handler(ctx)
        except Exception:
            log.exception("handler failed on a %s update in state %r", incoming.kind, row.state)
            t = self.env.catalogues.get(conv.locale)
            return [(ctx.here, Reply(t("error.internal")))], "handler failed"
        return self._keep_turn(ctx, row), None

    def _flood_notice(self, locale: str | None) -> Reply:
        t = self.env.catalogues.get(locale)
        return Reply(t("flood.notice"), unprompted=True)

    @staticmethod
    def _keep_turn(ctx: Context, row: queues.ConversationRow) -> list[tuple[Recipient, Reply]]:
        """Take the conversation's new state; return the messages to queue."""
        conv = ctx.conv
        row.state, row.step, row.data, row.locale = conv.state, conv.step, conv.data, conv.locale
        sent = [(ctx.here, reply) for reply in ctx.replies]
        return sent + [
            (out.recipient, out.reply if out.recipient == ctx.here else notice(out.reply))
            for out in ctx.outgoing
        ]


class Floods:
    """One turn's chats that write faster than a person (`bot.pace`): their replies are held.

    A chat whose flood starts is told once; the replies to each of its messages are held until
    it has been quiet for a moment, each set superseding the one before, so that it gets the
    answer to its latest message, once. Messages to anyone else go out as always.
    """

    def __init__(self, pacing: Pacing) -> None:
        self.pacing = pacing
        self.held: dict[Recipient, tuple[list[Reply], datetime]] = {}
        self.ended: set[Recipient] = set()

    def pace(
        self,
        row: queues.ConversationRow,
        incoming: Incoming,
        sent: list[tuple[Recipient, Reply]],
        now: datetime,
        notice: Callable[[str | None], Reply],
    ) -> list[tuple[Recipient, Reply]]:
        """Count the update in the chat's pace; return the messages to send now (`notice` makes
        the flood notice: only when a flood starts, never on the hot path)."""
        pacing, before = self.pacing, Pace(row.pace, row.paced_at)
        after = pacing.after(before, incoming.received_at)
        row.pace, row.paced_at = after.level, after.at
        here = Recipient(incoming.channel, incoming.chat_id)
        if not pacing.flooding(after):
            if pacing.flooding(before):
                self.ended.add(here)  # replies held for its last message are out of date
            return sent
        mine = [reply for recipient, reply in sent if recipient == here]
        others = [(recipient, reply) for recipient, reply in sent if recipient != here]
        self.held[here] = (mine, now + timedelta(seconds=pacing.quiet_seconds(after)))
        if pacing.still_flooding(before, incoming.received_at):
            return others
        log.info("a %s chat writes faster than a person; its replies are held", here.channel)
        return [(here, notice(row.locale)), *others]

    async def store(self, session: AsyncSession, now: datetime) -> None:
        """Write the held replies (after the turn's other messages: a notice goes first)."""
        await queues.supersede_withheld(session, self.ended, now)
        for recipient, (replies, until) in self.held.items():
            await queues.withhold(session, [(recipient, reply) for reply in replies], until, now)
