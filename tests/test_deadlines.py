"""Deadline arithmetic (BLDS 2015 Art. 147-148) over the bundled rules and the VN calendar."""

from __future__ import annotations

import argparse
import copy
import re
import tomllib
from datetime import date
from pathlib import Path
from typing import Any

import pytest

from bot.commands import deadline as deadline_command
from bot.domain.calendar import vietnam_calendar
from bot.domain.deadlines import (
    Rule,
    TooManyExtensions,
    UnknownRule,
    compute_deadline,
    due_date,
    parse_rulebook,
)
from bot.rulebook import load_rulebook

RULES_FILE = Path(__file__).resolve().parents[1] / "bot" / "data" / "rules.toml"
BOOK = load_rulebook()
VN = vietnam_calendar([2024, 2025, 2026, 2027])


def due(rule_id: str, start: date, **modifiers: Any) -> date:
    """Compute a due date with the bundled rules and the national calendar."""
    return due_date(BOOK, rule_id, start, calendar=VN, **modifiers)


# --- calendar days ---------------------------------------------------------------------------


def test_ten_days_crossing_tet_2026() -> None:
    """Calendar days run through Tết; only the last day moves if the offices are closed."""
    # Tết 2026 days off (holidays VN): Mon 16/2 to Fri 20/2, with the weekends 14-15/2, 21-22/2.
    # Received Wed 11/2: day 1 = 12/2 ... day 10 = Sat 21/2 (closed) -> Sun 22/2 -> Mon 23/2
    assert due("kn1.accept", date(2026, 2, 11)) == date(2026, 2, 23)
    # Received Fri 13/2: day 10 = Mon 23/2, a working day: the 9 days of Tết still count
    assert due("kn1.accept", date(2026, 2, 13)) == date(2026, 2, 23)
    # Received Sat 14/2: day 10 = Tue 24/2
    assert due("kn1.accept", date(2026, 2, 14)) == date(2026, 2, 24)


def test_period_ending_on_saturday_moves_to_monday() -> None:
    """Accepted Thu 5/3/2026: day 30 is Sat 4/4, so the decision is due Mon 6/4."""
    # 5/3 + 26 = 31/3, + 4 = Sat 4/4 -> Sun 5/4 -> Mon 6/4
    assert due("kn1.resolve", date(2026, 3, 5)) == date(2026, 4, 6)


def test_period_ending_on_a_swapped_day_off_and_national_day() -> None:
    """Received Fri 21/8/2026: day 10 is Mon 31/8, off by swap, then 1/9 and 2/9 are holidays."""
    # 21/8 + 10 = Mon 31/8 (off, swapped for Sat 22/8) -> Tue 1/9, Wed 2/9 (Quốc khánh) -> Thu 3/9
    assert due("kn1.accept", date(2026, 8, 21)) == date(2026, 9, 3)


def test_period_ending_on_a_holiday_moves_to_next_working_day() -> None:
    """Received Mon 20/4/2026: day 10 is Thu 30/4, then 1/5 and the weekend: due Mon 4/5."""
    # 20/4 + 10 = Thu 30/4 (holiday) -> Fri 1/5 (holiday) -> Sat 2/5, Sun 3/5 -> Mon 4/5
    assert due("don.process", date(2026, 4, 20)) == date(2026, 5, 4)


def test_culture_day_24_11_moves_a_deadline_from_2026() -> None:
    """Received Sat 14/11: day 10 is 24/11, off in 2026 (Tuesday) but not in 2025 (Monday)."""
    # 2026: 14/11 + 10 = Tue 24/11 (Ngày Văn hóa Việt Nam) -> Wed 25/11
    assert due("kn1.accept", date(2026, 11, 14)) == date(2026, 11, 25)
    # 2025: 14/11 + 10 = Mon 24/11, an ordinary working day
    assert due("kn1.accept", date(2025, 11, 14)) == date(2025, 11, 24)


def test_file_limit_runs_into_next_year() -> None:
    """Decision received Sun 20/12/2026: 90 days end Sat 20/3/2027, so Mon 22/3/2027."""
    # 20/12 + 11 = 31/12, + 31 = 31/1, + 28 = 28/2, + 20 = Sat 20/3/2027 -> Mon 22/3
    assert due("kn.file_limit", date(2026, 12, 20)) == date(2027, 3, 22)


# --- working days ----------------------------------------------------------------------------


def test_tc_initial_seven_working_days_across_tet() -> None:
    """Denunciation received Fri 13/2/2026: 7 working days skip Tết."""
    # 14/2-22/2 closed; Mon 23/2 (1), 24 (2), 25 (3), 26 (4), 27 (5), Mon 2/3 (6), Tue 3/3 (7)
    assert due("tc.initial", date(2026, 2, 13)) == date(2026, 3, 3)
    # extended to 10: Wed 4/3 (8), Thu 5/3 (9), Fri 6/3 (10)
    assert due("tc.initial", date(2026, 2, 13), extensions=1) == date(2026, 3, 6)


def test_tc_initial_allows_one_extension_only() -> None:
    """7 + 3 = 10 working days is the ceiling (LTC Art. 24)."""
    with pytest.raises(TooManyExtensions, match="at most 1 for normal cases"):
        due("tc.initial", date(2026, 2, 13), extensions=2)


def test_pakn_answer_counts_the_swapped_saturday() -> None:
    """Feedback received Thu 24/4/2025: 15 working days, Sat 26/4 worked by swap counts."""
    # Fri 25/4 (1), Sat 26/4 worked (2), Mon 28/4 (3), Tue 29/4 (4); 30/4, 1/5 holidays, Fri 2/5
    # swapped off, weekend; Mon 5/5 (5) ... Fri 9/5 (9), Mon 12/5 (10) ... Fri 16/5 (14),
    # Mon 19/5 (15)
    assert due("pakn.answer", date(2025, 4, 24)) == date(2025, 5, 19)


def test_tc_notify_five_working_days_around_a_swap() -> None:
    """Accepted Fri 26/4/2024: Mon 29/4 off by swap, Sat 4/5 worked in its place."""
    # 29/4 swapped off, 30/4 and 1/5 holidays; Thu 2/5 (1), Fri 3/5 (2), Sat 4/5 worked (3),
    # Mon 6/5 (4), Tue 7/5 (5)
    assert due("tc.notify", date(2024, 4, 26)) == date(2024, 5, 7)


def test_working_days_from_a_weekend_start() -> None:
    """Accepted on Sat 14/2/2026 (a Tết weekend): the first working day after is Mon 23/2."""
    # Mon 23/2 (1), 24 (2), 25 (3), 26 (4), Fri 27/2 (5)
    assert due("tc.notify", date(2026, 2, 14)) == date(2026, 2, 27)


# --- modifiers and extensions ----------------------------------------------------------------


@pytest.mark.parametrize(
    ("modifiers", "expected"),
    [
        # 30 days: 5/3 + 30 = Sat 4/4 -> Mon 6/4
        ({}, date(2026, 4, 6)),
        # 45 days: 5/3 + 45 = Sun 19/4 -> Mon 20/4
        ({"complex": True}, date(2026, 4, 20)),
        ({"remote": True}, date(2026, 4, 20)),
        # 60 days: 5/3 + 60 = Mon 4/5
        ({"remote": True, "complex": True}, date(2026, 5, 4)),
        # LKN has no "especially complex": it takes the complex row, 45 days
        ({"especially_complex": True}, date(2026, 4, 20)),
    ],
)
def test_kn1_resolve_variants(modifiers: dict[str, bool], expected: date) -> None:
    """First-instance decision, accepted Thu 5/3/2026: 30 / 45 / 45 / 60 days (LKN Art. 28)."""
    assert due("kn1.resolve", date(2026, 3, 5), **modifiers) == expected


@pytest.mark.parametrize(
    ("modifiers", "expected"),
    [
        # 45 days: 5/3 + 45 = Sun 19/4 -> Mon 20/4
        ({}, date(2026, 4, 20)),
        # 60 days: 5/3 + 60 = Mon 4/5
        ({"complex": True}, date(2026, 5, 4)),
        ({"remote": True}, date(2026, 5, 4)),
        # 70 days: 4/5 + 10 = Thu 14/5
        ({"remote": True, "complex": True}, date(2026, 5, 14)),
    ],
)
def test_kn2_resolve_variants(modifiers: dict[str, bool], expected: date) -> None:
    """Second-instance decision, accepted Thu 5/3/2026: 45 / 60 / 60 / 70 days (LKN Art. 37)."""
    assert due("kn2.resolve", date(2026, 3, 5), **modifiers) == expected


def test_remote_second_complaint_window() -> None:
    """Decision received Thu 5/3/2026: 30 days (Sat 4/4 -> Mon 6/4); remote 45 (-> Mon 20/4)."""
    assert due("kn2.file_window", date(2026, 3, 5)) == date(2026, 4, 6)
    assert due("kn2.file_window", date(2026, 3, 5), remote=True) == date(2026, 4, 20)
    # "complex" has no row here: the remote row applies
    assert due("kn2.file_window", date(2026, 3, 5), remote=True, complex=True) == date(2026, 4, 20)


def test_tc_resolve_extension_counts_from_the_same_start() -> None:
    """Accepted Thu 5/3/2026, complex, one extension: 30 + 30 = 60 days from 5/3, due Mon 4/5."""
    # 5/3 + 60 = Mon 4/5 (a working day). Not 30 days from the moved first end (Mon 6/4 + 30 =
    # Wed 6/5): the end-of-period rule applies once, to the final day.
    assert due("tc.resolve", date(2026, 3, 5), complex=True, extensions=1) == date(2026, 5, 4)
    # without the extension: 5/3 + 30 = Sat 4/4 -> Mon 6/4
    assert due("tc.resolve", date(2026, 3, 5), complex=True) == date(2026, 4, 6)


def test_tc_resolve_especially_complex_two_extensions() -> None:
    """Accepted Thu 5/3/2026, especially complex, two extensions: 90 days, due Wed 3/6."""
    # 5/3 + 60 = 4/5, + 27 = 31/5, + 3 = Wed 3/6
    d = due("tc.resolve", date(2026, 3, 5), especially_complex=True, extensions=2)
    assert d == date(2026, 6, 3)


def test_tc_resolve_third_extension_raises() -> None:
    """An especially complex denunciation may be extended twice, never three times."""
    with pytest.raises(TooManyExtensions, match="at most 2 for especially complex cases"):
        due("tc.resolve", date(2026, 3, 5), especially_complex=True, extensions=3)


def test_tc_resolve_extension_of_a_normal_case_raises() -> None:
    """An ordinary denunciation cannot be extended at all."""
    with pytest.raises(TooManyExtensions, match="at most 0 for normal cases"):
        due("tc.resolve", date(2026, 3, 5), extensions=1)
    with pytest.raises(TooManyExtensions, match="at most 1 for complex cases"):
        due("tc.resolve", date(2026, 3, 5), complex=True, extensions=2)


def test_complaint_rules_have_no_extensions() -> None:
    """LKN periods have rows, not extensions: asking for one is an error."""
    with pytest.raises(TooManyExtensions):
        due("kn1.resolve", date(2026, 3, 5), complex=True, extensions=1)


def test_deadline_carries_its_basis() -> None:
    """The result says which row, how many days and which article it rests on."""
    d = compute_deadline(BOOK, "kn1.resolve", date(2026, 3, 5), calendar=VN, remote=True)
    assert (d.due, d.n_days, d.unit, d.variant) == (date(2026, 4, 20), 45, "days", "remote")
    assert d.source == "Điều 28 Luật Khiếu nại 2011"


def test_a_single_rule_can_be_passed() -> None:
    """due_date accepts a Rule as well as a RuleBook."""
    rule = BOOK.rule("kn1.accept")
    # 13/2/2026 + 10 = Mon 23/2
    assert due_date(rule, "kn1.accept", date(2026, 2, 13), calendar=VN) == date(2026, 2, 23)
    with pytest.raises(UnknownRule):
        due_date(rule, "kn2.accept", date(2026, 2, 13), calendar=VN)


def test_unknown_rule_id_names_the_known_ones() -> None:
    """A typo in a rule id fails with the list of valid ids."""
    with pytest.raises(UnknownRule, match=r"kn1\.accept"):
        due("kn1.acept", date(2026, 2, 13))


# --- the rules file ---------------------------------------------------------------------------


def raw_rules() -> dict[str, Any]:
    """Read the bundled rules file as plain data to mutate in a test."""
    with RULES_FILE.open("rb") as f:
        return tomllib.load(f)


def test_bundled_rules_cover_legal_section_3() -> None:
    """Every rule of LEGAL §3 is in the file, with a citation and a status."""
    assert set(BOOK.rules) == {
        "kn.file_limit",
        "kn1.accept",
        "kn1.resolve",
        "kn2.file_window",
        "kn2.accept",
        "kn2.resolve",
        "kn.effective",
        "tc.initial",
        "tc.notify",
        "tc.resolve",
        "don.process",
        "pakn.answer",
    }
    assert BOOK.rule("pakn.answer").status == "policy"
    assert BOOK.rule("tc.initial").status == "to verify"
    assert BOOK.kinds["khieu_nai"].on_receipt == ("kn1.accept",)
    assert BOOK.kinds["khieu_nai"].on_accept == ("kn1.resolve",)
    assert BOOK.kinds["to_cao"].on_receipt == ("tc.initial",)
    assert BOOK.kinds["to_cao"].on_accept == ("tc.notify", "tc.resolve")
    for kind in ("kien_nghi", "phan_anh"):
        assert BOOK.kinds[kind].on_receipt == ("don.process", "pakn.answer")
        assert BOOK.kinds[kind].on_accept == ()


def test_legal_staff_can_switch_a_rule_to_working_days() -> None:
    """A province that reads kn1.accept as 10 working days changes one field and gets its date."""
    data = raw_rules()
    data["rules"]["kn1.accept"]["unit"] = "working_days"
    book = parse_rulebook(data)
    # from Tue 10/2/2026: 11 (1), 12 (2), 13 (3), Tết, 23 (4) ... 27 (8), Mon 2/3 (9), Tue 3/3 (10)
    assert due_date(book, "kn1.accept", date(2026, 2, 10), calendar=VN) == date(2026, 3, 3)
    # the bundled calendar-day reading: 10/2 + 10 = Fri 20/2 (Tết) -> Mon 23/2
    assert due("kn1.accept", date(2026, 2, 10)) == date(2026, 2, 23)


def _set(data: dict[str, Any], path: tuple[str, ...], value: Any) -> None:
    """Set a nested key, or delete it when value is ... (Ellipsis)."""
    *parents, last = path
    node = data
    for key in parents:
        node = node[key]
    if value is ...:
        del node[last]
    else:
        node[last] = value


@pytest.mark.parametrize(
    ("path", "value", "message"),
    [
        (("rules", "kn1.accept", "unit"), "weeks", "unknown value 'weeks'"),
        (("rules", "kn1.accept", "unit"), "working days", "unknown value 'working days'"),
        (("rules", "kn1.accept", "source"), ..., "rules.kn1.accept: missing field 'source'"),
        (("rules", "kn1.accept", "n_days"), ..., "missing field 'n_days'"),
        (("rules", "kn1.accept", "n_days"), 0, "must be > 0"),
        (("rules", "kn1.accept", "n_days"), "10", "must be a whole number"),
        (("rules", "kn1.accept", "n_days"), True, "must be a whole number"),
        (("rules", "kn1.accept", "status"), "verfied", "unknown value 'verfied'"),
        (("rules", "kn1.accept", "days"), 10, "unknown field"),
        (("rules", "kn1.resolve", "variants", "remote+complex"), ..., "no 'remote+complex'"),
        (("rules", "kn1.resolve", "variants", "very_complex"), 50, "unknown value"),
        (("rules", "tc.resolve", "extension_days"), ..., "extension_days is 0"),
        (("rules", "tc.resolve", "max_extensions", "urgent"), 1, "unknown value 'urgent'"),
        (("kinds", "to_cao", "on_accept"), ["tc.notify", "tc.resolv"], "unknown rule 'tc.resolv'"),
        (("kinds", "phan_anh"), ..., "missing petition kind"),
        (("kinds", "complaint"), {"on_receipt": []}, "unknown value 'complaint'"),
        (("version",), ..., "missing field 'version'"),
        (("rules",), ..., "missing table 'rules'"),
    ],
)
def test_parse_rulebook_rejects_malformed_data(
    path: tuple[str, ...], value: Any, message: str
) -> None:
    """A typo in the rules file stops loading with a message that points at it."""
    data = copy.deepcopy(raw_rules())
    _set(data, path, value)
    with pytest.raises(ValueError, match=re.escape(message)):
        parse_rulebook(data)


def test_load_rulebook_names_the_file(tmp_path: Path) -> None:
    """Errors from a custom rules file say which file."""
    path = tmp_path / "rules.toml"
    path.write_text(
        RULES_FILE.read_text(encoding="utf-8").replace('unit = "days"', 'unit = "dayz"', 1),
        encoding="utf-8",
    )
    with pytest.raises(ValueError, match=r"rules\.toml.*unknown value 'dayz'"):
        load_rulebook(path)


def test_parsed_rule_is_immutable() -> None:
    """Rules are frozen: code cannot quietly change a legal period."""
    rule: Rule = BOOK.rule("kn1.resolve")
    with pytest.raises(TypeError):
        rule.variants["complex"] = 99  # type: ignore[index]


# --- the CLI ---------------------------------------------------------------------------------


def cli(*argv: str) -> int:
    """Run the deadline command as `python -m bot deadline ...` would."""
    parser = argparse.ArgumentParser()
    deadline_command.configure(parser)
    return deadline_command.run(parser.parse_args(list(argv)))


def test_cli_prints_the_due_date_on_the_last_line(capsys: pytest.CaptureFixture[str]) -> None:
    """kn1.accept from Tue 10/2/2026: 10 days end Fri 20/2 (Tết) -> Mon 23/2."""
    assert cli("kn1.accept", "2026-02-10") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "2026-02-23"
    assert "Điều 27 Luật Khiếu nại 2011" in out[0]
    assert "10 days" in out[0]


def test_cli_modifiers_and_extensions(capsys: pytest.CaptureFixture[str]) -> None:
    """tc.resolve from Thu 5/3/2026, complex, one extension: 60 days -> Mon 4/5/2026."""
    assert cli("tc.resolve", "2026-03-05", "--complex", "--extensions", "1") == 0
    out = capsys.readouterr().out.splitlines()
    assert out[-1] == "2026-05-04"
    assert "60 days" in out[0]


def test_cli_reads_calendar_overrides(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A local day off on Wed 14/10/2026 moves tc.notify from Tue 13/10 by one working day."""
    path = tmp_path / "overrides.toml"
    path.write_text('days_off = [{ date = 2026-10-14, reason = "QĐ tỉnh" }]\n', encoding="utf-8")
    # nationally: Wed 14 (1), Thu 15 (2), Fri 16 (3), Mon 19 (4), Tue 20 (5)
    assert cli("tc.notify", "2026-10-13") == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2026-10-20"
    # locally 14/10 off: Thu 15 (1), Fri 16 (2), Mon 19 (3), Tue 20 (4), Wed 21 (5)
    assert cli("tc.notify", "2026-10-13", "--calendar-overrides", str(path)) == 0
    assert capsys.readouterr().out.splitlines()[-1] == "2026-10-21"


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (("kn1.acept", "2026-02-10"), "unknown rule id 'kn1.acept'"),
        (("kn1.accept", "10/02/2026"), "not a date"),
        (("tc.resolve", "2026-03-05", "--extensions", "1"), "at most 0 for normal cases"),
        (("kn1.accept", "2026-02-10", "--rules", "/nonexistent/rules.toml"), "No such file"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(
    argv: tuple[str, ...], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    """Bad input gives exit status 2, no date on stdout, and one clear line on stderr."""
    assert cli(*argv) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    lines = captured.err.splitlines()
    assert len(lines) == 1
    assert message in lines[0]
