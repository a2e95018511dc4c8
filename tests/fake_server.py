"""What the fake platform servers share: an aiohttp server on a free loopback port, and a client
session for posting to the bot's webhook."""

from __future__ import annotations

from typing import Self

import aiohttp
from aiohttp import web


class FakeServer:
    """Started with `async with`; a subclass adds its routes in `routes`."""

    def __init__(self) -> None:
        self._runner: web.AppRunner | None = None
        self._http: aiohttp.ClientSession | None = None
        self.port = 0

    def routes(self, app: web.Application) -> None:
        """Register the platform's endpoints."""
        raise NotImplementedError

    @property
    def base_url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def __aenter__(self) -> Self:
        app = web.Application()
        self.routes(app)
        self._runner = web.AppRunner(app, access_log=None)
        await self._runner.setup()
        site = web.TCPSite(self._runner, "127.0.0.1", 0)
        await site.start()
        self.port = int(self._runner.addresses[0][1])
        self._http = aiohttp.ClientSession()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        if self._http is not None:
            await self._http.close()
        if self._runner is not None:
            await self._runner.cleanup()
