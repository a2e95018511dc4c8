"""`officers` and `invite`: list the demo or configured officers, make one-time invite codes."""

from __future__ import annotations

import argparse
import asyncio
import secrets
import sys
from datetime import UTC, datetime, timedelta

from sqlalchemy import select

from bot.config import Settings
from bot.i18n import LOCAL_TZ
from storage import models as m
from storage.db import Database

INVITE_CODE_BYTES = 12


def configure_officers(parser: argparse.ArgumentParser) -> None:
    """No options."""


def configure_invite(parser: argparse.ArgumentParser) -> None:
    """The officer's handle."""
    parser.add_argument("handle", help="officer handle, as listed by `python -m bot officers`")


async def _prepared(settings: Settings) -> Database:
    from bot.app import load_organisation, prepare_database

    return await prepare_database(settings, load_organisation(settings.org_file))


def run_officers(_args: argparse.Namespace) -> int:
    """Print every officer: handle, unit, roles, name, and whether a chat is bound."""

    async def main() -> int:
        db = await _prepared(Settings())
        async with db.transaction() as session:
            officers = list(
                await session.scalars(
                    select(m.Officer).order_by(m.Officer.unit_code, m.Officer.handle)
                )
            )
            bound = set(
                await session.scalars(
                    select(m.OfficerBinding.officer_id).where(m.OfficerBinding.channel != "sandbox")
                )
            )
        await db.close()
        print(f"{'HANDLE':<18} {'UNIT':<9} {'ROLES':<24} {'BOUND':<5} NAME")
        for o in officers:
            if o.active:
                print(
                    f"{o.handle:<18} {o.unit_code:<9} {o.roles:<24} "
                    f"{'yes' if o.id in bound else 'no':<5} {o.name} — {o.title}"
                )
        return 0

    return asyncio.run(main())


def run_invite(args: argparse.Namespace) -> int:
    """Print a one-time code and the deep link that binds a Telegram chat to the officer."""
    settings = Settings()

    async def main() -> int:
        db = await _prepared(settings)
        code = secrets.token_urlsafe(INVITE_CODE_BYTES)
        now = datetime.now(UTC)
        async with db.transaction() as session:
            officer = await session.scalar(
                select(m.Officer).where(m.Officer.handle == args.handle, m.Officer.active.is_(True))
            )
            if officer is None:
                await db.close()
                print(
                    f"error: no active officer {args.handle!r}; see `python -m bot officers`",
                    file=sys.stderr,
                )
                return 2
            from handlers.common import invite_hash

            expires = now + timedelta(hours=settings.invite_ttl_hours)
            session.add(
                m.Invite(
                    officer_id=officer.id,
                    code_hash=invite_hash(code),
                    created_at=now,
                    expires_at=expires,
                )
            )
        await db.close()
        username = settings.telegram_bot_username or await _bot_username(settings)
        print(f"Officer: {officer.name} ({officer.handle})")
        print(f"Code (one use, expires {expires.astimezone(LOCAL_TZ):%d/%m/%Y %H:%M}): {code}")
        print(f"Telegram: https://t.me/{username}?start={code}")
        print(f"Or send this in the bot's chat: /start {code}")
        return 0

    return asyncio.run(main())


async def _bot_username(settings: Settings) -> str:
    """Ask Telegram for the bot's username; a placeholder when no token is configured."""
    if not settings.telegram_bot_token:
        return "<bot_username>"
    from bot.channels.telegram import make_bot

    bot = make_bot(settings.telegram_bot_token, settings.telegram_api_url)
    async with bot:
        return bot.username
