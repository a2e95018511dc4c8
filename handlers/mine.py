"""Đơn của tôi: a citizen's petitions with their state and dates."""

from __future__ import annotations

from bot.buttons import Menu, MyPetition
from bot.conversation import Context, Router
from bot.core import Button
from bot.labels import event_label, kind_label, rule_label, state_label
from handlers.callbacks import on
from handlers.common import show_menu
from handlers.offers import offers_on

router = Router()

LIST_LIMIT = 10

# The office's own working steps: the citizen is told their outcome, not the steps.
INTERNAL_EVENTS = frozenset(
    {"note", "answer_proposed", "answer_returned", "answer_approved", "classify", "reassign"}
)
# Events whose words were written for the citizen.
TOLD_TO_CITIZEN = frozenset(
    {"refuse", "forward", "guide", "ask_citizen", "answer", "dialogue_minutes"}
)


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
            if d.status == "open"
        ]
        blocks.append("\n".join(lines))
    # One message: on Zalo a typed number answers the last message, so the timelines and the
    # menu must be choices of the same one.
    timelines = [
        [Button(t("mine.timeline", code=p.code), MyPetition(p.id).pack())] for p in petitions
    ]
    await show_menu(ctx, "\n\n".join(blocks), timelines)


@on(router, MyPetition)
async def show_timeline(ctx: Context, data: MyPetition) -> None:
    """What happened to one of the citizen's own petitions, step by step."""
    t = ctx.t
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    petition = await ctx.store.petition(data.petition)
    if petition is None or citizen is None or petition.citizen_id != citizen.id:
        ctx.reply(t("mine.not_yours"))
        return
    lines = [t("mine.timeline.title", code=petition.summary.code)]
    for event in await ctx.store.petition_events(petition.summary.id):
        if event.action in INTERNAL_EVENTS:
            continue
        line = f"• {t.datetime(event.at)}: {event_label(t, event.action)}"
        if event.action in TOLD_TO_CITIZEN and event.reason:
            line += f" — {event.reason}"
        lines.append(line)
    lines += [
        t("mine.deadline", what=rule_label(t, d.rule_id), date=t.date(d.due_date))
        for d in petition.summary.deadlines
        if d.status == "open"
    ]
    # What its notices offered and is still open: answer, rate, a second complaint, reopen.
    offers = await offers_on(ctx, petition)
    back = [
        Button(t("menu.mine"), Menu("mine").pack()),
        Button(t("menu.back_home"), Menu("home").pack()),
    ]
    ctx.reply("\n".join(lines), *offers.rows(t), back)


@router.command("mine")
async def mine_command(ctx: Context) -> None:
    """Shows the citizen's petitions."""
    await show_my_petitions(ctx)
