"""What every officer conversation shares: who is acting, the action being prepared, Cancel.

The officer features register their questions on one router, so that an action button of one
feature can ask a question of another.
"""

from __future__ import annotations

import logging
from typing import Any

from bot.conversation import Context, Router
from bot.core import Button
from bot.i18n import N_
from bot.ports import OfficerView
from bot.services.reception import may_record
from handlers.common import show_menu

log = logging.getLogger(__name__)

router = Router()

MAX_NOTE_CHARS = 1000


async def current_officer(ctx: Context) -> OfficerView | None:
    """The officer bound to this chat, or a polite refusal."""
    officer = await ctx.store.officer_by_chat(ctx.incoming.channel, ctx.incoming.chat_id)
    if officer is None:
        log.warning("officer action refused: %s is not an officer", ctx.actor)
        ctx.reply(ctx.t("officer.not_officer"))
    return officer


def refuse(
    ctx: Context, officer: OfficerView, what: str, message_id: str = N_("officer.not_allowed")
) -> None:
    """Say no politely; log who tried what (no personal data)."""
    log.warning("officer %s refused: %s", officer.handle, what)
    ctx.reply(ctx.t(message_id))


async def receiving_officer(ctx: Context, refusal: str) -> OfficerView | None:
    """The officer of this chat when they receive citizens (reception staff and heads);
    otherwise `refusal` is said."""
    officer = await current_officer(ctx)
    if officer is not None and not may_record(officer):
        log.warning("officer %s does not receive citizens", officer.handle)
        ctx.reply(ctx.t(refusal))
        return None
    return officer


def pending(ctx: Context) -> dict[str, Any]:
    """The action being prepared in this officer's chat."""
    value: dict[str, Any] = ctx.conv.data.setdefault("pending", {})
    return value


def pending_petition(ctx: Context) -> int:
    """The petition the action being prepared is about."""
    return int(pending(ctx).get("petition", 0))


async def pending_cancelled(ctx: Context) -> bool:
    """Cancel leaves the petition as it was; True when it was pressed."""
    if ctx.choice != "cancel":
        return False
    ctx.conv.data.pop("pending", None)
    await show_menu(ctx, ctx.t("officer.pending.cancelled"))
    return True


def cancel_row(ctx: Context) -> list[Button]:
    """The Cancel button under an officer's question."""
    return [ctx.button(ctx.t("nav.cancel"), "cancel")]
