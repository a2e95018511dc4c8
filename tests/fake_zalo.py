"""A fake Zalo Bot Platform server that our real `ZaloClient` talks HTTP to.

Why a server and not mocks: what breaks a Zalo bot is the wire (the `{"ok", "result"}` envelope,
a 408 that means "nothing new", a 429 under load, a webhook body that comes wrapped one day and
bare the next) and the platform's rules (2 000 characters a message, no buttons). This server
applies those rules, so the test double is the platform, not our own assumptions.

Usage::

    async with FakeZalo() as zalo:
        an = zalo.user("u-an")
        await an.send_text("/start")          # long-polled by getUpdates, or POSTed to a webhook
        reply = await an.next_reply()
        assert "1. " in reply.text

What is faithful (the published shapes, https://bot.zaloplatforms.com/docs):

* Methods at ``/bot<token>/<method>``, JSON bodies; answers ``{"ok": true, "result": ...}`` or
  ``{"ok": false, "error_code": N, "description": "..."}`` with the same HTTP status.
* A wrong token answers 401; getUpdates waits for an update and answers 408 when none came.
* Events ``message.text.received``, ``message.image.received`` (a photo URL),
  ``message.sticker.received`` and ``message.unsupported.received`` (no content: Zalo withholds
  it for users it protects), from a private chat.
* Webhooks: once setWebhook is called, each event is POSTed with ``X-Bot-Api-Secret-Token``,
  wrapped in ``{"ok": true, "result": ...}`` or bare (``webhook_wrapped`` picks; both occur).
* sendMessage refuses an empty text or one over 2 000 characters and an unknown chat (400);
  sendPhoto needs an http(s) URL.

Deliberate deviations, where the docs are silent: getUpdates returns one event per call and
waits at most ``poll_wait_cap`` seconds (so tests stop quickly); a webhook POST is made once
and its HTTP status recorded, not retried; with ``send_rate=r``, a send is refused with 429 and
``parameters.retry_after`` (whole seconds) when ``r`` sends were accepted in the last second.
"""

from __future__ import annotations

import asyncio
import itertools
import math
import time
from collections import deque
from dataclasses import dataclass
from typing import Any

from aiohttp import web

from tests.fake_server import FakeServer

DEFAULT_TOKEN = "1234567890:fake-zalo-token"
TEXT_LIMIT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"


@dataclass(frozen=True)
class Sent:
    """One message the bot sent: text, or a photo by URL with its caption."""

    chat_id: str
    message_id: str
    text: str
    photo: str | None = None


class ZaloError(Exception):
    """A refusal, answered in Zalo's error shape."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def response(self) -> web.Response:
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return web.json_response(body, status=self.status)


class FakeZalo(FakeServer):
    """The server, its users, and a transcript of what the bot did."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        send_rate: float | None = None,
        poll_wait_cap: float = 0.5,
        webhook_wrapped: bool = True,
    ) -> None:
        super().__init__()
        self.token = token
        self.send_rate = send_rate
        self.poll_wait_cap = poll_wait_cap
        self.webhook_wrapped = webhook_wrapped
        self.sent: list[Sent] = []
        self.calls: list[tuple[str, dict[str, Any]]] = []
        self.webhook_url: str | None = None
        self.webhook_secret = ""
        self.webhook_statuses: list[int] = []
        self.chat_actions: list[tuple[str, str]] = []
        self._users: dict[str, FakeZaloUser] = {}
        self._pending: deque[dict[str, Any]] = deque()
        self._arrived = asyncio.Condition()
        self._send_times: deque[float] = deque()
        self._message_ids = itertools.count(1)

    def routes(self, app: web.Application) -> None:
        app.router.add_post("/bot{token}/{method}", self._handle)

    @property
    def api_url(self) -> str:
        return self.base_url

    def user(self, user_id: str, name: str = "Người dân") -> FakeZaloUser:
        """A Zalo user with a private chat with the bot (the chat id is the user id)."""
        return self._users.setdefault(user_id, FakeZaloUser(self, user_id, name))

    def sent_to(self, chat_id: str) -> list[Sent]:
        return [message for message in self.sent if message.chat_id == chat_id]

    def calls_of(self, method: str) -> list[dict[str, Any]]:
        return [payload for name, payload in self.calls if name == method]

    def event(self, event_name: str, user: FakeZaloUser, **fields: Any) -> dict[str, Any]:
        """An update in the published shape."""
        message = {
            "message_id": f"m{next(self._message_ids)}",
            "date": int(time.time() * 1000),
            "from": {"id": user.user_id, "display_name": user.name, "is_bot": False},
            "chat": {"id": user.user_id, "chat_type": "PRIVATE"},
            **fields,
        }
        return {"event_name": event_name, "message": message}

    async def deliver(self, update: dict[str, Any]) -> None:
        """To the webhook when one is set, else to the next getUpdates."""
        if self.webhook_url is not None:
            body = {"ok": True, "result": update} if self.webhook_wrapped else update
            self.webhook_statuses.append(await self.post_webhook(body, self.webhook_secret))
            return
        async with self._arrived:
            self._pending.append(update)
            self._arrived.notify_all()

    async def post_webhook(self, body: dict[str, Any], secret: str | None) -> int:
        """POST a body to the webhook as Zalo does (tests also use it to forge calls)."""
        assert self._http is not None and self.webhook_url is not None
        headers = {SECRET_HEADER: secret} if secret is not None else {}
        async with self._http.post(self.webhook_url, json=body, headers=headers) as response:
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

    async def _handle(self, request: web.Request) -> web.Response:
        if request.match_info["token"] != self.token:
            return ZaloError(401, "Unauthorized").response()
        method = request.match_info["method"]
        payload = await request.json() if request.can_read_body else {}
        self.calls.append((method, payload))
        handler = getattr(self, f"_method_{method}", None)
        if handler is None:
            return ZaloError(404, f"Method {method} not found").response()
        try:
            result = await handler(payload)
        except ZaloError as error:
            return error.response()
        return web.json_response({"ok": True, "result": result})

    async def _method_getMe(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"id": "bot-1", "account_name": "tiepdan.bot", "display_name": "Tiếp Dân"}

    async def _method_getUpdates(self, payload: dict[str, Any]) -> dict[str, Any]:
        if self.webhook_url is not None:
            raise ZaloError(400, "Webhook is set: use deleteWebhook before getUpdates")
        wait = min(float(payload.get("timeout", 0) or 0), self.poll_wait_cap)
        async with self._arrived:
            with_update = await _wait(self._arrived, lambda: bool(self._pending), wait)
            if not with_update:
                raise ZaloError(408, "Request timeout")
            return self._pending.popleft()

    async def _method_setWebhook(self, payload: dict[str, Any]) -> dict[str, Any]:
        url, secret = str(payload.get("url", "")), str(payload.get("secret_token", ""))
        if not url.startswith(("http://", "https://")) or not 8 <= len(secret) <= 256:
            raise ZaloError(400, "Bad Request: url or secret_token invalid")
        self.webhook_url, self.webhook_secret = url, secret
        return {"url": url, "updated_at": int(time.time() * 1000)}

    async def _method_deleteWebhook(self, payload: dict[str, Any]) -> dict[str, Any]:
        self.webhook_url, self.webhook_secret = None, ""
        return {"url": "", "updated_at": int(time.time() * 1000)}

    async def _method_getWebhookInfo(self, payload: dict[str, Any]) -> dict[str, Any]:
        return {"url": self.webhook_url or "", "updated_at": int(time.time() * 1000)}

    async def _method_sendMessage(self, payload: dict[str, Any]) -> dict[str, Any]:
        chat_id, text = self._chat(payload), str(payload.get("text", ""))
        if not 1 <= len(text) <= TEXT_LIMIT:
            raise ZaloError(400, f"Bad Request: text must be 1-{TEXT_LIMIT} characters")
        return self._record(Sent(chat_id, f"s{len(self.sent) + 1}", text))

    async def _method_sendPhoto(self, payload: dict[str, Any]) -> dict[str, Any]:
        chat_id, photo = self._chat(payload), str(payload.get("photo", ""))
        if not photo.startswith(("http://", "https://")):
            raise ZaloError(400, "Bad Request: photo must be a URL")
        caption = str(payload.get("caption") or "")
        return self._record(Sent(chat_id, f"s{len(self.sent) + 1}", caption, photo))

    async def _method_sendChatAction(self, payload: dict[str, Any]) -> None:
        self.chat_actions.append((self._chat(payload), str(payload.get("action", ""))))

    def _chat(self, payload: dict[str, Any]) -> str:
        chat_id = str(payload.get("chat_id", ""))
        if chat_id not in self._users:
            raise ZaloError(400, "Bad Request: chat not found")
        return chat_id

    def _record(self, message: Sent) -> dict[str, Any]:
        """Count a send against the rate, then keep it."""
        now = time.monotonic()
        while self._send_times and now - self._send_times[0] >= 1.0:
            self._send_times.popleft()
        if self.send_rate is not None and len(self._send_times) >= self.send_rate:
            retry = max(1, math.ceil(1.0 - (now - self._send_times[0])))
            raise ZaloError(429, "Too Many Requests", retry_after=retry)
        self._send_times.append(now)
        self.sent.append(message)
        return {"message_id": message.message_id, "date": int(time.time() * 1000)}


async def _wait(condition: asyncio.Condition, predicate: Any, timeout: float) -> bool:
    """`Condition.wait_for` with a timeout; False when it ran out."""
    try:
        await asyncio.wait_for(condition.wait_for(predicate), timeout)
    except TimeoutError:
        return False
    return True


class FakeZaloUser:
    """A person on Zalo: sends events and reads the bot's answers in order."""

    def __init__(self, server: FakeZalo, user_id: str, name: str) -> None:
        self.server = server
        self.user_id = user_id
        self.name = name
        self._read = 0

    async def send_text(self, text: str) -> dict[str, Any]:
        return await self._send(self.server.event("message.text.received", self, text=text))

    async def send_photo(self, url: str, caption: str = "") -> dict[str, Any]:
        event = self.server.event("message.image.received", self, photo_url=url, caption=caption)
        return await self._send(event)

    async def send_sticker(self) -> dict[str, Any]:
        return await self._send(self.server.event("message.sticker.received", self, sticker="s1"))

    async def send_unsupported(self) -> dict[str, Any]:
        return await self._send(self.server.event("message.unsupported.received", self))

    async def _send(self, update: dict[str, Any]) -> dict[str, Any]:
        await self.server.deliver(update)
        return update

    async def next_reply(self, timeout: float = 5.0) -> Sent:
        """The next message the bot sent to this user."""
        reply = await self.server.wait_for_reply(self.user_id, self._read, timeout)
        self._read += 1
        return reply

    def unread(self) -> list[Sent]:
        """The messages already sent to this user and not read yet; they count as read now."""
        messages = self.server.sent_to(self.user_id)[self._read :]
        self._read += len(messages)
        return messages
