"""What every officer conversation shares: who is acting, a polite no, Cancel, a typed time."""

from __future__ import annotations

import logging
from datetime import datetime, timedelta

from bot.conversation import Context
from bot.core import Button
from bot.i18n import LOCAL_TZ, N_
from bot.ports import OfficerView
from bot.services.reception import may_record

log = logging.getLogger(__name__)


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


def cancel_row(ctx: Context) -> list[Button]:
    """The Cancel button under an officer's question."""
    return [ctx.button(ctx.t("nav.cancel"), "cancel")]


def example_time(now: datetime) -> str:
    """A time to show as an example of what to type: a week ahead at 14:00, never in the past
    (an example that is refused when typed as given teaches nothing)."""
    day = (now.astimezone(LOCAL_TZ) + timedelta(days=7)).date()
    return f"{day:%d/%m/%Y} 14:00"


def parse_local_datetime(text: str) -> datetime | None:
    """«25/03/2026 14:00» as a moment in Asia/Ho_Chi_Minh, or None."""
    try:
        return datetime.strptime(" ".join(text.split()), "%d/%m/%Y %H:%M").replace(tzinfo=LOCAL_TZ)
    except ValueError:
        return None
