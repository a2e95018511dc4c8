"""The inbox (updates acknowledged, to handle once), conversations, and the outbox (to send)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, and_, bindparam, func, insert, select, tuple_, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Incoming, Recipient, Reply
from storage import models as m

INBOX = cast(Table, m.InboxUpdate.__table__)
OUTBOX = cast(Table, m.OutboxMessage.__table__)
CONVERSATIONS = cast(Table, m.Conversation.__table__)


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
    connection = await session.connection()
    fresh = []
    for incoming in updates:
        statement = (
            _insert(session, INBOX)
            .values(
                channel=incoming.channel,
                update_key=incoming.update_key,
                chat_id=incoming.chat_id,
                payload=incoming.to_json(),
                received_at=now,
            )
            .on_conflict_do_nothing(index_elements=["channel", "update_key"])
            .returning(INBOX.c.id)
        )
        inbox_id = (await connection.execute(statement)).scalar_one_or_none()
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
        connection = await session.connection()
        await connection.execute(
            update(INBOX)
            .where(INBOX.c.id == bindparam("inbox_id"))
            .values(processed_at=now, error=bindparam("failure")),
            [{"inbox_id": inbox_id, "failure": error} for inbox_id, error in handled],
        )


@dataclass
class ConversationRow:
    """A chat's conversation as stored: read and written with plain SQL on the hot path."""

    channel: str
    chat_id: str
    state: str = ""
    step: int = 0
    data: dict[str, Any] = field(default_factory=dict)
    locale: str | None = None
    stored: bool = False


async def load_conversations(
    session: AsyncSession, chats: Sequence[tuple[str, str]]
) -> dict[tuple[str, str], ConversationRow]:
    """The conversations of these chats; a chat seen the first time gets a fresh one."""
    connection = await session.connection()
    rows = await connection.execute(
        select(
            CONVERSATIONS.c.channel,
            CONVERSATIONS.c.chat_id,
            CONVERSATIONS.c.state,
            CONVERSATIONS.c.step,
            CONVERSATIONS.c.data,
            CONVERSATIONS.c.locale,
        ).where(tuple_(CONVERSATIONS.c.channel, CONVERSATIONS.c.chat_id).in_(list(chats)))
    )
    found = {
        (channel, chat_id): ConversationRow(channel, chat_id, state, step, data or {}, locale, True)
        for channel, chat_id, state, step, data, locale in rows
    }
    for channel, chat_id in chats:
        found.setdefault((channel, chat_id), ConversationRow(channel, chat_id))
    return found


async def save_conversations(
    session: AsyncSession, rows: Iterable[ConversationRow], now: datetime
) -> None:
    """Write conversations back: one statement for the known chats, one for the new."""
    connection = await session.connection()
    known: list[dict[str, Any]] = []
    new: list[dict[str, Any]] = []
    for row in rows:
        values = {
            "key_channel": row.channel,
            "key_chat": row.chat_id,
            "state": row.state,
            "step": row.step,
            "data": row.data,
            "locale": row.locale,
        }
        (known if row.stored else new).append(values)
    if known:
        await connection.execute(
            update(CONVERSATIONS)
            .where(
                CONVERSATIONS.c.channel == bindparam("key_channel"),
                CONVERSATIONS.c.chat_id == bindparam("key_chat"),
            )
            .values(updated_at=now),
            known,
        )
    if new:
        await connection.execute(
            insert(CONVERSATIONS).values(
                channel=bindparam("key_channel"), chat_id=bindparam("key_chat"), updated_at=now
            ),
            new,
        )


async def enqueue(
    session: AsyncSession, messages: Sequence[tuple[Recipient, Reply]], now: datetime
) -> list[tuple[int, Recipient, Reply]]:
    """Queue messages for the outbox, in order, in the caller's transaction; return their ids."""
    if not messages:
        return []
    connection = await session.connection()
    result = await connection.execute(
        insert(OUTBOX).returning(OUTBOX.c.id, sort_by_parameter_order=True),
        [
            {
                "channel": recipient.channel,
                "chat_id": recipient.chat_id,
                "payload": reply.to_json(),
                "created_at": now,
                "not_before": now,
                "attempts": 0,
            }
            for recipient, reply in messages
        ],
    )
    ids = [row[0] for row in result]
    return [
        (message_id, recipient, reply)
        for message_id, (recipient, reply) in zip(ids, messages, strict=True)
    ]


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
    if sent:
        connection = await session.connection()
        await connection.execute(
            update(OUTBOX)
            .where(OUTBOX.c.id == bindparam("message_id"))
            .values(sent_at=now, platform_message_id=bindparam("platform_id")),
            [{"message_id": message_id, "platform_id": platform} for message_id, platform in sent],
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


JOBS = cast(Table, m.Job.__table__)


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds for a while (its lease)."""

    id: int
    kind: str
    payload: dict[str, Any]
    petition_id: int | None


async def claim_jobs(
    session: AsyncSession, now: datetime, worker: str, lease_expired_before: datetime, limit: int
) -> list[ClaimedJob]:
    """Take due jobs nobody holds (or whose holder's lease ran out), oldest first."""
    connection = await session.connection()
    due = (
        select(JOBS.c.id)
        .where(
            JOBS.c.done_at.is_(None),
            JOBS.c.due_at <= now,
            (JOBS.c.claimed_at.is_(None)) | (JOBS.c.claimed_at < lease_expired_before),
        )
        .order_by(JOBS.c.due_at, JOBS.c.id)
        .limit(limit)
        .scalar_subquery()
    )
    rows = await connection.execute(
        update(JOBS)
        .where(JOBS.c.id.in_(due))
        .values(claimed_at=now, claimed_by=worker, attempts=JOBS.c.attempts + 1)
        .returning(JOBS.c.id, JOBS.c.kind, JOBS.c.payload, JOBS.c.petition_id)
    )
    return sorted((ClaimedJob(*row) for row in rows), key=lambda job: job.id)


async def finish_job(session: AsyncSession, job_id: int, worker: str, now: datetime) -> bool:
    """Mark a job done if this worker still holds it; False when someone else took it over."""
    connection = await session.connection()
    result = await connection.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.claimed_by == worker, JOBS.c.done_at.is_(None))
        .values(done_at=now)
    )
    return bool(result.rowcount)


async def schedule_job(
    session: AsyncSession,
    kind: str,
    due_at: datetime,
    payload: dict[str, Any],
    petition_id: int | None,
) -> None:
    """Add a job to run at `due_at`."""
    connection = await session.connection()
    await connection.execute(
        insert(JOBS).values(
            kind=kind, due_at=due_at, payload=payload, petition_id=petition_id, attempts=0
        )
    )


async def replies_since_prompt(
    session: AsyncSession, channel: str, chat_id: str, limit: int
) -> list[Reply]:
    """The replies sent to a chat since (and with) the last one that answered the person,
    oldest first: the notices after it did not replace what the person was answering."""
    payloads = await session.scalars(
        select(m.OutboxMessage.payload)
        .where(
            m.OutboxMessage.channel == channel,
            m.OutboxMessage.chat_id == chat_id,
            m.OutboxMessage.sent_at.is_not(None),
        )
        .order_by(m.OutboxMessage.id.desc())
        .limit(limit)
    )
    recent: list[Reply] = []
    for payload in payloads:
        recent.append(Reply.from_json(payload))
        if not recent[-1].unprompted:
            break
    return recent[::-1]


async def is_answering(session: AsyncSession, channel: str, chat_id: str) -> bool:
    """The person is half way through a question (not at a menu)."""
    state = await session.scalar(
        select(m.Conversation.state).where(
            m.Conversation.channel == channel, m.Conversation.chat_id == chat_id
        )
    )
    return bool(state)
