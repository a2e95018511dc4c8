"""A shared location names the commune and village where the organisation file says where they
are: a citizen who cannot find their ward among 168 shares where they stand instead."""

from __future__ import annotations

import tomllib
from collections.abc import AsyncIterator
from pathlib import Path

import pytest
from sqlalchemy import select

from bot.app import Application, load_organisation
from bot.domain.org import Area, OrganisationError, Unit, parse_organisation
from bot.domain.places import Nearby, distance_km, located, nearby
from bot.i18n import Catalogues
from bot.labels import ANY_COMMUNE, ANY_VILLAGE, place_types
from storage import models as m
from tests.conftest import FakeClock, running_app, telegram_settings
from tests.fake_telegram import FakeTelegram
from tests.test_telegram import up_to_the_communes

DEMO = Path(__file__).parent.parent / "bot" / "data" / "demo_org.toml"
CENTRES = {  # a few places with their centres, as an organisation file may give them
    "PD": (21.8900, 105.6300),
    "PD-NM": (21.8950, 105.6250),
    "PD-LB": (21.8800, 105.6400),
    "TS": (21.6300, 106.5300),
}
NEAR_LANG_BAY = (21.8812, 105.6391)  # about 150 m from Xóm Làng Bẩy's centre


@pytest.fixture
def located_org_file(tmp_path: Path) -> Path:
    """The demo organisation, with the centres of two communes and two villages of Phú Đình."""
    text = DEMO.read_text(encoding="utf-8")
    for code, (latitude, longitude) in CENTRES.items():
        line = f'code = "{code}"\n'
        assert text.count(line) == 1
        text = text.replace(line, f"{line}lat = {latitude}\nlon = {longitude}\n")
    path = tmp_path / "located.toml"
    path.write_text(text, encoding="utf-8")
    return path


def test_the_nearest_village_then_the_nearest_commune_within_reach(located_org_file: Path) -> None:
    org = load_organisation(located_org_file)
    assert located(org)
    assert 0.1 < distance_km(NEAR_LANG_BAY, CENTRES["PD-LB"]) < 0.2
    assert nearby(org, NEAR_LANG_BAY) == Nearby("PD", "PD-LB")
    # 4 km from any village centre, 5 km from Phú Đình's: the commune, without a village.
    assert nearby(org, (21.9300, 105.6100)) == Nearby("PD", None)
    # Hà Nội is nowhere near: nothing is suggested.
    assert nearby(org, (21.0278, 105.8342)) is None


def test_a_centre_must_be_two_degrees() -> None:
    data = tomllib.loads(DEMO.read_text(encoding="utf-8"))
    data["areas"][0]["lat"] = 21.9
    with pytest.raises(OrganisationError, match="lat and lon"):
        parse_organisation(data)
    data["areas"][0]["lon"] = 400.0
    with pytest.raises(OrganisationError, match="lat and lon"):
        parse_organisation(data)


@pytest.fixture
async def located_app(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock, located_org_file: Path
) -> AsyncIterator[Application]:
    settings = telegram_settings(tmp_path, telegram).model_copy(
        update={"org_file": located_org_file}
    )
    async with running_app(settings, clock) as application:
        yield application


async def test_a_location_shared_at_the_commune_question_finds_the_village(
    located_app: Application, telegram: FakeTelegram
) -> None:
    citizen = telegram.user(9301)
    await up_to_the_communes(citizen)
    offered = [text for row in citizen.replies[-1].buttons for text, _ in row]
    assert "📍 Gửi vị trí trên bản đồ" in offered
    await citizen.send_location(21.0278, 105.8342)  # far away: asked to choose instead
    refused = await citizen.next_reply()
    assert "Chưa nhận ra" in refused.text

    await citizen.send_location(*NEAR_LANG_BAY)
    found = await citizen.next_reply()
    assert "Xóm Làng Bẩy" in found.text and "Phú Đình" in found.text
    story = await citizen.next_reply()
    assert "kể lại sự việc" in story.text
    async with located_app.db.transaction() as session:
        row = await session.scalar(select(m.Conversation).where(m.Conversation.chat_id == "9301"))
        assert row is not None
        draft = row.data["draft"]
    assert (draft["commune"], draft["area"]) == ("PD", "PD-LB")
    assert (draft["latitude"], draft["longitude"]) == NEAR_LANG_BAY


@pytest.mark.parametrize(
    ("committee", "place", "kind"),
    [
        ("UBND xã Phú Đình", "xã Phú Đình", "xã"),
        ("UBND phường Sài Gòn", "phường Sài Gòn", "phường"),
        ("Ủy ban nhân dân Đặc khu Côn Đảo", "đặc khu Côn Đảo", "đặc khu"),
        ("Xã Cốc Đán", "Xã Cốc Đán", "xã"),
        ("Thanh tra tỉnh", "Thanh tra tỉnh", None),
    ],
)
def test_a_commune_is_named_as_a_place_where_a_place_is_meant(
    committee: str, place: str, kind: str | None
) -> None:
    unit = Unit("C", committee, "commune")
    assert (unit.place, unit.place_type) == (place, kind)


def test_questions_name_the_places_by_their_type() -> None:
    vi = Catalogues().get("vi")
    en = Catalogues().get("en")
    assert place_types(vi, ["xã", "xã"], ANY_COMMUNE) == "xã"
    assert place_types(vi, ["phường", "xã", "đặc khu"], ANY_COMMUNE) == "phường, xã hay đặc khu"
    assert place_types(en, ["phường", "xã"], ANY_COMMUNE) == "ward or commune"
    assert place_types(vi, ["thôn", None], ANY_VILLAGE) == "thôn, xóm hay tổ dân phố"
    villages = [Area(str(n), "C", name).place_type for n, name in enumerate(VILLAGES)]
    assert villages == ["tổ dân phố", "khu phố", "ấp", "xóm", "bản", None]


VILLAGES = ("Tổ dân phố 3", "Khu phố 12", "Ấp Bình Mỹ", "xóm Na Mao", "Bản Trang", "Đồng Kệu")
