"""The narrow ports handlers and services use; storage implements them, tests may fake them.

One port per aggregate (citizens, officers, petitions with their deadlines, history and ratings,
jobs, the audit log, receptions, dialogues, reception days, reports, exports); `Store` is
their union. `storage.repository.SqlStore` implements it over a database session,
`tests.fakes.FakeStore` in memory, and tests/test_store_contract.py holds both to the same
contract.

Views are frozen snapshots: a handler never holds a live database row.
"""

from __future__ import annotations

import dataclasses
from collections.abc import AsyncGenerator, Collection
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any, Protocol

from bot.core import FileRef, Recipient, Reply
from bot.domain.consultations import Question
from bot.domain.petition import Case
from bot.reporting.exports import PetitionRecord
from bot.reporting.metrics import ReportMetrics, Volume
from bot.reporting.metrics import Survey as SurveyFigures
from bot.reporting.periods import Period


@dataclass(frozen=True)
class CitizenView:
    """A citizen as the conversation needs them."""

    id: int
    name: str | None
    phone: str | None
    address: str | None
    consent_at: datetime | None


@dataclass(frozen=True)
class OfficerView:
    """An officer bound to a chat."""

    id: int
    handle: str
    name: str
    title: str
    unit: str
    roles: frozenset[str]


@dataclass(frozen=True)
class DeadlineView:
    """One statutory date of a petition."""

    rule_id: str
    due_date: date
    status: str = "open"
    start_date: date | None = None
    extensions: int = 0


@dataclass(frozen=True)
class PetitionSummary:
    """A line of a list: code, kind, state and dates."""

    id: int
    code: str
    kind: str
    field: str
    state: str
    received_at: datetime
    deadlines: tuple[DeadlineView, ...] = ()


@dataclass(frozen=True)
class PetitionDetail:
    """Everything about one petition; the filer fields are personal data."""

    summary: PetitionSummary
    unit: str
    area: str | None
    assignee_id: int | None
    citizen_id: int | None
    content: str
    place_note: str | None
    latitude: float | None
    longitude: float | None
    anonymous: bool
    filer_name: str | None
    filer_phone: str | None
    filer_address: str | None
    attachments: int
    case: Case = dataclasses.field(default_factory=Case)
    parent_id: int | None = None  # the first complaint, for a second one
    identity_viewers: frozenset[int] = frozenset()  # officers a head let see a denouncer


@dataclass(frozen=True)
class RatingView:
    """How the citizen judged the answer: 1-5, and why in their words if they said."""

    score: int
    reason: str | None  # one of `bot.services.workflow.RATING_REASONS`
    comment: str | None


@dataclass(frozen=True)
class EventView:
    """One step of a petition's history as its filer may read it (no officer names)."""

    at: datetime
    action: str
    reason: str | None


@dataclass(frozen=True)
class NewPetition:
    """What the filing service writes: a routed, numbered petition with its dates."""

    code: str
    kind: str
    field: str
    unit: str
    area: str | None
    assignee_handle: str | None
    citizen_id: int | None
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
    attachments: tuple[FileRef, ...] = ()
    deadlines: tuple[tuple[str, date, date], ...] = ()  # rule id, start, due
    event_payload: dict[str, Any] = dataclasses.field(default_factory=dict)
    group_size: int = 1  # the people who came together with it (đoàn đông người from 5)
    instance: int = 1
    parent_id: int | None = None
    dialogue_id: int | None = None


@dataclass(frozen=True)
class StoredEvent:
    """One event with what officers need to act on it (a proposal awaiting approval)."""

    id: int
    at: datetime
    actor: str
    action: str
    reason: str | None
    payload: dict[str, Any]


class InviteRefused(Exception):
    """An invite code is unknown, expired or used: `reason` is a message id."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


def check_invite(
    used_at: datetime | None, expires_at: datetime, officer_active: bool, now: datetime
) -> None:
    """Raise `InviteRefused` unless a stored invite may still bind a chat: once, before it
    expires, to an officer still in the organisation file (one who left is not told apart from
    an unknown code)."""
    if used_at is not None:
        raise InviteRefused("invite.used")
    if expires_at <= now:
        raise InviteRefused("invite.expired")
    if not officer_active:
        raise InviteRefused("invite.unknown")


@dataclass(frozen=True)
class NewReception:
    """A visit to the office, as an officer recorded it (tiếp công dân); the phone is personal."""

    unit: str  # the People's Committee the visit was to
    recorded_by: int  # the officer's record id
    received_at: datetime
    kind: str  # regular | scheduled | unscheduled
    head_in_person: bool
    group_size: int
    visitor_name: str | None
    visitor_phone: str | None
    field: str
    content: str
    outcome: str  # guided | explained | petition
    petition_id: int | None


class ReceptionStore(Protocol):
    """Records of citizens received in person (tiếp công dân)."""

    async def add_reception(self, reception: NewReception) -> int:
        """Keep a visit for the reception form; its record id."""
        ...


@dataclass(frozen=True)
class NewDialogue:
    """A session as its organiser set it up."""

    unit: str
    leader_id: int
    created_by: int
    topic: str
    starts_at: datetime
    place: str | None
    link: str | None
    audience: tuple[str, ...]
    capacity: int
    registration_closes_at: datetime
    subscribers_may_ask: bool
    created_at: datetime


@dataclass(frozen=True)
class DialogueView:
    """A session with its seat counts."""

    id: int
    unit: str
    leader_id: int
    topic: str
    starts_at: datetime
    place: str | None
    link: str | None
    audience: tuple[str, ...]
    capacity: int
    registration_closes_at: datetime
    subscribers_may_ask: bool
    state: str
    registered: int
    waitlisted: int
    attendance: int | None
    minutes: str | None


@dataclass(frozen=True)
class QuestionView:
    """A question sent ahead of a session."""

    id: int
    dialogue_id: int
    citizen_id: int
    text: str
    status: str
    unit: str | None
    reason: str | None
    merged_into: int | None
    petition_id: int | None


class DialogueStore(Protocol):
    """Subscriptions, dialogue sessions, registrations and questions sent ahead."""

    async def subscribe(self, citizen_id: int, place: str, now: datetime) -> bool:
        """Follow a place; False if already followed."""
        ...

    async def unsubscribe(self, citizen_id: int, place: str) -> bool:
        """Stop following a place; False if it was not followed."""
        ...

    async def subscriptions(self, citizen_id: int) -> list[str]:
        """The places a citizen follows."""
        ...

    async def add_dialogue(self, dialogue: NewDialogue) -> int:
        """Store a new session; its id."""
        ...

    async def dialogue(self, dialogue_id: int) -> DialogueView | None:
        """One session with its seat counts."""
        ...

    async def upcoming_dialogues(
        self, now: datetime, units: list[str] | None, limit: int
    ) -> list[DialogueView]:
        """Announced sessions still ahead, soonest first (of these units, or all)."""
        ...

    async def recent_dialogues(self, units: list[str], limit: int) -> list[DialogueView]:
        """Sessions of these units, newest first, whatever their state."""
        ...

    async def reschedule_dialogue(
        self,
        dialogue_id: int,
        starts_at: datetime,
        place: str | None,
        link: str | None,
        registration_closes_at: datetime,
    ) -> None:
        """Move a session."""
        ...

    async def set_dialogue_state(self, dialogue_id: int, state: str, now: datetime) -> None:
        """Cancel a session, or mark it held."""
        ...

    async def record_session(self, dialogue_id: int, attendance: int, minutes: str) -> None:
        """Keep how many came and what was said."""
        ...

    async def seat_of(self, dialogue_id: int, citizen_id: int) -> str | None:
        """The citizen's registration status at a session, if any."""
        ...

    async def save_seat(
        self, dialogue_id: int, citizen_id: int, status: str, now: datetime
    ) -> None:
        """Register, waitlist or cancel a citizen (a return goes to the back of the line)."""
        ...

    async def first_waitlisted(self, dialogue_id: int) -> int | None:
        """The citizen longest on the waitlist."""
        ...

    async def seat_holders(self, dialogue_id: int, statuses: set[str]) -> list[int]:
        """Citizens with these registration statuses, in registration order."""
        ...

    async def seats_of_citizen(
        self, citizen_id: int, now: datetime
    ) -> list[tuple[DialogueView, str]]:
        """The citizen's registrations at sessions still ahead."""
        ...

    async def add_question(
        self, dialogue_id: int, citizen_id: int, text: str, now: datetime
    ) -> int:
        """Keep a question sent ahead; its id."""
        ...

    async def question(self, question_id: int) -> QuestionView | None:
        """One question."""
        ...

    async def questions(self, dialogue_id: int, statuses: set[str]) -> list[QuestionView]:
        """A session's questions with these statuses, oldest first."""
        ...

    async def update_question(
        self,
        question_id: int,
        status: str,
        *,
        unit: str | None = None,
        reason: str | None = None,
        merged_into: int | None = None,
        petition_id: int | None = None,
    ) -> None:
        """Moderate a question, or link it to the petition it became."""
        ...

    async def fan_out(
        self,
        places: set[str],
        registrants_of: int | None,
        replies: dict[str, Reply],
        default_locale: str,
        now: datetime,
    ) -> int:
        """Queue one message to each citizen following any of these places (and registered for
        the session `registrants_of`), in their language (`replies` by locale); return how many
        were queued."""
        ...


@dataclass(frozen=True)
class NewConsultation:
    """A consultation as its organiser set it in chat."""

    unit: str
    created_by: int
    title: str
    summary: str
    document: FileRef | None
    audience: tuple[str, ...]
    questions: tuple[Question, ...]
    anonymous: bool
    opens_at: datetime
    closes_at: datetime
    created_at: datetime


@dataclass(frozen=True)
class ConsultationView:
    """A consultation as stored, with how many started and finished answering."""

    id: int
    unit: str
    title: str
    summary: str
    document: FileRef | None
    audience: tuple[str, ...]
    questions: tuple[Question, ...]
    anonymous: bool
    opens_at: datetime
    closes_at: datetime
    state: str
    result: str | None
    started: int
    finished: int
    reached: int | None = None  # followers the announcement was queued to
    survey: int | None = None  # a satisfaction survey's questionnaire (never listed)


@dataclass(frozen=True)
class OpinionView:
    """A free-text answer, with the village only when the consultation is named."""

    id: int
    consultation_id: int
    question: int
    text: str
    village: str | None
    mark: str | None
    reply: str | None


Answers = dict[int, list[str]]  # question index → tokens (or the words of a text answer)


class ConsultationStore(Protocol):
    """Consultations, who took part, and their answers (kept apart when anonymous)."""

    async def add_consultation(self, consultation: NewConsultation) -> int:
        """Store a published consultation; its id."""
        ...

    async def consultation(self, consultation_id: int) -> ConsultationView | None:
        """One consultation."""
        ...

    async def consultations_of(self, units: list[str], limit: int) -> list[ConsultationView]:
        """The units' consultations, the latest closing first."""
        ...

    async def open_consultations(self, now: datetime, limit: int) -> list[ConsultationView]:
        """Consultations taking answers now, closing soonest first."""
        ...

    async def join_consultation(
        self, consultation_id: int, citizen_id: int, village: str | None, now: datetime
    ) -> None:
        """Note that a citizen started answering (once; a later village replaces the first)."""
        ...

    async def participation(self, consultation_id: int, citizen_id: int) -> str | None:
        """«started», «finished», or None for one who never started."""
        ...

    async def submit_answers(
        self,
        consultation_id: int,
        citizen_id: int,
        village: str | None,
        answers: Answers,
        named: bool,
        now: datetime,
    ) -> bool:
        """Keep an answer set. Named: with the citizen and village, replacing their earlier
        one. Anonymous: with neither, and only if this citizen had not finished (False then)."""
        ...

    async def answers_of(self, consultation_id: int, citizen_id: int) -> Answers | None:
        """A citizen's answers to a named consultation (None: none, or it is anonymous)."""
        ...

    async def answer_sets(self, consultation_id: int) -> list[Answers]:
        """Every answer set submitted."""
        ...

    async def participation_by_village(self, consultation_id: int) -> dict[str, int]:
        """How many finished, by the village they answered for ("" when none)."""
        ...

    async def unfinished_participants(self, consultation_id: int) -> list[int]:
        """The citizens who started and did not finish."""
        ...

    async def opinions(self, consultation_id: int) -> list[OpinionView]:
        """The free-text answers, in the order given."""
        ...

    async def opinion(self, opinion_id: int) -> OpinionView | None:
        """One free-text answer."""
        ...

    async def mark_opinion(self, opinion_id: int, mark: str, reply: str) -> None:
        """The commune took the opinion in, or answered it, with these words."""
        ...

    async def summarise_consultation(
        self, consultation_id: int, result: str, now: datetime
    ) -> None:
        """Keep the summary (tổng hợp ý kiến) published after closing."""
        ...

    async def tell_participants(
        self, consultation_id: int, replies: dict[str, Reply], default_locale: str, now: datetime
    ) -> int:
        """Queue one message to each citizen who finished answering, in their language, the
        same way as `fan_out`; how many were queued."""
        ...

    async def record_reach(self, consultation_id: int, reached: int) -> None:
        """How many followers its announcement was queued to."""
        ...

    async def consultations_closed(
        self, units: list[str], since: datetime, until: datetime
    ) -> list[ConsultationView]:
        """The units' consultations (not surveys) that closed in [since, until)."""
        ...


@dataclass(frozen=True)
class NewSurvey:
    """A satisfaction survey as a head or an inspector started it."""

    template: str
    period: str  # the period's name
    period_start: datetime
    period_end: datetime
    scope_unit: str
    sample: int | None  # None: everyone
    started_by: int
    created_at: datetime


@dataclass(frozen=True)
class SurveyView:
    """A survey as stored, with how many were sent it and how many answered."""

    id: int
    template: str
    period: str
    period_start: datetime
    period_end: datetime
    scope_unit: str
    sample: int | None
    created_at: datetime
    invited: int
    responses: int


class SurveyStore(Protocol):
    """Satisfaction surveys: who is sent one (once a period), and the figures of the answers."""

    async def answered_citizens(
        self, start: datetime, end: datetime, units: list[str]
    ) -> list[tuple[int, str]]:
        """Each citizen with a petition of these units answered in [start, end), once, with the
        unit that holds their earliest such petition; in the order of their ids."""
        ...

    async def add_survey(
        self, survey: NewSurvey, questionnaire: NewConsultation, invite: list[tuple[int, str]]
    ) -> tuple[int, dict[int, int]]:
        """Store the survey, a copy of `questionnaire` for each unit of `invite` (its `unit`
        replaced), and an invitation for each (citizen, unit) not yet invited in the period;
        the survey's id and, by questionnaire, how many were invited."""
        ...

    async def invited(self, consultation_id: int, citizen_id: int) -> bool:
        """Whether the citizen was sent this survey questionnaire."""
        ...

    async def invite_to_survey(
        self, consultation_id: int, replies: dict[str, Reply], default_locale: str, now: datetime
    ) -> int:
        """Queue one message to each citizen invited to the questionnaire, in their language;
        how many were queued."""
        ...

    async def survey(self, survey_id: int) -> SurveyView | None:
        """One survey."""
        ...

    async def surveys_of(self, units: list[str], limit: int) -> list[SurveyView]:
        """The surveys started for these scope units, newest first."""
        ...

    async def survey_figures(
        self, units: list[str], start: datetime, end: datetime
    ) -> dict[str, SurveyFigures]:
        """By unit, the surveys whose period lies within [start, end): invited, answered, and
        per aspect the 1-5 answers and their points (units with none are left out)."""
        ...


@dataclass(frozen=True)
class NewReceptionSchedule:
    """A head's recurring reception day as staff set it up; times are HH:MM in Hà Nội."""

    unit: str  # the People's Committee whose office receives
    officer_id: int  # the head who receives
    weekday: int  # 0 = Monday
    starts: str
    ends: str
    slot_minutes: int
    capacity: int  # people per slot
    place: str
    created_at: datetime


@dataclass(frozen=True)
class ReceptionScheduleView:
    """A stored reception schedule."""

    id: int
    unit: str
    officer_id: int
    weekday: int
    starts: str
    ends: str
    slot_minutes: int
    capacity: int
    place: str
    active: bool


@dataclass(frozen=True)
class BookingView:
    """A citizen's booked slot; the name is personal data, for the officers who receive them."""

    id: int
    schedule_id: int
    citizen_id: int
    slot_at: datetime
    topic: str
    status: str  # booked | cancelled | attended | no_show
    reception_id: int | None
    citizen_name: str | None


@dataclass(frozen=True)
class HeadActivity:
    """What one head did this year, as the database counted it."""

    head: OfficerView
    dialogues_held: int
    reception_days_held: int


class ReceptionDayStore(Protocol):
    """Regular reception days (tiếp công dân định kỳ): schedules and booked slots."""

    async def add_reception_schedule(self, schedule: NewReceptionSchedule) -> int:
        """Keep a new schedule; its id."""
        ...

    async def reception_schedule(
        self, schedule_id: int, *, lock: bool = False
    ) -> ReceptionScheduleView | None:
        """One schedule; `lock` holds it until commit, so that bookings of it queue."""
        ...

    async def reception_schedules(self, units: list[str] | None) -> list[ReceptionScheduleView]:
        """The active schedules of these People's Committees (of all, given None)."""
        ...

    async def deactivate_reception_schedule(self, schedule_id: int) -> None:
        """Stop a schedule: no more reception days are offered from it."""
        ...

    async def close_reception_day(
        self, schedule_id: int, day: date, reason: str, officer_id: int, now: datetime
    ) -> bool:
        """Call off one reception day; False when it was called off before."""
        ...

    async def closed_reception_days(
        self, schedule_ids: list[int], since: date
    ) -> set[tuple[int, date]]:
        """The (schedule, day) pairs called off from `since` on."""
        ...

    async def seats_taken(
        self, schedule_ids: list[int], since: datetime, until: datetime
    ) -> dict[tuple[int, datetime], int]:
        """Seats held (every booking not cancelled) per schedule and slot in [since, until)."""
        ...

    async def add_booking(
        self, schedule_id: int, citizen_id: int, slot_at: datetime, topic: str, now: datetime
    ) -> int:
        """Keep a booked slot; its id."""
        ...

    async def booking(self, booking_id: int) -> BookingView | None:
        """One booking."""
        ...

    async def bookings(
        self, schedule_ids: list[int], since: datetime, until: datetime, statuses: set[str]
    ) -> list[BookingView]:
        """Bookings of these schedules in [since, until) with these statuses, soonest first."""
        ...

    async def bookings_of_citizen(
        self, citizen_id: int, since: datetime, statuses: set[str]
    ) -> list[BookingView]:
        """A citizen's bookings from `since` on with these statuses, soonest first."""
        ...

    async def set_booking_status(
        self, booking_id: int, status: str, reception_id: int | None = None
    ) -> None:
        """Move a booking on (cancelled, attended, no show), linking its reception record."""
        ...

    async def citizen_places(self, citizen_id: int) -> set[str]:
        """Units and villages a citizen is tied to: where they filed, what they follow."""
        ...

    async def head_activity(
        self, units: list[str], since: datetime, until: datetime
    ) -> list[HeadActivity]:
        """Each active head of these units with the dialogues they held and the distinct days
        (in Hà Nội) they received citizens in person on a reception day, in [since, until)."""
        ...


class ReportStore(Protocol):
    """The inspectorate's figures, counted by the database (definitions: bot.reporting.metrics)."""

    async def report_metrics(self, period: Period, units: list[str]) -> ReportMetrics:
        """Every figure of each of these units for the period, and the durations over all."""
        ...

    async def report_volume(self, period: Period, units: list[str]) -> Volume:
        """Petitions received over these units by field and kind, and by month (for charts)."""
        ...


class ExportStore(Protocol):
    """The row-level export of petitions (a file in chat, as on the command line), read on the
    caller's snapshot; each export is audited."""

    def export_chunks(
        self, units: Collection[str], received_from: datetime, received_before: datetime
    ) -> AsyncGenerator[list[PetitionRecord]]:
        """Petitions of these units received in [from, before), oldest first, a chunk at a time:
        a denouncer's identity withheld, phone and ID numbers masked (LEGAL §4, §7)."""
        ...

    async def audit_export(
        self, actor: str, unit: str, detail: dict[str, Any], now: datetime
    ) -> None:
        """Who exported which scope and period, and how many rows (LEGAL §7)."""
        ...


class CitizenStore(Protocol):
    """Citizens: who a chat is, their consent and details, and where and in which language
    they are reached."""

    async def citizen(self, channel: str, chat_id: str) -> CitizenView | None:
        """The citizen of this chat, if known."""
        ...

    async def ensure_citizen(
        self, channel: str, chat_id: str, user_id: str, now: datetime
    ) -> CitizenView:
        """The citizen of this chat, created on first contact."""
        ...

    async def record_consent(self, citizen_id: int, now: datetime) -> None:
        """The citizen has read the privacy notice."""
        ...

    async def remember_identity(
        self, citizen_id: int, name: str | None, phone: str | None, address: str | None
    ) -> None:
        """Keep the filer's details to offer them next time."""
        ...

    async def citizen_chat(self, citizen_id: int) -> Recipient | None:
        """Where a citizen is told what happens to their petition."""
        ...

    async def locale_of(self, recipient: Recipient) -> str | None:
        """The language a chat has chosen."""
        ...


class OfficerStore(Protocol):
    """Officers: the chats they are bound in (by invite), their units, roles and open load."""

    async def officer_by_chat(self, channel: str, chat_id: str) -> OfficerView | None:
        """The officer bound to this chat, if any."""
        ...

    async def officer_by_handle(self, handle: str) -> OfficerView | None:
        """An officer by their stable handle."""
        ...

    async def officer_by_id(self, officer_id: int) -> OfficerView | None:
        """An officer by their record id."""
        ...

    async def redeem_invite(
        self, code_hash: str, channel: str, chat_id: str, now: datetime
    ) -> OfficerView:
        """Bind this chat to the invited officer, or raise `InviteRefused`."""
        ...

    async def officers_of(self, unit: str) -> list[OfficerView]:
        """The active officers of a unit."""
        ...

    async def heads_of(self, unit: str) -> list[OfficerView]:
        """The active heads of a unit."""
        ...

    async def reachable_officers(self, unit: str) -> set[str]:
        """Handles of a unit's officers who have a chat bound."""
        ...

    async def officer_chats(self, officer_id: int) -> list[Recipient]:
        """The chats an officer is reachable in."""
        ...

    async def open_load(self, unit: str) -> dict[str, int]:
        """Open petitions per officer handle in a unit."""
        ...


class PetitionStore(Protocol):
    """Petitions (đơn): numbered, stored with their files, listed, moved on and reclassified."""

    async def next_petition_number(self, prefix: str, year: int) -> int:
        """Allocate the next number of a prefix and year."""
        ...

    async def add_petition(self, petition: NewPetition) -> int:
        """Store a petition with its attachments, deadlines and first event."""
        ...

    async def petition(self, petition_id: int) -> PetitionDetail | None:
        """One petition in full."""
        ...

    async def petition_id_by_code(self, code: str) -> int | None:
        """A petition's id from the code on its receipt."""
        ...

    async def petitions_of_citizen(self, citizen_id: int, limit: int) -> list[PetitionSummary]:
        """A citizen's petitions, newest first."""
        ...

    async def petitions_assigned(self, officer_id: int, limit: int) -> list[PetitionSummary]:
        """An officer's open petitions, soonest deadline first."""
        ...

    async def petitions_of_units(
        self, units: list[str], limit: int, due_before: date | None = None
    ) -> list[PetitionSummary]:
        """Open petitions of these units (overdue ones only, given a day), soonest first."""
        ...

    async def add_attachments(
        self, petition_id: int, channel: str, files: tuple[FileRef, ...]
    ) -> None:
        """Attach more files to a petition (a citizen's answer)."""
        ...

    async def petition_files(self, petition_id: int) -> tuple[FileRef, ...]:
        """Every file of a petition, oldest first, each with the platform its id belongs to."""
        ...

    async def set_state(self, petition_id: int, state: str, now: datetime) -> None:
        """Move a petition to a state (the service has checked the transition)."""
        ...

    async def reassign(self, petition_id: int, unit: str, assignee_handle: str | None) -> None:
        """Give a petition to another unit and officer."""
        ...

    async def classify(self, petition_id: int, kind: str, field: str, case: Case) -> None:
        """Record how the petition is classified."""
        ...

    async def record_outcome(self, petition_id: int, outcome: str) -> None:
        """Keep how a complaint or denunciation was decided."""
        ...

    async def grant_identity(
        self, petition_id: int, officer_id: int, granted_by: int, now: datetime
    ) -> bool:
        """Let one more officer see a denouncer's identity; False if they already may."""
        ...


class DeadlineStore(Protocol):
    """A petition's statutory dates: started, moved, extended and settled."""

    async def add_deadlines(
        self, petition_id: int, deadlines: list[tuple[str, date, date]]
    ) -> None:
        """Start new deadlines (rule id, start, due)."""
        ...

    async def move_deadline(self, petition_id: int, rule_id: str, due: date) -> None:
        """Set a new due date on an open deadline (after a reclassification)."""
        ...

    async def extend_deadline(
        self, petition_id: int, rule_id: str, due: date, extensions: int, complexity: str
    ) -> None:
        """Move an open deadline after an approved extension; keep how complex the case is."""
        ...

    async def settle_deadlines(self, petition_id: int, rule_ids: set[str], status: str) -> None:
        """Mark open deadlines of these rules met (or missed)."""
        ...


class HistoryStore(Protocol):
    """A petition's append-only history of events."""

    async def add_event(
        self,
        petition_id: int,
        actor: str,
        action: str,
        reason: str | None,
        payload: dict[str, Any],
        now: datetime,
    ) -> int:
        """Append to the petition's history; return the event's id."""
        ...

    async def last_event(self, petition_id: int, actions: set[str]) -> StoredEvent | None:
        """The most recent of these events on a petition."""
        ...

    async def petition_events(self, petition_id: int) -> list[EventView]:
        """A petition's history, oldest first."""
        ...


class RatingStore(Protocol):
    """How citizens judged the answers they got."""

    async def record_rating(self, petition_id: int, score: int, now: datetime) -> bool:
        """Keep a citizen's rating; False when the petition was rated before."""
        ...

    async def explain_rating(self, petition_id: int, reason: str, comment: str | None) -> bool:
        """Add the reason and comment to a rating that has none; False otherwise."""
        ...

    async def rating(self, petition_id: int) -> RatingView | None:
        """The citizen's rating of the answer, if they gave one."""
        ...


class JobStore(Protocol):
    """Work for later: reminders, escalations and notices run by the scheduler."""

    async def schedule(
        self, kind: str, due_at: datetime, payload: dict[str, Any], petition_id: int | None
    ) -> None:
        """Run a job (a reminder, an escalation) at `due_at`."""
        ...

    async def has_pending_job(self, kind: str, payload: dict[str, Any] | None = None) -> bool:
        """Whether a job of this kind (with this payload, if given) is waiting to run."""
        ...


class AuditStore(Protocol):
    """The log of who saw or exported personal data (LEGAL §4, §7)."""

    async def audit(
        self, actor: str, action: str, subject: str, detail: dict[str, Any], now: datetime
    ) -> None:
        """Log an access to personal data (LEGAL §4, §7)."""
        ...


class Store(
    CitizenStore,
    OfficerStore,
    PetitionStore,
    DeadlineStore,
    HistoryStore,
    RatingStore,
    JobStore,
    AuditStore,
    ReceptionStore,
    DialogueStore,
    ConsultationStore,
    SurveyStore,
    ReceptionDayStore,
    ReportStore,
    ExportStore,
    Protocol,
):
    """Everything handlers and services read or write, inside the current transaction: the union
    of the narrow ports above, each of which a caller (or a fake) may use on its own."""
