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
import logging
import time
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from bot.core import Messenger, Reply, RetryLater, Undeliverable
from storage import queues
from storage.db import Database
from storage.models import OutboxMessage

log = logging.getLogger(__name__)

BATCH = 200
IDLE_POLL_SECONDS = 1.0
MAX_BACKOFF_SECONDS = 300.0


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
        self.tokens = min(self.burst, self.tokens + (now - self.updated) * self.rate)
        self.updated = now
        self.tokens -= 1
        return 0.0 if self.tokens >= 0 else -self.tokens / self.rate

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


class RateLimiter:
    """A global bucket and one bucket per chat, for one channel."""

    def __init__(self, limits: RateLimits) -> None:
        self.limits = limits
        # Evenly spaced, no saved-up burst: any one-second window then holds at most `rate` sends.
        self.global_bucket = TokenBucket(limits.global_rate, 1.0)
        self.chats: dict[str, TokenBucket] = {}

    def _chat(self, chat_id: str) -> TokenBucket:
        bucket = self.chats.get(chat_id)
        if bucket is None:
            bucket = TokenBucket(self.limits.per_chat_rate, self.limits.per_chat_burst)
            self.chats[chat_id] = bucket
        return bucket

    async def acquire(self, chat_id: str) -> None:
        """Wait until one more message may go to this chat.

        The chat's token is taken last, right before the send, so that the spacing the platform
        sees between two messages to one chat is the spacing we measured.
        """
        global_wait = self.global_bucket.take(time.monotonic())
        if global_wait > 0:
            await asyncio.sleep(global_wait)
        chat_wait = self._chat(chat_id).take(time.monotonic())
        if chat_wait > 0:
            await asyncio.sleep(chat_wait)

    def hold(self, chat_id: str, seconds: float) -> None:
        """After a 429: this chat, and the channel as a whole, wait."""
        now = time.monotonic()
        self._chat(chat_id).hold(seconds, now)
        self.global_bucket.hold(seconds, now)


class OutboxSender:
    """Sends due outbox rows through the channel's messenger."""

    def __init__(
        self,
        db: Database,
        messengers: Mapping[str, Messenger],
        limits: Mapping[str, RateLimits],
        clock: Callable[[], datetime],
    ) -> None:
        self.db = db
        self.messengers = dict(messengers)
        self.limiters = {
            channel: RateLimiter(limits.get(channel, RateLimits())) for channel in messengers
        }
        self.clock = clock
        self._wake = asyncio.Event()
        self._busy: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._stopping = False
        self._cycle_lock = asyncio.Lock()

    def wake(self) -> None:
        """New messages were committed."""
        self._wake.set()

    async def run(self) -> None:
        """Send until stopped."""
        while not self._stopping:
            self._wake.clear()
            try:
                started = await self.send_due()
            except Exception:
                log.exception("outbox cycle failed; retrying")
                started = 0
            if not started:
                with contextlib.suppress(TimeoutError):
                    await asyncio.wait_for(self._wake.wait(), IDLE_POLL_SECONDS)

    async def stop(self) -> None:
        """Let in-flight sends finish; unsent rows wait for the next start."""
        self._stopping = True
        self._wake.set()
        await asyncio.gather(*self._busy.values(), return_exceptions=True)

    async def flush(self) -> None:
        """Send everything that is due now and wait for it (tests, shutdown)."""
        while True:
            await asyncio.gather(*self._busy.values(), return_exceptions=True)
            if not await self.send_due() and not self._busy:
                return

    async def send_due(self) -> int:
        """Start sending every chat's due messages; return how many chats were started."""
        async with self._cycle_lock:
            return await self._start_due_chats()

    async def _start_due_chats(self) -> int:
        async with self.db.transaction() as session:
            rows = await queues.due_messages(session, self.clock(), BATCH, set(self._busy))
        by_chat: dict[tuple[str, str], list[OutboxMessage]] = {}
        for row in rows:
            if row.channel in self.messengers:
                by_chat.setdefault((row.channel, row.chat_id), []).append(row)
        for key, chat_rows in by_chat.items():
            task = asyncio.create_task(self._send_chat(key, chat_rows))
            self._busy[key] = task
            task.add_done_callback(lambda _t, key=key: self._chat_done(key))
        return len(by_chat)

    def _chat_done(self, key: tuple[str, str]) -> None:
        self._busy.pop(key, None)
        self._wake.set()

    async def _send_chat(self, key: tuple[str, str], rows: list[OutboxMessage]) -> None:
        """Send one chat's messages in order; stop at the first one that must wait."""
        channel, chat_id = key
        messenger, limiter = self.messengers[channel], self.limiters[channel]
        for row in rows:
            await limiter.acquire(chat_id)
            try:
                result = await messenger.send(chat_id, Reply.from_json(row.payload))
            except RetryLater as wait:
                limiter.hold(chat_id, wait.seconds)
                await self._record(queues.postpone, row.id, self._after(wait.seconds), str(wait))
                return
            except Undeliverable as refused:
                log.warning("message to a %s chat undeliverable: %s", channel, refused)
                await self._record(queues.give_up, row.id, self.clock(), str(refused))
                continue
            except Exception as error:  # network trouble, platform hiccup: back off and retry
                backoff = min(MAX_BACKOFF_SECONDS, 2.0 ** min(row.attempts, 8))
                log.warning(
                    "send to a %s chat failed (%s); retry in %.0fs", channel, error, backoff
                )
                await self._record(queues.postpone, row.id, self._after(backoff), repr(error))
                return
            await self._record(queues.mark_sent, row.id, self.clock(), result.message_id)

    def _after(self, seconds: float) -> datetime:
        return self.clock() + timedelta(seconds=seconds)

    async def _record(self, change: Callable[..., object], *args: object) -> None:
        async with self.db.transaction() as session:
            await change(session, *args)  # type: ignore[misc]
