"""Phân loại: change what a petition is (kind and instance only before acceptance), its field,
the remote-area mark, the complexity or the group; every date the change moves is moved, and the
citizen is told when something they read on the receipt changed."""

from __future__ import annotations

import dataclasses

from bot.conversation import Context, Handler, ask, number_in
from bot.core import Kind, Reply
from bot.domain.petition import Case, PetitionKind, PetitionState
from bot.domain.workflow import Action
from bot.i18n import N_, Translator
from bot.labels import KIND_LABELS, kind_label, rule_label
from bot.ports import OfficerView, PetitionDetail
from bot.services.casework import Reclassified, reclassify
from handlers.common import show_menu
from handlers.officer.actions import ACTIONS, Finished, OfficerAction, Question, finish
from handlers.officer.base import (
    COMPLEXITY_LABELS,
    Answers,
    pending_cancelled,
    router,
    the_petition,
)
from handlers.staff import cancel_row

REMOTE_TOGGLE = {
    False: N_("officer.classify.remote_on"),
    True: N_("officer.classify.remote_off"),
}
COMPLEXITY_CHOICES = {"normal": N_("officer.classify.normal"), **COMPLEXITY_LABELS}
ASPECTS = {"kind", "instance", "field", "remote", "complexity", "group"}


async def prompt_aspect(ctx: Context) -> None:
    """What to change: the kind and instance only before acceptance."""
    petition = await the_petition(ctx)
    if petition is None:
        await show_menu(ctx, ctx.t("officer.action.not_possible"))
        return
    t = ctx.t
    case = petition.case
    rows = []
    if petition.summary.state == PetitionState.RECEIVED:
        rows.append([ctx.button(t("officer.classify.kind"), "kind")])
        if petition.summary.kind == PetitionKind.COMPLAINT:
            label = t("officer.classify.instance", instance=2 if case.instance == 1 else 1)
            rows.append([ctx.button(label, "instance")])
    rows += [
        [ctx.button(t("officer.classify.field"), "field")],
        [ctx.button(t(REMOTE_TOGGLE[case.remote_area]), "remote")],
        [ctx.button(t("officer.classify.complexity"), "complexity")],
        [ctx.button(t("officer.classify.group"), "group")],
        cancel_row(ctx),
    ]
    ctx.reply(t("officer.classify.ask", code=petition.summary.code), *rows)


async def take_aspect(ctx: Context) -> None:
    """Toggles apply at once; the others ask for the new value."""
    if await pending_cancelled(ctx):
        return
    petition = await the_petition(ctx)
    aspect = ctx.choice or ""
    if petition is None or aspect not in ASPECTS:
        ctx.reply(ctx.t("input.press_a_button"))
        await prompt_aspect(ctx)
        return
    case = petition.case
    if aspect == "instance":
        await apply(ctx, petition, case=dataclasses.replace(case, instance=3 - case.instance))
    elif aspect == "remote":
        await apply(ctx, petition, case=dataclasses.replace(case, remote_area=not case.remote_area))
    else:
        await ask(router, ctx, f"w.classify.{aspect}")


async def apply(
    ctx: Context,
    petition: PetitionDetail,
    *,
    kind: str | None = None,
    field: str | None = None,
    case: Case | None = None,
) -> None:
    """One aspect changed; the others stay as they are."""
    summary = petition.summary
    changed = Answers(
        kind=kind or summary.kind, field=field or summary.field, case=case or petition.case
    )
    await finish(ctx, changed)


async def prompt_kind(ctx: Context) -> None:
    """Asks for the new kind."""
    rows = [[ctx.button(ctx.t(label), code)] for code, label in KIND_LABELS.items()]
    ctx.reply(ctx.t("officer.classify.ask_kind"), *rows, cancel_row(ctx))


async def take_kind(ctx: Context) -> None:
    """The new kind, applied."""
    await take_choice(ctx, set(KIND_LABELS), "kind", prompt_kind)


async def prompt_field(ctx: Context) -> None:
    """Asks for the new field."""
    rows = [[ctx.button(ctx.t(item.label), item.code)] for item in ctx.env.org.fields]
    ctx.reply(ctx.t("officer.classify.ask_field"), *rows, cancel_row(ctx))


async def take_field(ctx: Context) -> None:
    """The new field, applied."""
    fields = {item.code for item in ctx.env.org.fields}
    await take_choice(ctx, fields, "field", prompt_field)


async def prompt_complexity(ctx: Context) -> None:
    """Asks how complex the case is."""
    rows = [[ctx.button(ctx.t(label), code)] for code, label in COMPLEXITY_CHOICES.items()]
    ctx.reply(ctx.t("officer.classify.ask_complexity"), *rows, cancel_row(ctx))


async def take_complexity(ctx: Context) -> None:
    """The new complexity, applied."""
    await take_choice(ctx, set(COMPLEXITY_CHOICES), "complexity", prompt_complexity)


async def take_choice(ctx: Context, choices: set[str], aspect: str, prompt: Handler) -> None:
    """A pressed value of one aspect, applied."""
    if await pending_cancelled(ctx):
        return
    petition = await the_petition(ctx)
    if petition is None or ctx.choice not in choices:
        ctx.reply(ctx.t("input.press_a_button"))
        await prompt(ctx)
        return
    value = ctx.choice
    if aspect == "kind":
        await apply(ctx, petition, kind=value)
    elif aspect == "field":
        await apply(ctx, petition, field=value)
    else:
        case = dataclasses.replace(
            petition.case,
            complex=value == "complex",
            especially_complex=value == "especially_complex",
        )
        await apply(ctx, petition, case=case)


async def prompt_group(ctx: Context) -> None:
    """Asks how many people the petition is for, and how many represent them."""
    ctx.reply(ctx.t("officer.classify.ask_group"), cancel_row(ctx))


async def take_group(ctx: Context) -> None:
    """«12 3»: twelve people, three representatives; «1» for one person."""
    if await pending_cancelled(ctx):
        return
    words = (ctx.incoming.text or "").replace(",", " ").split()
    numbers = [n for n in map(number_in, words) if n is not None]
    valid = (
        ctx.incoming.kind is Kind.TEXT
        and 1 <= len(words) <= 2
        and len(numbers) == len(words)  # "²" or "١٢" are no count
        and 1 <= numbers[0] <= 10_000
        and (len(numbers) == 1 or numbers[1] <= numbers[0])
    )
    petition = await the_petition(ctx)
    if not valid or petition is None:
        ctx.reply(ctx.t("officer.classify.group_invalid"))
        return
    people = numbers[0]
    representatives = numbers[1] if len(numbers) == 2 else 0
    case = dataclasses.replace(petition.case, group_size=people, representatives=representatives)
    await apply(ctx, petition, case=case)


async def classify(ctx: Context, officer: OfficerView, answers: Answers) -> Reclassified:
    """The new classification; the citizen hears of it only when something on their receipt
    (the kind, the field, a date) changed."""
    done = await reclassify(
        ctx.store,
        ctx.env,
        answers["petition"],
        officer,
        answers["kind"],
        answers["field"],
        answers["case"],
        ctx.now,
    )
    return done if done.citizen_should_know else dataclasses.replace(done, citizen=None)


def classified(finished: Finished[Reclassified]) -> str:
    """For the officer: the new classification and any date it moved."""
    t = finished.ctx.t
    return "\n".join([t("officer.classified", code=finished.code), *moved_lines(t, finished)])


def citizen_classified(t: Translator, finished: Finished[Reclassified]) -> Reply:
    """For the citizen: what their petition now is, and the dates that count."""
    done = finished.done
    field = finished.ctx.env.org.field(done.field)
    now_is = t(
        "citizen.classified",
        code=finished.code,
        kind=kind_label(t, done.kind),
        field=t(field.label) if field else done.field,
    )
    return Reply("\n".join([now_is, *moved_lines(t, finished)]))


def moved_lines(t: Translator, finished: Finished[Reclassified]) -> list[str]:
    """One line per deadline that has a new date."""
    return [
        t("officer.deadline", what=rule_label(t, d.rule_id), date=t.date(d.due_date))
        for d in finished.done.moved
    ]


CLASSIFY = ACTIONS.declare(
    OfficerAction(
        Action.CLASSIFY,
        N_("officer.action.classify"),
        questions=(
            Question("w.classify", prompt_aspect, take_aspect),
            Question("w.classify.kind", prompt_kind, take_kind),
            Question("w.classify.field", prompt_field, take_field),
            Question("w.classify.complexity", prompt_complexity, take_complexity),
            Question("w.classify.group", prompt_group, take_group),
        ),
        service=classify,
        said=classified,
        citizen=citizen_classified,
    )
)
