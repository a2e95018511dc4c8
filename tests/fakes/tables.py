"""The fake store's records: plain dataclasses in dicts and lists, one `Tables` per fake store.

Ids count from 1 per kind of record, in the order records are made, as the database's do; a
record is kept whole (a column's length is the database's business, not the fake's).
"""

from __future__ import annotations

import dataclasses
import itertools
from collections import defaultdict
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from bot.core import FileRef, Recipient, Reply
from bot.domain.petition import Case
from bot.ports import NewDialogue, NewReception, QuestionView, ReceptionScheduleView


@dataclass
class CitizenRow:
    """A person as seen on one chat."""

    id: int
    chat: Recipient
    user_id: str
    created_at: datetime
    name: str | None = None
    phone: str | None = None
    address: str | None = None
    consent_at: datetime | None = None


@dataclass
class OfficerRow:
    """An official of the organisation file; one who left it stays, inactive."""

    id: int
    handle: str
    name: str
    title: str
    unit: str
    roles: frozenset[str]
    active: bool = True


@dataclass
class InviteRow:
    """A one-time code (its hash) that binds a chat to an officer."""

    officer_id: int
    expires_at: datetime
    used_at: datetime | None = None


@dataclass
class DeadlineRow:
    """A statutory date of a petition."""

    id: int
    rule_id: str
    start_date: date
    due_date: date
    status: str = "open"
    extensions: int = 0


@dataclass
class EventRow:
    """One step of a petition's history."""

    id: int
    at: datetime
    actor: str
    action: str
    reason: str | None
    payload: dict[str, Any]


@dataclass
class RatingRow:
    """A citizen's rating of an answer, with the reason they gave."""

    score: int
    rated_at: datetime
    reason: str | None = None
    comment: str | None = None


@dataclass
class PetitionRow:
    """A petition with everything that belongs to it: files, dates, history, rating, grants."""

    id: int
    code: str
    kind: str
    field: str
    unit: str
    area: str | None
    assignee_id: int | None
    citizen_id: int | None
    state: str
    content: str
    place_note: str | None
    latitude: float | None
    longitude: float | None
    anonymous: bool
    filer_name: str | None
    filer_phone: str | None
    filer_address: str | None
    channel: str
    received_at: datetime
    case: Case
    parent_id: int | None
    accepted_at: datetime | None = None
    closed_at: datetime | None = None
    outcome: str | None = None
    files: list[FileRef] = dataclasses.field(default_factory=list)
    deadlines: list[DeadlineRow] = dataclasses.field(default_factory=list)
    events: list[EventRow] = dataclasses.field(default_factory=list)
    rating: RatingRow | None = None
    identity_viewers: set[int] = dataclasses.field(default_factory=set)


@dataclass
class JobRow:
    """Work for the scheduler, due at a time (the fake runs none: every job stays pending)."""

    kind: str
    due_at: datetime
    payload: dict[str, Any]
    petition_id: int | None


@dataclass(frozen=True)
class AuditRow:
    """One access to personal data."""

    at: datetime
    actor: str
    action: str
    subject: str
    detail: dict[str, Any]


@dataclass
class DialogueRow:
    """A dialogue session as planned (moved by a reschedule) and how it went."""

    id: int
    plan: NewDialogue
    state: str = "announced"
    attendance: int | None = None
    minutes: str | None = None
    held_at: datetime | None = None


@dataclass
class SeatRow:
    """A citizen's registration at a session; the line is kept by `changed_at`, then id."""

    id: int
    dialogue_id: int
    citizen_id: int
    status: str
    changed_at: datetime


@dataclass
class BookingRow:
    """A citizen's booked slot on a reception day."""

    id: int
    schedule_id: int
    citizen_id: int
    slot_at: datetime
    topic: str
    status: str = "booked"
    reception_id: int | None = None


class Tables:
    """Every record of one fake store."""

    def __init__(self) -> None:
        self.citizens: dict[int, CitizenRow] = {}
        self.locales: dict[Recipient, str] = {}
        self.officers: dict[int, OfficerRow] = {}
        self.bindings: dict[Recipient, int] = {}  # chat → officer id, in the order bound
        self.invites: dict[str, InviteRow] = {}  # by the code's hash
        self.counters: defaultdict[tuple[str, int], int] = defaultdict(int)  # (prefix, year)
        self.petitions: dict[int, PetitionRow] = {}
        self.jobs: list[JobRow] = []
        self.audit_log: list[AuditRow] = []
        self.outbox: list[tuple[Recipient, Reply]] = []
        self.receptions: dict[int, NewReception] = {}
        self.follows: dict[tuple[int, str], datetime] = {}  # (citizen, place), in the order made
        self.dialogues: dict[int, DialogueRow] = {}
        self.seats: dict[tuple[int, int], SeatRow] = {}  # (dialogue, citizen)
        self.questions: dict[int, QuestionView] = {}
        self.schedules: dict[int, ReceptionScheduleView] = {}
        self.closures: set[tuple[int, date]] = set()  # (schedule, day) called off
        self.bookings: dict[int, BookingRow] = {}
        self.extra: dict[str, Any] = {}  # a port's own records (consultations)
        self._ids: defaultdict[str, Iterator[int]] = defaultdict(lambda: itertools.count(1))

    def new_id(self, kind: str) -> int:
        """The next id of a kind of record."""
        return next(self._ids[kind])
