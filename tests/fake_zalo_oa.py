"""A fake Zalo Official Account platform that our real `ZaloOaClient` talks HTTP to.

Why a server and not mocks: what breaks an OA bot is the wire and the platform's rules: a
refusal that comes as HTTP 200 with a negative `error`, an access token that expires, a refresh
token that works once, a signature over the exact bytes, a reply window that closes. This server
applies those rules, so the test double is the platform, not our own assumptions.

Usage::

    async with FakeZaloOa(clock=clock) as oa:
        oa.webhook_url = f"http://127.0.0.1:{app.port}/zalo-oa/webhook"
        an = oa.user("u-an")
        await an.send_text("/start")          # a signed user_send_text POSTed to the webhook
        reply = await an.next_reply()

A user has the same methods as `tests.fake_zalo.FakeZaloUser` (`send_text`, `send_photo`,
`next_reply`, `unread`), so the Bot Platform's conversation helpers drive an OA user too.

What is faithful (Zalo's public OA docs):

* ``POST /v3.0/oa/message/cs`` with the ``access_token`` header and ``{"recipient":
  {"user_id"}, "message": {"text"} | {"attachment": <media template>}}``; answers HTTP 200 with
  ``{"error": 0, "message": "Success", "data": {"message_id", "user_id"}}`` or a negative
  ``error``: -216 unknown token, -124 expired token, -213 a user who has not written in the last
  48 hours (or never), -210 a text over 2 000 characters or an empty one.
* ``POST /v4/oa/access_token`` (form ``refresh_token``, ``app_id``, ``grant_type``; header
  ``secret_key``): a new access token (``expires_in`` as a string of seconds) and a new refresh
  token; the refresh token sent is spent, and refused (-14014) if sent again.
* Webhook events ``user_send_text``, ``user_send_image``, ``user_send_file``,
  ``user_send_location``, ``user_send_sticker``, ``follow``, signed with ``X-ZEvent-Signature:
  mac=sha256(app_id + body + timestamp + OA secret key)``, ``timestamp`` in milliseconds by the
  clock given (the test's clock, so that the bot's staleness check sees the same time).
* Photos users send live on Zalo's CDN: ``host_photo`` serves bytes at a URL of this server.

Deliberate deviations: a webhook POST is made once and its status recorded, not retried;
``fail_next`` makes the next sends answer a given error (injection), and ``refresh_delay`` holds
each refresh answer that long (so two refreshes can overlap).
"""

from __future__ import annotations

import asyncio
import hashlib
import itertools
import json
import secrets
import time
from collections import deque
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web

from tests.fake_server import FakeServer
from tests.fake_zalo import Sent

APP_ID = "1234567890123456789"
OA_ID = "4321000000000000001"
SECRET_KEY = "oa-secret-key-for-tests"
APP_SECRET = "app-secret-for-tests"
FIRST_REFRESH_TOKEN = "refresh-0"
TEXT_LIMIT = 2000
TOKEN_SECONDS = 90_000
REPLY_WINDOW = timedelta(hours=48)
SIGNATURE_HEADER = "X-ZEvent-Signature"


def real_clock() -> datetime:
    return datetime.now(UTC)


class FakeZaloOa(FakeServer):
    """The platform, its users, and a transcript of what the bot did."""

    def __init__(self, *, clock: Callable[[], datetime] = real_clock) -> None:
        super().__init__()
        self.clock = clock
        self.sent: list[Sent] = []
        self.send_calls = 0
        self.token_refusals = 0
        self.refresh_calls: list[str] = []  # the refresh tokens presented, in order
        self.refresh_delay = 0.0
        self.webhook_url: str | None = None
        self.webhook_statuses: list[int] = []
        self._access: dict[str, datetime] = {}  # token → expiry
        self._refresh_token = FIRST_REFRESH_TOKEN
        self._last_wrote: dict[str, datetime] = {}
        self._failures: deque[tuple[int, str]] = deque()
        self._photos: dict[str, bytes] = {}
        self._users: dict[str, FakeOaUser] = {}
        self._message_ids = itertools.count(1)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/v3.0/oa/message/cs", self._send)
        app.router.add_post("/v4/oa/access_token", self._refresh)
        app.router.add_get("/photos/{name}", self._photo)

    @property
    def url(self) -> str:
        """Both ZALO_OA_API_URL and ZALO_OAUTH_URL: one server plays both hosts."""
        return self.base_url

    def user(self, user_id: str) -> FakeOaUser:
        return self._users.setdefault(user_id, FakeOaUser(self, user_id))

    def sent_to(self, chat_id: str) -> list[Sent]:
        return [message for message in self.sent if message.chat_id == chat_id]

    # --- the platform's side of the tokens ------------------------------------------------------

    @property
    def refresh_token(self) -> str:
        """The one refresh token Zalo would accept now."""
        return self._refresh_token

    def revoke_access_tokens(self) -> None:
        """Every access token issued so far stops working (-216), as when Zalo revokes them."""
        self._access.clear()

    def fail_next(self, code: int, message: str, times: int = 1) -> None:
        """The next `times` sends are refused with this error."""
        self._failures.extend([(code, message)] * times)

    def host_photo(self, name: str, data: bytes) -> str:
        """Put a photo on the CDN; its URL is what a user_send_image event carries."""
        self._photos[name] = data
        return f"{self.url}/photos/{name}"

    # --- events from users ----------------------------------------------------------------------

    def event(self, event_name: str, user: FakeOaUser, **message: Any) -> dict[str, Any]:
        """An event in the published shape, stamped with the clock."""
        body: dict[str, Any] = {
            "app_id": APP_ID,
            "user_id_by_app": f"app-{user.user_id}",
            "event_name": event_name,
            "timestamp": str(int(self.clock().timestamp() * 1000)),
            "sender": {"id": user.user_id},
            "recipient": {"id": OA_ID},
        }
        if event_name.startswith("user_send_"):
            body["message"] = {"msg_id": f"msg{next(self._message_ids)}", **message}
        return body

    async def deliver(self, event: dict[str, Any]) -> bytes:
        """POST the event, signed, as Zalo does; a person's message opens their reply window."""
        if event["event_name"].startswith("user_send_"):
            self._last_wrote[event["sender"]["id"]] = self.clock()
        raw = json.dumps(event, ensure_ascii=False).encode()
        status = await self.post_webhook(raw, sign(raw, event["timestamp"]))
        self.webhook_statuses.append(status)
        return raw

    async def post_webhook(self, raw: bytes, signature: str | None) -> int:
        """POST bytes to the webhook with this signature header (tests forge calls with it)."""
        assert self._http is not None and self.webhook_url is not None
        headers = {"Content-Type": "application/json"}
        if signature is not None:
            headers[SIGNATURE_HEADER] = signature
        async with self._http.post(self.webhook_url, data=raw, headers=headers) as response:
            return response.status

    async def wait_for_reply(self, chat_id: str, after: int, timeout: float) -> Sent:
        """The first message to a chat after the `after`-th one."""
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            messages = self.sent_to(chat_id)
            if len(messages) > after:
                return messages[after]
            await asyncio.sleep(0.01)
        raise AssertionError(f"no reply to {chat_id} within {timeout}s")

    # --- the HTTP API ---------------------------------------------------------------------------

    async def _send(self, request: web.Request) -> web.Response:
        self.send_calls += 1
        payload = await request.json()
        refusal = self._token_refusal(request.headers.get("access_token", ""))
        if refusal is None and self._failures:
            refusal = self._failures.popleft()
        user_id = str((payload.get("recipient") or {}).get("user_id", ""))
        if refusal is None:
            refusal = self._window_refusal(user_id)
        message = payload.get("message") or {}
        if refusal is None:
            refusal = _content_refusal(message)
        if refusal is not None:
            return _error(*refusal)
        sent = Sent(
            user_id, f"oa{len(self.sent) + 1}", str(message.get("text", "")), _photo(message)
        )
        self.sent.append(sent)
        return web.json_response(
            {
                "error": 0,
                "message": "Success",
                "data": {"message_id": sent.message_id, "user_id": user_id},
            }
        )

    def _token_refusal(self, token: str) -> tuple[int, str] | None:
        expires = self._access.get(token)
        if expires is None:
            self.token_refusals += 1
            return -216, "Access token is invalid"
        if self.clock() >= expires:
            self.token_refusals += 1
            return -124, "Access token has expired"
        return None

    def _window_refusal(self, user_id: str) -> tuple[int, str] | None:
        wrote = self._last_wrote.get(user_id)
        if wrote is None or self.clock() - wrote > REPLY_WINDOW:
            return -213, "User has not interacted with the OA in the allowed time"
        return None

    async def _refresh(self, request: web.Request) -> web.Response:
        form = await request.post()
        presented = str(form.get("refresh_token", ""))
        self.refresh_calls.append(presented)
        await asyncio.sleep(self.refresh_delay)
        if request.headers.get("secret_key") != APP_SECRET or form.get("app_id") != APP_ID:
            return _oauth_error(-14002, "Invalid app_id or secret_key")
        if form.get("grant_type") != "refresh_token" or presented != self._refresh_token:
            return _oauth_error(-14014, "Invalid refresh token")
        self._refresh_token = f"refresh-{secrets.token_hex(4)}"
        access = f"access-{secrets.token_hex(4)}"
        self._access[access] = self.clock() + timedelta(seconds=TOKEN_SECONDS)
        return web.json_response(
            {
                "access_token": access,
                "refresh_token": self._refresh_token,
                "expires_in": str(TOKEN_SECONDS),
            }
        )

    async def _photo(self, request: web.Request) -> web.Response:
        return web.Response(body=self._photos[request.match_info["name"]], content_type="image/png")


def sign(raw: bytes, timestamp: str, secret_key: str = SECRET_KEY) -> str:
    digest = hashlib.sha256(APP_ID.encode() + raw + timestamp.encode() + secret_key.encode())
    return f"mac={digest.hexdigest()}"


def _content_refusal(message: dict[str, Any]) -> tuple[int, str] | None:
    if "attachment" in message:
        return None if _photo(message) else (-210, "Attachment is invalid")
    if not 1 <= len(str(message.get("text", ""))) <= TEXT_LIMIT:
        return -210, f"Text must be 1-{TEXT_LIMIT} characters"
    return None


def _photo(message: dict[str, Any]) -> str | None:
    """The image URL of a media template, if the message is one."""
    payload = (message.get("attachment") or {}).get("payload") or {}
    elements = payload.get("elements") or []
    if payload.get("template_type") != "media" or not elements:
        return None
    url = str(elements[0].get("url", ""))
    return url if elements[0].get("media_type") == "image" and url.startswith("http") else None


def _error(code: int, message: str) -> web.Response:
    return web.json_response({"error": code, "message": message})


def _oauth_error(code: int, name: str) -> web.Response:
    return web.json_response({"error": code, "error_name": name, "error_description": name})


class FakeOaUser:
    """A person who writes to the OA and reads its answers in order."""

    def __init__(self, server: FakeZaloOa, user_id: str) -> None:
        self.server = server
        self.user_id = user_id
        self._read = 0

    async def send_text(self, text: str) -> bytes:
        return await self.server.deliver(self.server.event("user_send_text", self, text=text))

    async def send_photo(self, url: str, caption: str = "") -> bytes:
        attachment = {"type": "image", "payload": {"url": url, "thumbnail": url}}
        event = self.server.event("user_send_image", self, text=caption, attachments=[attachment])
        return await self.server.deliver(event)

    async def send_file(self, url: str, name: str, size: int) -> bytes:
        payload = {"url": url, "name": name, "size": str(size), "type": name.rpartition(".")[2]}
        attachment = {"type": "file", "payload": payload}
        return await self.server.deliver(
            self.server.event("user_send_file", self, attachments=[attachment])
        )

    async def send_location(self, latitude: float, longitude: float) -> bytes:
        coordinates = {"latitude": str(latitude), "longitude": str(longitude)}
        attachment = {"type": "location", "payload": {"coordinates": coordinates}}
        return await self.server.deliver(
            self.server.event("user_send_location", self, attachments=[attachment])
        )

    async def send_sticker(self) -> bytes:
        attachment = {"type": "sticker", "payload": {"id": "st1", "url": "https://x/st1.png"}}
        return await self.server.deliver(
            self.server.event("user_send_sticker", self, attachments=[attachment])
        )

    async def follow(self) -> bytes:
        return await self.server.deliver(self.server.event("follow", self))

    async def next_reply(self, timeout: float = 5.0) -> Sent:
        """The next message the OA sent to this user."""
        reply = await self.server.wait_for_reply(self.user_id, self._read, timeout)
        self._read += 1
        return reply

    def unread(self) -> list[Sent]:
        """The messages already sent to this user and not read yet; they count as read now."""
        messages = self.server.sent_to(self.user_id)[self._read :]
        self._read += len(messages)
        return messages
