"""Routing (DESIGN §2 step 3): which unit, then which officer, gets a new petition."""

from __future__ import annotations

from collections.abc import Mapping

from bot.domain.org import OfficerRecord, Organisation
from bot.domain.petition import PetitionKind

ACCUSED_LEVELS = ("staff", "leader", "other")


def route_unit(
    org: Organisation, commune: str, kind: str, field_code: str, accused: str | None = None
) -> str:
    """The unit responsible: the first routing rule that matches, else the commune itself.

    A denunciation of the commune's own leaders goes to the level above (LTC Art. 13: the head
    of the body that manages the person denounced resolves it), never to the people denounced.
    """
    if kind == PetitionKind.DENUNCIATION and accused == "leader":
        parent = org.units[commune].parent
        return parent or commune
    for rule in org.routing:
        if rule.matches(commune, kind, field_code):
            return rule.unit
    return commune


def pick_officer(
    org: Organisation, unit: str, kind: str, open_load: Mapping[str, int]
) -> OfficerRecord | None:
    """The officer to assign: on duty, with the right role, fewest open petitions.

    A denunciation goes to the head of the unit, who decides who verifies it, so that it never
    lands with a clerk who might be the person denounced. Ties go to the handle that sorts first,
    so the choice is repeatable.
    """
    role = "head" if kind == PetitionKind.DENUNCIATION else "reception"
    staff = [officer for officer in org.officers if officer.unit == unit and role in officer.roles]
    on_duty = [officer for officer in staff if officer.on_duty] or staff
    if not on_duty:
        heads = [o for o in org.officers if o.unit == unit and "head" in o.roles]
        on_duty = heads
    if not on_duty:
        return None
    return min(on_duty, key=lambda officer: (open_load.get(officer.handle, 0), officer.handle))
