"""A notice the filer of a petition could not be sent: the officers working it are told.

The law wants the filer told of acceptance, refusal, the answer and more. When a messenger
refuses such a notice for good (the citizen blocked the bot, left Zalo, or went quiet past the
Zalo OA's 48-hour window), the outbox records it and asks for this job (storage.queues.give_up):
the petition's officer, or with nobody assigned its unit's heads, hears of it with the petition
one tap away, so that they reach the filer another way (phone, post). No identity is in the
message: the petition card shows the officer what they may see.
"""

from __future__ import annotations

from bot.buttons import OpenPetition
from bot.core import Button, Outgoing, Reply
from bot.environment import Environment
from bot.ports import Store
from bot.reporting.exports import CHANNEL_LABELS


async def undelivered_notice_job(
    store: Store, env: Environment, payload: dict[str, str], petition_id: int | None
) -> list[Outgoing]:
    """The officers of the petition, told that its filer did not receive a notice."""
    petition = await store.petition(petition_id) if petition_id else None
    if petition is None:
        return []
    assignee = await store.officer_by_id(petition.assignee_id) if petition.assignee_id else None
    officers = [assignee] if assignee is not None else await store.heads_of(petition.unit)
    channel = payload.get("channel", "")
    outgoing = []
    for officer in officers:
        for chat in await store.officer_chats(officer.id):
            t = env.catalogues.get(await store.locale_of(chat))
            text = t(
                "officer.notice_undelivered",
                code=petition.summary.code,
                channel=t(CHANNEL_LABELS[channel]) if channel in CHANNEL_LABELS else channel,
                reason=payload.get("reason", ""),
            )
            open_it = Button(t("officer.open"), OpenPetition(petition.summary.id).pack())
            outgoing.append(Outgoing(chat, Reply(text, ((open_it,),))))
    return outgoing
