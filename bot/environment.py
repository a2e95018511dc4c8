"""What every handler and service may consult: the organisation, the law and the words.

Built once at start (`bot.app`); services take it without knowing about conversations.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

from bot.domain.calendar import WorkingCalendar
from bot.domain.deadlines import RuleBook
from bot.domain.dialogues import DEFAULT_REMINDERS
from bot.domain.org import Organisation
from bot.i18n import Catalogues


@dataclass(frozen=True)
class Limits:
    """Bounds on what a citizen may send."""

    max_file_bytes: int = 20 * 1024 * 1024


@dataclass(frozen=True)
class Environment:
    """What every handler may consult: the organisation, the law and the words."""

    org: Organisation
    rulebook: RuleBook
    calendar: WorkingCalendar
    catalogues: Catalogues
    limits: Limits = Limits()
    # Before a dialogue session: when its registrants are reminded.
    session_reminders: tuple[timedelta, ...] = DEFAULT_REMINDERS
    report_cutoff_day: int = 15  # periods run from this day of the month (LEGAL §6)
    drafts_days: int = 30  # an unsent draft is forgotten after this many days (storage.retention)
