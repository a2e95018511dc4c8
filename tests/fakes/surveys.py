"""Satisfaction surveys in memory: the fake `SurveyStore` (over the fake consultations)."""

from __future__ import annotations

import dataclasses
from collections import defaultdict
from datetime import datetime

from bot.core import Reply, notice
from bot.domain.consultations import QuestionKind
from bot.domain.workflow import Action
from bot.ports import NewConsultation, NewSurvey, SurveyView
from bot.reporting.metrics import Survey as SurveyFigures
from bot.reporting.metrics import add
from tests.fakes.tables import Tables


class FakeSurveys:
    """Implements `bot.ports.SurveyStore` over `Tables` (in its `surveys` dict)."""

    tables: Tables

    def _s(self) -> dict[str, dict]:  # type: ignore[type-arg]
        return self.tables.extra.setdefault(  # type: ignore[no-any-return]
            "surveys", {"rows": {}, "invitations": {}}
        )

    async def answered_citizens(
        self, start: datetime, end: datetime, units: list[str]
    ) -> list[tuple[int, str]]:
        first: dict[int, str] = {}
        for petition_id in sorted(self.tables.petitions):
            row = self.tables.petitions[petition_id]
            if row.unit not in units or row.citizen_id is None:
                continue
            if any(e.action == Action.ANSWER and start <= e.at < end for e in row.events):
                first.setdefault(row.citizen_id, row.unit)
        return sorted(first.items())

    async def add_survey(
        self, survey: NewSurvey, questionnaire: NewConsultation, invite: list[tuple[int, str]]
    ) -> tuple[int, dict[int, int]]:
        survey_id = self.tables.new_id("survey")
        self._s()["rows"][survey_id] = survey
        invitations = self._s()["invitations"]  # (period, citizen) → (survey, questionnaire)
        by_unit: dict[str, list[int]] = defaultdict(list)
        seen = {citizen for period, citizen in invitations if period == survey.period}
        for citizen_id, unit in invite:
            if citizen_id not in seen:
                by_unit[unit].append(citizen_id)
                seen.add(citizen_id)
        invited: dict[int, int] = {}
        for unit, citizens in by_unit.items():
            consultation_id = await self.add_consultation(  # type: ignore[attr-defined]
                dataclasses.replace(questionnaire, unit=unit, audience=(unit,))
            )
            self.tables.extra["consultations"]["rows"][consultation_id].survey = survey_id
            for citizen_id in citizens:
                invitations[survey.period, citizen_id] = (survey_id, consultation_id)
            invited[consultation_id] = len(citizens)
        return survey_id, invited

    async def invited(self, consultation_id: int, citizen_id: int) -> bool:
        return any(
            found == consultation_id and citizen == citizen_id
            for (_, citizen), (_, found) in self._s()["invitations"].items()
        )

    def _invited_to(self, consultation_id: int) -> list[int]:
        return sorted(
            citizen
            for (_, citizen), (_, found) in self._s()["invitations"].items()
            if found == consultation_id
        )

    async def invite_to_survey(
        self, consultation_id: int, replies: dict[str, Reply], default_locale: str, now: datetime
    ) -> int:
        chats = [self.tables.citizens[c].chat for c in self._invited_to(consultation_id)]
        queued = 0
        for language, reply in replies.items():
            readers = [c for c in chats if self.tables.locales.get(c, default_locale) == language]
            self.tables.outbox += [(chat, notice(reply)) for chat in readers]
            queued += len(readers)
        return queued

    def _questionnaires(self, survey_id: int) -> list[int]:
        rows = self.tables.extra.get("consultations", {}).get("rows", {})
        return [row.id for row in rows.values() if row.survey == survey_id]

    def _responses(self, consultation_id: int) -> int:
        sets = self.tables.extra.get("consultations", {}).get("sets", {})
        return sum(1 for s in sets.values() if s.consultation_id == consultation_id)

    def _survey_view(self, survey_id: int, survey: NewSurvey) -> SurveyView:
        questionnaires = self._questionnaires(survey_id)
        return SurveyView(
            id=survey_id,
            template=survey.template,
            period=survey.period,
            period_start=survey.period_start,
            period_end=survey.period_end,
            scope_unit=survey.scope_unit,
            sample=survey.sample,
            created_at=survey.created_at,
            invited=sum(len(self._invited_to(c)) for c in questionnaires),
            responses=sum(self._responses(c) for c in questionnaires),
        )

    async def survey(self, survey_id: int) -> SurveyView | None:
        found = self._s()["rows"].get(survey_id)
        return self._survey_view(survey_id, found) if found else None

    async def surveys_of(self, units: list[str], limit: int) -> list[SurveyView]:
        rows = sorted(self._s()["rows"].items(), reverse=True)
        return [self._survey_view(i, s) for i, s in rows if s.scope_unit in units][:limit]

    async def survey_figures(
        self, units: list[str], start: datetime, end: datetime
    ) -> dict[str, SurveyFigures]:
        consultations = self.tables.extra.get("consultations", {"rows": {}, "sets": {}})
        figures: dict[str, SurveyFigures] = {}
        for survey_id, survey in self._s()["rows"].items():
            if not (start <= survey.period_start and survey.period_end <= end):
                continue
            for consultation_id in self._questionnaires(survey_id):
                plan = consultations["rows"][consultation_id].plan
                if plan.unit not in units:
                    continue
                answers: dict[str, int] = defaultdict(int)
                points: dict[str, int] = defaultdict(int)
                for answer_set in consultations["sets"].values():
                    if answer_set.consultation_id != consultation_id:
                        continue
                    for index, values in answer_set.answers.items():
                        question = plan.questions[index]
                        if question.kind is QuestionKind.SCALE and question.aspect:
                            for _, value in values:
                                answers[question.aspect] += 1
                                points[question.aspect] += int(value)
                found = SurveyFigures(
                    len(self._invited_to(consultation_id)),
                    self._responses(consultation_id),
                    dict(answers),
                    dict(points),
                )
                before = figures.get(plan.unit)
                figures[plan.unit] = found if before is None else add(before, found)
        return dict(sorted(figures.items()))
