"""Who may see and act on a petition: checked on the server for every action (issue 3 §3)."""

from __future__ import annotations

from bot.domain.org import Organisation
from bot.domain.petition import IDENTITY_NEEDS, PetitionKind
from bot.ports import OfficerView, PetitionDetail


def unit_chain(org: Organisation, unit_code: str) -> list[str]:
    """A unit and every unit above it."""
    return org.lineage(unit_code)


def units_under(org: Organisation, unit_code: str) -> list[str]:
    """A unit and every unit below it: what its head oversees."""
    return [code for code in org.units if unit_code in unit_chain(org, code)]


def may_see(org: Organisation, officer: OfficerView, petition: PetitionDetail) -> bool:
    """The assignee, a head of the petition's unit or above, or someone a head brought in."""
    return may_act(org, officer, petition) or officer.id in petition.identity_viewers


def may_act(org: Organisation, officer: OfficerView, petition: PetitionDetail) -> bool:
    """The assignee, or a head of the petition's unit or of a unit above it."""
    if petition.assignee_id == officer.id:
        return True
    return "head" in officer.roles and officer.unit in unit_chain(org, petition.unit)


def may_see_identity(officer: OfficerView, petition: PetitionDetail) -> bool:
    """A denouncer is known only to the resolver and those a head designates (LEGAL §4)."""
    if not IDENTITY_NEEDS[PetitionKind(petition.summary.kind)].secret:
        return True
    return petition.assignee_id == officer.id or officer.id in petition.identity_viewers
