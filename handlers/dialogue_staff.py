"""Đối thoại, the organiser's side: officers set up, run and close dialogue sessions in chat
(issue 4 items 1, 5, 7; DESIGN §2 step 7).

Create: topic → leader → time → place or link → audience → seats → registration deadline → who may
ask → review → «Công bố». A session's card moves or cancels it, moderates the questions sent ahead
and, once it has begun, records the outcome: attendance → minutes → questions answered →
commitments → review. Every answer re-checks on the server that this chat belongs to an officer
of an organising People's Committee, and the services check again that the session is theirs.
The questions are shown without their askers: staff read only the words.
"""

from __future__ import annotations

import functools
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from dataclasses import field as dataclass_field
from datetime import datetime, timedelta
from typing import Any, TypeVar

from bot.buttons import DialogueStaff, ModerateQuestion, SessionCard
from bot.conversation import Context, Handler, ReplyFactory, Router, ask
from bot.core import Button, Kind, Reply
from bot.domain.dialogues import DialogueState, QuestionStatus, audience_of
from bot.domain.words import clip
from bot.environment import Environment
from bot.flow import Flow, nav_buttons
from bot.i18n import N_, Translator
from bot.labels import rule_label
from bot.ports import DialogueView, OfficerView, QuestionView
from bot.services.access import units_under
from bot.services.dialogues import (
    MAX_CAPACITY,
    MAX_TOPIC_CHARS,
    DialogueRefused,
    FollowUp,
    SessionPlan,
    cancel_session,
    close_session,
    create_session,
    managed_session,
    moderate,
    organiser_unit,
    reschedule_session,
    session_details,
)
from bot.services.filing import Filed
from bot.services.workflow import NotAllowed
from handlers.callbacks import on
from handlers.common import forged_button, show_menu
from handlers.filing import tell_assignee
from handlers.picker import Option, page_rows, picked, typed_text, with_page_hint
from handlers.staff import cancel_row, current_officer, example_time, parse_local_datetime, refuse
from handlers.steps import choose, choose_many, counted, labelled, pressed, within, write

log = logging.getLogger(__name__)

router = Router()

NOT_ALLOWED = N_("dm.not_allowed")
RECENT_LIMIT = 10
LABEL_CHARS = 40
MIN_TEXT_CHARS = 5
MAX_PLACE_CHARS = 300
MAX_LINK_CHARS = 500
MAX_MINUTES_CHARS = 3000  # sent to every follower in one message, with the session's details
MAX_REASON_CHARS = 500
MAX_COMMITMENT_CHARS = 1000
OPEN_QUESTIONS = frozenset({QuestionStatus.PENDING, QuestionStatus.ACCEPTED})
Result = TypeVar("Result")

STATE_MARKS = {
    DialogueState.ANNOUNCED: "📅",
    DialogueState.CANCELLED: "❌",
    DialogueState.HELD: "✅",
}
STATE_LABELS = {
    DialogueState.ANNOUNCED: N_("dm.state.announced"),
    DialogueState.CANCELLED: N_("dm.state.cancelled"),
    DialogueState.HELD: N_("dm.state.held"),
}
CLOSING_CHOICES = {
    "1d": (timedelta(days=1), N_("dm.closes.day_before")),
    "2h": (timedelta(hours=2), N_("dm.closes.hours_before")),
}
WHO_ASKS = {
    "yes": N_("dm.asking.followers"),
    "no": N_("dm.asking.registrants"),
}


# --- who is acting, and what is being prepared ---------------------------------------------------


@dataclass
class SessionWork:
    """What is being prepared about a session: a new one, a move, a cancellation, a question's
    moderation, or the outcome once it was held."""

    unit: str = ""  # the organising People's Committee
    dialogue: int = 0
    topic: str = ""
    leader: int = 0
    starts_at: str = ""  # ISO date and time
    place: str | None = None
    link: str | None = None
    audience: list[str] = dataclass_field(default_factory=list)
    capacity: int = 0
    closes_at: str = ""
    followers_ask: bool = False
    question: int = 0
    pressed: str = ""  # the question's message whose moderation button was pressed
    attendance: int = 0
    minutes: str = ""
    answered: list[str] = dataclass_field(default_factory=list)  # the questions' ids
    commitment: str = ""  # the words of the commitment whose unit is being asked
    commitments: list[tuple[str, str]] = dataclass_field(default_factory=list)  # words, unit


async def is_organiser(ctx: Context) -> bool:
    """Whether this chat still belongs to an officer of an organising committee (else refused)."""
    return await organiser(ctx) is not None


async def leave(ctx: Context, text: str | None) -> None:
    """Back to the menu with how the work ended: nothing changes until the last confirmation."""
    await show_menu(ctx, text or ctx.t("dm.cancelled"))


ORGANISING = Flow(
    router,
    "organising",
    SessionWork,
    {
        # a new session
        "s.topic": ("s.leader",),
        "s.leader": ("s.when",),
        "s.when": ("s.place",),
        "s.place": ("s.audience",),
        "s.audience": ("s.capacity",),
        "s.capacity": ("s.closes",),
        "s.closes": ("s.asking",),
        "s.asking": ("s.review",),
        "s.review": (),
        # moving or cancelling it
        "s.move.when": ("s.move.place",),
        "s.move.place": (),
        "s.cancel": (),
        # a question sent ahead: accepted for a unit, merged, or rejected with a reason
        "s.q.unit": (),
        "s.q.merge": (),
        "s.q.reason": (),
        # the outcome
        "s.close.attendance": ("s.close.minutes",),
        "s.close.minutes": ("s.close.answered", "s.close.commitment"),
        "s.close.answered": ("s.close.commitment",),
        "s.close.commitment": ("s.close.unit", "s.close.review"),
        "s.close.unit": ("s.close.more",),
        "s.close.more": ("s.close.commitment", "s.close.review"),
        "s.close.review": (),
    },
    leave=leave,
    cancelled=N_("dm.cancelled"),
    allowed=is_organiser,
    title=N_("officer.menu.dialogues"),
)


def work_of(ctx: Context) -> SessionWork:
    """What is being prepared about a session, kept in the conversation."""
    return ORGANISING.draft(ctx)


async def organiser(ctx: Context) -> tuple[OfficerView, str] | None:
    """The officer of this chat and the People's Committee they organise for; else a refusal."""
    officer = await current_officer(ctx)
    if officer is None:
        return None
    try:
        return officer, organiser_unit(ctx.env, officer)
    except NotAllowed as error:
        refuse(ctx, officer, str(error), NOT_ALLOWED)
        return None


async def managed(ctx: Context, dialogue_id: int) -> tuple[OfficerView, DialogueView] | None:
    """The officer and a session their People's Committee organises; else a refusal."""
    officer = await current_officer(ctx)
    if officer is None:
        return None
    try:
        return officer, await managed_session(ctx.store, ctx.env, officer, dialogue_id)
    except NotAllowed as error:
        refuse(ctx, officer, str(error), NOT_ALLOWED)
        return None


async def announced(ctx: Context, dialogue_id: int) -> DialogueView | None:
    """A session this officer manages that can still change; otherwise say why not."""
    found = await managed(ctx, dialogue_id)
    if found is None:
        return None
    if found[1].state != DialogueState.ANNOUNCED:
        ctx.reply(ctx.t("dialogue.refused.change"))
        return None
    return found[1]


async def the_session(ctx: Context) -> DialogueView | None:
    """The session the work in progress is about, as stored now."""
    return await ctx.store.dialogue(work_of(ctx).dialogue)


async def still_there(ctx: Context) -> DialogueView | None:
    """The session the work is about; if it has gone, the work ends with a word why."""
    session = await the_session(ctx)
    if session is None:
        await finish(ctx, ctx.t("dialogue.refused.change"))
    return session


async def finish(ctx: Context, text: str) -> None:
    """Forget the work in progress and return to the menu with a word about how it ended."""
    await ORGANISING.end(ctx, text)


async def done_by_service(
    ctx: Context, call: Callable[[OfficerView], Awaitable[Result]]
) -> Result | None:
    """Run a service for this officer; on a refusal say why, end the work, and return None."""
    officer = await current_officer(ctx)
    if officer is None:
        return None
    try:
        return await call(officer)
    except NotAllowed as error:
        refuse(ctx, officer, str(error), NOT_ALLOWED)
        await finish(ctx, ctx.t("dm.cancelled"))
    except DialogueRefused as error:
        await finish(ctx, ctx.t(error.reason))
    return None


def place_name(env: Environment, code: str, t: Translator) -> str:
    """A commune (as the whole commune) or a village, by name."""
    if code in env.org.units:
        return t("dm.audience.commune", unit=env.org.units[code].place)
    return env.org.areas[code].name


async def tell_citizen(ctx: Context, citizen_id: int, make: ReplyFactory) -> None:
    """A message to a citizen's chat, in their language (none if they have no chat)."""
    chat = await ctx.store.citizen_chat(citizen_id)
    if chat is not None:
        await ctx.notify(chat, make)


# --- the list and a session's card -------------------------------------------------------------


@on(router, DialogueStaff)
async def sessions_button(ctx: Context, data: DialogueStaff) -> None:
    """«Đối thoại» in the officer's menu, and «Tạo buổi đối thoại» under it."""
    await (show_sessions(ctx) if data.screen == "home" else begin_creating(ctx))


@on(router, SessionCard)
async def card_button(ctx: Context, data: SessionCard) -> None:
    """A session's card and its buttons: whether it is this officer's is checked there."""
    await SESSION_ACTIONS[data.action](ctx, data.dialogue)


async def show_sessions(ctx: Context) -> None:
    """The organiser's sessions, newest first, under a button to create one."""
    found = await organiser(ctx)
    if found is None:
        return
    unit = found[1]
    t = ctx.t
    sessions = await ctx.store.recent_dialogues([unit], RECENT_LIMIT)
    intro = t("dm.home", unit=ctx.env.org.units[unit].name)
    if not sessions:
        intro += "\n" + t("dm.home.empty")
    ctx.reply(
        intro,
        [Button(t("dm.new"), DialogueStaff("new").pack())],
        *([Button(session_label(t, s), SessionCard(s.id, "open").pack())] for s in sessions),
    )


def session_label(t: Translator, session: DialogueView) -> str:
    """A session on one button: its state, time and topic."""
    mark = STATE_MARKS[DialogueState(session.state)]
    return f"{mark} {t.datetime(session.starts_at)} · {clip(session.topic, LABEL_CHARS)}"


async def open_session(ctx: Context, dialogue_id: int) -> None:
    """A session's card: details, seats, questions, and what can be done with it now."""
    found = await managed(ctx, dialogue_id)
    if found is None:
        return
    session = found[1]
    ctx.reply(await card_text(ctx, session), *card_buttons(ctx, session))


async def card_text(ctx: Context, session: DialogueView) -> str:
    """Details, state, seats registered and waiting, questions pending and accepted."""
    t = ctx.t
    leader = await ctx.store.officer_by_id(session.leader_id)
    questions = await ctx.store.questions(session.id, set(OPEN_QUESTIONS))
    pending = sum(q.status == QuestionStatus.PENDING for q in questions)
    lines = [
        session_details(t, ctx.env.org, session, leader),
        t(STATE_LABELS[DialogueState(session.state)]),
        t(
            "dm.card.seats",
            registered=session.registered,
            capacity=session.capacity,
            waitlisted=session.waitlisted,
        ),
        t("dm.card.questions", pending=pending, accepted=len(questions) - pending),
    ]
    if session.attendance is not None:
        lines.append(t("dm.card.attendance", count=session.attendance))
    return "\n".join(lines)


def card_buttons(ctx: Context, session: DialogueView) -> list[list[Button]]:
    """Move, cancel and close while the session is announced (close once it has begun)."""
    t = ctx.t
    changeable = session.state == DialogueState.ANNOUNCED
    rows = []
    if changeable:
        rows += [
            [Button(t("dm.card.move"), SessionCard(session.id, "move").pack())],
            [Button(t("dm.card.cancel"), SessionCard(session.id, "cancel").pack())],
        ]
    rows.append(
        [Button(t("dm.card.questions_button"), SessionCard(session.id, "questions").pack())]
    )
    if changeable and ctx.now >= session.starts_at:
        rows.append([Button(t("dm.card.close"), SessionCard(session.id, "close").pack())])
    rows.append([Button(t("dm.card.list"), DialogueStaff("home").pack())])
    return rows


# --- creating a session ------------------------------------------------------------------------


async def begin_creating(ctx: Context) -> None:
    """«Tạo buổi đối thoại»: the first question, for officers of an organising committee."""
    found = await organiser(ctx)
    if found is None:
        return
    await ORGANISING.start(ctx, SessionWork(unit=found[1]), "s.topic")


async def keep_topic(ctx: Context, topic: str) -> None:
    """Keeps the topic and asks who chairs."""
    work_of(ctx).topic = topic
    await ORGANISING.forward(ctx, "s.leader")


write(
    ORGANISING,
    "s.topic",
    lambda ctx: ctx.t("dm.ask_topic", limit=MAX_TOPIC_CHARS),
    keep_topic,
    check=within(MIN_TEXT_CHARS, MAX_TOPIC_CHARS),
    invalid=lambda ctx: ctx.t("dm.topic_invalid", min=MIN_TEXT_CHARS, max=MAX_TOPIC_CHARS),
)


async def leaders(ctx: Context) -> list[OfficerView]:
    """Who may chair: the heads of the organising committee."""
    return await ctx.store.heads_of(work_of(ctx).unit)


async def prompt_leader(ctx: Context) -> None:
    """Asks which leader chairs: a page of them, or a name typed."""
    heads = await leader_options(ctx)
    if not heads:
        await finish(ctx, ctx.t("dm.no_leader"))
        return
    question = with_page_hint(ctx, ctx.t("dm.ask_leader"), len(heads))
    ctx.reply(question, *page_rows(ctx, heads, 1), nav_buttons(ctx))


async def leader_options(ctx: Context) -> list[Option]:
    """The heads of the organising committee, with their titles."""
    return [Option(str(o.id), f"{o.name} · {o.title}") for o in await leaders(ctx)]


@ORGANISING.step("s.leader", prompt_leader)
async def answer_leader(ctx: Context) -> None:
    """Keeps the leader and asks when."""
    leader = await picked(ctx, await leader_options(ctx), prompt_leader)
    if leader is not None:
        work_of(ctx).leader = int(leader)
        await ORGANISING.forward(ctx, "s.when")


async def prompt_time(ctx: Context) -> None:
    """Asks the date and time, typed, in Vietnam's time."""
    ctx.reply(ctx.t("dm.ask_time", example=example_time(ctx.now)), nav_buttons(ctx))


def future_time(ctx: Context) -> datetime | None:
    """A typed «dd/mm/yyyy hh:mm» still ahead; otherwise None after saying what is expected."""
    when = parse_local_datetime(typed_text(ctx))
    if when is None or when <= ctx.now:
        ctx.aside(
            ctx.t("dm.time_invalid", now=ctx.t.datetime(ctx.now), example=example_time(ctx.now))
        )
        return None
    return when


def keeping_time(then: str) -> Handler:
    """An answer that keeps a time still ahead (the session's, or its new one) and asks `then`."""

    async def answer(ctx: Context) -> None:
        when = future_time(ctx)
        if when is not None:
            work_of(ctx).starts_at = when.isoformat()
            await ORGANISING.forward(ctx, then)

    return answer


ORGANISING.step("s.when", prompt_time)(keeping_time("s.place"))


async def prompt_place(ctx: Context) -> None:
    """Asks the place, or the link of an online session."""
    ctx.reply(ctx.t("dm.ask_place"), nav_buttons(ctx))


def place_or_link(ctx: Context) -> tuple[str | None, str | None] | None:
    """The typed place, or a link when it starts with http(s)://; None after saying why not."""
    text = typed_text(ctx)
    if text.lower().startswith(("http://", "https://")):
        if len(text) <= MAX_LINK_CHARS and " " not in text:
            return None, text
    elif MIN_TEXT_CHARS <= len(text) <= MAX_PLACE_CHARS:
        return text, None
    ctx.aside(ctx.t("dm.place_invalid", min=MIN_TEXT_CHARS, max=MAX_PLACE_CHARS))
    return None


@ORGANISING.step("s.place", prompt_place)
async def answer_place(ctx: Context) -> None:
    """Keeps the place or link and asks who is invited."""
    where = place_or_link(ctx)
    if where is not None:
        work = work_of(ctx)
        work.place, work.link = where
        await ORGANISING.forward(ctx, "s.audience")


def audience_options(ctx: Context) -> list[Option]:
    """The communes and villages this committee may invite."""
    places = audience_of(ctx.env.org, work_of(ctx).unit)
    return [Option(code, place_name(ctx.env, code, ctx.t)) for code in places]


def onward(step: str) -> Handler:
    """What a marking step does at «Xong»: ask `step`."""
    return lambda ctx: ORGANISING.forward(ctx, step)


choose_many(
    ORGANISING,
    "s.audience",
    N_("dm.ask_audience"),
    audience_options,
    lambda ctx: work_of(ctx).audience,
    onward("s.capacity"),
    done_label=N_("dm.done"),
    none_chosen=N_("dm.audience_none"),
)


async def keep_capacity(ctx: Context, seats: str) -> None:
    """Keeps the number of seats and asks when registration closes."""
    work_of(ctx).capacity = int(seats)
    await ORGANISING.forward(ctx, "s.closes")


write(
    ORGANISING,
    "s.capacity",
    N_("dm.ask_capacity"),
    keep_capacity,
    check=counted(1, MAX_CAPACITY),
    invalid=lambda ctx: ctx.t("dm.capacity_invalid", limit=MAX_CAPACITY),
)


async def prompt_closes(ctx: Context) -> None:
    """Asks when registration closes: a button for the usual choices, or a typed time."""
    rows = [[ctx.button(ctx.t(label), code)] for code, (_, label) in CLOSING_CHOICES.items()]
    ctx.reply(ctx.t("dm.ask_closes"), *rows, nav_buttons(ctx))


@ORGANISING.step("s.closes", prompt_closes)
async def answer_closes(ctx: Context) -> None:
    """Keeps a closing time between now and the start, and asks who may send questions."""
    starts_at = datetime.fromisoformat(work_of(ctx).starts_at)
    preset = CLOSING_CHOICES.get(ctx.choice or "")
    closes = starts_at - preset[0] if preset else parse_local_datetime(typed_text(ctx))
    if closes is None or not ctx.now < closes <= starts_at:
        ctx.aside(ctx.t("dm.closes_invalid", starts=ctx.t.datetime(starts_at)))
        return
    work_of(ctx).closes_at = closes.isoformat()
    await ORGANISING.forward(ctx, "s.asking")


async def keep_who_asks(ctx: Context, who: str) -> None:
    """Keeps who may ask and shows the review."""
    work_of(ctx).followers_ask = who == "yes"
    await ORGANISING.forward(ctx, "s.review")


choose(ORGANISING, "s.asking", N_("dm.ask_asking"), labelled(WHO_ASKS), keep_who_asks)


def plan_of(work: SessionWork) -> SessionPlan:
    """The conversation's record as the service takes it."""
    return SessionPlan(
        topic=work.topic,
        leader_id=work.leader,
        starts_at=datetime.fromisoformat(work.starts_at),
        place=work.place,
        link=work.link,
        audience=tuple(work.audience),
        capacity=work.capacity,
        registration_closes_at=datetime.fromisoformat(work.closes_at),
        subscribers_may_ask=work.followers_ask,
    )


async def prompt_review(ctx: Context) -> None:
    """Shows the session once more before it is announced."""
    ctx.reply(
        await review_text(ctx, plan_of(work_of(ctx))),
        [ctx.button(ctx.t("dm.publish"), "publish")],
        nav_buttons(ctx),
    )


async def review_text(ctx: Context, plan: SessionPlan) -> str:
    """The session as it will be announced, and who may ask."""
    t = ctx.t
    leader = await ctx.store.officer_by_id(plan.leader_id)
    asking = WHO_ASKS["yes" if plan.subscribers_may_ask else "no"]
    return t(
        "dm.review",
        topic=plan.topic,
        leader=f"{leader.name} ({leader.title})" if leader else "—",
        time=t.datetime(plan.starts_at),
        place=plan.place or plan.link or "—",
        audience=", ".join(place_name(ctx.env, code, t) for code in plan.audience),
        capacity=plan.capacity,
        closes=t.datetime(plan.registration_closes_at),
        asking=t(asking),
    )


@ORGANISING.step("s.review", prompt_review)
async def answer_review(ctx: Context) -> None:
    """Stores and announces the session; the announcement goes out as a job."""
    if not await pressed(ctx, "publish", N_("dm.publish"), prompt_review):
        return
    plan = plan_of(work_of(ctx))
    dialogue_id = await done_by_service(
        ctx, lambda officer: create_session(ctx.store, ctx.env, officer, plan, ctx.now)
    )
    if dialogue_id is None:
        return
    log.info("dialogue session %s announced", dialogue_id)
    await finish(ctx, ctx.t("dm.published", topic=plan.topic))


# --- moving and cancelling ---------------------------------------------------------------------


async def begin_moving(ctx: Context, dialogue_id: int) -> None:
    """«Dời lịch»: a new time, then a new place."""
    if await announced(ctx, dialogue_id) is not None:
        await ORGANISING.start(ctx, SessionWork(dialogue=dialogue_id), "s.move.when")


async def prompt_new_time(ctx: Context) -> None:
    """Asks the new date and time."""
    session = await still_there(ctx)
    if session is None:
        return
    question = ctx.t(
        "dm.move.ask_time",
        time=ctx.t.datetime(session.starts_at),
        example=example_time(ctx.now),
    )
    ctx.reply(question, nav_buttons(ctx))


ORGANISING.step("s.move.when", prompt_new_time)(keeping_time("s.move.place"))


async def prompt_new_place(ctx: Context) -> None:
    """Asks the new place or link, or to keep the current one."""
    session = await still_there(ctx)
    if session is None:
        return
    ctx.reply(
        ctx.t("dm.move.ask_place", place=session.place or session.link or "—"),
        [ctx.button(ctx.t("dm.move.keep_place"), "keep")],
        nav_buttons(ctx),
    )


@ORGANISING.step("s.move.place", prompt_new_place)
async def answer_new_place(ctx: Context) -> None:
    """Moves the session and tells everyone holding a seat or a waitlist place."""
    session = await still_there(ctx)
    if session is None:
        return
    where = (session.place, session.link) if ctx.choice == "keep" else place_or_link(ctx)
    if where is None:
        return
    starts_at = datetime.fromisoformat(work_of(ctx).starts_at)
    moved = await done_by_service(
        ctx,
        lambda officer: reschedule_session(
            ctx.store, ctx.env, officer, session.id, starts_at, *where, ctx.now
        ),
    )
    if moved is not None:
        await tell_moved(ctx, *moved)


async def tell_moved(ctx: Context, session: DialogueView, holders: list[int]) -> None:
    """The officer hears how many were told; each holder gets the new details."""
    leader = await ctx.store.officer_by_id(session.leader_id)
    org = ctx.env.org
    for citizen_id in holders:
        await tell_citizen(
            ctx,
            citizen_id,
            lambda t: Reply(
                t("dm.moved.citizen", details=session_details(t, org, session, leader))
            ),
        )
    await finish(
        ctx,
        ctx.t(
            "dm.moved",
            time=ctx.t.datetime(session.starts_at),
            place=session.place or session.link or "—",
            count=len(holders),
        ),
    )


async def begin_cancelling(ctx: Context, dialogue_id: int) -> None:
    """«Hủy buổi»: asks once more, since everyone will be told."""
    if await announced(ctx, dialogue_id) is not None:
        await ORGANISING.start(ctx, SessionWork(dialogue=dialogue_id), "s.cancel")


async def prompt_cancel(ctx: Context) -> None:
    """Asks to confirm the cancellation."""
    session = await still_there(ctx)
    if session is None:
        return
    ctx.reply(
        ctx.t("dm.cancel.ask", topic=session.topic, time=ctx.t.datetime(session.starts_at)),
        [ctx.button(ctx.t("dm.cancel.confirm"), "confirm")],
        [ctx.button(ctx.t("dm.cancel.keep"), "back")],
    )


@ORGANISING.step("s.cancel", prompt_cancel)
async def answer_cancel(ctx: Context) -> None:
    """Cancels the session; a job tells every registrant and follower once."""
    if not await pressed(ctx, "confirm", N_("dm.cancel.confirm"), prompt_cancel):
        return
    dialogue_id = work_of(ctx).dialogue
    cancelled = await done_by_service(
        ctx, lambda officer: cancel_session(ctx.store, ctx.env, officer, dialogue_id, ctx.now)
    )
    if cancelled is not None:
        log.info("dialogue session %s cancelled", dialogue_id)
        await finish(ctx, ctx.t("dm.cancelled_session", topic=cancelled.topic))


# --- questions sent ahead ----------------------------------------------------------------------


async def show_questions(ctx: Context, dialogue_id: int) -> None:
    """The questions waiting or accepted, one message each with its moderation buttons."""
    found = await managed(ctx, dialogue_id)
    if found is None:
        return
    session = found[1]
    questions = await ctx.store.questions(session.id, set(OPEN_QUESTIONS))
    if not questions:
        ctx.reply(ctx.t("dm.questions.none", topic=session.topic))
        return
    ctx.reply(ctx.t("dm.questions.title", topic=session.topic, count=len(questions)))
    moderable = session.state == DialogueState.ANNOUNCED
    for item in questions:
        # An accepted question is settled: its unit prepares the answer; nothing to press.
        pending = moderable and item.status == QuestionStatus.PENDING
        ctx.reply(question_text(ctx, item), *(moderation_buttons(ctx, item) if pending else []))


def question_text(ctx: Context, item: QuestionView) -> str:
    """A question's words, and for an accepted one the unit preparing the answer."""
    if item.status == QuestionStatus.ACCEPTED and item.unit:
        unit = ctx.env.org.units[item.unit].name
        return ctx.t("dm.question.accepted", id=item.id, unit=unit, text=item.text)
    return ctx.t("dm.question.pending", id=item.id, text=item.text)


def moderation_buttons(ctx: Context, item: QuestionView) -> list[list[Button]]:
    """Accept (choose the unit), merge into a similar one, reject with a reason."""
    t = ctx.t
    return [
        [Button(t("dm.q.accept"), ModerateQuestion(item.id, "acc").pack())],
        [
            Button(t("dm.q.merge"), ModerateQuestion(item.id, "merge").pack()),
            Button(t("dm.q.reject"), ModerateQuestion(item.id, "rej").pack()),
        ],
    ]


@on(router, ModerateQuestion)
async def question_button(ctx: Context, data: ModerateQuestion) -> None:
    """A moderation button: checked against the session's organiser before anything is asked."""
    first = MODERATION_QUESTIONS.get(data.action)
    if first is None:
        await forged_button(ctx)
        return
    item = await moderable_question(ctx, data.question)
    if item is not None:
        pressed = ctx.incoming.pressed_message or ""
        work = SessionWork(question=item.id, dialogue=item.dialogue_id, pressed=pressed)
        await ORGANISING.start(ctx, work, first)


async def moderable_question(ctx: Context, question_id: int) -> QuestionView | None:
    """A question still open at a session this officer manages; otherwise say why not."""
    item = await ctx.store.question(question_id)
    # An unknown question is refused like someone else's session (id 0 is never a session).
    if await announced(ctx, item.dialogue_id if item else 0) is None or item is None:
        return None
    if item.status != QuestionStatus.PENDING:
        ctx.reply(ctx.t("dm.question.settled"))
        return None
    return item


async def the_question(ctx: Context) -> QuestionView | None:
    """The question being moderated, as stored now."""
    return await ctx.store.question(work_of(ctx).question)


async def moderated(ctx: Context, status: str, **how: Any) -> QuestionView | None:
    """Hand the decision to the service, which checks the organiser again."""
    question_id = work_of(ctx).question
    return await done_by_service(
        ctx,
        lambda officer: moderate(ctx.store, ctx.env, officer, question_id, status, **how),
    )


async def after_moderation(ctx: Context, text: str, dialogue_id: int) -> None:
    """Say what was done (the moderated question's buttons go), then show the questions still
    open."""
    if pressed := work_of(ctx).pressed:
        ctx.replies.append(Reply.new_buttons(pressed))
    ORGANISING.drop(ctx)
    ctx.goto("")
    ctx.reply(text)
    await show_questions(ctx, dialogue_id)


async def answering_units(ctx: Context) -> list[str]:
    """The organising committee and the units under it, which may prepare an answer."""
    session = await the_session(ctx)
    return units_under(ctx.env.org, session.unit) if session else []


async def answering_unit_options(ctx: Context) -> list[Option]:
    """The units that may prepare an answer, by name."""
    return [Option(code, ctx.env.org.units[code].name) for code in await answering_units(ctx)]


async def prompt_answering_unit(ctx: Context) -> None:
    """Asks which unit prepares the answer."""
    item = await the_question(ctx)
    units = await answering_unit_options(ctx)
    question = ctx.t("dm.q.ask_unit", text=clip(item.text if item else "", 300))
    question = with_page_hint(ctx, question, len(units))
    ctx.reply(question, *page_rows(ctx, units, 1), cancel_row(ctx))


@ORGANISING.step("s.q.unit", prompt_answering_unit)
async def answer_answering_unit(ctx: Context) -> None:
    """Accepts the question; the asker hears which unit answers, its heads get the question."""
    unit = await picked(ctx, await answering_unit_options(ctx), prompt_answering_unit)
    if unit is None:
        return
    session = await the_session(ctx)
    done = await moderated(ctx, QuestionStatus.ACCEPTED, unit=unit)
    if done is None or session is None:
        return
    unit_name = ctx.env.org.units[unit].name
    await tell_citizen(
        ctx,
        done.citizen_id,
        lambda t: Reply(
            t("dm.asker.accepted", topic=session.topic, text=done.text, unit=unit_name)
        ),
    )
    for head in await ctx.store.heads_of(unit):
        await ctx.notify_officer(
            head.id,
            lambda t: Reply(
                t(
                    "dm.q.for_unit",
                    unit=unit_name,
                    topic=session.topic,
                    time=t.datetime(session.starts_at),
                    text=done.text,
                )
            ),
        )
    await after_moderation(ctx, ctx.t("dm.q.accepted", id=done.id, unit=unit_name), session.id)


async def merge_targets(ctx: Context) -> list[QuestionView]:
    """The session's other open questions, one of which this one joins."""
    work = work_of(ctx)
    questions = await ctx.store.questions(work.dialogue, set(OPEN_QUESTIONS))
    return [q for q in questions if q.id != work.question]


def question_options(questions: list[QuestionView]) -> list[Option]:
    """Questions sent ahead, by number and first words."""
    return [Option(str(q.id), f"#{q.id} {clip(q.text, LABEL_CHARS)}") for q in questions]


async def merge_options(ctx: Context) -> list[Option]:
    """The other open questions."""
    return question_options(await merge_targets(ctx))


async def prompt_merge_target(ctx: Context) -> None:
    """Asks which similar question this one is answered with."""
    targets = await merge_options(ctx)
    if not targets:
        await finish(ctx, ctx.t("dm.q.nothing_to_merge"))
        return
    question = with_page_hint(ctx, ctx.t("dm.q.ask_merge"), len(targets))
    ctx.reply(question, *page_rows(ctx, targets, 1), cancel_row(ctx))


@ORGANISING.step("s.q.merge", prompt_merge_target)
async def answer_merge_target(ctx: Context) -> None:
    """Merges the question; its asker hears it is answered together with a similar one."""
    target = await picked(ctx, await merge_options(ctx), prompt_merge_target)
    if target is None:
        return
    done = await moderated(ctx, QuestionStatus.MERGED, into=int(target))
    if done is None:
        return
    session = await the_session(ctx)
    topic = session.topic if session else ""
    await tell_citizen(
        ctx,
        done.citizen_id,
        lambda t: Reply(t("dm.asker.merged", topic=topic, text=done.text)),
    )
    await after_moderation(ctx, ctx.t("dm.q.merged", id=done.id, into=target), done.dialogue_id)


async def prompt_rejection(ctx: Context) -> None:
    """Asks why the question is not taken up; the asker reads the reason."""
    ctx.reply(ctx.t("dm.q.ask_reason", limit=MAX_REASON_CHARS), cancel_row(ctx))


@ORGANISING.step("s.q.reason", prompt_rejection)
async def answer_rejection(ctx: Context) -> None:
    """Rejects the question and tells its asker why."""
    reason = typed_text(ctx)
    if not MIN_TEXT_CHARS <= len(reason) <= MAX_REASON_CHARS:
        ctx.aside(ctx.t("dm.q.reason_invalid", min=MIN_TEXT_CHARS, max=MAX_REASON_CHARS))
        return
    done = await moderated(ctx, QuestionStatus.REJECTED, reason=reason)
    if done is None:
        return
    session = await the_session(ctx)
    topic = session.topic if session else ""
    await tell_citizen(
        ctx,
        done.citizen_id,
        lambda t: Reply(t("dm.asker.rejected", topic=topic, text=done.text, reason=reason)),
    )
    await after_moderation(ctx, ctx.t("dm.q.rejected", id=done.id), done.dialogue_id)


# --- after the session -------------------------------------------------------------------------


async def begin_closing(ctx: Context, dialogue_id: int) -> None:
    """«Kết quả buổi đối thoại»: only once the session has begun."""
    session = await announced(ctx, dialogue_id)
    if session is None:
        return
    if ctx.now < session.starts_at:
        ctx.reply(ctx.t("dm.close.too_early", time=ctx.t.datetime(session.starts_at)))
        return
    await ORGANISING.start(ctx, SessionWork(dialogue=dialogue_id), "s.close.attendance")


async def keep_attendance(ctx: Context, count: str) -> None:
    """Keeps the attendance and asks for the minutes."""
    work_of(ctx).attendance = int(count)
    await ORGANISING.forward(ctx, "s.close.minutes")


write(
    ORGANISING,
    "s.close.attendance",
    N_("dm.close.ask_attendance"),
    keep_attendance,
    check=counted(0, MAX_CAPACITY),
    invalid=N_("dm.close.attendance_invalid"),
)


async def prompt_minutes(ctx: Context) -> None:
    """Asks for the minutes, which every registrant and follower will read."""
    ctx.reply(ctx.t("dm.close.ask_minutes", limit=MAX_MINUTES_CHARS), nav_buttons(ctx))


@ORGANISING.step("s.close.minutes", prompt_minutes)
async def answer_minutes(ctx: Context) -> None:
    """Keeps the minutes (lines as typed); asks which questions were answered, if any."""
    minutes = (ctx.incoming.text or "").strip() if ctx.incoming.kind is Kind.TEXT else ""
    if not MIN_TEXT_CHARS <= len(minutes) <= MAX_MINUTES_CHARS:
        ctx.aside(ctx.t("dm.close.minutes_invalid", min=MIN_TEXT_CHARS, max=MAX_MINUTES_CHARS))
        return
    work_of(ctx).minutes = minutes
    has_questions = bool(await open_questions(ctx))
    await ORGANISING.forward(ctx, "s.close.answered" if has_questions else "s.close.commitment")


async def open_questions(ctx: Context) -> list[QuestionView]:
    """The session's questions not yet settled: answered now, or a petition after."""
    dialogue_id = work_of(ctx).dialogue
    return await ctx.store.questions(dialogue_id, set(OPEN_QUESTIONS))


async def answered_options(ctx: Context) -> list[Option]:
    """The open questions."""
    return question_options(await open_questions(ctx))


choose_many(
    ORGANISING,
    "s.close.answered",
    N_("dm.close.ask_answered"),
    answered_options,
    lambda ctx: work_of(ctx).answered,
    onward("s.close.commitment"),
    done_label=N_("dm.next"),
    per_row=1,
)


async def keep_commitment(ctx: Context, text: str) -> None:
    """Keeps the commitment's words and asks which unit carries it out; none: the review."""
    if not text:
        await ORGANISING.forward(ctx, "s.close.review")
        return
    work_of(ctx).commitment = text
    await ORGANISING.forward(ctx, "s.close.unit")


write(
    ORGANISING,
    "s.close.commitment",
    lambda ctx: ctx.t("dm.close.ask_commitment", limit=MAX_COMMITMENT_CHARS),
    keep_commitment,
    check=within(MIN_TEXT_CHARS, MAX_COMMITMENT_CHARS),
    invalid=lambda ctx: ctx.t(
        "dm.close.commitment_invalid", min=MIN_TEXT_CHARS, max=MAX_COMMITMENT_CHARS
    ),
    skip=N_("dm.close.no_more_commitments"),
)


async def prompt_commitment_unit(ctx: Context) -> None:
    """Asks which unit is responsible for the commitment."""
    units = await answering_unit_options(ctx)
    question = ctx.t("dm.close.ask_unit", text=clip(work_of(ctx).commitment, 300))
    question = with_page_hint(ctx, question, len(units))
    ctx.reply(question, *page_rows(ctx, units, 1), nav_buttons(ctx))


@ORGANISING.step("s.close.unit", prompt_commitment_unit)
async def answer_commitment_unit(ctx: Context) -> None:
    """Adds the commitment with its unit, then offers another or the review."""
    unit = await picked(ctx, await answering_unit_options(ctx), prompt_commitment_unit)
    if unit is None:
        return
    work = work_of(ctx)
    work.commitments.append((work.commitment, unit))
    work.commitment = ""
    await ask(router, ctx, "s.close.more")  # not on the trail: Back returns to the words


async def prompt_more(ctx: Context) -> None:
    """Asks whether there is another commitment."""
    count = len(work_of(ctx).commitments)
    ctx.reply(
        ctx.t("dm.close.commitment_added", count=count),
        [ctx.button(ctx.t("dm.close.add_commitment"), "add")],
        [ctx.button(ctx.t("dm.done"), "done")],
        nav_buttons(ctx),
    )


@ORGANISING.step("s.close.more", prompt_more)
async def answer_more(ctx: Context) -> None:
    """Another commitment, or the review."""
    options = [
        Option("add", ctx.t("dm.close.add_commitment")),
        Option("done", ctx.t("dm.done")),
    ]
    choice = await picked(ctx, options, prompt_more)
    if choice == "add":
        await ask(router, ctx, "s.close.commitment")
    elif choice == "done":
        await ORGANISING.forward(ctx, "s.close.review")


async def prompt_close_review(ctx: Context) -> None:
    """Shows the outcome once more before it is kept and sent."""
    ctx.reply(
        await close_review_text(ctx),
        [ctx.button(ctx.t("dm.close.confirm"), "confirm")],
        nav_buttons(ctx),
    )


async def close_review_text(ctx: Context) -> str:
    """Attendance, minutes, questions answered and left, and the commitments with their units."""
    t = ctx.t
    work = work_of(ctx)
    answered = {int(i) for i in work.answered}
    left = [q for q in await open_questions(ctx) if q.id not in answered]
    commitments = [
        t("dm.close.commitment_line", text=text, unit=ctx.env.org.units[unit].name)
        for text, unit in work.commitments
    ]
    return t(
        "dm.close.review",
        attendance=work.attendance,
        minutes=work.minutes,
        answered=len(answered),
        left=len(left),
        commitments="\n".join(commitments) or "—",
    )


@ORGANISING.step("s.close.review", prompt_close_review)
async def answer_close_review(ctx: Context) -> None:
    """Keeps the outcome; what was left open becomes petitions, each told to whom it concerns."""
    if not await pressed(ctx, "confirm", N_("dm.close.confirm"), prompt_close_review):
        return
    work = work_of(ctx)
    session = await the_session(ctx)
    follow_ups = await done_by_service(
        ctx,
        lambda officer: close_session(
            ctx.store,
            ctx.env,
            officer,
            work.dialogue,
            work.attendance,
            work.minutes,
            {int(i) for i in work.answered},
            [(str(text), str(unit)) for text, unit in work.commitments],
            ctx.now,
        ),
    )
    if follow_ups is None or session is None:
        return
    log.info("dialogue session %s closed: %d follow-ups", session.id, len(follow_ups))
    codes = ", ".join(f.filed.code for f in follow_ups) or "—"
    await finish(ctx, ctx.t("dm.closed", count=len(follow_ups), codes=codes))
    for follow_up in follow_ups:
        await tell_follow_up(ctx, session, follow_up)


async def tell_follow_up(ctx: Context, session: DialogueView, follow_up: FollowUp) -> None:
    """The question's authors get the petition's code and dates; its officer gets the petition."""
    authors = [follow_up.citizen_id] if follow_up.citizen_id is not None else []
    for citizen_id in (*authors, *follow_up.also_told):
        await tell_citizen(
            ctx,
            citizen_id,
            functools.partial(
                follow_up_notice, env=ctx.env, topic=session.topic, filed=follow_up.filed
            ),
        )
    await tell_assignee(ctx, follow_up.filed, follow_up.draft)


def follow_up_notice(t: Translator, env: Environment, topic: str, filed: Filed) -> Reply:
    """For a question's author: the petition it became, with its code and statutory dates."""
    lines = [
        t(
            "dm.asker.petition",
            topic=topic,
            code=filed.code,
            unit=env.org.units[filed.unit].name,
            received=t.date(filed.received_on),
        )
    ]
    lines += [
        t(
            "filing.receipt.deadline",
            what=rule_label(t, d.rule_id),
            date=t.date(d.due_date),
            source=env.rulebook.rules[d.rule_id].source,
        )
        for d in filed.deadlines
    ]
    lines.append(t("filing.receipt.keep_code"))
    return Reply("\n".join(lines))


# What a session's card buttons do, by the action in `dm:<id>.<action>`.
SESSION_ACTIONS: dict[str, Callable[[Context, int], Awaitable[None]]] = {
    "open": open_session,
    "move": begin_moving,
    "cancel": begin_cancelling,
    "questions": show_questions,
    "close": begin_closing,
}
# The first question of each moderation button `dq:<question>.<action>`.
MODERATION_QUESTIONS = {"acc": "s.q.unit", "merge": "s.q.merge", "rej": "s.q.reason"}
