"""The officer actions' registry: complete against the workflow table, consistent with itself, and
the only judge of a press: a forged button for an action not offered is refused and changes
nothing."""

from __future__ import annotations

import itertools
from datetime import UTC, datetime

import aiohttp
import pytest
from sqlalchemy import select

from bot.app import Application, load_organisation
from bot.conversation import StateSpec
from bot.domain.petition import PetitionKind, PetitionState
from bot.domain.workflow import Action, allowed_actions
from bot.i18n import Catalogues
from bot.ports import OfficerView, PetitionDetail, PetitionSummary
from handlers import ROOT
from handlers.officer import ACTIONS
from handlers.officer.actions import Who
from storage import models as m
from tests.sandbox_client import SandboxPerson, texts
from tests.test_officer_actions import complaint_opened_by_assignee

# The citizen's own steps of the workflow (handlers.answers): no officer button takes them.
CITIZENS = {Action.CITIZEN_ANSWERED, Action.APPEAL, Action.REOPEN}
ORG = load_organisation(None)
OFFICERS = {
    "assignee": OfficerView(1, "pd.vp", "Assignee", "Chuyên viên", "PD-VP", frozenset({"handler"})),
    "head above": OfficerView(2, "pd.head", "Head", "Chủ tịch", "PD", frozenset({"head"})),
    "head elsewhere": OfficerView(
        3, "tt.head", "Other", "Chánh thanh tra", "TN-TT", frozenset({"head"})
    ),
}
NOT_ALLOWED = "không có quyền"
VI = Catalogues().get("vi")


def label(name: str) -> str:
    """An action's button, as a Vietnamese officer reads it."""
    return VI(ACTIONS[name].label)


def petition(kind: PetitionKind, state: PetitionState, anonymous: bool = False) -> PetitionDetail:
    """A petition of the commune's office, held by the assignee above."""
    received = datetime(2026, 3, 2, 3, 0, tzinfo=UTC)
    return PetitionDetail(
        PetitionSummary(1, "PD-2026-000001", kind, "dat_dai", state, received),
        unit="PD-VP",
        area=None,
        assignee_id=1,
        citizen_id=1,
        content="Cống thoát nước bị tắc.",
        place_note=None,
        latitude=None,
        longitude=None,
        anonymous=anonymous,
        filer_name=None if anonymous else "Lục Thị Mai",
        filer_phone=None,
        filer_address=None,
        attachments=0,
    )


@pytest.mark.parametrize(("kind", "state"), list(itertools.product(PetitionKind, PetitionState)))
def test_every_officer_step_the_table_allows_has_exactly_one_declaration(
    kind: PetitionKind, state: PetitionState
) -> None:
    for step in set(allowed_actions(state, kind)) - CITIZENS:
        declared = [name for name, action in ACTIONS.items() if action.step is step]
        assert declared == [step], f"{step} of a {kind} {state}: {declared}"


def test_no_declaration_takes_a_citizens_step_or_a_step_of_another_name() -> None:
    steps = [action.step for action in ACTIONS.values() if action.step is not None]
    assert set(steps) == set(Action) - CITIZENS
    assert all(action.step in (None, name) for name, action in ACTIONS.items())


def test_every_declaration_has_its_words_and_its_questions_in_the_root_router() -> None:
    catalogues = Catalogues()
    for action in ACTIONS.values():
        for locale in ("vi", "en"):
            assert catalogues.get(locale)(action.label) != action.label, action.label
        for question in action.questions:
            spec = StateSpec(question.prompt, question.answer)
            assert ROOT.states.get(question.state) == spec, question.state


@pytest.mark.parametrize(
    ("kind", "state", "who"),
    list(itertools.product(PetitionKind, PetitionState, OFFICERS)),
)
def test_the_card_offers_exactly_what_a_press_is_allowed_and_the_table_no_more(
    kind: PetitionKind, state: PetitionState, who: str
) -> None:
    officer = OFFICERS[who]
    for anonymous in (False, True):
        shown = petition(kind, state, anonymous)
        offered = ACTIONS.offered(ORG, officer, shown)
        allowed = allowed_actions(state, kind)
        assert all(action.step is None or action.step in allowed for action in offered)
        for action in ACTIONS.values():
            refusal = ACTIONS.refusal(ORG, officer, shown, action)
            assert (refusal is None) == (action in offered), (action.name, refusal)
        if who == "head elsewhere":
            assert not offered, "a head of another unit may not act on it"


def offered_names(card: list[dict]) -> set[str]:
    """The actions a card offers, read from its buttons (`pa:<petition>.<action>`)."""
    buttons = (b["data"] for line in card for row in line["buttons"] for b in row)
    return {data.partition(".")[2] for data in buttons if data.startswith("pa:")}


async def everything(app: Application) -> tuple[object, ...]:
    """The petition's state, its history, and where every chat stands."""
    async with app.db.transaction() as session:
        state = (await session.get_one(m.Petition, 1)).state
        events = [e.action for e in await session.scalars(select(m.PetitionEvent))]
        chats = [
            (c.chat_id, c.state, c.step, c.data.get("pending"))
            for c in await session.scalars(select(m.Conversation).order_by(m.Conversation.chat_id))
        ]
    return state, events, chats


@pytest.mark.parametrize("accepted", [False, True])
@pytest.mark.parametrize("chat", ["officer-pd.tiepdan", "officer-pd.chutich"])
async def test_a_forged_press_of_an_action_not_offered_is_refused_politely_and_changes_nothing(
    sandbox_app: Application, http: aiohttp.ClientSession, accepted: bool, chat: str
) -> None:
    citizen, assignee, card = await complaint_opened_by_assignee(sandbox_app, http)
    if accepted:
        await assignee.press("Xác nhận", await assignee.press("Thụ lý", card))
    officer = SandboxPerson(sandbox_app, http, chat)
    card = await officer.act({"kind": "callback", "data": "op:1"})
    offered = offered_names(card)
    assert offered, "whoever may act on it has a way forward"
    await citizen.new_lines()
    before = await everything(sandbox_app)

    head = chat.endswith("chutich")
    for name in sorted(set(ACTIONS) - offered):
        refused = texts(await officer.act({"kind": "callback", "data": f"pa:1.{name}"}))
        no_standing = ACTIONS[name].who is Who.HEAD and not head
        # Not this officer's to take, or not at this step: which, and where the petition is.
        expected = NOT_ALLOWED if no_standing else f"Không thể «{label(name)}» lúc này"
        assert expected in refused, (name, refused)
    assert await everything(sandbox_app) == before
    assert not await citizen.new_lines()
