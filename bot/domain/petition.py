"""Petitions (đơn): kinds, states, what identity each kind needs, codes and phone numbers."""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class PetitionKind(StrEnum):
    """Loại đơn (LEGAL §1)."""

    COMPLAINT = "khieu_nai"
    DENUNCIATION = "to_cao"
    PETITION = "kien_nghi"
    FEEDBACK = "phan_anh"


class PetitionState(StrEnum):
    """Where a petition stands (DESIGN §6)."""

    DRAFT = "draft"
    RECEIVED = "received"
    ACCEPTED = "accepted"
    REFUSED = "refused"
    FORWARDED = "forwarded"
    GUIDED = "guided"
    IN_PROGRESS = "in_progress"
    WAITING_CITIZEN = "waiting_citizen"
    EXTENDED = "extended"
    DIALOGUE = "dialogue"
    ANSWERED = "answered"
    CLOSED = "closed"
    APPEALED = "appealed"


OPEN_STATES = frozenset(
    {
        PetitionState.RECEIVED,
        PetitionState.ACCEPTED,
        PetitionState.IN_PROGRESS,
        PetitionState.WAITING_CITIZEN,
        PetitionState.EXTENDED,
        PetitionState.DIALOGUE,
        PetitionState.APPEALED,
    }
)


@dataclass(frozen=True)
class IdentityNeeds:
    """What a kind asks of the filer: collect only what the law needs (LEGAL §7)."""

    address_required: bool
    anonymous_allowed: bool
    secret: bool  # the filer's identity is protected (LEGAL §4)


IDENTITY_NEEDS: dict[PetitionKind, IdentityNeeds] = {
    PetitionKind.COMPLAINT: IdentityNeeds(
        address_required=True, anonymous_allowed=False, secret=False
    ),
    PetitionKind.DENUNCIATION: IdentityNeeds(
        address_required=True, anonymous_allowed=False, secret=True
    ),
    PetitionKind.PETITION: IdentityNeeds(
        address_required=False, anonymous_allowed=False, secret=False
    ),
    PetitionKind.FEEDBACK: IdentityNeeds(
        address_required=False, anonymous_allowed=True, secret=False
    ),
}


class Outcome(StrEnum):
    """How a complaint or denunciation was decided: the result columns of the report forms."""

    CORRECT = "correct"  # đúng toàn bộ
    PARTLY = "partly"  # có đúng, có sai
    INCORRECT = "incorrect"  # sai toàn bộ
    UPHELD = "upheld"  # lần hai: công nhận quyết định lần đầu
    ANNULLED = "annulled"  # lần hai: hủy, sửa quyết định lần đầu


def outcomes_for(kind: str, instance: int = 1) -> tuple[Outcome, ...]:
    """The outcomes an answer of this kind must state (none for petitions and feedback)."""
    if kind == PetitionKind.COMPLAINT and instance == 2:
        return (Outcome.UPHELD, Outcome.ANNULLED)
    if kind in {PetitionKind.COMPLAINT, PetitionKind.DENUNCIATION}:
        return (Outcome.CORRECT, Outcome.PARTLY, Outcome.INCORRECT)
    return ()


GROUP_THRESHOLD = 5  # đơn đông người: five or more people (Nghị định 124/2020, Thông tư 05/2021)


@dataclass(frozen=True)
class Case:
    """How a petition is classified (phân loại): what drives its deadlines and its statistics."""

    instance: int = 1  # a complaint's first or second instance (LKN Art. 33)
    remote_area: bool = False  # vùng sâu, vùng xa đi lại khó khăn
    complex: bool = False
    especially_complex: bool = False
    group_size: int = 1
    representatives: int = 0

    @property
    def complexity(self) -> str:
        """normal | complex | especially_complex, as the rule book names the cases."""
        if self.especially_complex:
            return "especially_complex"
        return "complex" if self.complex else "normal"

    @property
    def is_group(self) -> bool:
        """A group petition, counted apart in the reports."""
        return self.group_size >= GROUP_THRESHOLD


MAX_CONTENT_CHARS = 10_000
MAX_ATTACHMENTS = 10
MAX_NAME_CHARS = 120
MAX_ADDRESS_CHARS = 300


def format_code(prefix: str, year: int, number: int) -> str:
    """The code printed on the receipt, e.g. PD-2026-000123."""
    return f"{prefix}-{year}-{number:06d}"


_MOBILE = re.compile(r"^0(3[2-9]|5[2-9]|7[06-9]|8[1-9]|9\d)\d{7}$")
_LANDLINE = re.compile(r"^02\d{9}$")


def normalise_phone(text: str) -> str | None:
    """A Vietnamese phone number as 0XXXXXXXXX, or None when it is not one.

    Accepts spaces, dots, dashes and the +84 / 84 prefixes that people type or that a shared
    contact carries.
    """
    digits = re.sub(r"[\s.\-()]", "", text)
    for prefix in ("+84", "0084"):
        if digits.startswith(prefix):
            digits = "0" + digits[len(prefix) :]
    if digits.startswith("84") and len(digits) in (11, 12):
        digits = "0" + digits[2:]
    if _MOBILE.match(digits) or _LANDLINE.match(digits):
        return digits
    return None


def mask_phone(phone: str | None) -> str:
    """Show only the first three and last three digits (LEGAL §7)."""
    if not phone:
        return ""
    if len(phone) <= 6:
        return "*" * len(phone)
    return phone[:3] + "*" * (len(phone) - 6) + phone[-3:]


# A phone however it is typed (0 or +84, then digits with spaces, dots, dashes or brackets), or a
# plain run of nine or more digits: a citizen ID (CMND 9, CCCD 12 digits) or an account number.
_PERSONAL_NUMBER = re.compile(
    r"(?<![\d+(])\(?(?:\+84|0)(?:[ .\-()]{0,2}\d){8,11}(?!\d)|(?<!\d)\d{9,}(?!\d)"
)


def mask_personal_numbers(text: str | None) -> str:
    """Mask every phone and ID number in free text, as `mask_phone` does (LEGAL §7).

    Exports carry what citizens typed (addresses, stories), where such numbers turn up; a sum
    of money written as a bare run of nine digits or more is masked too: privacy wins.
    """
    if not text:
        return ""
    return _PERSONAL_NUMBER.sub(lambda found: mask_phone(re.sub(r"\D", "", found[0])), text)
