"""Đối thoại: the officer sets the time and place of a dialogue with a complainant, who gets the
invitation; a reminder goes out the day before (LKN Art. 30, 38)."""

from __future__ import annotations

from datetime import datetime

from bot.conversation import Context, ask
from bot.core import Reply
from bot.domain.workflow import Action
from bot.i18n import N_, Translator
from bot.ports import OfficerView
from bot.services.casework import DialogueScheduled, schedule_dialogue
from handlers.officer.actions import ACTIONS, Finished, OfficerAction, Question, finish
from handlers.officer.base import Answers, pending, pending_cancelled, router, typed_words
from handlers.staff import cancel_row, example_time, parse_local_datetime

MAX_PLACE_CHARS = 300


async def prompt_time(ctx: Context) -> None:
    """Asks when the dialogue is held."""
    ctx.reply(ctx.t("officer.dialogue.ask_time", example=example_time(ctx.now)), cancel_row(ctx))


async def take_time(ctx: Context) -> None:
    """The date and time, typed as dd/mm/yyyy hh:mm, in Vietnam's time, in the future."""
    if await pending_cancelled(ctx):
        return
    when = parse_local_datetime(ctx.incoming.text or "")
    if when is None or when <= ctx.now:
        ctx.reply(ctx.t("officer.dialogue.time_invalid", example=example_time(ctx.now)))
        return
    pending(ctx)["at"] = when.isoformat()
    await ask(router, ctx, PLACE.state)


async def prompt_place(ctx: Context) -> None:
    """Asks where the dialogue is held."""
    ctx.reply(ctx.t("officer.dialogue.ask_place"), cancel_row(ctx))


async def take_place(ctx: Context) -> None:
    """Where the dialogue is held: with the time, it is scheduled."""
    if await pending_cancelled(ctx):
        return
    place = typed_words(ctx, MAX_PLACE_CHARS, N_("officer.dialogue.place_invalid"))
    if place is not None:
        await finish(ctx, Answers(text=place))


PLACE = Question("w.dialogue.place", prompt_place, take_place)


async def schedule(ctx: Context, officer: OfficerView, answers: Answers) -> DialogueScheduled:
    """The service refuses a time already past."""
    at, place = datetime.fromisoformat(answers.get("at", "")), answers.get("text", "")
    return await schedule_dialogue(
        ctx.store, ctx.env, answers["petition"], officer, at, place, ctx.now
    )


def scheduled(finished: Finished[DialogueScheduled]) -> str:
    """For the officer: when and where, as the complainant reads it."""
    held, t = finished.done, finished.ctx.t
    return t(
        "officer.dialogue.scheduled", code=finished.code, time=t.datetime(held.at), place=held.place
    )


def invitation(t: Translator, finished: Finished[DialogueScheduled]) -> Reply:
    """The complainant's invitation."""
    held = finished.done
    return Reply(
        t("citizen.dialogue", code=finished.code, time=t.datetime(held.at), place=held.place)
    )


HOLD_DIALOGUE = ACTIONS.declare(
    OfficerAction(
        Action.HOLD_DIALOGUE,
        N_("officer.action.dialogue"),
        questions=(Question("w.dialogue.when", prompt_time, take_time), PLACE),
        service=schedule,
        said=scheduled,
        citizen=invitation,
    )
)
