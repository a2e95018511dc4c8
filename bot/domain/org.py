"""The organisation: units, villages, fields, officers and routing rules, as plain data.

Parsed from the organisation file (TOML, docs/admin/organisation.md); no I/O here.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from bot.domain.petition import PetitionKind

ROLES = frozenset({"reception", "handler", "head", "inspector", "admin"})
Point = tuple[float, float]  # latitude, longitude in degrees

# The words a commune-level unit's name begins with, by its type since 1 July 2025 (Luật Tổ chức
# chính quyền địa phương 2025, Art. 2: xã, phường, đặc khu), and those of the villages and
# residential groups below it (thôn, tổ dân phố and their local names). Longest first.
COMMUNE_TYPES = ("đặc khu", "thị trấn", "phường", "xã")
VILLAGE_TYPES = ("tổ dân phố", "khu dân cư", "khu phố", "thôn", "xóm", "ấp", "bản", "buôn", "làng")
# The kinds of petition whose answer an officer only drafts, and a head signs (LEGAL §9): the
# decision on a complaint is the competent head's, at first instance the Chairman of the commune
# People's Committee (Luật Khiếu nại 2011, Art. 18), and the conclusion on a denunciation is the
# competent head's (Luật Tố cáo 2018, Art. 13, 35). A unit's `sign_off` in the organisation file
# narrows or widens this.
SIGN_OFF = frozenset({PetitionKind.COMPLAINT.value, PetitionKind.DENUNCIATION.value})
KINDS = frozenset(kind.value for kind in PetitionKind)
# What a People's Committee's name puts before its place: «UBND xã Phú Đình» governs «xã Phú Đình».
COMMITTEE_WORDS = ("ủy ban nhân dân ", "uỷ ban nhân dân ", "ubnd ")


def type_word(name: str, types: Sequence[str]) -> str | None:
    """The type a place's name begins with («Xóm Na Mao» → «xóm»), None when it names none."""
    lowered = name.casefold()
    return next((word for word in types if lowered.startswith(word + " ")), None)


@dataclass(frozen=True)
class Unit:
    """A body: province, inspectorate, commune People's Committee, office."""

    code: str
    name: str
    kind: str
    parent: str | None = None
    petition_prefix: str | None = None
    # The kinds whose answers drafted here reach the citizen only once a head approves them.
    sign_off: frozenset[str] = SIGN_OFF
    report_due_day: int | None = None  # the day of the month its periodic reports are due
    centre: Point | None = None  # where it is (latitude, longitude), to tell it from a location
    # Where and when it receives citizens (Luật Tiếp công dân 2013 has the reception place and
    # schedule made public; docs/legal.md §5), as the bot tells people how to reach it.
    address: str = ""
    phone: str = ""
    hours: str = ""

    @property
    def receives(self) -> bool:
        """Whether the file says where or when this unit receives citizens."""
        return bool(self.address or self.phone or self.hours)

    @property
    def place(self) -> str:
        """The place a commune's committee governs, as a sentence names it: «xã Phú Đình» for
        «UBND xã Phú Đình»; a name without the committee's words is kept as it is."""
        lowered = self.name.casefold()
        for words in COMMITTEE_WORDS:
            if lowered.startswith(words):
                rest = self.name[len(words) :]
                kind = type_word(rest, COMMUNE_TYPES)
                return kind + rest[len(kind) :] if kind else rest
        return self.name

    @property
    def place_type(self) -> str | None:
        """xã, phường, đặc khu (or thị trấn in an older file), from the name; None if unsaid."""
        return type_word(self.place, COMMUNE_TYPES)


@dataclass(frozen=True)
class Area:
    """A village (thôn, xóm, ấp) or residential group (tổ dân phố, khu phố) of a commune or ward."""

    code: str
    unit: str
    name: str
    centre: Point | None = None  # where it is (latitude, longitude), to tell it from a location

    @property
    def place_type(self) -> str | None:
        """thôn, xóm, tổ dân phố, khu phố, ấp…, from the name; None if it names none."""
        return type_word(self.name, VILLAGE_TYPES)


@dataclass(frozen=True)
class FieldOfLaw:
    """Lĩnh vực: what a petition is about; its label is a message id."""

    code: str
    label: str


@dataclass(frozen=True)
class OfficerRecord:
    """An official as configured: a stable handle, a unit and roles."""

    handle: str
    name: str
    unit: str
    roles: frozenset[str]
    title: str = ""
    on_duty: bool = True
    # Whether the law's personal reception-day duty is theirs (the chairman's, LTCD Art. 15);
    # None: decided from the title, see `bot.domain.reception_days.carries_duty`.
    reception_duty: bool | None = None


@dataclass(frozen=True)
class RoutingRule:
    """Which unit handles petitions of some kinds and fields from some commune.

    Empty tuples match anything; the first matching rule wins, so specific rules come first.
    """

    unit: str
    commune: str | None = None
    kinds: tuple[str, ...] = ()
    fields: tuple[str, ...] = ()

    def matches(self, commune: str, kind: str, field_code: str) -> bool:
        """Whether a petition with these properties falls under this rule."""
        return (
            (self.commune is None or self.commune == commune)
            and (not self.kinds or kind in self.kinds)
            and (not self.fields or field_code in self.fields)
        )


@dataclass(frozen=True)
class Organisation:
    """Everything the bot knows about the bodies it serves."""

    name: str
    units: Mapping[str, Unit]
    areas: Mapping[str, Area]
    fields: tuple[FieldOfLaw, ...]
    officers: tuple[OfficerRecord, ...]
    routing: tuple[RoutingRule, ...] = field(default=())

    def communes(self) -> list[Unit]:
        """Units a citizen can file to, in file order."""
        return [unit for unit in self.units.values() if unit.kind == "commune"]

    def areas_of(self, commune: str) -> list[Area]:
        """The villages of a commune, in file order."""
        return [area for area in self.areas.values() if area.unit == commune]

    def field(self, code: str) -> FieldOfLaw | None:
        """A field by its code."""
        return next((item for item in self.fields if item.code == code), None)

    def lineage(self, unit_code: str) -> list[str]:
        """A unit and every unit above it, nearest first."""
        chain = []
        unit = self.units.get(unit_code)
        while unit is not None:
            chain.append(unit.code)
            unit = self.units.get(unit.parent) if unit.parent else None
        return chain

    def commune_of(self, unit_code: str) -> Unit | None:
        """The commune a unit belongs to (itself, or its nearest commune ancestor)."""
        unit = self.units.get(unit_code)
        while unit is not None and unit.kind != "commune":
            unit = self.units.get(unit.parent) if unit.parent else None
        return unit

    def reception_of(self, unit_code: str) -> Unit | None:
        """Where a person reaches a unit: the unit itself when the file says where or when it
        receives citizens, else the nearest unit above it that does (an office's commune)."""
        for code in self.lineage(unit_code):
            if self.units[code].receives:
                return self.units[code]
        return None

    def prefix_of(self, unit_code: str) -> str:
        """The letters that open a petition code: the commune's prefix, else the unit code."""
        commune = self.commune_of(unit_code)
        owner = commune or self.units[unit_code]
        return owner.petition_prefix or owner.code


class OrganisationError(ValueError):
    """The organisation file is inconsistent; the message says where."""


def parse_organisation(data: Mapping[str, Any]) -> Organisation:
    """Build and check an organisation from the parsed TOML document."""
    units = {item["code"]: _unit(item) for item in _list(data, "units")}
    areas = {
        item["code"]: Area(item["code"], item["unit"], item["name"], _centre(item))
        for item in _list(data, "areas")
    }
    fields = tuple(FieldOfLaw(item["code"], item["label"]) for item in _list(data, "fields"))
    officers = tuple(_officer(item) for item in _list(data, "officers"))
    routing = tuple(_routing_rule(item) for item in _list(data, "routing"))
    org = Organisation(str(data.get("name", "")), units, areas, fields, officers, routing)
    _check(org)
    return org


def _list(data: Mapping[str, Any], key: str) -> Sequence[Mapping[str, Any]]:
    value = data.get(key, [])
    if not isinstance(value, list):
        raise OrganisationError(f"`{key}` must be a list of tables ([[{key}]])")
    return value


def _unit(item: Mapping[str, Any]) -> Unit:
    return Unit(
        item["code"],
        item["name"],
        item["kind"],
        item.get("parent"),
        item.get("prefix"),
        _sign_off(item),
        item.get("report_due_day"),
        _centre(item),
        str(item.get("address", "")),
        str(item.get("phone", "")),
        str(item.get("hours", "")),
    )


def _sign_off(item: Mapping[str, Any]) -> frozenset[str]:
    """`sign_off`: the kinds a head approves (`[]` for none); by default the law's. The older
    `answer_approval = true` meant every kind; `false` was only the absence of the option."""
    code = item.get("code")
    if "sign_off" in item and "answer_approval" in item:
        raise OrganisationError(f"{code}: give sign_off, not answer_approval as well")
    if "answer_approval" in item:
        if not isinstance(item["answer_approval"], bool):
            raise OrganisationError(f"{code}: answer_approval must be true or false")
        return KINDS if item["answer_approval"] else SIGN_OFF
    kinds = item.get("sign_off", SIGN_OFF)
    if not isinstance(kinds, list | frozenset) or not all(isinstance(k, str) for k in kinds):
        raise OrganisationError(f"{code}: sign_off must be a list of kinds of petition")
    if unknown := set(kinds) - KINDS:
        raise OrganisationError(
            f"{code}: sign_off has unknown kinds {sorted(unknown)} "
            f"(known: {', '.join(sorted(KINDS))})"
        )
    return frozenset(kinds)


def _centre(item: Mapping[str, Any]) -> Point | None:
    """`lat` and `lon` of a unit or village, when the file gives both."""
    latitude, longitude = item.get("lat"), item.get("lon")
    if latitude is None and longitude is None:
        return None
    if (
        isinstance(latitude, int | float)
        and isinstance(longitude, int | float)
        and -90 <= latitude <= 90
        and -180 <= longitude <= 180
    ):
        return float(latitude), float(longitude)
    raise OrganisationError(f"{item.get('code')}: lat and lon must be degrees, both given")


def _officer(item: Mapping[str, Any]) -> OfficerRecord:
    return OfficerRecord(
        handle=item["handle"],
        name=item["name"],
        unit=item["unit"],
        roles=frozenset(item.get("roles", [])),
        title=item.get("title", ""),
        on_duty=bool(item.get("on_duty", True)),
        reception_duty=item.get("reception_duty"),
    )


def _routing_rule(item: Mapping[str, Any]) -> RoutingRule:
    return RoutingRule(
        unit=item["unit"],
        commune=item.get("commune"),
        kinds=tuple(item.get("kinds", ())),
        fields=tuple(item.get("fields", ())),
    )


def _check(org: Organisation) -> None:
    """Every reference points at something that exists; every commune can receive petitions."""
    problems: list[str] = []
    for unit in org.units.values():
        if unit.parent and unit.parent not in org.units:
            problems.append(f"unit {unit.code}: unknown parent {unit.parent}")
    for area in org.areas.values():
        if org.units.get(area.unit) is None or org.units[area.unit].kind != "commune":
            problems.append(f"area {area.code}: {area.unit} is not a commune")
    handles = [officer.handle for officer in org.officers]
    for handle in {h for h in handles if handles.count(h) > 1}:
        problems.append(f"officer handle {handle} is used twice")
    for officer in org.officers:
        if officer.unit not in org.units:
            problems.append(f"officer {officer.handle}: unknown unit {officer.unit}")
        if unknown := officer.roles - ROLES:
            problems.append(f"officer {officer.handle}: unknown roles {sorted(unknown)}")
    field_codes = {item.code for item in org.fields}
    for rule in org.routing:
        if rule.unit not in org.units:
            problems.append(f"routing rule: unknown unit {rule.unit}")
        if unknown_fields := set(rule.fields) - field_codes:
            problems.append(
                f"routing rule for {rule.unit}: unknown fields {sorted(unknown_fields)}"
            )
    if problems:
        raise OrganisationError("; ".join(problems))


RECEIVING_ROLES = frozenset({"reception", "handler"})
HEAD = frozenset({"head"})


def gaps(org: Organisation) -> list[str]:
    """What an organisation still lacks before its people can use it, one line each: a file
    may parse and still leave a commune with no villages to choose from, nobody to receive its
    petitions, or no head to take denunciations and sign decisions (`python -m bot org check`)."""
    missing: list[str] = []
    communes = org.communes()
    if not communes:
        missing.append("no commune: citizens have nowhere to file")
    for commune in communes:
        missing += _commune_gaps(org, commune)
    for unit in org.units.values():
        if unit.kind == "province" and not _officers_with(org, unit.code, HEAD, below=False):
            missing.append(f"{unit.code} {unit.name}: no head (role head) to take denunciations")
    if not any("inspector" in officer.roles for officer in org.officers):
        missing.append("no inspector (role inspector) to receive the periodic reports")
    return missing


def _commune_gaps(org: Organisation, commune: Unit) -> list[str]:
    where = f"{commune.code} {commune.name}"
    missing = []
    if not org.areas_of(commune.code):
        missing.append(f"{where}: no villages or residential groups ([[areas]])")
    if not _officers_with(org, commune.code, RECEIVING_ROLES, below=True):
        missing.append(f"{where}: nobody receives its petitions (role reception or handler)")
    if not _officers_with(org, commune.code, HEAD, below=False):
        missing.append(f"{where}: no head (role head) to take denunciations and sign decisions")
    if not commune.receives:
        missing.append(f"{where}: no address, phone or hours where citizens are received")
    return missing


def _officers_with(
    org: Organisation, unit: str, roles: frozenset[str], *, below: bool
) -> list[OfficerRecord]:
    """Officers of `unit` (and, `below`, of the units under it) holding one of `roles`."""
    return [
        officer
        for officer in org.officers
        if officer.roles & roles
        and (officer.unit == unit or (below and unit in org.lineage(officer.unit)))
    ]
