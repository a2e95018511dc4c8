"""`FakeStore`: every port of `bot.ports.Store` in memory, for handler and service tests.

It keeps what a test needs to read afterwards (`tables.outbox`, `tables.jobs`,
`tables.audit_log`) and offers what the database gets from elsewhere: the organisation's
officers (`storage.repository.sync_organisation`), invites (`python -m bot invite`) and a chat's
language (the saved conversation).
"""

from __future__ import annotations

from datetime import datetime

from bot.core import Recipient
from bot.domain.org import Organisation
from bot.ports import Store
from tests.fakes.citizens import FakeCitizens
from tests.fakes.consultations import FakeConsultations
from tests.fakes.dialogues import FakeDialogues
from tests.fakes.exports import FakeExports
from tests.fakes.jobs import FakeAudit, FakeJobs
from tests.fakes.officers import FakeOfficers
from tests.fakes.petitions import FakeDeadlines, FakeHistory, FakePetitions, FakeRatings
from tests.fakes.reception_days import FakeReceptionDays
from tests.fakes.receptions import FakeReceptions
from tests.fakes.reports import FakeReports
from tests.fakes.surveys import FakeSurveys
from tests.fakes.tables import InviteRow, OfficerRow, Tables


class FakeStore(
    FakeCitizens,
    FakeOfficers,
    FakePetitions,
    FakeDeadlines,
    FakeHistory,
    FakeRatings,
    FakeJobs,
    FakeAudit,
    FakeReceptions,
    FakeDialogues,
    FakeConsultations,
    FakeSurveys,
    FakeReceptionDays,
    FakeReports,
    FakeExports,
):
    """Implements `bot.ports.Store` over plain dicts and lists; the organisation's officers are
    there from the start, numbered in the file's order as the database numbers them."""

    def __init__(self, org: Organisation | None = None) -> None:
        self.tables = Tables()
        for record in org.officers if org else ():
            officer_id = self.tables.new_id("officer")
            self.tables.officers[officer_id] = OfficerRow(
                officer_id, record.handle, record.name, record.title, record.unit, record.roles
            )

    def add_invite(self, handle: str, code_hash: str, expires_at: datetime) -> None:
        """An invite for an officer, as `python -m bot invite` stores it (hashed)."""
        officer = next(row for row in self.tables.officers.values() if row.handle == handle)
        self.tables.invites[code_hash] = InviteRow(officer.id, expires_at)

    def set_locale(self, chat: Recipient, locale: str) -> None:
        """The language a chat chose, as its saved conversation keeps it."""
        self.tables.locales[chat] = locale


def as_store(fake: FakeStore) -> Store:
    """The fake where a `Store` is wanted: mypy checks here that it implements every port."""
    return fake
