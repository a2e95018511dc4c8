"""`deadline` command: print the due date of a rule from a start date, for staff to check rules."""

from __future__ import annotations

import argparse
import sys
from datetime import date
from pathlib import Path

from bot.domain.deadlines import UnknownRule, compute_deadline
from bot.rulebook import load_calendar, load_rulebook

# Years of calendar loaded past the start year: covers every rule in the default file (at most
# 90 days plus extensions); a longer rule fails loudly with OutsideCalendar, never silently.
_YEARS_AHEAD = 2

_UNIT_WORDS = {"days": "days", "working_days": "working days"}


def _iso_date(text: str) -> date:
    """Parse a YYYY-MM-DD start date, with a message argparse can show."""
    try:
        return date.fromisoformat(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a date (YYYY-MM-DD): {text!r}") from None


def _count(text: str) -> int:
    """Parse a non-negative number of extensions."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a whole number: {text!r}") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"cannot be negative: {value}")
    return value


def configure(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.description = (
        "Print the due date of a deadline rule counted from a start date "
        "(the date alone on the last line)."
    )
    parser.add_argument("rule_id", metavar="RULE_ID", help="rule id, e.g. kn1.accept")
    parser.add_argument("start", metavar="START_DATE", help="the day the clock starts, YYYY-MM-DD")
    parser.add_argument("--complex", action="store_true", help="complex case (phức tạp)")
    parser.add_argument(
        "--especially-complex",
        action="store_true",
        help="especially complex case (đặc biệt phức tạp)",
    )
    parser.add_argument(
        "--remote", action="store_true", help="remote area (vùng sâu, vùng xa đi lại khó khăn)"
    )
    parser.add_argument(
        "--extensions", type=_count, default=0, metavar="N", help="extensions granted (gia hạn)"
    )
    parser.add_argument(
        "--rules", type=Path, default=None, metavar="PATH", help="rules file (default: bundled)"
    )
    parser.add_argument(
        "--calendar-overrides",
        type=Path,
        default=None,
        metavar="PATH",
        help="local days off / working days file (default: bundled)",
    )


def run(args: argparse.Namespace) -> int:
    """Compute and print the deadline; report bad input on one stderr line and return 2."""
    try:
        start = _iso_date(args.start)
        rulebook = load_rulebook(args.rules)
        calendar = load_calendar(
            range(start.year, start.year + _YEARS_AHEAD + 1), args.calendar_overrides
        )
        deadline = compute_deadline(
            rulebook,
            args.rule_id,
            start,
            calendar=calendar,
            complex=args.complex,
            especially_complex=args.especially_complex,
            remote=args.remote,
            extensions=args.extensions,
        )
    # TooManyExtensions, OutsideCalendar and a malformed file are ValueErrors; a missing file is
    # an OSError.
    except (argparse.ArgumentTypeError, UnknownRule, OSError, ValueError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2

    rule = rulebook.rule(deadline.rule_id)
    modifiers = [] if deadline.variant == "base" else [deadline.variant]
    if deadline.variant == "base" and (args.complex or args.especially_complex or args.remote):
        modifiers.append("no row for these modifiers in this rule")
    if deadline.extensions:
        modifiers.append(f"{deadline.extensions} extension(s) of {rule.extension_days}")
    shown = f" ({', '.join(modifiers)})" if modifiers else ""
    print(
        f"{rule.id}: {rule.what}; {deadline.n_days} {_UNIT_WORDS[deadline.unit]}{shown} "
        f"from {start.isoformat()}; {rule.source} [{rule.status}]"
    )
    print(deadline.due.isoformat())
    return 0
