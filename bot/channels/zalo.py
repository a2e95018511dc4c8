"""Zalo through the Zalo Bot Platform (bot-api.zaloplatforms.com): receive and send.

A small client of our own on aiohttp calls `{api_url}/bot{token}/{method}` with a JSON body and
reads `{"ok": true, "result": ...}` or `{"ok": false, "error_code": N, "description": "..."}`.

Numbered choices. Zalo bots have no buttons, so a `Reply`'s buttons (and its plain keys) are
rendered as "1. …", "2. …" under the text; the citizen types the number or the option's words.
The choices are not kept in a table of their own: they ARE the last reply, and the outbox already
persists every reply as JSON. A typed answer is resolved against the choices of the last message
sent to that chat: from memory (remembered on send) or, after a restart, by `ChatMemory`
reading the last sent outbox rows. So no migration. A notice that reaches the person unasked (a
reminder; a new petition for an officer half way through an answer) must not take over the
numbers of the question they are answering: its choices are numbered after the pending ones.
At a menu, a notice's own choices take the numbers from 1.

An answer that names a button becomes a `Kind.CALLBACK` with that button's data (handlers never
trust it, as on Telegram); one that names a plain key becomes that key's text. Anything else
stays text, for the handlers to answer.

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
* Only photos can be sent, and only by URL. Any other file (an answer document, a calendar, a
  report) goes as a signed link to our own copy under the text (see `bot.files`), and so does a
  photo that came from another messenger: Zalo fetches it from our web server.
* Hints the channel adds itself ("type the number", "type your phone number") are in
  Vietnamese: Zalo tells a bot nothing of the user's language.
"""

from __future__ import annotations

import asyncio
import base64
import logging
import re
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels.webhooks import refused_without_secret
from bot.core import FileRef, Incoming, Kind, Reply, RetryLater, SendResult, Undeliverable
from bot.files import LocalFiles, is_image
from bot.i18n import Translator

log = logging.getLogger(__name__)

CHANNEL = "zalo"
TEXT_LIMIT = 2000
SECRET_HEADER = "X-Bot-Api-Secret-Token"
POLL_TIMEOUT_SECONDS = 25
NETWORK_RETRY_SECONDS = 5.0
EMPTY_POLL = 408

Accept = Callable[[Sequence[Incoming]], Awaitable[list[Incoming]]]


@dataclass(frozen=True)
class ChatMemory:
    """What the channel reads back from the database about a chat (see the module docstring)."""

    # The replies sent since (and with) the last one that answered the person, oldest first.
    recent_replies: Callable[[str], Awaitable[list[Reply]]]
    # The person is half way through a question, whose numbers a notice must not take over.
    is_answering: Callable[[str], Awaitable[bool]]


class ZaloBadToken(RuntimeError):
    """Zalo refused the token (401): a configuration error, not something to retry."""


@dataclass(frozen=True)
class Choice:
    """One numbered option: a button's data, or (for a plain key) the text it stands for."""

    label: str
    data: str | None


class ZaloClient:
    """The Bot Platform's HTTP methods, with its errors mapped to ours."""

    def __init__(self, token: str, api_url: str) -> None:
        self._base = f"{api_url.rstrip('/')}/bot{token}"
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The HTTP session, opened by `start` (never at import or construction)."""
        if self._session is None:
            raise RuntimeError("ZaloClient.start() was not called")
        return self._session

    async def start(self) -> None:
        """Open the HTTP session."""
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None

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


def to_incoming(update: dict[str, Any], now: datetime) -> Incoming | None:
    """Translate an event from a private chat; anything else is acknowledged and ignored."""
    message, event = update.get("message"), update.get("event_name")
    if not isinstance(message, dict) or not isinstance(event, str):
        return None
    chat = message.get("chat") or {}
    sender = message.get("from") or {}
    if str(chat.get("chat_type", "PRIVATE")).upper() != "PRIVATE" or not chat.get("id"):
        return None
    return Incoming(
        channel=CHANNEL,
        chat_id=str(chat["id"]),
        user_id=str(sender.get("id") or chat["id"]),
        update_key=f"{event}:{message.get('message_id', '')}"[:128],
        received_at=now,
        **_event_fields(event, message),
    )


def _event_fields(event: str, message: dict[str, Any]) -> dict[str, Any]:
    """What the event carries, as neutral fields."""
    if event == "message.text.received":
        text = str(message.get("text") or "")
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            return {"kind": Kind.COMMAND, "command": command.lower(), "args": args}
        return {"kind": Kind.TEXT, "text": text}
    if event == "message.image.received":
        url = message.get("photo_url") or message.get("photo")
        if url:
            photo = FileRef(str(url), "photo", None, "image/jpeg", None, CHANNEL)
            return {"kind": Kind.FILE, "file": photo, "text": message.get("caption")}
    if event == "message.sticker.received":
        return {"kind": Kind.STICKER}
    # message.unsupported.received: Zalo withholds the content of users it protects.
    return {"kind": Kind.UNSUPPORTED}


def choices_of(reply: Reply) -> list[Choice]:
    """The numbered options a reply offers: its buttons row by row, then its plain keys."""
    choices = [Choice(b.text, b.data) for row in reply.buttons for b in row]
    return choices + [Choice(key, None) for key in reply.keys]


def choices_after(earlier: list[Choice], reply: Reply, answering: bool) -> list[Choice]:
    """The chat's choices once `reply` is sent. An answer brings its own. A notice to someone
    half way through a question adds its choices after the pending ones; to someone at a menu it
    brings its own, if it has any."""
    own = choices_of(reply)
    if not reply.unprompted:
        return own
    if answering:
        return [*earlier, *own]
    return own or earlier


def render(reply: Reply, t: Translator, first: int = 1) -> str:
    """The whole reply as text: what it says, its numbered choices (from `first`), what to type."""
    lines = [reply.text]
    choices = choices_of(reply)
    if choices:
        lines.append("\n".join(f"{n}. {c.label}" for n, c in enumerate(choices, start=first)))
        lines.append(t("zalo.choose_by_number"))
    if reply.ask_contact:
        lines.append(t("zalo.type_phone"))
    elif reply.ask_location:
        lines.append(t("zalo.type_place"))
    return "\n\n".join(line for line in lines if line)


_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", " ")


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a long message at paragraph, line, sentence, then word boundaries."""
    parts: list[str] = []
    while len(text) > limit:
        cut = _best_cut(text, limit)
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return parts


def _best_cut(text: str, limit: int) -> int:
    """The latest boundary in the first `limit` characters, preferring the coarsest kind."""
    for mark in _BREAKS:
        at = text.rfind(mark, 0, limit - len(mark) + 1)
        if at > limit // 2:
            return at + len(mark.rstrip(" ")) if mark.strip() else at
    return limit


_NUMBER = re.compile(r"\s*(\d{1,2})\s*\.?\s*")


def _pick(text: str, choices: Sequence[Choice]) -> Choice | None:
    """The choice a typed text names: its number, or its label ignoring case and emoji."""
    number = _NUMBER.fullmatch(text)
    if number is not None:
        index = int(number.group(1)) - 1
        return choices[index] if 0 <= index < len(choices) else None
    wanted = _words(text)
    named = [choice for choice in choices if _words(choice.label) == wanted]
    return named[0] if len(named) == 1 and wanted else None


def _words(text: str) -> str:
    """Lower-case words only: "✅ Tôi đã hiểu, tiếp tục" and "tôi đã hiểu tiếp tục" match."""
    return " ".join(re.sub(r"[^\w\s]", " ", text).casefold().split())


class ZaloChannel:
    """The Zalo messenger: implements `bot.core.Messenger`, and receives updates."""

    channel = CHANNEL

    def __init__(
        self,
        client: ZaloClient,
        memory: ChatMemory,
        tr: Translator,
        files: LocalFiles,
        clock: Callable[[], datetime],
    ) -> None:
        self.client = client
        self._memory = memory
        self._tr = tr
        self._files = files
        self._clock = clock
        self._choices: dict[str, list[Choice]] = {}

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        """Send one reply: its photo by URL, then the text (with any file's link) in parts."""
        result: dict[str, Any] = {}
        photo, reply = self._photo_and_links(reply)
        # A notice (a new petition for an officer mid-answer, a reminder) must not take over the
        # numbers of the question the person is answering: its choices are numbered after them.
        earlier, answering = [], False
        if reply.unprompted:
            earlier = await self._known_choices(chat_id)
            answering = await self._memory.is_answering(chat_id)
        first = len(earlier) + 1 if answering else 1
        if photo is not None:
            result = await self.client.send_photo(chat_id, photo)
        for part in split_text(render(reply, self._tr, first)):
            if part.strip():  # a photo alone (a chart) has no text to send
                result = await self.client.send_message(chat_id, part)
        self._choices[chat_id] = choices_after(earlier, reply, answering)
        message_id = result.get("message_id")
        return SendResult(str(message_id) if message_id is not None else None)

    def _photo_and_links(self, reply: Reply) -> tuple[str | None, Reply]:
        """The URL of the reply's photo, and the reply with other files as links in its text."""
        if reply.attachment is not None:  # only a Zalo file is left an id: its photo's URL
            url = reply.attachment.file_id
            return (url if url.startswith("http") else None), reply
        name = reply.document_name or "tep"
        if reply.document_path:
            path = Path(reply.document_path)
        elif reply.document_data:
            path = self._files.keep_generated(base64.b64decode(reply.document_data), name)
        else:
            return None, reply
        url = self._files.link(path, name, self._clock())
        if is_image(name):
            return url, reply
        return None, replace(reply, text=f"{reply.text}\n\n📎 {name}:\n{url}".strip())

    async def download(self, file: FileRef, destination: str) -> int:
        """Fetch a photo the user sent: Zalo gives its URL."""
        try:
            async with self.client.session.get(file.file_id) as response:
                response.raise_for_status()
                data = await response.read()
        except aiohttp.ClientError as error:
            raise RetryLater(NETWORK_RETRY_SECONDS, f"zalo download: {error!r}") from error
        path = Path(destination)
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return len(data)

    async def resolve_choice(self, incoming: Incoming) -> Incoming:
        """A typed number (or an option's exact wording) picking one of the last choices."""
        if incoming.kind is not Kind.TEXT or not incoming.text:
            return incoming
        choice = _pick(incoming.text, await self._known_choices(incoming.chat_id))
        if choice is None:
            return incoming
        if choice.data is None:
            return replace(incoming, text=choice.label)
        return replace(incoming, kind=Kind.CALLBACK, text=None, callback_data=choice.data[:64])

    async def _known_choices(self, chat_id: str) -> list[Choice]:
        """The choices on the person's screen: remembered, or after a restart rebuilt from the
        replies sent since the last answer to them (the outbox keeps every reply)."""
        if chat_id not in self._choices:
            recent = await self._memory.recent_replies(chat_id)
            answering = len(recent) > 1 and await self._memory.is_answering(chat_id)
            choices: list[Choice] = []
            for reply in recent:
                choices = choices_after(choices, reply, answering)
            self._choices[chat_id] = choices
        return self._choices[chat_id]

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
        """An aiohttp handler: check the secret header in constant time, store, then say 200."""
        expected = secret.encode()

        async def receive(request: web.Request) -> web.Response:
            refused = refused_without_secret(request, SECRET_HEADER, expected, "zalo")
            if refused is not None:
                return refused
            try:
                update = unwrap(await request.json())
            except ValueError:
                return web.Response(status=400, text="bad update")
            if update is None:
                return web.Response(status=400, text="bad update")
            await accept(await self.translate([update], clock()))
            return web.Response(text="ok")

        return receive
