"""The conversations, one module per feature, composed into one root router.

Handlers see only neutral types (`bot.core`, `bot.conversation`) and the store's port; the import
rules in pyproject.toml keep messengers and databases out.
"""

from __future__ import annotations

from bot.conversation import Context, Fallbacks, Router, route
from handlers import (
    answers,
    common,
    consultation_staff,
    consultations,
    dialogue_staff,
    dialogues,
    filing,
    mine,
    officer,
    reception,
    reception_days,
    reports,
    surveys,
)

ROOT = Router().include(
    common.router,
    filing.router,
    mine.router,
    officer.router,
    answers.router,
    reception.router,
    dialogues.router,
    reports.router,
    dialogue_staff.router,
    consultations.router,
    consultation_staff.router,
    reception_days.router,
    surveys.router,
)

FALLBACKS = Fallbacks(
    idle=common.idle,
    unknown_command=common.unknown_command,
    stale_button=common.stale_button,
    forged_button=common.forged_button,
)


async def handle(ctx: Context) -> None:
    """Handle one update in its conversation."""
    await route(ROOT, FALLBACKS, ctx)
