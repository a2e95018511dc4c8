"""Button data: what a button about a petition or a question carries, packed and parsed in
one place (as aiogram's `CallbackData`).

A button's data is `<prefix>:<values joined by ".">`, within Telegram's 64 bytes. It is never
trusted: it only says which record and which action are meant. A handler registered with
`handlers.callbacks.on(router, Kind)` gets the parsed values, typed, and still checks on the
server that this chat may act on them. Data that does not parse (forged, or from an older
version) never reaches it. Services build the buttons of their notices with the same classes.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Self

VERDICTS = frozenset({"yes", "no"})  # a head's two answers to a request
MAX_BYTES = 64  # Telegram refuses longer callback data
_WORD = re.compile(r"[\w\-]{1,32}")
_NUMBER = re.compile(r"[0-9]{1,18}")  # an id the database's 64-bit integers hold
KINDS: dict[str, type[CallbackData]] = {}


@dataclass(frozen=True)
class CallbackData:
    """One kind of button data; subclasses are frozen dataclasses of `int` and `str` fields."""

    prefix: ClassVar[str]

    def __init_subclass__(cls, prefix: str = "", **kwargs: Any) -> None:
        super().__init_subclass__(**kwargs)
        if prefix in KINDS:
            raise ValueError(f"button prefix {prefix!r} is declared twice")
        cls.prefix = prefix
        KINDS[prefix] = cls

    def pack(self) -> str:
        """The data to put on the button."""
        values = [str(getattr(self, field.name)) for field in dataclasses.fields(self)]
        data = f"{self.prefix}:{'.'.join(values)}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
        return data

    @classmethod
    def parse(cls, argument: str) -> Self | None:
        """The values a button's argument (after `prefix:`) carries; None when it does not fit."""
        fields = dataclasses.fields(cls)
        parts = argument.split(".")
        if len(parts) != len(fields):
            return None
        hints = typing.get_type_hints(cls)
        values: dict[str, Any] = {}
        for field, part in zip(fields, parts, strict=True):
            value = _number(part) if hints[field.name] is int else _word(part)
            if value is None:
                return None
            values[field.name] = value
        data = cls(**values)
        return data if data.valid() else None

    def valid(self) -> bool:
        """Whether the parsed values make sense for this kind (any word, by default)."""
        return True


def _word(part: str) -> str | None:
    return part if _WORD.fullmatch(part) else None


def _number(part: str) -> int | None:
    return int(part) if _NUMBER.fullmatch(part) else None


# --- a petition, for its filer --------------------------------------------------------------------


@dataclass(frozen=True)
class MyPetition(CallbackData, prefix="mp"):
    """«Diễn biến đơn»: the history of one of the citizen's own petitions."""

    petition: int


@dataclass(frozen=True)
class AnswerQuestion(CallbackData, prefix="ca"):
    """«✍️ Trả lời» under an officer's question."""

    petition: int


@dataclass(frozen=True)
class Rate(CallbackData, prefix="cr"):
    """A star under an answer: 1 to 5."""

    petition: int
    score: int


@dataclass(frozen=True)
class Appeal(CallbackData, prefix="ap"):
    """«⚖️ Khiếu nại lần hai» under a first decision."""

    petition: int


@dataclass(frozen=True)
class Reopen(CallbackData, prefix="cn"):
    """«Chưa được giải quyết» under the answer to a kiến nghị or phản ánh."""

    petition: int


# --- a petition, for officers ---------------------------------------------------------------------


@dataclass(frozen=True)
class OpenPetition(CallbackData, prefix="op"):
    """A petition's card."""

    petition: int


@dataclass(frozen=True)
class PetitionFiles(CallbackData, prefix="pf"):
    """The files attached to a petition."""

    petition: int


@dataclass(frozen=True)
class PetitionAction(CallbackData, prefix="pa"):
    """An action on a petition's card (`handlers.officer.actions`)."""

    petition: int
    action: str


@dataclass(frozen=True)
class ExtensionDecision(CallbackData, prefix="xa"):
    """A head's decision on extending a deadline for a complexity: «yes» or «no»."""

    petition: int
    complexity: str
    verdict: str

    def valid(self) -> bool:
        return self.verdict in VERDICTS


@dataclass(frozen=True)
class AnswerDecision(CallbackData, prefix="ad"):
    """A head's decision on a drafted answer: «yes» sends it, «no» returns it."""

    petition: int
    proposal: int
    verdict: str

    def valid(self) -> bool:
        return self.verdict in VERDICTS


# --- a question sent ahead of a dialogue session --------------------------------------------------


@dataclass(frozen=True)
class ModerateQuestion(CallbackData, prefix="dq"):
    """Accept, merge or reject a question sent ahead."""

    question: int
    action: str
