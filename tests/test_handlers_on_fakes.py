"""Handlers over the fake store: given this state and this message, these replies and this state.

No app, no database, no messenger: each message is one call of `handlers.handle` with a
`Context` over `tests.fakes.FakeStore`, and the conversation goes through JSON between messages
as the dispatcher stores it. Texts are compared with the catalogue's, so a reworded message does
not break a test, but a wrong one does.
"""

from __future__ import annotations

import dataclasses
import itertools
import json
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

import pytest

from bot.app import DEMO_ORG_FILE, load_organisation
from bot.buttons import Consent, Language, Meet, Menu, MyPetition
from bot.conversation import Context, Conversation
from bot.core import Button, FileRef, Incoming, Kind, Outgoing, Recipient, Reply
from bot.domain.petition import PetitionKind, PetitionState
from bot.environment import Environment
from bot.i18n import Catalogues, Translator
from bot.ports import NewPetition, OfficerView
from bot.rulebook import load_calendar, load_rulebook
from handlers import handle
from handlers.common import invite_hash
from tests.conftest import START
from tests.fakes import FakeStore, as_store

NOW = START


@dataclass(frozen=True)
class Turn:
    """What one message got: replies to this chat, and messages to others."""

    replies: list[Reply]
    outgoing: list[Outgoing]

    @property
    def texts(self) -> list[str]:
        return [reply.text for reply in self.replies]

    @property
    def buttons(self) -> list[Button]:
        return [button for reply in self.replies for row in reply.buttons for button in row]

    def button(self, label: str) -> Button:
        """The button with this label (a test fails plainly when there is none)."""
        found = [button for button in self.buttons if button.text == label]
        assert found, f"no button {label!r} in {[b.text for b in self.buttons]}"
        return found[0]


class Chat:
    """One person writing to the bot; the conversation is kept between messages as the
    dispatcher keeps it (through JSON)."""

    def __init__(self, store: FakeStore, env: Environment, chat_id: str = "100") -> None:
        self.store, self.env = store, env
        self.chat = Recipient("telegram", chat_id)
        self.conv = Conversation()
        self._keys = itertools.count(1)

    @property
    def t(self) -> Translator:
        return self.env.catalogues.get(self.conv.locale)

    async def send(self, kind: Kind, **fields: Any) -> Turn:
        """One message of this kind (`fields`: those of `Incoming`), handled."""
        update_key = str(next(self._keys))
        chat, user = self.chat.chat_id, f"u{self.chat.chat_id}"
        incoming = Incoming(self.chat.channel, chat, user, update_key, kind, NOW)
        incoming = dataclasses.replace(incoming, **fields)
        ctx = Context(incoming, self.conv, as_store(self.store), self.env, NOW)
        await handle(ctx)
        stored = json.loads(json.dumps(self.conv.data))
        self.conv = Conversation(self.conv.state, self.conv.step, stored, self.conv.locale)
        return Turn(ctx.replies, ctx.outgoing)

    async def text(self, text: str) -> Turn:
        return await self.send(Kind.TEXT, text=text)

    async def command(self, name: str, args: str = "") -> Turn:
        return await self.send(
            Kind.COMMAND, text=f"/{name} {args}".strip(), command=name, args=args
        )

    async def press(self, button: Button | str) -> Turn:
        data = button.data if isinstance(button, Button) else button
        return await self.send(Kind.CALLBACK, callback_data=data)

    async def consent(self) -> Turn:
        """A first contact that reads the privacy notice and agrees."""
        await self.command("start")
        return await self.press(Consent().pack())


@pytest.fixture(scope="module")
def env() -> Environment:
    years = range(NOW.year - 1, NOW.year + 2)
    return Environment(
        org=load_organisation(DEMO_ORG_FILE),
        rulebook=load_rulebook(),
        calendar=load_calendar(years),
        catalogues=Catalogues(),
    )


@pytest.fixture
def store(env: Environment) -> FakeStore:
    return FakeStore(env.org)


@pytest.fixture
def citizen(store: FakeStore, env: Environment) -> Chat:
    return Chat(store, env)


@pytest.fixture
async def filing(citizen: Chat) -> Chat:
    """A citizen at the first question of a new petition."""
    await citizen.consent()
    await citizen.press(Menu("file").pack())
    assert citizen.conv.state == "f.kind"
    return citizen


MENU_ENTRIES = tuple(
    data.pack() for data in (Menu("file"), Menu("mine"), Meet("home"), Menu("help"), Menu("lang"))
)


def shows_menu(turn: Turn) -> bool:
    return {button.data for button in turn.buttons} >= set(MENU_ENTRIES)


# --- first contact, menu and asides -------------------------------------------------------------


async def test_start_shows_the_privacy_notice_first(citizen: Chat, store: FakeStore) -> None:
    turn = await citizen.command("start")
    t = citizen.t
    assert turn.texts == [t("privacy.notice", days=citizen.env.drafts_days)]
    assert turn.button(t("privacy.agree")).data == Consent().pack()
    assert citizen.conv.state == ""
    known = await store.citizen("telegram", "100")
    assert known is not None and known.consent_at is None


async def test_agreeing_records_consent_and_shows_the_menu(citizen: Chat, store: FakeStore) -> None:
    await citizen.command("start")
    turn = await citizen.press(Consent().pack())
    assert turn.texts == [citizen.t("menu.welcome")]
    assert shows_menu(turn)
    known = await store.citizen("telegram", "100")
    assert known is not None and known.consent_at == NOW


async def test_typing_yes_at_the_notice_agrees_as_the_button_does(
    citizen: Chat, store: FakeStore
) -> None:
    await citizen.command("start")
    turn = await citizen.text("đồng ý")
    assert shows_menu(turn)
    known = await store.citizen("telegram", "100")
    assert known is not None and known.consent_at == NOW


async def test_start_again_greets_with_the_menu(citizen: Chat) -> None:
    await citizen.consent()
    turn = await citizen.command("start")
    assert turn.texts == [citizen.t("menu.welcome")]
    assert shows_menu(turn) and citizen.conv.state == ""


async def test_a_sticker_with_nothing_asked_is_answered_with_the_menu(citizen: Chat) -> None:
    await citizen.consent()
    turn = await citizen.send(Kind.STICKER)
    assert turn.texts[0] == citizen.t("input.sticker")
    assert shows_menu(turn)


async def test_an_unknown_command_is_said_so(citizen: Chat) -> None:
    await citizen.consent()
    turn = await citizen.command("xyz")
    assert turn.texts[0] == citizen.t("input.unknown_command")
    assert shows_menu(turn)


async def test_a_forged_button_is_refused(citizen: Chat) -> None:
    await citizen.consent()
    turn = await citizen.press("zz:1")
    assert turn.texts[0] == citizen.t("input.unknown_button")


async def test_choosing_english_answers_in_english(citizen: Chat) -> None:
    await citizen.consent()
    await citizen.command("lang")
    turn = await citizen.press(Language("en").pack())
    assert citizen.conv.locale == "en"
    english = citizen.env.catalogues.get("en")
    assert turn.texts[0] == english("language.set")
    assert english("language.set") != citizen.env.catalogues.get("vi")("language.set")


# --- filing: questions, Back, Cancel and the draft ----------------------------------------------


async def test_filing_asks_the_kind_first(citizen: Chat) -> None:
    await citizen.consent()
    turn = await citizen.press(Menu("file").pack())
    assert citizen.conv.state == "f.kind"
    assert turn.texts[0].startswith(citizen.t("filing.ask_kind"))


async def test_typing_filing_in_words_starts_it(citizen: Chat) -> None:
    await citizen.consent()
    await citizen.text("gửi đơn")
    assert citizen.conv.state == "f.kind"


async def test_a_typed_kind_moves_to_the_field_question(filing: Chat) -> None:
    turn = await filing.text("khieu nai")
    assert filing.conv.state == "f.field"
    assert turn.texts[0] == filing.t("filing.ask_field")
    assert filing.conv.data["draft"]["kind"] == PetitionKind.COMPLAINT


async def test_a_pressed_kind_moves_to_the_field_question(filing: Chat) -> None:
    # the kind question again (a draft without a kind)
    asked = await filing.press(Menu("file").pack())
    await filing.press(asked.buttons[0])
    assert filing.conv.state == "f.field"
    assert filing.conv.data["draft"]["kind"] == asked.buttons[0].data.partition(".")[2]


async def test_a_denunciation_asks_whom_it_is_about(filing: Chat) -> None:
    await filing.text("tố cáo")
    await filing.text("đất đai")
    assert filing.conv.state == "f.accused"


async def test_a_typed_field_and_commune_reach_the_place(filing: Chat) -> None:
    await filing.text("kiến nghị")
    await filing.text("Môi trường")
    assert filing.conv.state == "f.commune"
    await filing.text("than sa")
    assert filing.conv.state == "f.place"
    assert filing.conv.data["draft"]["commune"] == "TS"


async def test_back_returns_to_the_previous_question(filing: Chat) -> None:
    asked = await filing.text("phản ánh")
    turn = await filing.press(asked.button(filing.t("nav.back")))
    assert filing.conv.state == "f.kind"
    assert turn.texts[0].startswith(filing.t("filing.ask_kind"))


async def test_back_from_the_first_question_leaves_filing(filing: Chat) -> None:
    # the kind question again (a draft without a kind)
    asked = await filing.press(Menu("file").pack())
    turn = await filing.press(asked.button(filing.t("nav.back")))
    assert filing.conv.state == "" and "draft" not in filing.conv.data
    assert shows_menu(turn)


async def test_cancel_discards_the_draft(filing: Chat) -> None:
    asked = await filing.text("phản ánh")
    turn = await filing.press(asked.button(filing.t("nav.cancel")))
    assert filing.conv.state == "" and "draft" not in filing.conv.data
    assert turn.texts[0] == filing.t("filing.cancelled")


async def test_start_during_filing_offers_to_resume_it(filing: Chat) -> None:
    await filing.text("kiến nghị")
    offer = await filing.command("start")
    assert filing.conv.state == "f.resume"
    turn = await filing.press(offer.button(filing.t("filing.resume.continue")))
    assert filing.conv.state == "f.field"
    assert turn.texts[0] == filing.t("filing.ask_field")


async def test_a_stale_button_is_told_apart_and_the_question_asked_again(filing: Chat) -> None:
    kinds = await filing.press(Menu("file").pack())
    await filing.text("kiến nghị")
    turn = await filing.press(kinds.buttons[0])  # a kind, pressed on the older question
    assert turn.texts[0] == filing.t("input.stale_button")
    assert turn.texts[1] == filing.t("filing.ask_field")
    assert filing.conv.state == "f.field"


# --- answering an officer's question ------------------------------------------------------------


async def waiting_petition(store: FakeStore, citizen: Chat, code: str = "PD-2026-000001") -> int:
    """A petition of this citizen's, assigned to pd.kinhte, waiting for the citizen's answer."""
    known = await store.citizen(citizen.chat.channel, citizen.chat.chat_id)
    assert known is not None
    petition_id = await store.add_petition(
        NewPetition(
            code=code,
            kind=PetitionKind.FEEDBACK,
            field="giao_thong",
            unit="PD",
            area=None,
            assignee_handle="pd.kinhte",
            citizen_id=known.id,
            content="Đèn đường hỏng.",
            place_note=None,
            latitude=None,
            longitude=None,
            anonymous=False,
            filer_name="Lò Văn B",
            filer_phone=None,
            filer_address=None,
            channel="telegram",
            received_at=NOW - timedelta(days=3),
        )
    )
    await store.set_state(petition_id, PetitionState.IN_PROGRESS, NOW)
    await store.set_state(petition_id, PetitionState.WAITING_CITIZEN, NOW)
    return petition_id


async def bound_officer(store: FakeStore, handle: str, chat: Recipient) -> OfficerView:
    """An officer whose invite was redeemed in `chat`."""
    store.add_invite(handle, invite_hash(handle), NOW + timedelta(days=1))
    return await store.redeem_invite(invite_hash(handle), chat.channel, chat.chat_id, NOW)


def to(chat: Recipient, turn: Turn) -> list[str]:
    return [out.reply.text for out in turn.outgoing if out.recipient == chat]


async def test_a_typed_answer_reaches_the_officer(citizen: Chat, store: FakeStore) -> None:
    officer_chat = Recipient("telegram", "900")
    await bound_officer(store, "pd.kinhte", officer_chat)
    await citizen.consent()
    petition_id = await waiting_petition(store, citizen)
    typed = await citizen.text("Đèn ở đầu xóm Na Mao")
    assert typed.texts[0] == citizen.t("answer.from_menu", code="PD-2026-000001")
    assert citizen.conv.state == "c.answer"
    sent = await citizen.press(typed.button(citizen.t("answer.send")))
    assert sent.texts[0] == citizen.t("answer.sent", code="PD-2026-000001")
    t = citizen.env.catalogues.get(None)
    told = t("officer.answer_received", code="PD-2026-000001", text="Đèn ở đầu xóm Na Mao", files=0)
    assert to(officer_chat, sent) == [told]
    detail = await store.petition(petition_id)
    assert detail is not None and detail.summary.state == PetitionState.IN_PROGRESS
    last = await store.last_event(petition_id, {"citizen_answered"})
    assert last is not None and last.reason == "Đèn ở đầu xóm Na Mao"


async def test_start_during_an_answer_keeps_what_was_written(
    citizen: Chat, store: FakeStore
) -> None:
    await bound_officer(store, "pd.kinhte", Recipient("telegram", "900"))
    await citizen.consent()
    petition_id = await waiting_petition(store, citizen)
    await citizen.press(f"ca:{petition_id}")
    await citizen.text("Đèn ở đầu xóm")
    await citizen.send(Kind.FILE, file=FileRef("photo-1", "photo", 2000))
    assert shows_menu(await citizen.command("start"))
    again = await citizen.press(f"ca:{petition_id}")
    assert citizen.conv.state == "c.answer"
    await citizen.press(again.button(citizen.t("answer.send")))
    last = await store.last_event(petition_id, {"citizen_answered"})
    assert last is not None and (last.reason, last.payload) == ("Đèn ở đầu xóm", {"files": 1})
    assert [file.file_id for file in await store.petition_files(petition_id)] == ["photo-1"]


async def test_answering_someone_elses_petition_is_refused(
    citizen: Chat, store: FakeStore, env: Environment
) -> None:
    owner = Chat(store, env, chat_id="200")
    await owner.consent()
    petition_id = await waiting_petition(store, owner)
    await citizen.consent()
    turn = await citizen.press(f"ca:{petition_id}")
    assert turn.texts == [citizen.t("mine.not_yours")]
    assert citizen.conv.state == ""


async def test_my_petitions_lists_the_citizens_own(citizen: Chat, store: FakeStore) -> None:
    await citizen.consent()
    petition_id = await waiting_petition(store, citizen)
    turn = await citizen.press(Menu("mine").pack())
    assert "PD-2026-000001" in turn.texts[0]
    timeline = turn.button(citizen.t("mine.timeline", code="PD-2026-000001"))
    assert timeline.data == MyPetition(petition_id).pack()


# --- an officer's chat --------------------------------------------------------------------------


async def test_an_invite_code_binds_the_officers_chat(citizen: Chat, store: FakeStore) -> None:
    store.add_invite("pd.kinhte", invite_hash("MA-MOI-1"), NOW + timedelta(days=1))
    turn = await citizen.command("start", "MA-MOI-1")
    officer = await store.officer_by_chat("telegram", "100")
    assert officer is not None and officer.handle == "pd.kinhte"
    unit = citizen.env.org.units[officer.unit].name
    bound = citizen.t("invite.bound", name=officer.name, title=officer.title, unit=unit)
    assert turn.texts[0].startswith(bound)
    assert [(row.action, row.subject) for row in store.tables.audit_log] == [
        ("officer.bound", "pd.kinhte")
    ]


async def test_a_used_invite_code_is_refused(citizen: Chat, store: FakeStore) -> None:
    await bound_officer(store, "pd.kinhte", Recipient("telegram", "900"))
    turn = await citizen.command("start", "pd.kinhte")
    assert turn.texts == [citizen.t("invite.used")]
    assert await store.officer_by_chat("telegram", "100") is None
