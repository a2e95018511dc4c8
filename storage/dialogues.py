"""Subscriptions, dialogue sessions, registrations and questions: the `DialogueStore` part."""

from __future__ import annotations

from sqlalchemy.ext.asyncio import AsyncSession


class DialogueRecords:
    """Implements `bot.ports.DialogueStore` inside the caller's transaction."""

    session: AsyncSession
