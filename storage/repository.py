"""The `Store` port over one SQLAlchemy session (one transaction), plus the organisation sync.

Each narrow port of `bot.ports` has its records class in a module of its own; `SqlStore` is their
union over one session.
"""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.org import Organisation, Unit
from bot.ports import OfficerView
from storage import models as m
from storage.audit import AuditRecords
from storage.citizens import CitizenRecords
from storage.consultations import ConsultationRecords
from storage.dialogues import DialogueRecords
from storage.export_records import ExportRecords
from storage.jobs import JobRecords
from storage.officers import OfficerRecords
from storage.petitions import DeadlineRecords, HistoryRecords, PetitionRecords, RatingRecords
from storage.reception_days import ReceptionDayRecords
from storage.receptions import ReceptionRecords
from storage.reports import ReportRecords
from storage.surveys import SurveyRecords


class SqlStore(
    CitizenRecords,
    OfficerRecords,
    PetitionRecords,
    DeadlineRecords,
    HistoryRecords,
    RatingRecords,
    JobRecords,
    AuditRecords,
    ReceptionRecords,
    DialogueRecords,
    ConsultationRecords,
    SurveyRecords,
    ReceptionDayRecords,
    ReportRecords,
    ExportRecords,
):
    """Implements `bot.ports.Store` inside the caller's transaction."""

    def __init__(self, session: AsyncSession) -> None:
        self.session = session
        self._citizens: dict[tuple[str, str], m.Citizen | None] = {}
        self._officers: dict[tuple[str, str], OfficerView | None] = {}


async def sync_organisation(session: AsyncSession, org: Organisation) -> None:
    """Make the database's units, villages and officers match the organisation file.

    Officers are matched by handle and never deleted (petitions and history refer to them): one
    who left the file is marked inactive and loses access.
    """
    units = {row.code: row for row in await session.scalars(select(m.Unit))}
    for unit in _parents_first(org):
        unit_row = units.get(unit.code) or m.Unit(code=unit.code)
        unit_row.name, unit_row.kind, unit_row.parent_code = unit.name, unit.kind, unit.parent
        session.add(unit_row)
    await session.flush()
    areas = {row.code: row for row in await session.scalars(select(m.Area))}
    for area in org.areas.values():
        area_row = areas.get(area.code) or m.Area(code=area.code)
        area_row.unit_code, area_row.name = area.unit, area.name
        session.add(area_row)
    officers = {row.handle: row for row in await session.scalars(select(m.Officer))}
    for record in org.officers:
        officer = officers.get(record.handle) or m.Officer(handle=record.handle)
        officer.name, officer.title, officer.unit_code = record.name, record.title, record.unit
        officer.roles = ",".join(sorted(record.roles))
        officer.on_duty, officer.active = record.on_duty, True
        session.add(officer)
    configured = {record.handle for record in org.officers}
    for handle, officer in officers.items():
        if handle not in configured:
            officer.active = False
    await session.flush()


def _parents_first(org: Organisation) -> list[Unit]:
    """Units ordered so that a parent is written before its children."""
    ordered: list[Unit] = []
    seen: set[str] = set()

    def visit(code: str) -> None:
        if code in seen:
            return
        unit = org.units[code]
        if unit.parent:
            visit(unit.parent)
        seen.add(code)
        ordered.append(unit)

    for code in org.units:
        visit(code)
    return ordered
