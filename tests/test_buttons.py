"""Typed button data (`bot.buttons`): what is packed is parsed back, within Telegram's 64 bytes,
and data that does not fit its kind never reaches a handler."""

from __future__ import annotations

import re

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import Application
from bot.buttons import (
    CITIZEN_CONSULTATION_ACTIONS,
    CITIZEN_SESSION_ACTIONS,
    CONSULTATION_CARD_ACTIONS,
    CONSULTATION_STAFF_SCREENS,
    DIALOGUE_STAFF_SCREENS,
    KINDS,
    MEET_SCREENS,
    MENU_SCREENS,
    OFFICER_LISTS,
    OPINION_MARKS,
    RECEPTION_DAY_SCREENS,
    RECEPTION_STAFF_SCREENS,
    SCHEDULE_ACTIONS,
    SESSION_CARD_ACTIONS,
    SURVEY_CARD_ACTIONS,
    SURVEY_STAFF_SCREENS,
    AnswerDecision,
    AnswerQuestion,
    Appeal,
    CallbackData,
    CancelBooking,
    Consent,
    ConsultationAction,
    ConsultationCard,
    ConsultationStaff,
    DialogueStaff,
    ExtensionDecision,
    Follow,
    FollowCommunes,
    FollowVillages,
    Indicators,
    Language,
    Meet,
    Menu,
    ModerateQuestion,
    MyPetition,
    NewReception,
    OfficerList,
    OpenPetition,
    OpinionButton,
    PetitionAction,
    PetitionFiles,
    Rate,
    ReceptionDays,
    ReceptionStaff,
    RecordVisit,
    Reopen,
    Reports,
    ScheduleAction,
    SessionAction,
    SessionCard,
    SurveyCard,
    SurveyStaff,
)
from bot.conversation import _GLOBAL_DATA
from handlers import consultation_staff, consultations, dialogue_staff, dialogues, reception_days
from storage import models as m
from tests.sandbox_client import SandboxPerson, texts
from tests.test_dialogues import announce
from tests.test_filing_sandbox import consent

BIG = 10**18 - 1  # the largest id a button carries: 18 digits
PLACE = "26740-40"  # a generated village of TP HCM (tests/province.py): the longest place code

# Every declared kind, at the largest values it is made with: each must fit Telegram's 64 bytes,
# be routed by its prefix, and parse back to itself.
EXAMPLES: dict[type[CallbackData], list[CallbackData]] = {
    MyPetition: [MyPetition(BIG)],
    AnswerQuestion: [AnswerQuestion(BIG)],
    Rate: [Rate(BIG, score) for score in range(1, 6)],
    Appeal: [Appeal(BIG)],
    Reopen: [Reopen(BIG)],
    OpenPetition: [OpenPetition(BIG)],
    PetitionFiles: [PetitionFiles(BIG)],
    PetitionAction: [PetitionAction(BIG, "ask_citizen"), PetitionAction(BIG, "request_approval")],
    ExtensionDecision: [ExtensionDecision(BIG, "especially_complex", "yes")],
    AnswerDecision: [AnswerDecision(BIG, BIG, "no")],
    ModerateQuestion: [ModerateQuestion(BIG, action) for action in ("acc", "merge", "rej")],
    Consent: [Consent()],
    Language: [Language("vi"), Language("en")],
    Menu: [Menu(screen) for screen in MENU_SCREENS],
    Meet: [Meet(screen) for screen in MEET_SCREENS],
    NewReception: [NewReception()],
    Indicators: [Indicators()],
    OfficerList: [OfficerList(which) for which in OFFICER_LISTS],
    Reports: [Reports()],
    SessionAction: [SessionAction(BIG, action) for action in CITIZEN_SESSION_ACTIONS],
    DialogueStaff: [DialogueStaff(screen) for screen in DIALOGUE_STAFF_SCREENS],
    SessionCard: [SessionCard(BIG, action) for action in SESSION_CARD_ACTIONS],
    FollowCommunes: [FollowCommunes(), FollowCommunes(BIG)],
    FollowVillages: [FollowVillages(PLACE.split("-")[0], BIG), FollowVillages("PD")],
    Follow: [Follow(PLACE), Follow("PD-NM")],
    ReceptionDays: [ReceptionDays(screen) for screen in RECEPTION_DAY_SCREENS],
    CancelBooking: [CancelBooking(BIG)],
    ReceptionStaff: [ReceptionStaff(screen) for screen in RECEPTION_STAFF_SCREENS],
    ScheduleAction: [ScheduleAction(BIG, action) for action in SCHEDULE_ACTIONS],
    RecordVisit: [RecordVisit(BIG)],
    ConsultationAction: [ConsultationAction(BIG, a) for a in sorted(CITIZEN_CONSULTATION_ACTIONS)],
    ConsultationStaff: [ConsultationStaff(s) for s in sorted(CONSULTATION_STAFF_SCREENS)],
    ConsultationCard: [ConsultationCard(BIG, a) for a in sorted(CONSULTATION_CARD_ACTIONS)],
    OpinionButton: [OpinionButton(BIG, "in"), OpinionButton(BIG, "ans")],
    SurveyStaff: [SurveyStaff(s) for s in sorted(SURVEY_STAFF_SCREENS)],
    SurveyCard: [SurveyCard(BIG, a) for a in sorted(SURVEY_CARD_ACTIONS)],
}

# Data no version of the bot makes under the prefixes of the menus, dialogues and reception days,
# and the data older versions made under them (a button on an old message).
FORGED = [
    "of:all",
    "rp:build",
    "pv:no",
    "pv:",
    "lg:fr",
    "lg:vi.en",
    "m:x",
    "m:",
    "dg:1.reg",
    "dg:settings",
    "ds:1.fly",
    "ds:x.reg",
    "ds:1",
    "dm:1.open",
    "dm:x",
    "sc:1.burn",
    "sc:1",
    "fc:x",
    "fc:1.2",
    "fv:PD.x",
    "fv:PD",
    "fw:",
    "fw:PD.1",
    "rd:x.1",
    "rd:book",
    "bx:abc",
    "bx:1.2",
    "rs:out.1",
    "rs:day.1",
    "rs:away",
    "sa:1.day",
    "sa:x.stop",
    "bo:x",
    "ct:1.vote",
    "cs:old",
    "cc:x.open",
    "co:1.yes",
    "sv:old",
    "sk:1.burn",
    "sk:x.chart",
    "rc:open",
    "ki:hide",
    "sb:home",
    "sb:t.PD",
]


def test_every_declared_kind_packs_within_64_bytes_and_parses_back_to_itself() -> None:
    assert set(EXAMPLES) == set(KINDS.values()), "an example for every kind declared"
    for kind, examples in EXAMPLES.items():
        for data in examples:
            packed = data.pack()
            prefix, _, argument = packed.partition(":")
            assert len(packed.encode()) <= 64, packed
            assert _GLOBAL_DATA.match(packed), f"{packed!r} is not routed by its prefix"
            assert KINDS[prefix] is kind and kind.parse(argument) == data, packed


def test_data_that_would_not_parse_back_is_refused_when_packed() -> None:
    for data in (Menu("settings"), Language("fr"), Follow("PD.NM"), SessionAction(1, "fly")):
        with pytest.raises(ValueError, match="parse back"):
            data.pack()


def test_each_word_a_kind_accepts_has_its_handler() -> None:
    assert set(dialogues.ACTIONS) == CITIZEN_SESSION_ACTIONS
    assert set(dialogues.PAGES) == MEET_SCREENS
    assert set(dialogue_staff.SESSION_ACTIONS) == SESSION_CARD_ACTIONS
    assert set(reception_days.STAFF_SCREENS) == RECEPTION_STAFF_SCREENS
    assert set(consultations.ACTIONS) == CITIZEN_CONSULTATION_ACTIONS
    assert set(consultation_staff.CARD_ACTIONS) == CONSULTATION_CARD_ACTIONS
    assert set(consultation_staff.OPINION_MARKS) == OPINION_MARKS


@pytest.mark.parametrize("data", FORGED)
def test_forged_or_old_data_does_not_parse_as_its_kind(data: str) -> None:
    prefix, _, argument = data.partition(":")
    assert prefix not in KINDS or KINDS[prefix].parse(argument) is None


async def test_forged_data_for_menus_dialogues_and_reception_days_is_refused_politely(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-3")
    await consent(citizen)
    await citizen.act({"kind": "callback", "data": Follow("PD").pack()})
    await announce(sandbox_app)
    await citizen.new_lines()
    clerk = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    for data in FORGED:
        for person in (citizen, clerk):
            lines = await person.act({"kind": "callback", "data": data})
            assert "bot không hiểu nút vừa bấm" in texts(lines), (person.chat, data)
    async with sandbox_app.db.transaction() as session:
        seats = await session.scalar(select(func.count()).select_from(m.DialogueRegistration))
        bookings = await session.scalar(select(func.count()).select_from(m.ReceptionBooking))
    assert (seats, bookings) == (0, 0), "nothing was done"


async def test_the_officers_menu_makes_data_its_kinds_take(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    """`handlers/officer/menu.py` writes the data of «Tiếp công dân», «Đối thoại», «Lịch tiếp
    dân», «Chỉ tiêu» and «Trợ giúp» as text: each must still parse as its kind."""
    chairman = SandboxPerson(sandbox_app, http, "officer-pd.chutich")
    menu = await chairman.say("/menu")
    data = [button["data"] for row in menu[-1]["buttons"] for button in row]
    typed = [d for d in data if d.partition(":")[0] in KINDS]
    assert {re.sub(r":.*", "", d) for d in typed} >= {"rc", "dm", "rs", "ki", "m"}
    for packed in typed:
        prefix, _, argument = packed.partition(":")
        assert KINDS[prefix].parse(argument) is not None, packed


def test_packed_data_is_parsed_back_and_fits_telegram() -> None:
    for data in (
        Rate(123456789012, 5),
        PetitionAction(9_007_199_254_740_993, "ask_citizen"),
        AnswerDecision(1, 2, "yes"),
        ExtensionDecision(42, "especially_complex", "no"),
    ):
        packed = data.pack()
        prefix, _, argument = packed.partition(":")
        assert len(packed.encode()) <= 64
        assert KINDS[prefix].parse(argument) == data


def test_too_long_data_is_refused_when_packed() -> None:
    with pytest.raises(ValueError, match="64 bytes"):
        PetitionAction(1, "x" * 60).pack()


@pytest.mark.parametrize(
    "argument",
    ["", "1", "1.5.6", "x.5", "1.²", "1." + "9" * 19, "-1.5", "1.5 ", "1;5"],
)
def test_data_that_does_not_fit_its_kind_is_not_parsed(argument: str) -> None:
    assert Rate.parse(argument) is None


async def test_malformed_data_gets_the_polite_refusal_and_changes_nothing(
    sandbox_app: Application, http: aiohttp.ClientSession
) -> None:
    citizen = SandboxPerson(sandbox_app, http, "citizen-3")
    await consent(citizen)
    for data in ("cr:1", "cr:1.x", "ca:abc", "mp:1.2", "op:", "pa:1"):
        lines = await citizen.act({"kind": "callback", "data": data})
        assert "bot không hiểu nút vừa bấm" in texts(lines), data


def test_a_heads_decision_is_yes_or_no() -> None:
    assert AnswerDecision.parse("1.2.yes") == AnswerDecision(1, 2, "yes")
    assert AnswerDecision.parse("1.2.maybe") is None
    assert ExtensionDecision.parse("1.complex.x") is None
