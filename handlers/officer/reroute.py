"""Chuyển đơn trong hệ thống: another unit of the system takes the petition over; its officer
(chosen as at filing) and the citizen are told."""

from __future__ import annotations

from bot.conversation import Context, ask
from bot.core import Reply
from bot.domain.workflow import Action
from bot.i18n import N_, Translator
from bot.ports import OfficerView
from bot.services.workflow import Rerouted, reroute_petition
from handlers.officer.actions import ACTIONS, Finished, OfficerAction, Question, opening
from handlers.officer.base import Answers, pending, pending_cancelled, router, the_petition
from handlers.officer.kinds import confirm_question
from handlers.picker import Option, page_rows, picked, with_page_hint
from handlers.staff import cancel_row


async def targets(ctx: Context) -> list[Option]:
    """The units of the system that could take the petition over: all but its own."""
    petition = await the_petition(ctx)
    current = petition.unit if petition else ""
    return [Option(u.code, u.name) for u in ctx.env.org.units.values() if u.code != current]


async def prompt_target(ctx: Context) -> None:
    """Asks which unit of the system should handle the petition instead (a page, or its name)."""
    units = await targets(ctx)
    question = with_page_hint(ctx, ctx.t("officer.forward.ask_target"), len(units))
    ctx.reply(question, *page_rows(ctx, units, per_row=1), cancel_row(ctx))


async def take_target(ctx: Context) -> None:
    """Sends the petition to the unit chosen by its button or its typed name."""
    if await pending_cancelled(ctx):
        return
    target = await picked(ctx, await targets(ctx), prompt_target)
    if target is not None:
        pending(ctx)["choice"] = target
        await ask(router, ctx, CONFIRM.state)


def target_words(ctx: Context, answers: Answers) -> dict[str, str]:
    """The unit chosen, named in the question that confirms it."""
    return {"unit": ctx.env.org.units[answers.get("choice", "")].name}


# Another unit takes the petition and its officer is told: asked once.
CONFIRM = confirm_question("o.forward.confirm", N_("officer.reroute.confirm"), target_words)


async def reroute(ctx: Context, officer: OfficerView, answers: Answers) -> Rerouted:
    """The new unit's officer is chosen by the service, as at filing."""
    return await reroute_petition(
        ctx.store, ctx.env, answers["petition"], officer, answers.get("choice", ""), ctx.now
    )


def unit_name(finished: Finished[Rerouted]) -> str:
    """The name of the unit the petition went to."""
    return finished.ctx.env.org.units[finished.done.unit].name


def rerouted(finished: Finished[Rerouted]) -> str:
    """For the officer: where the petition went."""
    return finished.ctx.t("officer.rerouted", code=finished.code, unit=unit_name(finished))


def citizen_rerouted(t: Translator, finished: Finished[Rerouted]) -> Reply:
    """For the citizen: which unit handles their petition now."""
    return Reply(t("citizen.rerouted", code=finished.code, unit=unit_name(finished)))


async def tell_new_officer(finished: Finished[Rerouted]) -> None:
    """The new officer learns a petition came to them, with a button to open it."""
    assignee, unit = finished.done.assignee, unit_name(finished)
    if assignee is None:
        return
    await finished.ctx.notify_officer(
        assignee.id,
        lambda t: opening(
            t, t("officer.rerouted_to_you", code=finished.code, unit=unit), finished.petition_id
        ),
    )


REROUTE = ACTIONS.declare(
    OfficerAction(
        Action.REROUTE,
        N_("officer.action.reroute"),
        questions=(Question("o.forward", prompt_target, take_target), CONFIRM),
        service=reroute,
        said=rerouted,
        citizen=citizen_rerouted,
        others=tell_new_officer,
    )
)
