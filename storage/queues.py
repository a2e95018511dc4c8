"""The inbox (updates acknowledged, to handle once), conversations, and the outbox (to send)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import and_, func, select, tuple_, update
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
) -> list[tuple[int, Incoming]]:
    """Keep acknowledged updates; return the new ones with their inbox ids.

    A redelivered update (same channel and key) is dropped here.
    """
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
            .returning(m.InboxUpdate.id)
        )
        inbox_id = (await session.execute(statement)).scalar_one_or_none()
        if inbox_id is not None:
            fresh.append((inbox_id, incoming))
    return fresh


async def pending_updates(session: AsyncSession) -> list[tuple[int, Incoming]]:
    """Updates acknowledged but not handled yet (after a restart), oldest first."""
    rows = await session.scalars(
        select(m.InboxUpdate).where(m.InboxUpdate.processed_at.is_(None)).order_by(m.InboxUpdate.id)
    )
    return [(row.id, Incoming.from_json(row.payload)) for row in rows]


async def mark_handled(
    session: AsyncSession, handled: Sequence[tuple[int, str | None]], now: datetime
) -> None:
    """These updates are done (with the error text where the handler failed)."""
    if handled:
        await session.execute(
            update(m.InboxUpdate),
            [{"id": inbox_id, "processed_at": now, "error": error} for inbox_id, error in handled],
        )


async def load_conversations(
    session: AsyncSession, chats: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], m.Conversation]:
    """The conversation rows of these chats, new ones made for chats seen the first time."""
    found = {
        (row.channel, row.chat_id): row
        for row in await session.scalars(
            select(m.Conversation).where(
                tuple_(m.Conversation.channel, m.Conversation.chat_id).in_(list(chats))
            )
        )
    }
    for channel, chat_id in chats:
        if (channel, chat_id) not in found:
            found[(channel, chat_id)] = m.Conversation(
                channel=channel, chat_id=chat_id, state="", step=0, data={}
            )
    return found


async def enqueue(
    session: AsyncSession, messages: Iterable[tuple[Recipient, Reply]], now: datetime
) -> list[m.OutboxMessage]:
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
    await session.flush()
    return rows


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
    session: AsyncSession, sent: Sequence[tuple[int, str | None]], now: datetime
) -> None:
    """The platform accepted these messages (outbox id, platform message id)."""
    await session.execute(
        update(m.OutboxMessage),
        [
            {"id": message_id, "sent_at": now, "platform_message_id": platform_id}
            for message_id, platform_id in sent
        ],
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
