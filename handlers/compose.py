"""A message written in several parts (words, photos, papers, voice), sent with one press.

Citizens answering an officer, officers writing an answer, a verification note or the minutes of a
dialogue all write this way: each part is acknowledged, and nothing leaves until «Gửi» is pressed.
"""

from __future__ import annotations

import dataclasses
from dataclasses import dataclass
from typing import Any

from bot.conversation import Context
from bot.core import Button, FileRef, Kind
from bot.domain.petition import MAX_ATTACHMENTS, MAX_CONTENT_CHARS
from bot.i18n import N_
from handlers.common import show_menu, unsupported_text
from handlers.steps import says

SEND, CANCEL = "send", "cancel"


@dataclass(frozen=True)
class Composed:
    """What was written: the words joined, the files in order, and what the flow kept with it."""

    text: str
    files: tuple[FileRef, ...]
    extra: dict[str, Any]


@dataclass(frozen=True)
class Composer:
    """One kind of multi-part message, kept in the conversation under `key`."""

    key: str
    send_label: str  # message id of the Send button
    noted: str  # message id said after each part
    max_files: int = MAX_ATTACHMENTS
    # Where the parts live in the conversation: "pending" ties them to the officer's action being
    # prepared, so that a new action never inherits an abandoned draft.
    scope: str | None = None

    def _home(self, ctx: Context) -> dict[str, Any]:
        home: dict[str, Any] = (
            ctx.conv.data.setdefault(self.scope, {}) if self.scope else ctx.conv.data
        )
        return home

    def start(self, ctx: Context, **extra: Any) -> None:
        """Begin an empty message; `extra` travels with it (the petition, the action)."""
        self._home(ctx)[self.key] = {"texts": [], "files": [], "extra": extra}

    def buttons(self, ctx: Context) -> list[list[Button]]:
        """Send and Cancel, bound to the current question."""
        return [
            [ctx.button(ctx.t(self.send_label), SEND)],
            [ctx.button(ctx.t("nav.cancel"), CANCEL)],
        ]

    async def take(self, ctx: Context) -> str | None:
        """Keep one part; return SEND or CANCEL when one of them was pressed."""
        if ctx.choice in {SEND, CANCEL}:
            return ctx.choice
        if says(ctx, self.send_label):  # «gửi trả lời» typed, as on Zalo after the menu
            return SEND
        if says(ctx, N_("nav.cancel")):
            return CANCEL
        parts = self._home(ctx).setdefault(self.key, {"texts": [], "files": [], "extra": {}})
        incoming = ctx.incoming
        if incoming.kind is Kind.FILE and incoming.file:
            if len(parts["files"]) >= self.max_files:
                ctx.reply(ctx.t("compose.too_many_files", limit=self.max_files))
                return None
            parts["files"].append(dataclasses.asdict(incoming.file))
        elif incoming.kind is not Kind.TEXT or not incoming.text:
            ctx.aside(unsupported_text(ctx))
            return None
        text = (incoming.text or "").strip()
        if sum(len(part) for part in parts["texts"]) + len(text) > MAX_CONTENT_CHARS:
            ctx.reply(ctx.t("compose.too_long", limit=MAX_CONTENT_CHARS))
            return None
        if text:
            parts["texts"].append(text)
        ctx.reply(ctx.t(self.noted), *self.buttons(ctx))
        return None

    async def take_until_sent(self, ctx: Context, cancelled: str) -> Composed | None:
        """Keep parts until Send, then the whole message; None while writing and after Cancel
        (which says `cancelled` and shows the menu)."""
        pressed = await self.take(ctx)
        if pressed is None:
            return None
        written = self.finish(ctx)
        if pressed == CANCEL:
            await show_menu(ctx, ctx.t(cancelled))
            return None
        return written

    def finish(self, ctx: Context) -> Composed:
        """The message as written; the conversation forgets it."""
        parts = self._home(ctx).pop(self.key, {})
        return Composed(
            "\n".join(parts.get("texts", [])).strip(),
            tuple(FileRef(**item) for item in parts.get("files", [])),
            parts.get("extra", {}),
        )
