"""Follows, dialogue sessions, seats and questions in memory: the fake `DialogueStore`."""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable
from datetime import datetime

from bot.core import Recipient, Reply, notice
from bot.ports import DialogueView, NewDialogue, QuestionView
from tests.fakes.tables import DialogueRow, SeatRow, Tables


class FakeDialogues:
    """Implements `bot.ports.DialogueStore` over `Tables`."""

    tables: Tables

    async def subscribe(self, citizen_id: int, place: str, now: datetime) -> bool:
        if (citizen_id, place) in self.tables.follows:
            return False
        self.tables.follows[citizen_id, place] = now
        return True

    async def unsubscribe(self, citizen_id: int, place: str) -> bool:
        return self.tables.follows.pop((citizen_id, place), None) is not None

    async def subscriptions(self, citizen_id: int) -> list[str]:
        return [place for follower, place in self.tables.follows if follower == citizen_id]

    async def add_dialogue(self, dialogue: NewDialogue) -> int:
        row = DialogueRow(self.tables.new_id("dialogue"), dialogue)
        self.tables.dialogues[row.id] = row
        return row.id

    async def dialogue(self, dialogue_id: int) -> DialogueView | None:
        row = self.tables.dialogues.get(dialogue_id)
        return self._view(row) if row else None

    async def upcoming_dialogues(
        self, now: datetime, units: list[str] | None, limit: int
    ) -> list[DialogueView]:
        rows = [
            row
            for row in self.tables.dialogues.values()
            if row.state == "announced"
            and row.plan.starts_at > now
            and (units is None or row.plan.unit in units)
        ]
        rows.sort(key=lambda row: (row.plan.starts_at, row.id))
        return [self._view(row) for row in rows[:limit]]

    async def recent_dialogues(self, units: list[str], limit: int) -> list[DialogueView]:
        rows = [row for row in self.tables.dialogues.values() if row.plan.unit in units]
        rows.sort(key=lambda row: row.plan.starts_at, reverse=True)
        return [self._view(row) for row in rows[:limit]]

    async def reschedule_dialogue(
        self,
        dialogue_id: int,
        starts_at: datetime,
        place: str | None,
        link: str | None,
        registration_closes_at: datetime,
    ) -> None:
        row = self.tables.dialogues[dialogue_id]
        row.plan = dataclasses.replace(
            row.plan,
            starts_at=starts_at,
            place=place,
            link=link,
            registration_closes_at=registration_closes_at,
        )

    async def set_dialogue_state(self, dialogue_id: int, state: str, now: datetime) -> None:
        row = self.tables.dialogues[dialogue_id]
        row.state = state
        if state == "held":
            row.held_at = now

    async def record_session(self, dialogue_id: int, attendance: int, minutes: str) -> None:
        row = self.tables.dialogues[dialogue_id]
        row.attendance, row.minutes = attendance, minutes

    async def seat_of(self, dialogue_id: int, citizen_id: int) -> str | None:
        seat = self.tables.seats.get((dialogue_id, citizen_id))
        return seat.status if seat else None

    async def save_seat(
        self, dialogue_id: int, citizen_id: int, status: str, now: datetime
    ) -> None:
        seat = self.tables.seats.get((dialogue_id, citizen_id))
        if seat is None:
            seat = SeatRow(self.tables.new_id("seat"), dialogue_id, citizen_id, status, now)
            self.tables.seats[dialogue_id, citizen_id] = seat
        seat.status, seat.changed_at = status, now

    async def first_waitlisted(self, dialogue_id: int) -> int | None:
        holders = await self.seat_holders(dialogue_id, {"waitlisted"})
        return holders[0] if holders else None

    async def seat_holders(self, dialogue_id: int, statuses: set[str]) -> list[int]:
        seats = [
            seat
            for seat in self.tables.seats.values()
            if seat.dialogue_id == dialogue_id and seat.status in statuses
        ]
        seats.sort(key=lambda seat: (seat.changed_at, seat.id))
        return [seat.citizen_id for seat in seats]

    async def seats_of_citizen(
        self, citizen_id: int, now: datetime
    ) -> list[tuple[DialogueView, str]]:
        found = [
            (self.tables.dialogues[seat.dialogue_id], seat.status)
            for seat in self.tables.seats.values()
            if seat.citizen_id == citizen_id and seat.status != "cancelled"
        ]
        ahead = sorted(
            (item for item in found if item[0].plan.starts_at > now),
            key=lambda item: item[0].plan.starts_at,
        )
        return [(self._view(row), status) for row, status in ahead]

    def _view(self, row: DialogueRow) -> DialogueView:
        statuses = [
            seat.status for seat in self.tables.seats.values() if seat.dialogue_id == row.id
        ]
        plan = row.plan
        return DialogueView(
            id=row.id,
            unit=plan.unit,
            leader_id=plan.leader_id,
            topic=plan.topic,
            starts_at=plan.starts_at,
            place=plan.place,
            link=plan.link,
            audience=plan.audience,
            capacity=plan.capacity,
            registration_closes_at=plan.registration_closes_at,
            subscribers_may_ask=plan.subscribers_may_ask,
            state=row.state,
            registered=statuses.count("registered"),
            waitlisted=statuses.count("waitlisted"),
            attendance=row.attendance,
            minutes=row.minutes,
        )

    async def add_question(
        self, dialogue_id: int, citizen_id: int, text: str, now: datetime
    ) -> int:
        question_id = self.tables.new_id("question")
        self.tables.questions[question_id] = QuestionView(
            question_id, dialogue_id, citizen_id, text, "pending", None, None, None, None
        )
        return question_id

    async def question(self, question_id: int) -> QuestionView | None:
        return self.tables.questions.get(question_id)

    async def questions(self, dialogue_id: int, statuses: set[str]) -> list[QuestionView]:
        return [
            question
            for question in self.tables.questions.values()
            if question.dialogue_id == dialogue_id and question.status in statuses
        ]

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
        question = self.tables.questions[question_id]
        self.tables.questions[question_id] = dataclasses.replace(
            question,
            status=status,
            unit=question.unit if unit is None else unit,
            reason=question.reason if reason is None else reason,
            merged_into=question.merged_into if merged_into is None else merged_into,
            petition_id=question.petition_id if petition_id is None else petition_id,
        )

    async def fan_out(
        self,
        places: set[str],
        registrants_of: int | None,
        replies: dict[str, Reply],
        default_locale: str,
        now: datetime,
    ) -> int:
        """Each follower once, whatever they follow and whether they registered too."""
        followers = {citizen for citizen, place in self.tables.follows if place in places}
        if registrants_of is not None:
            followers |= {
                seat.citizen_id
                for seat in self.tables.seats.values()
                if seat.dialogue_id == registrants_of and seat.status != "cancelled"
            }
        chats = [self.tables.citizens[citizen].chat for citizen in sorted(followers)]
        queued = 0
        for language, reply in replies.items():
            readers = self._reading(chats, language, default_locale)
            self.tables.outbox += [(chat, notice(reply)) for chat in readers]
            queued += len(readers)
        return queued

    def _reading(
        self, chats: Iterable[Recipient], language: str, default_locale: str
    ) -> list[Recipient]:
        """The chats that read this language (their own, or the default)."""
        locales = self.tables.locales
        return [chat for chat in chats if locales.get(chat, default_locale) == language]
