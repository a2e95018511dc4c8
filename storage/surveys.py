"""Satisfaction surveys: the `SurveyStore` part.

A survey is one anonymous questionnaire (a `Consultation` with `survey_id`) per unit that answered
the petitions of the period, and one invitation per citizen sent it. The database allows one
invitation per person per period (`uq_survey_invitations_period`), whoever starts the survey:
a province's survey of a quarter skips the people a commune already asked about it."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import datetime

from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from bot.core import Reply
from bot.domain.consultations import Question, QuestionKind
from bot.domain.workflow import Action
from bot.ports import NewConsultation, NewSurvey, SurveyView
from bot.reporting.metrics import Survey as SurveyFigures
from storage import models as m
from storage.dialogues import queue_for

Invitation = m.SurveyInvitation


class SurveyRecords:
    """Implements `bot.ports.SurveyStore` inside the caller's transaction."""

    session: AsyncSession

    async def answered_citizens(
        self, start: datetime, end: datetime, units: list[str]
    ) -> list[tuple[int, str]]:
        p, event = m.Petition, m.PetitionEvent
        rows = await self.session.execute(
            select(p.citizen_id, p.unit_code)
            .join(event, event.petition_id == p.id)
            .where(
                p.unit_code.in_(units),
                p.citizen_id.is_not(None),
                event.action == Action.ANSWER,
                event.at >= start,
                event.at < end,
            )
            .order_by(p.id)
        )
        first: dict[int, str] = {}
        for citizen_id, unit in rows:
            if citizen_id is not None:
                first.setdefault(citizen_id, unit)
        return sorted(first.items())

    async def add_survey(
        self, survey: NewSurvey, questionnaire: NewConsultation, invite: list[tuple[int, str]]
    ) -> tuple[int, dict[int, int]]:
        row = m.Survey(**dataclasses.asdict(survey))
        self.session.add(row)
        await self.session.flush()
        already = set(
            await self.session.scalars(
                select(Invitation.citizen_id).where(Invitation.period == survey.period)
            )
        )
        by_unit: dict[str, list[int]] = defaultdict(list)
        for citizen_id, unit in invite:
            if citizen_id not in already:
                by_unit[unit].append(citizen_id)
                already.add(citizen_id)
        invited: dict[int, int] = {}
        for unit, citizens in by_unit.items():
            consultation_id = await self.add_consultation(  # type: ignore[attr-defined]
                dataclasses.replace(questionnaire, unit=unit, audience=(unit,))
            )
            (await self.session.get_one(m.Consultation, consultation_id)).survey_id = row.id
            self.session.add_all(
                Invitation(
                    survey_id=row.id,
                    consultation_id=consultation_id,
                    citizen_id=citizen_id,
                    period=survey.period,
                    invited_at=survey.created_at,
                )
                for citizen_id in citizens
            )
            invited[consultation_id] = len(citizens)
        await self.session.flush()
        return row.id, invited

    async def invited(self, consultation_id: int, citizen_id: int) -> bool:
        found = await self.session.scalar(
            select(Invitation.id).where(
                Invitation.consultation_id == consultation_id,
                Invitation.citizen_id == citizen_id,
            )
        )
        return found is not None

    async def invite_to_survey(
        self, consultation_id: int, replies: dict[str, Reply], default_locale: str, now: datetime
    ) -> int:
        invited = (
            select(Invitation.citizen_id)
            .where(Invitation.consultation_id == consultation_id)
            .subquery()
        )
        return await queue_for(self.session, invited, replies, default_locale, now)

    async def survey(self, survey_id: int) -> SurveyView | None:
        found = await self._survey_views([survey_id], None, 1)
        return found[0] if found else None

    async def surveys_of(self, units: list[str], limit: int) -> list[SurveyView]:
        return await self._survey_views(None, units, limit)

    async def _survey_views(
        self, ids: list[int] | None, units: list[str] | None, limit: int
    ) -> list[SurveyView]:
        query = select(m.Survey).order_by(m.Survey.id.desc()).limit(limit)
        if ids is not None:
            query = query.where(m.Survey.id.in_(ids))
        if units is not None:
            query = query.where(m.Survey.scope_unit.in_(units))
        rows = list(await self.session.scalars(query))
        found = [row.id for row in rows]
        invited = dict(
            (
                await self.session.execute(
                    select(Invitation.survey_id, func.count())
                    .where(Invitation.survey_id.in_(found))
                    .group_by(Invitation.survey_id)
                )
            ).all()
        )
        responses = dict(
            (
                await self.session.execute(
                    select(m.Consultation.survey_id, func.count())
                    .join(
                        m.ConsultationAnswerSet,
                        m.ConsultationAnswerSet.consultation_id == m.Consultation.id,
                    )
                    .where(m.Consultation.survey_id.in_(found))
                    .group_by(m.Consultation.survey_id)
                )
            ).all()
        )
        return [
            SurveyView(
                id=row.id,
                template=row.template,
                period=row.period,
                period_start=row.period_start,
                period_end=row.period_end,
                scope_unit=row.scope_unit,
                sample=row.sample,
                created_at=row.created_at,
                invited=int(invited.get(row.id, 0)),
                responses=int(responses.get(row.id, 0)),
            )
            for row in rows
        ]

    async def survey_figures(
        self, units: list[str], start: datetime, end: datetime
    ) -> dict[str, SurveyFigures]:
        c = m.Consultation
        questionnaires = {
            row.id: (row.unit_code, [Question.from_data(q) for q in row.questions])
            for row in await self.session.scalars(
                select(c)
                .join(m.Survey, m.Survey.id == c.survey_id)
                .where(
                    c.unit_code.in_(units),
                    m.Survey.period_start >= start,
                    m.Survey.period_end <= end,
                )
            )
        }
        if not questionnaires:
            return {}
        ids = list(questionnaires)
        invited: dict[str, int] = defaultdict(int)
        for consultation_id, count in await self.session.execute(
            select(Invitation.consultation_id, func.count())
            .where(Invitation.consultation_id.in_(ids))
            .group_by(Invitation.consultation_id)
        ):
            invited[questionnaires[consultation_id][0]] += count
        responses: dict[str, int] = defaultdict(int)
        for consultation_id, count in await self.session.execute(
            select(m.ConsultationAnswerSet.consultation_id, func.count())
            .where(m.ConsultationAnswerSet.consultation_id.in_(ids))
            .group_by(m.ConsultationAnswerSet.consultation_id)
        ):
            responses[questionnaires[consultation_id][0]] += count
        answers: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        points: dict[str, dict[str, int]] = defaultdict(lambda: defaultdict(int))
        answer_set, answer = m.ConsultationAnswerSet, m.ConsultationAnswer
        for consultation_id, index, value, count in await self.session.execute(
            select(answer_set.consultation_id, answer.question, answer.value, func.count())
            .join(answer_set, answer_set.id == answer.answer_set_id)
            .where(answer_set.consultation_id.in_(ids))
            .group_by(answer_set.consultation_id, answer.question, answer.value)
        ):
            unit, questions = questionnaires[consultation_id]
            question = questions[index] if index < len(questions) else None
            if question is None or question.kind is not QuestionKind.SCALE or not question.aspect:
                continue
            answers[unit][question.aspect] += count
            points[unit][question.aspect] += int(value) * count
        return {
            unit: SurveyFigures(
                invited[unit], responses[unit], dict(answers[unit]), dict(points[unit])
            )
            for unit in sorted({unit for unit, _ in questionnaires.values()})
        }
