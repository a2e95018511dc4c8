"""The figures of a report: plain numbers the database counted, read by the forms by name.

A unit's figures are additive: a total, or a commune with its offices, is their sum. The times
to acceptance and to answer are not (an average of averages is wrong, a percentile more so):
they exist for the whole scope only. A form names a figure by a dotted key
(`complaints.correct`, `receptions.regular.visits`, `petitions.by_field.dat_dai`); `resolve`
reads it, `check_key` tells a template's author which key is wrong.

What is counted, for a period [start, end) and the unit that holds a petition now:
- received: petitions received in the period; their kind, field, channel, state today, and
  whether several people signed (group_size > 1) or it is a group petition (5 or more);
- carried over: received before the period and not decided (accepted, refused, forwarded,
  guided) before it started;
- accepted, refused, forwarded, guided: petitions with that intake decision (an event) in the
  period; eligible = accepted + forwarded + guided, the letters a decision other than a refusal
  was taken on (Thông tư 05/2021/TT-TTCP: within competence, accepted; outside it, guided or
  forwarded);
- answered: answers sent in the period, on time or late (see `ANSWER_RULES`);
- complaints and denunciations: accepted (thụ lý) in the period by instance, answered in the
  period by outcome, on time or late;
- receptions: visits recorded in the period; dialogues: sessions held in the period; ratings:
  given in the period, to petitions of the unit;
- survey: the satisfaction surveys of petitions answered in the period (a survey whose period
  lies within the report's), by the unit that answered them, whenever their answers came.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from functools import reduce
from typing import Any, TypeVar

from bot.domain.org import Organisation
from bot.domain.petition import PetitionKind, PetitionState
from bot.domain.surveys import ASPECTS, indices, overall_index
from bot.reporting.periods import Period

# The deadlines an answer meets: resolving a complaint (first and second instance), concluding
# a denunciation, answering a petition or feedback (LEGAL §3, bot/data/rules.toml). An answer is
# late when the day it was sent (in Vietnam) is after the due date of the deadline it met: the
# met deadline of these rules on its petition with the latest start not after that day (a
# petition reopened by its citizen has one per answer period). An answer with no such deadline
# is on time: no date bound it.
ANSWER_RULES = frozenset({"kn1.resolve", "kn2.resolve", "tc.resolve", "pakn.answer"})
SATISFIED_FROM = 4  # ratings of 4 and 5 out of 5 count as satisfied

Number = int | float
T = TypeVar("T")


# A breakdown (counts by some value) lists in its metadata the values a form may name.
KINDS = {"keys": frozenset(PetitionKind)}
STATES = {"keys": frozenset(PetitionState)}
ASPECT_KEYS = {"keys": frozenset(ASPECTS)}
# A figure only a whole scope has: adding units does not give it.
PER_SCOPE = {"per_scope": True}


@dataclass(frozen=True)
class Petitions:
    """Đơn: letters received and decided in the period."""

    received: int = 0
    several_signers: int = 0  # đơn nhiều người đứng tên: group_size > 1
    group_petitions: int = 0  # đơn đông người: group_size ≥ 5
    group_people: int = 0  # the people of those
    carried_over: int = 0  # kỳ trước chuyển sang
    accepted: int = 0
    refused: int = 0
    forwarded: int = 0
    guided: int = 0
    answered: int = 0
    answered_on_time: int = 0
    answered_late: int = 0
    by_kind: dict[str, int] = field(default_factory=dict, metadata=KINDS)
    by_field: dict[str, int] = field(default_factory=dict)
    by_state: dict[str, int] = field(default_factory=dict, metadata=STATES)
    by_channel: dict[str, int] = field(default_factory=dict)
    accepted_by_kind: dict[str, int] = field(default_factory=dict, metadata=KINDS)
    eligible_by_field: dict[str, int] = field(default_factory=dict)

    @property
    def one_signer(self) -> int:
        """Received letters one person signed."""
        return self.received - self.several_signers

    @property
    def in_hand(self) -> int:
        """Tổng số đơn: carried over and received."""
        return self.carried_over + self.received

    @property
    def eligible(self) -> int:
        """Đủ điều kiện xử lý: accepted, or guided or forwarded to the competent body."""
        return self.accepted + self.forwarded + self.guided

    @property
    def handled(self) -> int:
        """Đã xử lý: every intake decision, refusals included."""
        return self.eligible + self.refused

    @property
    def on_time_share(self) -> float | None:
        """Answers sent on time, of all answers (None when none was sent)."""
        return self.answered_on_time / self.answered if self.answered else None


@dataclass(frozen=True)
class Resolutions:
    """Complaints or denunciations within the unit's competence, and how they were decided."""

    accepted_first: int = 0  # thụ lý, first instance
    accepted_second: int = 0  # thụ lý, second instance (complaints only)
    answered: int = 0  # decisions or conclusions sent
    correct: int = 0  # đúng
    partly: int = 0  # có đúng, có sai
    incorrect: int = 0  # sai
    upheld: int = 0  # second instance: the first decision stands
    annulled: int = 0  # second instance: the first decision is annulled or changed
    on_time: int = 0
    late: int = 0

    @property
    def accepted(self) -> int:
        """Thụ lý, both instances."""
        return self.accepted_first + self.accepted_second


@dataclass(frozen=True)
class Visits:
    """Citizens received in person, one way of receiving them."""

    sessions: int = 0  # kỳ tiếp: distinct days with a visit
    visits: int = 0  # lượt
    people: int = 0  # người: everyone who came
    matters: int = 0  # vụ việc: one per petition the visits became, one per other visit
    groups: int = 0  # đoàn đông người: visits of 5 or more people


@dataclass(frozen=True)
class Receptions:
    """Tiếp công dân (01/TCD): regular reception, and the head's scheduled and unscheduled."""

    regular: Visits = field(default_factory=Visits)
    scheduled_in_person: Visits = field(default_factory=Visits)
    scheduled_delegated: Visits = field(default_factory=Visits)
    unscheduled_in_person: Visits = field(default_factory=Visits)
    unscheduled_delegated: Visits = field(default_factory=Visits)

    @property
    def total(self) -> Visits:
        """Every visit, however received."""
        ways = (getattr(self, item.name) for item in dataclasses.fields(self))
        return sum_of(ways, Visits())


@dataclass(frozen=True)
class Satisfaction:
    """Citizens' ratings (1-5) of the answers."""

    ratings: int = 0
    satisfied: int = 0  # rated 4 or 5
    score_total: int = 0

    @property
    def share_satisfied(self) -> float | None:
        """Ratings of 4 or 5, of all ratings (None when nobody rated)."""
        return self.satisfied / self.ratings if self.ratings else None

    @property
    def average_score(self) -> float | None:
        """The mean rating (None when nobody rated)."""
        return self.score_total / self.ratings if self.ratings else None


@dataclass(frozen=True)
class Survey:
    """Satisfaction surveys of the petitions answered in the period (bot.domain.surveys): who
    was sent one, who answered, and per aspect the 1-5 answers and their points."""

    invited: int = 0
    responses: int = 0
    answers: dict[str, int] = field(default_factory=dict, metadata=ASPECT_KEYS)
    points: dict[str, int] = field(default_factory=dict, metadata=ASPECT_KEYS)

    @property
    def response_share(self) -> float | None:
        """Answered, of those sent a survey (None when nobody was)."""
        return self.responses / self.invited if self.invited else None

    @property
    def index(self) -> dict[str, float | None]:
        """Each aspect's index, 0 to 1 (None where nobody answered it)."""
        return indices(self.answers, self.points)

    @property
    def overall(self) -> float | None:
        """The unit's index: the mean of its aspects' indices."""
        return overall_index(self.answers, self.points)


@dataclass(frozen=True)
class Durations:
    """Days from receipt to a step, over a whole scope: how many, their mean and 90th percentile
    (nearest rank: the smallest duration that at least 90 % of them do not exceed)."""

    count: int = 0
    average_days: float | None = None
    p90_days: float | None = None


@dataclass(frozen=True)
class Figures:
    """Everything a report counts, for one unit, a roll-up of units, or the whole scope."""

    petitions: Petitions = field(default_factory=Petitions)
    complaints: Resolutions = field(default_factory=Resolutions)
    denunciations: Resolutions = field(default_factory=Resolutions)
    receptions: Receptions = field(default_factory=Receptions)
    dialogues_held: int = 0
    satisfaction: Satisfaction = field(default_factory=Satisfaction)
    survey: Survey = field(default_factory=Survey)
    to_acceptance: Durations | None = field(default=None, metadata=PER_SCOPE)
    to_answer: Durations | None = field(default=None, metadata=PER_SCOPE)


@dataclass(frozen=True)
class Volume:
    """What the charts draw over a scope: received by field and kind, and by local month."""

    by_field_kind: dict[str, dict[str, int]]  # field → kind → petitions
    by_month: dict[str, int]  # "YYYY-MM" → petitions, in order


@dataclass(frozen=True)
class ReportMetrics:
    """The figures of every unit of a scope for a period, and the scope's durations."""

    period: Period
    units: dict[str, Figures]  # every unit of the scope, in the organisation's order
    to_acceptance: Durations
    to_answer: Durations

    @property
    def total(self) -> Figures:
        """The whole scope: the units' sum, with the durations."""
        summed = sum_of(self.units.values(), Figures())
        return dataclasses.replace(
            summed, to_acceptance=self.to_acceptance, to_answer=self.to_answer
        )


def add(first: T, second: T) -> T:
    """Two figures of the same shape, field by field: numbers add, breakdowns merge, what only
    a whole scope has is dropped."""
    values: dict[str, Any] = {}
    for item in dataclasses.fields(first):  # type: ignore[arg-type]
        mine, theirs = getattr(first, item.name), getattr(second, item.name)
        if item.metadata.get("per_scope"):
            values[item.name] = None
        elif isinstance(mine, int):
            values[item.name] = mine + theirs
        elif isinstance(mine, dict):
            values[item.name] = {k: mine.get(k, 0) + theirs.get(k, 0) for k in mine | theirs}
        else:
            values[item.name] = add(mine, theirs)
    return type(first)(**values)


def sum_of(items: Iterable[T], zero: T) -> T:
    """The sum of figures, `zero` when there are none."""
    return reduce(add, items, zero)


def unit_rows(
    org: Organisation, scope_unit: str, report: ReportMetrics
) -> list[tuple[str, Figures]]:
    """A form's rows: the scope's unit on its own, then each unit right under it with everything
    under that one (a commune with its offices), as a province's report lists its communes."""
    rows = [(org.units[scope_unit].name, report.units.get(scope_unit, Figures()))]
    for child in org.units.values():
        if child.parent == scope_unit and child.code in report.units:
            below = [f for code, f in report.units.items() if child.code in org.lineage(code)]
            rows.append((child.name, sum_of(below, Figures())))
    return rows


class UnknownMetric(ValueError):
    """A key names no figure (or a group of figures, not a number)."""


ANY_VALUE = "*"  # in a key being checked: whatever value of a breakdown


# Figures with every optional part present, to check keys against.
_SAMPLE = Figures(to_acceptance=Durations(), to_answer=Durations())


def resolve(figures: Figures, key: str) -> Number | None:
    """The number a dotted key names; None where it is not computed (a unit's durations)."""
    value = _walk(figures, key)
    if value is None or (isinstance(value, int | float) and not isinstance(value, bool)):
        return value
    raise UnknownMetric(key)


def breakdown(figures: Figures, key: str) -> Mapping[str, int]:
    """The counts by value that a key names (`petitions.by_field`)."""
    value = _walk(figures, key)
    if not isinstance(value, dict):
        raise UnknownMetric(key)
    return value


def check_key(key: str, *, breakdown_key: bool = False) -> None:
    """Raise UnknownMetric unless the key names a number (or, asked, a breakdown)."""
    if breakdown_key:
        breakdown(_SAMPLE, key)
    else:
        resolve(_SAMPLE, key)


def _walk(figures: Figures, key: str) -> object:
    """Follow a dotted key through figures, properties and breakdowns."""
    value: object = figures
    allowed: frozenset[str] | None = None
    for part in key.split("."):
        if isinstance(value, dict):
            if allowed is not None and part not in allowed | {ANY_VALUE}:
                raise UnknownMetric(key)
            value, allowed = value.get(part, 0), None
        elif value is None:
            return None
        else:
            value, allowed = _attribute(value, part, key)
    return value


def _attribute(value: object, name: str, key: str) -> tuple[object, frozenset[str] | None]:
    """A field or property of figures, with the values a breakdown field allows."""
    if not dataclasses.is_dataclass(value) or isinstance(value, type):
        raise UnknownMetric(key)
    declared = {item.name: item for item in dataclasses.fields(value)}
    if name in declared:
        return getattr(value, name), declared[name].metadata.get("keys")
    if isinstance(getattr(type(value), name, None), property):
        return getattr(value, name), None
    raise UnknownMetric(key)
