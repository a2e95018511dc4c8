"""Satisfaction surveys (khảo sát sự hài lòng, SIPAS-style): the question set as a template file
and the satisfaction index. Pure: no messenger, no database.

A survey's questions are the consultations' `Question`s with an aspect, read from
`bot/data/surveys/<code>.toml`, so that they are answered by the consultations' steps and tallied
by the same code; a new official set is a new file.

The index (chỉ số hài lòng), per unit and per aspect, from the 1-5 scale answers only (a choice
question is reported as counts, not scored):

    index(aspect) = (mean score of the aspect's answers − 1) / 4, shown as 0-100 %

so that 1 («rất không hài lòng») is 0 %, 3 is 50 % and 5 («rất hài lòng») is 100 %. The unit's
index is the mean of the indices of the aspects answered, each aspect weighing the same however
many questions it has. A unit with no answer has no index (blank, not 0 %). A roll-up of units
adds the answers and the points, then divides: it is not an average of the units' indices.
"""

from __future__ import annotations

import tomllib
from collections.abc import Mapping
from dataclasses import dataclass
from enum import StrEnum
from pathlib import Path

from bot.domain.consultations import MAX_QUESTIONS, Question, QuestionKind, question_problem

SURVEYS_DIR = Path(__file__).resolve().parent.parent / "data" / "surveys"
DEFAULT_SURVEY = "sipas"
SCORED = QuestionKind.SCALE


class Aspect(StrEnum):
    """What a question asks about, as SIPAS groups it."""

    ACCESS = "access"  # tiếp cận dịch vụ
    PROCEDURES = "procedures"  # thủ tục, quy trình
    OFFICERS = "officers"  # công chức
    RESULTS = "results"  # kết quả
    OVERALL = "overall"  # đánh giá chung


ASPECTS = tuple(Aspect)


class SurveyError(ValueError):
    """A template that cannot be used; the message names the file and what is wrong."""


@dataclass(frozen=True)
class SurveyTemplate:
    """A question set read from its file."""

    code: str
    title: str
    intro: str
    questions: tuple[Question, ...]


def load_survey(code: str = DEFAULT_SURVEY, directory: Path = SURVEYS_DIR) -> SurveyTemplate:
    """Read and check a template: every question askable, with a known aspect."""
    path = directory / f"{code}.toml"
    if not code.isidentifier() or not path.is_file():
        raise SurveyError(f"{path}: no such survey")
    with path.open("rb") as handle:
        data = tomllib.load(handle)
    questions = []
    for number, item in enumerate(data.get("questions", []), start=1):
        try:
            question = Question(
                str(item["text"]),
                QuestionKind(item["kind"]),
                tuple(item.get("options", ())),
                int(item.get("limit", 0)),
                Aspect(item["aspect"]),
            )
        except (KeyError, ValueError) as error:
            raise SurveyError(f"{path}: question {number}: {error}") from error
        if question.kind not in (QuestionKind.SCALE, QuestionKind.ONE, QuestionKind.MANY):
            raise SurveyError(f"{path}: question {number}: a survey asks scales or choices")
        if problem := question_problem(question):
            raise SurveyError(f"{path}: question {number}: {problem}")
        questions.append(question)
    if not 0 < len(questions) <= MAX_QUESTIONS or not any(q.kind is SCORED for q in questions):
        raise SurveyError(f"{path}: 1 to {MAX_QUESTIONS} questions, at least one a 1-5 scale")
    if str(data.get("code")) != code or not data.get("title"):
        raise SurveyError(f"{path}: its code must be its file name, and it needs a title")
    return SurveyTemplate(code, str(data["title"]), str(data.get("intro", "")), tuple(questions))


def survey_codes(directory: Path = SURVEYS_DIR) -> list[str]:
    """The templates there are."""
    return sorted(path.stem for path in directory.glob("*.toml"))


def aspect_index(answers: int, points: int) -> float | None:
    """An aspect's index, 0 to 1, from how many scale answers and their points (None: none)."""
    if not answers:
        return None
    return (points / answers - 1) / 4


def indices(answers: Mapping[str, int], points: Mapping[str, int]) -> dict[str, float | None]:
    """Every aspect's index (None where nobody answered it)."""
    return {
        aspect: aspect_index(answers.get(aspect, 0), points.get(aspect, 0)) for aspect in ASPECTS
    }


def overall_index(answers: Mapping[str, int], points: Mapping[str, int]) -> float | None:
    """The mean of the aspects' indices that exist (None when none does)."""
    found = [value for value in indices(answers, points).values() if value is not None]
    return sum(found) / len(found) if found else None
