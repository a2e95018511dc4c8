"""Forgetting what the bot no longer needs (LEGAL §7: collect and keep only what the duty needs).

The petition file itself (the citizen, the petition, its events, deadlines and attachments) is a
record, kept as long as records are. Two other things hold the same personal data and are not:

* copies of messages: every update as it arrived (the inbox) and every message as it was sent
  (the outbox), names, phones and stories included. They exist to handle each update once and to
  send each message once; after `messages_days` they are deleted.
* unsent drafts: a chat's conversation state holds what a person typed into a petition they
  never sent (or an officer into an answer). After `drafts_days` without a word it is cleared.

Deletes go in batches, each its own short transaction, walking the primary key, so that SQLite's
one writer is never held for long and no full scan runs inside a write. A batch is sized to take
about `TARGET_SECONDS`: a large database on a slow disk gets smaller ones.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import Text, cast, delete, select, tuple_, update
from sqlalchemy.orm import InstrumentedAttribute
from sqlalchemy.sql.elements import ColumnElement

from storage import models as m
from storage.db import Database

TARGET_SECONDS = 0.05  # how long a batch may hold the writer, about: a chat's turn waits that
FIRST_BATCH, MIN_BATCH, MAX_BATCH = 500, 100, 5000


class Pace:
    """Batch sizes that keep each transaction near `TARGET_SECONDS`."""

    def __init__(self) -> None:
        self.size = FIRST_BATCH
        self._started = 0.0

    def start(self) -> int:
        self._started = time.perf_counter()
        return self.size

    def took(self) -> None:
        """After the batch's commit: halve when too slow, double when well under."""
        elapsed = time.perf_counter() - self._started
        if elapsed > TARGET_SECONDS:
            self.size = max(MIN_BATCH, self.size // 2)
        elif elapsed < TARGET_SECONDS / 3:
            self.size = min(MAX_BATCH, self.size * 2)


@dataclass(frozen=True)
class Forgotten:
    """How many of each were deleted or cleared."""

    updates: int = 0
    messages: int = 0
    drafts: int = 0


async def forget(
    db: Database,
    messages_before: datetime,
    drafts_before: datetime,
    stopping: Callable[[], bool] = lambda: False,
) -> Forgotten:
    """Delete handled updates and finished messages from before `messages_before`, and clear the
    drafts of conversations idle since before `drafts_before`."""
    inbox, outbox = m.InboxUpdate, m.OutboxMessage
    updates = await _delete_old(
        db, inbox, inbox.received_at, inbox.processed_at.is_not(None), messages_before, stopping
    )
    finished = outbox.sent_at.is_not(None) | outbox.failed_at.is_not(None)
    messages = await _delete_old(db, outbox, outbox.created_at, finished, messages_before, stopping)
    drafts = await _clear_drafts(db, drafts_before, stopping)
    return Forgotten(updates, messages, drafts)


async def _delete_old(
    db: Database,
    table: type[m.InboxUpdate] | type[m.OutboxMessage],
    stamp: InstrumentedAttribute[datetime],
    finished: ColumnElement[bool],
    before: datetime,
    stopping: Callable[[], bool],
) -> int:
    """Walk the table in id order (ids grow with time) and delete its old, finished rows, a batch
    at a time; stop at the first batch that reaches rows too young. An old row not finished (a
    message still being retried) is stepped over and kept."""
    deleted, after, pace = 0, 0, Pace()
    while not stopping():
        size = pace.start()
        async with db.transaction() as session:
            rows = (
                await session.execute(
                    select(table.id, stamp < before, finished)
                    .where(table.id > after)
                    .order_by(table.id)
                    .limit(size)
                )
            ).all()
            old = [row_id for row_id, is_old, is_finished in rows if is_old and is_finished]
            if old:
                await session.execute(delete(table).where(table.id.in_(old)))
        pace.took()
        deleted += len(old)
        if not rows or not rows[-1][1]:
            break
        after = rows[-1][0]
    return deleted


async def _clear_drafts(db: Database, before: datetime, stopping: Callable[[], bool]) -> int:
    """Reset conversations left half way since before `before`: no state, no data, and a new
    step, so that their old buttons are recognised as old. The chat's language stays."""
    conversation = m.Conversation
    left_half_way = (conversation.updated_at < before) & (
        (conversation.state != "") | (cast(conversation.data, Text) != "{}")
    )
    async with db.snapshot() as session:  # the scan blocks no writer
        keys = (
            await session.execute(
                select(conversation.channel, conversation.chat_id).where(left_half_way)
            )
        ).all()
    cleared, start, pace = 0, 0, Pace()
    while start < len(keys) and not stopping():
        size = pace.start()
        batch = [tuple(key) for key in keys[start : start + size]]
        start += size
        async with db.transaction() as session:
            result = await session.execute(
                update(conversation)
                .where(
                    tuple_(conversation.channel, conversation.chat_id).in_(batch),
                    left_half_way,  # unless the person came back meanwhile
                )
                .values(state="", data={}, step=conversation.step + 1)
            )
            cleared += result.rowcount  # type: ignore[attr-defined]
        pace.took()
    return cleared
