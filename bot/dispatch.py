"""The dispatcher: store every acknowledged update, then handle each once, in order, per chat.

Adapters call `accept` before they acknowledge an update to the platform, so an update the
platform considers delivered is always in the inbox table. Each chat's updates are handled one at
a time (concurrently across chats); a handler's new state, its events and its outgoing messages
are committed in one transaction together with the "handled" mark. A crash therefore either
loses nothing (the update is handled again after restart) or has done everything.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime

from sqlalchemy.ext.asyncio import AsyncSession

from bot.conversation import Context, Conversation, Environment
from bot.core import Incoming, Recipient, Reply
from storage import queues
from storage.db import Database
from storage.repository import SqlStore

log = logging.getLogger(__name__)

HandlerFn = Callable[[Context], Awaitable[None]]
Clock = Callable[[], datetime]


class Dispatcher:
    """Turns stored updates into handled conversations, one chat at a time."""

    def __init__(
        self,
        db: Database,
        env: Environment,
        handler: HandlerFn,
        clock: Clock,
        on_outbox: Callable[[], None] = lambda: None,
    ) -> None:
        self.db = db
        self.env = env
        self.handler = handler
        self.clock = clock
        self.on_outbox = on_outbox
        self._chats: dict[tuple[str, str], asyncio.Task[None]] = {}
        self._idle = asyncio.Event()
        self._idle.set()

    async def accept(self, updates: Sequence[Incoming]) -> list[Incoming]:
        """Store updates durably (dropping redeliveries) and start handling them."""
        if not updates:
            return []
        async with self.db.transaction() as session:
            fresh = await queues.store_updates(session, updates, self.clock())
        for incoming in fresh:
            self._wake_chat(incoming.channel, incoming.chat_id)
        return fresh

    async def recover(self) -> int:
        """After a restart, resume every chat with updates acknowledged but not yet handled."""
        async with self.db.transaction() as session:
            chats = await queues.chats_with_pending_updates(session)
        for channel, chat_id in chats:
            self._wake_chat(channel, chat_id)
        return len(chats)

    async def wait_idle(self, timeout: float = 10.0) -> None:
        """Wait until every stored update is handled (tests and graceful shutdown)."""
        await asyncio.wait_for(self._idle.wait(), timeout)

    async def close(self) -> None:
        """Finish what is in hand; anything left stays in the inbox for the next start."""
        with contextlib.suppress(TimeoutError):
            await self.wait_idle(timeout=5)
        for task in list(self._chats.values()):
            task.cancel()
        await asyncio.gather(*self._chats.values(), return_exceptions=True)

    def _wake_chat(self, channel: str, chat_id: str) -> None:
        key = (channel, chat_id)
        if key in self._chats:
            return
        self._idle.clear()
        task = asyncio.create_task(
            self._drain_chat(channel, chat_id), name=f"chat:{channel}:{chat_id}"
        )
        self._chats[key] = task
        task.add_done_callback(lambda _task: self._chat_done(key))

    def _chat_done(self, key: tuple[str, str]) -> None:
        self._chats.pop(key, None)
        if not self._chats:
            self._idle.set()

    async def _drain_chat(self, channel: str, chat_id: str) -> None:
        """Handle a chat's pending updates in the order they arrived."""
        while True:
            try:
                handled = await self._handle_next(channel, chat_id)
            except Exception:
                log.exception(
                    "could not handle an update of %s chat; will retry on restart", channel
                )
                return
            if not handled:
                return

    async def _handle_next(self, channel: str, chat_id: str) -> bool:
        async with self.db.transaction() as session:
            pending = await queues.next_pending_update(session, channel, chat_id)
            if pending is None:
                return False
            inbox_id, incoming = pending
            now = self.clock()
            row = await queues.load_conversation(session, channel, chat_id)
            conv = Conversation(row.state, row.step, copy.deepcopy(row.data or {}), row.locale)
            ctx = Context(incoming, conv, SqlStore(session), self.env, now)
            try:
                async with session.begin_nested():
                    await self.handler(ctx)
            except Exception:
                log.exception("handler failed on a %s update in state %r", incoming.kind, row.state)
                await self._apologise(session, incoming, conv, inbox_id, now)
            else:
                row.state, row.step, row.data, row.locale = (
                    conv.state,
                    conv.step,
                    conv.data,
                    conv.locale,
                )
                row.updated_at = now
                session.add(row)
                here = Recipient(channel, chat_id)
                messages = [(here, reply) for reply in ctx.replies]
                messages += [(out.recipient, out.reply) for out in ctx.outgoing]
                await queues.enqueue(session, messages, now)
                await queues.mark_handled(session, inbox_id, now)
        self.on_outbox()
        return True

    async def _apologise(
        self,
        session: AsyncSession,
        incoming: Incoming,
        conv: Conversation,
        inbox_id: int,
        now: datetime,
    ) -> None:
        """A handler bug must not loop or go silent: mark the update and say sorry politely."""
        t = self.env.catalogues.get(conv.locale)
        row = await queues.load_conversation(session, incoming.channel, incoming.chat_id)
        row.updated_at = now
        session.add(row)
        apology = Reply(t("error.internal"))
        await queues.enqueue(
            session, [(Recipient(incoming.channel, incoming.chat_id), apology)], now
        )
        await queues.mark_handled(session, inbox_id, now, error="handler failed")
