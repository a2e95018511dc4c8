"""The aiohttp application factory: sandbox chat, Telegram and Zalo webhooks, health."""

from __future__ import annotations

import math
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import asdict
from datetime import datetime
from pathlib import Path

from aiohttp import web

from bot.channels.sandbox import SandboxChannel, entry_json, officer_chat
from bot.channels.webhooks import Refused, read_json
from bot.core import Incoming
from bot.domain.org import Organisation
from bot.domain.places import on_the_map
from bot.files import LocalFiles, image_type, url_name
from bot.metrics import CONTENT_TYPE as METRICS_CONTENT_TYPE
from bot.metrics import Metrics
from storage.db import Database
from storage.queues import QueueHealth, queue_health

STATIC_DIR = Path(__file__).parent / "static"
CITIZEN_PERSONAS = ("citizen-1", "citizen-2", "citizen-3")
# aiohttp's own limit, for every route that lets aiohttp read the body: only the sandbox's upload
# form does. The webhooks read theirs within `bot.channels.webhooks.WEBHOOK_MAX_BYTES` (1 MB), and
# the sandbox's JSON within SANDBOX_JSON_MAX_BYTES; larger bodies are refused with a 413.
MAX_UPLOAD_BYTES = 25 * 1024 * 1024
# A typed line is cut at 4 096 characters: as \uXXXX escapes, text and label together stay far
# below this.
SANDBOX_JSON_MAX_BYTES = 256 * 1024
LONG_POLL_SECONDS = 20.0
MAX_LINE_DIGITS = 18  # `after`, a transcript line number
OCTET_STREAM = "application/octet-stream"
OUTBOX_LAG_ALARM_SECONDS = 300.0
JOBS_LAG_ALARM_SECONDS = 600.0
_ACTION_KINDS = {"text", "callback", "contact", "location"}

Accept = Callable[[Sequence[Incoming]], Awaitable[list[Incoming]]]
WebhookHandler = Callable[[web.Request], Awaitable[web.Response]]
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
GUARD_HEADER = "X-Sandbox"
GUARD_VALUE = "1"


def create_app(
    db: Database,
    *,
    sandbox: SandboxChannel | None,
    org: Organisation,
    accept: Accept,
    clock: Callable[[], datetime],
    telegram_webhook: WebhookHandler | None = None,
    zalo_webhook: WebhookHandler | None = None,
    files: LocalFiles | None = None,
    metrics: Metrics | None = None,
    host: str = "127.0.0.1",
) -> web.Application:
    """Build the web app; only the parts that are configured get routes."""
    app = web.Application(client_max_size=MAX_UPLOAD_BYTES)  # see MAX_UPLOAD_BYTES
    operations = Operations(db, metrics or Metrics(), clock)
    app.router.add_get("/healthz", operations.health)
    app.router.add_get("/metrics", operations.prometheus)
    if telegram_webhook is not None:
        app.router.add_post("/telegram/webhook", telegram_webhook)
    if zalo_webhook is not None:
        app.router.add_post("/zalo/webhook", zalo_webhook)
    if files is not None:
        app.router.add_get("/files/{token}/{name}", FileLinkRoute(files, clock).serve)
    if sandbox is not None:
        SandboxRoutes(sandbox, org, accept, clock, host).install(app)
    return app


def location_on_the_map(action: dict[str, object]) -> bool:
    """A latitude and a longitude that are numbers (not "nan", not 1e999) of a place on Earth."""
    try:
        latitude, longitude = float(action["latitude"]), float(action["longitude"])  # type: ignore[arg-type]
    except (KeyError, TypeError, ValueError):
        return False
    return on_the_map(latitude, longitude)


class Operations:
    """/healthz for load balancers and monitors, /metrics for Prometheus."""

    FILE_GONE = "database file gone"

    def __init__(self, db: Database, metrics: Metrics, clock: Callable[[], datetime]) -> None:
        self.db = db
        self.metrics = metrics
        self.clock = clock

    async def health(self, _request: web.Request) -> web.Response:
        """200 with the queue figures while the database answers; 503 when it does not, or when
        its SQLite file was removed or replaced (storage.db.Database.file_gone).

        A lagging queue is reported ("lagging") but still answers 200: it is not this worker's
        fault, and taking it out of the load balancer would not help."""
        if self.db.file_gone():  # the dead file would still answer, with figures that are lost
            return web.json_response(
                {
                    "status": self.FILE_GONE,
                    "database": "removed or replaced while the bot ran; nothing is stored any more",
                    "action": "stop the bot, restore the database from the latest backup, start it",
                },
                status=503,
            )
        try:
            figures = await self._queues()
        except Exception:
            return web.json_response({"status": "database unavailable"}, status=503)
        lagging = (
            figures.outbox_lag_seconds > OUTBOX_LAG_ALARM_SECONDS
            or figures.jobs_lag_seconds > JOBS_LAG_ALARM_SECONDS
        )
        return web.json_response(
            {"status": "lagging" if lagging else "ok", "database": "ok", **asdict(figures)}
        )

    async def prometheus(self, _request: web.Request) -> web.Response:
        """The metrics in Prometheus text format; 503 when the database does not answer or its
        file is gone (a failed scrape: `up` is 0)."""
        if self.db.file_gone():
            return web.Response(status=503, text=self.FILE_GONE)
        try:
            figures = await self._queues()
        except Exception:
            return web.Response(status=503, text="database unavailable")
        return web.Response(
            body=self.metrics.exposition(figures), headers={"Content-Type": METRICS_CONTENT_TYPE}
        )

    async def _queues(self) -> QueueHealth:
        async with self.db.snapshot() as session:
            return await queue_health(session, self.clock())


class FileLinkRoute:
    """Serves a file by its signed link (`bot.files`): a download, never a page."""

    def __init__(self, files: LocalFiles, clock: Callable[[], datetime]) -> None:
        self.files = files
        self.clock = clock

    async def serve(self, request: web.Request) -> web.FileResponse:
        path = self.files.resolve(request.match_info["token"], self.clock())
        if path is None:
            raise web.HTTPNotFound(text="this link has expired or is not ours")
        name = url_name(request.match_info["name"])  # plain ASCII: nothing to escape
        image = image_type(path)
        return web.FileResponse(
            path,
            headers={
                "Content-Type": image or OCTET_STREAM,
                "Content-Disposition": f"{'inline' if image else 'attachment'}; filename={name}",
                "X-Content-Type-Options": "nosniff",
                "Content-Security-Policy": "default-src 'none'; sandbox",
                "Referrer-Policy": "no-referrer",
                "Cache-Control": "private, max-age=3600",
            },
        )


class SandboxRoutes:
    """The page and its JSON API."""

    def __init__(
        self,
        sandbox: SandboxChannel,
        org: Organisation,
        accept: Accept,
        clock: Callable[[], datetime],
        host: str,
    ) -> None:
        self.sandbox = sandbox
        self.org = org
        self.accept = accept
        self.clock = clock
        self.chats = set(CITIZEN_PERSONAS) | {officer_chat(o.handle) for o in org.officers}
        self.local_hosts = {"127.0.0.1", "localhost", "::1", host}

    @web.middleware
    async def guard(self, request: web.Request, handler: Handler) -> web.StreamResponse:
        """The sandbox is a local tool: refuse other hosts' pages and rebinding tricks.

        The Host must be this machine (a DNS-rebinding page has its own name there), and every
        API call must carry a header that another site's page cannot send without asking.
        """
        if request.path.startswith("/sandbox/api/"):
            if request.url.host not in self.local_hosts:
                raise web.HTTPForbidden(text="the sandbox answers on this machine's address only")
            if request.headers.get(GUARD_HEADER) != GUARD_VALUE:
                raise web.HTTPForbidden(text="missing sandbox header")
        return await handler(request)

    def install(self, app: web.Application) -> None:
        """Add the routes."""
        app.middlewares.append(self.guard)
        app.router.add_get("/", self.redirect)
        app.router.add_get("/sandbox", self.page)
        app.router.add_get("/sandbox/api/identities", self.identities)
        app.router.add_get("/sandbox/api/messages", self.messages)
        app.router.add_post("/sandbox/api/send", self.send)
        app.router.add_post("/sandbox/api/upload", self.upload)

    async def redirect(self, _request: web.Request) -> web.Response:
        raise web.HTTPFound("/sandbox")

    async def page(self, _request: web.Request) -> web.FileResponse:
        return web.FileResponse(STATIC_DIR / "sandbox.html")

    async def identities(self, _request: web.Request) -> web.Response:
        """Who the person can be: a few citizens and every demo officer."""
        people = [{"chat": chat, "kind": "citizen", "label": chat} for chat in CITIZEN_PERSONAS]
        people += [
            {
                "chat": officer_chat(o.handle),
                "kind": "officer",
                "label": f"{o.name} — {o.title} ({o.handle})",
            }
            for o in self.org.officers
        ]
        return web.json_response({"identities": people})

    def _chat(self, value: object) -> str:
        chat = str(value or "")
        if chat not in self.chats:
            raise web.HTTPBadRequest(text="unknown sandbox identity")
        return chat

    @staticmethod
    def _after(value: str) -> int:
        """The last line the page has: a line number (digits), 0 when absent."""
        if not re.fullmatch(f"[0-9]{{1,{MAX_LINE_DIGITS}}}", value or "0"):
            raise web.HTTPBadRequest(text="after: a line number")
        return int(value or "0")

    @staticmethod
    def _wait(value: str) -> float:
        """How long to wait for new lines: finite seconds, from 0 (at most LONG_POLL_SECONDS)."""
        try:
            seconds = float(value or "0")
        except ValueError:
            seconds = math.nan
        if not 0 <= seconds < math.inf:  # nan compares false
            raise web.HTTPBadRequest(text="wait: seconds, from 0")
        return min(seconds, LONG_POLL_SECONDS)

    async def messages(self, request: web.Request) -> web.Response:
        """New lines of a chat, waiting up to `wait` seconds for some."""
        chat = self._chat(request.query.get("chat"))
        after = self._after(request.query.get("after", ""))
        wait = self._wait(request.query.get("wait", ""))
        lines = (
            await self.sandbox.wait_for_lines(chat, after, wait)
            if wait
            else self.sandbox.transcript(chat, after)
        )
        return web.json_response({"messages": [entry_json(line) for line in lines]})

    async def send(self, request: web.Request) -> web.Response:
        """The person typed, pressed a button, or shared a contact or location."""
        try:
            body = await read_json(request, SANDBOX_JSON_MAX_BYTES)
        except Refused as refusal:
            return refusal.response()
        if not isinstance(body, dict):
            raise web.HTTPBadRequest(text="the body is a JSON object")
        chat = self._chat(body.get("chat"))
        action = body.get("action")
        if not isinstance(action, dict):
            raise web.HTTPBadRequest(text="the action is a JSON object")
        kind = action.get("kind")
        if not isinstance(kind, str) or kind not in _ACTION_KINDS:
            raise web.HTTPBadRequest(text="unknown action")
        update_id = action.get("id")
        if update_id is not None and not (isinstance(update_id, str) and len(update_id) <= 128):
            raise web.HTTPBadRequest(text="bad action id")
        if kind == "contact" and not re.fullmatch(
            r"\+?[\d .\-]{6,20}", str(action.get("phone", ""))
        ):
            raise web.HTTPBadRequest(text="bad phone")
        if kind == "location" and not location_on_the_map(action):
            raise web.HTTPBadRequest(text="bad location")
        await self.sandbox.user_action(chat, action, self.accept, self.clock())
        return web.json_response({"ok": True})

    async def upload(self, request: web.Request) -> web.Response:
        """The person attached a file."""
        try:
            form = await request.post()  # within MAX_UPLOAD_BYTES (413 beyond)
        except ValueError as error:  # not a form (a bad boundary, a cut-off part)
            raise web.HTTPBadRequest(text="not a form") from error
        chat = self._chat(form.get("chat"))
        upload = form.get("file")
        if not isinstance(upload, web.FileField):
            raise web.HTTPBadRequest(text="no file")
        data = upload.file.read()
        file = self.sandbox.save_upload(data, upload.filename or "file", upload.content_type or "")
        action = {
            "kind": "file",
            "file": asdict(file),
            "text": str(form.get("caption") or ""),
            "label": f"📎 {upload.filename}",
        }
        await self.sandbox.user_action(chat, action, self.accept, self.clock())
        return web.json_response({"ok": True})
