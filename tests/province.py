"""An organisation file for one real province, from the official list of 1 July 2025.

`bot.provinces.org_skeleton` (what `python -m bot org init` writes) gives the province, its
inspectorate and every commune with its official code, name and type; this module adds what an
administrator would, so that tests and benchmarks run at a real size (TP Hồ Chí Minh: 168
communes). What is generated, deterministically from `seed`: the villages of each commune and
the officers' names. A petition no routing rule matches goes to the commune itself, so the file
has no routing rules.

    text = province_org("Hồ Chí Minh")  # or 79, "79", "ho_chi_minh", "TP HCM": the TOML text
    path = write_province_org(tmp_path / "hcm.toml", 79)  # the same, written: for ORG_FILE

Villages, `villages_per_commune` per commune, named as people in that region name them: a phường
has numbered "Khu phố N" in the South and "Tổ dân phố N" elsewhere; a xã has named "Ấp …" in the
South, "Xóm …" in Thái Nguyên and Nghệ An, "Thôn …" elsewhere; an đặc khu has "Khu dân cư số N".
Named villages are two syllables drawn from common village names, unique within the commune.
Codes: "<commune code>-<n>", n zero-padded ("26740-01" … "26740-40").

Officers, so that routing and notices work (see `bot.domain.routing.pick_officer`): in each
commune "<prefix>.tiepdan" (reception, handler: takes complaints, petitions, reports) and
"<prefix>.chutich" (head: takes denunciations, approves); in the province "<code>.chutich" (head:
denunciations of a commune's leaders go up to it), and at the inspectorate
"<code>.chanhthanhtra" (head, inspector) and "<code>.thanhtravien" (inspector). Handles are lower
case; a commune's prefix never equals the province's code, so they are unique.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

from vietnam_provinces import Province, VietNamDivisionType

from bot.app import load_organisation
from bot.provinces import (
    Commune,
    find_province,
    is_city,
    org_skeleton,
    province_code,
    province_communes,
    toml_string,
)

# The regions where a phường's quarters are "khu phố" and a xã's villages are "ấp".
SOUTH = frozenset({75, 79, 80, 82, 86, 91, 92, 96})
# Provinces whose xã call their villages "xóm".
XOM = frozenset({19, 40})


def _words(text: str) -> tuple[str, ...]:
    return tuple(text.split())


_VILLAGE_WORDS = _words(
    "An Bình Châu Đông Đồng Hạ Hòa Hồng Hưng Khánh Lộc Long Minh Mỹ Nam Phú Phúc Phước Quang "
    "Tân Tây Thạnh Thắng Thành Thịnh Thọ Thượng Tiến Trung Vĩnh Xuân Yên Lợi Hiệp Sơn Cát Tâm"
)
_FAMILY = _words("Nguyễn Trần Lê Phạm Hoàng Huỳnh Phan Vũ Võ Đặng Bùi Đỗ Hồ Ngô Dương Lý")
_MEN = _words("Hải Hùng Dũng Minh Tuấn Sơn Long Thành Hiếu Đức Bình Quang Trung Kiên Phúc Tâm")
_WOMEN = _words("Lan Mai Hoa Hương Thu Hằng Nga Thảo Linh Trang Yến Hạnh Phương Dung Loan Vân")
_MEN_MIDDLE = ("Văn", "Hữu", "Minh", "Quốc", "Thanh", "Đức")
_WOMEN_MIDDLE = ("Thị", "Thị", "Ngọc", "Thanh", "Thu", "Kim")


def province_org(province: int | str, villages_per_commune: int = 40, seed: int = 0) -> str:
    """The organisation file (TOML text) of a real province: `org init`'s skeleton with villages
    and officers added. The same arguments give the same text."""
    found = find_province(province)
    communes = province_communes(found.code)
    fields = load_organisation(None).fields  # the bundled demo's: labels in locales/
    out = [org_skeleton(found.code, fields, _reception), "# Generated: see tests/province.py.", ""]
    for commune in communes:
        out += _areas(commune, _village_names(found, commune, villages_per_commune, seed))
    out += _officers(found, communes, _People(random.Random(f"{seed}:people:{int(found.code)}")))
    return "\n".join(out)


def write_province_org(
    path: Path | str, province: int | str, villages_per_commune: int = 40, seed: int = 0
) -> Path:
    """Write `province_org(...)` to `path` (UTF-8) and return the path, for ORG_FILE."""
    target = Path(path)
    target.write_text(province_org(province, villages_per_commune, seed), encoding="utf-8")
    return target


def _reception(commune: Commune) -> tuple[str, str, str]:
    """A commune's reception: its committee's seat, a phone number made from its code, the
    usual office hours."""
    number = f"0{int(commune.code):09d}"
    phone = f"{number[:4]} {number[4:7]} {number[7:]}"
    return f"Trụ sở {commune.unit_name}", phone, "Thứ Hai đến Thứ Sáu, 7:30–11:30, 13:30–17:00"


def _areas(commune: Commune, names: list[str]) -> list[str]:
    width = len(str(len(names)))
    out = []
    for number, name in enumerate(names, start=1):
        out += [
            "[[areas]]",
            f"code = {toml_string(f'{commune.code}-{number:0{width}d}')}",
            f"unit = {toml_string(commune.code)}",
            f"name = {toml_string(name)}",
            "",
        ]
    return out


def _officers(found: Province, communes: list[Commune], people: _People) -> list[str]:
    code = province_code(found)
    inspectorate = f"{code}-TT"
    level = "Thành phố" if is_city(found) else "tỉnh"
    handle = code.lower()
    out = _officer(f"{handle}.chutich", people.man(), f"Chủ tịch UBND {level}", code, ["head"])
    out += _officer(
        f"{handle}.chanhthanhtra",
        people.man(),
        f"Chánh Thanh tra {level}",
        inspectorate,
        ["head", "inspector"],
    )
    out += _officer(
        f"{handle}.thanhtravien", people.woman(), "Thanh tra viên", inspectorate, ["inspector"]
    )
    for commune in communes:
        handle = commune.prefix.lower()
        chairman = f"Chủ tịch {commune.unit_name}"
        out += _officer(f"{handle}.chutich", people.man(), chairman, commune.code, ["head"])
        out += _officer(
            f"{handle}.tiepdan",
            people.woman(),
            "Cán bộ tiếp công dân",
            commune.code,
            ["reception", "handler"],
        )
    return out


def _village_names(province: Province, commune: Commune, count: int, seed: int) -> list[str]:
    south = int(province.code) in SOUTH
    if commune.division_type == VietNamDivisionType.DAC_KHU.value:
        return [f"Khu dân cư số {n}" for n in range(1, count + 1)]
    if commune.division_type == VietNamDivisionType.PHUONG.value:
        word = "Khu phố" if south else "Tổ dân phố"
        return [f"{word} {n}" for n in range(1, count + 1)]
    word = "Ấp" if south else "Xóm" if int(province.code) in XOM else "Thôn"
    pairs = [
        f"{first} {second}"
        for first in _VILLAGE_WORDS
        for second in _VILLAGE_WORDS
        if first != second
    ]
    if count > len(pairs):
        raise ValueError(f"at most {len(pairs)} named villages per commune")
    chosen = random.Random(f"{seed}:{commune.code}").sample(pairs, count)
    return [f"{word} {name}" for name in chosen]


class _People:
    """Officers' names: common family, middle and given names, drawn in turn."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng

    def man(self) -> str:
        return self._name(_MEN_MIDDLE, _MEN)

    def woman(self) -> str:
        return self._name(_WOMEN_MIDDLE, _WOMEN)

    def _name(self, middles: tuple[str, ...], given: tuple[str, ...]) -> str:
        choice = self.rng.choice
        return f"{choice(_FAMILY)} {choice(middles)} {choice(given)}"


def _officer(handle: str, name: str, title: str, unit: str, roles: list[str]) -> list[str]:
    return [
        "[[officers]]",
        f"handle = {toml_string(handle)}",
        f"name = {toml_string(name)}",
        f"title = {toml_string(title)}",
        f"unit = {toml_string(unit)}",
        f"roles = {json.dumps(roles)}",
        "",
    ]
