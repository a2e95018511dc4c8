"""A real province's lists: TP Hồ Chí Minh's 168 wards and communes (the official list, via
tests/province.py), 40 villages each, on Telegram and on Zalo. Every page stays within the
platforms' limits (the fake servers refuse more than 100 buttons or 2 000 characters on Zalo),
and a citizen reaches the 160th commune and a village on its second page by typing names."""

from __future__ import annotations

from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Application
from bot.buttons import FollowCommunes
from bot.domain.org import Organisation
from bot.labels import as_heading
from handlers.picker import PAGE_SIZE
from storage import models as m
from tests.conftest import FakeClock, running_app, telegram_settings
from tests.fake_telegram import FakeTelegram, SimUser
from tests.fake_zalo import FakeZalo, FakeZaloUser
from tests.test_telegram import consent, up_to_the_communes
from tests.test_zalo import VI, choose, zalo_settings

TARGET = 159  # the 160th commune in the official order
VILLAGE = 26  # on the second page of its villages
STORY = "Đường vào ấp bị sạt lở từ tháng trước, chưa ai sửa."


@pytest.fixture
async def hcm_app(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock, hcm_file: Path
) -> AsyncIterator[Application]:
    settings = telegram_settings(tmp_path, telegram).model_copy(update={"org_file": hcm_file})
    async with running_app(settings, clock) as application:
        yield application


async def every_page(citizen: SimUser, most: int) -> tuple[list[str], object]:
    """Turn the pages of the list on the screen to its end: every label, and the last page."""
    labels: list[str] = []
    page = citizen.replies[-1]
    while True:
        assert len(buttons(page)) <= most, "within a page of the list and its ◀ ▶ and ways out"
        labels += buttons(page)
        if "Trang sau ▶" not in buttons(page):
            return labels, page
        await citizen.press("Trang sau ▶")
        page = await citizen.next_reply()
        assert "Trang" in page.text


def buttons(reply: object) -> list[str]:
    return [text for row in reply.buttons for text, _ in row]  # type: ignore[attr-defined]


async def test_every_page_of_168_communes_is_within_telegrams_limits(
    hcm_app: Application, telegram: FakeTelegram, hcm: Organisation
) -> None:
    citizen = telegram.user(9101)
    await up_to_the_communes(citizen)
    labels, _ = await every_page(citizen, PAGE_SIZE + 4)  # a page, ◀ ▶, Back and Cancel
    places = [as_heading(unit.place) for unit in hcm.communes()]
    seen = [label for label in labels if label in set(places)]
    assert seen == places, "every commune, once, in order"


async def test_the_160th_commune_and_a_village_typed_on_telegram(
    hcm_app: Application, telegram: FakeTelegram, hcm: Organisation
) -> None:
    commune = hcm.communes()[TARGET]
    village = hcm.areas_of(commune.code)[VILLAGE]
    citizen = telegram.user(9102)
    await up_to_the_communes(citizen)
    await citizen.send_text(commune.place.lower())  # 1: «xã xuân thới sơn»
    assert "Sự việc xảy ra ở ấp nào?" in (await citizen.next_reply()).text
    await citizen.send_text(village.name)  # 2: a village on the second page
    assert "kể lại sự việc" in (await citizen.next_reply()).text
    await file_the_rest(citizen)
    petition = await only_petition(hcm_app)
    assert (petition.unit_code, petition.area_code) == (commune.code, village.code)


async def file_the_rest(citizen: SimUser) -> None:
    await citizen.send_text(STORY)
    await citizen.next_reply()
    await citizen.press("✅ Xong")
    await citizen.next_reply()
    await citizen.send_text("Lê Thị Hoa")
    await citizen.next_reply()
    await citizen.share_contact("+84 912 000 222")
    await citizen.next_reply()
    await citizen.send_text("Ấp 3")
    await citizen.next_reply()
    await citizen.press("📨 Gửi đơn")
    assert "Mã đơn" in (await citizen.next_reply()).text


async def only_petition(app: Application) -> m.Petition:
    async with app.db.snapshot() as session:
        petition = await session.scalar(select(m.Petition))
    assert petition is not None
    return petition


@pytest.fixture
async def hcm_zalo_app(
    tmp_path: Path, zalo: FakeZalo, clock: FakeClock, hcm_file: Path
) -> AsyncIterator[Application]:
    async with running_app(zalo_settings(tmp_path, zalo, org_file=hcm_file), clock) as application:
        yield application


async def zalo_up_to_the_communes(citizen: FakeZaloUser) -> None:
    await citizen.send_text("/start")
    menu = await choose(citizen, await citizen.next_reply(), VI("privacy.agree"))
    kinds = await choose(citizen, menu, VI("menu.file"))
    fields = await choose(citizen, kinds, "Khiếu nại")
    communes = await choose(citizen, fields, "Đất đai")
    assert "ở phường, xã hay đặc khu nào?" in communes.text and len(communes.text) <= 2000


async def test_the_160th_commune_and_a_village_typed_on_zalo_by_name(
    hcm_zalo_app: Application, zalo: FakeZalo, hcm: Organisation
) -> None:
    commune = hcm.communes()[TARGET]
    village = hcm.areas_of(commune.code)[VILLAGE]
    citizen = zalo.user("9201")
    await zalo_up_to_the_communes(citizen)
    await citizen.send_text("xuan thoi son")  # 1: no diacritics, no «xã»
    villages = await citizen.next_reply()
    assert "Sự việc ở ấp nào?" in villages.text and len(villages.text) <= 2000
    await citizen.send_text(village.name.lower())  # 2
    assert "kể lại sự việc" in (await citizen.next_reply()).text


async def test_the_160th_commune_by_a_short_list_and_its_number_on_zalo(
    hcm_zalo_app: Application, zalo: FakeZalo, hcm: Organisation
) -> None:
    commune = hcm.communes()[TARGET]
    citizen = zalo.user("9202")
    await zalo_up_to_the_communes(citizen)
    await citizen.send_text("xuan")  # 1: every commune with a word starting «xuân»
    several = await citizen.next_reply()
    assert "Xin chọn một" in several.text
    await citizen.send_text(number_in_list(several.text, as_heading(commune.place)))  # 2
    villages = await citizen.next_reply()
    assert "Sự việc ở ấp nào?" in villages.text
    await citizen.send_text("3")  # 3: the third village of the page
    assert "kể lại sự việc" in (await citizen.next_reply()).text
    async with hcm_zalo_app.db.snapshot() as session:
        draft = await session.scalar(
            select(m.Conversation.data).where(m.Conversation.chat_id == "9202")
        )
    assert draft is not None
    assert draft["draft"]["commune"] == commune.code
    assert draft["draft"]["area"] == hcm.areas_of(commune.code)[2].code


def number_in_list(text: str, label: str) -> str:
    """The number a Zalo list gives an option («12. UBND xã …»)."""
    for line in text.splitlines():
        number, _, rest = line.partition(". ")
        if rest == label and number.isdigit():
            return number
    raise AssertionError(f"{label} is not in the list:\n{text}")


async def test_places_to_follow_are_paged_within_telegrams_limits(
    hcm_app: Application, telegram: FakeTelegram, hcm: Organisation
) -> None:
    """Two buttons a commune (follow it, or go down to its villages): 10 communes a page."""
    citizen = telegram.user(9103)
    await consent(citizen)
    await citizen.press_data(FollowCommunes().pack())
    await citizen.next_reply()
    labels, page = await every_page(citizen, PAGE_SIZE + 3)  # a page, ◀ ▶, back to the menu
    followed_names = [label for label in labels if label.startswith("Cả ")]
    assert len(followed_names) == len(hcm.communes()) == 168
    village_button = next(
        label
        for label in buttons(page)
        if label.startswith("Chọn thôn") and hcm.communes()[-1].place in label
    )
    await citizen.press(village_button)
    villages = await citizen.next_reply()
    assert len(buttons(villages)) <= PAGE_SIZE + 3 and "Trang 1/2" in villages.text
