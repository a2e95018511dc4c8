"""Petitions of a period and scope for the row-level exports, a chunk at a time (issue 5 §4).

One query in one snapshot (a WAL reader on SQLite): a consistent view that never blocks the
bot's writers, read in one pass whatever plan the database picks (paging with LIMIT would redo
the period's scan for every page), and streamed `CHUNK_ROWS` at a time so memory stays flat.
A denouncer's name, phone, address and shared location are NULL in the SELECT itself (LEGAL
§4): they never reach this process. Phones and ID numbers are masked before a record leaves this
module (LEGAL §7).
"""

from __future__ import annotations

import contextlib
from collections.abc import AsyncGenerator, Collection, Iterable
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, Row, Select, case, func, null, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import aliased

from bot.domain.petition import IDENTITY_NEEDS, mask_personal_numbers, mask_phone
from bot.domain.workflow import Action
from bot.reporting.exports import PetitionRecord
from storage import models as m
from storage.db import Database
from storage.repository import SqlStore

CHUNK_ROWS = 1000
EXPORT_ACTION = "petitions.exported"

SECRET_KINDS = sorted(kind for kind, needs in IDENTITY_NEEDS.items() if needs.secret)
# The steps that meet a petition's deadlines (bot/services/workflow.py): the last of them is
# when its main deadline was met.
SETTLING_ACTIONS = sorted(
    {Action.ACCEPT, Action.REFUSE, Action.FORWARD, Action.GUIDE, Action.ANSWER}
)


async def petition_chunks(
    db: Database,
    units: Collection[str],
    received_from: datetime,
    received_before: datetime,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncGenerator[list[PetitionRecord]]:
    """Petitions of these units received in [from, before), oldest first, `chunk_rows` at a time."""
    async with db.snapshot() as session:
        chunks = stream_petitions(session, units, received_from, received_before, chunk_rows)
        async with contextlib.aclosing(chunks):
            async for chunk in chunks:
                yield chunk


async def stream_petitions(
    session: AsyncSession,
    units: Collection[str],
    received_from: datetime,
    received_before: datetime,
    chunk_rows: int = CHUNK_ROWS,
) -> AsyncGenerator[list[PetitionRecord]]:
    """The same, on a snapshot the caller holds (a job's reading: `storage.export_records`)."""
    statement = _export_query(units, received_from, received_before)
    result = await session.stream(statement.execution_options(yield_per=chunk_rows))
    async for rows in result.partitions():
        yield [_record(row) for row in rows]


async def audit_export(
    db: Database, actor: str, unit: str, detail: dict[str, Any], now: datetime
) -> None:
    """Who exported which scope and period, and how many rows: a breach can be traced (LEGAL §7)."""
    async with db.transaction() as session:
        await SqlStore(session).audit(actor, EXPORT_ACTION, unit, detail, now)


def _export_query(
    units: Collection[str], received_from: datetime, received_before: datetime
) -> Select[*tuple[Any, ...]]:
    """The export's columns, with the denouncer's identity replaced by NULL."""
    petition = m.Petition
    main = aliased(m.Deadline)
    return (
        select(
            petition.code,
            petition.kind,
            petition.field,
            m.Unit.name.label("unit_name"),
            m.Area.name.label("village"),
            petition.channel,
            petition.received_at,
            petition.state,
            petition.instance,
            petition.group_size,
            petition.accepted_at,
            _last_event_at((Action.ANSWER,)).label("answered_at"),
            petition.closed_at,
            petition.outcome,
            main.due_date.label("main_due"),
            main.status.label("main_status"),
            _last_event_at(SETTLING_ACTIONS).label("settled_at"),
            petition.anonymous,
            _unless_secret(petition.filer_name).label("filer_name"),
            _unless_secret(petition.filer_phone).label("filer_phone"),
            _unless_secret(petition.filer_address).label("filer_address"),
            _unless_secret(petition.content).label("content"),
            _unless_secret(petition.latitude).label("latitude"),
            _unless_secret(petition.longitude).label("longitude"),
        )
        .join(m.Unit, m.Unit.code == petition.unit_code)
        .outerjoin(m.Area, m.Area.code == petition.area_code)
        .outerjoin(main, main.id == _main_deadline_id())
        .where(
            petition.unit_code.in_(sorted(units)),
            petition.received_at >= received_from,
            petition.received_at < received_before,
        )
        .order_by(petition.received_at, petition.id)
    )


def _unless_secret(column: Any) -> ColumnElement[Any]:
    """The filer's detail, or NULL for a kind whose filer is protected by law."""
    return case((m.Petition.kind.in_(SECRET_KINDS), null()), else_=column)


def _main_deadline_id() -> Any:
    """The petition's latest-due deadline still in force: the date it is finally judged by."""
    return (
        select(m.Deadline.id)
        .where(m.Deadline.petition_id == m.Petition.id, m.Deadline.status != "superseded")
        .order_by(m.Deadline.due_date.desc(), m.Deadline.id.desc())
        .limit(1)
        .scalar_subquery()
    )


def _last_event_at(actions: Iterable[str]) -> Any:
    """When the petition last had one of these steps."""
    return (
        select(func.max(m.PetitionEvent.at))
        .where(m.PetitionEvent.petition_id == m.Petition.id, m.PetitionEvent.action.in_(actions))
        .scalar_subquery()
    )


def _record(row: Row[Any]) -> PetitionRecord:
    """A row as an export record, its phone and ID numbers masked."""
    return PetitionRecord(
        code=row.code,
        kind=row.kind,
        field=row.field,
        unit_name=row.unit_name,
        village=row.village,
        channel=row.channel,
        received_at=row.received_at,
        state=row.state,
        instance=row.instance,
        group_size=row.group_size,
        accepted_at=row.accepted_at,
        answered_at=row.answered_at,
        closed_at=row.closed_at,
        outcome=row.outcome,
        main_due=row.main_due,
        main_status=row.main_status,
        settled_at=row.settled_at,
        anonymous=row.anonymous,
        filer_name=mask_personal_numbers(row.filer_name) or None,
        filer_phone=mask_phone(row.filer_phone) or None,
        filer_address=mask_personal_numbers(row.filer_address) or None,
        content=mask_personal_numbers(row.content) if row.content is not None else "",
        latitude=row.latitude,
        longitude=row.longitude,
    )
