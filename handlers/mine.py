"""Đơn của tôi: a citizen's petitions with their state and dates."""

from __future__ import annotations

from bot.conversation import Context, Router
from bot.labels import kind_label, rule_label, state_label
from handlers.common import show_menu

router = Router()

LIST_LIMIT = 10


async def show_my_petitions(ctx: Context) -> None:
    """Lists the citizen's latest petitions, newest first, each with its dates."""
    t = ctx.t
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    petitions = await ctx.store.petitions_of_citizen(citizen.id, LIST_LIMIT) if citizen else []
    if not petitions:
        await show_menu(ctx, t("mine.empty"))
        return
    blocks = [t("mine.title", count=len(petitions))]
    for petition in petitions:
        lines = [
            t(
                "mine.item",
                code=petition.code,
                kind=kind_label(t, petition.kind),
                state=state_label(t, petition.state),
                received=t.date(petition.received_at),
            )
        ]
        lines += [
            t("mine.deadline", what=rule_label(t, d.rule_id), date=t.date(d.due_date))
            for d in petition.deadlines
        ]
        blocks.append("\n".join(lines))
    await show_menu(ctx, "\n\n".join(blocks))


@router.command("mine")
async def mine_command(ctx: Context) -> None:
    """Shows the citizen's petitions."""
    await show_my_petitions(ctx)
