"""Load the deadline rules and the local calendar overrides from their TOML files.

This is the I/O side of `bot.domain.deadlines` and `bot.domain.calendar`: it reads files and hands
plain data to the pure parsers. By default it reads the files bundled in `bot/data/`.
"""

from __future__ import annotations

import tomllib
from collections.abc import Iterable, Mapping
from datetime import date
from pathlib import Path
from typing import Any

from bot.domain.calendar import WorkingCalendar, vietnam_calendar
from bot.domain.deadlines import RuleBook, parse_rulebook

_DATA_DIR = Path(__file__).resolve().parent / "data"
_DEFAULT_RULES = "rules.toml"
_DEFAULT_OVERRIDES = "calendar_overrides.toml"


def _read_toml(path: Path | None, bundled: str) -> tuple[Mapping[str, Any], str]:
    """Read a TOML file (or the bundled default) and name it for error messages."""
    if path is None:
        data = (_DATA_DIR / bundled).read_bytes()
        name = f"bot/data/{bundled}"
    else:
        data = path.read_bytes()
        name = str(path)
    try:
        return tomllib.loads(data.decode("utf-8")), name
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise ValueError(f"{name}: not valid TOML: {exc}") from exc


def load_rulebook(path: Path | None = None) -> RuleBook:
    """Read and validate the rules file, so a typo stops the bot instead of moving a deadline."""
    data, name = _read_toml(path, _DEFAULT_RULES)
    try:
        return parse_rulebook(data)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc


def _override_dates(data: Mapping[str, Any], key: str, name: str) -> list[date]:
    """Read one list of `{date, reason}` entries, insisting on a real date and a reason."""
    entries = data.get(key, [])
    if not isinstance(entries, list):
        raise ValueError(f"{name}: '{key}' must be a list of {{ date = ..., reason = ... }}")
    dates: list[date] = []
    for i, entry in enumerate(entries):
        where = f"{name}: {key}[{i}]"
        if not isinstance(entry, Mapping):
            raise ValueError(f'{where}: must be {{ date = YYYY-MM-DD, reason = "..." }}')
        unknown = sorted(set(entry) - {"date", "reason"})
        if unknown:
            raise ValueError(f"{where}: unknown field(s) {unknown}")
        day = entry.get("date")
        # A TOML datetime is also a `date` subclass: accept only a bare date.
        if type(day) is not date:
            raise ValueError(f"{where}: 'date' must be a bare date like 2026-10-14, got {day!r}")
        reason = entry.get("reason")
        if not isinstance(reason, str) or not reason.strip():
            raise ValueError(f"{where}: 'reason' must say why (cite the local decision)")
        dates.append(day)
    return dates


def load_calendar(years: Iterable[int], overrides_path: Path | None = None) -> WorkingCalendar:
    """Build the working calendar for `years`: national days plus this unit's local overrides."""
    data, name = _read_toml(overrides_path, _DEFAULT_OVERRIDES)
    unknown = sorted(set(data) - {"days_off", "working_days"})
    if unknown:
        raise ValueError(f"{name}: unknown key(s) {unknown}; expected days_off, working_days")
    days_off = _override_dates(data, "days_off", name)
    working_days = _override_dates(data, "working_days", name)
    try:
        return vietnam_calendar(years, extra_days_off=days_off, extra_working_days=working_days)
    except ValueError as exc:
        raise ValueError(f"{name}: {exc}") from exc
