"""The inspectorate's figures, counted over the fake's records: the fake `ReportStore`.

The same definitions as the database's queries (`bot.reporting.metrics`), written as plain
Python over the records, so that the contract test checks one against the other.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Iterable
from datetime import date, datetime

from bot.domain.petition import GROUP_THRESHOLD, PetitionKind, PetitionState
from bot.domain.reception import ReceptionKind
from bot.domain.workflow import Action
from bot.i18n import LOCAL_TZ
from bot.ports import NewReception
from bot.reporting.metrics import (
    ANSWER_RULES,
    SATISFIED_FROM,
    Durations,
    Figures,
    Petitions,
    Receptions,
    ReportMetrics,
    Resolutions,
    Satisfaction,
    Visits,
    Volume,
)
from bot.reporting.periods import Period
from tests.fakes.tables import PetitionRow, Tables

INTAKE_DECISIONS = frozenset({Action.ACCEPT, Action.REFUSE, Action.FORWARD, Action.GUIDE})
SECONDS_PER_DAY = 86_400


class FakeReports:
    """Implements `bot.ports.ReportStore` over `Tables`."""

    tables: Tables

    async def report_metrics(self, period: Period, units: list[str]) -> ReportMetrics:
        count = Count(self.tables, period)
        survey_figures = self.survey_figures  # type: ignore[attr-defined]
        surveys = await survey_figures(units, period.starts_at, period.ends_before)
        return ReportMetrics(
            period,
            {
                unit: dataclasses.replace(count.figures(unit), survey=surveys[unit])
                if unit in surveys
                else count.figures(unit)
                for unit in units
            },
            count.durations(units, Action.ACCEPT),
            count.durations(units, Action.ANSWER),
        )

    async def report_volume(self, period: Period, units: list[str]) -> Volume:
        received = Count(self.tables, period).received(units)
        by_field_kind: defaultdict[str, Counter[str]] = defaultdict(Counter)
        for row in received:
            by_field_kind[row.field][row.kind] += 1
        months = Counter(local_day(row.received_at).strftime("%Y-%m") for row in received)
        by_month = dict(sorted(months.items()))
        return Volume({field: dict(kinds) for field, kinds in by_field_kind.items()}, by_month)


class Count:
    """The figures of one period [start, end), unit by unit."""

    def __init__(self, tables: Tables, period: Period) -> None:
        self.tables = tables
        self.start, self.end = period.starts_at, period.ends_before

    def within(self, moment: datetime | None) -> bool:
        """Whether an instant falls in the period."""
        return moment is not None and self.start <= moment < self.end

    def figures(self, unit: str) -> Figures:
        """Everything a report counts for one unit."""
        return Figures(
            petitions=self.petitions(unit),
            complaints=self.resolutions(unit, PetitionKind.COMPLAINT),
            denunciations=self.resolutions(unit, PetitionKind.DENUNCIATION),
            receptions=self.receptions(unit),
            dialogues_held=sum(
                1
                for row in self.tables.dialogues.values()
                if row.plan.unit == unit and row.state == "held" and self.within(row.held_at)
            ),
            satisfaction=self.satisfaction(unit),
        )

    def received(self, units: Iterable[str]) -> list[PetitionRow]:
        """The petitions of these units received in the period."""
        return [row for row in self.of(units) if self.within(row.received_at)]

    def of(self, units: Iterable[str]) -> list[PetitionRow]:
        """The petitions a unit holds now."""
        return [row for row in self.tables.petitions.values() if row.unit in units]

    def petitions(self, unit: str) -> Petitions:
        """Letters received and decided in the period."""
        received = self.received([unit])
        groups = [row.case.group_size for row in received if row.case.is_group]
        answers = self.answers(unit)
        late = sum(answers.values())
        eligible = self.decided(unit, {Action.ACCEPT, Action.FORWARD, Action.GUIDE})
        return Petitions(
            received=len(received),
            several_signers=sum(row.case.group_size > 1 for row in received),
            group_petitions=len(groups),
            group_people=sum(groups),
            carried_over=self.carried_over(unit),
            accepted=len(self.decided(unit, {Action.ACCEPT})),
            refused=len(self.decided(unit, {Action.REFUSE})),
            forwarded=len(self.decided(unit, {Action.FORWARD})),
            guided=len(self.decided(unit, {Action.GUIDE})),
            answered=len(answers),
            answered_on_time=len(answers) - late,
            answered_late=late,
            by_kind=tally(row.kind for row in received),
            by_field=tally(row.field for row in received),
            by_state=tally(row.state for row in received),
            by_channel=tally(row.channel for row in received),
            accepted_by_kind=tally(row.kind for row in self.decided(unit, {Action.ACCEPT})),
            eligible_by_field=tally(row.field for row in eligible),
        )

    def carried_over(self, unit: str) -> int:
        """Received before the period: still undecided, or decided since it began."""
        before = [row for row in self.of([unit]) if row.received_at < self.start]
        undecided = sum(row.state == PetitionState.RECEIVED for row in before)
        decided_since = sum(
            any(e.action in INTAKE_DECISIONS and e.at >= self.start for e in row.events)
            for row in before
        )
        return undecided + decided_since

    def decided(self, unit: str, actions: set[Action]) -> list[PetitionRow]:
        """Each petition with one of these decisions in the period, once."""
        return [
            row
            for row in self.of([unit])
            if any(e.action in actions and self.within(e.at) for e in row.events)
        ]

    def answers(self, unit: str) -> dict[tuple[int, int], int]:
        """Every answer sent in the period (petition id, event id), with 1 when it was late."""
        return {
            (row.id, event.id): int(answered_late(row, event.at))
            for row in self.of([unit])
            for event in row.events
            if event.action == Action.ANSWER and self.within(event.at)
        }

    def resolutions(self, unit: str, kind: PetitionKind) -> Resolutions:
        """Complaints or denunciations accepted and answered in the period."""
        accepted = [row for row in self.decided(unit, {Action.ACCEPT}) if row.kind == kind]
        rows = {row.id: row for row in self.of([unit]) if row.kind == kind}
        answers = {key: late for key, late in self.answers(unit).items() if key[0] in rows}
        outcomes = Counter(rows[petition].outcome for petition, _ in answers)
        late = sum(answers.values())
        return Resolutions(
            accepted_first=sum(row.case.instance != 2 for row in accepted),
            accepted_second=sum(row.case.instance == 2 for row in accepted),
            answered=len(answers),
            on_time=len(answers) - late,
            late=late,
            **{outcome: n for outcome, n in outcomes.items() if outcome},
        )

    def receptions(self, unit: str) -> Receptions:
        """Visits recorded in the period, by the way they were received."""
        ways: defaultdict[str, list[NewReception]] = defaultdict(list)
        for visit in self.tables.receptions.values():
            if visit.unit == unit and self.within(visit.received_at):
                ways[way_of(visit)].append(visit)
        return Receptions(**{way: visits_of(visits) for way, visits in ways.items()})

    def satisfaction(self, unit: str) -> Satisfaction:
        """Ratings given in the period to the unit's petitions."""
        scores = [
            row.rating.score
            for row in self.of([unit])
            if row.rating is not None and self.within(row.rating.rated_at)
        ]
        return Satisfaction(
            len(scores), sum(score >= SATISFIED_FROM for score in scores), sum(scores)
        )

    def durations(self, units: list[str], action: Action) -> Durations:
        """Days from receipt to the step, for steps taken in the period, over all the units."""
        days = sorted(
            (event.at - row.received_at).total_seconds() / SECONDS_PER_DAY
            for row in self.of(units)
            for event in row.events
            if event.action == action and self.within(event.at)
        )
        if not days:
            return Durations()
        p90 = next(d for rank, d in enumerate(days, 1) if rank * 10 >= len(days) * 9)
        return Durations(len(days), sum(days) / len(days), p90)


def tally(values: Iterable[str]) -> dict[str, int]:
    """How many times each value comes."""
    return dict(Counter(values))


def local_day(moment: datetime) -> date:
    """The day in Vietnam of an instant."""
    return moment.astimezone(LOCAL_TZ).date()


def answered_late(row: PetitionRow, at: datetime) -> bool:
    """After the due date of the deadline the answer met (the latest one started by then)."""
    day = local_day(at)
    met = [
        d
        for d in row.deadlines
        if d.status == "met" and d.rule_id in ANSWER_RULES and d.start_date <= day
    ]
    bound = max(met, key=lambda d: (d.start_date, d.id), default=None)
    return bound is not None and bound.due_date < day


def way_of(visit: NewReception) -> str:
    """Regular reception; or the head's, in person or delegated."""
    if visit.kind == ReceptionKind.REGULAR:
        return "regular"
    return f"{visit.kind}_{'in_person' if visit.head_in_person else 'delegated'}"


def visits_of(visits: list[NewReception]) -> Visits:
    """One way of receiving counted as form 01/TCD counts it."""
    petitions = {visit.petition_id for visit in visits if visit.petition_id is not None}
    return Visits(
        sessions=len({local_day(visit.received_at) for visit in visits}),
        visits=len(visits),
        people=sum(visit.group_size for visit in visits),
        matters=len(petitions) + sum(visit.petition_id is None for visit in visits),
        groups=sum(visit.group_size >= GROUP_THRESHOLD for visit in visits),
    )
