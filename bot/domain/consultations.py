"""Public consultations (lấy ý kiến, Luật Thực hiện dân chủ ở cơ sở 2022): the question set as
data, what an answer to each kind of question may be, and the tally. Pure: no messenger, no
database.

A question set is a tuple of `Question`s, so that another questionnaire (a satisfaction survey)
is the same data read from elsewhere, answered by the same steps and tallied by the same code.
"""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta
from enum import StrEnum
from zoneinfo import ZoneInfo

from bot.domain.org import Organisation

LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")
MAX_QUESTIONS = 10
MAX_OPTIONS = 8
MIN_OPTIONS = 2
MAX_OPTION_CHARS = 60
MAX_QUESTION_CHARS = 300
SCALE = ("1", "2", "3", "4", "5")
MIN_TEXT_LIMIT, MAX_TEXT_LIMIT = 50, 2000


class QuestionKind(StrEnum):
    """What a question takes."""

    ONE = "one"  # one of the options
    MANY = "many"  # any of the options, at least one
    SCALE = "scale"  # 1 to 5
    TEXT = "text"  # free words, up to `limit` characters


class ConsultationState(StrEnum):
    """Where a consultation stands (open or closed follows from the dates)."""

    PUBLISHED = "published"
    SUMMARISED = "summarised"  # the summary was sent to those who took part


class OpinionMark(StrEnum):
    """What the commune did with an opinion."""

    TAKEN_IN = "taken_in"  # tiếp thu
    ANSWERED = "answered"  # giải trình


@dataclass(frozen=True)
class Question:
    """One question of a set: its words, its kind, its options (choices), its length limit."""

    text: str
    kind: QuestionKind
    options: tuple[str, ...] = ()
    limit: int = 0
    aspect: str = ""  # a satisfaction survey's aspect (bot.domain.surveys); "" elsewhere

    def tokens(self) -> tuple[str, ...]:
        """The answers a choice or a scale question takes, as stored."""
        if self.kind is QuestionKind.SCALE:
            return SCALE
        return tuple(str(index) for index in range(len(self.options)))

    def as_data(self) -> dict[str, object]:
        """The question as stored (JSON)."""
        data: dict[str, object] = {
            "text": self.text,
            "kind": str(self.kind),
            "options": list(self.options),
            "limit": self.limit,
        }
        if self.aspect:
            data["aspect"] = self.aspect
        return data

    @classmethod
    def from_data(cls, data: Mapping[str, object]) -> Question:
        """A question as stored."""
        options = data.get("options") or []
        assert isinstance(options, list)
        limit = data.get("limit") or 0
        assert isinstance(limit, int)
        aspect = str(data.get("aspect") or "")
        return cls(
            str(data["text"]), QuestionKind(str(data["kind"])), tuple(options), limit, aspect
        )


def question_problem(question: Question) -> str | None:
    """Why a question cannot be asked as it is (a short code), or None."""
    if not 0 < len(question.text) <= MAX_QUESTION_CHARS:
        return "text"
    if question.kind in (QuestionKind.ONE, QuestionKind.MANY):
        if not MIN_OPTIONS <= len(question.options) <= MAX_OPTIONS:
            return "options"
        if any(not 0 < len(o) <= MAX_OPTION_CHARS for o in question.options):
            return "options"
        if len(set(question.options)) != len(question.options):
            return "options"
    elif question.options:
        return "options"
    if (
        question.kind is QuestionKind.TEXT
        and not MIN_TEXT_LIMIT <= question.limit <= MAX_TEXT_LIMIT
    ):
        return "limit"
    return None


def split_options(text: str) -> tuple[str, ...]:
    """Options typed on one line separated by «;», or one a line."""
    parts = text.replace("\n", ";").split(";")
    return tuple(" ".join(part.split()) for part in parts if part.strip())


def valid_answer(question: Question, answer: Sequence[str]) -> bool:
    """Whether `answer` (tokens, or the words of a text question) fits the question; an empty
    answer means the question was skipped, which any question allows but a choice of one."""
    if not answer:
        return question.kind is not QuestionKind.ONE
    if question.kind is QuestionKind.TEXT:
        return len(answer) == 1 and 0 < len(answer[0]) <= question.limit
    tokens = question.tokens()
    if question.kind is QuestionKind.MANY:
        return len(set(answer)) == len(answer) and all(a in tokens for a in answer)
    return len(answer) == 1 and answer[0] in tokens


def complete(questions: Sequence[Question], answers: Mapping[int, Sequence[str]]) -> bool:
    """Whether every question has a valid answer (a skipped one counts as answered)."""
    return all(i in answers and valid_answer(q, answers[i]) for i, q in enumerate(questions))


def opening_moment(day: date) -> datetime:
    """A consultation opens at the start of its first day in Vietnam."""
    return datetime.combine(day, time(), LOCAL_TZ)


def closing_moment(day: date) -> datetime:
    """It closes at the end of its last day in Vietnam (midnight after it)."""
    return datetime.combine(day + timedelta(days=1), time(), LOCAL_TZ)


def reminder_moment(closes_at: datetime, now: datetime) -> datetime | None:
    """The day before it closes (at the same hour), unless that has passed."""
    moment = closes_at - timedelta(days=1)
    return moment if moment > now else None


def is_open(opens_at: datetime, closes_at: datetime, now: datetime) -> bool:
    """Whether answers are taken now."""
    return opens_at <= now < closes_at


@dataclass(frozen=True)
class Tally:
    """One question's figures: how many answered, and for a choice or a scale, per option."""

    answered: int
    counts: tuple[tuple[str, int], ...] = ()  # (token, how many chose it), in the options' order
    average: float | None = None  # a scale's mean


def tally(
    questions: Sequence[Question], answer_sets: Iterable[Mapping[int, Sequence[str]]]
) -> list[Tally]:
    """The figures of each question over the answer sets submitted."""
    sets = list(answer_sets)
    figures = []
    for index, question in enumerate(questions):
        given = [answers.get(index, ()) for answers in sets]
        given = [answer for answer in given if answer]
        if question.kind is QuestionKind.TEXT:
            figures.append(Tally(len(given)))
            continue
        counter = Counter(token for answer in given for token in answer)
        counts = tuple((token, counter.get(token, 0)) for token in question.tokens())
        average = None
        if question.kind is QuestionKind.SCALE and given:
            average = sum(int(answer[0]) for answer in given) / len(given)
        figures.append(Tally(len(given), counts, average))
    return figures


def option_label(question: Question, token: str) -> str:
    """An answer's words as the person saw them: the option, or the scale's number."""
    if question.kind in (QuestionKind.ONE, QuestionKind.MANY):
        return question.options[int(token)]
    return token


def answering_places(org: Organisation, audience: Iterable[str]) -> list[str]:
    """The places a person answers for: the villages of each commune in the audience (the
    commune itself when it has none), and each village named."""
    places: list[str] = []
    for code in audience:
        if code in org.units:
            places += [area.code for area in org.areas_of(code)] or [code]
        elif code in org.areas:
            places.append(code)
    return list(dict.fromkeys(places))
