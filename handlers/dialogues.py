"""«Đối thoại & tiếp dân» for citizens: the places they follow, upcoming sessions, their seats,
questions sent ahead, and a calendar file.

Every button names a session or a place; the services check the session's state and the
citizen's seat on the server.
"""

from __future__ import annotations

import base64

from bot.conversation import Context, Router, ask, number_in
from bot.core import Button, Kind, Reply
from bot.domain.dialogues import DialogueState, Seat, places_that_hear
from bot.i18n import N_
from bot.ports import CitizenView, DialogueView
from bot.services.dialogues import (
    DialogueRefused,
    ask_question,
    cancel_seat,
    may_ask,
    register,
    session_calendar,
    session_details,
)
from handlers.common import require_consent, show_menu

router = Router()

LIST_LIMIT = 10
SEAT_LABELS = {
    Seat.REGISTERED: N_("dialogue.seat.registered"),
    Seat.WAITLISTED: N_("dialogue.seat.waitlisted"),
}


async def citizen_here(ctx: Context) -> CitizenView | None:
    """The citizen of this chat, created on first use, once they accepted the notice."""
    if not await require_consent(ctx):
        return None
    return await ctx.store.ensure_citizen(
        ctx.incoming.channel, ctx.incoming.chat_id, ctx.incoming.user_id, ctx.now
    )


@router.global_button("dg")
async def dialogue_button(ctx: Context) -> None:
    """`dg:home`, `dg:list`, `dg:mine`, or `dg:<session>.<view|reg|leave|ask|ics>`."""
    citizen = await citizen_here(ctx)
    if citizen is None:
        return
    choice = ctx.choice or ""
    if choice in PAGES:
        await PAGES[choice](ctx, citizen)
        return
    session_id, _, action = choice.partition(".")
    dialogue_id = number_in(session_id)
    session = await ctx.store.dialogue(dialogue_id) if dialogue_id is not None else None
    if session is None or action not in ACTIONS:
        ctx.reply(ctx.t("input.unknown_button"))
        return
    try:
        await ACTIONS[action](ctx, citizen, session)
    except DialogueRefused as refused:
        ctx.reply(ctx.t(refused.reason))


async def show_home(ctx: Context, citizen: CitizenView) -> None:
    """The submenu: sessions, my seats, the places I follow, reception days."""
    t = ctx.t
    ctx.reply(
        t("dialogue.home"),
        [Button(t("dialogue.home.upcoming"), "dg:list")],
        [Button(t("dialogue.home.mine"), "dg:mine")],
        [Button(t("dialogue.home.follow"), "sb:home")],
        [Button(t("dialogue.home.reception_days"), "rd:list")],
        [Button(t("menu.back_home"), "m:home")],
    )


async def show_upcoming(ctx: Context, citizen: CitizenView) -> None:
    """Sessions still ahead, those about the places the citizen follows first."""
    followed = set(await ctx.store.subscriptions(citizen.id))
    sessions = await ctx.store.upcoming_dialogues(ctx.now, None, LIST_LIMIT * 3)
    org = ctx.env.org
    sessions.sort(key=lambda s: (not followed & places_that_hear(org, s.audience), s.starts_at))
    if not sessions:
        ctx.reply(ctx.t("dialogue.none"), [Button(ctx.t("dialogue.home.follow"), "sb:home")])
        return
    rows = [
        [Button(f"{ctx.t.datetime(s.starts_at)} · {s.topic[:40]}", f"dg:{s.id}.view")]
        for s in sessions[:LIST_LIMIT]
    ]
    ctx.reply(ctx.t("dialogue.upcoming"), *rows)


async def show_my_seats(ctx: Context, citizen: CitizenView) -> None:
    """The sessions the citizen registered for, or waits for a seat at."""
    seats = await ctx.store.seats_of_citizen(citizen.id, ctx.now)
    if not seats:
        ctx.reply(ctx.t("dialogue.mine.none"), [Button(ctx.t("dialogue.home.upcoming"), "dg:list")])
        return
    rows = [
        [Button(f"{ctx.t(SEAT_LABELS[Seat(seat)])} · {s.topic[:40]}", f"dg:{s.id}.view")]
        for s, seat in seats
    ]
    ctx.reply(ctx.t("dialogue.mine"), *rows)


PAGES = {"home": show_home, "list": show_upcoming, "mine": show_my_seats}


async def view_session(ctx: Context, citizen: CitizenView, session: DialogueView) -> None:
    """The session in full, with what this citizen can do now."""
    t = ctx.t
    leader = await ctx.store.officer_by_id(session.leader_id)
    lines = [session_details(t, ctx.env.org, session, leader)]
    seat = await ctx.store.seat_of(session.id, citizen.id)
    if seat in SEAT_LABELS:
        lines.append(t(SEAT_LABELS[Seat(seat)]))
    if session.state != DialogueState.ANNOUNCED:
        lines.append(t("dialogue.refused.closed"))
        ctx.reply("\n".join(lines))
        return
    rows = []
    if seat in SEAT_LABELS:
        rows.append([Button(t("dialogue.leave"), f"dg:{session.id}.leave")])
    elif ctx.now < session.registration_closes_at:
        rows.append([Button(t("dialogue.register"), f"dg:{session.id}.reg")])
    if await may_ask(ctx.store, ctx.env, session, citizen.id):
        rows.append([Button(t("dialogue.ask"), f"dg:{session.id}.ask")])
    rows.append([Button(t("dialogue.calendar"), f"dg:{session.id}.ics")])
    ctx.reply("\n".join(lines), *rows)


async def take_seat(ctx: Context, citizen: CitizenView, session: DialogueView) -> None:
    """Register: a seat, or the waitlist with one's place in line."""
    seat = await register(ctx.store, session.id, citizen.id, ctx.now)
    rows = [
        [Button(ctx.t("dialogue.ask"), f"dg:{session.id}.ask")],
        [Button(ctx.t("dialogue.calendar"), f"dg:{session.id}.ics")],
    ]
    if seat == Seat.REGISTERED:
        ctx.reply(ctx.t("dialogue.registered", time=ctx.t.datetime(session.starts_at)), *rows)
        return
    line = await ctx.store.seat_holders(session.id, {Seat.WAITLISTED})
    position = line.index(citizen.id) + 1 if citizen.id in line else len(line)
    ctx.reply(ctx.t("dialogue.waitlisted", position=position), *rows)


async def leave_seat(ctx: Context, citizen: CitizenView, session: DialogueView) -> None:
    """Give the seat up; whoever waited longest gets it and is told."""
    promoted = await cancel_seat(ctx.store, session.id, citizen.id, ctx.now)
    await show_menu(ctx, ctx.t("dialogue.left", topic=session.topic))
    chat = await ctx.store.citizen_chat(promoted) if promoted is not None else None
    if chat is not None:
        await ctx.notify(
            chat,
            lambda t: Reply(
                t("dialogue.promoted", topic=session.topic, time=t.datetime(session.starts_at)),
                ((Button(t("dialogue.calendar"), f"dg:{session.id}.ics"),),),
            ),
        )


async def start_question(ctx: Context, citizen: CitizenView, session: DialogueView) -> None:
    """Ask for the question, if this citizen may send one."""
    if not await may_ask(ctx.store, ctx.env, session, citizen.id):
        raise DialogueRefused(N_("dialogue.refused.not_registered"))
    ctx.conv.data["question"] = {"dialogue": session.id}
    await ask(router, ctx, "d.question")


async def send_calendar(ctx: Context, citizen: CitizenView, session: DialogueView) -> None:
    """The session as a .ics file for the phone's calendar."""
    data = session_calendar(ctx.t, session, ctx.now)
    ctx.reply(
        ctx.t("dialogue.calendar.sent"),
        document_data=base64.b64encode(data).decode(),
        document_name=f"doi-thoai-{session.id}.ics",
    )


ACTIONS = {
    "view": view_session,
    "reg": take_seat,
    "leave": leave_seat,
    "ask": start_question,
    "ics": send_calendar,
}


async def prompt_question(ctx: Context) -> None:
    ctx.reply(ctx.t("dialogue.question.ask"), [ctx.button(ctx.t("nav.cancel"), "cancel")])


@router.state("d.question", prompt_question)
async def take_question(ctx: Context) -> None:
    """Keeps the question for the staff to moderate."""
    if ctx.choice == "cancel":
        ctx.conv.data.pop("question", None)
        await show_menu(ctx, ctx.t("dialogue.question.cancelled"))
        return
    text = " ".join((ctx.incoming.text or "").split())
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    if ctx.incoming.kind is not Kind.TEXT or citizen is None:
        ctx.reply(ctx.t("dialogue.refused.question"))
        return
    session_id = int(ctx.conv.data.get("question", {}).get("dialogue", 0))
    try:
        await ask_question(ctx.store, ctx.env, session_id, citizen.id, text, ctx.now)
    except DialogueRefused as refused:
        if refused.reason == "dialogue.refused.question":
            ctx.reply(ctx.t(refused.reason))
            return
        ctx.conv.data.pop("question", None)
        await show_menu(ctx, ctx.t(refused.reason))
        return
    ctx.conv.data.pop("question", None)
    await show_menu(ctx, ctx.t("dialogue.question.sent"))


# --- the places a citizen follows ---------------------------------------------------------------


@router.global_button("sb")
async def follow_button(ctx: Context) -> None:
    """`sb:home` (communes), `sb:a.<commune>` (its villages), `sb:t.<place>` (follow / stop)."""
    citizen = await citizen_here(ctx)
    if citizen is None:
        return
    kind, _, place = (ctx.choice or "").partition(".")
    org = ctx.env.org
    if kind == "t" and (place in org.areas or place in {c.code for c in org.communes()}):
        followed = await ctx.store.subscribe(citizen.id, place, ctx.now)
        if not followed:
            await ctx.store.unsubscribe(citizen.id, place)
        name = org.areas[place].name if place in org.areas else org.units[place].name
        ctx.reply(ctx.t(FOLLOW_TOLD[followed], place=name))
        commune = org.areas[place].unit if place in org.areas else None
        await (show_villages(ctx, citizen, commune) if commune else show_communes(ctx, citizen))
    elif kind == "a" and place in {c.code for c in org.communes()}:
        await show_villages(ctx, citizen, place)
    elif kind == "home":
        await show_communes(ctx, citizen)
    else:
        ctx.reply(ctx.t("input.unknown_button"))


FOLLOW_TOLD = {True: N_("follow.on"), False: N_("follow.off")}


def mark(followed: bool) -> str:
    return "✅ " if followed else ""


async def show_communes(ctx: Context, citizen: CitizenView) -> None:
    """Each commune, followed or not, with a way down to its villages."""
    followed = set(await ctx.store.subscriptions(citizen.id))
    rows = []
    for commune in ctx.env.org.communes():
        label = mark(commune.code in followed) + ctx.t("follow.whole", place=commune.name)
        rows.append([Button(label, f"sb:t.{commune.code}")])
        rows.append([Button(ctx.t("follow.villages", place=commune.name), f"sb:a.{commune.code}")])
    rows.append([Button(ctx.t("menu.back_home"), "m:home")])
    ctx.reply(ctx.t("follow.title"), *rows)


async def show_villages(ctx: Context, citizen: CitizenView, commune: str) -> None:
    """A commune's villages, followed or not."""
    followed = set(await ctx.store.subscriptions(citizen.id))
    rows = [
        [Button(mark(area.code in followed) + area.name, f"sb:t.{area.code}")]
        for area in ctx.env.org.areas_of(commune)
    ]
    rows.append([Button(ctx.t("follow.back"), "sb:home")])
    ctx.reply(ctx.t("follow.villages.title", place=ctx.env.org.units[commune].name), *rows)


async def follow_offer(ctx: Context, commune: str) -> tuple[str, list[list[Button]]]:
    """Once, after a first petition: news of the dialogues of that commune? (text, buttons)."""
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    if citizen is None or ctx.conv.data.get("follow_offered") or commune not in ctx.env.org.units:
        return "", []
    ctx.conv.data["follow_offered"] = True
    if await ctx.store.subscriptions(citizen.id):
        return "", []
    text = ctx.t("follow.offer", place=ctx.env.org.units[commune].name)
    return text, [[Button(ctx.t("follow.offer.yes"), f"sb:t.{commune}")]]
