"""Reasons to refuse a petition (không thụ lý), as the officer picks them (LEGAL §3).

Each reason names the kinds it applies to and its legal basis; its wording lives in `locales/`
(`refusal.<code>`). The citizen is told the reason and, in the officer's note, where to go.
"""

from __future__ import annotations

from dataclasses import dataclass

from bot.domain.petition import PetitionKind

K = PetitionKind
ALL_KINDS = frozenset(PetitionKind)


@dataclass(frozen=True)
class RefusalReason:
    """One reason an officer may give."""

    code: str
    kinds: frozenset[PetitionKind]
    basis: str


REFUSAL_REASONS = (
    RefusalReason("kn_internal", frozenset({K.COMPLAINT}), "Khoản 1 Điều 11 Luật Khiếu nại 2011"),
    RefusalReason(
        "kn_not_affected", frozenset({K.COMPLAINT}), "Khoản 2 Điều 11 Luật Khiếu nại 2011"
    ),
    RefusalReason("kn_capacity", frozenset({K.COMPLAINT}), "Khoản 3 Điều 11 Luật Khiếu nại 2011"),
    RefusalReason(
        "kn_representative", frozenset({K.COMPLAINT}), "Khoản 4 Điều 11 Luật Khiếu nại 2011"
    ),
    RefusalReason("kn_unsigned", frozenset({K.COMPLAINT}), "Khoản 5 Điều 11 Luật Khiếu nại 2011"),
    RefusalReason("kn_time_limit", frozenset({K.COMPLAINT}), "Khoản 6 Điều 11 Luật Khiếu nại 2011"),
    RefusalReason(
        "kn_second_decision", frozenset({K.COMPLAINT}), "Khoản 7 Điều 11 Luật Khiếu nại 2011"
    ),
    RefusalReason("kn_suspended", frozenset({K.COMPLAINT}), "Khoản 8 Điều 11 Luật Khiếu nại 2011"),
    RefusalReason("kn_court", frozenset({K.COMPLAINT}), "Khoản 9 Điều 11 Luật Khiếu nại 2011"),
    RefusalReason("tc_conditions", frozenset({K.DENUNCIATION}), "Điều 29 Luật Tố cáo 2018"),
    RefusalReason("not_competent", ALL_KINDS, "Thông tư 05/2021/TT-TTCP"),
    RefusalReason("repeated", ALL_KINDS, "Thông tư 05/2021/TT-TTCP"),
)


def reasons_for(kind: PetitionKind) -> list[RefusalReason]:
    """The reasons that apply to a kind, in the law's order."""
    return [reason for reason in REFUSAL_REASONS if kind in reason.kinds]


def reason(code: str, kind: PetitionKind) -> RefusalReason | None:
    """A reason by code, only if it applies to this kind."""
    return next((r for r in reasons_for(kind) if r.code == code), None)
