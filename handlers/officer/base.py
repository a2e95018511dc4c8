"""What the officer's side shares: its router, the action being prepared in a chat, and the
words and labels more than one action uses.

Every question of every officer action lives on `router`, so that a card's button can ask the
first question of whichever action it starts.
"""

from __future__ import annotations

from typing import TypedDict, cast

from bot.conversation import Context, Router
from bot.core import FileRef, Kind
from bot.domain.petition import Case
from bot.i18n import N_
from bot.ports import PetitionDetail
from handlers.common import show_menu

router = Router()

MIN_TEXT_CHARS = 5
MAX_NOTE_CHARS = 1000

COMPLEXITY_LABELS = {
    "complex": N_("officer.extend.complex"),
    "especially_complex": N_("officer.extend.especially_complex"),
}


class Answers(TypedDict, total=False):
    """The action being prepared in an officer's chat, and what the officer answered on the way.

    Kept in the conversation (under "pending") between questions; the last answer joins it when
    the action is carried out, and only what its questions ask is there.
    """

    petition: int  # which petition
    action: str  # which action: its declaration's name
    card: str  # the card whose button started it: its buttons go once the petition moves on
    reason: str  # refuse: the legal reason's code
    complexity: str  # extend: how complex the case is
    outcome: str  # answer: how a complaint or denunciation was decided
    at: str  # hold a dialogue: when, ISO 8601
    proposal: int  # return a draft answer: which draft
    text: str  # the words typed: a note, a question, a place, a written answer
    files: tuple[FileRef, ...]  # the files sent with a written answer, note or minutes
    choice: str  # the unit or the officer (a handle) chosen
    kind: str  # classify: the kind, the field and the case afterwards
    field: str
    case: Case


def pending(ctx: Context) -> Answers:
    """The action being prepared in this officer's chat."""
    return cast(Answers, ctx.conv.data.setdefault("pending", {}))


def take_pending(ctx: Context) -> Answers:
    """The action being prepared, which the chat forgets: it is being carried out."""
    return cast(Answers, ctx.conv.data.pop("pending", {}))


def pending_petition(ctx: Context) -> int:
    """The petition the action being prepared is about."""
    return int(pending(ctx).get("petition", 0))


async def the_petition(ctx: Context) -> PetitionDetail | None:
    """The petition the pending action is about, as stored now."""
    return await ctx.store.petition(pending_petition(ctx))


async def pending_cancelled(ctx: Context) -> bool:
    """Cancel leaves the petition as it was; True when it was pressed."""
    if ctx.choice != "cancel":
        return False
    ctx.conv.data.pop("pending", None)
    await show_menu(ctx, ctx.t("officer.pending.cancelled"))
    return True


def typed_words(
    ctx: Context, limit: int = MAX_NOTE_CHARS, invalid: str = N_("officer.refuse.note_invalid")
) -> str | None:
    """A short text the officer typed, spaces folded; None after saying `invalid` politely."""
    text = " ".join((ctx.incoming.text or "").split())
    if ctx.incoming.kind is not Kind.TEXT or not MIN_TEXT_CHARS <= len(text) <= limit:
        ctx.reply(ctx.t(invalid, limit=limit))
        return None
    return text
