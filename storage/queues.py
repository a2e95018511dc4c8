"""The inbox (updates acknowledged, to handle once), conversations, and the outbox (to send)."""

from __future__ import annotations

import hashlib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any, cast

from sqlalchemy import (
    Table,
    and_,
    bindparam,
    case,
    func,
    insert,
    select,
    text,
    tuple_,
    update,
)
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import UNDELIVERED_NOTICE_JOB, Incoming, Recipient, Reply
from storage import models as m
from storage.db import WORKER
from storage.notify import notify_workers

INBOX = cast(Table, m.InboxUpdate.__table__)
OUTBOX = cast(Table, m.OutboxMessage.__table__)
CONVERSATIONS = cast(Table, m.Conversation.__table__)


CLAIM = timedelta(seconds=120)  # how long a worker's claim on an outbox message holds unrenewed


def worker_of(session: AsyncSession) -> str:
    """The worker this session works for (see `storage.db.Database`)."""
    return str(session.info.get(WORKER, "main"))


def _insert(session: AsyncSession, table: Any) -> Any:
    """An INSERT that can skip conflicting rows on both backends."""
    return (postgresql.insert if _dialect(session) == "postgresql" else sqlite.insert)(table)


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


async def pending_updates(
    session: AsyncSession, received_before: datetime | None = None
) -> list[tuple[int, Incoming]]:
    """Updates acknowledged but not handled yet (after a restart, or left by a worker that
    died), oldest first."""
    query = select(m.InboxUpdate).where(m.InboxUpdate.processed_at.is_(None))
    if received_before is not None:
        query = query.where(m.InboxUpdate.received_at < received_before)
    rows = await session.scalars(query.order_by(m.InboxUpdate.id))
    return [(row.id, Incoming.from_json(row.payload)) for row in rows]


async def claim_chats(
    session: AsyncSession, batch: Sequence[tuple[int, Incoming]]
) -> list[tuple[int, Incoming]]:
    """The updates to handle now: one per chat of `batch`, the oldest unhandled.

    Several workers on PostgreSQL share one inbox: each chat is held for this transaction by an
    advisory lock (taken in one order, so two workers do not deadlock), and its oldest unhandled
    update is taken whoever stored it; a chat another worker has meanwhile caught up drops out.
    On SQLite one process is the only writer and its own queue is already right.
    """
    if _dialect(session) != "postgresql" or not batch:
        return list(batch)
    chats = sorted({(incoming.channel, incoming.chat_id) for _, incoming in batch})
    connection = await session.connection()
    await connection.execute(
        text(
            "SELECT pg_advisory_xact_lock(key) FROM "
            "(SELECT key FROM unnest(CAST(:keys AS bigint[])) AS key ORDER BY key) AS held"
        ),
        {"keys": sorted({chat_lock_key(chat) for chat in chats})},
    )
    oldest = (
        select(func.min(INBOX.c.id).label("id"))
        .where(INBOX.c.processed_at.is_(None), tuple_(INBOX.c.channel, INBOX.c.chat_id).in_(chats))
        .group_by(INBOX.c.channel, INBOX.c.chat_id)
        .subquery()
    )
    rows = await connection.execute(
        select(INBOX.c.id, INBOX.c.payload)
        .join(oldest, oldest.c.id == INBOX.c.id)
        .order_by(INBOX.c.id)
    )
    return [(inbox_id, Incoming.from_json(payload)) for inbox_id, payload in rows]


def chat_lock_key(chat: tuple[str, str]) -> int:
    """A chat's advisory lock number: 64 bits of a hash of its channel and id."""
    digest = hashlib.blake2b("\x1f".join(chat).encode(), digest_size=8).digest()
    return int.from_bytes(digest, "big", signed=True)


def _dialect(session: AsyncSession) -> str:
    return session.bind.dialect.name if session.bind else "sqlite"


def _unsent(columns: Any) -> Any:
    """Neither sent nor given up: the outbox's pending rows (its partial index)."""
    return and_(columns.sent_at.is_(None), columns.failed_at.is_(None))


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
    pace: float = 0.0  # how fast the chat writes (bot.pace): the level at its last update
    paced_at: datetime | None = None


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
            CONVERSATIONS.c.pace,
            CONVERSATIONS.c.paced_at,
        ).where(tuple_(CONVERSATIONS.c.channel, CONVERSATIONS.c.chat_id).in_(list(chats)))
    )
    found = {
        (channel, chat_id): ConversationRow(
            channel, chat_id, state, step, data or {}, locale, True, pace, paced_at
        )
        for channel, chat_id, state, step, data, locale, pace, paced_at in rows
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
            "pace": row.pace,
            "paced_at": row.paced_at,
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
    """Queue messages for the outbox, in order, in the caller's transaction; return those this
    worker sends itself (their ids).

    A worker sends what it queues. But a chat whose earlier messages another worker is still
    sending gets its new ones through that worker too, so that they arrive in order; that worker
    finds them at its next sweep.
    """
    if not messages:
        return []
    me = worker_of(session)
    holders = await _live_holders(session, {(r.channel, r.chat_id) for r, _ in messages}, now)
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
                "claimed_by": holders.get((recipient.channel, recipient.chat_id), me),
                "claimed_until": now + CLAIM,
            }
            for recipient, reply in messages
        ],
    )
    if holders:
        await notify_workers(session, set(holders.values()))
    ids = [row[0] for row in result]
    return [
        (message_id, recipient, reply)
        for message_id, (recipient, reply) in zip(ids, messages, strict=True)
        if (recipient.channel, recipient.chat_id) not in holders
    ]


async def _live_holders(
    session: AsyncSession, chats: set[tuple[str, str]], now: datetime
) -> dict[tuple[str, str], str]:
    """Chats with unsent messages that another worker holds a live claim on, and that worker.

    Only PostgreSQL has other workers; SQLite's one process skips the query.
    """
    if _dialect(session) != "postgresql":
        return {}
    rows = await session.execute(
        select(OUTBOX.c.channel, OUTBOX.c.chat_id, func.min(OUTBOX.c.claimed_by))
        .where(
            tuple_(OUTBOX.c.channel, OUTBOX.c.chat_id).in_(sorted(chats)),
            _unsent(OUTBOX.c),
            OUTBOX.c.claimed_by != worker_of(session),
            OUTBOX.c.claimed_until >= now,
        )
        .group_by(OUTBOX.c.channel, OUTBOX.c.chat_id)
    )
    return {(channel, chat_id): holder for channel, chat_id, holder in rows}


SUPERSEDED = "superseded: a later reply to the same flood replaced it"


async def withhold(
    session: AsyncSession, held: Sequence[tuple[Recipient, Reply]], until: datetime, now: datetime
) -> None:
    """Hold replies to a chat that writes faster than a person (bot.pace) until `until`; the
    replies held for it before are superseded, so that only the answer to its latest message
    goes out, once it has been quiet for a moment. Any worker may send them then."""
    await supersede_withheld(session, {recipient for recipient, _ in held}, now)
    if held:
        connection = await session.connection()
        await connection.execute(
            insert(OUTBOX),
            [
                {
                    "channel": recipient.channel,
                    "chat_id": recipient.chat_id,
                    "payload": reply.to_json(),
                    "created_at": now,
                    "not_before": until,
                    "attempts": 0,
                    "withheld": True,
                }
                for recipient, reply in held
            ],
        )


async def supersede_withheld(
    session: AsyncSession, chats: Iterable[Recipient], now: datetime
) -> None:
    """The replies held for these chats are no longer the latest: they are not sent."""
    keys = sorted({(chat.channel, chat.chat_id) for chat in chats})
    if keys:
        await session.execute(
            update(OUTBOX)
            .where(
                tuple_(OUTBOX.c.channel, OUTBOX.c.chat_id).in_(keys),
                OUTBOX.c.withheld,
                _unsent(OUTBOX.c),
            )
            .values(failed_at=now, last_error=SUPERSEDED)
        )


PER_CHAT = 20  # the most rows one sweep takes from one chat (see `due_messages`)


async def due_messages(
    session: AsyncSession, now: datetime, limit: int, busy: set[tuple[str, str]]
) -> list[m.OutboxMessage]:
    """Claim unsent messages whose time has come, fairly across chats; skip chats being served.

    Fair: the sweep takes the next due message of as many chats as it can (every chat's first,
    then every chat's second, ..., at most `PER_CHAT` of one chat), oldest first within each
    round. A chat with a long backlog (after a restart, or a chat being retried) then never
    fills a sweep and keeps other chats waiting: at 1 message/s per chat it is the slowest
    chat to serve, and a fresh reply to another chat goes out beside it, not after it.

    A chat whose oldest unsent message must still wait holds back its later messages too, so
    that a chat never receives its messages out of order. With several workers, a chat another
    worker holds a live claim in is left to it, and the rows are taken with FOR UPDATE SKIP
    LOCKED so that two workers never claim the same row.
    """
    me = worker_of(session)
    outbox = m.OutboxMessage
    chat = (outbox.channel, outbox.chat_id)
    ranked = (
        select(
            outbox.id,
            outbox.channel,
            outbox.chat_id,
            func.row_number().over(partition_by=chat, order_by=outbox.id).label("place"),
            func.first_value(outbox.not_before)
            .over(partition_by=chat, order_by=outbox.id)
            .label("head_not_before"),
        )
        .where(_unsent(outbox))
        .subquery()
    )
    other = OUTBOX.alias("other")
    held_elsewhere = (
        select(other.c.id)
        .where(
            other.c.channel == ranked.c.channel,
            other.c.chat_id == ranked.c.chat_id,
            _unsent(other.c),
            other.c.claimed_by != me,
            other.c.claimed_until >= now,
        )
        .exists()
    )
    candidates = (
        select(outbox.id)
        .join(ranked, ranked.c.id == outbox.id)
        .where(ranked.c.place <= PER_CHAT, ranked.c.head_not_before <= now, ~held_elsewhere)
        .order_by(ranked.c.place, outbox.id)
        .limit(limit)
        .with_for_update(of=outbox, skip_locked=True)
    )
    rows = await session.scalars(
        update(outbox)
        .where(outbox.id.in_(candidates.scalar_subquery()))
        .values(claimed_by=me, claimed_until=now + CLAIM)
        .returning(outbox),
        execution_options={"synchronize_session": False},
    )
    claimed = sorted(rows, key=lambda row: row.id)
    return [row for row in claimed if (row.channel, row.chat_id) not in busy]


async def renew_claims(session: AsyncSession, now: datetime) -> None:
    """This worker is alive: its claims on unsent messages hold a while longer."""
    await session.execute(
        update(m.OutboxMessage)
        .where(
            m.OutboxMessage.claimed_by == worker_of(session),
            _unsent(m.OutboxMessage),
        )
        .values(claimed_until=now + CLAIM)
    )


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
    """Try again later (429 retry_after or a transient failure), by whichever worker is free."""
    await session.execute(
        update(m.OutboxMessage)
        .where(m.OutboxMessage.id == message_id)
        .values(
            not_before=until,
            last_error=error[:500],
            attempts=m.OutboxMessage.attempts + 1,
            claimed_by=None,
            claimed_until=None,
        )
    )


async def give_up(
    session: AsyncSession,
    message_id: int,
    now: datetime,
    error: str,
    undelivered: tuple[int, str] | None = None,
) -> None:
    """The platform refused for good (blocked, chat gone). `undelivered`: the petition and the
    channel of a notice to its filer, whose officers must hear of it (one job a petition at a
    time, however many of its notices failed)."""
    await session.execute(
        update(m.OutboxMessage)
        .where(m.OutboxMessage.id == message_id)
        .values(failed_at=now, last_error=error[:500], attempts=m.OutboxMessage.attempts + 1)
    )
    if undelivered is None:
        return
    petition_id, channel = undelivered
    if not await pending_payloads(session, UNDELIVERED_NOTICE_JOB, petition_id):
        payload = {"channel": channel, "reason": error[:200]}
        await schedule_job(session, UNDELIVERED_NOTICE_JOB, now, payload, petition_id)


JOBS = cast(Table, m.Job.__table__)


@dataclass(frozen=True)
class ClaimedJob:
    """A job this worker holds for a while (its lease)."""

    id: int
    kind: str
    payload: dict[str, Any]
    petition_id: int | None
    attempts: int = 1  # this claim included


async def claim_jobs(
    session: AsyncSession, now: datetime, worker: str, lease_expired_before: datetime, limit: int
) -> list[ClaimedJob]:
    """Take due jobs nobody holds (or whose holder's lease ran out), oldest first; rows another
    worker is claiming at this moment are skipped, not waited for."""
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
        .with_for_update(skip_locked=True)
        .scalar_subquery()
    )
    rows = await connection.execute(
        update(JOBS)
        .where(JOBS.c.id.in_(due))
        .values(claimed_at=now, claimed_by=worker, attempts=JOBS.c.attempts + 1)
        .returning(JOBS.c.id, JOBS.c.kind, JOBS.c.payload, JOBS.c.petition_id, JOBS.c.attempts)
    )
    return sorted((ClaimedJob(*row) for row in rows), key=lambda job: job.id)


async def release_jobs(session: AsyncSession, worker: str) -> int:
    """A worker starting again gives back the jobs it had claimed and not finished (it was
    stopped between claiming and running them): they run at its first tick, not after the
    lease. Only a worker with a stable name (WORKER_NAME, or "main" on SQLite) finds any."""
    connection = await session.connection()
    result = await connection.execute(
        update(JOBS)
        .where(JOBS.c.claimed_by == worker, JOBS.c.done_at.is_(None))
        .values(claimed_at=None, claimed_by=None)
    )
    return int(result.rowcount or 0)


async def finish_job(session: AsyncSession, job_id: int, worker: str, now: datetime) -> bool:
    """Mark a job done if this worker still holds it; False when someone else took it over."""
    connection = await session.connection()
    result = await connection.execute(
        update(JOBS)
        .where(JOBS.c.id == job_id, JOBS.c.claimed_by == worker, JOBS.c.done_at.is_(None))
        .values(done_at=now)
    )
    return bool(result.rowcount)


async def pending_payloads(
    session: AsyncSession, kind: str, petition_id: int | None = None
) -> list[dict[str, Any]]:
    """The payloads of the jobs of this kind (and petition, if given) not yet done."""
    pending = select(JOBS.c.payload).where(JOBS.c.kind == kind, JOBS.c.done_at.is_(None))
    if petition_id is not None:
        pending = pending.where(JOBS.c.petition_id == petition_id)
    return list(await session.scalars(pending))


EARLIEST_JOB = "earliest_job"  # in a session's info: the soonest job it scheduled


def scheduled_due(session: AsyncSession, now: datetime) -> bool:
    """Whether this (committed) session scheduled a job that is already due."""
    earliest = session.info.get(EARLIEST_JOB)
    return earliest is not None and earliest <= now


async def schedule_job(
    session: AsyncSession,
    kind: str,
    due_at: datetime,
    payload: dict[str, Any],
    petition_id: int | None,
) -> None:
    """Add a job to run at `due_at`."""
    earliest = session.info.get(EARLIEST_JOB)
    session.info[EARLIEST_JOB] = due_at if earliest is None else min(earliest, due_at)
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
    oldest first: the notices and asides after it did not replace what the person was
    answering."""
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
        if not (recent[-1].unprompted or recent[-1].keeps_choices):
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


@dataclass(frozen=True)
class QueueHealth:
    """The shared queues at a glance: what /healthz and /metrics report."""

    inbox_pending: int
    outbox_backlog: int
    outbox_lag_seconds: float  # the oldest message that is due and unsent has waited this long
    jobs_due: int
    jobs_lag_seconds: float  # the oldest due job has waited this long past its time


async def queue_health(session: AsyncSession, now: datetime) -> QueueHealth:
    """Read the queue figures (each a count or a minimum over a partial index)."""
    inbox = await session.scalar(
        select(func.count()).select_from(INBOX).where(INBOX.c.processed_at.is_(None))
    )
    backlog, oldest_message = (
        await session.execute(
            select(
                func.count(),
                func.min(case((OUTBOX.c.not_before <= now, OUTBOX.c.not_before))),
            ).where(_unsent(OUTBOX.c))
        )
    ).one()
    due = and_(JOBS.c.done_at.is_(None), JOBS.c.due_at <= now)
    jobs, oldest_job = (
        await session.execute(select(func.count(), func.min(JOBS.c.due_at)).where(due))
    ).one()
    return QueueHealth(
        inbox or 0,
        backlog or 0,
        _age(oldest_message, now),
        jobs or 0,
        _age(oldest_job, now),
    )


def _age(moment: datetime | None, now: datetime) -> float:
    if moment is None:
        return 0.0
    if moment.tzinfo is None:  # SQLite hands back naive UTC through a plain column
        moment = moment.replace(tzinfo=now.tzinfo)
    return max((now - moment).total_seconds(), 0.0)
