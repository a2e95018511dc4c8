"""Tiếp công dân: citizens received in person at the office (Luật Tiếp công dân 2013, LEGAL §5).

What an officer records about a visit; the 01/TCD reception form counts it later.
"""

from __future__ import annotations

from enum import StrEnum

from bot.domain.petition import GROUP_THRESHOLD


class ReceptionKind(StrEnum):
    """Which reception the visit belonged to, as form 01/TCD counts it."""

    REGULAR = "regular"  # tiếp thường xuyên: the reception office, every working day
    SCHEDULED = "scheduled"  # tiếp định kỳ: the head's reception days (LEGAL §5)
    UNSCHEDULED = "unscheduled"  # tiếp đột xuất: urgent, complex, or many people


class ReceptionOutcome(StrEnum):
    """What the visit ended with."""

    GUIDED = "guided"  # hướng dẫn: told which body is competent
    EXPLAINED = "explained"  # giải thích: answered on the spot
    PETITION = "petition"  # tiếp nhận đơn: written down as a petition and handled


MAX_GROUP_SIZE = 1000
MIN_SUMMARY_CHARS = 5  # what the citizen said, as the officer sums it up
MAX_SUMMARY_CHARS = 2000


def is_group(size: int) -> bool:
    """Đoàn đông người: 5 or more people on the same matter (NĐ 124/2020 Art. 6, LEGAL §5)."""
    return size >= GROUP_THRESHOLD
