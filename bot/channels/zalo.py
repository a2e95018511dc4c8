"""Zalo through the Zalo Bot Platform (bot-api.zaloplatforms.com): receive and send.

A small client of our own on aiohttp calls `{api_url}/bot{token}/{method}` with a JSON body and
reads `{"ok": true, "result": ...}` or `{"ok": false, "error_code": N, "description": "..."}`.

Replies are numbered text, files go as links (see `bot.channels.numbered`, which the Official
Account channel shares).

Assumptions where the published docs are silent (check them against the live platform):

* An update is `{"event_name": ..., "message": {"message_id", "date", "text", "photo_url" or
  "photo", "caption", "sticker", "from": {"id", "display_name"}, "chat": {"id", "chat_type"}}}`.
  `getUpdates` answers one update or a list; we accept both. There is no update id or offset:
  an update is de-duplicated by `event_name` + `message_id`.
* `getUpdates` has no offset, so Zalo forgets an update once it has returned it: long polling
  cannot wait for our store before confirming. It is for development; production uses the
  webhook, which answers 200 only after the update is stored (Zalo retries otherwise).
* 401 = bad token; 408 = a long poll that ended empty; 429 = quota, with `parameters.retry_after`
  or a `Retry-After` header (1 s otherwise); other 4xx (chat not found, bot blocked) will not
  succeed on retry; 5xx and network errors are transient.
* Only photos can be sent, and only by URL (see `bot.channels.numbered`).
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from datetime import datetime
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels import Accept, CredentialsRefused, PolledOrPosted, Webhook
from bot.channels.numbered import (
    NETWORK_RETRY_SECONDS,
    ChatMemory,
    HttpClient,
    NumberedChannel,
    download_url,
    message_id_in,
    typed,
)
from bot.channels.webhooks import (
    Refused,
    platform_id,
    read_json,
    refused_without_secret,
    string_or_none,
)
from bot.core import FileRef, Incoming, Kind, RetryLater, Undeliverable
from bot.files import LocalFiles
from bot.i18n import Translator

log = logging.getLogger(__name__)

CHANNEL = "zalo"
SECRET_HEADER = "X-Bot-Api-Secret-Token"
POLL_TIMEOUT_SECONDS = 25
EMPTY_POLL = 408
WEBHOOK_PATH = "/zalo/webhook"


class ZaloBadToken(RuntimeError):
    """Zalo refused the token (401): a configuration error, not something to retry."""


class ZaloClient(HttpClient):
    """The Bot Platform's HTTP methods, with its errors mapped to ours."""

    def __init__(self, token: str, api_url: str) -> None:
        super().__init__()
        self._base = f"{api_url.rstrip('/')}/bot{token}"

    async def call(self, method: str, payload: dict[str, Any], timeout: float = 15) -> Any:
        """POST one method; return its `result` or raise the matching exception."""
        try:
            async with self.session.post(
                f"{self._base}/{method}",
                json=payload,
                timeout=aiohttp.ClientTimeout(total=timeout),
            ) as response:
                body = await response.json(content_type=None)
                status = response.status
                retry_header = response.headers.get("Retry-After")
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            raise RetryLater(NETWORK_RETRY_SECONDS, f"zalo network: {error!r}") from error
        if status == 200 and isinstance(body, dict) and body.get("ok"):
            return body.get("result")
        raise _error(method, status, body if isinstance(body, dict) else {}, retry_header)

    async def get_me(self) -> dict[str, Any]:
        """The bot's own account (checks the token)."""
        return dict(await self.call("getMe", {}))

    async def get_updates(self, timeout: int = POLL_TIMEOUT_SECONDS) -> list[dict[str, Any]]:
        """Long poll; an empty poll (408) is no update, not an error."""
        try:
            result = await self.call("getUpdates", {"timeout": str(timeout)}, timeout + 10)
        except _EmptyPoll:
            return []
        if result is None:
            return []
        return list(result) if isinstance(result, list) else [result]

    async def set_webhook(self, url: str, secret_token: str) -> None:
        """Ask Zalo to POST updates to `url` with the secret header."""
        await self.call("setWebhook", {"url": url, "secret_token": secret_token})

    async def delete_webhook(self) -> None:
        """Back to long polling."""
        await self.call("deleteWebhook", {})

    async def get_webhook_info(self) -> dict[str, Any]:
        """Where Zalo posts updates now."""
        return dict(await self.call("getWebhookInfo", {}) or {})

    async def send_message(self, chat_id: str, text: str) -> dict[str, Any]:
        """Send at most `TEXT_LIMIT` characters of text."""
        return dict(await self.call("sendMessage", {"chat_id": chat_id, "text": text}) or {})

    async def send_photo(self, chat_id: str, url: str, caption: str = "") -> dict[str, Any]:
        """Send a photo that Zalo fetches from `url`."""
        payload = {"chat_id": chat_id, "photo": url, "caption": caption}
        return dict(await self.call("sendPhoto", payload) or {})

    async def send_chat_action(self, chat_id: str, action: str = "typing") -> None:
        """Show "typing…" while a long answer is prepared."""
        await self.call("sendChatAction", {"chat_id": chat_id, "action": action})


class _EmptyPoll(Exception):
    """408 from getUpdates: the long poll ended with nothing new."""


def _error(method: str, status: int, body: dict[str, Any], retry_header: str | None) -> Exception:
    """The exception for a refused call."""
    code = int(body.get("error_code") or status)
    description = str(body.get("description") or f"HTTP {status}")
    if code == 401:
        return ZaloBadToken(f"Zalo refused the bot token ({description}): check ZALO_BOT_TOKEN")
    if code == EMPTY_POLL and method == "getUpdates":
        return _EmptyPoll()
    if code == 429:
        retry = (body.get("parameters") or {}).get("retry_after") or retry_header or 1
        return RetryLater(float(retry), f"zalo 429: {description}")
    if 400 <= code < 500 and code != EMPTY_POLL:
        return Undeliverable(f"zalo {code}: {description}")
    return RetryLater(NETWORK_RETRY_SECONDS, f"zalo {code}: {description}")


def unwrap(body: Any) -> dict[str, Any] | None:
    """A webhook body comes wrapped in `{"ok", "result"}` or bare: return the update either way."""
    if isinstance(body, dict) and "result" in body and "event_name" not in body:
        body = body["result"]
    if isinstance(body, dict) and isinstance(body.get("event_name"), str):
        return body
    return None


def to_incoming(update: Any, now: datetime) -> Incoming | None:
    """Translate an event from a private chat; anything else is acknowledged and ignored.

    The JSON is checked as it is read: an event without a chat id of Zalo's shape (a string or
    a number) is ignored, and a part of the wrong type counts as absent, rather than crashing the
    webhook (a 500, posted again) or storing what the handlers cannot read.
    """
    if not isinstance(update, dict):
        return None
    message, event = update.get("message"), update.get("event_name")
    if not isinstance(message, dict) or not isinstance(event, str):
        return None
    chat, sender = _object(message.get("chat")), _object(message.get("from"))
    chat_id = platform_id(chat.get("id"))
    if str(chat.get("chat_type", "PRIVATE")).upper() != "PRIVATE" or chat_id is None:
        return None
    return Incoming(
        channel=CHANNEL,
        chat_id=chat_id,
        user_id=platform_id(sender.get("id")) or chat_id,
        update_key=f"{event}:{message.get('message_id', '')}"[:128],
        received_at=now,
        **_event_fields(event, message),
    )


def _object(value: Any) -> dict[str, Any]:
    return value if isinstance(value, dict) else {}


def _event_fields(event: str, message: dict[str, Any]) -> dict[str, Any]:
    """What the event carries, as neutral fields (a part of the wrong type counts as absent)."""
    text = message.get("text") or ""
    if event == "message.text.received" and isinstance(text, str):
        return typed(text)
    if event == "message.image.received":
        url = message.get("photo_url") or message.get("photo")
        caption = message.get("caption")
        if isinstance(url, str) and url.startswith(("https://", "http://")):
            photo = FileRef(url, "photo", None, "image/jpeg", None, CHANNEL)
            return {"kind": Kind.FILE, "file": photo, "text": string_or_none(caption)}
    if event == "message.sticker.received":
        return {"kind": Kind.STICKER}
    # message.unsupported.received: Zalo withholds the content of users it protects.
    return {"kind": Kind.UNSUPPORTED}


class ZaloChannel(NumberedChannel, PolledOrPosted):
    """The Zalo Bot Platform messenger: a `bot.channels.Channel`, by long polling or `webhook`."""

    channel = CHANNEL
    webhook_path = WEBHOOK_PATH

    def __init__(
        self,
        client: ZaloClient,
        memory: ChatMemory,
        tr: Translator,
        files: LocalFiles,
        clock: Callable[[], datetime],
        webhook: Webhook | None = None,
    ) -> None:
        super().__init__(memory, tr, files, clock)
        self.client = client
        self.webhook = webhook

    async def open(self) -> None:
        """Open the HTTP client and check the token now, not at the first message."""
        await self.client.start()
        try:
            await self.client.get_me()
        except ZaloBadToken as error:
            raise CredentialsRefused(str(error)) from error

    async def register_webhook(self, url: str, secret: str) -> None:
        """Tell Zalo where to post, and with which secret."""
        await self.client.set_webhook(url, secret)

    async def close(self) -> None:
        """Close the HTTP client that `open` opened."""
        await self.client.close()

    async def _send_photo(self, chat_id: str, url: str) -> str | None:
        return message_id_in(await self.client.send_photo(chat_id, url))

    async def _send_text(self, chat_id: str, text: str) -> str | None:
        return message_id_in(await self.client.send_message(chat_id, text))

    async def download(self, file: FileRef, destination: str) -> int:
        """Fetch a photo the user sent: Zalo gives its URL."""
        return await download_url(self.client.session, file.file_id, destination)

    async def translate(self, updates: Sequence[dict[str, Any]], now: datetime) -> list[Incoming]:
        """Updates we handle, as `Incoming`, with typed numbers resolved."""
        incoming = [i for u in updates if (i := to_incoming(u, now)) is not None]
        return [await self.resolve_choice(item) for item in incoming]

    async def poll(self, accept: Accept, clock: Callable[[], datetime]) -> None:
        """Long polling for development (see the module docstring on confirmation)."""
        await self.client.delete_webhook()
        while True:
            try:
                updates = await self.client.get_updates()
            except (RetryLater, Undeliverable) as error:
                log.warning("zalo polling failed (%s); retrying", error)
                await asyncio.sleep(2)
                continue
            if not updates:
                continue
            try:
                await accept(await self.translate(updates, clock()))
            except Exception:
                log.exception("could not store zalo updates; they are lost (polling is for dev)")

    def webhook_handler(
        self, secret: str, accept: Accept, clock: Callable[[], datetime]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        """An aiohttp handler: check the secret header in constant time before reading the body,
        read and parse it within bounds (`bot.channels.webhooks`), store, then say 200."""
        expected = secret.encode()

        async def receive(request: web.Request) -> web.Response:
            refused = refused_without_secret(request, SECRET_HEADER, expected, "zalo")
            if refused is not None:
                return refused
            try:
                update = unwrap(await read_json(request))
            except Refused as refusal:
                return refusal.response()
            if update is None:
                return web.Response(status=400, text="bad update")
            await accept(await self.translate([update], clock()))
            return web.Response(text="ok")

        return receive
