"""Tiếp công dân: an officer records a citizen who came to the office (issue 3 §6).

kind of reception → who received → how many came → field → name → phone → what they said →
outcome (→ kind of petition and what it needs) → review → recorded. Every answer checks again on
the server that this chat belongs to an officer who receives citizens; Back and Cancel everywhere.
"""

from __future__ import annotations

import logging
import re
from dataclasses import dataclass

from bot.buttons import NewReception
from bot.conversation import Context, Router
from bot.domain.petition import MAX_NAME_CHARS, normalise_phone
from bot.domain.reception import (
    MAX_GROUP_SIZE,
    MAX_SUMMARY_CHARS,
    MIN_SUMMARY_CHARS,
    ReceptionKind,
    ReceptionOutcome,
    is_group,
)
from bot.flow import Flow, nav_buttons
from bot.i18n import N_
from bot.labels import kind_label
from bot.services.reception import Recorded, Visit, record_reception
from bot.services.workflow import NotAllowed
from handlers.callbacks import on
from handlers.common import show_menu
from handlers.filer import FilerSteps, field_options
from handlers.filing import deadline_lines, tell_assignee
from handlers.picker import typed_text
from handlers.staff import receiving_officer
from handlers.steps import Keep, choose, labelled, pressed, within, write

log = logging.getLogger(__name__)

router = Router()

NOT_RECEIVING = N_("reception.not_allowed")
RECEPTION_KIND_LABELS = {
    ReceptionKind.REGULAR: N_("reception.kind.regular"),
    ReceptionKind.SCHEDULED: N_("reception.kind.scheduled"),
    ReceptionKind.UNSCHEDULED: N_("reception.kind.unscheduled"),
}
RECEIVER_LABELS = {
    "head": N_("reception.receiver.head"),
    "delegated": N_("reception.receiver.delegated"),
}
OUTCOME_LABELS = {
    ReceptionOutcome.GUIDED: N_("reception.outcome.guided"),
    ReceptionOutcome.EXPLAINED: N_("reception.outcome.explained"),
    ReceptionOutcome.PETITION: N_("reception.outcome.petition"),
}
SMALL_VISITS = ("1", "2", "3", "4")  # a button each; a group's size is typed
_COUNT = re.compile(r"[0-9]{1,4}")


@dataclass
class VisitNotes:
    """The visit being recorded, as far as the officer has got."""

    kind: str = ""
    receiver: str = ""
    group_size: int = 1
    field: str = ""
    name: str | None = None
    phone: str | None = None
    content: str = ""
    outcome: str = ""
    petition_kind: str | None = None
    accused: str | None = None
    address: str | None = None


async def receiving(ctx: Context) -> bool:
    """Whether this chat still belongs to an officer who receives citizens (else refused)."""
    return await receiving_officer(ctx, NOT_RECEIVING) is not None


async def leave(ctx: Context, text: str | None) -> None:
    """Back to the officer's menu; nothing is recorded until the review's Confirm."""
    await show_menu(ctx, text or ctx.t("reception.cancelled"))


FILER = FilerSteps("r.petition", "r.accused", "r.filer", "r.address", then="r.review")
RECEPTION = Flow(
    router,
    "reception",
    VisitNotes,
    {
        "r.kind": ("r.receiver",),
        "r.receiver": ("r.group",),
        "r.group": ("r.field",),
        "r.field": ("r.name",),
        "r.name": ("r.phone",),
        "r.phone": ("r.content",),
        "r.content": ("r.outcome",),
        "r.outcome": ("r.petition", "r.review"),
        **FILER.graph(),
        "r.review": (),
    },
    leave=leave,
    cancelled=N_("reception.cancelled"),
    allowed=receiving,
    title=N_("officer.menu.reception"),
)
FILER.register(RECEPTION)


@router.command("tiepdan")
async def reception_command(ctx: Context) -> None:
    """/tiepdan: record a citizen's visit."""
    await begin_reception(ctx)


@on(router, NewReception)
async def reception_button(ctx: Context, data: NewReception) -> None:
    """«Tiếp công dân» in the officer's menu."""
    await begin_reception(ctx)


async def begin_reception(ctx: Context) -> None:
    """Start recording a new visit, for officers who receive citizens."""
    if await receiving(ctx):
        await RECEPTION.start(ctx, VisitNotes(), "r.kind")


def keeping(attribute: str, then: str) -> Keep:
    """Keep the answer as the visit's `attribute` and ask `then`."""

    async def keep(ctx: Context, value: str) -> None:
        setattr(RECEPTION.draft(ctx), attribute, value)
        await RECEPTION.forward(ctx, then)

    return keep


choose(
    RECEPTION,
    "r.kind",
    N_("reception.ask_kind"),
    labelled(RECEPTION_KIND_LABELS),
    keeping("kind", "r.receiver"),
)
choose(
    RECEPTION,
    "r.receiver",
    N_("reception.ask_receiver"),
    labelled(RECEIVER_LABELS),
    keeping("receiver", "r.group"),
)


async def prompt_group(ctx: Context) -> None:
    """Asks how many came: a button for a few people, a typed number for a group."""
    ctx.reply(
        ctx.t("reception.ask_group"),
        [ctx.button(count, count) for count in SMALL_VISITS],
        [ctx.button(ctx.t("reception.group.many"), "many")],
        nav_buttons(ctx),
    )


@RECEPTION.step("r.group", prompt_group)
async def answer_group(ctx: Context) -> None:
    """Keeps the number of people; five or more is a group (đoàn đông người)."""
    if ctx.choice == "many":
        ctx.reply(ctx.t("reception.group.type_count"), nav_buttons(ctx))
        return
    count = typed_text(ctx) if ctx.choice is None else ctx.choice
    if not _COUNT.fullmatch(count) or not 1 <= int(count) <= MAX_GROUP_SIZE:
        ctx.aside(ctx.t("reception.group.invalid", limit=MAX_GROUP_SIZE))
        return
    RECEPTION.draft(ctx).group_size = int(count)
    await RECEPTION.forward(ctx, "r.field")


choose(
    RECEPTION,
    "r.field",
    N_("reception.ask_field"),
    field_options,
    keeping("field", "r.name"),
    per_row=2,
)


async def keep_name(ctx: Context, name: str) -> None:
    """The visitor's name, or none («skip»)."""
    RECEPTION.draft(ctx).name = name or None
    await RECEPTION.forward(ctx, "r.phone")


write(
    RECEPTION,
    "r.name",
    N_("reception.ask_name"),
    keep_name,
    check=within(2, MAX_NAME_CHARS, digits=False),
    invalid=lambda ctx: ctx.t("reception.name.invalid", limit=MAX_NAME_CHARS),
    skip=N_("reception.skip"),
)


async def keep_phone(ctx: Context, typed: str) -> None:
    """A Vietnamese phone number to tell the visitor the result, or none («skip»)."""
    RECEPTION.draft(ctx).phone = normalise_phone(typed) if typed else None
    await RECEPTION.forward(ctx, "r.content")


write(
    RECEPTION,
    "r.phone",
    N_("reception.ask_phone"),
    keep_phone,
    check=lambda typed: normalise_phone(typed) is not None,
    invalid=N_("reception.phone.invalid"),
    skip=N_("reception.skip"),
)
write(
    RECEPTION,
    "r.content",
    lambda ctx: ctx.t("reception.ask_content", min=MIN_SUMMARY_CHARS, max=MAX_SUMMARY_CHARS),
    keeping("content", "r.outcome"),
    check=within(MIN_SUMMARY_CHARS, MAX_SUMMARY_CHARS),
    invalid=lambda ctx: ctx.t(
        "reception.content.invalid", min=MIN_SUMMARY_CHARS, max=MAX_SUMMARY_CHARS
    ),
)


async def keep_outcome(ctx: Context, outcome: str) -> None:
    """A petition needs its kind next; the rest go to the review."""
    RECEPTION.draft(ctx).outcome = outcome
    await RECEPTION.forward(ctx, FILER.kind if outcome == ReceptionOutcome.PETITION else "r.review")


choose(RECEPTION, "r.outcome", N_("reception.ask_outcome"), labelled(OUTCOME_LABELS), keep_outcome)


async def prompt_review(ctx: Context) -> None:
    """Shows the visit once more before it is recorded."""
    ctx.reply(
        review_text(ctx, RECEPTION.draft(ctx)),
        [ctx.button(ctx.t("reception.confirm"), "confirm")],
        nav_buttons(ctx),
    )


def review_text(ctx: Context, visit: VisitNotes) -> str:
    """The visit as it will be recorded; a petition adds its kind and the filer's address."""
    t = ctx.t
    kind = RECEPTION_KIND_LABELS[ReceptionKind(visit.kind)]
    receiver = RECEIVER_LABELS[visit.receiver]
    count = visit.group_size
    people = N_("reception.people.group") if is_group(count) else N_("reception.people")
    field = ctx.env.org.field(visit.field)
    outcome, visitor = (
        [t(OUTCOME_LABELS[ReceptionOutcome(visit.outcome)])],
        [visit.name, visit.phone],
    )
    if visit.outcome == ReceptionOutcome.PETITION:
        outcome.append(kind_label(t, visit.petition_kind or ""))
        visitor.append(visit.address)
    return t(
        "reception.review",
        kind=t(kind),
        receiver=t(receiver),
        people=t(people, count=count),
        field=t(field.label) if field else visit.field,
        visitor=" · ".join(part for part in visitor if part) or t("reception.visitor.unnamed"),
        content=visit.content,
        outcome=" · ".join(outcome),
    )


@RECEPTION.step("r.review", prompt_review)
async def answer_review(ctx: Context) -> None:
    """Records the visit, files its petition when asked, and tells the petition's officer."""
    if not await pressed(ctx, "confirm", N_("reception.confirm"), prompt_review):
        return
    officer = await receiving_officer(ctx, NOT_RECEIVING)  # checked; the service needs who
    if officer is None:
        return
    visit = to_visit(RECEPTION.draft(ctx))
    RECEPTION.drop(ctx)
    try:
        recorded = await record_reception(ctx.store, ctx.env, officer, visit, ctx.now)
    except NotAllowed:
        log.warning("officer %s serves no People's Committee", officer.handle)
        await show_menu(ctx, ctx.t("reception.not_allowed"))
        return
    log.info(
        "reception %s recorded for %s by %s", recorded.reception_id, recorded.unit, officer.handle
    )
    await show_menu(ctx, recorded_text(ctx, recorded))
    if recorded.petition is not None:
        await tell_assignee(ctx, recorded.petition.filed, recorded.petition.draft)


def to_visit(visit: VisitNotes) -> Visit:
    """The conversation's record as the reception service takes it."""
    petition = visit.outcome == ReceptionOutcome.PETITION
    return Visit(
        kind=visit.kind,
        head_in_person=visit.receiver == "head",
        group_size=visit.group_size,
        field=visit.field,
        content=visit.content,
        outcome=visit.outcome,
        visitor_name=visit.name,
        visitor_phone=visit.phone,
        visitor_address=visit.address if petition else None,
        petition_kind=visit.petition_kind if petition else None,
        accused=visit.accused if petition else None,
    )


def recorded_text(ctx: Context, recorded: Recorded) -> str:
    """The confirmation; with a petition, its code and dates to write on the visitor's receipt."""
    t = ctx.t
    lines = [t("reception.recorded", at=t.datetime(ctx.now))]
    if recorded.petition is not None:
        filed = recorded.petition.filed
        lines.append(
            t(
                "reception.recorded.petition",
                code=filed.code,
                kind=kind_label(t, recorded.petition.draft.kind),
                unit=ctx.env.org.units[filed.unit].name,
            )
        )
        lines.extend(deadline_lines(ctx, filed))
        lines.append(t("reception.recorded.hand_over"))
    return "\n".join(lines)
