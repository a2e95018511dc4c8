"""Subscriptions, dialogue sessions, registrations and questions: the `DialogueStore` part."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import and_, case, func, insert, literal, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Reply, notice
from bot.ports import DialogueView, NewDialogue, QuestionView
from storage import models as m
from storage.queues import OUTBOX


class DialogueRecords:
    """Implements `bot.ports.DialogueStore` inside the caller's transaction."""

    session: AsyncSession

    async def subscribe(self, citizen_id: int, place: str, now: datetime) -> bool:
        if place in await self.subscriptions(citizen_id):
            return False
        self.session.add(m.Subscription(citizen_id=citizen_id, place=place, created_at=now))
        await self.session.flush()
        return True

    async def unsubscribe(self, citizen_id: int, place: str) -> bool:
        row = await self.session.scalar(
            select(m.Subscription).where(
                m.Subscription.citizen_id == citizen_id, m.Subscription.place == place
            )
        )
        if row is None:
            return False
        await self.session.delete(row)
        await self.session.flush()
        return True

    async def subscriptions(self, citizen_id: int) -> list[str]:
        rows = await self.session.scalars(
            select(m.Subscription.place)
            .where(m.Subscription.citizen_id == citizen_id)
            .order_by(m.Subscription.id)
        )
        return list(rows)

    async def add_dialogue(self, dialogue: NewDialogue) -> int:
        row = m.Dialogue(
            unit_code=dialogue.unit,
            leader_id=dialogue.leader_id,
            created_by=dialogue.created_by,
            topic=dialogue.topic,
            starts_at=dialogue.starts_at,
            place=dialogue.place,
            link=dialogue.link,
            audience=list(dialogue.audience),
            capacity=dialogue.capacity,
            registration_closes_at=dialogue.registration_closes_at,
            subscribers_may_ask=dialogue.subscribers_may_ask,
            state="announced",
            created_at=dialogue.created_at,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def dialogue(self, dialogue_id: int) -> DialogueView | None:
        views = await self._views(select(m.Dialogue).where(m.Dialogue.id == dialogue_id))
        return views[0] if views else None

    async def upcoming_dialogues(
        self, now: datetime, units: list[str] | None, limit: int
    ) -> list[DialogueView]:
        query = select(m.Dialogue).where(
            m.Dialogue.state == "announced", m.Dialogue.starts_at > now
        )
        if units is not None:
            query = query.where(m.Dialogue.unit_code.in_(units))
        return await self._views(query.order_by(m.Dialogue.starts_at).limit(limit))

    async def recent_dialogues(self, units: list[str], limit: int) -> list[DialogueView]:
        return await self._views(
            select(m.Dialogue)
            .where(m.Dialogue.unit_code.in_(units))
            .order_by(m.Dialogue.starts_at.desc())
            .limit(limit)
        )

    async def _views(self, query: Any) -> list[DialogueView]:
        """Sessions with their seat counts, counted in the database."""
        rows = list(await self.session.scalars(query))
        if not rows:
            return []
        seats = m.DialogueRegistration
        counts = {
            dialogue_id: (registered, waitlisted)
            for dialogue_id, registered, waitlisted in await self.session.execute(
                select(
                    seats.dialogue_id,
                    func.sum(case((seats.status == "registered", 1), else_=0)),
                    func.sum(case((seats.status == "waitlisted", 1), else_=0)),
                )
                .where(seats.dialogue_id.in_([row.id for row in rows]))
                .group_by(seats.dialogue_id)
            )
        }
        return [_view(row, *counts.get(row.id, (0, 0))) for row in rows]

    async def reschedule_dialogue(
        self,
        dialogue_id: int,
        starts_at: datetime,
        place: str | None,
        link: str | None,
        registration_closes_at: datetime,
    ) -> None:
        row = await self.session.get_one(m.Dialogue, dialogue_id)
        row.starts_at, row.place, row.link = starts_at, place, link
        row.registration_closes_at = registration_closes_at

    async def set_dialogue_state(self, dialogue_id: int, state: str, now: datetime) -> None:
        row = await self.session.get_one(m.Dialogue, dialogue_id)
        row.state = state
        if state == "held":
            row.held_at = now

    async def record_session(self, dialogue_id: int, attendance: int, minutes: str) -> None:
        row = await self.session.get_one(m.Dialogue, dialogue_id)
        row.attendance, row.minutes = attendance, minutes

    async def seat_of(self, dialogue_id: int, citizen_id: int) -> str | None:
        return await self.session.scalar(
            select(m.DialogueRegistration.status).where(
                m.DialogueRegistration.dialogue_id == dialogue_id,
                m.DialogueRegistration.citizen_id == citizen_id,
            )
        )

    async def save_seat(
        self, dialogue_id: int, citizen_id: int, status: str, now: datetime
    ) -> None:
        row = await self.session.scalar(
            select(m.DialogueRegistration).where(
                m.DialogueRegistration.dialogue_id == dialogue_id,
                m.DialogueRegistration.citizen_id == citizen_id,
            )
        )
        if row is None:
            row = m.DialogueRegistration(
                dialogue_id=dialogue_id, citizen_id=citizen_id, created_at=now, status=status
            )
            self.session.add(row)
        row.status, row.changed_at = status, now
        await self.session.flush()

    async def first_waitlisted(self, dialogue_id: int) -> int | None:
        holders = await self.seat_holders(dialogue_id, {"waitlisted"})
        return holders[0] if holders else None

    async def seat_holders(self, dialogue_id: int, statuses: set[str]) -> list[int]:
        rows = await self.session.scalars(
            select(m.DialogueRegistration.citizen_id)
            .where(
                m.DialogueRegistration.dialogue_id == dialogue_id,
                m.DialogueRegistration.status.in_(sorted(statuses)),
            )
            .order_by(m.DialogueRegistration.changed_at, m.DialogueRegistration.id)
        )
        return list(rows)

    async def seats_of_citizen(
        self, citizen_id: int, now: datetime
    ) -> list[tuple[DialogueView, str]]:
        rows = list(
            await self.session.execute(
                select(m.DialogueRegistration.dialogue_id, m.DialogueRegistration.status)
                .join(m.Dialogue, m.Dialogue.id == m.DialogueRegistration.dialogue_id)
                .where(
                    m.DialogueRegistration.citizen_id == citizen_id,
                    m.DialogueRegistration.status != "cancelled",
                    m.Dialogue.starts_at > now,
                )
                .order_by(m.Dialogue.starts_at)
            )
        )
        views = {
            view.id: view
            for view in await self._views(
                select(m.Dialogue).where(m.Dialogue.id.in_([row[0] for row in rows]))
            )
        }
        return [(views[dialogue_id], status) for dialogue_id, status in rows]

    async def add_question(
        self, dialogue_id: int, citizen_id: int, text: str, now: datetime
    ) -> int:
        row = m.DialogueQuestion(
            dialogue_id=dialogue_id, citizen_id=citizen_id, text=text, created_at=now
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def question(self, question_id: int) -> QuestionView | None:
        row = await self.session.get(m.DialogueQuestion, question_id)
        return _question(row) if row else None

    async def questions(self, dialogue_id: int, statuses: set[str]) -> list[QuestionView]:
        rows = await self.session.scalars(
            select(m.DialogueQuestion)
            .where(
                m.DialogueQuestion.dialogue_id == dialogue_id,
                m.DialogueQuestion.status.in_(sorted(statuses)),
            )
            .order_by(m.DialogueQuestion.id)
        )
        return [_question(row) for row in rows]

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
        values: dict[str, Any] = {"status": status}
        for name, value in (
            ("unit_code", unit),
            ("reason", reason),
            ("merged_into", merged_into),
            ("petition_id", petition_id),
        ):
            if value is not None:
                values[name] = value
        await self.session.execute(
            update(m.DialogueQuestion).where(m.DialogueQuestion.id == question_id).values(values)
        )

    async def fan_out(
        self,
        places: set[str],
        registrants_of: int | None,
        replies: dict[str, Reply],
        default_locale: str,
        now: datetime,
    ) -> int:
        """One INSERT ... SELECT per language: a person following two places, or following one
        and registered too, gets one message."""
        subscribed = select(m.Subscription.citizen_id).where(
            m.Subscription.place.in_(sorted(places))
        )
        registered = select(m.DialogueRegistration.citizen_id).where(
            m.DialogueRegistration.dialogue_id == registrants_of,
            m.DialogueRegistration.status != "cancelled",
        )
        followers = (
            subscribed.union(registered) if registrants_of is not None else subscribed.distinct()
        ).subquery()
        return await queue_for(self.session, followers, replies, default_locale, now)


async def queue_for(
    session: AsyncSession,
    followers: Any,
    replies: dict[str, Reply],
    default_locale: str,
    now: datetime,
) -> int:
    """Queue each citizen of `followers` (a subquery of `citizen_id`, each once) their reply in
    their language: one INSERT ... SELECT per language, in the caller's transaction."""
    locale = func.coalesce(m.Conversation.locale, default_locale)
    queued = 0
    for language, reply in replies.items():
        rows = (
            select(
                m.Citizen.channel,
                m.Citizen.chat_id,
                literal(notice(reply).to_json(), OUTBOX.c.payload.type),
                literal(now, OUTBOX.c.created_at.type),
                literal(now, OUTBOX.c.not_before.type),
                literal(0),
            )
            .join(followers, followers.c.citizen_id == m.Citizen.id)
            .outerjoin(
                m.Conversation,
                and_(
                    m.Conversation.channel == m.Citizen.channel,
                    m.Conversation.chat_id == m.Citizen.chat_id,
                ),
            )
            .where(locale == language)
            .order_by(m.Citizen.id)
        )
        result = await session.execute(
            insert(OUTBOX).from_select(
                ["channel", "chat_id", "payload", "created_at", "not_before", "attempts"],
                rows,
            )
        )
        queued += int(getattr(result, "rowcount", 0) or 0)
    return queued


def _view(row: m.Dialogue, registered: int | None, waitlisted: int | None) -> DialogueView:
    return DialogueView(
        id=row.id,
        unit=row.unit_code,
        leader_id=row.leader_id,
        topic=row.topic,
        starts_at=row.starts_at,
        place=row.place,
        link=row.link,
        audience=tuple(row.audience),
        capacity=row.capacity,
        registration_closes_at=row.registration_closes_at,
        subscribers_may_ask=row.subscribers_may_ask,
        state=row.state,
        registered=int(registered or 0),
        waitlisted=int(waitlisted or 0),
        attendance=row.attendance,
        minutes=row.minutes,
    )


def _question(row: m.DialogueQuestion) -> QuestionView:
    return QuestionView(
        id=row.id,
        dialogue_id=row.dialogue_id,
        citizen_id=row.citizen_id,
        text=row.text,
        status=row.status,
        unit=row.unit_code,
        reason=row.reason,
        merged_into=row.merged_into,
        petition_id=row.petition_id,
    )
