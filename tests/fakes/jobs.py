"""Jobs and the audit log in memory: the fake `JobStore` and `AuditStore`."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from tests.fakes.tables import AuditRow, JobRow, Tables


class FakeJobs:
    """Implements `bot.ports.JobStore` over `Tables`; nothing runs them, a test reads them."""

    tables: Tables

    async def schedule(
        self, kind: str, due_at: datetime, payload: dict[str, Any], petition_id: int | None
    ) -> None:
        self.tables.jobs.append(JobRow(kind, due_at, dict(payload), petition_id))

    async def has_pending_job(self, kind: str, payload: dict[str, Any] | None = None) -> bool:
        pending = [job.payload for job in self.tables.jobs if job.kind == kind]
        return bool(pending) if payload is None else payload in pending


class FakeAudit:
    """Implements `bot.ports.AuditStore` over `Tables`."""

    tables: Tables

    async def audit(
        self, actor: str, action: str, subject: str, detail: dict[str, Any], now: datetime
    ) -> None:
        self.tables.audit_log.append(AuditRow(now, actor, action, subject, dict(detail)))
