"""Who may have the inspectorate's figures and lists, and of which units: heads and inspectors,
for their People's Committee and their own unit, each with everything under it.

Kept apart from the reports and exports themselves, which draw charts and write workbooks: the
command line and the chat check the same rule without loading either.
"""

from __future__ import annotations

from bot.core import Recipient
from bot.domain.org import Organisation
from bot.environment import Environment
from bot.ports import OfficerView, Store
from bot.services.reception import peoples_committee

REPORT_ROLES = frozenset({"head", "inspector"})


def report_scopes(org: Organisation, roles: frozenset[str], unit: str) -> list[str]:
    """The scopes an officer may report on: their People's Committee (the inspectorate: its
    province) and their own unit, each with everything under it."""
    if not roles & REPORT_ROLES:
        return []
    committee = peoples_committee(org, unit)
    return list(dict.fromkeys(code for code in (committee, unit) if code))


async def officer_reporting_on(
    store: Store, env: Environment, chat: Recipient, unit: str
) -> OfficerView | None:
    """The officer of this chat, if they may still report on the unit (checked again at the
    job: roles and bindings can change after the press)."""
    officer = await store.officer_by_chat(chat.channel, chat.chat_id)
    if officer is None or unit not in report_scopes(env.org, officer.roles, officer.unit):
        return None
    return officer
