"""«Đối thoại & tiếp dân» for citizens: the places they follow, upcoming sessions, their seats,
questions sent ahead, and a calendar file.

Every button names a session or a place; the services check the session's state and the
citizen's seat on the server.
"""

from __future__ import annotations

import base64
from dataclasses import dataclass

from bot.conversation import Context, Router, number_in
from bot.core import Button, Reply
from bot.domain.dialogues import DialogueState, Seat, places_that_hear
from bot.flow import Flow
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
from handlers.picker import PAGE_SIZE, page_turns
from handlers.steps import write

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
    await QUESTION.start(ctx, Asking(dialogue=session.id), "d.question")


async def send_calendar(ctx: Context, citizen: CitizenView, session: DialogueView) -> None:
    """The session as a .ics file for the phone's calendar."""
    data = session_calendar(ctx.t, session, ctx.now)
    ctx.reply(
        ctx.t("dialogue.calendar.sent"),
        document_data=base64.b64encode(data).decode(),
        document_name=f"doi-thoai-{session.id}.ics",
    )


@dataclass
class Asking:
    """The session a citizen is writing a question for."""

    dialogue: int = 0


async def after_asking(ctx: Context, text: str | None) -> None:
    await show_menu(ctx, text)


QUESTION = Flow(
    router,
    "question",
    Asking,
    {"d.question": ()},
    leave=after_asking,
    cancelled=N_("dialogue.question.cancelled"),
)


ACTIONS = {
    "view": view_session,
    "reg": take_seat,
    "leave": leave_seat,
    "ask": start_question,
    "ics": send_calendar,
}


async def send_question(ctx: Context, text: str) -> None:
    """Keeps the question for the staff to moderate."""
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    if citizen is None:
        ctx.aside(ctx.t("dialogue.refused.question"))
        return
    try:
        await ask_question(
            ctx.store, ctx.env, QUESTION.draft(ctx).dialogue, citizen.id, text, ctx.now
        )
    except DialogueRefused as refused:
        if refused.reason == "dialogue.refused.question":
            ctx.aside(ctx.t(refused.reason))
        else:
            await QUESTION.end(ctx, ctx.t(refused.reason))
        return
    await QUESTION.end(ctx, ctx.t("dialogue.question.sent"))


write(
    QUESTION,
    "d.question",
    N_("dialogue.question.ask"),
    send_question,
    check=bool,  # its length is the service's to check (`dialogue.refused.question`)
    invalid=N_("dialogue.refused.question"),
)


# --- the places a citizen follows ---------------------------------------------------------------


@router.global_button("sb")
async def follow_button(ctx: Context) -> None:
    """`sb:home[.<page>]` (communes), `sb:a.<commune>[.<page>]` (its villages), `sb:t.<place>`
    (follow / stop)."""
    citizen = await citizen_here(ctx)
    if citizen is None:
        return
    kind, _, argument = (ctx.choice or "").partition(".")
    place, _, page_text = argument.partition(".")
    page = int(page_text) if page_text.isdigit() else 0
    org = ctx.env.org
    communes = {c.code for c in org.communes()}
    if kind == "t" and (argument in org.areas or argument in communes):
        followed = await ctx.store.subscribe(citizen.id, argument, ctx.now)
        if not followed:
            await ctx.store.unsubscribe(citizen.id, argument)
        name = org.areas[argument].name if argument in org.areas else org.units[argument].name
        ctx.reply(ctx.t(FOLLOW_TOLD[followed], place=name))
        commune = org.areas[argument].unit if argument in org.areas else None
        await (show_villages(ctx, citizen, commune) if commune else show_communes(ctx, citizen))
    elif kind == "a" and place in communes:
        await show_villages(ctx, citizen, place, page)
    elif kind == "home":
        await show_communes(ctx, citizen, int(place) if place.isdigit() else 0)
    else:
        ctx.reply(ctx.t("input.unknown_button"))


FOLLOW_TOLD = {True: N_("follow.on"), False: N_("follow.off")}
FOLLOW_PAGE = PAGE_SIZE // 2  # communes a page: each has two buttons


def mark(followed: bool) -> str:
    return "✅ " if followed else ""


def one_page(
    ctx: Context, count: int, per_page: int, page: int, turn: str
) -> tuple[slice, list[Button], str]:
    """Which items a page shows, its ◀ ▶ (global buttons `turn.<page>`) and «Trang 2/9»."""
    pages = max(1, -(-count // per_page))
    page = min(max(page, 0), pages - 1)
    turns = page_turns(ctx, page, pages, lambda label, n: Button(label, f"{turn}.{n}"))
    hint = ctx.t("picker.page_only", page=page + 1, pages=pages) if pages > 1 else ""
    return slice(page * per_page, (page + 1) * per_page), turns, hint


async def show_communes(ctx: Context, citizen: CitizenView, page: int = 0) -> None:
    """Each commune, followed or not, with a way down to its villages; a page at a time."""
    followed = set(await ctx.store.subscriptions(citizen.id))
    communes = ctx.env.org.communes()
    shown, turns, hint = one_page(ctx, len(communes), FOLLOW_PAGE, page, "sb:home")
    rows = []
    for commune in communes[shown]:
        label = mark(commune.code in followed) + ctx.t("follow.whole", place=commune.name)
        rows.append([Button(label, f"sb:t.{commune.code}")])
        rows.append([Button(ctx.t("follow.villages", place=commune.name), f"sb:a.{commune.code}")])
    rows += [turns] if turns else []
    rows.append([Button(ctx.t("menu.back_home"), "m:home")])
    ctx.reply("\n\n".join(filter(None, [ctx.t("follow.title"), hint])), *rows)


async def show_villages(ctx: Context, citizen: CitizenView, commune: str, page: int = 0) -> None:
    """A commune's villages, followed or not; a page at a time."""
    followed = set(await ctx.store.subscriptions(citizen.id))
    areas = ctx.env.org.areas_of(commune)
    shown, turns, hint = one_page(ctx, len(areas), PAGE_SIZE, page, f"sb:a.{commune}")
    rows = [
        [Button(mark(area.code in followed) + area.name, f"sb:t.{area.code}")]
        for area in areas[shown]
    ]
    rows += [turns] if turns else []
    rows.append([Button(ctx.t("follow.back"), "sb:home")])
    title = ctx.t("follow.villages.title", place=ctx.env.org.units[commune].name)
    ctx.reply("\n\n".join(filter(None, [title, hint])), *rows)


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
