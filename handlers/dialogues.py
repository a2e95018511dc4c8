"""«Đối thoại & tiếp dân» for citizens: the places they follow, upcoming sessions, their seats,
questions sent ahead, and a calendar file.

Every button names a session or a place; the services check the session's state and the
citizen's seat on the server.
"""

from __future__ import annotations

import base64
from collections.abc import Callable
from dataclasses import dataclass

from bot.buttons import (
    Follow,
    FollowCommunes,
    FollowVillages,
    Meet,
    Menu,
    ReceptionDays,
    SessionAction,
)
from bot.conversation import Context, Router
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
from handlers.callbacks import on
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


@on(router, Meet)
async def meet_button(ctx: Context, data: Meet) -> None:
    """«Đối thoại & tiếp dân», the sessions ahead, my seats."""
    citizen = await citizen_here(ctx)
    if citizen is not None:
        await PAGES[data.screen](ctx, citizen)


@on(router, SessionAction)
async def session_button(ctx: Context, data: SessionAction) -> None:
    """A session's details, register, leave, ask ahead, its calendar file: the services check
    the session's state and this citizen's seat."""
    citizen = await citizen_here(ctx)
    if citizen is None:
        return
    session = await ctx.store.dialogue(data.dialogue)
    if session is None:
        ctx.reply(ctx.t("input.unknown_button"))
        return
    try:
        await ACTIONS[data.action](ctx, citizen, session)
    except DialogueRefused as refused:
        ctx.reply(ctx.t(refused.reason))


async def show_home(ctx: Context, citizen: CitizenView) -> None:
    """The submenu: sessions, my seats, the places I follow, reception days."""
    t = ctx.t
    ctx.reply(
        t("dialogue.home"),
        [Button(t("dialogue.home.upcoming"), Meet("list").pack())],
        [Button(t("dialogue.home.mine"), Meet("mine").pack())],
        [Button(t("dialogue.home.follow"), FollowCommunes().pack())],
        [Button(t("dialogue.home.reception_days"), ReceptionDays("list").pack())],
        [Button(t("menu.back_home"), Menu("home").pack())],
    )


async def show_upcoming(ctx: Context, citizen: CitizenView) -> None:
    """Sessions still ahead, those about the places the citizen follows first."""
    followed = set(await ctx.store.subscriptions(citizen.id))
    sessions = await ctx.store.upcoming_dialogues(ctx.now, None, LIST_LIMIT * 3)
    org = ctx.env.org
    sessions.sort(key=lambda s: (not followed & places_that_hear(org, s.audience), s.starts_at))
    if not sessions:
        follow = [Button(ctx.t("dialogue.home.follow"), FollowCommunes().pack())]
        ctx.reply(ctx.t("dialogue.none"), follow, *ways_back(ctx))
        return
    rows = [
        [Button(session_label(ctx, s), SessionAction(s.id, "view").pack())]
        for s in sessions[:LIST_LIMIT]
    ]
    ctx.reply(ctx.t("dialogue.upcoming"), *rows, *ways_back(ctx))


def ways_back(ctx: Context) -> list[list[Button]]:
    """Under every list of this part: back to «Đối thoại & tiếp dân», and to the menu."""
    return [
        [Button(ctx.t("menu.meet"), Meet("home").pack())],
        [Button(ctx.t("menu.back_home"), Menu("home").pack())],
    ]


async def show_my_seats(ctx: Context, citizen: CitizenView) -> None:
    """The sessions the citizen registered for, or waits for a seat at."""
    seats = await ctx.store.seats_of_citizen(citizen.id, ctx.now)
    if not seats:
        upcoming = [Button(ctx.t("dialogue.home.upcoming"), Meet("list").pack())]
        ctx.reply(ctx.t("dialogue.mine.none"), upcoming, *ways_back(ctx))
        return
    rows = [
        [
            Button(
                f"{ctx.t(SEAT_LABELS[Seat(seat)])} · {s.topic[:40]}",
                SessionAction(s.id, "view").pack(),
            )
        ]
        for s, seat in seats
    ]
    ctx.reply(ctx.t("dialogue.mine"), *rows, *ways_back(ctx))


def session_label(ctx: Context, session: DialogueView) -> str:
    """A session on one button: when, and its topic."""
    return f"{ctx.t.datetime(session.starts_at)} · {session.topic[:40]}"


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
        ctx.reply("\n".join(lines), *ways_back(ctx))
        return
    rows = []
    if seat in SEAT_LABELS:
        rows.append([Button(t("dialogue.leave"), SessionAction(session.id, "leave").pack())])
    elif ctx.now < session.registration_closes_at:
        rows.append([Button(t("dialogue.register"), SessionAction(session.id, "reg").pack())])
    if await may_ask(ctx.store, ctx.env, session, citizen.id):
        rows.append([Button(t("dialogue.ask"), SessionAction(session.id, "ask").pack())])
    rows.append([Button(t("dialogue.calendar"), SessionAction(session.id, "ics").pack())])
    ctx.reply("\n".join(lines), *rows, *ways_back(ctx))


async def take_seat(ctx: Context, citizen: CitizenView, session: DialogueView) -> None:
    """Register: a seat, or the waitlist with one's place in line."""
    seat = await register(ctx.store, session.id, citizen.id, ctx.now)
    rows = [
        [Button(ctx.t("dialogue.ask"), SessionAction(session.id, "ask").pack())],
        [Button(ctx.t("dialogue.calendar"), SessionAction(session.id, "ics").pack())],
    ]
    if seat == Seat.REGISTERED:
        ctx.reply(ctx.t("dialogue.registered", time=ctx.t.datetime(session.starts_at)), *rows)
        return
    line = await ctx.store.seat_holders(session.id, {Seat.WAITLISTED})
    position = line.index(citizen.id) + 1 if citizen.id in line else len(line)
    ctx.reply(ctx.t("dialogue.waitlisted", position=position), *rows)


async def confirm_leaving(ctx: Context, citizen: CitizenView, session: DialogueView) -> None:
    """Asks once before the seat goes: it cannot be taken back once the next person has it."""
    t = ctx.t
    ctx.reply(
        t("dialogue.leave.confirm", topic=session.topic, time=t.datetime(session.starts_at)),
        [Button(t("dialogue.leave.yes"), SessionAction(session.id, "drop").pack())],
        [Button(t("dialogue.leave.keep"), SessionAction(session.id, "view").pack())],
    )


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
                ((Button(t("dialogue.calendar"), SessionAction(session.id, "ics").pack()),),),
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
    "leave": confirm_leaving,
    "drop": leave_seat,
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


@on(router, FollowCommunes)
async def communes_button(ctx: Context, data: FollowCommunes) -> None:
    """«Nhận tin theo địa bàn»: a page of the communes."""
    citizen = await citizen_here(ctx)
    if citizen is not None:
        await show_communes(ctx, citizen, data.page)


@on(router, FollowVillages)
async def villages_button(ctx: Context, data: FollowVillages) -> None:
    """A page of one commune's villages."""
    citizen = await citizen_here(ctx)
    if citizen is None:
        return
    if data.commune not in {c.code for c in ctx.env.org.communes()}:
        ctx.reply(ctx.t("input.unknown_button"))
        return
    await show_villages(ctx, citizen, data.commune, data.page)


@on(router, Follow)
async def follow_button(ctx: Context, data: Follow) -> None:
    """Follow a whole commune or a village, or stop following it."""
    citizen = await citizen_here(ctx)
    if citizen is None:
        return
    org, place = ctx.env.org, data.place
    if place not in org.areas and place not in {c.code for c in org.communes()}:
        ctx.reply(ctx.t("input.unknown_button"))
        return
    followed = await ctx.store.subscribe(citizen.id, place, ctx.now)
    if not followed:
        await ctx.store.unsubscribe(citizen.id, place)
    name = org.areas[place].name if place in org.areas else org.units[place].place
    ctx.reply(ctx.t(FOLLOW_TOLD[followed], place=name))
    commune = org.areas[place].unit if place in org.areas else None
    await (show_villages(ctx, citizen, commune) if commune else show_communes(ctx, citizen))


FOLLOW_TOLD = {True: N_("follow.on"), False: N_("follow.off")}
FOLLOW_PAGE = PAGE_SIZE // 2  # communes a page: each has two buttons


def mark(followed: bool) -> str:
    return "✅ " if followed else ""


def one_page(
    ctx: Context, count: int, per_page: int, page: int, turn: Callable[[int], str]
) -> tuple[slice, list[Button], str]:
    """Which items a page shows, its ◀ ▶ (global buttons: `turn(page)` is a page's data) and
    «Trang 2/9»."""
    pages = max(1, -(-count // per_page))
    page = min(max(page, 0), pages - 1)
    turns = page_turns(ctx, page, pages, lambda label, n: Button(label, turn(n)))
    hint = ctx.t("picker.page_only", page=page + 1, pages=pages) if pages > 1 else ""
    return slice(page * per_page, (page + 1) * per_page), turns, hint


async def show_communes(ctx: Context, citizen: CitizenView, page: int = 0) -> None:
    """Each commune, followed or not, with a way down to its villages; a page at a time."""
    followed = set(await ctx.store.subscriptions(citizen.id))
    communes = ctx.env.org.communes()
    shown, turns, hint = one_page(
        ctx, len(communes), FOLLOW_PAGE, page, lambda n: FollowCommunes(n).pack()
    )
    rows = []
    for commune in communes[shown]:
        label = mark(commune.code in followed) + ctx.t("follow.whole", place=commune.place)
        rows.append([Button(label, Follow(commune.code).pack())])
        villages = ctx.t("follow.villages", place=commune.place)
        rows.append([Button(villages, FollowVillages(commune.code).pack())])
    rows += [turns] if turns else []
    rows.append([Button(ctx.t("menu.back_home"), Menu("home").pack())])
    ctx.reply("\n\n".join(filter(None, [ctx.t("follow.title"), hint])), *rows)


async def show_villages(ctx: Context, citizen: CitizenView, commune: str, page: int = 0) -> None:
    """A commune's villages, followed or not; a page at a time."""
    followed = set(await ctx.store.subscriptions(citizen.id))
    areas = ctx.env.org.areas_of(commune)
    shown, turns, hint = one_page(
        ctx, len(areas), PAGE_SIZE, page, lambda n: FollowVillages(commune, n).pack()
    )
    rows = [
        [Button(mark(area.code in followed) + area.name, Follow(area.code).pack())]
        for area in areas[shown]
    ]
    rows += [turns] if turns else []
    rows.append([Button(ctx.t("follow.back"), FollowCommunes().pack())])
    title = ctx.t("follow.villages.title", place=ctx.env.org.units[commune].place)
    ctx.reply("\n\n".join(filter(None, [title, hint])), *rows)


async def follow_offer(ctx: Context, commune: str) -> tuple[str, list[list[Button]]]:
    """Once, after a first petition: news of the dialogues of that commune? (text, buttons)."""
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    if citizen is None or ctx.conv.data.get("follow_offered") or commune not in ctx.env.org.units:
        return "", []
    ctx.conv.data["follow_offered"] = True
    if await ctx.store.subscriptions(citizen.id):
        return "", []
    text = ctx.t("follow.offer", place=ctx.env.org.units[commune].place)
    return text, [[Button(ctx.t("follow.offer.yes"), Follow(commune).pack())]]
