"""Tiếp công dân: an officer records a citizen who came to the office (issue 3 §6).

kind of reception → who received → how many came → field → name → phone → what they said →
outcome (→ kind of petition and what it needs) → review → recorded. Every answer checks again on
the server that this chat belongs to an officer who receives citizens; Back and Cancel everywhere.
"""

from __future__ import annotations

import functools
import logging
import re
from collections.abc import Callable, Collection
from typing import Any

from bot.conversation import Context, Handler, Router, ask
from bot.core import Button, Kind
from bot.domain.petition import (
    IDENTITY_NEEDS,
    MAX_ADDRESS_CHARS,
    MAX_NAME_CHARS,
    PetitionKind,
    normalise_phone,
)
from bot.domain.reception import (
    MAX_GROUP_SIZE,
    MAX_SUMMARY_CHARS,
    MIN_SUMMARY_CHARS,
    ReceptionKind,
    ReceptionOutcome,
    is_group,
)
from bot.domain.routing import ACCUSED_LEVELS
from bot.i18n import N_
from bot.labels import KIND_EXPLANATIONS, kind_label
from bot.services.reception import Recorded, Visit, record_reception
from bot.services.workflow import NotAllowed
from handlers.common import forged_button, show_menu
from handlers.filing import deadline_lines, nav_row, not_a_choice, tell_assignee
from handlers.staff import receiving_officer

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
ACCUSED_LABELS = {
    "staff": N_("filing.accused.staff"),
    "leader": N_("filing.accused.leader"),
    "other": N_("filing.accused.other"),
}
SMALL_VISITS = ("1", "2", "3", "4")  # a button each; a group's size is typed
_COUNT = re.compile(r"[0-9]{1,4}")


def visit_of(ctx: Context) -> dict[str, Any]:
    """The visit being recorded, kept in the conversation."""
    visit: dict[str, Any] = ctx.conv.data.setdefault("reception", {"trail": []})
    return visit


def question(state: str, prompt: Handler) -> Callable[[Handler], Handler]:
    """Register a question whose answers first re-check the officer, then Back and Cancel."""

    def register(answer: Handler) -> Handler:
        @functools.wraps(answer)
        async def checked(ctx: Context) -> None:
            if await receiving_officer(ctx, NOT_RECEIVING) is None:
                ctx.conv.data.pop("reception", None)
                ctx.goto("")
            elif not await navigated(ctx):
                await answer(ctx)

        return router.state(state, prompt)(checked)

    return register


async def forward(ctx: Context, state: str) -> None:
    """Ask the next question, remembering this one for Back."""
    visit_of(ctx)["trail"].append(ctx.conv.state)
    await ask(router, ctx, state)


async def navigated(ctx: Context) -> bool:
    """Back goes to the previous question, Cancel drops the visit; True when one was pressed.

    Back from the first question cancels too: nothing is recorded until the review's Confirm.
    """
    if ctx.choice not in {"back", "cancel"}:
        return False
    trail = visit_of(ctx)["trail"]
    previous = trail.pop() if ctx.choice == "back" and trail else ""
    if previous in router.states:
        await ask(router, ctx, previous)
    else:
        ctx.conv.data.pop("reception", None)
        await show_menu(ctx, ctx.t("reception.cancelled"))
    return True


async def keep_choice(
    ctx: Context, key: str, choices: Collection[str], prompt: Handler, next_state: str
) -> None:
    """Keep a pressed choice and ask the next question, or ask this one again."""
    if ctx.choice not in choices:
        await not_a_choice(ctx, prompt)
        return
    visit_of(ctx)[key] = ctx.choice
    await forward(ctx, next_state)


def typed_text(ctx: Context) -> str:
    """The message's words on one line, or nothing when it was not a text."""
    return " ".join((ctx.incoming.text or "").split()) if ctx.incoming.kind is Kind.TEXT else ""


@router.command("tiepdan")
async def reception_command(ctx: Context) -> None:
    """/tiepdan: record a citizen's visit."""
    await begin_reception(ctx)


@router.global_button("rc")
async def reception_button(ctx: Context) -> None:
    """«Tiếp công dân» in the officer's menu; other data under this prefix was never made."""
    if ctx.choice == "new":
        await begin_reception(ctx)
    else:
        await forged_button(ctx)


async def begin_reception(ctx: Context) -> None:
    """Start recording a new visit, for officers who receive citizens."""
    if await receiving_officer(ctx, NOT_RECEIVING) is None:
        return
    ctx.conv.data["reception"] = {"trail": []}
    ctx.conv.state = ""
    await forward(ctx, "r.kind")


async def prompt_kind(ctx: Context) -> None:
    """Asks which reception the visit belongs to, as the reception form counts them."""
    rows = [[ctx.button(ctx.t(label), kind)] for kind, label in RECEPTION_KIND_LABELS.items()]
    ctx.reply(ctx.t("reception.ask_kind"), *rows, nav_row(ctx))


@question("r.kind", prompt_kind)
async def answer_kind(ctx: Context) -> None:
    """Keeps the kind of reception and asks who received the citizen."""
    await keep_choice(ctx, "kind", RECEPTION_KIND_LABELS, prompt_kind, "r.receiver")


async def prompt_receiver(ctx: Context) -> None:
    """Asks whether the head received in person or someone on their behalf."""
    rows = [[ctx.button(ctx.t(label), code)] for code, label in RECEIVER_LABELS.items()]
    ctx.reply(ctx.t("reception.ask_receiver"), *rows, nav_row(ctx))


@question("r.receiver", prompt_receiver)
async def answer_receiver(ctx: Context) -> None:
    """Keeps who received and asks how many people came."""
    await keep_choice(ctx, "receiver", RECEIVER_LABELS, prompt_receiver, "r.group")


async def prompt_group(ctx: Context) -> None:
    """Asks how many came: a button for a few people, a typed number for a group."""
    ctx.reply(
        ctx.t("reception.ask_group"),
        [ctx.button(count, count) for count in SMALL_VISITS],
        [ctx.button(ctx.t("reception.group.many"), "many")],
        nav_row(ctx),
    )


@question("r.group", prompt_group)
async def answer_group(ctx: Context) -> None:
    """Keeps the number of people; five or more is a group (đoàn đông người)."""
    if ctx.choice == "many":
        ctx.reply(ctx.t("reception.group.type_count"), nav_row(ctx))
        return
    count = typed_text(ctx) if ctx.choice is None else ctx.choice
    if not _COUNT.fullmatch(count) or not 1 <= int(count) <= MAX_GROUP_SIZE:
        ctx.reply(ctx.t("reception.group.invalid", limit=MAX_GROUP_SIZE))
        await prompt_group(ctx)
        return
    visit_of(ctx)["group_size"] = int(count)
    await forward(ctx, "r.field")


async def prompt_field(ctx: Context) -> None:
    """Asks what the matter is about, two fields a row."""
    buttons = [ctx.button(ctx.t(item.label), item.code) for item in ctx.env.org.fields]
    rows = [buttons[i : i + 2] for i in range(0, len(buttons), 2)]
    ctx.reply(ctx.t("reception.ask_field"), *rows, nav_row(ctx))


@question("r.field", prompt_field)
async def answer_field(ctx: Context) -> None:
    """Keeps the field and asks the visitor's name."""
    fields = {item.code for item in ctx.env.org.fields}
    await keep_choice(ctx, "field", fields, prompt_field, "r.name")


def skip_row(ctx: Context) -> list[Button]:
    """A Skip button, for what a visitor may keep to themselves."""
    return [ctx.button(ctx.t("reception.skip"), "skip")]


async def prompt_name(ctx: Context) -> None:
    """Asks the visitor's name, which they need not give."""
    ctx.reply(ctx.t("reception.ask_name"), skip_row(ctx), nav_row(ctx))


@question("r.name", prompt_name)
async def answer_name(ctx: Context) -> None:
    """Keeps the name (or none) and asks the phone."""
    if ctx.choice == "skip":
        visit_of(ctx)["name"] = None
        await forward(ctx, "r.phone")
    elif kept_name(ctx):
        await forward(ctx, "r.phone")


def kept_name(ctx: Context) -> bool:
    """Keep a plausible full name; otherwise say what is expected."""
    name = typed_text(ctx)
    if not 2 <= len(name) <= MAX_NAME_CHARS or any(ch.isdigit() for ch in name):
        ctx.reply(ctx.t("reception.name.invalid", limit=MAX_NAME_CHARS))
        return False
    visit_of(ctx)["name"] = name
    return True


async def prompt_phone(ctx: Context) -> None:
    """Asks the visitor's phone, to tell them the result; optional."""
    ctx.reply(ctx.t("reception.ask_phone"), skip_row(ctx), nav_row(ctx))


@question("r.phone", prompt_phone)
async def answer_phone(ctx: Context) -> None:
    """Keeps a Vietnamese phone number (or none) and asks what the visitor said."""
    phone = None if ctx.choice == "skip" else normalise_phone(typed_text(ctx))
    if ctx.choice != "skip" and phone is None:
        ctx.reply(ctx.t("reception.phone.invalid"))
        return
    visit_of(ctx)["phone"] = phone
    await forward(ctx, "r.content")


async def prompt_content(ctx: Context) -> None:
    """Asks for the matter in the officer's words."""
    ctx.reply(
        ctx.t("reception.ask_content", min=MIN_SUMMARY_CHARS, max=MAX_SUMMARY_CHARS),
        nav_row(ctx),
    )


@question("r.content", prompt_content)
async def answer_content(ctx: Context) -> None:
    """Keeps the summary and asks how the visit ended."""
    content = (ctx.incoming.text or "").strip() if ctx.incoming.kind is Kind.TEXT else ""
    if not MIN_SUMMARY_CHARS <= len(content) <= MAX_SUMMARY_CHARS:
        ctx.reply(ctx.t("reception.content.invalid", min=MIN_SUMMARY_CHARS, max=MAX_SUMMARY_CHARS))
        return
    visit_of(ctx)["content"] = content
    await forward(ctx, "r.outcome")


async def prompt_outcome(ctx: Context) -> None:
    """Asks how the visit ended."""
    rows = [[ctx.button(ctx.t(label), code)] for code, label in OUTCOME_LABELS.items()]
    ctx.reply(ctx.t("reception.ask_outcome"), *rows, nav_row(ctx))


@question("r.outcome", prompt_outcome)
async def answer_outcome(ctx: Context) -> None:
    """Keeps the outcome; a petition needs its kind next, the rest go to the review."""
    next_state = "r.petition" if ctx.choice == ReceptionOutcome.PETITION else "r.review"
    await keep_choice(ctx, "outcome", OUTCOME_LABELS, prompt_outcome, next_state)


async def prompt_petition_kind(ctx: Context) -> None:
    """Asks which kind of petition to write down."""
    rows = [[ctx.button(kind_label(ctx.t, kind), kind)] for kind in KIND_EXPLANATIONS]
    ctx.reply(ctx.t("reception.ask_petition_kind"), *rows, nav_row(ctx))


@question("r.petition", prompt_petition_kind)
async def answer_petition_kind(ctx: Context) -> None:
    """Keeps the kind; a denunciation asks whom it is about, so it never reaches them."""
    if ctx.choice not in KIND_EXPLANATIONS:
        await not_a_choice(ctx, prompt_petition_kind)
        return
    visit_of(ctx)["petition_kind"] = ctx.choice
    if ctx.choice == PetitionKind.DENUNCIATION:
        await forward(ctx, "r.accused")
    else:
        await ask_what_the_petition_needs(ctx)


async def prompt_accused(ctx: Context) -> None:
    """Asks whom the denunciation is about."""
    rows = [[ctx.button(ctx.t(label), code)] for code, label in ACCUSED_LABELS.items()]
    ctx.reply(ctx.t("filing.ask_accused"), *rows, nav_row(ctx))


@question("r.accused", prompt_accused)
async def answer_accused(ctx: Context) -> None:
    """Keeps who is denounced, then asks what the petition still needs."""
    if ctx.choice not in ACCUSED_LEVELS:
        await not_a_choice(ctx, prompt_accused)
        return
    visit_of(ctx)["accused"] = ctx.choice
    await ask_what_the_petition_needs(ctx)


async def ask_what_the_petition_needs(ctx: Context) -> None:
    """A petition carries its filer's name, and an address where the kind needs one."""
    visit = visit_of(ctx)
    needs = IDENTITY_NEEDS[PetitionKind(visit["petition_kind"])]
    if not visit.get("name"):
        await forward(ctx, "r.filer")
    elif needs.address_required and not visit.get("address"):
        await forward(ctx, "r.address")
    else:
        await forward(ctx, "r.review")


async def prompt_filer(ctx: Context) -> None:
    """Asks the name the petition is filed under; here it cannot be skipped."""
    ctx.reply(ctx.t("reception.ask_filer"), nav_row(ctx))


@question("r.filer", prompt_filer)
async def answer_filer(ctx: Context) -> None:
    """Keeps the filer's name and asks what else the petition needs."""
    if kept_name(ctx):
        await ask_what_the_petition_needs(ctx)


async def prompt_address(ctx: Context) -> None:
    """Asks the visitor's address, which a complaint or denunciation must carry."""
    ctx.reply(ctx.t("reception.ask_address"), nav_row(ctx))


@question("r.address", prompt_address)
async def answer_address(ctx: Context) -> None:
    """Keeps the address and shows the review."""
    address = typed_text(ctx)
    if not 3 <= len(address) <= MAX_ADDRESS_CHARS:
        ctx.reply(ctx.t("reception.address.invalid", limit=MAX_ADDRESS_CHARS))
        return
    visit_of(ctx)["address"] = address
    await forward(ctx, "r.review")


async def prompt_review(ctx: Context) -> None:
    """Shows the visit once more before it is recorded."""
    ctx.reply(
        review_text(ctx, visit_of(ctx)),
        [ctx.button(ctx.t("reception.confirm"), "confirm")],
        nav_row(ctx),
    )


def review_text(ctx: Context, visit: dict[str, Any]) -> str:
    """The visit as it will be recorded; a petition adds its kind and the filer's address."""
    t = ctx.t
    kind, receiver = RECEPTION_KIND_LABELS[visit["kind"]], RECEIVER_LABELS[visit["receiver"]]
    count = visit["group_size"]
    people = N_("reception.people.group") if is_group(count) else N_("reception.people")
    field = ctx.env.org.field(visit["field"])
    outcome_label = OUTCOME_LABELS[visit["outcome"]]
    outcome, visitor = [t(outcome_label)], [visit.get("name"), visit.get("phone")]
    if visit["outcome"] == ReceptionOutcome.PETITION:
        outcome.append(kind_label(t, visit["petition_kind"]))
        visitor.append(visit.get("address"))
    return t(
        "reception.review",
        kind=t(kind),
        receiver=t(receiver),
        people=t(people, count=count),
        field=t(field.label) if field else visit["field"],
        visitor=" · ".join(part for part in visitor if part) or t("reception.visitor.unnamed"),
        content=visit["content"],
        outcome=" · ".join(outcome),
    )


@question("r.review", prompt_review)
async def answer_review(ctx: Context) -> None:
    """Records the visit, files its petition when asked, and tells the petition's officer."""
    if ctx.choice != "confirm":
        await not_a_choice(ctx, prompt_review)
        return
    officer = await receiving_officer(
        ctx, NOT_RECEIVING
    )  # checked already; the service needs who it is
    if officer is None:
        return
    visit = to_visit(visit_of(ctx))
    ctx.conv.data.pop("reception", None)
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


def to_visit(visit: dict[str, Any]) -> Visit:
    """The conversation's record as the reception service takes it."""
    petition = visit["outcome"] == ReceptionOutcome.PETITION
    return Visit(
        kind=visit["kind"],
        head_in_person=visit["receiver"] == "head",
        group_size=visit["group_size"],
        field=visit["field"],
        content=visit["content"],
        outcome=visit["outcome"],
        visitor_name=visit.get("name"),
        visitor_phone=visit.get("phone"),
        visitor_address=visit.get("address") if petition else None,
        petition_kind=visit.get("petition_kind") if petition else None,
        accused=visit.get("accused") if petition else None,
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
