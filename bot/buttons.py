"""Button data: what a button about a petition or a question carries, packed and parsed in
one place (as aiogram's `CallbackData`).

A button's data is `<prefix>:<values joined by ".">`, within Telegram's 64 bytes. It is never
trusted: it only says which record and which action are meant. A handler registered with
`handlers.callbacks.on(router, Kind)` gets the parsed values, typed, and still checks on the
server that this chat may act on them. Data that does not parse (forged, or from an older
version) never reaches it. Services build the buttons of their notices with the same classes.

One class per shape: a screen of a menu is a word its `valid()` checks against the screens
there are (`Menu("home")`), a record is an int (`CancelBooking(12)`), and a prefix never
carries two shapes. Every button's data is made by `pack()`, which refuses data over 64 bytes
or data that would not parse back to itself.
"""

from __future__ import annotations

import dataclasses
import re
import typing
from dataclasses import dataclass
from typing import Any, ClassVar, Self

from bot.i18n import LOCALES

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
        argument = ".".join(values)
        data = f"{self.prefix}:{argument}"
        if len(data.encode()) > MAX_BYTES:
            raise ValueError(f"button data over {MAX_BYTES} bytes: {data!r}")
        if type(self).parse(argument) != self:  # a value with a "." or outside `valid()`
            raise ValueError(f"button data that would not parse back: {data!r}")
        return data

    @classmethod
    def parse(cls, argument: str) -> Self | None:
        """The values a button's argument (after `prefix:`) carries; None when it does not fit."""
        fields = dataclasses.fields(cls)
        parts = argument.split(".")
        if len(parts) != len(fields):
            return None
        numbers = _numbers(cls)
        values: dict[str, Any] = {}
        for field, part in zip(fields, parts, strict=True):
            value = _number(part) if field.name in numbers else _word(part)
            if value is None:
                return None
            values[field.name] = value
        data = cls(**values)
        return data if data.valid() else None

    def valid(self) -> bool:
        """Whether the parsed values make sense for this kind (any word, by default)."""
        return True


_NUMBER_FIELDS: dict[type[CallbackData], frozenset[str]] = {}


def _numbers(kind: type[CallbackData]) -> frozenset[str]:
    """The fields of a kind that are ints (the others are words), read once a kind."""
    found = _NUMBER_FIELDS.get(kind)
    if found is None:
        hints = typing.get_type_hints(kind)
        fields = dataclasses.fields(kind)
        found = _NUMBER_FIELDS[kind] = frozenset(f.name for f in fields if hints[f.name] is int)
    return found


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


# --- the menus -----------------------------------------------------------------------------------

MENU_SCREENS = frozenset({"file", "mine", "consult", "help", "lang", "home"})
MEET_SCREENS = frozenset({"home", "list", "mine"})
RECEPTION_DAY_SCREENS = frozenset({"list", "mine"})
RECEPTION_STAFF_SCREENS = frozenset({"home", "new", "today"})
DIALOGUE_STAFF_SCREENS = frozenset({"home", "new"})


@dataclass(frozen=True)
class Consent(CallbackData, prefix="pv"):
    """«Tôi đồng ý» under the privacy notice."""

    answer: str = "ok"

    def valid(self) -> bool:
        return self.answer == "ok"


@dataclass(frozen=True)
class Language(CallbackData, prefix="lg"):
    """A language, labelled in itself."""

    locale: str

    def valid(self) -> bool:
        return self.locale in LOCALES


@dataclass(frozen=True)
class Menu(CallbackData, prefix="m"):
    """An entry of the main menu (the officer's menu shares «help», «lang» and «home»)."""

    screen: str

    def valid(self) -> bool:
        return self.screen in MENU_SCREENS


@dataclass(frozen=True)
class Meet(CallbackData, prefix="dg"):
    """«Đối thoại & tiếp dân» for citizens: its home, the sessions ahead, my seats."""

    screen: str

    def valid(self) -> bool:
        return self.screen in MEET_SCREENS


@dataclass(frozen=True)
class NewReception(CallbackData, prefix="rc"):
    """«Tiếp công dân» in the officer's menu: record a visit."""

    screen: str = "new"

    def valid(self) -> bool:
        return self.screen == "new"


OFFICER_LISTS = frozenset({"list", "unit", "overdue"})


@dataclass(frozen=True)
class OfficerList(CallbackData, prefix="of"):
    """An officer's list: their own petitions, a head's unit, its overdue ones."""

    which: str

    def valid(self) -> bool:
        return self.which in OFFICER_LISTS


@dataclass(frozen=True)
class Reports(CallbackData, prefix="rp"):
    """«📑 Báo cáo» in the menu of heads and inspectors."""

    screen: str = "home"

    def valid(self) -> bool:
        return self.screen == "home"


@dataclass(frozen=True)
class Indicators(CallbackData, prefix="ki"):
    """«Chỉ tiêu» in the menu of heads and inspectors."""

    screen: str = "show"

    def valid(self) -> bool:
        return self.screen == "show"


# --- dialogue sessions ----------------------------------------------------------------------------

CITIZEN_SESSION_ACTIONS = frozenset({"view", "reg", "leave", "drop", "ask", "ics"})
SESSION_CARD_ACTIONS = frozenset({"open", "move", "cancel", "questions", "close"})


@dataclass(frozen=True)
class SessionAction(CallbackData, prefix="ds"):
    """A citizen's button about a session: its details, register, leave, ask ahead, calendar."""

    dialogue: int
    action: str

    def valid(self) -> bool:
        return self.action in CITIZEN_SESSION_ACTIONS


@dataclass(frozen=True)
class DialogueStaff(CallbackData, prefix="dm"):
    """«Đối thoại» in the officer's menu, and «Tạo buổi đối thoại» under it."""

    screen: str

    def valid(self) -> bool:
        return self.screen in DIALOGUE_STAFF_SCREENS


@dataclass(frozen=True)
class SessionCard(CallbackData, prefix="sc"):
    """A session's card for its organisers, and what its buttons do."""

    dialogue: int
    action: str

    def valid(self) -> bool:
        return self.action in SESSION_CARD_ACTIONS


# --- the places a citizen follows -----------------------------------------------------------------


@dataclass(frozen=True)
class FollowCommunes(CallbackData, prefix="fc"):
    """«Nhận tin theo địa bàn»: a page of communes."""

    page: int = 0


@dataclass(frozen=True)
class FollowVillages(CallbackData, prefix="fv"):
    """A page of one commune's villages."""

    commune: str
    page: int = 0


@dataclass(frozen=True)
class Follow(CallbackData, prefix="fw"):
    """Follow a place (a whole commune or a village), or stop following it."""

    place: str


# --- reception days -------------------------------------------------------------------------------

SCHEDULE_ACTIONS = frozenset({"off", "stop"})


@dataclass(frozen=True)
class ReceptionDays(CallbackData, prefix="rd"):
    """A citizen's reception days: book one, or see their bookings."""

    screen: str

    def valid(self) -> bool:
        return self.screen in RECEPTION_DAY_SCREENS


@dataclass(frozen=True)
class CancelBooking(CallbackData, prefix="bx"):
    """A citizen calls off one of their bookings."""

    booking: int


@dataclass(frozen=True)
class ReceptionStaff(CallbackData, prefix="rs"):
    """«Lịch tiếp dân» for officers: its home, a new schedule, the bookings to receive."""

    screen: str

    def valid(self) -> bool:
        return self.screen in RECEPTION_STAFF_SCREENS


@dataclass(frozen=True)
class ScheduleAction(CallbackData, prefix="sa"):
    """Call off one day of a schedule («off»), or stop the schedule («stop»)."""

    schedule: int
    action: str

    def valid(self) -> bool:
        return self.action in SCHEDULE_ACTIONS


@dataclass(frozen=True)
class RecordVisit(CallbackData, prefix="bo"):
    """Record the outcome of a booked visit."""

    booking: int


# --- public consultations -------------------------------------------------------------------------

CONSULTATION_STAFF_SCREENS = frozenset({"home", "new"})
CITIZEN_CONSULTATION_ACTIONS = frozenset({"view", "ans", "doc"})
CONSULTATION_CARD_ACTIONS = frozenset({"open", "results", "opinions", "export", "summary"})
OPINION_MARKS = frozenset({"in", "ans"})


@dataclass(frozen=True)
class ConsultationAction(CallbackData, prefix="ct"):
    """A citizen's button about a consultation: its details, answer it, its draft document."""

    consultation: int
    action: str

    def valid(self) -> bool:
        return self.action in CITIZEN_CONSULTATION_ACTIONS


@dataclass(frozen=True)
class ConsultationStaff(CallbackData, prefix="cs"):
    """«Lấy ý kiến» in the officer's menu, and «Tạo đợt lấy ý kiến» under it."""

    screen: str

    def valid(self) -> bool:
        return self.screen in CONSULTATION_STAFF_SCREENS


@dataclass(frozen=True)
class ConsultationCard(CallbackData, prefix="cc"):
    """A consultation's card for its organisers, and what its buttons do."""

    consultation: int
    action: str

    def valid(self) -> bool:
        return self.action in CONSULTATION_CARD_ACTIONS


@dataclass(frozen=True)
class OpinionButton(CallbackData, prefix="co"):
    """Mark an opinion taken in («in», tiếp thu) or answered («ans», giải trình)."""

    opinion: int
    mark: str

    def valid(self) -> bool:
        return self.mark in OPINION_MARKS


# --- satisfaction surveys -------------------------------------------------------------------------

SURVEY_STAFF_SCREENS = frozenset({"home", "new"})
SURVEY_CARD_ACTIONS = frozenset({"chart"})


@dataclass(frozen=True)
class SurveyStaff(CallbackData, prefix="sv"):
    """«Khảo sát hài lòng» under the indicators, and «Gửi khảo sát» under it."""

    screen: str

    def valid(self) -> bool:
        return self.screen in SURVEY_STAFF_SCREENS


@dataclass(frozen=True)
class SurveyCard(CallbackData, prefix="sk"):
    """A survey's button for heads and inspectors: its chart."""

    survey: int
    action: str

    def valid(self) -> bool:
        return self.action in SURVEY_CARD_ACTIONS
