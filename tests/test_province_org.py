"""A real province's organisation file (tests/province.py): it parses, and the bot runs on it."""

from __future__ import annotations

import re
import time
import tomllib
from collections import Counter
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select
from vietnam_provinces import Province, ProvinceCode, Ward

from bot.app import Application, load_organisation
from bot.domain.org import Organisation, parse_organisation
from bot.domain.routing import pick_officer, route_unit
from bot.provinces import find_province, province_communes
from storage import models as m
from tests.conftest import FakeClock, make_settings
from tests.province import province_org
from tests.sandbox_client import SandboxPerson, texts

HCM = 79
VILLAGES = 40


def repeated(values: list[Any]) -> list[Any]:
    return [value for value, count in Counter(values).items() if count > 1]


def test_hcm_has_its_168_communes_with_their_names_in_the_official_order(
    hcm: Organisation,
) -> None:
    wards = list(Ward.iter_by_province(ProvinceCode(HCM)))
    communes = hcm.communes()
    assert len(communes) == len(wards) == 168
    assert [unit.code for unit in communes] == [f"{int(ward.code):05d}" for ward in wards]
    for unit, ward in zip(communes, wards, strict=True):
        official = " ".join(ward.name.split())  # the package has a few double spaces
        assert unit.name == f"UBND {official[0].lower()}{official[1:]}"
        assert unit.parent == "HCM"
    names = {unit.name for unit in communes}
    assert {"UBND phường Sài Gòn", "UBND xã Cần Giờ", "UBND đặc khu Côn Đảo"} <= names
    assert "UBND phường Rạch Dừa" in names  # "Phường  Rạch Dừa" in the package
    assert hcm.units["HCM"].name == "UBND Thành phố Hồ Chí Minh"
    assert hcm.units["HCM-TT"].kind == "inspectorate"


def test_every_commune_has_40_villages_named_as_in_the_south(hcm: Organisation) -> None:
    for unit in hcm.communes():
        names = [area.name for area in hcm.areas_of(unit.code)]
        assert len(names) == len(set(names)) == VILLAGES, unit.name
    sai_gon = next(unit for unit in hcm.communes() if unit.name == "UBND phường Sài Gòn")
    quarters = [area.name for area in hcm.areas_of(sai_gon.code)]
    assert quarters[0] == "Khu phố 1" and quarters[-1] == "Khu phố 40"
    can_gio = next(unit for unit in hcm.communes() if unit.name == "UBND xã Cần Giờ")
    assert all(area.name.startswith("Ấp ") for area in hcm.areas_of(can_gio.code))
    assert len(hcm.areas) == 168 * VILLAGES


def test_codes_prefixes_and_handles_are_unique(hcm_file: Path) -> None:
    data = tomllib.loads(hcm_file.read_text(encoding="utf-8"))  # before a dict hides a repeat
    units, areas, officers = data["units"], data["areas"], data["officers"]
    assert not repeated([unit["code"] for unit in units])
    assert not repeated([area["code"] for area in areas])
    assert not repeated([officer["handle"] for officer in officers])
    prefixes = [unit["prefix"] for unit in units if unit["kind"] == "commune"]
    assert len(prefixes) == 168 and not repeated(prefixes)
    assert all(re.fullmatch(r"[A-Z0-9]{1,8}", prefix) for prefix in prefixes)
    assert "HCM" not in prefixes, "the province's own petitions are coded HCM-…"
    sai_gon = next(unit for unit in units if unit["name"] == "UBND phường Sài Gòn")
    assert sai_gon["prefix"] == "SG"


def test_fields_are_the_demo_fields(hcm: Organisation) -> None:
    assert hcm.fields == load_organisation(None).fields


def test_petitions_reach_an_officer_in_every_commune_and_above(hcm: Organisation) -> None:
    for unit in hcm.communes():
        handle = unit.petition_prefix.lower()  # type: ignore[union-attr]
        assert route_unit(hcm, unit.code, "khieu_nai", "dat_dai") == unit.code
        reception = pick_officer(hcm, unit.code, "khieu_nai", {})
        head = pick_officer(hcm, unit.code, "to_cao", {})
        assert reception is not None and reception.handle == f"{handle}.tiepdan"
        assert head is not None and head.handle == f"{handle}.chutich"
        assert route_unit(hcm, unit.code, "to_cao", "can_bo", "leader") == "HCM"
    chairman = pick_officer(hcm, "HCM", "to_cao", {})
    assert chairman is not None and chairman.handle == "hcm.chutich"
    inspectors = [officer for officer in hcm.officers if "inspector" in officer.roles]
    assert {officer.unit for officer in inspectors} == {"HCM-TT"}
    assert any("head" in officer.roles for officer in inspectors)
    assert len(hcm.officers) == 3 + 2 * 168


@pytest.mark.parametrize(
    ("province", "communes", "code"),
    [("Hà Nội", 126, "HN"), ("Thái Nguyên", 92, "TN"), (HCM, 168, "HCM")],
)
def test_communes_per_province(province: int | str, communes: int, code: str) -> None:
    org = load_organisation_text(province_org(province, villages_per_commune=3))
    assert len(org.communes()) == communes
    assert next(unit for unit in org.units.values() if unit.kind == "province").code == code


def test_every_province_of_the_official_list_gives_a_file_the_bot_reads() -> None:
    provinces = list(Province.iter_all())
    assert len(provinces) == 34
    total = 0
    for province in provinces:
        text = province_org(int(province.code), villages_per_commune=1)
        data = tomllib.loads(text)
        load_organisation_text(text)
        prefixes = [unit["prefix"] for unit in data["units"] if unit["kind"] == "commune"]
        assert not repeated(prefixes), province.name
        assert not repeated([officer["handle"] for officer in data["officers"]]), province.name
        total += len(prefixes)
    assert total == 3321


def test_the_same_seed_gives_the_same_file() -> None:
    assert province_org(19, villages_per_commune=5) == province_org(19, villages_per_commune=5)
    other = province_org(19, villages_per_commune=5, seed=1)
    assert other != province_org(19, villages_per_commune=5)
    first, second = (load_organisation_text(province_org(19, 5, seed)) for seed in (0, 1))
    assert list(first.units) == list(second.units), "only villages and people differ"


def test_provinces_are_found_by_code_and_name() -> None:
    for name in (79, "79", "ho_chi_minh", "Hồ Chí Minh", "TP HCM", "thành phố hồ chí minh"):
        assert int(find_province(name).code) == HCM
    assert int(find_province("thai nguyen").code) == 19
    with pytest.raises(ValueError, match="Lai Châu, Lào Cai"):
        find_province("LC")
    assert [commune.prefix for commune in province_communes(1)][:3] == ["HK", "CN", "BD"]


async def test_the_bot_starts_with_all_of_hcm(
    tmp_path: Path, hcm_file: Path, clock: FakeClock
) -> None:
    app = Application(make_settings(tmp_path, sandbox=True, org_file=hcm_file), clock=clock)
    started = time.perf_counter()
    await app.start()
    took = time.perf_counter() - started
    try:
        # About a second here (SQLite or PostgreSQL), most of it writing 6,720 villages.
        assert took < 30, f"start took {took:.1f}s"
        async with app.db.transaction() as session:
            count = select(func.count()).select_from
            assert await session.scalar(count(m.Unit)) == 2 + 168
            assert await session.scalar(count(m.Area)) == 168 * VILLAGES
            assert await session.scalar(count(m.Officer)) == 3 + 2 * 168
            assert await session.scalar(count(m.OfficerBinding)) == 3 + 2 * 168
    finally:
        await app.stop()


async def pick(person: SandboxPerson, label: str, lines: list[dict]) -> list[dict]:
    """Press the button named exactly `label`, turning the list's pages (▶) until it shows."""
    for _ in range(20):
        buttons = [button for line in lines for row in line["buttons"] for button in row]
        if any(button["text"] == label for button in buttons):
            return await person.press(label, lines)
        turn = next((button for button in buttons if "▶" in button["text"]), None)
        assert turn is not None, f"no {label!r} among {[b['text'] for b in buttons]}"
        lines = await person.act({"kind": "callback", "data": turn["data"], "label": turn["text"]})
    raise AssertionError(f"{label!r} not found in 20 pages")


async def test_a_complaint_to_phuong_sai_gon_is_coded_sg_and_reaches_its_officer(
    tmp_path: Path, hcm_file: Path, clock: FakeClock, http: aiohttp.ClientSession
) -> None:
    app = Application(make_settings(tmp_path, sandbox=True, org_file=hcm_file), clock=clock)
    await app.start()
    try:
        citizen = SandboxPerson(app, http, "citizen-1")
        lines = await citizen.say("/start")
        for label in ("Tôi đã hiểu", "Gửi đơn", "Khiếu nại", "Đất đai"):
            lines = await citizen.press(label, lines)
        lines = await pick(citizen, "Phường Sài Gòn", lines)
        lines = await pick(citizen, "Khu phố 12", lines)
        lines = await citizen.say("Phường thu hồi đất của gia đình tôi mà không có quyết định.")
        lines = await citizen.press("Xong", lines)
        lines = await citizen.say("Nguyễn Thị Dung")
        lines = await citizen.act({"kind": "contact", "phone": "+84912345678"})
        lines = await citizen.say("Khu phố 12, phường Sài Gòn")
        receipt = texts(await citizen.press("Gửi đơn", lines))
        assert "SG-2026-000001" in receipt and "UBND phường Sài Gòn" in receipt
        officer = SandboxPerson(app, http, "officer-sg.tiepdan")
        assert "Đơn mới SG-2026-000001" in texts(await officer.new_lines())
    finally:
        await app.stop()


def load_organisation_text(text: str) -> Organisation:
    """`bot.app.load_organisation` on a text: the same parser, without a file."""
    return parse_organisation(tomllib.loads(text))
