"""Telegram through python-telegram-bot: receive (long polling or webhook) and send.

python-telegram-bot is the transport here (Bot, request handling, typed updates); conversations
live in our dispatcher so that state survives restarts and is shared with other channels.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import logging
import math
from collections.abc import Awaitable, Callable, Coroutine, Sequence
from datetime import datetime
from pathlib import Path
from typing import Any, BinaryIO

from aiohttp import web
from telegram import (
    Bot,
    InlineKeyboardButton,
    InlineKeyboardMarkup,
    KeyboardButton,
    Location,
    Message,
    ReplyKeyboardMarkup,
    ReplyKeyboardRemove,
    Update,
    Venue,
)
from telegram.constants import ChatType
from telegram.error import BadRequest, Forbidden, NetworkError, RetryAfter, TelegramError
from telegram.request import HTTPXRequest

from bot.channels import Accept, PolledOrPosted, Webhook
from bot.channels.webhooks import Refused, read_json, refused_without_secret, string_or_none
from bot.core import (
    FileRef,
    Incoming,
    Kind,
    MapPin,
    Reply,
    RetryLater,
    SendResult,
    Undeliverable,
)
from bot.files import is_image

log = logging.getLogger(__name__)

CHANNEL = "telegram"
TEXT_LIMIT = 4096
CAPTION_LIMIT = 1024
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"
ALLOWED_UPDATES = ["message", "callback_query"]
POLL_TIMEOUT_SECONDS = 25
WEBHOOK_PATH = "/telegram/webhook"


def make_bot(token: str, api_url: str, pool_size: int = 16) -> Bot:
    """A Bot calling `{api_url}/bot{token}/METHOD`, fetching `{api_url}/file/bot{token}/PATH`."""
    api_url = api_url.rstrip("/")
    return Bot(
        token,
        base_url=f"{api_url}/bot",
        base_file_url=f"{api_url}/file/bot",
        request=HTTPXRequest(connection_pool_size=pool_size, read_timeout=15),
        get_updates_request=HTTPXRequest(read_timeout=POLL_TIMEOUT_SECONDS + 10),
    )


def parse_update(body: Any, bot: Bot) -> Update:
    """A posted body as an `Update`; `ValueError` for anything python-telegram-bot cannot read.

    Its `de_json` checks little: a body that is not an object, or a field of the wrong type, can
    raise AttributeError, TypeError, KeyError, IndexError or OverflowError (a date out of range).
    """
    if not isinstance(body, dict):
        raise ValueError("an update is a JSON object")
    try:
        update = Update.de_json(body, bot)
    except (AttributeError, IndexError, KeyError, OverflowError, TypeError, ValueError) as error:
        raise ValueError(f"unreadable update: {error!r}") from error
    if update is None:
        raise ValueError("empty update")
    return update


def to_incoming(update: Update, now: datetime) -> Incoming | None:
    """Translate an update from a private chat; anything else is acknowledged and ignored.

    python-telegram-bot does not check the types of what it parses, so what we keep is checked
    here: an update with an id, a chat or a sender that is not Telegram's is ignored too, rather
    than crashing the webhook (a 500, delivered again) or the poller (stuck on it for good).
    """
    update_key = _telegram_id(update.update_id)
    if update_key is None:
        return None
    if update.callback_query is not None:
        query = update.callback_query
        chat_id = _private_chat_id(query.message)
        user_id = _telegram_id(getattr(query.from_user, "id", None))
        if chat_id is None or user_id is None:
            return None  # an inline message's button, or not from Telegram
        return Incoming(
            channel=CHANNEL,
            chat_id=chat_id,
            user_id=user_id,
            update_key=update_key,
            kind=Kind.CALLBACK,
            received_at=now,
            callback_data=(string_or_none(query.data) or "")[:64],
            language_code=string_or_none(getattr(query.from_user, "language_code", None)),
            pressed_message=_telegram_id(getattr(query.message, "message_id", None)),
        )
    message = update.message
    sender = message.from_user if message is not None else None
    chat_id = _private_chat_id(message)
    user_id = _telegram_id(getattr(sender, "id", None))
    if message is None or chat_id is None or user_id is None:
        return None
    base: dict[str, Any] = {
        "channel": CHANNEL,
        "chat_id": chat_id,
        "user_id": user_id,
        "update_key": update_key,
        "received_at": now,
        "language_code": string_or_none(getattr(sender, "language_code", None)),
    }
    return Incoming(**base, **_message_fields(message))


def _telegram_id(value: object) -> str | None:
    """An update, chat or user id as text: Telegram's are integers (at most 52 bits)."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) < 2**63:
        return str(value)
    return None


def _private_chat_id(message: object) -> str | None:
    """The chat of a message when it is a private chat with the bot; None otherwise."""
    chat = getattr(message, "chat", None)
    if getattr(chat, "type", None) != ChatType.PRIVATE:
        return None
    return _telegram_id(getattr(chat, "id", None))


def _coordinate(value: object) -> float | None:
    if isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value):
        return float(value)
    return None


def _message_fields(message: Message) -> dict[str, Any]:
    """What the message carries, as neutral fields (a part of the wrong type counts as absent)."""
    text = string_or_none(message.text)
    if text is not None:
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            return {"kind": Kind.COMMAND, "command": command.split("@")[0].lower(), "args": args}
        return {"kind": Kind.TEXT, "text": text}
    contact = message.contact
    if contact is not None and (phone := string_or_none(contact.phone_number)) is not None:
        sender = message.from_user.id if message.from_user else None
        own = contact.user_id is not None and contact.user_id == sender
        return {"kind": Kind.CONTACT, "contact_phone": phone, "contact_is_own": own}
    location = message.location
    if location is not None:
        latitude = _coordinate(location.latitude)
        longitude = _coordinate(location.longitude)
        if latitude is not None and longitude is not None:
            return {"kind": Kind.LOCATION, "latitude": latitude, "longitude": longitude}
    if message.sticker is not None:
        return {"kind": Kind.STICKER}
    file = _file_of(message)
    if file is not None:
        return {"kind": Kind.FILE, "file": file, "text": string_or_none(message.caption)}
    return {"kind": Kind.UNSUPPORTED}


def _file_of(message: Message) -> FileRef | None:
    if message.photo:
        photo = message.photo[-1]
        return _file_ref(photo, "photo", "image/jpeg", None)
    for media in ("document", "voice", "audio", "video"):
        item = getattr(message, media)
        if item is not None:
            mime, name = getattr(item, "mime_type", None), getattr(item, "file_name", None)
            return _file_ref(item, media, string_or_none(mime), string_or_none(name))
    return None


def _file_ref(item: object, media: str, mime: str | None, name: str | None) -> FileRef | None:
    """A file as we keep it; one without a usable id cannot be downloaded: None."""
    file_id = string_or_none(getattr(item, "file_id", None))
    if not file_id:
        return None
    size = getattr(item, "file_size", None)
    known = isinstance(size, int) and not isinstance(size, bool) and size >= 0
    return FileRef(file_id, media, size if known else None, mime, name, CHANNEL)


def render_markup(reply: Reply) -> Any:
    """Inline buttons, a one-time "share" key, or removal of an old key."""
    if reply.buttons:
        return InlineKeyboardMarkup(
            [
                [InlineKeyboardButton(b.text, callback_data=b.data) for b in row]
                for row in reply.buttons
            ]
        )
    share = None
    if reply.ask_contact:
        share = KeyboardButton(reply.ask_contact, request_contact=True)
    elif reply.ask_location:
        share = KeyboardButton(reply.ask_location, request_location=True)
    if share is not None:
        rows = [[share]] + ([[KeyboardButton(key) for key in reply.keys]] if reply.keys else [])
        return ReplyKeyboardMarkup(rows, resize_keyboard=True, one_time_keyboard=True)
    if reply.remove_keyboard:
        return ReplyKeyboardRemove()
    return None


def _has_content(reply: Reply) -> bool:
    """Something to send besides a pin: words, buttons or a file."""
    files = (reply.document_path, reply.document_data, reply.attachment)
    return bool(reply.text.strip() or reply.buttons or any(files))


def utf16_length(text: str) -> int:
    """Telegram counts a message's length in UTF-16 code units (an emoji counts twice)."""
    return len(text.encode("utf-16-le")) // 2


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a long message at paragraph, then line, then word boundaries."""
    parts: list[str] = []
    while utf16_length(text) > limit:
        fits = limit
        while utf16_length(text[:fits]) > limit:
            fits -= 1
        cut = max(text.rfind("\n\n", 0, fits), text.rfind("\n", 0, fits), text.rfind(" ", 0, fits))
        cut = cut if cut > fits // 2 else fits
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return parts


class TelegramChannel(PolledOrPosted):
    """The Telegram messenger: a `bot.channels.Channel`, by long polling or by `webhook`."""

    channel = CHANNEL
    webhook_path = WEBHOOK_PATH

    def __init__(self, bot: Bot, webhook: Webhook | None = None) -> None:
        self.bot = bot
        self.webhook = webhook
        self._background: set[asyncio.Task[None]] = set()

    async def open(self) -> None:
        """Open the HTTP client and check the token (python-telegram-bot asks getMe)."""
        await self.bot.initialize()

    async def register_webhook(self, url: str, secret: str) -> None:
        """Tell Telegram where to post, with which secret and which updates."""
        await self.bot.set_webhook(url, secret_token=secret, allowed_updates=ALLOWED_UPDATES)

    async def close(self) -> None:
        """Close the HTTP client that `open` opened."""
        await self.bot.shutdown()

    def _in_background(self, coroutine: Coroutine[Any, Any, None]) -> None:
        """Run a side task (button acknowledgements) without losing its reference."""
        task = asyncio.create_task(coroutine)
        self._background.add(task)
        task.add_done_callback(self._background.discard)

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        """Send one reply: its place first, as a pin on a map, then its file or text (a long
        text in several messages), the buttons on the last, which stays at the bottom."""
        if reply.edits_buttons_of is not None:
            return await self._edit_buttons(chat_id, reply.edits_buttons_of, reply)
        try:
            pinned = await self._send_pin(chat_id, reply.pin) if reply.pin else None
            if pinned is not None and not _has_content(reply):
                return pinned
            return await self._send_content(chat_id, reply)
        except RetryAfter as error:
            retry = error.retry_after
            seconds = retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            raise RetryLater(seconds, "telegram 429") from error
        except Forbidden as error:
            raise Undeliverable(error.message) from error
        except BadRequest as error:
            raise Undeliverable(error.message) from error
        except NetworkError as error:
            raise RetryLater(5.0, f"telegram network: {error.message}") from error

    async def _edit_buttons(self, chat_id: str, message_id: str, reply: Reply) -> SendResult:
        """Give one of our messages the reply's buttons (none: take them off). One deleted, too
        old to edit or already so needs nothing more: a press on it is answered as stale."""
        markup = render_markup(reply) if reply.buttons else None
        try:
            await self.bot.edit_message_reply_markup(chat_id, int(message_id), reply_markup=markup)
        except BadRequest as error:
            log.info("buttons of message %s left as they are: %s", message_id, error.message)
        except RetryAfter as error:
            retry = error.retry_after
            seconds = retry.total_seconds() if hasattr(retry, "total_seconds") else float(retry)
            raise RetryLater(seconds, "telegram 429") from error
        except NetworkError as error:
            raise RetryLater(5.0, f"telegram network: {error.message}") from error
        return SendResult()

    async def _send_pin(self, chat_id: str, pin: MapPin) -> SendResult:
        """The place as a venue: a map the officer can open, its title and address under it
        (Telegram requires an address: the coordinates stand in when there are no words).
        Given as a `Venue`: python-telegram-bot refuses a latitude or longitude of 0 otherwise."""
        place = Location(pin.longitude, pin.latitude)
        venue = Venue(place, pin.title, pin.address or pin.coordinates())
        message = await self.bot.send_venue(chat_id, venue=venue)
        return SendResult(str(message.message_id))

    async def _send_content(self, chat_id: str, reply: Reply) -> SendResult:
        """The reply's file with the text as its caption, or the text alone in parts."""
        image = is_image(reply.document_name or "")
        media = "photo" if image else "document"
        if reply.document_path:
            with Path(reply.document_path).open("rb") as handle:
                return await self._send_file(chat_id, reply, media, handle)
        if reply.document_data:
            data = base64.b64decode(reply.document_data)
            return await self._send_file(chat_id, reply, media, data)
        if reply.attachment:
            media = "photo" if reply.attachment.media == "photo" else "document"
            return await self._send_file(chat_id, reply, media, reply.attachment.file_id)
        parts = split_text(reply.text)
        for part in parts[:-1]:
            await self.bot.send_message(chat_id, part)
        message = await self.bot.send_message(chat_id, parts[-1], reply_markup=render_markup(reply))
        return SendResult(str(message.message_id))

    async def _send_file(
        self, chat_id: str, reply: Reply, media: str, file: BinaryIO | bytes | str
    ) -> SendResult:
        """A photo or document with the text as its caption, or after the text when it is long."""
        caption: str | None = reply.text
        if utf16_length(reply.text) > CAPTION_LIMIT:
            for part in split_text(reply.text):
                await self.bot.send_message(chat_id, part)
            caption = None
        markup = render_markup(reply)
        if media == "photo":
            message = await self.bot.send_photo(
                chat_id, file, caption=caption or None, reply_markup=markup
            )
        else:
            message = await self.bot.send_document(
                chat_id,
                file,
                filename=reply.document_name,
                caption=caption or None,
                reply_markup=markup,
            )
        return SendResult(str(message.message_id))

    async def download(self, file: FileRef, destination: str) -> int:
        """Fetch a file the user sent (Telegram's limit for bots is 20 MB)."""
        telegram_file = await self.bot.get_file(file.file_id)
        path = Path(destination)
        path.parent.mkdir(parents=True, exist_ok=True)
        await telegram_file.download_to_drive(path)
        return path.stat().st_size

    async def acknowledge_buttons(self, updates: Sequence[Update]) -> None:
        """Stop the spinner on pressed buttons; the answer itself comes through the outbox."""
        for update in updates:
            if update.callback_query is not None:
                with contextlib.suppress(TelegramError):
                    await update.callback_query.answer()

    async def poll(self, accept: Accept, clock: Callable[[], datetime]) -> None:
        """Long polling: a batch is confirmed to Telegram only after it is stored."""
        await self.bot.delete_webhook(drop_pending_updates=False)
        offset: int | None = None
        while True:
            try:
                updates = await self.bot.get_updates(
                    offset=offset, timeout=POLL_TIMEOUT_SECONDS, allowed_updates=ALLOWED_UPDATES
                )
            except NetworkError as error:
                log.warning("telegram polling failed (%s); retrying", error.message)
                await asyncio.sleep(2)
                continue
            if not updates:
                continue
            now = clock()
            try:
                await accept([i for u in updates if (i := to_incoming(u, now)) is not None])
            except Exception:
                log.exception("could not store updates; Telegram will deliver them again")
                await asyncio.sleep(2)
                continue
            offset = updates[-1].update_id + 1
            self._in_background(self.acknowledge_buttons(updates))

    def webhook_handler(
        self, secret: str, accept: Accept, clock: Callable[[], datetime]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        """An aiohttp handler: check the secret header in constant time before reading the body,
        read and parse it within bounds (`bot.channels.webhooks`), store, then say 200."""
        expected = secret.encode()

        async def receive(request: web.Request) -> web.Response:
            refused = refused_without_secret(request, SECRET_HEADER, expected, "telegram")
            if refused is not None:
                return refused
            try:
                update = parse_update(await read_json(request), self.bot)
            except Refused as refusal:
                return refusal.response()
            except ValueError:
                return web.Response(status=400, text="bad update")
            if (incoming := to_incoming(update, clock())) is not None:
                await accept([incoming])
                self._in_background(self.acknowledge_buttons([update]))
            return web.Response(text="ok")

        return receive
