"""Messenger adapters: each turns platform updates into `Incoming` and sends `Reply`s.

Every adapter is a `Channel`, which `bot.app` drives the same way whatever the platform: open it
(the credentials are checked then), serve its webhook routes, run it while the bot runs (a poller,
or the platform told where to post), and close it after the last send.
"""

from __future__ import annotations

import contextlib
import logging
from abc import ABC, abstractmethod
from collections.abc import AsyncIterator, Awaitable, Callable, Mapping, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from aiohttp import web

from bot.core import Incoming, Messenger
from bot.loops import polling

log = logging.getLogger(__name__)

Accept = Callable[[Sequence[Incoming]], Awaitable[list[Incoming]]]
Clock = Callable[[], datetime]
WebhookHandler = Callable[[web.Request], Awaitable[web.Response]]


class CredentialsRefused(Exception):
    """The platform refused the bot's token or secret: the start stops, naming the setting."""


@dataclass(frozen=True)
class Webhook:
    """Webhook mode: the bot's public address, and the secret the platform sends with each post."""

    base_url: str
    secret: str

    def url(self, path: str) -> str:
        """The public URL of one of the bot's paths."""
        return self.base_url.rstrip("/") + path


class Channel(Messenger, Protocol):
    """A platform the bot talks on, as the app drives it: open, serve its routes, run, close."""

    async def open(self) -> None:
        """Connect, and check the credentials now rather than at the first message
        (`CredentialsRefused` when the platform refuses them)."""
        ...

    def routes(self, accept: Accept, clock: Clock) -> Mapping[str, WebhookHandler]:
        """The paths the platform posts updates to; none when it is polled."""
        ...

    def running(self, accept: Accept, clock: Clock) -> AbstractAsyncContextManager[None]:
        """While inside, updates come in (a poller runs, or the platform was told where to post),
        with the upkeep the channel needs (the OA renews its token)."""
        ...

    async def close(self) -> None:
        """Release what `open` took; safe when `open` failed or never ran."""
        ...


class PolledOrPosted(ABC):
    """The receiving half of a `Channel` whose platform offers both ways (Telegram, the Zalo Bot
    Platform): long polling without a `webhook`; with one, a route the platform posts to."""

    channel: str
    webhook_path: str
    webhook: Webhook | None

    @abstractmethod
    async def poll(self, accept: Accept, clock: Clock) -> None:
        """Long polling, until cancelled."""

    @abstractmethod
    def webhook_handler(self, secret: str, accept: Accept, clock: Clock) -> WebhookHandler:
        """The route's handler: the secret checked, then the update stored."""

    @abstractmethod
    async def register_webhook(self, url: str, secret: str) -> None:
        """Tell the platform where to post, and with which secret."""

    def routes(self, accept: Accept, clock: Clock) -> dict[str, WebhookHandler]:
        """The webhook's route, in webhook mode."""
        if self.webhook is None:
            return {}
        return {self.webhook_path: self.webhook_handler(self.webhook.secret, accept, clock)}

    @contextlib.asynccontextmanager
    async def running(self, accept: Accept, clock: Clock) -> AsyncIterator[None]:
        """Long polling while inside; or the platform told where to post (the route is up)."""
        if self.webhook is None:
            async with polling(self.poll(accept, clock), f"{self.channel}-poll"):
                log.info("%s long polling started", self.channel)
                yield
            return
        await self.register_webhook(self.webhook.url(self.webhook_path), self.webhook.secret)
        log.info("%s webhook set", self.channel)
        yield
