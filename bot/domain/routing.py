"""Routing (DESIGN §2 step 3): which unit, then which officer, gets a new petition."""

from __future__ import annotations

from collections.abc import Mapping, Set

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
    org: Organisation,
    unit: str,
    kind: str,
    open_load: Mapping[str, int],
    reachable: Set[str] = frozenset(),
) -> OfficerRecord | None:
    """The officer to assign: reachable in chat, on duty, with the right role, least loaded.

    A denunciation goes to the head of the unit, who decides who verifies it, so that it never
    lands with a clerk who might be the person denounced. An officer nobody can reach (no chat
    bound yet) is chosen only when no one in the unit can be reached, so that a petition does not
    sit unseen while its deadline runs. Ties go to the handle that sorts first.
    """
    role = "head" if kind == PetitionKind.DENUNCIATION else "reception"
    in_unit = [officer for officer in org.officers if officer.unit == unit]
    with_role = [officer for officer in in_unit if role in officer.roles]
    heads = [officer for officer in in_unit if "head" in officer.roles]
    preferences = (
        [o for o in with_role if o.on_duty and o.handle in reachable],
        [o for o in with_role if o.handle in reachable],
        [o for o in heads if o.handle in reachable],
        [o for o in with_role if o.on_duty],
        with_role,
        heads,
    )
    candidates = next((group for group in preferences if group), [])
    if not candidates:
        return None
    return min(candidates, key=lambda officer: (open_load.get(officer.handle, 0), officer.handle))
