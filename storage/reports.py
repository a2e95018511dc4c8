"""The report's figures, counted by the database: the `ReportStore` part of the store.

Each query aggregates (GROUP BY, COUNT, SUM over CASE, a window for the percentile) and returns
a few rows per unit; Python only adds those rows up into `bot.reporting.metrics` figures, never
walks petitions. Definitions are in `bot.reporting.metrics`.

Portable SQL: the same statements run on SQLite and PostgreSQL. Two expressions differ and sit
behind a dialect switch: the day in Vietnam of a stored instant, and the days between two
instants (julianday on SQLite, extract(epoch) on PostgreSQL). The 90th percentile is the
nearest rank over ROW_NUMBER() (the first duration whose rank r satisfies 10·r ≥ 9·n), not
PERCENTILE_CONT, which SQLite lacks.
"""

from __future__ import annotations

import dataclasses
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import (
    ColumnElement,
    Row,
    Select,
    String,
    and_,
    case,
    cast,
    extract,
    func,
    select,
    union_all,
)
from sqlalchemy.ext.asyncio import AsyncSession

from bot.domain.petition import GROUP_THRESHOLD, PetitionKind, PetitionState
from bot.domain.reception import ReceptionKind
from bot.domain.workflow import Action
from bot.reporting.metrics import (
    ANSWER_RULES,
    SATISFIED_FROM,
    Durations,
    Figures,
    Petitions,
    ReportMetrics,
    Resolutions,
    Satisfaction,
    Visits,
    Volume,
)
from bot.reporting.metrics import Receptions as ReceptionFigures
from bot.reporting.periods import Period
from storage import models as m
from storage.reception_days import DIALOGUE_HELD, LOCAL_OFFSET, LOCAL_ZONE

INTAKE = {
    Action.ACCEPT: "accepted",
    Action.REFUSE: "refused",
    Action.FORWARD: "forwarded",
    Action.GUIDE: "guided",
}
BREAKDOWNS = ("field", "state", "channel")  # of the petitions received, besides the kind
RESOLVED_KINDS = {PetitionKind.COMPLAINT: "complaints", PetitionKind.DENUNCIATION: "denunciations"}
SECONDS_PER_DAY = 86_400.0


class ReportRecords:
    """Implements `bot.ports.ReportStore` inside the caller's transaction."""

    session: AsyncSession

    async def report_metrics(self, period: Period, units: list[str]) -> ReportMetrics:
        sql = ReportQueries(self._dialect(), period.starts_at, period.ends_before, units)
        tally = Tally()
        tally.received(await self._rows(sql.received()))
        for dimension in BREAKDOWNS:
            tally.breakdown(f"by_{dimension}", await self._rows(sql.received_by(dimension)))
        tally.carried_over(await self._rows(sql.carried_over()))
        tally.decisions(await self._rows(sql.decisions()))
        tally.breakdown("eligible_by_field", await self._rows(sql.eligible_by_field()))
        tally.answers(await self._rows(sql.answers()))
        tally.receptions(await self._rows(sql.receptions()))
        tally.dialogues(await self._rows(sql.dialogues()))
        tally.ratings(await self._rows(sql.ratings()))
        durations = {row.action: row for row in await self._rows(sql.durations())}
        survey_figures = self.survey_figures  # type: ignore[attr-defined]
        surveys = await survey_figures(units, period.starts_at, period.ends_before)
        return ReportMetrics(
            period,
            {
                unit: dataclasses.replace(tally.figures(unit), survey=surveys[unit])
                if unit in surveys
                else tally.figures(unit)
                for unit in units
            },
            _durations(durations.get(Action.ACCEPT)),
            _durations(durations.get(Action.ANSWER)),
        )

    async def report_volume(self, period: Period, units: list[str]) -> Volume:
        sql = ReportQueries(self._dialect(), period.starts_at, period.ends_before, units)
        by_field_kind: dict[str, dict[str, int]] = {}
        for row in await self._rows(sql.by_field_and_kind()):
            by_field_kind.setdefault(row.field, {})[row.kind] = row.petitions
        by_month = {row.month: row.petitions for row in await self._rows(sql.by_month())}
        return Volume(by_field_kind, by_month)

    def _dialect(self) -> str:
        return self.session.bind.dialect.name if self.session.bind else "sqlite"

    async def _rows(self, statement: Select[*tuple[Any, ...]]) -> Sequence[Row[Any]]:
        return (await self.session.execute(statement)).all()


def _durations(row: Row[Any] | None) -> Durations:
    if row is None:
        return Durations()
    return Durations(row.taken, float(row.average), float(row.p90))


class ReportQueries:
    """The aggregating statements of one report: a period [start, end) and a list of units."""

    def __init__(self, dialect: str, start: datetime, end: datetime, units: list[str]) -> None:
        self.dialect = dialect
        self.start, self.end = start, end
        self.units = units

    def received(self) -> Select[*tuple[Any, ...]]:
        """Petitions received, by unit and kind: how many, with several signers, in groups."""
        p = m.Petition
        group = p.group_size >= GROUP_THRESHOLD
        return (
            select(
                p.unit_code.label("unit"),
                p.kind,
                func.count().label("received"),
                _count_if(p.group_size > 1).label("several_signers"),
                _count_if(group).label("group_petitions"),
                func.sum(case((group, p.group_size), else_=0)).label("group_people"),
            )
            .where(p.unit_code.in_(self.units), self._in_period(p.received_at))
            .group_by(p.unit_code, p.kind)
        )

    def received_by(self, dimension: str) -> Select[*tuple[Any, ...]]:
        """Petitions received, by unit and field, state or channel (`value`)."""
        p = m.Petition
        value = getattr(p, dimension)
        return (
            select(p.unit_code.label("unit"), value.label("value"), func.count().label("petitions"))
            .where(p.unit_code.in_(self.units), self._in_period(p.received_at))
            .group_by(p.unit_code, value)
        )

    def by_field_and_kind(self) -> Select[*tuple[Any, ...]]:
        """Petitions received over the scope, by field and kind (for the chart)."""
        p = m.Petition
        return (
            select(p.field, p.kind, func.count().label("petitions"))
            .where(p.unit_code.in_(self.units), self._in_period(p.received_at))
            .group_by(p.field, p.kind)
        )

    def by_month(self) -> Select[*tuple[Any, ...]]:
        """Petitions received over the scope, by local month "YYYY-MM" (for the chart)."""
        p = m.Petition
        month = func.substr(cast(self._local_day(p.received_at), String), 1, 7)
        return (
            select(month.label("month"), func.count().label("petitions"))
            .where(p.unit_code.in_(self.units), self._in_period(p.received_at))
            .group_by(month)
            .order_by(month)
        )

    def carried_over(self) -> Select[*tuple[Any, ...]]:
        """Petitions received before the period and not decided when it began: those still
        undecided today, and those decided since it began. Each petition is decided once at
        most (DESIGN §6: acceptance, refusal, forwarding and guidance all leave `received` for
        good), so the two never overlap, and both are found by index."""
        p, e = m.Petition, m.PetitionEvent
        before = and_(p.unit_code.in_(self.units), p.received_at < self.start)
        undecided = select(p.unit_code.label("unit")).where(
            before, p.state == PetitionState.RECEIVED
        )
        decided_since = select(p.unit_code.label("unit")).where(
            before,
            p.id.in_(select(e.petition_id).where(e.action.in_(sorted(INTAKE)), e.at >= self.start)),
        )
        both = union_all(undecided, decided_since).subquery()
        return select(both.c.unit, func.count().label("carried_over")).group_by(both.c.unit)

    def decisions(self) -> Select[*tuple[Any, ...]]:
        """Intake decisions taken in the period, by unit, decision, kind and instance."""
        p, e = m.Petition, m.PetitionEvent
        return (
            select(
                p.unit_code.label("unit"),
                e.action,
                p.kind,
                p.instance,
                func.count(func.distinct(e.petition_id)).label("petitions"),
            )
            .select_from(e)
            .join(p, p.id == e.petition_id)
            .where(self._events_in_period(list(INTAKE)))
            .group_by(p.unit_code, e.action, p.kind, p.instance)
        )

    def eligible_by_field(self) -> Select[*tuple[Any, ...]]:
        """Petitions with a decision other than a refusal in the period, by unit and field."""
        p, e = m.Petition, m.PetitionEvent
        eligible = [action for action in INTAKE if action != Action.REFUSE]
        return (
            select(
                p.unit_code.label("unit"),
                p.field.label("value"),
                func.count(func.distinct(e.petition_id)).label("petitions"),
            )
            .select_from(e)
            .join(p, p.id == e.petition_id)
            .where(self._events_in_period(eligible))
            .group_by(p.unit_code, p.field)
        )

    def answers(self) -> Select[*tuple[Any, ...]]:
        """Answers sent in the period, by unit, kind, instance and outcome; how many were late."""
        p, e, d = m.Petition, m.PetitionEvent, m.Deadline
        answered_on = self._local_day(e.at)
        late = (  # 1 or 0 by the deadline the answer met; NULL when none bound it
            select(case((d.due_date < answered_on, 1), else_=0))
            .where(
                d.petition_id == e.petition_id,
                d.status == "met",
                d.rule_id.in_(sorted(ANSWER_RULES)),
                d.start_date <= answered_on,
            )
            .order_by(d.start_date.desc(), d.id.desc())
            .limit(1)
            .scalar_subquery()
        )
        return (
            select(
                p.unit_code.label("unit"),
                p.kind,
                p.instance,
                p.outcome,
                func.count().label("answers"),
                func.coalesce(func.sum(late), 0).label("late"),
            )
            .select_from(e)
            .join(p, p.id == e.petition_id)
            .where(self._events_in_period([Action.ANSWER]))
            .group_by(p.unit_code, p.kind, p.instance, p.outcome)
        )

    def receptions(self) -> Select[*tuple[Any, ...]]:
        """Visits recorded in the period, by unit, reception kind and (but for regular reception,
        where the head is not expected) whether the head received in person."""
        r = m.Reception
        in_person = case((r.kind == ReceptionKind.REGULAR, False), else_=r.head_in_person)
        distinct_petitions = func.count(func.distinct(r.petition_id))
        return (
            select(
                r.unit_code.label("unit"),
                r.kind,
                in_person.label("in_person"),
                func.count(func.distinct(self._local_day(r.received_at))).label("sessions"),
                func.count().label("visits"),
                func.sum(r.group_size).label("people"),
                (distinct_petitions + _count_if(r.petition_id.is_(None))).label("matters"),
                _count_if(r.group_size >= GROUP_THRESHOLD).label("groups"),
            )
            .where(r.unit_code.in_(self.units), self._in_period(r.received_at))
            .group_by(r.unit_code, r.kind, in_person)
        )

    def dialogues(self) -> Select[*tuple[Any, ...]]:
        """Dialogue sessions held in the period, by unit."""
        dialogue = m.Dialogue
        return (
            select(dialogue.unit_code.label("unit"), func.count().label("held"))
            .where(
                dialogue.unit_code.in_(self.units),
                dialogue.state == DIALOGUE_HELD,
                self._in_period(dialogue.held_at),
            )
            .group_by(dialogue.unit_code)
        )

    def ratings(self) -> Select[*tuple[Any, ...]]:
        """Ratings given in the period to the units' petitions."""
        p, rating = m.Petition, m.Rating
        return (
            select(
                p.unit_code.label("unit"),
                func.count().label("ratings"),
                _count_if(rating.score >= SATISFIED_FROM).label("satisfied"),
                func.sum(rating.score).label("score_total"),
            )
            .join(p, p.id == rating.petition_id)
            .where(p.unit_code.in_(self.units), self._in_period(rating.rated_at))
            .group_by(p.unit_code)
        )

    def durations(self) -> Select[*tuple[Any, ...]]:
        """Days from receipt to acceptance and to answer, for steps taken in the period: count,
        mean and 90th percentile (nearest rank), over the whole scope."""
        p, e = m.Petition, m.PetitionEvent
        steps = (
            select(e.action, self._days_between(e.at, p.received_at).label("days"))
            .join(p, p.id == e.petition_id)
            .where(self._events_in_period([Action.ACCEPT, Action.ANSWER]))
            .subquery()
        )
        by_action = steps.c.action
        ranked = select(
            by_action,
            steps.c.days,
            func.row_number().over(partition_by=by_action, order_by=steps.c.days).label("rank"),
            func.count().over(partition_by=by_action).label("steps"),
        ).subquery()
        in_top_tenth = ranked.c.rank * 10 >= ranked.c.steps * 9
        return select(
            ranked.c.action,
            func.count().label("taken"),
            func.avg(ranked.c.days).label("average"),
            func.min(case((in_top_tenth, ranked.c.days))).label("p90"),
        ).group_by(ranked.c.action)

    def _events_in_period(self, actions: Sequence[str]) -> ColumnElement[bool]:
        """Events of these actions in the period, on petitions of the units."""
        e = m.PetitionEvent
        return and_(
            e.action.in_(sorted(actions)),
            self._in_period(e.at),
            m.Petition.unit_code.in_(self.units),
        )

    def _in_period(self, moment: Any) -> ColumnElement[bool]:
        """A stored instant within [start, end)."""
        return and_(moment >= self.start, moment < self.end)

    def _local_day(self, moment: Any) -> Any:
        """The day in Vietnam of a stored UTC instant."""
        if self.dialect == "postgresql":
            return func.date(func.timezone(LOCAL_ZONE, moment))
        return func.date(moment, LOCAL_OFFSET)

    def _days_between(self, later: Any, earlier: Any) -> Any:
        """Days (with fractions) from one stored instant to another."""
        if self.dialect == "postgresql":
            return extract("epoch", later - earlier) / SECONDS_PER_DAY
        return func.julianday(later) - func.julianday(earlier)


def _count_if(condition: ColumnElement[bool]) -> Any:
    """How many rows of the group meet the condition (SUM over CASE, on every database)."""
    return func.sum(case((condition, 1), else_=0))


class Tally:
    """Adds the grouped rows up per unit, then builds each unit's figures."""

    def __init__(self) -> None:
        self.petitions: defaultdict[str, Counter[str]] = defaultdict(Counter)
        self.breakdowns: defaultdict[str, defaultdict[str, Counter[str]]] = defaultdict(
            lambda: defaultdict(Counter)
        )
        self.resolved: defaultdict[tuple[str, str], Counter[str]] = defaultdict(Counter)
        self.visits: defaultdict[str, dict[str, Visits]] = defaultdict(dict)
        self.held: Counter[str] = Counter()
        self.satisfaction: dict[str, Satisfaction] = {}

    def received(self, rows: Sequence[Row[Any]]) -> None:
        for row in rows:
            self.petitions[row.unit].update(
                received=row.received,
                several_signers=row.several_signers,
                group_petitions=row.group_petitions,
                group_people=row.group_people,
            )
            self.breakdowns[row.unit]["by_kind"][row.kind] += row.received

    def breakdown(self, name: str, rows: Sequence[Row[Any]]) -> None:
        for row in rows:
            self.breakdowns[row.unit][name][row.value] += row.petitions

    def carried_over(self, rows: Sequence[Row[Any]]) -> None:
        for row in rows:
            self.petitions[row.unit]["carried_over"] += row.carried_over

    def decisions(self, rows: Sequence[Row[Any]]) -> None:
        for row in rows:
            self.petitions[row.unit][INTAKE[row.action]] += row.petitions
            if row.action == Action.ACCEPT:
                self.breakdowns[row.unit]["accepted_by_kind"][row.kind] += row.petitions
                if row.kind in RESOLVED_KINDS:
                    instance = "accepted_second" if row.instance == 2 else "accepted_first"
                    self.resolved[row.unit, RESOLVED_KINDS[row.kind]][instance] += row.petitions

    def answers(self, rows: Sequence[Row[Any]]) -> None:
        for row in rows:
            on_time = row.answers - row.late
            self.petitions[row.unit].update(
                answered=row.answers, answered_on_time=on_time, answered_late=row.late
            )
            if row.kind in RESOLVED_KINDS:
                resolved = self.resolved[row.unit, RESOLVED_KINDS[row.kind]]
                resolved.update(answered=row.answers, on_time=on_time, late=row.late)
                if row.outcome:
                    resolved[row.outcome] += row.answers

    def receptions(self, rows: Sequence[Row[Any]]) -> None:
        for row in rows:
            way = row.kind
            if row.kind != ReceptionKind.REGULAR:
                way += "_in_person" if row.in_person else "_delegated"
            counted = Visits(row.sessions, row.visits, row.people, row.matters, row.groups)
            self.visits[row.unit][way] = counted

    def dialogues(self, rows: Sequence[Row[Any]]) -> None:
        for row in rows:
            self.held[row.unit] += row.held

    def ratings(self, rows: Sequence[Row[Any]]) -> None:
        for row in rows:
            self.satisfaction[row.unit] = Satisfaction(row.ratings, row.satisfied, row.score_total)

    def figures(self, unit: str) -> Figures:
        """One unit's figures (zeros where nothing happened)."""
        breakdowns = {name: dict(counts) for name, counts in self.breakdowns[unit].items()}
        counts: dict[str, Any] = {**self.petitions[unit], **breakdowns}
        return Figures(
            petitions=Petitions(**counts),
            complaints=Resolutions(**self.resolved[unit, "complaints"]),
            denunciations=Resolutions(**self.resolved[unit, "denunciations"]),
            receptions=ReceptionFigures(**self.visits[unit]),
            dialogues_held=self.held[unit],
            satisfaction=self.satisfaction.get(unit, Satisfaction()),
        )
