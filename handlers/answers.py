"""The citizen answers an officer's question in the same chat, with words, photos or papers."""

from __future__ import annotations

import dataclasses
from typing import Any

from bot.conversation import Context, Router, ask
from bot.core import Button, FileRef, Kind, Reply
from bot.domain.petition import MAX_CONTENT_CHARS, PetitionState
from bot.domain.workflow import TransitionRefused
from bot.services.workflow import NotAllowed, rate_answer, record_citizen_answer
from handlers.common import require_consent, show_menu

router = Router()


def answer_of(ctx: Context) -> dict[str, Any]:
    """The answer being written, kept in the conversation."""
    value: dict[str, Any] = ctx.conv.data.setdefault("answer", {"texts": [], "files": []})
    return value


@router.global_button("ca")
async def start_answer(ctx: Context) -> None:
    """«Trả lời» under an officer's question: only the petition's own filer may answer."""
    if not await require_consent(ctx):
        return
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    choice = ctx.choice or ""
    petition = await ctx.store.petition(int(choice)) if choice.isdigit() else None
    if petition is None or citizen is None or petition.citizen_id != citizen.id:
        ctx.reply(ctx.t("mine.not_yours"))
        return
    if petition.summary.state != PetitionState.WAITING_CITIZEN:
        ctx.reply(ctx.t("answer.not_waiting", code=petition.summary.code))
        return
    ctx.conv.data["answer"] = {"petition": petition.summary.id, "texts": [], "files": []}
    await ask(router, ctx, "c.answer")


async def prompt_answer(ctx: Context) -> None:
    """Asks for the answer: text, photos, documents or voice, then Send."""
    ctx.reply(
        ctx.t("answer.ask"),
        [ctx.button(ctx.t("answer.send"), "send")],
        [ctx.button(ctx.t("nav.cancel"), "cancel")],
    )


@router.state("c.answer", prompt_answer)
async def take_answer(ctx: Context) -> None:
    """Collects the answer; Send delivers it to the officer."""
    answer = answer_of(ctx)
    incoming = ctx.incoming
    if ctx.choice == "cancel":
        ctx.conv.data.pop("answer", None)
        await show_menu(ctx, ctx.t("answer.cancelled"))
    elif ctx.choice == "send":
        await send_answer(ctx, answer)
    elif incoming.kind is Kind.TEXT and incoming.text:
        if sum(len(part) for part in answer["texts"]) + len(incoming.text) > MAX_CONTENT_CHARS:
            ctx.reply(ctx.t("answer.too_long", limit=MAX_CONTENT_CHARS))
            return
        answer["texts"].append(incoming.text.strip())
        await prompt_noted(ctx)
    elif incoming.kind is Kind.FILE and incoming.file:
        answer["files"].append(dataclasses.asdict(incoming.file))
        if incoming.text:
            answer["texts"].append(incoming.text.strip())
        await prompt_noted(ctx)
    else:
        ctx.reply(ctx.t("input.unsupported"))


async def prompt_noted(ctx: Context) -> None:
    ctx.reply(
        ctx.t("answer.noted"),
        [ctx.button(ctx.t("answer.send"), "send")],
        [ctx.button(ctx.t("nav.cancel"), "cancel")],
    )


async def send_answer(ctx: Context, answer: dict[str, Any]) -> None:
    """Attach the answer to the petition and tell its officer."""
    text = "\n".join(answer["texts"]).strip()
    if not text and not answer["files"]:
        ctx.reply(ctx.t("answer.empty"))
        return
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    ctx.conv.data.pop("answer", None)
    try:
        answered = await record_citizen_answer(
            ctx.store,
            int(answer.get("petition", 0)),
            citizen.id if citizen else 0,
            ctx.incoming.channel,
            text,
            tuple(FileRef(**item) for item in answer["files"]),
            ctx.now,
        )
    except (NotAllowed, TransitionRefused):
        await show_menu(ctx, ctx.t("answer.not_waiting", code=""))
        return
    code = answered.petition.summary.code
    await show_menu(ctx, ctx.t("answer.sent", code=code))
    if answered.assignee is not None:
        for chat in await ctx.store.officer_chats(answered.assignee.id):
            await ctx.notify(
                chat,
                lambda t: Reply(
                    t(
                        "officer.answer_received",
                        code=code,
                        text=text or "—",
                        files=len(answer["files"]),
                    ),
                    ((Button(t("officer.open"), f"op:{answered.petition.summary.id}"),),),
                ),
            )


@router.global_button("cr")
async def rate(ctx: Context) -> None:
    """The citizen rates the answer (1-5), once, on their own petition."""
    citizen = await ctx.store.citizen(ctx.incoming.channel, ctx.incoming.chat_id)
    petition_id, _, score = (ctx.choice or "").partition(".")
    if citizen is None or not petition_id.isdigit() or not score.isdigit():
        ctx.reply(ctx.t("input.unknown_button"))
        return
    try:
        await rate_answer(ctx.store, int(petition_id), citizen.id, int(score), ctx.now)
    except NotAllowed:
        ctx.reply(ctx.t("rating.refused"))
        return
    ctx.reply(ctx.t("rating.thanks"))
