"""An organisation file for one real province, from the official list of 1 July 2025.

Since 1 July 2025 local government has two levels: 34 provinces and 3,321 commune-level units
(xã, phường, đặc khu). `vietnam-provinces` (a dev dependency) carries the General Statistics
Office's list; this module turns one province of it into the TOML of `bot/data/demo_org.toml`,
for tests and benchmarks at a real size (TP Hồ Chí Minh: 168 communes).

What is real: the province, its communes, their names, types, official codes and their order
(the package's order, which is the GSO list's: grouped by the former provinces and districts, not
by code; TP Hồ Chí Minh's begins with Phường Vũng Tàu, its Phường Sài Gòn is 63rd). What is
generated, deterministically from `seed`: the villages of each commune, the officers' names. A
petition no routing rule matches goes to the commune itself, so the file has no routing rules.

    text = province_org("Hồ Chí Minh")  # or 79, "79", "ho_chi_minh", "TP HCM": the TOML text
    path = write_province_org(tmp_path / "hcm.toml", 79)  # the same, written: for ORG_FILE

Naming, as the bot shows it:

- a commune unit is named after the body that receives the petition, like the demo's
  "UBND xã Sơn Phú": "UBND " + the official name with its type word in lower case:
  "UBND phường Sài Gòn", "UBND xã Cần Giờ", "UBND đặc khu Côn Đảo". The name is the unit's one
  name everywhere: on the commune buttons, and in "the petition went to {unit}" — where a body,
  not a place, is meant (the price: the place of a petition reads "Khu phố 12, UBND phường Sài
  Gòn", as the demo's reads "Xóm Na Mao, UBND xã Sơn Phú"). The official name follows as is,
  with the package's runs of spaces collapsed ("Phường  Rạch Dừa" → "UBND phường Rạch Dừa");
  its typographic characters ("Xã Ea H’leo", "Xã Chân Mây – Lăng Cô") are kept. A comment
  above each unit gives the official name and code.
- the province: "UBND Thành phố Hồ Chí Minh" (the package's name of a centrally governed city
  already says "Thành phố"), "UBND tỉnh Thái Nguyên"; its inspectorate "Thanh tra Thành phố Hồ
  Chí Minh", "Thanh tra tỉnh Thái Nguyên".

Codes:

- province: the initials of the package's codename, upper case ("ho_chi_minh" → "HCM",
  "thai_nguyen" → "TN", as in the demo; one word in full: "hue" → "HUE"); inspectorate "HCM-TT".
  No prefix is given, so the province's own petitions are coded "HCM-2026-000001".
- commune `code`: its official five-digit code ("26740" for Phường Sài Gòn): stable through a
  rename, and unique in the country.
- commune `prefix` (petition codes, SG-2026-000123): the initials of the official name without
  its type word, in ASCII ("Sài Gòn" → "SG"; numbers kept whole: "Phường 1 Bảo Lộc" → "1BL"); a
  one-word name gives up to four letters ("Láng" → "LANG"). Taken prefixes (the province code
  first, then communes by ascending official code) make a later one add 2, 3, …: "TT", "TT2".
  Stable as long as the list is.
- villages: "<commune code>-<n>", n zero-padded ("26740-01" … "26740-40").

Villages, `villages_per_commune` per commune, named as people in that region name them: a phường
has numbered "Khu phố N" in the South and "Tổ dân phố N" elsewhere; a xã has named "Ấp …" in the
South, "Xóm …" in Thái Nguyên and Nghệ An, "Thôn …" elsewhere; an đặc khu has "Khu dân cư số N".
Named villages are two syllables drawn from common village names, unique within the commune.

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
import re
import unicodedata
from dataclasses import dataclass
from pathlib import Path

from vietnam_provinces import Province, ProvinceCode, VietNamDivisionType, Ward

from bot.app import load_organisation

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


@dataclass(frozen=True)
class Commune:
    """One commune-level unit of the official list, and what the organisation file makes of it."""

    code: str  # the official code, five digits: "26740"
    official_name: str  # the package's name, spaces collapsed: "Phường Sài Gòn"
    division_type: str  # "phường", "xã" or "đặc khu"
    prefix: str  # of its petition codes: "SG"
    unit_name: str  # the unit's name in the file: "UBND phường Sài Gòn"


def find_province(province: int | str) -> Province:
    """A province by its official code (79, "79"), codename ("ho_chi_minh") or name, with or
    without diacritics and "Thành phố"/"Tỉnh"/"TP" ("Hồ Chí Minh", "TP HCM", "thai nguyen")."""
    if isinstance(province, int) or province.strip().isdigit():
        return Province.from_code(ProvinceCode(int(province)))
    wanted = _key(province)
    matches = [
        item
        for item in Province.iter_all()
        if wanted in {_key(item.name), _key(item.codename), _province_code(item).lower()}
    ]
    if len(matches) != 1:
        found = ", ".join(item.name for item in matches) or "none"
        raise ValueError(f"{province!r} names no single province (found: {found})")
    return matches[0]


def province_communes(province: int | str) -> list[Commune]:
    """The province's commune-level units, in the official order, with their prefixes."""
    found = find_province(province)
    wards = list(Ward.iter_by_province(found.code))
    taken = {_province_code(found)}
    prefixes: dict[int, str] = {}
    for ward in sorted(wards, key=lambda item: int(item.code)):
        prefixes[int(ward.code)] = _free(_initials(_bare_name(ward)), taken)
    return [
        Commune(
            code=f"{int(ward.code):05d}",
            official_name=_official_name(ward),
            division_type=ward.division_type.value,
            prefix=prefixes[int(ward.code)],
            unit_name=f"UBND {ward.division_type.value} {_bare_name(ward)}",
        )
        for ward in wards
    ]


def province_org(province: int | str, villages_per_commune: int = 40, seed: int = 0) -> str:
    """The organisation file (TOML text) of a real province; the same arguments give the same
    text. `bot.app.load_organisation` reads it."""
    found = find_province(province)
    code = _province_code(found)
    seat = _seat_name(found)
    communes = province_communes(found.code)
    people = _People(random.Random(f"{seed}:people:{int(found.code)}"))
    out = [
        f"# {found.name}: {len(communes)} commune-level units, official list of 1 July 2025",
        "# (vietnam-provinces). Villages and officers are generated: see tests/province.py.",
        f"name = {_q(f'{_province_title(found)} (demo)')}",
        "",
    ]
    out += _unit(code, f"UBND {seat}", "province")
    out += _unit(f"{code}-TT", f"Thanh tra {seat}", "inspectorate", parent=code)
    for commune in communes:
        out.append(f"# {commune.official_name} ({commune.code})")
        out += _unit(commune.code, commune.unit_name, "commune", parent=code, prefix=commune.prefix)
    for commune in communes:
        names = _village_names(found, commune, villages_per_commune, seed)
        width = len(str(villages_per_commune))
        for number, name in enumerate(names, start=1):
            out += [
                "[[areas]]",
                f"code = {_q(f'{commune.code}-{number:0{width}d}')}",
                f"unit = {_q(commune.code)}",
                f"name = {_q(name)}",
                "",
            ]
    for field in load_organisation(None).fields:  # the bundled demo's: labels in locales/
        out += ["[[fields]]", f"code = {_q(field.code)}", f"label = {_q(field.label)}", ""]
    inspectorate = f"{code}-TT"
    level = "Thành phố" if _is_city(found) else "tỉnh"
    handle = code.lower()
    out += _officer(f"{handle}.chutich", people.man(), f"Chủ tịch UBND {level}", code, ["head"])
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
    return "\n".join(out)


def write_province_org(
    path: Path | str, province: int | str, villages_per_commune: int = 40, seed: int = 0
) -> Path:
    """Write `province_org(...)` to `path` (UTF-8) and return the path, for ORG_FILE."""
    target = Path(path)
    target.write_text(province_org(province, villages_per_commune, seed), encoding="utf-8")
    return target


def _official_name(ward: Ward) -> str:
    """The package's name with its runs of spaces collapsed ("Xã  Đại Hải" → "Xã Đại Hải")."""
    return " ".join(ward.name.split())


def _bare_name(ward: Ward) -> str:
    """The name without its type word: "Phường Sài Gòn" → "Sài Gòn"."""
    name = _official_name(ward)
    kind = ward.division_type.value.capitalize() + " "
    if not name.startswith(kind):
        raise ValueError(f"{ward.name!r} does not start with its type {kind!r}")
    return name.removeprefix(kind)


def _ascii(text: str) -> str:
    decomposed = unicodedata.normalize("NFD", text.replace("Đ", "D").replace("đ", "d"))
    return "".join(ch for ch in decomposed if not unicodedata.combining(ch))


def _key(text: str) -> str:
    """A province name to compare: no diacritics, lower case, no "Thành phố", "Tỉnh" or "TP"."""
    words = re.split(r"[^a-z0-9]+", _ascii(text).lower())
    words = [word for word in words if word]
    for lead in (["thanh", "pho"], ["tinh"], ["tp"]):
        if words[: len(lead)] == lead:
            words = words[len(lead) :]
    return "".join(words)


def _initials(name: str) -> str:
    """Initials of a name's words, upper case ASCII; numbers whole; one word: up to 4 letters."""
    words = [word for word in re.split(r"[^A-Za-z0-9]+", _ascii(name)) if word]
    if len(words) == 1 and not words[0].isdigit():
        return words[0][:4].upper()
    return "".join(word if word.isdigit() else word[0] for word in words).upper()


def _free(base: str, taken: set[str]) -> str:
    candidate, number = base, 1
    while candidate in taken:
        number += 1
        candidate = f"{base}{number}"
    taken.add(candidate)
    return candidate


def _province_code(province: Province) -> str:
    words = province.codename.split("_")
    return words[0].upper() if len(words) == 1 else "".join(w[0] for w in words).upper()


def _is_city(province: Province) -> bool:
    return province.division_type is VietNamDivisionType.THANH_PHO_TRUNG_UONG


def _seat_name(province: Province) -> str:
    """As in "UBND …": "Thành phố Hồ Chí Minh", "tỉnh Thái Nguyên"."""
    return province.name if _is_city(province) else f"tỉnh {province.name}"


def _province_title(province: Province) -> str:
    return province.name if _is_city(province) else f"Tỉnh {province.name}"


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


def _q(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def _unit(
    code: str, name: str, kind: str, parent: str | None = None, prefix: str | None = None
) -> list[str]:
    lines = ["[[units]]", f"code = {_q(code)}", f"name = {_q(name)}", f"kind = {_q(kind)}"]
    if parent:
        lines.append(f"parent = {_q(parent)}")
    if prefix:
        lines.append(f"prefix = {_q(prefix)}")
    return [*lines, ""]


def _officer(handle: str, name: str, title: str, unit: str, roles: list[str]) -> list[str]:
    return [
        "[[officers]]",
        f"handle = {_q(handle)}",
        f"name = {_q(name)}",
        f"title = {_q(title)}",
        f"unit = {_q(unit)}",
        f"roles = {json.dumps(roles)}",
        "",
    ]
