"""Consultations, who took part and their answers in memory: the fake `ConsultationStore`."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from bot.core import Reply, notice
from bot.domain.consultations import QuestionKind
from bot.ports import Answers, ConsultationView, NewConsultation, OpinionView
from tests.fakes.tables import Tables


@dataclass
class ConsultationRow:
    """A consultation as published, and its summary once sent."""

    id: int
    plan: NewConsultation
    state: str = "published"
    result: str | None = None
    reached: int | None = None
    survey: int | None = None


@dataclass
class ParticipantRow:
    """Who started answering, for which village, and whether they finished."""

    citizen_id: int
    village: str | None
    finished: bool = False


@dataclass
class AnswerSetRow:
    """An answer set; anonymous ones carry no citizen and no village."""

    id: str
    consultation_id: int
    citizen_id: int | None
    village: str | None
    answers: dict[int, list[tuple[int, str]]]  # question → (answer id, value)


@dataclass
class MarkRow:
    """An opinion's mark and the commune's reply."""

    mark: str
    reply: str


class FakeConsultations:
    """Implements `bot.ports.ConsultationStore` over `Tables` (in its `consultations` dict)."""

    tables: Tables

    def _c(self) -> dict[str, dict]:  # type: ignore[type-arg]
        return self.tables.extra.setdefault(  # type: ignore[no-any-return]
            "consultations",
            {"rows": {}, "participants": {}, "sets": {}, "marks": {}},
        )

    async def add_consultation(self, consultation: NewConsultation) -> int:
        row = ConsultationRow(self.tables.new_id("consultation"), consultation)
        self._c()["rows"][row.id] = row
        return row.id

    async def consultation(self, consultation_id: int) -> ConsultationView | None:
        row = self._c()["rows"].get(consultation_id)
        return self._consultation_view(row) if row else None

    def _consultation_view(self, row: ConsultationRow) -> ConsultationView:
        people = [p for (c, _), p in self._c()["participants"].items() if c == row.id]
        plan = row.plan
        return ConsultationView(
            id=row.id,
            unit=plan.unit,
            title=plan.title,
            summary=plan.summary,
            document=plan.document,
            audience=plan.audience,
            questions=plan.questions,
            anonymous=plan.anonymous,
            opens_at=plan.opens_at,
            closes_at=plan.closes_at,
            state=row.state,
            result=row.result,
            started=len(people),
            finished=sum(p.finished for p in people),
            reached=row.reached,
            survey=row.survey,
        )

    async def consultations_of(self, units: list[str], limit: int) -> list[ConsultationView]:
        rows = [r for r in self._c()["rows"].values() if r.plan.unit in units and r.survey is None]
        rows.sort(key=lambda r: (r.plan.closes_at, r.id), reverse=True)
        return [self._consultation_view(r) for r in rows[:limit]]

    async def open_consultations(self, now: datetime, limit: int) -> list[ConsultationView]:
        rows = [
            r
            for r in self._c()["rows"].values()
            if r.plan.opens_at <= now < r.plan.closes_at and r.survey is None
        ]
        rows.sort(key=lambda r: (r.plan.closes_at, r.id))
        return [self._consultation_view(r) for r in rows[:limit]]

    async def join_consultation(
        self, consultation_id: int, citizen_id: int, village: str | None, now: datetime
    ) -> None:
        people = self._c()["participants"]
        row = people.setdefault((consultation_id, citizen_id), ParticipantRow(citizen_id, None))
        if village is not None:
            row.village = village

    async def participation(self, consultation_id: int, citizen_id: int) -> str | None:
        row = self._c()["participants"].get((consultation_id, citizen_id))
        if row is None:
            return None
        return "finished" if row.finished else "started"

    async def submit_answers(
        self,
        consultation_id: int,
        citizen_id: int,
        village: str | None,
        answers: Answers,
        named: bool,
        now: datetime,
    ) -> bool:
        await self.join_consultation(consultation_id, citizen_id, village, now)
        person = self._c()["participants"][consultation_id, citizen_id]
        if person.finished and not named:
            return False
        person.finished = True
        sets = self._c()["sets"]
        key = f"n{consultation_id}.{citizen_id}" if named else f"a{len(sets)}"
        numbered = {
            index: [(self.tables.new_id("consultation_answer"), v) for v in values]
            for index, values in sorted(answers.items())
        }
        sets[key] = AnswerSetRow(
            key,
            consultation_id,
            citizen_id if named else None,
            village if named else None,
            numbered,
        )
        return True

    async def answers_of(self, consultation_id: int, citizen_id: int) -> Answers | None:
        found = self._c()["sets"].get(f"n{consultation_id}.{citizen_id}")
        if found is None:
            return None
        return {q: [v for _, v in values] for q, values in found.answers.items()}

    async def answer_sets(self, consultation_id: int) -> list[Answers]:
        return [
            {q: [v for _, v in values] for q, values in s.answers.items()}
            for s in self._c()["sets"].values()
            if s.consultation_id == consultation_id
        ]

    async def participation_by_village(self, consultation_id: int) -> dict[str, int]:
        counts: dict[str, int] = {}
        for (c, _), person in self._c()["participants"].items():
            if c == consultation_id and person.finished:
                counts[person.village or ""] = counts.get(person.village or "", 0) + 1
        return counts

    async def unfinished_participants(self, consultation_id: int) -> list[int]:
        return [
            person.citizen_id
            for (c, _), person in self._c()["participants"].items()
            if c == consultation_id and not person.finished
        ]

    def _all_opinions(self) -> list[OpinionView]:
        found = []
        rows = self._c()["rows"]
        for answer_set in self._c()["sets"].values():
            questions = rows[answer_set.consultation_id].plan.questions
            for index, values in answer_set.answers.items():
                if questions[index].kind is not QuestionKind.TEXT:
                    continue
                for answer_id, value in values:
                    mark = self._c()["marks"].get(answer_id)
                    found.append(
                        OpinionView(
                            answer_id,
                            answer_set.consultation_id,
                            index,
                            value,
                            answer_set.village,
                            mark.mark if mark else None,
                            mark.reply if mark else None,
                        )
                    )
        return sorted(found, key=lambda o: o.id)

    async def opinions(self, consultation_id: int) -> list[OpinionView]:
        return [o for o in self._all_opinions() if o.consultation_id == consultation_id]

    async def opinion(self, opinion_id: int) -> OpinionView | None:
        return next((o for o in self._all_opinions() if o.id == opinion_id), None)

    async def mark_opinion(self, opinion_id: int, mark: str, reply: str) -> None:
        self._c()["marks"][opinion_id] = MarkRow(mark, reply)

    async def summarise_consultation(
        self, consultation_id: int, result: str, now: datetime
    ) -> None:
        row = self._c()["rows"][consultation_id]
        row.result, row.state = result, "summarised"

    async def tell_participants(
        self, consultation_id: int, replies: dict[str, Reply], default_locale: str, now: datetime
    ) -> int:
        people = sorted(
            person.citizen_id
            for (c, _), person in self._c()["participants"].items()
            if c == consultation_id and person.finished
        )
        chats = [self.tables.citizens[citizen].chat for citizen in people]
        locales = self.tables.locales
        queued = 0
        for language, reply in replies.items():
            readers = [c for c in chats if locales.get(c, default_locale) == language]
            self.tables.outbox += [(chat, notice(reply)) for chat in readers]
            queued += len(readers)
        return queued

    async def record_reach(self, consultation_id: int, reached: int) -> None:
        self._c()["rows"][consultation_id].reached = reached

    async def consultations_closed(
        self, units: list[str], since: datetime, until: datetime
    ) -> list[ConsultationView]:
        rows = [
            r
            for r in self._c()["rows"].values()
            if r.plan.unit in units and r.survey is None and since <= r.plan.closes_at < until
        ]
        rows.sort(key=lambda r: (r.plan.closes_at, r.id))
        return [self._consultation_view(r) for r in rows]
