"""SQLAlchemy 2 models: the organisation, citizens, petitions and the bot's own machinery.

Times are stored in UTC (see `UTCDateTime`); deadlines are plain dates in Vietnam's calendar.
Constraint names follow a naming convention so that Alembic migrations are reversible on SQLite
and PostgreSQL alike.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    Date,
    DateTime,
    Float,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    TypeDecorator,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """Aware datetimes in, aware UTC datetimes out, whatever the backend keeps."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """Refuse naive times: a naive time in this system is a bug."""
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime stored")
        value = value.astimezone(UTC)
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        """SQLite returns naive values: they are UTC."""
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    """Declarative base with the naming convention."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)
    type_annotation_map: ClassVar[dict[Any, Any]] = {datetime: UTCDateTime(), dict[str, Any]: JSON}


class Unit(Base):
    """A body of the organisation tree: province, inspectorate, commune, office."""

    __tablename__ = "units"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[str] = mapped_column(String(32))
    parent_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), default=None)


class Area(Base):
    """A village or ward of a commune."""

    __tablename__ = "areas"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    name: Mapped[str] = mapped_column(String(200))


class Officer(Base):
    """A named official with roles in one unit."""

    __tablename__ = "officers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    handle: Mapped[str] = mapped_column(String(64), unique=True)
    name: Mapped[str] = mapped_column(String(200))
    title: Mapped[str] = mapped_column(String(200), default="")
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"))
    roles: Mapped[str] = mapped_column(String(200), default="")
    on_duty: Mapped[bool] = mapped_column(Boolean, default=True)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class OfficerBinding(Base):
    """An officer's chat on a messenger, made by redeeming an invite."""

    __tablename__ = "officer_bindings"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    bound_at: Mapped[datetime]


class Invite(Base):
    """A one-time code that binds a chat to an officer record; only its hash is kept."""

    __tablename__ = "invites"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    code_hash: Mapped[str] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime]
    expires_at: Mapped[datetime]
    used_at: Mapped[datetime | None] = mapped_column(default=None)


class Citizen(Base):
    """A person as seen on one channel; name and phone are personal data (LEGAL §7)."""

    __tablename__ = "citizens"
    __table_args__ = (UniqueConstraint("channel", "chat_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    user_id: Mapped[str] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(200), default=None)
    phone: Mapped[str | None] = mapped_column(String(32), default=None)
    address: Mapped[str | None] = mapped_column(String(500), default=None)
    consent_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]


class CodeCounter(Base):
    """The last petition number issued per unit and year."""

    __tablename__ = "code_counters"

    unit_code: Mapped[str] = mapped_column(String(32), primary_key=True)
    year: Mapped[int] = mapped_column(Integer, primary_key=True)
    last: Mapped[int] = mapped_column(Integer, default=0)


class Petition(Base):
    """Đơn: a complaint, denunciation, petition or feedback and where it stands."""

    __tablename__ = "petitions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    code: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))
    field: Mapped[str] = mapped_column(String(32))
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    area_code: Mapped[str | None] = mapped_column(ForeignKey("areas.code"), default=None)
    assignee_id: Mapped[int | None] = mapped_column(ForeignKey("officers.id"), default=None)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), index=True)
    state: Mapped[str] = mapped_column(String(24), index=True)
    instance: Mapped[int] = mapped_column(Integer, default=1)
    remote_area: Mapped[bool] = mapped_column(Boolean, default=False)
    complex: Mapped[bool] = mapped_column(Boolean, default=False)
    especially_complex: Mapped[bool] = mapped_column(Boolean, default=False)
    group_size: Mapped[int] = mapped_column(Integer, default=1)
    representatives: Mapped[int] = mapped_column(Integer, default=0)
    # A second complaint points at the first one (LKN Art. 33).
    parent_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"), default=None)
    # A commitment or an unanswered question of a dialogue session becomes a petition.
    dialogue_id: Mapped[int | None] = mapped_column(ForeignKey("dialogues.id"), default=None)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    filer_name: Mapped[str | None] = mapped_column(String(200), default=None)
    filer_phone: Mapped[str | None] = mapped_column(String(32), default=None)
    filer_address: Mapped[str | None] = mapped_column(String(500), default=None)
    content: Mapped[str] = mapped_column(Text)
    place_note: Mapped[str | None] = mapped_column(String(500), default=None)
    latitude: Mapped[float | None] = mapped_column(Float, default=None)
    longitude: Mapped[float | None] = mapped_column(Float, default=None)
    channel: Mapped[str] = mapped_column(String(16))
    received_at: Mapped[datetime] = mapped_column(index=True)  # a report's period
    accepted_at: Mapped[datetime | None] = mapped_column(default=None)
    closed_at: Mapped[datetime | None] = mapped_column(default=None)
    outcome: Mapped[str | None] = mapped_column(
        String(16), default=None
    )  # complaints, denunciations


class Attachment(Base):
    """A photo, document or voice note of a petition, with our own downloaded copy."""

    __tablename__ = "attachments"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"), index=True)
    channel: Mapped[str] = mapped_column(String(16))
    file_id: Mapped[str] = mapped_column(Text)  # Zalo's is the photo's URL: any length
    media: Mapped[str] = mapped_column(String(16))
    size: Mapped[int | None] = mapped_column(BigInteger, default=None)
    mime: Mapped[str | None] = mapped_column(String(100), default=None)
    name: Mapped[str | None] = mapped_column(String(255), default=None)
    local_path: Mapped[str | None] = mapped_column(String(500), default=None)
    fetch_attempts: Mapped[int] = mapped_column(Integer, default=0)


class PetitionEvent(Base):
    """Append-only history: who did what to a petition, when and why."""

    __tablename__ = "petition_events"
    # A report finds the steps of a period (acceptances, answers …) without reading the rest.
    __table_args__ = (Index("ix_petition_events_action_at", "action", "at"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"), index=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(32))
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Deadline(Base):
    """A statutory date a petition runs on, with the rule it comes from."""

    __tablename__ = "deadlines"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"), index=True)
    rule_id: Mapped[str] = mapped_column(String(32))
    start_date: Mapped[date] = mapped_column(Date)
    due_date: Mapped[date] = mapped_column(Date, index=True)
    extensions: Mapped[int] = mapped_column(Integer, default=0)
    status: Mapped[str] = mapped_column(String(16), default="open")


class Conversation(Base):
    """Where a chat stands in a conversation; survives restarts and is shared by workers."""

    __tablename__ = "conversations"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    chat_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    state: Mapped[str] = mapped_column(String(48), default="")
    step: Mapped[int] = mapped_column(Integer, default=0)
    data: Mapped[dict[str, Any]] = mapped_column(default=dict)
    locale: Mapped[str | None] = mapped_column(String(8), default=None)
    updated_at: Mapped[datetime]
    # How fast the chat writes (bot.pace): the bucket's level at its last update, and when.
    pace: Mapped[float] = mapped_column(Float, default=0.0, server_default=text("0"))
    paced_at: Mapped[datetime | None] = mapped_column(default=None)


class InboxUpdate(Base):
    """An acknowledged update: stored before we say "got it" to the platform, handled once."""

    __tablename__ = "inbox"
    __table_args__ = (
        UniqueConstraint("channel", "update_key"),
        Index(
            "ix_inbox_pending",
            "id",
            sqlite_where=text("processed_at IS NULL"),
            postgresql_where=text("processed_at IS NULL"),
        ),
        # When a person last wrote: the Zalo OA reply window counts from it, at every send.
        Index("ix_inbox_chat", "channel", "chat_id", "received_at"),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    update_key: Mapped[str] = mapped_column(String(128))
    chat_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    received_at: Mapped[datetime]
    processed_at: Mapped[datetime | None] = mapped_column(default=None)
    error: Mapped[str | None] = mapped_column(Text, default=None)


class OutboxMessage(Base):
    """A message to send: written with the state change that caused it, sent by the outbox."""

    __tablename__ = "outbox"
    __table_args__ = (
        Index(
            "ix_outbox_pending",
            "not_before",
            "id",
            sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
            postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
        ),
        # A chat's unsent messages: the fair sweep looks each candidate's chat up in them (a
        # claim held elsewhere). Without it a backlog of 10 000 took a minute a sweep.
        Index(
            "ix_outbox_unsent_chat",
            "channel",
            "chat_id",
            "id",
            sqlite_where=text("sent_at IS NULL AND failed_at IS NULL"),
            postgresql_where=text("sent_at IS NULL AND failed_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    channel: Mapped[str] = mapped_column(String(16))
    chat_id: Mapped[str] = mapped_column(String(64))
    payload: Mapped[dict[str, Any]]
    created_at: Mapped[datetime]
    not_before: Mapped[datetime]
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    sent_at: Mapped[datetime | None] = mapped_column(default=None)
    failed_at: Mapped[datetime | None] = mapped_column(default=None)
    last_error: Mapped[str | None] = mapped_column(Text, default=None)
    platform_message_id: Mapped[str | None] = mapped_column(String(64), default=None)
    # The worker sending it, and until when that claim holds (a dead worker's runs out).
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    claimed_until: Mapped[datetime | None] = mapped_column(default=None)
    # A reply held back while its chat floods (bot.pace): a later one supersedes it.
    withheld: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())


class ZaloOaToken(Base):
    """A Zalo Official Account's tokens. The refresh token works once and Zalo hands out a new
    one with every refresh, so the last one must outlive the process (bot.channels.zalo_oa_tokens).
    """

    __tablename__ = "zalo_oa_tokens"

    app_id: Mapped[str] = mapped_column(String(64), primary_key=True)
    access_token: Mapped[str] = mapped_column(Text)
    refresh_token: Mapped[str] = mapped_column(Text)
    expires_at: Mapped[datetime]
    refreshed_at: Mapped[datetime | None] = mapped_column(default=None)


class SendRate(Base):
    """When a channel may send its next message, shared by every worker so that together they
    keep the platform's global limit (bot.outbox.SharedRate). Seconds since the epoch on the
    database's clock, which all workers read alike."""

    __tablename__ = "send_rates"

    channel: Mapped[str] = mapped_column(String(16), primary_key=True)
    next_at: Mapped[float] = mapped_column(Float)


class AuditEntry(Base):
    """Who saw or exported what: makes a breach report within 72 hours possible (LEGAL §7)."""

    __tablename__ = "audit_log"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    at: Mapped[datetime]
    actor: Mapped[str] = mapped_column(String(64))
    action: Mapped[str] = mapped_column(String(48))
    subject: Mapped[str] = mapped_column(String(64))
    detail: Mapped[dict[str, Any]] = mapped_column(default=dict)


class Job(Base):
    """Something to do at a time (a reminder, an escalation): claimed, done, never twice."""

    __tablename__ = "jobs"
    __table_args__ = (
        Index(
            "ix_jobs_due",
            "due_at",
            sqlite_where=text("done_at IS NULL"),
            postgresql_where=text("done_at IS NULL"),
        ),
    )

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    kind: Mapped[str] = mapped_column(String(32))
    due_at: Mapped[datetime]
    payload: Mapped[dict[str, Any]] = mapped_column(default=dict)
    petition_id: Mapped[int | None] = mapped_column(
        ForeignKey("petitions.id"), index=True, default=None
    )
    claimed_at: Mapped[datetime | None] = mapped_column(default=None)
    claimed_by: Mapped[str | None] = mapped_column(String(64), default=None)
    done_at: Mapped[datetime | None] = mapped_column(default=None)
    attempts: Mapped[int] = mapped_column(Integer, default=0)


class Rating(Base):
    """How the citizen judged the answer (1-5), once per petition; feeds satisfaction reports."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"), unique=True)
    score: Mapped[int] = mapped_column(Integer)
    reason: Mapped[str | None] = mapped_column(String(32), default=None)
    comment: Mapped[str | None] = mapped_column(Text, default=None)
    rated_at: Mapped[datetime]


class IdentityGrant(Base):
    """A head lets one more officer see a denouncer's identity (LEGAL §4); each grant is kept."""

    __tablename__ = "identity_grants"
    __table_args__ = (UniqueConstraint("petition_id", "officer_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    petition_id: Mapped[int] = mapped_column(ForeignKey("petitions.id"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    granted_by: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    granted_at: Mapped[datetime]


class Reception(Base):
    """Tiếp công dân: a visit to the office, recorded by an officer; feeds the reception form."""

    __tablename__ = "receptions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    recorded_by: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    received_at: Mapped[datetime] = mapped_column(index=True)
    kind: Mapped[str] = mapped_column(String(16))  # regular | scheduled | unscheduled
    head_in_person: Mapped[bool] = mapped_column(Boolean, default=False)
    group_size: Mapped[int] = mapped_column(Integer, default=1)
    visitor_name: Mapped[str | None] = mapped_column(String(200), default=None)
    visitor_phone: Mapped[str | None] = mapped_column(String(32), default=None)
    field: Mapped[str | None] = mapped_column(String(32), default=None)
    content: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))  # guided | explained | petition
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"), default=None)


class Subscription(Base):
    """A place (a commune or a village) a citizen follows for news of dialogues."""

    __tablename__ = "subscriptions"
    __table_args__ = (UniqueConstraint("citizen_id", "place"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    place: Mapped[str] = mapped_column(String(32), index=True)  # a unit or an area code
    created_at: Mapped[datetime]


class Dialogue(Base):
    """A dialogue session (tiếp xúc, đối thoại) of a leader with the people of some places."""

    __tablename__ = "dialogues"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    leader_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    created_by: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    topic: Mapped[str] = mapped_column(Text)
    starts_at: Mapped[datetime] = mapped_column(index=True)
    place: Mapped[str | None] = mapped_column(String(300), default=None)
    link: Mapped[str | None] = mapped_column(String(500), default=None)
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)  # unit and area codes
    capacity: Mapped[int] = mapped_column(Integer)
    registration_closes_at: Mapped[datetime]
    subscribers_may_ask: Mapped[bool] = mapped_column(Boolean, default=False)
    state: Mapped[str] = mapped_column(String(16), default="announced")  # announced|cancelled|held
    attendance: Mapped[int | None] = mapped_column(Integer, default=None)
    minutes: Mapped[str | None] = mapped_column(Text, default=None)
    created_at: Mapped[datetime]
    held_at: Mapped[datetime | None] = mapped_column(default=None)


class DialogueRegistration(Base):
    """A citizen's seat at a session, or their place on its waitlist (in id order)."""

    __tablename__ = "dialogue_registrations"
    __table_args__ = (UniqueConstraint("dialogue_id", "citizen_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    status: Mapped[str] = mapped_column(String(16))  # registered | waitlisted | cancelled
    created_at: Mapped[datetime]
    changed_at: Mapped[datetime]


class DialogueQuestion(Base):
    """A question sent ahead of a session, moderated by staff and routed to a unit."""

    __tablename__ = "dialogue_questions"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    dialogue_id: Mapped[int] = mapped_column(ForeignKey("dialogues.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    text: Mapped[str] = mapped_column(Text)
    # pending | accepted | merged | rejected | answered
    status: Mapped[str] = mapped_column(String(16), default="pending")
    merged_into: Mapped[int | None] = mapped_column(
        ForeignKey("dialogue_questions.id"), default=None
    )
    unit_code: Mapped[str | None] = mapped_column(ForeignKey("units.code"), default=None)
    reason: Mapped[str | None] = mapped_column(Text, default=None)
    petition_id: Mapped[int | None] = mapped_column(ForeignKey("petitions.id"), default=None)
    created_at: Mapped[datetime]


class ReceptionSchedule(Base):
    """A head's recurring reception day (tiếp công dân định kỳ), e.g. Tuesday mornings."""

    __tablename__ = "reception_schedules"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    officer_id: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday
    starts: Mapped[str] = mapped_column(String(5))  # HH:MM, Asia/Ho_Chi_Minh
    ends: Mapped[str] = mapped_column(String(5))
    slot_minutes: Mapped[int] = mapped_column(Integer)
    capacity: Mapped[int] = mapped_column(Integer)  # people per slot
    place: Mapped[str] = mapped_column(String(300))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    created_at: Mapped[datetime]


class ReceptionBooking(Base):
    """A citizen's booked slot on a reception day; its outcome becomes a reception record."""

    __tablename__ = "reception_bookings"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("reception_schedules.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"), index=True)
    slot_at: Mapped[datetime] = mapped_column(index=True)
    topic: Mapped[str] = mapped_column(Text)
    status: Mapped[str] = mapped_column(String(16))  # booked | cancelled | attended | no_show
    reception_id: Mapped[int | None] = mapped_column(ForeignKey("receptions.id"), default=None)
    created_at: Mapped[datetime]


class ReceptionDayClosure(Base):
    """One reception day of a schedule called off (the head is called away): not offered again."""

    __tablename__ = "reception_day_closures"
    __table_args__ = (UniqueConstraint("schedule_id", "day"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    schedule_id: Mapped[int] = mapped_column(ForeignKey("reception_schedules.id"))
    day: Mapped[date] = mapped_column(Date)  # in Hà Nội
    reason: Mapped[str] = mapped_column(Text)
    closed_by: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    closed_at: Mapped[datetime]


class Consultation(Base):
    """A public consultation (lấy ý kiến): a draft put to the people of some places, with a
    question set, open between two dates."""

    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    unit_code: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    created_by: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    title: Mapped[str] = mapped_column(String(300))
    summary: Mapped[str] = mapped_column(Text)
    document: Mapped[dict[str, Any] | None] = mapped_column(JSON, default=None)  # a FileRef
    audience: Mapped[list[str]] = mapped_column(JSON, default=list)  # unit and area codes
    questions: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    anonymous: Mapped[bool] = mapped_column(Boolean, default=False)
    opens_at: Mapped[datetime]
    closes_at: Mapped[datetime] = mapped_column(index=True)
    state: Mapped[str] = mapped_column(String(16), default="published")  # published|summarised
    result: Mapped[str | None] = mapped_column(Text, default=None)  # tổng hợp ý kiến
    summarised_at: Mapped[datetime | None] = mapped_column(default=None)
    created_at: Mapped[datetime]
    # How many followers the announcement was queued to (the participation rate's denominator).
    reached: Mapped[int | None] = mapped_column(Integer, default=None)
    # A satisfaction survey's questionnaire for one unit: sent to those invited, never listed.
    survey_id: Mapped[int | None] = mapped_column(ForeignKey("surveys.id"), default=None)


class ConsultationParticipant(Base):
    """Who took part (started, and whether they finished), and from which village. Never a link
    to their answers: an anonymous consultation's answers are kept apart."""

    __tablename__ = "consultation_participants"
    __table_args__ = (UniqueConstraint("consultation_id", "citizen_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    village: Mapped[str | None] = mapped_column(String(32), default=None)
    started_at: Mapped[datetime]
    finished: Mapped[bool] = mapped_column(Boolean, default=False)


class ConsultationAnswerSet(Base):
    """One person's answers. Named: with the citizen and village, one per citizen. Anonymous:
    neither, nor a time, and a random id (no order to match with the participants')."""

    __tablename__ = "consultation_answer_sets"
    __table_args__ = (UniqueConstraint("consultation_id", "citizen_id"),)

    id: Mapped[str] = mapped_column(String(32), primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    citizen_id: Mapped[int | None] = mapped_column(ForeignKey("citizens.id"), default=None)
    village: Mapped[str | None] = mapped_column(String(32), default=None)
    submitted_at: Mapped[datetime | None] = mapped_column(default=None)


class ConsultationAnswer(Base):
    """One answer: a chosen option's token (one row each), a scale's number, or words; an
    opinion (words) may be marked taken in or answered, with the commune's reply."""

    __tablename__ = "consultation_answers"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    answer_set_id: Mapped[str] = mapped_column(
        ForeignKey("consultation_answer_sets.id", ondelete="CASCADE"), index=True
    )
    question: Mapped[int] = mapped_column(Integer)
    value: Mapped[str] = mapped_column(Text)
    mark: Mapped[str | None] = mapped_column(String(16), default=None)  # taken_in | answered
    reply: Mapped[str | None] = mapped_column(Text, default=None)


class Survey(Base):
    """A satisfaction survey (bot/data/surveys/) of the petitions a scope answered in a period:
    one anonymous questionnaire (a `Consultation`) per unit that answered them."""

    __tablename__ = "surveys"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    template: Mapped[str] = mapped_column(String(32))
    period: Mapped[str] = mapped_column(String(32))  # the report period's name: "2026-Q1"
    period_start: Mapped[datetime]
    period_end: Mapped[datetime]  # the instant after it
    scope_unit: Mapped[str] = mapped_column(ForeignKey("units.code"), index=True)
    sample: Mapped[int | None] = mapped_column(Integer, default=None)  # None: all of them
    started_by: Mapped[int] = mapped_column(ForeignKey("officers.id"))
    created_at: Mapped[datetime]


class SurveyInvitation(Base):
    """A citizen sent a survey. At most one per person per period, whoever sends it."""

    __tablename__ = "survey_invitations"
    __table_args__ = (UniqueConstraint("period", "citizen_id"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    survey_id: Mapped[int] = mapped_column(ForeignKey("surveys.id"), index=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), index=True)
    citizen_id: Mapped[int] = mapped_column(ForeignKey("citizens.id"))
    period: Mapped[str] = mapped_column(String(32))
    invited_at: Mapped[datetime]
