"""The outbox sender: the only place that talks to messengers.

Messages are rows written in the same transaction as the state change that caused them. The
sender sends each chat's messages in order, within a global rate and a per-chat rate (Telegram:
about 30 messages/s overall and 1/s per chat, with short bursts), and honours 429 `retry_after`.
A message is marked sent right after the platform accepts it: after a crash, only a message whose
send was in flight at that moment can go twice.
"""

from __future__ import annotations

import asyncio
import contextlib
import functools
import logging
import time
from collections import Counter, deque
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core import Messenger, Reply, RetryLater, Undeliverable
from bot.files import LocalFiles
from bot.metrics import Metrics
from storage import queues, send_rates
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

BATCH = 200
GLOBAL_BURST = 1.1
IDLE_POLL_SECONDS = 1.0
RENEW_CLAIMS_SECONDS = 30.0  # well within queues.CLAIM
MARK_BATCH_SECONDS = 0.2
MARK_RETRY_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300.0
STOP_GRACE_SECONDS = 5.0


@dataclass
class TokenBucket:
    """`rate` tokens a second, at most `burst` saved up; `take` says how long to wait."""

    rate: float
    burst: float
    tokens: float = -1.0
    updated: float = field(default_factory=time.monotonic)

    def __post_init__(self) -> None:
        if self.tokens < 0:
            self.tokens = self.burst

    def take(self, now: float) -> float:
        """Reserve one token; return the seconds to wait before using it (0 when free)."""
        self.wait(now)
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

    def wait(self, now: float) -> float:
        """The seconds until a token is free (0 when one is), taking nothing."""
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        return 0.0 if self.tokens >= 1 else (1 - self.tokens) / self.rate

    def hold(self, seconds: float, now: float) -> None:
        """The platform told us to wait: no tokens for that long."""
        self.take(now)
        self.tokens = min(self.tokens, -seconds * self.rate)


@dataclass(frozen=True)
class RateLimits:
    """One channel's limits."""

    global_rate: float = 30.0
    per_chat_rate: float = 1.0
    per_chat_burst: int = 3
    # Requests in flight at once: enough to cover the round trip (30/s × 0.25 s from Vietnam to
    # the Bot API ≈ 8); more only makes the HTTP pool thrash.
    max_in_flight: int = 8


class SharedRate:
    """A channel's global limit kept in the database, so that several workers (PostgreSQL) keep
    it together: one worker alone may use all of it, two share it as their loads come."""

    def __init__(self, db: Database, channel: str, rate: float) -> None:
        self.db = db
        self.channel = channel
        self.interval = 1.0 / rate
        # A slot may be taken up to half an interval early: the worker comes back from its wait
        # a database round trip late, and that lateness would otherwise be lost at every send
        # (0.92 of the rate instead of 1.0). Any one second still holds at most `rate` + 1.
        self.tolerance = 0.5 / rate

    async def acquire(self) -> bool:
        """Wait until the channel's next send slot is due, and take it. False when the database
        cannot be asked: the caller keeps the limit by itself meanwhile (a send needs nothing
        else from the database, and must not fail for it)."""
        try:
            while (wait := await self._take()) > 0:
                await asyncio.sleep(wait)
        except Exception as error:
            log.warning("shared send rate unavailable (%s); keeping this worker's own", error)
            return False
        return True

    async def _take(self) -> float:
        async with self.db.transaction() as session:
            return await send_rates.take_slot(session, self.channel, self.interval, self.tolerance)

    async def hold(self, seconds: float) -> None:
        """The platform told us to wait: every worker waits (the early tolerance included)."""
        try:
            async with self.db.transaction() as session:
                await send_rates.hold(session, self.channel, seconds + self.tolerance)
        except Exception as error:
            log.warning("could not share a 429 with the other workers (%s)", error)


class RateLimiter:
    """A global limit and one bucket per chat, for one channel.

    The global limit is a bucket of this process's, or with several workers a `SharedRate`. A
    chat's bucket can stay in the process: one worker at a time sends to a chat (its claims).
    """

    def __init__(self, limits: RateLimits, shared: SharedRate | None = None) -> None:
        self.limits = limits
        # Evenly spaced, no saved-up burst (a tenth of a send, so that a timer firing a
        # millisecond late costs no rate): any one-second window holds at most `rate` + 1 sends.
        self.global_bucket = TokenBucket(limits.global_rate, GLOBAL_BURST)
        self.shared = shared
        self.chats: dict[str, TokenBucket] = {}
        self._global_turn = asyncio.Lock()

    def _chat(self, chat_id: str) -> TokenBucket:
        bucket = self.chats.get(chat_id)
        if bucket is None:
            bucket = TokenBucket(self.limits.per_chat_rate, self.limits.per_chat_burst)
            self.chats[chat_id] = bucket
        return bucket

    async def acquire(self, chat_id: str) -> None:
        """Wait until one more message may go to this chat, and take its tokens.

        Tokens are taken at the moment of the send, never reserved ahead: when the process
        stalls (a garbage collection, a busy CPU), sends reserved for the time it lost would go
        out together, a burst the platform answers with 429; taken late, they resume at the
        rate. One sender at a time, in order, waits for the global rate; the chat's own wait
        comes first (only its own task sends to a chat, so it cannot lose its turn). Both are
        taken at the same moment, so that the spacing the platform sees is the one measured.
        """
        chat = self._chat(chat_id)
        while (wait := chat.wait(time.monotonic())) > 0:
            await asyncio.sleep(wait)
        async with self._global_turn:
            if self.shared is None or not await self.shared.acquire():
                while (wait := self.global_bucket.wait(time.monotonic())) > 0:
                    await asyncio.sleep(wait)
                self.global_bucket.take(time.monotonic())
            chat.take(time.monotonic())

    async def hold(self, chat_id: str, seconds: float) -> None:
        """After a 429: this chat, and the channel as a whole, wait."""
        now = time.monotonic()
        self._chat(chat_id).hold(seconds, now)
        self.global_bucket.hold(seconds, now)
        if self.shared is not None:
            await self.shared.hold(seconds)


@dataclass(frozen=True)
class QueuedMessage:
    """An outbox row as the sender needs it."""

    id: int
    channel: str
    chat_id: str
    reply: Reply
    attempts: int = 0

    @classmethod
    def of(cls, row: OutboxMessage) -> QueuedMessage:
        """From a stored row."""
        return cls(row.id, row.channel, row.chat_id, Reply.from_json(row.payload), row.attempts)


ChatKey = tuple[str, str]


class OutboxSender:
    """Sends committed outbox rows through the channel's messenger.

    The dispatcher hands over the rows it has just committed (`push`), so a reply goes out without
    another query; a sweep of the table picks up everything else: rows left by a crash, rows
    postponed after a 429 or a network failure, rows written by other processes. Sent marks are
    written in small batches. A message counts as known from the moment it is queued until its
    sent mark is committed, so the sweep never queues it twice.
    """

    def __init__(
        self,
        db: Database,
        messengers: Mapping[str, Messenger],
        limits: Mapping[str, RateLimits],
        clock: Callable[[], datetime],
        files: LocalFiles | None = None,
        metrics: Metrics | None = None,
    ) -> None:
        self.db = db
        self.messengers = dict(messengers)
        self.files = files
        self.metrics = metrics or Metrics()
        self.limiters = {
            channel: self._limiter(channel, limits.get(channel, RateLimits()))
            for channel in messengers
        }
        self._in_flight = {
            channel: asyncio.Semaphore(limits.get(channel, RateLimits()).max_in_flight)
            for channel in messengers
        }
        self.clock = clock
        self._wake = asyncio.Event()
        self._queues: dict[ChatKey, deque[QueuedMessage]] = {}
        self._tasks: dict[ChatKey, asyncio.Task[None]] = {}
        self._held: set[ChatKey] = set()
        self._backlogged: set[ChatKey] = set()  # more rows in the table than the sweep took
        self._known: set[int] = set()
        self._sent: list[tuple[int, str | None]] = []
        self._marks_generation = 0
        self._marking: asyncio.Task[None] | None = None
        self._sweep_lock = asyncio.Lock()
        self._stopping = False

    def _limiter(self, channel: str, limits: RateLimits) -> RateLimiter:
        """On PostgreSQL other workers may send for the same bot: the global limit is shared."""
        if self.db.is_sqlite:
            return RateLimiter(limits)
        return RateLimiter(limits, SharedRate(self.db, channel, limits.global_rate))

    def wake(self) -> None:
        """Rows were committed that nobody pushed: sweep soon."""
        self._wake.set()

    def push(self, messages: list[QueuedMessage]) -> None:
        """Queue rows just committed by the dispatcher, in order."""
        for message in messages:
            key = (message.channel, message.chat_id)
            if (
                message.channel not in self.messengers
                or key in self._held
                or key in self._backlogged
            ):
                # Another process's channel, a chat waiting out a 429, or a chat whose older
                # rows are still in the table: the sweep takes it, in order.
                continue
            if message.id not in self._known:
                self._known.add(message.id)
                self._queues.setdefault(key, deque()).append(message)
                self._ensure_chat_task(key)

    async def run(self) -> None:
        """Sweep the table now and then until stopped; keep this worker's claims alive."""
        renewed = time.monotonic()
        while not self._stopping:
            self._wake.clear()
            try:
                await self.sweep()
                if time.monotonic() - renewed > RENEW_CLAIMS_SECONDS:
                    async with self.db.transaction() as session:
                        await queues.renew_claims(session, self.clock())
                    renewed = time.monotonic()
            except Exception:
                log.exception("outbox sweep failed; retrying")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)

    async def stop(self) -> None:
        """Let in-flight sends finish and record them; unsent rows wait for the next start."""
        self._stopping = True
        self._wake.set()
        in_flight = list(self._tasks.values())
        if in_flight:
            _done, late = await asyncio.wait(in_flight, timeout=STOP_GRACE_SECONDS)
            for task in late:
                task.cancel()
            await asyncio.gather(*late, return_exceptions=True)
        if self._marking is not None:  # a batch of marks being written: let it land first
            await asyncio.gather(self._marking, return_exceptions=True)
        await self._write_marks()

    async def flush(self) -> None:
        """Send everything that is due now and wait until it is recorded (tests, benchmarks)."""
        while True:
            await asyncio.gather(*self._tasks.values(), return_exceptions=True)
            await self._write_marks()
            if not await self.sweep() and not self._tasks and not self._sent:
                return

    async def sweep(self) -> int:
        """Queue due rows that are not queued yet; return how many chats got work."""
        async with self._sweep_lock:
            generation = self._marks_generation
            async with self.db.transaction() as session:
                rows = await queues.due_messages(session, self.clock(), BATCH, set(self._tasks))
            if generation != self._marks_generation:
                return 1  # sent marks landed meanwhile: this snapshot may be stale, look again
            started: Counter[ChatKey] = Counter()
            for row in rows:
                key = (row.channel, row.chat_id)
                if row.channel in self.messengers and row.id not in self._known:
                    self._held.discard(key)
                    self._known.add(row.id)
                    self._queues.setdefault(key, deque()).append(QueuedMessage.of(row))
                    started[key] += 1
            for key, taken in started.items():
                if taken >= queues.PER_CHAT:
                    self._backlogged.add(key)
                else:
                    self._backlogged.discard(key)
                self._ensure_chat_task(key)
            return len(started)

    def _ensure_chat_task(self, key: ChatKey) -> None:
        if key not in self._tasks:
            task = asyncio.create_task(self._send_chat(key))
            self._tasks[key] = task
            task.add_done_callback(functools.partial(self._forget_task, key))

    def _forget_task(self, key: ChatKey, task: asyncio.Task[None]) -> None:
        if self._tasks.get(key) is task:
            del self._tasks[key]

    def _finish_chat(self, key: ChatKey) -> None:
        """The chat's task ends: from now on a push for this chat starts a new one.

        Done without an await in between, so no push can land in a queue nobody serves.
        """
        self._queues.pop(key, None)
        self._tasks.pop(key, None)
        if key in self._backlogged:
            self.wake()  # its next rows: now, not at the next idle sweep

    async def _send_chat(self, key: ChatKey) -> None:
        """Send one chat's queued messages; should anything unforeseen stop it (the database
        gone while a wait is recorded), its messages go back to the sweep, not stranded."""
        try:
            await self._send_queue(key)
        except Exception:
            log.exception("sending to a %s chat stopped; the sweep takes it up again", key[0])
            for queued in self._queues.get(key, ()):
                self._known.discard(queued.id)
        finally:
            self._finish_chat(key)

    async def _send_queue(self, key: ChatKey) -> None:
        """Send one chat's queued messages in order; stop at the first one that must wait."""
        channel, chat_id = key
        messenger, limiter = self.messengers[channel], self.limiters[channel]
        pending = self._queues.get(key)
        while pending and not self._stopping:
            message = pending[0]
            try:
                reply = message.reply
                if self.files is not None:
                    reply = await self.files.for_channel(reply, channel)
                # The slot first, the rate tokens last: the time the platform sees between two
                # sends is then the time the limiter measured.
                async with self._in_flight[channel]:
                    await limiter.acquire(chat_id)
                    started = time.monotonic()
                    result = await messenger.send(chat_id, reply)
                self.metrics.sent(channel, "sent", time.monotonic() - started)
            except RetryLater as wait:
                self.metrics.sent(channel, "retry", 0.0)
                await limiter.hold(chat_id, wait.seconds)
                await self._postpone_chat(key, message, wait.seconds, str(wait))
                return
            except Undeliverable as refused:
                self.metrics.sent(channel, "failed", 0.0)
                log.warning("message to a %s chat undeliverable: %s", channel, refused)
                about = message.reply.about
                await self._record(
                    queues.give_up,
                    message.id,
                    self.clock(),
                    str(refused),
                    (about, channel) if about is not None else None,
                )
                self._known.discard(pending.popleft().id)
                continue
            except Exception as error:  # network trouble, platform hiccup: back off and retry
                backoff = min(MAX_BACKOFF_SECONDS, 2.0 ** min(message.attempts, 8))
                log.warning(
                    "send to a %s chat failed (%s); retry in %.0fs", channel, error, backoff
                )
                await self._postpone_chat(key, message, backoff, repr(error))
                return
            pending.popleft()
            self._sent.append((message.id, result.message_id))
            self._schedule_marks()

    async def _postpone_chat(
        self, key: ChatKey, message: QueuedMessage, seconds: float, error: str
    ) -> None:
        """This chat waits; its queue goes back to the table, where the sweep finds it in time."""
        self._held.add(key)
        for queued in self._queues.pop(key, deque()):
            self._known.discard(queued.id)
        await self._record(queues.postpone, message.id, self._after(seconds), error)

    def _schedule_marks(self) -> None:
        if self._marking is None or self._marking.done():
            self._marking = asyncio.create_task(self._write_marks_soon())

    async def _write_marks_soon(self) -> None:
        """Write sent marks until none is left: a send that finishes while a batch is being
        written adds to the next batch, never to nothing (a mark left unwritten means a resend
        after a crash, and a chat that looks busy to other workers).

        SQLite has one writer: the marks of a moment are gathered into one write. On PostgreSQL
        other workers read them, so they are written at once."""
        while self._sent:
            if self.db.is_sqlite:
                await asyncio.sleep(MARK_BATCH_SECONDS)
            try:
                await self._write_marks()
            except Exception:
                log.exception("could not record sent messages; retrying")
                await asyncio.sleep(MARK_RETRY_SECONDS)

    async def _write_marks(self) -> None:
        """Record the sends made since the last batch (unless the dispatcher already did)."""
        batch = self.take()
        if not batch:
            return
        try:
            async with self.db.transaction() as session:
                await queues.mark_sent(session, batch, self.clock())
        except BaseException:
            self.give_back(batch)
            raise
        self.recorded(batch)

    def take(self) -> list[tuple[int, str | None]]:
        """Hand over the sends not yet recorded (the dispatcher records them in its turn)."""
        batch, self._sent = self._sent, []
        return batch

    def give_back(self, marks: list[tuple[int, str | None]]) -> None:
        """Recording failed: keep them for the next try."""
        self._sent = marks + self._sent

    def recorded(self, marks: list[tuple[int, str | None]]) -> None:
        """These sends are committed as sent: the sweep may no longer see them as unsent."""
        self._marks_generation += 1
        self._known.difference_update(message_id for message_id, _ in marks)

    def _after(self, seconds: float) -> datetime:
        return self.clock() + timedelta(seconds=seconds)

    async def _record(self, change: Callable[..., object], *args: object) -> None:
        async with self.db.transaction() as session:
            await change(session, *args)  # type: ignore[misc]
