"""The inbox (updates acknowledged, to handle once), conversations, and the outbox (to send)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Incoming, Recipient, Reply
from storage import models as m


def _insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that can skip conflicting rows on both backends."""
    dialect = session.bind.dialect.name if session.bind else "sqlite"
    return (postgresql.insert if dialect == "postgresql" else sqlite.insert)(table)


async def store_updates(
    session: AsyncSession, updates: Sequence[Incoming], now: datetime
) -> list[Incoming]:
    """Keep acknowledged updates; return those not seen before (a redelivery is dropped here)."""
    fresh = []
    for incoming in updates:
        statement = (
            _insert(session, m.InboxUpdate)
            .values(
                channel=incoming.channel,
                update_key=incoming.update_key,
                chat_id=incoming.chat_id,
                payload=incoming.to_json(),
                received_at=now,
            )
            .on_conflict_do_nothing(index_elements=["channel", "update_key"])
        )
        result = await session.execute(statement)
        if result.rowcount:
            fresh.append(incoming)
    return fresh


async def chats_with_pending_updates(session: AsyncSession) -> list[tuple[str, str]]:
    """Chats whose acknowledged updates are not all handled yet (after a restart)."""
    rows = await session.execute(
        select(m.InboxUpdate.channel, m.InboxUpdate.chat_id)
        .where(m.InboxUpdate.processed_at.is_(None))
        .group_by(m.InboxUpdate.channel, m.InboxUpdate.chat_id)
    )
    return [(channel, chat_id) for channel, chat_id in rows.all()]


async def next_pending_update(
    session: AsyncSession, channel: str, chat_id: str
) -> tuple[int, Incoming] | None:
    """The oldest unhandled update of a chat."""
    row = await session.scalar(
        select(m.InboxUpdate)
        .where(
            m.InboxUpdate.processed_at.is_(None),
            m.InboxUpdate.channel == channel,
            m.InboxUpdate.chat_id == chat_id,
        )
        .order_by(m.InboxUpdate.id)
        .limit(1)
    )
    return (row.id, Incoming.from_json(row.payload)) if row else None


async def mark_handled(
    session: AsyncSession, inbox_id: int, now: datetime, error: str | None = None
) -> None:
    """This update is done (with the error text when its handler failed)."""
    await session.execute(
        update(m.InboxUpdate)
        .where(m.InboxUpdate.id == inbox_id)
        .values(processed_at=now, error=error)
    )


async def load_conversation(session: AsyncSession, channel: str, chat_id: str) -> m.Conversation:
    """The chat's conversation row, created on first contact."""
    row = await session.get(m.Conversation, (channel, chat_id))
    if row is None:
        row = m.Conversation(channel=channel, chat_id=chat_id, state="", step=0, data={})
    return row


async def enqueue(
    session: AsyncSession, messages: Iterable[tuple[Recipient, Reply]], now: datetime
) -> int:
    """Queue messages for the outbox, in order, in the caller's transaction."""
    rows = [
        m.OutboxMessage(
            channel=recipient.channel,
            chat_id=recipient.chat_id,
            payload=reply.to_json(),
            created_at=now,
            not_before=now,
        )
        for recipient, reply in messages
    ]
    session.add_all(rows)
    return len(rows)


async def due_messages(
    session: AsyncSession, now: datetime, limit: int, busy: set[tuple[str, str]]
) -> list[m.OutboxMessage]:
    """Unsent messages whose time has come, oldest first, skipping chats being served.

    A chat whose oldest unsent message must still wait holds back its later messages too, so
    that a chat never receives its messages out of order.
    """
    pending = and_(m.OutboxMessage.sent_at.is_(None), m.OutboxMessage.failed_at.is_(None))
    heads = (
        select(
            m.OutboxMessage.channel,
            m.OutboxMessage.chat_id,
            func.min(m.OutboxMessage.id).label("head"),
        )
        .where(pending)
        .group_by(m.OutboxMessage.channel, m.OutboxMessage.chat_id)
        .subquery()
    )
    head_row = m.OutboxMessage.__table__.alias("head_row")
    rows = await session.scalars(
        select(m.OutboxMessage)
        .join(
            heads,
            and_(
                heads.c.channel == m.OutboxMessage.channel,
                heads.c.chat_id == m.OutboxMessage.chat_id,
            ),
        )
        .join(head_row, head_row.c.id == heads.c.head)
        .where(pending, head_row.c.not_before <= now)
        .order_by(m.OutboxMessage.id)
        .limit(limit)
    )
    return [row for row in rows if (row.channel, row.chat_id) not in busy]


async def mark_sent(
    session: AsyncSession, message_id: int, now: datetime, platform_id: str | None
) -> None:
    """The platform accepted the message."""
    await session.execute(
        update(m.OutboxMessage)
        .where(m.OutboxMessage.id == message_id)
        .values(sent_at=now, platform_message_id=platform_id, attempts=m.OutboxMessage.attempts + 1)
    )


async def postpone(session: AsyncSession, message_id: int, until: datetime, error: str) -> None:
    """Try again later (429 retry_after or a transient failure)."""
    await session.execute(
        update(m.OutboxMessage)
        .where(m.OutboxMessage.id == message_id)
        .values(not_before=until, last_error=error[:500], attempts=m.OutboxMessage.attempts + 1)
    )


async def give_up(session: AsyncSession, message_id: int, now: datetime, error: str) -> None:
    """The platform refused for good (blocked, chat gone)."""
    await session.execute(
        update(m.OutboxMessage)
        .where(m.OutboxMessage.id == message_id)
        .values(failed_at=now, last_error=error[:500], attempts=m.OutboxMessage.attempts + 1)
    )
