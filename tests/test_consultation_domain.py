"""The question set as data (`bot.domain.consultations`): what each kind of question takes, the
tally, the dates, and the places a person answers for."""

from __future__ import annotations

from datetime import UTC, date, datetime

from bot.app import DEMO_ORG_FILE, load_organisation
from bot.domain.consultations import (
    Question,
    QuestionKind,
    Tally,
    answering_places,
    closing_moment,
    complete,
    opening_moment,
    question_problem,
    reminder_moment,
    split_options,
    tally,
    valid_answer,
)

CHOICE = Question("Đồng ý không?", QuestionKind.ONE, ("Có", "Không"))
SEVERAL = Question("Vị trí nào?", QuestionKind.MANY, ("Đầu xóm", "Giữa xóm", "Cuối xóm"))
SCALE = Question("Mức cần thiết?", QuestionKind.SCALE)
WORDS = Question("Ý kiến khác?", QuestionKind.TEXT, (), 50)
SET = (CHOICE, SEVERAL, SCALE, WORDS)


def test_a_question_set_is_data_that_reads_back_the_same() -> None:
    assert tuple(Question.from_data(q.as_data()) for q in SET) == SET


def test_what_each_kind_of_question_takes() -> None:
    assert valid_answer(CHOICE, ["1"]) and not valid_answer(CHOICE, ["2"])
    assert not valid_answer(CHOICE, []), "a choice of one must be answered"
    assert valid_answer(SEVERAL, ["0", "2"]) and valid_answer(SEVERAL, [])
    assert not valid_answer(SEVERAL, ["0", "0"]) and not valid_answer(SEVERAL, ["3"])
    assert valid_answer(SCALE, ["5"]) and not valid_answer(SCALE, ["6"])
    assert valid_answer(SCALE, []), "a scale may be skipped"
    assert valid_answer(WORDS, ["x" * 50]) and not valid_answer(WORDS, ["x" * 51])
    assert complete(SET, {0: ["0"], 1: [], 2: ["3"], 3: []})
    assert not complete(SET, {0: ["0"], 1: [], 2: ["3"]}), "every question answered or skipped"


def test_a_question_that_cannot_be_asked_is_refused() -> None:
    assert question_problem(CHOICE) is None and question_problem(WORDS) is None
    assert question_problem(Question("Chọn?", QuestionKind.ONE, ("Có",))) == "options"
    assert question_problem(Question("Chọn?", QuestionKind.ONE, ("Có", "Có"))) == "options"
    assert question_problem(Question("Ý kiến?", QuestionKind.TEXT, (), 10)) == "limit"
    assert question_problem(Question("", QuestionKind.SCALE)) == "text"
    assert split_options("Có; Không ;\nChưa rõ") == ("Có", "Không", "Chưa rõ")


def test_the_tally_counts_each_option_and_the_scales_mean() -> None:
    sets = [
        {0: ["0"], 1: ["0", "2"], 2: ["5"], 3: ["Tốt"]},
        {0: ["1"], 1: ["2"], 2: ["3"]},
        {0: ["0"], 1: [], 2: []},
    ]
    assert tally(SET, sets) == [
        Tally(3, (("0", 2), ("1", 1))),
        Tally(2, (("0", 1), ("1", 0), ("2", 2))),
        Tally(2, (("1", 0), ("2", 0), ("3", 1), ("4", 0), ("5", 1)), 4.0),
        Tally(1),
    ]


def test_it_is_open_whole_days_in_vietnam_and_reminds_the_day_before() -> None:
    opens, closes = opening_moment(date(2026, 3, 2)), closing_moment(date(2026, 3, 6))
    assert opens == datetime(2026, 3, 1, 17, 0, tzinfo=UTC)
    assert closes == datetime(2026, 3, 6, 17, 0, tzinfo=UTC)
    assert reminder_moment(closes, opens) == datetime(2026, 3, 5, 17, 0, tzinfo=UTC)
    assert reminder_moment(closes, datetime(2026, 3, 6, 0, 0, tzinfo=UTC)) is None


def test_people_answer_for_the_villages_of_the_places_consulted() -> None:
    org = load_organisation(DEMO_ORG_FILE)
    assert answering_places(org, ["PD-NM", "PD-BT"]) == ["PD-NM", "PD-BT"]
    whole = answering_places(org, ["PD"])
    assert "PD-NM" in whole and "PD" not in whole and "TS-DC" not in whole
