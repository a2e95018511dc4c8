"""Kinds of question several officer actions ask (words for the citizen, a message written in
parts, an officer to choose), and the kind of action that ends a petition with a note. Each
answer that ends the questions carries the action out."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from datetime import datetime
from typing import Literal

from bot.conversation import Context, ask
from bot.core import FileRef, Reply
from bot.domain.words import says_yes
from bot.domain.workflow import Action
from bot.environment import Environment
from bot.i18n import N_, Translator
from bot.ports import OfficerView, PetitionDetail, Store
from bot.services.workflow import Closed, end_with_note
from handlers.common import show_menu
from handlers.compose import Composer
from handlers.officer.actions import (
    Done,
    Finished,
    OfficerAction,
    Question,
    Service,
    finish,
    saying,
    with_reception,
)
from handlers.officer.base import (
    MIN_TEXT_CHARS,
    Answers,
    pending,
    pending_cancelled,
    router,
    the_petition,
    typed_words,
)
from handlers.staff import cancel_row

ChoiceKey = Literal["reason", "complexity", "outcome"]
Choices = Callable[[Context], Awaitable[Mapping[str, str]]]
Candidates = Callable[[Context, PetitionDetail], Awaitable[list[OfficerView]]]
WrittenService = Callable[
    [Store, Environment, int, OfficerView, str, tuple[FileRef, ...], str, datetime],
    Awaitable[Done],
]


def choice_question(
    state: str, key: ChoiceKey, question: str, choices: Choices, then: str
) -> Question:
    """Asks `question` with one button per choice (its code and the message id of its label),
    keeps the one pressed under `key` and asks the question `then`; with no choices to make,
    goes straight on to `then`."""

    async def prompt(ctx: Context) -> None:
        offered = await choices(ctx)
        if not offered:
            await ask(router, ctx, then)
            return
        rows = [[ctx.button(ctx.t(label), code)] for code, label in offered.items()]
        ctx.reply(ctx.t(question), *rows, cancel_row(ctx))

    async def answer(ctx: Context) -> None:
        if await pending_cancelled(ctx):
            return
        if ctx.choice is None or ctx.choice not in await choices(ctx):
            ctx.reply(ctx.t("input.press_a_button"))
            await prompt(ctx)
            return
        pending(ctx)[key] = ctx.choice
        await ask(router, ctx, then)

    return Question(state, prompt, answer)


def confirm_question(
    state: str, question: str, words: Callable[[Context, Answers], Mapping[str, str]] | None = None
) -> Question:
    """Asks once before an action that cannot be undone (`question`: a message id with the
    petition's `code` and `words`): «✅ Xác nhận», pressed or typed as yes, carries it out;
    Cancel leaves the petition as it was."""

    async def prompt(ctx: Context) -> None:
        petition = await the_petition(ctx)
        code = petition.summary.code if petition else ""
        more = words(ctx, pending(ctx)) if words else {}
        text = ctx.t(question, code=code, **more)
        ctx.reply(text, [ctx.button(ctx.t("officer.confirm.yes"), "yes")], cancel_row(ctx))

    async def answer(ctx: Context) -> None:
        if await pending_cancelled(ctx):
            return
        if ctx.choice == "yes" or says_yes(ctx.incoming.text or ""):
            await finish(ctx, Answers())
            return
        ctx.aside(ctx.t("officer.confirm.again"))

    return Question(state, prompt, answer)


def words_question(state: str, question: str) -> Question:
    """Asks `question` (a message id) for the words the citizen or a head will read: where to
    go, what to bring, why."""

    async def prompt(ctx: Context) -> None:
        ctx.reply(ctx.t(question), cancel_row(ctx))

    async def answer(ctx: Context) -> None:
        if await pending_cancelled(ctx):
            return
        words = typed_words(ctx)
        if words is not None:
            await finish(ctx, Answers(text=words))

    return Question(state, prompt, answer)


def written_question(state: str, composer: Composer, question: str) -> Question:
    """Asks `question` for a message in parts (text, photos, papers), sent with one press."""

    async def prompt(ctx: Context) -> None:
        ctx.reply(ctx.t(question), *composer.buttons(ctx))

    async def answer(ctx: Context) -> None:
        written = await composer.take_until_sent(ctx, N_("officer.pending.cancelled"))
        if written is None:
            return
        if len(written.text) < MIN_TEXT_CHARS:
            ctx.reply(ctx.t("officer.text.too_short"))
            await prompt(ctx)
            return
        await finish(ctx, Answers(text=written.text, files=written.files))

    return Question(state, prompt, answer)


def sending_written(service: WrittenService[Done]) -> Service[Done]:
    """A service that takes a written message: its text, its files, the channel they came by."""

    async def send(ctx: Context, officer: OfficerView, answers: Answers) -> Done:
        text, files = answers.get("text", ""), answers.get("files", ())
        petition_id, channel = answers["petition"], ctx.incoming.channel
        return await service(
            ctx.store, ctx.env, petition_id, officer, text, files, channel, ctx.now
        )

    return send


def officer_question(state: str, candidates: Candidates, question: str, nobody: str) -> Question:
    """Asks which officer, one button each (name and title); back to the menu saying `nobody`
    when there is none. The service checks the pressed one against its own list."""

    async def prompt(ctx: Context) -> None:
        petition = await the_petition(ctx)
        officers = await candidates(ctx, petition) if petition else []
        if not officers:
            ctx.conv.data.pop("pending", None)
            await show_menu(ctx, ctx.t(nobody))
            return
        rows = [[ctx.button(f"{o.name} · {o.title}", o.handle)] for o in officers]
        ctx.reply(ctx.t(question), *rows, cancel_row(ctx))

    async def answer(ctx: Context) -> None:
        if not await pending_cancelled(ctx):
            await finish(ctx, Answers(choice=ctx.choice or ""))

    return Question(state, prompt, answer)


def ending_with_note(
    step: Action, *, label: str, question: str, said: str, told: str
) -> OfficerAction[Closed]:
    """Hướng dẫn or chuyển đơn: the petition ends here, and the citizen reads where to take it
    in the officer's words (`told`, a message id with the code and the note)."""

    async def end(ctx: Context, officer: OfficerView, answers: Answers) -> Closed:
        petition_id, note = answers["petition"], answers.get("text", "")
        return await end_with_note(ctx.store, ctx.env, petition_id, officer, step, note, ctx.now)

    def citizen(t: Translator, finished: Finished[Closed]) -> Reply:
        text = t(told, code=finished.code, note=finished.answers.get("text", ""))
        return Reply(with_reception(t, finished, text))

    return OfficerAction(
        step,
        label,
        questions=(words_question(f"o.{step}.note", question),),
        service=end,
        said=saying(said),
        citizen=citizen,
    )
