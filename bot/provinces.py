"""The official list of provinces and communes since 1 July 2025, as an organisation file.

Since 1 July 2025 local government has two levels: 34 provinces and 3,321 commune-level units
(xã, phường, đặc khu). `vietnam-provinces` carries the General Statistics Office's list, with
codes and types. `org_skeleton` turns one province of it into the start of an organisation file
(`python -m bot org init`): the province, its inspectorate, every commune and ward with its
official code, name and type, and the fields. The administrator adds offices, villages and
officers; `bot.domain.org.gaps` (`python -m bot org check`) says what is still missing.

Naming, as the bot shows it:

- a commune unit is named after the body that receives the petition: "UBND " + the official
  name with its type word in lower case: "UBND phường Sài Gòn", "UBND xã Cần Giờ", "UBND đặc
  khu Côn Đảo". Where a place is meant, the bot says "phường Sài Gòn" (`Unit.place`). The
  official name follows as is, with the package's runs of spaces collapsed ("Phường  Rạch Dừa"
  → "UBND phường Rạch Dừa"); its typographic characters ("Xã Ea H’leo") are kept. A comment
  above each unit gives the official name and code.
- the province: "UBND Thành phố Hồ Chí Minh" (the package's name of a centrally governed city
  already says "Thành phố"), "UBND tỉnh Thái Nguyên"; its inspectorate "Thanh tra Thành phố Hồ
  Chí Minh", "Thanh tra tỉnh Thái Nguyên".

Codes:

- province: the initials of the package's codename, upper case ("ho_chi_minh" → "HCM",
  "thai_nguyen" → "TN"; one word in full: "hue" → "HUE"); inspectorate "HCM-TT". No prefix is
  given, so the province's own petitions are coded "HCM-2026-000001".
- commune `code`: its official five-digit code ("26740" for Phường Sài Gòn): stable through a
  rename, and unique in the country.
- commune `prefix` (petition codes, SG-2026-000123): the initials of the official name without
  its type word, in ASCII ("Sài Gòn" → "SG"; numbers kept whole: "Phường 1 Bảo Lộc" → "1BL"); a
  one-word name gives up to four letters ("Láng" → "LANG"). Taken prefixes (the province code
  first, then communes by ascending official code) make a later one add 2, 3, …: "TT", "TT2".
  Stable as long as the list is.
"""

from __future__ import annotations

import json
import re
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass

from vietnam_provinces import Province, ProvinceCode, VietNamDivisionType, Ward

from bot.domain.org import FieldOfLaw


@dataclass(frozen=True)
class Commune:
    """One commune-level unit of the official list, and what the organisation file makes of it."""

    code: str  # the official code, five digits: "26740"
    official_name: str  # the package's name, spaces collapsed: "Phường Sài Gòn"
    division_type: str  # "phường", "xã" or "đặc khu"
    prefix: str  # of its petition codes: "SG"
    unit_name: str  # the unit's name in the file: "UBND phường Sài Gòn"


class UnknownProvince(ValueError):
    """The words name no province, or several; the message lists what they matched."""


def find_province(province: int | str) -> Province:
    """A province by its official code (79, "79"), codename ("ho_chi_minh") or name, with or
    without diacritics and "Thành phố"/"Tỉnh"/"TP" ("Hồ Chí Minh", "TP HCM", "thai nguyen")."""
    if isinstance(province, int) or province.strip().isdigit():
        try:
            return Province.from_code(ProvinceCode(int(province)))
        except ValueError as error:
            raise UnknownProvince(f"no province has the code {province}") from error
    wanted = _key(province)
    matches = [
        item
        for item in Province.iter_all()
        if wanted in {_key(item.name), _key(item.codename), province_code(item).lower()}
    ]
    if len(matches) != 1:
        found = ", ".join(item.name for item in matches) or "none"
        raise UnknownProvince(f"{province!r} names no single province (found: {found})")
    return matches[0]


def province_communes(province: int | str) -> list[Commune]:
    """The province's commune-level units, in the official order, with their prefixes."""
    found = find_province(province)
    wards = list(Ward.iter_by_province(found.code))
    taken = {province_code(found)}
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


Contacts = Callable[[Commune], tuple[str, str, str]]


def no_contacts(_commune: Commune) -> tuple[str, str, str]:
    """Empty address, phone and hours: the administrator fills them in."""
    return "", "", ""


def org_skeleton(
    province: int | str, fields: tuple[FieldOfLaw, ...], contacts: Contacts = no_contacts
) -> str:
    """The start of a province's organisation file (TOML text): its units from the official
    list, each commune's reception (`contacts`: address, phone, hours; empty to be filled in)
    and `fields`, with what to add next. The same arguments give the same text."""
    found = find_province(province)
    code = province_code(found)
    seat = seat_name(found)
    communes = province_communes(found.code)
    out = [
        f"# {found.name}: {len(communes)} commune-level units, official list of 1 July 2025",
        "# (vietnam-provinces), written by `python -m bot org init`.",
        *NEXT_STEPS,
        f"name = {toml_string(province_title(found))}",
        "",
        *unit_table(code, f"UBND {seat}", "province"),
        *unit_table(f"{code}-TT", f"Thanh tra {seat}", "inspectorate", parent=code),
    ]
    for commune in communes:
        out.append(f"# {commune.official_name} ({commune.code})")
        out += unit_table(
            commune.code, commune.unit_name, "commune", parent=code, prefix=commune.prefix
        )[:-1]
        address, phone, hours = contacts(commune)
        out += [f"address = {toml_string(address)}", f"phone = {toml_string(phone)}"]
        out += [f"hours = {toml_string(hours)}", ""]
    for field in fields:
        out += ["[[fields]]", f"code = {toml_string(field.code)}"]
        out += [f"label = {toml_string(field.label)}", ""]
    return "\n".join(out)


NEXT_STEPS = (
    "#",
    "# Still to add, then run `python -m bot org check` until it says nothing is missing:",
    '# - the offices of each commune that handle petitions ([[units]] kind = "office",',
    "#   parent = the commune's code), and `sign_off` to change which answers a head signs;",
    "# - the villages and residential groups of each commune: [[areas]] code, unit, name",
    '#   (name with its type: "Thôn Đông", "Tổ dân phố 3"); optional lat, lon;',
    "# - the officers: [[officers]] handle, name, title, unit, roles (reception, handler, head,",
    "#   inspector, admin): someone who receives petitions in every commune, a head in every",
    "#   commune and in the province, an inspector at the inspectorate;",
    "# - each commune's address, phone and hours of citizen reception (shown to citizens);",
    "# - [[routing]] rules, where a kind or field of petition goes to an office.",
    "",
)


def province_code(province: Province) -> str:
    """Its code in the file: the initials of its codename, "ho_chi_minh" → "HCM"."""
    words = province.codename.split("_")
    return words[0].upper() if len(words) == 1 else "".join(w[0] for w in words).upper()


def is_city(province: Province) -> bool:
    """A centrally governed city (thành phố trực thuộc trung ương), not a tỉnh."""
    return province.division_type is VietNamDivisionType.THANH_PHO_TRUNG_UONG


def seat_name(province: Province) -> str:
    """As in "UBND …": "Thành phố Hồ Chí Minh", "tỉnh Thái Nguyên"."""
    return province.name if is_city(province) else f"tỉnh {province.name}"


def province_title(province: Province) -> str:
    """As a title begins it: "Thành phố Hồ Chí Minh", "Tỉnh Thái Nguyên"."""
    return province.name if is_city(province) else f"Tỉnh {province.name}"


def toml_string(text: str) -> str:
    """A TOML basic string (JSON's escapes are TOML's)."""
    return json.dumps(text, ensure_ascii=False)


def unit_table(
    code: str, name: str, kind: str, parent: str | None = None, prefix: str | None = None
) -> list[str]:
    """The lines of one [[units]] table."""
    lines = ["[[units]]", f"code = {toml_string(code)}", f"name = {toml_string(name)}"]
    lines.append(f"kind = {toml_string(kind)}")
    if parent:
        lines.append(f"parent = {toml_string(parent)}")
    if prefix:
        lines.append(f"prefix = {toml_string(prefix)}")
    return [*lines, ""]


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
