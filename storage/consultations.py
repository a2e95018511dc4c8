"""Public consultations, who took part and their answers: the `ConsultationStore` part.

Anonymous answer sets carry no citizen, no village and no time, and a random id, so that
nothing in the tables leads from an answer to a person; the participants table says only who
took part (for the reminder and the summary)."""

from __future__ import annotations

import dataclasses
import secrets
from datetime import datetime
from typing import Any

from sqlalchemy import case, delete, func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import FileRef, Reply
from bot.domain.consultations import Question, QuestionKind
from bot.ports import Answers, ConsultationView, NewConsultation, OpinionView
from storage import models as m
from storage.dialogues import queue_for

Participant = m.ConsultationParticipant
AnswerSet = m.ConsultationAnswerSet
Answer = m.ConsultationAnswer


class ConsultationRecords:
    """Implements `bot.ports.ConsultationStore` inside the caller's transaction."""

    session: AsyncSession

    async def add_consultation(self, consultation: NewConsultation) -> int:
        document = consultation.document
        row = m.Consultation(
            unit_code=consultation.unit,
            created_by=consultation.created_by,
            title=consultation.title,
            summary=consultation.summary,
            document=dataclasses.asdict(document) if document else None,
            audience=list(consultation.audience),
            questions=[q.as_data() for q in consultation.questions],
            anonymous=consultation.anonymous,
            opens_at=consultation.opens_at,
            closes_at=consultation.closes_at,
            state="published",
            created_at=consultation.created_at,
        )
        self.session.add(row)
        await self.session.flush()
        return row.id

    async def consultation(self, consultation_id: int) -> ConsultationView | None:
        views = await self._consultation_views(
            select(m.Consultation).where(m.Consultation.id == consultation_id)
        )
        return views[0] if views else None

    async def consultations_of(self, units: list[str], limit: int) -> list[ConsultationView]:
        return await self._consultation_views(
            select(m.Consultation)
            .where(m.Consultation.unit_code.in_(units), m.Consultation.survey_id.is_(None))
            .order_by(m.Consultation.closes_at.desc(), m.Consultation.id.desc())
            .limit(limit)
        )

    async def open_consultations(self, now: datetime, limit: int) -> list[ConsultationView]:
        return await self._consultation_views(
            select(m.Consultation)
            .where(
                m.Consultation.opens_at <= now,
                m.Consultation.closes_at > now,
                m.Consultation.survey_id.is_(None),
            )
            .order_by(m.Consultation.closes_at, m.Consultation.id)
            .limit(limit)
        )

    async def _consultation_views(self, query: Any) -> list[ConsultationView]:
        rows = list(await self.session.scalars(query))
        if not rows:
            return []
        counts = {
            consultation_id: (int(started or 0), int(finished or 0))
            for consultation_id, started, finished in await self.session.execute(
                select(
                    Participant.consultation_id,
                    func.count(),
                    func.sum(case((Participant.finished, 1), else_=0)),
                )
                .where(Participant.consultation_id.in_([row.id for row in rows]))
                .group_by(Participant.consultation_id)
            )
        }
        return [_view(row, *counts.get(row.id, (0, 0))) for row in rows]

    async def _participant(self, consultation_id: int, citizen_id: int) -> Participant | None:
        return await self.session.scalar(
            select(Participant).where(
                Participant.consultation_id == consultation_id,
                Participant.citizen_id == citizen_id,
            )
        )

    async def join_consultation(
        self, consultation_id: int, citizen_id: int, village: str | None, now: datetime
    ) -> None:
        row = await self._participant(consultation_id, citizen_id)
        if row is None:
            row = Participant(
                consultation_id=consultation_id,
                citizen_id=citizen_id,
                started_at=now,
                finished=False,
            )
            self.session.add(row)
        if village is not None:
            row.village = village
        await self.session.flush()

    async def participation(self, consultation_id: int, citizen_id: int) -> str | None:
        row = await self._participant(consultation_id, citizen_id)
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
        # One answer set per person: the participant's row turns «finished» once (a second
        # anonymous submission finds it so and stores nothing).
        mine = [
            Participant.consultation_id == consultation_id,
            Participant.citizen_id == citizen_id,
        ]
        if not named:
            mine.append(~Participant.finished)
        result = await self.session.execute(update(Participant).where(*mine).values(finished=True))
        if not named and not getattr(result, "rowcount", 0):
            return False
        if named:
            answer_set = await self.session.scalar(
                select(AnswerSet).where(
                    AnswerSet.consultation_id == consultation_id,
                    AnswerSet.citizen_id == citizen_id,
                )
            )
            if answer_set is None:
                answer_set = AnswerSet(
                    id=secrets.token_hex(16),
                    consultation_id=consultation_id,
                    citizen_id=citizen_id,
                )
                self.session.add(answer_set)
            answer_set.village, answer_set.submitted_at = village, now
            await self.session.flush()
            await self.session.execute(delete(Answer).where(Answer.answer_set_id == answer_set.id))
            set_id = answer_set.id
        else:
            set_id = secrets.token_hex(16)
            self.session.add(AnswerSet(id=set_id, consultation_id=consultation_id))
            await self.session.flush()
        self.session.add_all(
            Answer(answer_set_id=set_id, question=index, value=value)
            for index, values in sorted(answers.items())
            for value in values
        )
        await self.session.flush()
        return True

    async def answers_of(self, consultation_id: int, citizen_id: int) -> Answers | None:
        set_id = await self.session.scalar(
            select(AnswerSet.id).where(
                AnswerSet.consultation_id == consultation_id, AnswerSet.citizen_id == citizen_id
            )
        )
        if set_id is None:
            return None
        return (await self._answers([set_id])).get(set_id, {})

    async def _answers(self, set_ids: list[str]) -> dict[str, Answers]:
        found: dict[str, Answers] = {set_id: {} for set_id in set_ids}
        rows = await self.session.execute(
            select(Answer.answer_set_id, Answer.question, Answer.value)
            .where(Answer.answer_set_id.in_(set_ids))
            .order_by(Answer.id)
        )
        for set_id, question, value in rows:
            found[set_id].setdefault(question, []).append(value)
        return found

    async def answer_sets(self, consultation_id: int) -> list[Answers]:
        set_ids = list(
            await self.session.scalars(
                select(AnswerSet.id).where(AnswerSet.consultation_id == consultation_id)
            )
        )
        return list((await self._answers(set_ids)).values())

    async def participation_by_village(self, consultation_id: int) -> dict[str, int]:
        rows = await self.session.execute(
            select(Participant.village, func.count())
            .where(Participant.consultation_id == consultation_id, Participant.finished)
            .group_by(Participant.village)
        )
        return {village or "": int(count) for village, count in rows}

    async def unfinished_participants(self, consultation_id: int) -> list[int]:
        rows = await self.session.scalars(
            select(Participant.citizen_id)
            .where(Participant.consultation_id == consultation_id, ~Participant.finished)
            .order_by(Participant.id)
        )
        return list(rows)

    async def opinions(self, consultation_id: int) -> list[OpinionView]:
        consultation = await self.session.get_one(m.Consultation, consultation_id)
        texts = [
            index
            for index, data in enumerate(consultation.questions)
            if data.get("kind") == QuestionKind.TEXT
        ]
        return await self._opinions(
            select(Answer, AnswerSet)
            .join(AnswerSet, AnswerSet.id == Answer.answer_set_id)
            .where(AnswerSet.consultation_id == consultation_id, Answer.question.in_(texts))
            .order_by(Answer.id)
        )

    async def opinion(self, opinion_id: int) -> OpinionView | None:
        found = await self._opinions(
            select(Answer, AnswerSet)
            .join(AnswerSet, AnswerSet.id == Answer.answer_set_id)
            .where(Answer.id == opinion_id)
        )
        return found[0] if found else None

    async def _opinions(self, query: Any) -> list[OpinionView]:
        return [
            OpinionView(
                id=answer.id,
                consultation_id=answer_set.consultation_id,
                question=answer.question,
                text=answer.value,
                village=answer_set.village,
                mark=answer.mark,
                reply=answer.reply,
            )
            for answer, answer_set in await self.session.execute(query)
        ]

    async def mark_opinion(self, opinion_id: int, mark: str, reply: str) -> None:
        await self.session.execute(
            update(Answer).where(Answer.id == opinion_id).values(mark=mark, reply=reply)
        )

    async def summarise_consultation(
        self, consultation_id: int, result: str, now: datetime
    ) -> None:
        row = await self.session.get_one(m.Consultation, consultation_id)
        row.result, row.state, row.summarised_at = result, "summarised", now

    async def tell_participants(
        self, consultation_id: int, replies: dict[str, Reply], default_locale: str, now: datetime
    ) -> int:
        participants = (
            select(Participant.citizen_id)
            .where(Participant.consultation_id == consultation_id, Participant.finished)
            .subquery()
        )
        return await queue_for(self.session, participants, replies, default_locale, now)

    async def record_reach(self, consultation_id: int, reached: int) -> None:
        row = await self.session.get_one(m.Consultation, consultation_id)
        row.reached = reached

    async def consultations_closed(
        self, units: list[str], since: datetime, until: datetime
    ) -> list[ConsultationView]:
        return await self._consultation_views(
            select(m.Consultation)
            .where(
                m.Consultation.unit_code.in_(units),
                m.Consultation.survey_id.is_(None),
                m.Consultation.closes_at >= since,
                m.Consultation.closes_at < until,
            )
            .order_by(m.Consultation.closes_at, m.Consultation.id)
        )


def _view(row: m.Consultation, started: int, finished: int) -> ConsultationView:
    return ConsultationView(
        id=row.id,
        unit=row.unit_code,
        title=row.title,
        summary=row.summary,
        document=FileRef(**row.document) if row.document else None,
        audience=tuple(row.audience),
        questions=tuple(Question.from_data(q) for q in row.questions),
        anonymous=row.anonymous,
        opens_at=row.opens_at,
        closes_at=row.closes_at,
        state=row.state,
        result=row.result,
        started=started,
        finished=finished,
        reached=row.reached,
        survey=row.survey_id,
    )
