"""`python -m bot org init` and `org check`: an administrator starts a province's organisation
file from the official list, adds offices, villages and officers, and is told what is missing
until nothing is."""

from __future__ import annotations

import tomllib
from pathlib import Path

import pytest
from vietnam_provinces import ProvinceCode, Ward

from bot.domain.org import parse_organisation
from tests.province import province_org
from tests.test_cli import run_cli


@pytest.mark.parametrize(
    ("province", "code", "communes"), [("Thái Nguyên", 19, 92), ("TP HCM", 79, 168)]
)
def test_init_writes_every_commune_and_ward_of_the_province_with_its_official_code(
    tmp_path: Path, province: str, code: int, communes: int
) -> None:
    result = run_cli(tmp_path, "org", "init", "--province", province)
    assert result.returncode == 0, result.stderr
    org = parse_organisation(tomllib.loads(result.stdout))
    official = [f"{int(ward.code):05d}" for ward in Ward.iter_by_province(ProvinceCode(code))]
    assert [unit.code for unit in org.communes()] == official
    assert len(official) == communes
    kinds = {unit.kind for unit in org.units.values()}
    assert kinds == {"province", "inspectorate", "commune"}
    assert org.fields, "the fields a citizen picks from come with it"


def test_check_lists_what_a_fresh_skeleton_lacks_and_fails(tmp_path: Path) -> None:
    skeleton = tmp_path / "tn.toml"
    assert (
        run_cli(tmp_path, "org", "init", "--province", "19", "--output", str(skeleton)).returncode
        == 0
    )
    result = run_cli(tmp_path, "org", "check", "--file", str(skeleton))
    assert result.returncode == 1
    lines = result.stdout.splitlines()
    assert "UBND xã Đại Từ: no villages or residential groups ([[areas]])" in result.stdout
    assert sum("nobody receives its petitions" in line for line in lines) == 92
    assert "no inspector (role inspector) to receive the periodic reports" in lines
    assert "UBND xã Đại Từ: no address, phone or hours where citizens are received" in result.stdout
    assert lines[-1].endswith("92 communes, 0 villages, 0 officers; 370 things missing")


def test_check_passes_once_villages_and_officers_are_added(tmp_path: Path) -> None:
    complete = tmp_path / "hcm.toml"
    complete.write_text(province_org(79, villages_per_commune=3), encoding="utf-8")
    result = run_cli(tmp_path, "org", "check", "--file", str(complete))
    assert result.returncode == 0, result.stdout
    assert "168 communes, 504 villages" in result.stdout and "nothing missing" in result.stdout


def test_check_says_why_a_file_cannot_be_read(tmp_path: Path) -> None:
    broken = tmp_path / "broken.toml"
    broken.write_text('[[units]]\ncode = "X"\nname = "UBND xã X"\n', encoding="utf-8")
    result = run_cli(tmp_path, "org", "check", "--file", str(broken))
    assert result.returncode == 1
    assert "a table lacks its 'kind' key" in result.stdout


def test_init_never_writes_over_a_file_and_names_an_unknown_province(tmp_path: Path) -> None:
    existing = tmp_path / "org.toml"
    existing.write_text("# mine\n", encoding="utf-8")
    result = run_cli(
        tmp_path, "org", "init", "--province", "Thái Nguyên", "--output", str(existing)
    )
    assert result.returncode == 2 and "not overwritten" in result.stderr
    assert existing.read_text(encoding="utf-8") == "# mine\n"
    unknown = run_cli(tmp_path, "org", "init", "--province", "Hà Tây")
    assert unknown.returncode == 2 and "names no single province" in unknown.stderr
