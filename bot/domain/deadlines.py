"""Statutory deadlines (thời hạn) as data, and the arithmetic that turns them into dates.

Each `Rule` carries its legal citation and a status that says how sure we are of it; the rules live
in a versioned file that legal staff edit (bot/data/rules.toml), never in code. Counting follows
Bộ luật Dân sự 2015 Art. 147-148: a period of N days does not count the start day and ends at the
end of day N, moved to the next working day when that day is not one; a period of N working days
ends at the end of the Nth working day after the start day. An extension (gia hạn) adds its days to
the period counted from the same start, and the end-of-period rule applies once, to the final day.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, timedelta
from types import MappingProxyType
from typing import Any, Final, Literal, cast

from bot.domain.calendar import WorkingCalendar

Unit = Literal["days", "working_days"]
Status = Literal["verified", "to verify", "policy"]

UNITS: Final = ("days", "working_days")
STATUSES: Final = ("verified", "to verify", "policy")
VARIANT_KEYS: Final = ("complex", "remote", "remote+complex")
CASES: Final = ("normal", "complex", "especially_complex")
PETITION_KINDS: Final = ("khieu_nai", "to_cao", "kien_nghi", "phan_anh")
KIND_FIELDS: Final = ("on_receipt", "on_accept", "second_on_receipt", "second_on_accept")

_EMPTY: Final[Mapping[str, int]] = MappingProxyType({})


def _no_counts() -> Mapping[str, int]:
    """Default an optional count table to an empty, read-only one."""
    return _EMPTY


class UnknownRule(LookupError):
    """A rule id that the rule book does not define."""


class TooManyExtensions(ValueError):
    """More extensions (gia hạn) than the law allows for this kind of case."""


@dataclass(frozen=True)
class Rule:
    """One statutory time limit: how long, in which unit, from when, and on what authority."""

    id: str
    what: str
    n_days: int
    unit: Unit
    clock_starts: str
    source: str
    status: Status
    variants: Mapping[str, int] = field(default_factory=_no_counts, hash=False)
    extension_days: int = 0
    max_extensions: Mapping[str, int] = field(default_factory=_no_counts, hash=False)
    note: str = ""

    def period(self, *, complex: bool = False, remote: bool = False) -> tuple[int, str]:
        """Pick the period for the case's modifiers, and name the row it came from."""
        if remote and complex and "remote+complex" in self.variants:
            return self.variants["remote+complex"], "remote+complex"
        if remote and "remote" in self.variants:
            return self.variants["remote"], "remote"
        if complex and "complex" in self.variants:
            return self.variants["complex"], "complex"
        return self.n_days, "base"

    def allowed_extensions(self, case: str) -> int:
        """Say how many extensions a case of this kind may have (0 unless the rule says so)."""
        return self.max_extensions.get(case, 0)


@dataclass(frozen=True)
class KindRules:
    """Which rules start running for a petition kind when it is received and when accepted.

    A second complaint (LKN Art. 33) runs on its own rules; kinds without them use the first's.
    """

    on_receipt: tuple[str, ...] = ()
    on_accept: tuple[str, ...] = ()
    second_on_receipt: tuple[str, ...] = ()
    second_on_accept: tuple[str, ...] = ()

    def receipt(self, instance: int = 1) -> tuple[str, ...]:
        """The rules started by the day a petition of this instance is received."""
        return (
            self.second_on_receipt if instance == 2 and self.second_on_receipt else self.on_receipt
        )

    def acceptance(self, instance: int = 1) -> tuple[str, ...]:
        """The rules started by acceptance (thụ lý) of a petition of this instance."""
        return self.second_on_accept if instance == 2 and self.second_on_accept else self.on_accept


@dataclass(frozen=True)
class RuleBook:
    """The set of rules in force, with the rules each petition kind triggers."""

    version: str
    rules: Mapping[str, Rule] = field(hash=False)
    kinds: Mapping[str, KindRules] = field(hash=False)

    def rule(self, rule_id: str) -> Rule:
        """Look a rule up, naming the known ids when it is missing."""
        try:
            return self.rules[rule_id]
        except KeyError:
            known = ", ".join(sorted(self.rules))
            raise UnknownRule(f"unknown rule id {rule_id!r}; known: {known}") from None


@dataclass(frozen=True)
class Deadline:
    """A computed deadline: the date, and what it rests on, to show staff and citizens."""

    rule_id: str
    start: date
    due: date
    n_days: int
    unit: Unit
    variant: str
    extensions: int
    source: str
    status: Status


def _case(complex: bool, especially_complex: bool) -> str:
    """Name the case for extension limits; especially complex outranks complex."""
    if especially_complex:
        return "especially_complex"
    return "complex" if complex else "normal"


def compute_deadline(
    rules: RuleBook | Rule,
    rule_id: str,
    start: date,
    *,
    calendar: WorkingCalendar,
    complex: bool = False,
    especially_complex: bool = False,
    remote: bool = False,
    extensions: int = 0,
) -> Deadline:
    """Compute a deadline with its basis, so the date can be explained and checked."""
    if isinstance(rules, Rule):
        rule = rules
        if rule.id != rule_id:
            raise UnknownRule(f"rule id {rule_id!r} does not match the rule given ({rule.id!r})")
    else:
        rule = rules.rule(rule_id)
    if extensions < 0:
        raise ValueError(f"extensions cannot be negative: {extensions}")
    case = _case(complex, especially_complex)
    allowed = rule.allowed_extensions(case)
    if extensions > allowed:
        raise TooManyExtensions(
            f"{rule.id}: {extensions} extension(s) requested, at most {allowed} for "
            f"{case.replace('_', ' ')} cases ({rule.source})"
        )
    base, variant = rule.period(complex=complex or especially_complex, remote=remote)
    total = base + extensions * rule.extension_days
    if rule.unit == "days":
        due = calendar.next_working_day_on_or_after(start + timedelta(days=total))
    else:
        due = calendar.add_working_days(start, total)
    return Deadline(
        rule_id=rule.id,
        start=start,
        due=due,
        n_days=total,
        unit=rule.unit,
        variant=variant,
        extensions=extensions,
        source=rule.source,
        status=rule.status,
    )


def due_date(
    rules: RuleBook | Rule,
    rule_id: str,
    start: date,
    *,
    calendar: WorkingCalendar,
    complex: bool = False,
    especially_complex: bool = False,
    remote: bool = False,
    extensions: int = 0,
) -> date:
    """Return the last day (ending 24:00 Asia/Ho_Chi_Minh) to act under `rule_id` from `start`."""
    return compute_deadline(
        rules,
        rule_id,
        start,
        calendar=calendar,
        complex=complex,
        especially_complex=especially_complex,
        remote=remote,
        extensions=extensions,
    ).due


# --- parsing -------------------------------------------------------------------------------------


def _where(path: str) -> str:
    """Prefix error messages with the place in the data they are about."""
    return f"rules file: {path}: "


def _table(data: Mapping[str, Any], key: str, path: str) -> Mapping[str, Any]:
    """Read a required sub-table."""
    if key not in data:
        raise ValueError(_where(path) + f"missing table '{key}'")
    value = data[key]
    if not isinstance(value, Mapping):
        raise ValueError(_where(f"{path}.{key}") + "must be a table")
    return value


def _str(data: Mapping[str, Any], key: str, path: str, *, required: bool = True) -> str:
    """Read a non-empty string field."""
    if key not in data:
        if required:
            raise ValueError(_where(path) + f"missing field '{key}'")
        return ""
    value = data[key]
    if not isinstance(value, str) or (required and not value.strip()):
        raise ValueError(_where(f"{path}.{key}") + f"must be a non-empty string, got {value!r}")
    return value


def _count(value: Any, path: str, *, positive: bool) -> int:
    """Read a whole number of days or extensions (not a bool, not negative)."""
    if isinstance(value, bool) or not isinstance(value, int):
        raise ValueError(_where(path) + f"must be a whole number, got {value!r}")
    if value < 0 or (positive and value == 0):
        raise ValueError(_where(path) + f"must be {'> 0' if positive else '>= 0'}, got {value}")
    return value


def _choice(value: str, allowed: Sequence[str], path: str) -> str:
    """Check a value against a closed list, naming the list in the error."""
    if value not in allowed:
        raise ValueError(_where(path) + f"unknown value {value!r}; expected one of {list(allowed)}")
    return value


def _int_table(
    data: Mapping[str, Any], key: str, keys: Sequence[str], path: str, *, positive: bool
) -> Mapping[str, int]:
    """Read an optional table of counts whose keys come from a closed list."""
    if key not in data:
        return _EMPTY
    raw = data[key]
    if not isinstance(raw, Mapping):
        raise ValueError(_where(f"{path}.{key}") + "must be a table")
    out: dict[str, int] = {}
    for name, value in raw.items():
        _choice(name, keys, f"{path}.{key}")
        out[name] = _count(value, f"{path}.{key}.{name}", positive=positive)
    return MappingProxyType(out)


_RULE_FIELDS: Final = frozenset(
    {
        "what",
        "n_days",
        "unit",
        "clock_starts",
        "source",
        "status",
        "variants",
        "extension_days",
        "max_extensions",
        "note",
    }
)


def _parse_rule(rule_id: str, raw: Any) -> Rule:
    """Build one rule from its table, refusing anything a typo could have produced."""
    path = f"rules.{rule_id}"
    if not isinstance(raw, Mapping):
        raise ValueError(_where(path) + "must be a table")
    unknown = sorted(set(raw) - _RULE_FIELDS)
    if unknown:
        raise ValueError(_where(path) + f"unknown field(s) {unknown}")
    if "n_days" not in raw:
        raise ValueError(_where(path) + "missing field 'n_days'")
    unit = _choice(_str(raw, "unit", path), UNITS, f"{path}.unit")
    status = _choice(_str(raw, "status", path), STATUSES, f"{path}.status")
    variants = _int_table(raw, "variants", VARIANT_KEYS, path, positive=True)
    if "complex" in variants and "remote" in variants and "remote+complex" not in variants:
        raise ValueError(
            _where(f"{path}.variants") + "has 'complex' and 'remote' but no 'remote+complex'"
        )
    extension_days = _count(raw.get("extension_days", 0), f"{path}.extension_days", positive=False)
    max_extensions = _int_table(raw, "max_extensions", CASES, path, positive=False)
    if any(max_extensions.values()) and extension_days == 0:
        raise ValueError(_where(path) + "allows extensions but extension_days is 0 or missing")
    return Rule(
        id=rule_id,
        what=_str(raw, "what", path),
        n_days=_count(raw["n_days"], f"{path}.n_days", positive=True),
        unit=cast(Unit, unit),
        clock_starts=_str(raw, "clock_starts", path),
        source=_str(raw, "source", path),
        status=cast(Status, status),
        variants=variants,
        extension_days=extension_days,
        max_extensions=max_extensions,
        note=_str(raw, "note", path, required=False),
    )


def _rule_ids(
    raw: Mapping[str, Any], key: str, path: str, known: Mapping[str, Rule]
) -> tuple[str, ...]:
    """Read a list of rule ids that must all be defined."""
    value = raw.get(key, [])
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise ValueError(_where(f"{path}.{key}") + f"must be a list of rule ids, got {value!r}")
    for rule_id in value:
        if rule_id not in known:
            raise ValueError(_where(f"{path}.{key}") + f"refers to unknown rule {rule_id!r}")
    return tuple(value)


def parse_rulebook(data: Mapping[str, Any]) -> RuleBook:
    """Validate rules data (as read from TOML) and build the rule book, or say what is wrong."""
    if not isinstance(data, Mapping):
        raise ValueError("rules file: top level must be a table")
    version = _str(data, "version", "(top)")
    raw_rules = _table(data, "rules", "(top)")
    if not raw_rules:
        raise ValueError(_where("rules") + "defines no rules")
    rules = {rule_id: _parse_rule(rule_id, raw) for rule_id, raw in raw_rules.items()}

    raw_kinds = _table(data, "kinds", "(top)")
    kinds: dict[str, KindRules] = {}
    for kind, raw in raw_kinds.items():
        path = f"kinds.{kind}"
        _choice(kind, PETITION_KINDS, "kinds")
        if not isinstance(raw, Mapping):
            raise ValueError(_where(path) + "must be a table")
        unknown = sorted(set(raw) - set(KIND_FIELDS))
        if unknown:
            raise ValueError(_where(path) + f"unknown field(s) {unknown}")
        kinds[kind] = KindRules(
            **{name: _rule_ids(raw, name, path, rules) for name in KIND_FIELDS if name in raw}
        )
    missing = [k for k in PETITION_KINDS if k not in kinds]
    if missing:
        raise ValueError(_where("kinds") + f"missing petition kind(s) {missing}")
    return RuleBook(
        version=version,
        rules=MappingProxyType(rules),
        kinds=MappingProxyType(kinds),
    )
