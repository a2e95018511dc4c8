"""A fake Telegram Bot API server that the real python-telegram-bot stack talks HTTP to.

Why a server and not mocks: the bugs that hurt a Telegram bot live in the wire format and in
Telegram's rules, not in our own call sites — a reply_markup that PTB encodes as a JSON string
inside a form, a callback_data of 65 bytes, an HTML message with an unescaped ``<``, an edit
that changes nothing, a 429 under load, a duplicate update after a crash. A mock repeats our
own assumptions back to us; this server applies Telegram's rules instead, so a test that
passes here fails for the same reasons on the real Bot API.

Usage::

    async with FakeTelegram() as tg:
        bot = telegram.Bot(**tg.bot_kwargs())      # token, base_url, base_file_url
        an = tg.user(1001, first_name="An")
        await an.send_command("/start")
        ...the bot under test polls getUpdates (or gets a webhook) and answers...
        reply = await an.next_reply()
        assert reply.buttons == [[("Khiếu nại", "complaint")]]
        await an.press("Khiếu nại")

What is faithful (behaviour of the official Bot API server that a bot must respect):

* Requests: GET query strings, JSON bodies, urlencoded and multipart forms. PTB 22 always
  sends a form whose values are strings; nested objects (reply_markup, entities, commands,
  allowed_updates, reply_parameters) arrive as JSON-encoded strings and are decoded per field,
  numbers and booleans (``"true"``) are parsed per field, as Telegram does. Method names are
  case-insensitive.
* Errors have Telegram's shape ``{"ok": false, "error_code": N, "description": "..."}`` and
  Telegram's wording; a 429 carries ``parameters.retry_after`` (whole seconds).
* getUpdates: updates with update_id < offset are confirmed and forgotten, a negative offset
  keeps only the last ``-offset`` updates, ``limit`` is clamped to 1..100, a long poll wakes as
  soon as an update is queued, a newer getUpdates ends an older one with 409 "terminated by
  other getUpdates request", and getUpdates answers 409 while a webhook is set.
  ``allowed_updates`` is remembered between calls, as on Telegram.
* Webhooks: each update is POSTed in order with ``X-Telegram-Bot-Api-Secret-Token``; a non-2xx
  answer or an unreachable URL is retried (with backoff) until it succeeds, and the error shows
  in getWebhookInfo. A JSON answer with a ``method`` field is executed, as Telegram does.
* Text: parse_mode HTML / MarkdownV2 / Markdown is parsed into text + entities with Telegram's
  errors ("can't parse entities: ..."); leading and trailing whitespace is trimmed; text is
  limited to 4096 characters and captions to 1024 after parsing.
* Keyboards: inline buttons need exactly one action; callback_data must be 1-64 bytes.
  editMessageText / editMessageReplyMarkup without reply_markup REMOVE the inline keyboard,
  and an edit that changes nothing is refused with "message is not modified".
* Files: uploads keep their bytes; getFile returns a file_path downloadable from
  ``/file/bot<token>/<file_path>``; photos must be real images (PNG/JPEG/GIF/WEBP/BMP), a user's
  photo arrives as several sizes of which only the LAST is the original.
* Chats: only chats of users created with :meth:`FakeTelegram.user` exist ("chat not found"
  otherwise); a blocked user answers 403 "Forbidden: bot was blocked by the user".
* Places: sendLocation and sendVenue need both coordinates, a latitude within -90..90 and a
  longitude within -180..180 (finite numbers); sendVenue also a title and an address. The
  message carries ``location`` (and ``venue``), as Telegram's does.

Deliberate deviations: webhooks may be plain ``http://`` on any port (Telegram demands HTTPS on
443/80/88/8443); sending files by URL and inline mode are not supported; methods we do not
implement answer 501 "Not Implemented" so a test fails loudly instead of pretending.

Rate limits (off unless configured; for benchmarks): with ``per_chat_rate=r`` a send to a chat
is refused when that chat's previous ACCEPTED send was less than ``(1 - rate_tolerance) / r``
seconds ago (0.9 s for 1 msg/s); with ``global_rate=g`` a send is refused when
``floor(g * (1 + rate_tolerance))`` sends (33 for 30/s) were accepted in the preceding 1.0 s.
"Sends" are sendMessage, sendPhoto, sendDocument, sendLocation and sendVenue; refused sends are
not counted. The 429 answer's retry_after is the whole number of seconds (at least 1) until the
send would be allowed by the nominal rate.
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import math
import re
import struct
import time
import zlib
from collections import Counter, deque
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any, NamedTuple, TypedDict

import aiohttp
from aiohttp import web

__all__ = [
    "DEFAULT_TOKEN",
    "BotKwargs",
    "Call",
    "FakeTelegram",
    "KeyboardButtonView",
    "ParseError",
    "Reply",
    "SentMessage",
    "SimUser",
    "StoredFile",
    "Upload",
    "WebhookDelivery",
    "image_size",
    "parse_html",
    "parse_markdown",
    "parse_markdown_v2",
    "tiny_png",
    "utf16_len",
]

DEFAULT_TOKEN = "123456789:AAFakeTokenForTiepDanTests_0123456789"
SECRET_HEADER = "X-Telegram-Bot-Api-Secret-Token"

MAX_TEXT = 4096
MAX_CAPTION = 1024
MAX_CALLBACK_DATA_BYTES = 64
MAX_DOWNLOAD = 20 * 1024 * 1024  # getFile refuses bigger files
MAX_UPLOAD = 50 * 1024 * 1024  # multipart uploads above this get 413
MAX_INLINE_BUTTONS = 100

# Telegram's descriptions, verbatim, so that code matching on them is tested for real.
UNAUTHORIZED = "Unauthorized"
NOT_FOUND = "Not Found"
CHAT_ID_EMPTY = "Bad Request: chat_id is empty"
CHAT_NOT_FOUND = "Bad Request: chat not found"
BOT_BLOCKED = "Forbidden: bot was blocked by the user"
TEXT_EMPTY = "Bad Request: message text is empty"
TEXT_TOO_LONG = "Bad Request: message is too long"
CAPTION_TOO_LONG = "Bad Request: message caption is too long"
BUTTON_DATA_INVALID = "Bad Request: BUTTON_DATA_INVALID"
TEXT_BUTTON_IN_INLINE = (
    "Bad Request: can't parse inline keyboard button: "
    "Text buttons are unallowed in the inline keyboard"
)
MARKUP_UNPARSABLE = "Bad Request: can't parse reply keyboard markup JSON object"
INLINE_KEYBOARD_EXPECTED = "Bad Request: inline keyboard expected"
REPLY_NOT_FOUND = "Bad Request: message to be replied not found"
MESSAGE_ID_EMPTY = "Bad Request: message identifier is not specified"
EDIT_NOT_FOUND = "Bad Request: message to edit not found"
EDIT_FORBIDDEN = "Bad Request: message can't be edited"
EDIT_NO_TEXT = "Bad Request: there is no text in the message to edit"
NOT_MODIFIED = (
    "Bad Request: message is not modified: specified new message content and reply markup "
    "are exactly the same as a current content and reply markup of the message"
)
DELETE_NOT_FOUND = "Bad Request: message to delete not found"
DELETE_TOO_OLD = "Bad Request: message can't be deleted for everyone"
QUERY_ID_INVALID = (
    "Bad Request: query is too old and response timeout expired or query ID is invalid"
)
ACTION_INVALID = "Bad Request: wrong parameter action in request"
PARSE_MODE_UNSUPPORTED = "Bad Request: unsupported parse_mode"
CANT_PARSE_ENTITIES = "Bad Request: can't parse entities: "
FILE_ID_INVALID = "Bad Request: invalid file_id"
FILE_ID_MISSING = "Bad Request: file_id not specified"
FILE_TOO_BIG = "Bad Request: file is too big"
FILE_EMPTY = "Bad Request: file must be non-empty"
WRONG_FILE_ID = "Bad Request: wrong file identifier/HTTP URL specified"
IMAGE_PROCESS_FAILED = "Bad Request: IMAGE_PROCESS_FAILED"
FILE_URL_UNSUPPORTED = "Bad Request: sending files by URL is not supported by FakeTelegram"
LATITUDE_EMPTY = "Bad Request: latitude is empty"
LONGITUDE_EMPTY = "Bad Request: longitude is empty"
# The three below follow the Bot API's way of wording TDLib's refusals; not checked against the
# live server, so match on them loosely ("wrong location"), as python-telegram-bot rewords them.
LOCATION_INVALID = "Bad Request: wrong location specified"
VENUE_TITLE_EMPTY = "Bad Request: venue title is empty"
VENUE_ADDRESS_EMPTY = "Bad Request: venue address is empty"
WEBHOOK_ACTIVE = (
    "Conflict: can't use getUpdates method while webhook is active; "
    "use deleteWebhook to delete the webhook first"
)
TERMINATED_BY_POLL = (
    "Conflict: terminated by other getUpdates request; "
    "make sure that only one bot instance is running"
)
TERMINATED_BY_WEBHOOK = "Conflict: terminated by setWebhook request"
WEBHOOK_URL_INVALID = "Bad Request: invalid webhook URL specified"
SECRET_TOO_LONG = "Bad Request: secret token is too long"
SECRET_INVALID = "Bad Request: secret token contains illegal characters"
COMMAND_INVALID = "Bad Request: BOT_COMMAND_INVALID"
COMMANDS_TOO_MUCH = "Bad Request: BOT_COMMANDS_TOO_MUCH"
COMMAND_DESCRIPTION_EMPTY = "Bad Request: command description must be non-empty"
COMMAND_DESCRIPTION_TOO_LONG = "Bad Request: command description length must not exceed 256"
REQUEST_TOO_LARGE = "Request Entity Too Large"
CLIENT_GONE = "Bad Request: the connection closed before the request was complete"

CHAT_ACTIONS = frozenset(
    {
        "cancel", "typing", "record_video", "upload_video", "record_voice", "record_audio",
        "upload_voice", "upload_audio", "upload_photo", "upload_document", "choose_sticker",
        "find_location", "pick_up_location", "record_video_note", "upload_video_note",
    }
)  # fmt: skip

# Sends subject to flood control (see the module docstring for the exact rule).
RATE_LIMITED_METHODS = frozenset(
    {"sendMessage", "sendPhoto", "sendDocument", "sendLocation", "sendVenue"}
)

# Real Bot API methods this fake does not implement: answered with 501 rather than the 404 of
# an unknown method, so that a test fails with a message saying what is missing.
UNIMPLEMENTED_METHODS = frozenset(
    {
        "logOut", "close", "forwardMessage", "forwardMessages", "copyMessage", "copyMessages",
        "sendAudio", "sendVideo", "sendAnimation", "sendVoice", "sendVideoNote", "sendPaidMedia",
        "sendMediaGroup", "sendContact", "sendPoll", "sendDice",
        "sendSticker", "setMessageReaction", "getUserProfilePhotos", "getChat",
        "getChatMember", "getChatAdministrators", "getChatMemberCount", "leaveChat",
        "pinChatMessage", "unpinChatMessage", "unpinAllChatMessages", "banChatMember",
        "setMyName", "getMyName", "setMyDescription", "getMyDescription",
        "setMyShortDescription", "getMyShortDescription", "setChatMenuButton",
        "getChatMenuButton", "setMyDefaultAdministratorRights", "editMessageCaption",
        "editMessageMedia", "editMessageLiveLocation", "stopMessageLiveLocation", "stopPoll",
        "deleteMessages", "answerInlineQuery", "sendInvoice", "answerWebAppQuery",
    }
)  # fmt: skip

# Update kinds Telegram only sends when asked for explicitly in allowed_updates.
OPT_IN_UPDATES = frozenset({"chat_member", "message_reaction", "message_reaction_count"})

# How form fields are typed. Telegram decodes each parameter by its declared type; PTB sends
# every value as a string (objects JSON-encoded), so the fake must do the same decoding.
_JSON_PARAMS = frozenset(
    {
        "reply_markup", "entities", "caption_entities", "commands", "scope", "allowed_updates",
        "reply_parameters", "link_preview_options", "media", "message_ids",
    }
)  # fmt: skip
_INT_PARAMS = frozenset(
    {
        "chat_id", "message_id", "offset", "limit", "max_connections", "cache_time",
        "reply_to_message_id", "from_chat_id", "duration", "width", "height",
        "message_thread_id",
    }
)  # fmt: skip
_FLOAT_PARAMS = frozenset({"timeout", "latitude", "longitude"})
_BOOL_PARAMS = frozenset(
    {
        "drop_pending_updates", "show_alert", "disable_notification", "protect_content",
        "disable_web_page_preview", "allow_sending_without_reply", "has_spoiler",
        "disable_content_type_detection", "allow_paid_broadcast", "show_caption_above_media",
    }
)  # fmt: skip
_INLINE_ACTIONS = (
    "callback_data", "url", "web_app", "login_url", "switch_inline_query",
    "switch_inline_query_current_chat", "switch_inline_query_chosen_chat", "copy_text",
    "callback_game", "pay",
)  # fmt: skip
_SECRET_TOKEN_RE = re.compile(r"[A-Za-z0-9_-]*")
_COMMAND_RE = re.compile(r"[a-z0-9_]{1,32}")
_BOT_COMMAND_IN_TEXT_RE = re.compile(r"(?<![\w/])/[A-Za-z0-9_]{1,32}(?:@[A-Za-z0-9_]{3,32})?")


# --------------------------------------------------------------------------------------------
# Records visible to tests
# --------------------------------------------------------------------------------------------


class BotKwargs(TypedDict):
    """What ``telegram.Bot`` needs to talk to this server instead of api.telegram.org."""

    token: str
    base_url: str
    base_file_url: str


@dataclass(frozen=True)
class Upload:
    """One file part of a multipart request, as the bot uploaded it."""

    field: str
    filename: str | None
    content_type: str | None
    data: bytes


@dataclass
class Call:
    """One Bot API request, whatever its outcome, so tests can assert on what the bot did."""

    method: str
    params: dict[str, Any]  # typed as Telegram reads them (reply_markup is a dict)
    time: float  # time.monotonic() when the request arrived
    status: int = 200
    description: str | None = None
    result: Any = None
    uploads: dict[str, Upload] = field(default_factory=dict)
    raw_params: dict[str, Any] = field(default_factory=dict)  # as received on the wire
    content_type: str | None = None  # of the request body, None without a body


@dataclass
class StoredFile:
    """A file Telegram holds: sent by a simulated user or uploaded by the bot."""

    file_id: str
    file_unique_id: str
    kind: str  # photo | document | voice | sticker
    data: bytes
    file_name: str | None = None
    mime_type: str | None = None
    width: int | None = None
    height: int | None = None
    file_path: str | None = None  # assigned by the first getFile, as on Telegram

    @property
    def file_size(self) -> int:
        """Size in bytes, as Telegram reports it."""
        return len(self.data)


@dataclass
class SentMessage:
    """A message the bot sent, kept up to date with later edits and deletion."""

    chat_id: int
    message_id: int
    method: str
    params: dict[str, Any]  # typed parameters of the call that sent it
    message: dict[str, Any]  # the current Telegram Message object
    reply_markup: dict[str, Any] | None  # as last set by a send or an edit
    sent_at: float  # time.monotonic()
    files: list[StoredFile] = field(default_factory=list)
    deleted: bool = False
    edits: list[dict[str, Any]] = field(default_factory=list)  # params of each accepted edit

    @property
    def text(self) -> str | None:
        """Text or caption as the user sees it (markup parsed away)."""
        return self.message.get("text", self.message.get("caption"))

    @property
    def raw_text(self) -> str | None:
        """Text or caption exactly as the bot sent it (last edit included)."""
        source = self.edits[-1] if self.edits and "text" in self.edits[-1] else self.params
        return source.get("text", source.get("caption"))

    @property
    def parse_mode(self) -> str | None:
        """The parse_mode the bot used."""
        source = self.edits[-1] if self.edits and "text" in self.edits[-1] else self.params
        return source.get("parse_mode")

    @property
    def document(self) -> StoredFile | None:
        """The document sent with sendDocument, with its bytes."""
        return next((f for f in self.files if f.kind == "document"), None)

    @property
    def photo(self) -> StoredFile | None:
        """The largest size of a photo sent with sendPhoto (the original bytes)."""
        photos = [f for f in self.files if f.kind == "photo"]
        return photos[-1] if photos else None

    @property
    def location(self) -> dict[str, Any] | None:
        """The place sent with sendLocation or sendVenue: its latitude and longitude."""
        return self.message.get("location")

    @property
    def venue(self) -> dict[str, Any] | None:
        """The venue sent with sendVenue: its location, title and address."""
        return self.message.get("venue")


class KeyboardButtonView(NamedTuple):
    """A reply-keyboard button as the user sees it."""

    text: str
    request_contact: bool = False
    request_location: bool = False


@dataclass(frozen=True)
class Reply:
    """A snapshot of one bot message as the user received it (see :meth:`SimUser.next_reply`).

    ``buttons`` are the inline keyboard rows as ``(text, callback_data)`` pairs (callback_data
    is None for URL and other non-callback buttons); ``keyboard`` is the reply keyboard sent
    with this message, if any; ``remove_keyboard`` tells whether it removed the keyboard.
    """

    message_id: int
    text: str | None
    buttons: list[list[tuple[str, str | None]]]
    keyboard: list[list[KeyboardButtonView]] | None
    remove_keyboard: bool
    raw_text: str | None
    parse_mode: str | None
    entities: list[dict[str, Any]]
    photo: StoredFile | None
    document: StoredFile | None
    message: dict[str, Any]
    sent: SentMessage

    @classmethod
    def of(cls, sent: SentMessage) -> Reply:
        """Snapshot a sent message in its current state."""
        markup = sent.reply_markup or {}
        buttons = [
            [(b.get("text", ""), b.get("callback_data")) for b in row]
            for row in (sent.message.get("reply_markup") or {}).get("inline_keyboard", [])
        ]
        keyboard = None
        if "keyboard" in markup:
            keyboard = [
                [
                    KeyboardButtonView(
                        b["text"],
                        bool(b.get("request_contact")),
                        bool(b.get("request_location")),
                    )
                    for b in row
                ]
                for row in markup["keyboard"]
            ]
        message = copy.deepcopy(sent.message)
        return cls(
            message_id=sent.message_id,
            text=sent.text,
            buttons=buttons,
            keyboard=keyboard,
            remove_keyboard=bool(markup.get("remove_keyboard")),
            raw_text=sent.raw_text,
            parse_mode=sent.parse_mode,
            entities=message.get("entities", message.get("caption_entities", [])),
            photo=sent.photo,
            document=sent.document,
            message=message,
            sent=sent,
        )

    @property
    def button_texts(self) -> list[str]:
        """All inline button texts, row by row."""
        return [text for row in self.buttons for text, _ in row]

    @property
    def location(self) -> dict[str, Any] | None:
        """The place of a sendLocation or sendVenue message: its latitude and longitude."""
        return self.message.get("location")

    @property
    def venue(self) -> dict[str, Any] | None:
        """The venue of a sendVenue message: its location, title and address."""
        return self.message.get("venue")


@dataclass(frozen=True)
class WebhookDelivery:
    """One attempt to POST an update to the webhook."""

    update_id: int
    url: str
    status: int | None  # None when the webhook was unreachable
    error: str | None


class ApiError(Exception):
    """A Bot API error answer; raised inside handlers, turned into Telegram's JSON shape."""

    def __init__(self, status: int, description: str, retry_after: int | None = None) -> None:
        super().__init__(description)
        self.status = status
        self.description = description
        self.retry_after = retry_after

    def body(self) -> dict[str, Any]:
        """Telegram's error object."""
        body: dict[str, Any] = {
            "ok": False,
            "error_code": self.status,
            "description": self.description,
        }
        if self.retry_after is not None:
            body["parameters"] = {"retry_after": self.retry_after}
        return body


class ParseError(ValueError):
    """Text with parse_mode that Telegram would refuse; the message follows Telegram's."""


# --------------------------------------------------------------------------------------------
# Formatted text: Telegram's parse modes, producing plain text and entities (UTF-16 offsets)
# --------------------------------------------------------------------------------------------


def utf16_len(text: str) -> int:
    """Length in UTF-16 code units: the unit of Telegram's entity offsets."""
    return len(text.encode("utf-16-le")) // 2


def _byte_offset(text: str, index: int) -> int:
    """UTF-8 byte offset of ``text[index]``: the unit of Telegram's parse error positions."""
    return len(text[:index].encode())


class _Out:
    """Plain text being built, tracking its length in UTF-16 units for entity offsets."""

    def __init__(self) -> None:
        self.parts: list[str] = []
        self.u16 = 0

    def add(self, piece: str) -> None:
        self.parts.append(piece)
        self.u16 += utf16_len(piece)

    def text(self) -> str:
        return "".join(self.parts)


@dataclass
class _Open:
    """An entity whose start has been read and whose end has not."""

    marker: str
    kind: str
    start: int  # UTF-16 offset in the output
    at: int  # UTF-8 byte offset in the input, for error messages
    extra: dict[str, str] = field(default_factory=dict)


def _entity(kind: str, start: int, end: int, **extra: str) -> dict[str, Any]:
    return {"offset": start, "length": end - start, "type": kind, **extra}


def _sorted_entities(entities: list[dict[str, Any]]) -> list[dict[str, Any]]:
    return sorted(
        (e for e in entities if e["length"] > 0), key=lambda e: (e["offset"], -e["length"])
    )


_HTML_TAGS = {
    "b": "bold",
    "strong": "bold",
    "i": "italic",
    "em": "italic",
    "u": "underline",
    "ins": "underline",
    "s": "strikethrough",
    "strike": "strikethrough",
    "del": "strikethrough",
    "span": "spoiler",
    "tg-spoiler": "spoiler",
    "a": "text_link",
    "code": "code",
    "pre": "pre",
    "blockquote": "blockquote",
    "tg-emoji": "custom_emoji",
}
_HTML_NAMED = {"lt": "<", "gt": ">", "amp": "&", "quot": '"'}
_HTML_ENTITY_RE = re.compile(r"&(#[0-9]{1,7}|#x[0-9a-fA-F]{1,6}|[a-zA-Z]{1,8});")


def _html_unescape_at(text: str, i: int) -> tuple[str, int]:
    """Decode the character reference at ``text[i] == '&'``; unknown ones stay literal."""
    match = _HTML_ENTITY_RE.match(text, i)
    if match:
        name = match.group(1)
        if name.startswith("#x"):
            return chr(int(name[2:], 16)), match.end()
        if name.startswith("#"):
            return chr(int(name[1:])), match.end()
        if name in _HTML_NAMED:
            return _HTML_NAMED[name], match.end()
    return "&", i + 1


def _html_unescape(value: str) -> str:
    out, i = [], 0
    while i < len(value):
        if value[i] == "&":
            char, i = _html_unescape_at(value, i)
            out.append(char)
        else:
            out.append(value[i])
            i += 1
    return "".join(out)


def _html_attributes(text: str, i: int, at: int) -> tuple[dict[str, str], int]:
    """Read attributes up to the closing '>' of a start tag; return them and the next index."""
    attrs: dict[str, str] = {}
    n = len(text)
    while True:
        while i < n and text[i] in " \t\r\n/":
            i += 1
        if i >= n:
            raise ParseError(f"Unclosed start tag at byte offset {at}")
        if text[i] == ">":
            return attrs, i + 1
        start = i
        while i < n and text[i] not in " \t\r\n=>":
            i += 1
        name = text[start:i].lower()
        value = ""
        if i < n and text[i] == "=":
            i += 1
            if i < n and text[i] in "\"'":
                quote = text[i]
                end = text.find(quote, i + 1)
                if end < 0:
                    raise ParseError(f"Unclosed start tag at byte offset {at}")
                value, i = text[i + 1 : end], end + 1
            else:
                start = i
                while i < n and text[i] not in " \t\r\n>":
                    i += 1
                value = text[start:i]
        attrs[name] = _html_unescape(value)


def parse_html(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse ``parse_mode=HTML`` like Telegram: supported tags only, balanced, escaped."""
    out = _Out()
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        if char == "&":
            decoded, i = _html_unescape_at(text, i)
            out.add(decoded)
            continue
        if char != "<":
            j = i + 1
            while j < n and text[j] not in "<&":
                j += 1
            out.add(text[i:j])
            i = j
            continue
        at = _byte_offset(text, i)
        if text.startswith("</", i):
            end = text.find(">", i)
            if end < 0:
                raise ParseError(f"Unclosed end tag at byte offset {at}")
            name = text[i + 2 : end].strip().lower()
            if not stack:
                raise ParseError(f'Unexpected end tag at byte offset {at}, found "</{name}>"')
            top = stack.pop()
            if name != top.marker:
                raise ParseError(
                    f'Unmatched end tag at byte offset {at}, expected "</{top.marker}>", '
                    f'found "</{name}>"'
                )
            _close_html(top, out.u16, entities, stack)
            i = end + 1
            continue
        j = i + 1
        while j < n and text[j] not in " \t\r\n>/":
            j += 1
        name = text[i + 1 : j].lower()
        if name not in _HTML_TAGS:
            raise ParseError(f'Unsupported start tag "{name}" at byte offset {at}')
        attrs, i = _html_attributes(text, j, at)
        if name == "span" and attrs.get("class") != "tg-spoiler":
            raise ParseError(f'Tag "span" must have class "tg-spoiler" at byte offset {at}')
        if name == "tg-emoji" and not attrs.get("emoji-id"):
            raise ParseError(f'Tag "tg-emoji" must have attribute "emoji-id" at byte offset {at}')
        stack.append(_Open(name, _HTML_TAGS[name], out.u16, at, attrs))
    if stack:
        raise ParseError(f'Can\'t find end tag corresponding to start tag "{stack[-1].marker}"')
    return out.text(), _sorted_entities(entities)


def _close_html(top: _Open, end: int, entities: list[dict[str, Any]], stack: list[_Open]) -> None:
    kind, attrs = top.kind, top.extra
    if kind == "text_link":
        if attrs.get("href"):
            entities.append(_entity(kind, top.start, end, url=attrs["href"]))
        return
    if kind == "code" and stack and stack[-1].kind == "pre":
        language = attrs.get("class", "")
        if language.startswith("language-"):
            stack[-1].extra["language"] = language.removeprefix("language-")
            return
    if kind == "pre":
        extra = {"language": attrs["language"]} if attrs.get("language") else {}
        entities.append(_entity(kind, top.start, end, **extra))
        return
    if kind == "blockquote" and "expandable" in attrs:
        kind = "expandable_blockquote"
    if kind == "custom_emoji":
        entities.append(_entity(kind, top.start, end, custom_emoji_id=attrs["emoji-id"]))
        return
    entities.append(_entity(kind, top.start, end))


_MDV2_MARKERS = {
    "*": "bold",
    "_": "italic",
    "__": "underline",
    "~": "strikethrough",
    "||": "spoiler",
}
_MDV2_NAMES = {
    "bold": "Bold",
    "italic": "Italic",
    "underline": "Underline",
    "strikethrough": "Strikethrough",
    "spoiler": "Spoiler",
    "text_link": "TextUrl",
    "custom_emoji": "CustomEmoji",
    "code": "Code",
    "pre": "Pre",
}
_MDV2_RESERVED = frozenset("_*[]()~`>#+-=|{}.!")


def _mdv2_until(text: str, i: int, closer: str, what: str, at: int) -> tuple[str, int]:
    """Read escaped content up to an unescaped ``closer``; return it and the index after."""
    out: list[str] = []
    n = len(text)
    while i < n:
        if text[i] == "\\" and i + 1 < n:
            out.append(text[i + 1])
            i += 2
            continue
        if text.startswith(closer, i):
            return "".join(out), i + len(closer)
        out.append(text[i])
        i += 1
    raise ParseError(f"Can't find end of {what} entity at byte offset {at}")


def parse_markdown_v2(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse ``parse_mode=MarkdownV2`` like Telegram, including its reserved characters.

    Every one of ``_*[]()~`>#+-=|{}.!`` outside an entity must be escaped with ``\\`` —
    the most common reason real bots get "can't parse entities".
    """
    out = _Out()
    entities: list[dict[str, Any]] = []
    stack: list[_Open] = []
    quote: _Open | None = None
    quote_end = 0
    line_start = True
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        at = _byte_offset(text, i)
        if line_start:
            line_start = False
            if char == ">" or text.startswith("**>", i):
                if quote is None:
                    expandable = char == "*"
                    kind = "expandable_blockquote" if expandable else "blockquote"
                    quote = _Open(">", kind, out.u16, at)
                i += 3 if char == "*" else 1
                continue
            if quote is not None:
                entities.append(_entity(quote.kind, quote.start, quote_end))
                quote = None
        if char == "\\":
            if i + 1 >= n:
                raise ParseError(
                    "Character '\\' is reserved and must be escaped with the preceding '\\'"
                )
            out.add(text[i + 1])
            i += 2
            continue
        if char == "\n":
            quote_end = out.u16
            out.add("\n")
            line_start = True
            i += 1
            continue
        if char == "`":
            if text.startswith("```", i):
                body, i = _mdv2_until(text, i + 3, "```", "Pre", at)
                language = ""
                first, newline, rest = body.partition("\n")
                if newline and first and " " not in first:
                    language, body = first, rest
                elif newline and not first:
                    body = rest
                start = out.u16
                out.add(body)
                extra = {"language": language} if language else {}
                entities.append(_entity("pre", start, out.u16, **extra))
            else:
                body, i = _mdv2_until(text, i + 1, "`", "Code", at)
                start = out.u16
                out.add(body)
                entities.append(_entity("code", start, out.u16))
            continue
        if char == "[" or text.startswith("![", i):
            kind = "custom_emoji" if char == "!" else "text_link"
            stack.append(_Open("[", kind, out.u16, at))
            i += 2 if char == "!" else 1
            continue
        if char == "]" and stack and stack[-1].marker == "[":
            link = stack.pop()
            if not text.startswith("(", i + 1):
                raise ParseError(f"Can't find end of {_MDV2_NAMES[link.kind]} entity at byte "
                                 f"offset {link.at}")  # fmt: skip
            url, i = _mdv2_until(text, i + 2, ")", _MDV2_NAMES[link.kind], link.at)
            if link.kind == "custom_emoji":
                emoji_id = url.partition("id=")[2]
                entities.append(_entity(link.kind, link.start, out.u16, custom_emoji_id=emoji_id))
            elif url:
                entities.append(_entity(link.kind, link.start, out.u16, url=url))
            continue
        marker = None
        if text.startswith("||", i):
            marker = "||"
        elif char == "_":
            # "__" is underline; in "___" an open italic is closed first ("__a _b___").
            closes_italic = bool(stack) and stack[-1].marker == "_" and text.startswith("___", i)
            marker = "__" if text.startswith("__", i) and not closes_italic else "_"
        elif char in "*~":
            marker = char
        if marker is not None:
            if stack and stack[-1].marker == marker:
                top = stack.pop()
                entities.append(_entity(top.kind, top.start, out.u16))
            elif any(o.marker == marker for o in stack):
                top = stack[-1]
                raise ParseError(
                    f"Can't find end of {_MDV2_NAMES[top.kind]} entity at byte offset {top.at}"
                )
            else:
                stack.append(_Open(marker, _MDV2_MARKERS[marker], out.u16, at))
            i += len(marker)
            continue
        if char in _MDV2_RESERVED:
            raise ParseError(
                f"Character '{char}' is reserved and must be escaped with the preceding '\\'"
            )
        j = i + 1
        while j < n and text[j] not in _MDV2_RESERVED and text[j] not in "\\\n":
            j += 1
        out.add(text[i:j])
        i = j
    if quote is not None:
        entities.append(_entity(quote.kind, quote.start, out.u16))
    if stack:
        top = stack[-1]
        raise ParseError(
            f"Can't find end of {_MDV2_NAMES[top.kind]} entity at byte offset {top.at}"
        )
    return out.text(), _sorted_entities(entities)


def parse_markdown(text: str) -> tuple[str, list[dict[str, Any]]]:
    """Parse legacy ``parse_mode=Markdown``: *bold*, _italic_, `code`, ```pre```, [t](url)."""
    out = _Out()
    entities: list[dict[str, Any]] = []
    i, n = 0, len(text)
    while i < n:
        char = text[i]
        at = _byte_offset(text, i)
        missing = f"Can't find end of the entity starting at byte offset {at}"
        if char == "\\" and i + 1 < n and text[i + 1] in "_*`[":
            out.add(text[i + 1])
            i += 2
        elif char in "*_" or char == "`":
            closer = "```" if text.startswith("```", i) else char
            end = text.find(closer, i + len(closer))
            if end < 0:
                raise ParseError(missing)
            body = text[i + len(closer) : end]
            kind = {"*": "bold", "_": "italic", "`": "code", "```": "pre"}[closer]
            if kind == "pre" and "\n" in body and " " not in body.partition("\n")[0]:
                language, _, body = body.partition("\n")
                extra = {"language": language} if language else {}
            else:
                extra = {}
            start = out.u16
            out.add(body)
            entities.append(_entity(kind, start, out.u16, **extra))
            i = end + len(closer)
        elif char == "[":
            close = text.find("](", i)
            end = text.find(")", close + 2) if close >= 0 else -1
            if close < 0 or end < 0:
                raise ParseError(missing)
            start = out.u16
            out.add(text[i + 1 : close])
            entities.append(_entity("text_link", start, out.u16, url=text[close + 2 : end]))
            i = end + 1
        else:
            j = i + 1
            while j < n and text[j] not in "\\*_`[":
                j += 1
            out.add(text[i:j])
            i = j
    return out.text(), _sorted_entities(entities)


def _trim(text: str, entities: list[dict[str, Any]]) -> tuple[str, list[dict[str, Any]]]:
    """Strip leading/trailing whitespace as Telegram does, moving and clipping entities."""
    left = utf16_len(text[: len(text) - len(text.lstrip())])
    trimmed = text.strip()
    size = utf16_len(trimmed)
    kept = []
    for entity in entities:
        start = max(0, entity["offset"] - left)
        end = min(size, entity["offset"] + entity["length"] - left)
        if end > start:
            kept.append({**entity, "offset": start, "length": end - start})
    return trimmed, kept


# --------------------------------------------------------------------------------------------
# Images: enough to refuse non-images and to report dimensions as Telegram does
# --------------------------------------------------------------------------------------------


def image_size(data: bytes) -> tuple[int, int] | None:
    """(width, height) of a PNG, JPEG, GIF, BMP or WEBP image; None if it is not one."""
    if data[:8] == b"\x89PNG\r\n\x1a\n" and len(data) >= 24:
        width, height = struct.unpack(">II", data[16:24])
        return int(width), int(height)
    if data[:6] in (b"GIF87a", b"GIF89a") and len(data) >= 10:
        width, height = struct.unpack("<HH", data[6:10])
        return int(width), int(height)
    if data[:2] == b"BM" and len(data) >= 26:
        width, height = struct.unpack("<ii", data[18:26])
        return abs(int(width)), abs(int(height))
    if data[:4] == b"RIFF" and data[8:12] == b"WEBP":
        return 512, 512  # dimensions are codec-specific; a plausible size is enough here
    if data[:2] == b"\xff\xd8":
        i = 2
        while i + 9 < len(data):
            if data[i] != 0xFF:
                i += 1
                continue
            marker = data[i + 1]
            if marker == 0xFF:
                i += 1
                continue
            if marker in (0xD8, 0x01) or 0xD0 <= marker <= 0xD7:
                i += 2
                continue
            if 0xC0 <= marker <= 0xCF and marker not in (0xC4, 0xC8, 0xCC):
                height, width = struct.unpack(">HH", data[i + 5 : i + 9])
                return int(width), int(height)
            (length,) = struct.unpack(">H", data[i + 2 : i + 4])
            i += 2 + int(length)
    return None


def tiny_png(width: int = 2, height: int = 2, rgb: tuple[int, int, int] = (200, 30, 30)) -> bytes:
    """A valid solid-colour PNG, for tests that need a real image without fixtures."""

    def chunk(tag: bytes, payload: bytes) -> bytes:
        crc = zlib.crc32(tag + payload) & 0xFFFFFFFF
        return struct.pack(">I", len(payload)) + tag + payload + struct.pack(">I", crc)

    row = b"\x00" + bytes(rgb) * width
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(row * height))
        + chunk(b"IEND", b"")
    )


# --------------------------------------------------------------------------------------------
# Server state
# --------------------------------------------------------------------------------------------


@dataclass(eq=False)  # compared by identity: a resent update equals the original in content
class _Pending:
    update: dict[str, Any]
    resent: bool = False
    delivered: bool = False

    @property
    def update_id(self) -> int:
        return int(self.update["update_id"])

    @property
    def kind(self) -> str | None:
        return next((k for k in self.update if k != "update_id"), None)


@dataclass
class _Webhook:
    url: str
    secret_token: str
    max_connections: int
    last_error_date: int | None = None
    last_error_message: str | None = None


@dataclass
class _Fault:
    status: int
    description: str
    retry_after: int | None
    times: int


@dataclass
class _Chat:
    """A private chat with one simulated user; message ids are shared by both directions."""

    user: SimUser
    blocked: bool = False
    next_message_id: int = 1
    user_messages: dict[int, dict[str, Any]] = field(default_factory=dict)
    bot_messages: list[SentMessage] = field(default_factory=list)
    bot_by_id: dict[int, SentMessage] = field(default_factory=dict)

    def take_message_id(self) -> int:
        message_id = self.next_message_id
        self.next_message_id += 1
        return message_id


@dataclass
class _Answer:
    """A handler result that also carries Telegram's ``description`` (setWebhook & co.)."""

    result: Any
    description: str


Params = dict[str, Any]
Uploads = dict[str, Upload]
Handler = Callable[[Params, Uploads], Any]


class FakeTelegram:
    """The fake Bot API server. See the module docstring for what it enforces and why."""

    def __init__(
        self,
        token: str = DEFAULT_TOKEN,
        *,
        bot_username: str = "tiepdan_test_bot",
        bot_first_name: str = "Tiếp Dân (test)",
        global_rate: float | None = None,
        per_chat_rate: float | None = None,
        rate_tolerance: float = 0.1,
        first_update_id: int = 100_000_000,
        webhook_retry_delay: float = 0.05,
        webhook_max_retry_delay: float = 1.0,
        webhook_timeout: float = 10.0,
        webhook_parallel: bool = False,
        clock: Callable[[], float | datetime] = time.time,
    ) -> None:
        self.token = token
        self.bot_id = int(token.split(":", 1)[0])
        self.bot_username = bot_username
        self.bot_first_name = bot_first_name
        self.global_rate = global_rate
        self.per_chat_rate = per_chat_rate
        self.rate_tolerance = rate_tolerance
        self._clock = clock
        self._webhook_retry_delay = webhook_retry_delay
        self._webhook_max_retry_delay = webhook_max_retry_delay
        self._webhook_timeout = webhook_timeout
        # Telegram posts to a webhook over up to `max_connections` connections at once; with
        # `webhook_parallel`, so does the fake: different chats at once, each chat in order.
        self._webhook_parallel = webhook_parallel

        # What tests read.
        self.calls: list[Call] = []
        self.calls_by_method: Counter[str] = Counter()
        self.count_429 = 0
        self.answered_callbacks: dict[str, dict[str, Any]] = {}
        self.webhook_deliveries: list[WebhookDelivery] = []
        self.downloads: list[str] = []
        self.commands: dict[tuple[str, str], list[dict[str, Any]]] = {}
        self.active_polls = 0

        self._queue: list[_Pending] = []
        self._next_update_id = first_update_id
        self._allowed_updates: list[str] = []
        self._poll_generation = 0
        self._poll_abort = TERMINATED_BY_POLL
        self._webhook: _Webhook | None = None
        self._chats: dict[int, _Chat] = {}
        self._sent: list[SentMessage] = []
        self._files: dict[str, StoredFile] = {}
        self._files_by_path: dict[str, StoredFile] = {}
        self._file_counter = 0
        self._callback_counter = 0
        self._issued_callbacks: set[str] = set()
        self._faults: dict[str, deque[_Fault]] = {}
        self._recent_sends: deque[float] = deque()
        self._last_send_by_chat: dict[int, float] = {}

        self._changed = asyncio.Event()
        self._closing = False
        self._runner: web.AppRunner | None = None
        self._session: aiohttp.ClientSession | None = None
        self._webhook_task: asyncio.Task[None] | None = None
        self._port: int | None = None
        self._host = "127.0.0.1"

        methods: dict[str, Handler] = {
            "getMe": self._get_me,
            "getUpdates": self._get_updates,
            "setWebhook": self._set_webhook,
            "deleteWebhook": self._delete_webhook,
            "getWebhookInfo": self._get_webhook_info,
            "sendMessage": self._send_message,
            "editMessageText": self._edit_message_text,
            "editMessageReplyMarkup": self._edit_message_reply_markup,
            "deleteMessage": self._delete_message,
            "answerCallbackQuery": self._answer_callback_query,
            "sendChatAction": self._send_chat_action,
            "setMyCommands": self._set_my_commands,
            "getMyCommands": self._get_my_commands,
            "deleteMyCommands": self._delete_my_commands,
            "getFile": self._get_file,
            "sendPhoto": self._send_photo,
            "sendDocument": self._send_document,
            "sendLocation": self._send_location,
            "sendVenue": self._send_venue,
        }
        self._methods = {name.lower(): (name, handler) for name, handler in methods.items()}
        self._unimplemented = {name.lower(): name for name in UNIMPLEMENTED_METHODS}

    # ---- lifecycle ------------------------------------------------------------------------

    async def start(self, host: str = "127.0.0.1", port: int = 0) -> None:
        """Listen on ``host:port`` (0 = a free port) and start the webhook deliverer."""
        app = web.Application(client_max_size=MAX_UPLOAD + 1024 * 1024)
        app.router.add_route("*", "/bot{token}/{method}", self._handle_method)
        app.router.add_route("GET", "/file/bot{token}/{path:.+}", self._handle_file)
        app.router.add_route("*", "/{tail:.*}", self._handle_unknown_path)
        # Long polls end promptly on stop (see _closing), so a short shutdown timeout is safe.
        self._runner = web.AppRunner(app, access_log=None, shutdown_timeout=5.0)
        await self._runner.setup()
        site = web.TCPSite(self._runner, host, port)
        await site.start()
        self._host = host
        self._port = int(self._runner.addresses[0][1])
        self._closing = False
        self._session = aiohttp.ClientSession()
        self._webhook_task = asyncio.create_task(self._webhook_loop(), name="fake-tg-webhook")

    async def stop(self) -> None:
        """Answer pending long polls, stop webhook delivery, close the server."""
        self._closing = True
        self._touch()
        if self._webhook_task is not None:
            self._webhook_task.cancel()
            with contextlib.suppress(asyncio.CancelledError):
                await self._webhook_task
            self._webhook_task = None
        if self._session is not None:
            await self._session.close()
            self._session = None
        if self._runner is not None:
            await self._runner.cleanup()
            self._runner = None

    async def __aenter__(self) -> FakeTelegram:
        await self.start()
        return self

    async def __aexit__(self, *exc_info: object) -> None:
        await self.stop()

    @property
    def api_url(self) -> str:
        """``http://host:port`` of the running server."""
        if self._port is None:
            raise RuntimeError("FakeTelegram is not started")
        return f"http://{self._host}:{self._port}"

    @property
    def base_url(self) -> str:
        """What to pass as PTB's ``base_url`` (the token is appended by PTB)."""
        return f"{self.api_url}/bot"

    @property
    def base_file_url(self) -> str:
        """What to pass as PTB's ``base_file_url``."""
        return f"{self.api_url}/file/bot"

    def bot_kwargs(self) -> BotKwargs:
        """Keyword arguments for ``telegram.Bot(**server.bot_kwargs())``."""
        return {"token": self.token, "base_url": self.base_url, "base_file_url": self.base_file_url}

    # ---- test-facing API ------------------------------------------------------------------

    def user(
        self,
        user_id: int,
        first_name: str = "An",
        *,
        last_name: str | None = None,
        username: str | None = None,
        language_code: str | None = "vi",
    ) -> SimUser:
        """The simulated user with this id (created on first call, with a private chat)."""
        chat = self._chats.get(user_id)
        if chat is None:
            sim = SimUser(self, user_id, first_name, last_name, username, language_code)
            self._chats[user_id] = _Chat(sim)
            return sim
        return chat.user

    def block(self, chat_id: int) -> None:
        """The user blocks the bot: sends to this chat get 403 from now on."""
        self._chat_or_fail(chat_id).blocked = True

    def unblock(self, chat_id: int) -> None:
        """The user unblocks the bot."""
        self._chat_or_fail(chat_id).blocked = False

    def fail_next(
        self,
        method: str,
        status: int,
        description: str,
        retry_after: int | None = None,
        times: int = 1,
    ) -> None:
        """Answer the next ``times`` calls of ``method`` with this error instead of handling."""
        self._faults.setdefault(method.lower(), deque()).append(
            _Fault(status, description, retry_after, times)
        )

    def queue_raw_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Queue any update, malformed ones included; update_id is assigned if missing."""
        update = copy.deepcopy(update)
        if "update_id" in update:
            with contextlib.suppress(TypeError, ValueError):
                self._next_update_id = max(self._next_update_id, int(update["update_id"]) + 1)
        else:
            update["update_id"] = self._take_update_id()
        query = update.get("callback_query")
        if isinstance(query, dict) and "id" in query:
            self._issued_callbacks.add(str(query["id"]))
        self._queue.append(_Pending(update))
        self._touch()
        return copy.deepcopy(update)

    def resend_update(self, update: dict[str, Any]) -> dict[str, Any]:
        """Deliver an exact duplicate (same update_id) again, as Telegram does after a crash.

        The duplicate is delivered once even if its update_id was already confirmed.
        """
        self._queue.append(_Pending(copy.deepcopy(update), resent=True))
        self._touch()
        return copy.deepcopy(update)

    def sent_messages(self, chat_id: int | None = None) -> list[SentMessage]:
        """The bot's messages in sending order (deleted ones included, flagged)."""
        return [m for m in self._sent if chat_id is None or m.chat_id == chat_id]

    def message(self, chat_id: int, message_id: int) -> SentMessage | None:
        """The bot's message in its current state (after edits), if it exists."""
        chat = self._chats.get(chat_id)
        return chat.bot_by_id.get(message_id) if chat else None

    def file(self, file_id: str) -> StoredFile:
        """A stored file by id."""
        return self._files[file_id]

    @property
    def pending_updates(self) -> list[dict[str, Any]]:
        """Updates not yet confirmed (getUpdates) or not yet accepted (webhook)."""
        return [copy.deepcopy(p.update) for p in self._queue]

    @property
    def pending_callbacks(self) -> set[str]:
        """Callback query ids the bot has not answered yet."""
        return self._issued_callbacks - set(self.answered_callbacks)

    @property
    def webhook_url(self) -> str | None:
        """The webhook URL currently set, if any."""
        return self._webhook.url if self._webhook else None

    def calls_of(self, method: str) -> list[Call]:
        """Calls of one method, in order."""
        return [c for c in self.calls if c.method.lower() == method.lower()]

    async def wait_for(
        self, predicate: Callable[[], bool], timeout: float = 5.0, message: str = ""
    ) -> None:
        """Wait (bounded) until ``predicate()`` holds; re-checked on every server event."""
        if not await self._wait_until(predicate, timeout):
            raise AssertionError(message or f"condition not met within {timeout}s")

    # ---- internals: events, ids -----------------------------------------------------------

    def _touch(self) -> None:
        """Wake everything waiting for a state change (long polls, next_reply, wait_for)."""
        event, self._changed = self._changed, asyncio.Event()
        event.set()

    async def _wait_until(self, predicate: Callable[[], bool], timeout: float | None) -> bool:
        """Wait until ``predicate()`` holds or ``timeout`` passes (None: no limit).

        The predicate is re-checked after every _touch(); there is no await between the check
        and taking the current event, so no wake-up can be missed.
        """
        try:
            async with asyncio.timeout(timeout):
                while not predicate():
                    await self._changed.wait()
        except TimeoutError:
            return predicate()
        return True

    def _now(self) -> int:
        """Unix time for ``date`` fields, from the injected clock (float or aware datetime)."""
        now = self._clock()
        return int(now.timestamp() if isinstance(now, datetime) else now)

    def _take_update_id(self) -> int:
        update_id = self._next_update_id
        self._next_update_id += 1
        return update_id

    def _new_file(
        self, kind: str, data: bytes, *, file_name: str | None = None,
        mime_type: str | None = None, size: tuple[int, int] | None = None,
    ) -> StoredFile:  # fmt: skip
        self._file_counter += 1
        n = self._file_counter
        prefix = {"photo": "AgAC", "document": "BQAC", "voice": "AwAC", "sticker": "CAAC"}[kind]
        stored = StoredFile(
            file_id=f"{prefix}AgUAAxkBAAI{n:08d}{self.bot_id % 10_000:04d}",
            file_unique_id=f"AQAD{n:06d}",
            kind=kind,
            data=data,
            file_name=file_name,
            mime_type=mime_type,
            width=size[0] if size else None,
            height=size[1] if size else None,
        )
        self._files[stored.file_id] = stored
        return stored

    def _photo_sizes(self, data: bytes, size: tuple[int, int]) -> list[StoredFile]:
        """Telegram's photo sizes, smallest first; only the last holds the original bytes.

        The smaller ones are solid-grey PNGs of the scaled dimensions, so a bot that
        downloads ``photo[0]`` instead of ``photo[-1]`` visibly gets the wrong file.
        """
        width, height = size
        longest = max(width, height, 1)
        sizes = []
        for limit in (90, 320, 800):
            if longest > limit:
                w = max(1, round(width * limit / longest))
                h = max(1, round(height * limit / longest))
                sizes.append(self._new_file("photo", tiny_png(w, h, (128, 128, 128)), size=(w, h)))
        sizes.append(self._new_file("photo", data, size=(width, height)))
        return sizes

    def _chat_or_fail(self, chat_id: int) -> _Chat:
        chat = self._chats.get(chat_id)
        if chat is None:
            raise KeyError(f"no chat {chat_id}: create the user with server.user({chat_id})")
        return chat

    def _bot_user(self) -> dict[str, Any]:
        return {
            "id": self.bot_id,
            "is_bot": True,
            "first_name": self.bot_first_name,
            "username": self.bot_username,
        }

    # ---- internals: HTTP ------------------------------------------------------------------

    def _json(self, body: dict[str, Any], status: int = 200) -> web.Response:
        return web.json_response(
            body, status=status, dumps=lambda o: json.dumps(o, ensure_ascii=False)
        )

    def _token_error(self, token: str) -> ApiError | None:
        """Telegram answers 404 to a malformed token and 401 to a well-formed unknown one."""
        if token == self.token:
            return None
        if re.fullmatch(r"[0-9]+:[A-Za-z0-9_-]+", token) is None:
            return ApiError(404, NOT_FOUND)
        return ApiError(401, UNAUTHORIZED)

    async def _handle_unknown_path(self, request: web.Request) -> web.Response:
        return self._json(ApiError(404, NOT_FOUND).body(), 404)

    async def _handle_method(self, request: web.Request) -> web.Response:
        error = self._token_error(request.match_info["token"])
        if error is not None:
            return self._json(error.body(), error.status)
        content_type = request.content_type if request.can_read_body else None
        try:
            params, uploads = await self._read_params(request)
        except ApiError as exc:
            return self._json(exc.body(), exc.status)
        status, body = await self._dispatch(
            request.match_info["method"], params, uploads, content_type
        )
        return self._json(body, status)

    async def _handle_file(self, request: web.Request) -> web.StreamResponse:
        error = self._token_error(request.match_info["token"])
        if error is not None:
            return self._json(error.body(), error.status)
        stored = self._files_by_path.get(request.match_info["path"])
        if stored is None:
            return self._json(ApiError(404, NOT_FOUND).body(), 404)
        self.downloads.append(request.match_info["path"])
        return web.Response(body=stored.data, content_type="application/octet-stream")

    async def _read_params(self, request: web.Request) -> tuple[Params, Uploads]:
        """Query string, then JSON / urlencoded / multipart body, as Telegram accepts."""
        params: Params = dict(request.query)
        uploads: Uploads = {}
        if not request.can_read_body:
            return params, uploads
        try:
            if request.content_type == "application/json":
                raw = await request.read()
                try:
                    body = json.loads(raw or b"{}")
                except ValueError:
                    raise ApiError(400, "Bad Request: can't parse JSON object") from None
                if not isinstance(body, dict):
                    raise ApiError(400, "Bad Request: JSON object expected")
                params.update(body)
            elif request.content_type in (
                "multipart/form-data",
                "application/x-www-form-urlencoded",
            ):
                form = await request.post()
                for key, value in form.items():
                    if isinstance(value, web.FileField):
                        with value.file:
                            data = value.file.read()
                        uploads[key] = Upload(key, value.filename, value.content_type, data)
                    else:
                        params[key] = value if isinstance(value, str) else bytes(value).decode()
        except web.HTTPRequestEntityTooLarge:
            raise ApiError(413, REQUEST_TOO_LARGE) from None
        except ConnectionResetError:
            # The client died before its request was whole (a bot killed mid-upload): nothing
            # to do, as on Telegram; answered (to nobody) rather than logged as a server error.
            raise ApiError(400, CLIENT_GONE) from None
        return params, uploads

    async def _dispatch(
        self, method: str, raw: Params, uploads: Uploads, content_type: str | None = None
    ) -> tuple[int, Any]:
        """Run one method and record it; returns (HTTP status, Telegram JSON body)."""
        entry = self._methods.get(method.lower())
        name = entry[0] if entry else self._unimplemented.get(method.lower(), method)
        call = Call(
            name,
            dict(raw),
            time.monotonic(),
            uploads=dict(uploads),
            raw_params=dict(raw),
            content_type=content_type,
        )
        try:
            if entry is None:
                if method.lower() in self._unimplemented:
                    raise ApiError(501, f"Not Implemented: FakeTelegram has no {name}")
                raise ApiError(404, NOT_FOUND)
            self._raise_injected_fault(name)
            call.params = params = _coerce_params(raw)
            result = await entry[1](params, uploads)
            body: dict[str, Any] = {"ok": True}
            if isinstance(result, _Answer):
                body["result"], body["description"] = result.result, result.description
            else:
                body["result"] = result
            call.result = body["result"]
            status = 200
        except ApiError as exc:
            status, body = exc.status, exc.body()
            call.status, call.description = exc.status, exc.description
            if exc.status == 429:
                self.count_429 += 1
        self.calls.append(call)
        self.calls_by_method[name] += 1
        self._touch()
        return status, body

    def _raise_injected_fault(self, method: str) -> None:
        faults = self._faults.get(method.lower())
        if not faults:
            return
        fault = faults[0]
        fault.times -= 1
        if fault.times <= 0:
            faults.popleft()
        raise ApiError(fault.status, fault.description, fault.retry_after)

    # ---- internals: validation shared by methods ------------------------------------------

    def _chat_for(self, params: Params) -> _Chat:
        chat_id = params.get("chat_id")
        if chat_id in (None, ""):
            raise ApiError(400, CHAT_ID_EMPTY)
        chat = self._chats.get(chat_id) if isinstance(chat_id, int) else None
        if chat is None:
            raise ApiError(400, CHAT_NOT_FOUND)
        return chat

    @staticmethod
    def _ensure_reachable(chat: _Chat) -> None:
        if chat.blocked:
            raise ApiError(403, BOT_BLOCKED)

    def _check_rate(self, chat_id: int) -> None:
        """Flood control; the exact rule is in the module docstring."""
        now = time.monotonic()
        if self.per_chat_rate:
            interval = 1.0 / self.per_chat_rate
            last = self._last_send_by_chat.get(chat_id)
            if last is not None and now - last < interval * (1 - self.rate_tolerance):
                self._refuse(max(1, math.ceil(last + interval - now)))
        if self.global_rate:
            while self._recent_sends and self._recent_sends[0] <= now - 1.0:
                self._recent_sends.popleft()
            cap = max(1, math.floor(self.global_rate * (1 + self.rate_tolerance)))
            if len(self._recent_sends) >= cap:
                self._refuse(max(1, math.ceil(self._recent_sends[0] + 1.0 - now)))

    @staticmethod
    def _refuse(retry_after: int) -> None:
        raise ApiError(429, f"Too Many Requests: retry after {retry_after}", retry_after)

    def _note_send(self, chat_id: int) -> None:
        now = time.monotonic()
        self._last_send_by_chat[chat_id] = now
        self._recent_sends.append(now)

    @staticmethod
    def _format(
        text: Any, parse_mode: Any, entities: Any, *, limit: int, too_long: str
    ) -> tuple[str, list[dict[str, Any]]]:
        """Parse text per parse_mode, trim it, enforce the length limit (in characters)."""
        text = "" if text is None else str(text)
        try:
            if isinstance(entities, list):
                plain, found = text, [e for e in entities if isinstance(e, dict)]
            elif parse_mode:
                mode = str(parse_mode).lower()
                parser = {
                    "html": parse_html,
                    "markdownv2": parse_markdown_v2,
                    "markdown": parse_markdown,
                }.get(mode)
                if parser is None:
                    raise ApiError(400, PARSE_MODE_UNSUPPORTED)
                plain, found = parser(text)
            else:
                plain, found = text, []
        except ParseError as exc:
            raise ApiError(400, CANT_PARSE_ENTITIES + str(exc)) from None
        plain, found = _trim(plain, found)
        if len(plain) > limit:
            raise ApiError(400, too_long)
        return plain, found

    @staticmethod
    def _validate_markup(markup: Any, *, inline_only: bool = False) -> dict[str, Any] | None:
        """Check a reply_markup as Telegram does; return it normalized (or None)."""
        if markup is None:
            return None
        if not isinstance(markup, dict):
            raise ApiError(400, MARKUP_UNPARSABLE)
        if "inline_keyboard" in markup:
            rows = markup["inline_keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError(400, MARKUP_UNPARSABLE)
            if sum(len(r) for r in rows) > MAX_INLINE_BUTTONS:
                raise ApiError(400, "Bad Request: reply markup is too long")
            for row in rows:
                for button in row:
                    _validate_inline_button(button)
            return {"inline_keyboard": rows}
        if inline_only:
            raise ApiError(400, INLINE_KEYBOARD_EXPECTED)
        if "keyboard" in markup:
            rows = markup["keyboard"]
            if not isinstance(rows, list) or not all(isinstance(r, list) for r in rows):
                raise ApiError(400, MARKUP_UNPARSABLE)
            normalized = [
                [b if isinstance(b, dict) else {"text": str(b)} for b in row] for row in rows
            ]
            for row in normalized:
                for button in row:
                    if not isinstance(button.get("text"), str):
                        raise ApiError(400, "Bad Request: keyboard button text must be a string")
            return {**markup, "keyboard": normalized}
        if markup.get("remove_keyboard") is True or markup.get("force_reply") is True:
            return markup
        raise ApiError(400, MARKUP_UNPARSABLE)

    def _reply_target(self, chat: _Chat, params: Params) -> dict[str, Any] | None:
        """The message replied to, per reply_parameters (PTB 22) or reply_to_message_id."""
        reply = params.get("reply_parameters")
        if isinstance(reply, dict):
            message_id, allow = reply.get("message_id"), reply.get("allow_sending_without_reply")
        else:
            message_id = params.get("reply_to_message_id")
            allow = params.get("allow_sending_without_reply")
        if not message_id:
            return None
        target = self._find_message(chat, int(message_id))
        if target is None:
            if allow:
                return None
            raise ApiError(400, REPLY_NOT_FOUND)
        target = copy.deepcopy(target)
        target.pop("reply_to_message", None)
        return target

    @staticmethod
    def _find_message(chat: _Chat, message_id: int) -> dict[str, Any] | None:
        sent = chat.bot_by_id.get(message_id)
        if sent is not None and not sent.deleted:
            return sent.message
        return chat.user_messages.get(message_id)

    def _record_bot_message(
        self, chat: _Chat, method: str, params: Params, content: dict[str, Any],
        markup: dict[str, Any] | None, files: list[StoredFile],
    ) -> SentMessage:  # fmt: skip
        reply_to = self._reply_target(chat, params)
        message_id = chat.take_message_id()
        message: dict[str, Any] = {
            "message_id": message_id,
            "from": self._bot_user(),
            "chat": chat.user.chat_object(),
            "date": self._now(),
        }
        if reply_to is not None:
            message["reply_to_message"] = reply_to
        message.update(content)
        if markup and "inline_keyboard" in markup:
            message["reply_markup"] = copy.deepcopy(markup)
        sent = SentMessage(
            chat_id=chat.user.user_id,
            message_id=message_id,
            method=method,
            params=params,
            message=message,
            reply_markup=copy.deepcopy(markup),
            sent_at=time.monotonic(),
            files=files,
        )
        chat.bot_messages.append(sent)
        chat.bot_by_id[message_id] = sent
        self._sent.append(sent)
        self._note_send(chat.user.user_id)
        return sent

    def _editable(self, params: Params) -> SentMessage:
        if params.get("inline_message_id"):
            raise ApiError(400, "Bad Request: MESSAGE_ID_INVALID")
        chat = self._chat_for(params)
        message_id = params.get("message_id")
        if not message_id:
            raise ApiError(400, MESSAGE_ID_EMPTY)
        sent = chat.bot_by_id.get(int(message_id))
        if sent is None or sent.deleted:
            if int(message_id) in chat.user_messages:
                raise ApiError(400, EDIT_FORBIDDEN)
            raise ApiError(400, EDIT_NOT_FOUND)
        return sent

    # ---- methods --------------------------------------------------------------------------

    async def _get_me(self, params: Params, uploads: Uploads) -> Any:
        return {
            **self._bot_user(),
            "can_join_groups": True,
            "can_read_all_group_messages": False,
            "supports_inline_queries": False,
            "can_connect_to_business": False,
            "has_main_web_app": False,
        }

    async def _get_updates(self, params: Params, uploads: Uploads) -> Any:
        if self._webhook is not None:
            raise ApiError(409, WEBHOOK_ACTIVE)
        offset = int(params.get("offset") or 0)
        limit = min(max(int(params.get("limit") or 100), 1), 100)
        timeout = max(0.0, float(params.get("timeout") or 0))
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = [str(k) for k in params["allowed_updates"]]
        # A newer getUpdates ends the previous long poll with 409, as on Telegram.
        self._poll_generation += 1
        self._poll_abort = TERMINATED_BY_POLL
        generation = self._poll_generation
        self._touch()
        self._confirm(offset)
        self.active_polls += 1
        try:
            await self._wait_until(
                lambda: (
                    generation != self._poll_generation
                    or self._closing
                    or bool(self._deliverable(1))
                ),
                timeout,
            )
        finally:
            self.active_polls -= 1
        if generation != self._poll_generation:
            raise ApiError(409, self._poll_abort)
        batch = self._deliverable(limit)
        for pending in batch:
            pending.delivered = True
        return [copy.deepcopy(p.update) for p in batch]

    def _confirm(self, offset: int) -> None:
        """Forget updates below ``offset`` (or all but the last ``-offset``)."""
        if offset > 0:
            self._queue = [
                p for p in self._queue
                if p.update_id >= offset or (p.resent and not p.delivered)
            ]  # fmt: skip
        elif offset < 0:
            self._queue = self._queue[offset:]

    def _deliverable(self, limit: int) -> list[_Pending]:
        """The first ``limit`` queued updates of allowed kinds; others are dropped for good."""
        allowed = self._allowed_updates
        self._queue = [
            p for p in self._queue
            if (p.kind in allowed if allowed else p.kind not in OPT_IN_UPDATES)
        ]  # fmt: skip
        return self._queue[:limit]

    async def _set_webhook(self, params: Params, uploads: Uploads) -> Any:
        url = str(params.get("url") or "")
        if not url:
            return await self._delete_webhook(params, uploads)
        if re.match(r"https?://[^/\s]+", url) is None:
            raise ApiError(400, WEBHOOK_URL_INVALID)
        secret = str(params.get("secret_token") or "")
        if len(secret) > 256:
            raise ApiError(400, SECRET_TOO_LONG)
        if not _SECRET_TOKEN_RE.fullmatch(secret):
            raise ApiError(400, SECRET_INVALID)
        if isinstance(params.get("allowed_updates"), list):
            self._allowed_updates = [str(k) for k in params["allowed_updates"]]
        if params.get("drop_pending_updates"):
            self._queue.clear()
        max_connections = min(max(int(params.get("max_connections") or 40), 1), 100)
        previous = self._webhook
        if previous and (previous.url, previous.secret_token) == (url, secret):
            return _Answer(True, "Webhook is already set")
        self._webhook = _Webhook(url, secret, max_connections)
        self._poll_generation += 1  # a pending long poll ends with 409
        self._poll_abort = TERMINATED_BY_WEBHOOK
        return _Answer(True, "Webhook was set")

    async def _delete_webhook(self, params: Params, uploads: Uploads) -> Any:
        if params.get("drop_pending_updates"):
            self._queue.clear()
        if self._webhook is None:
            return _Answer(True, "Webhook is already deleted")
        self._webhook = None
        return _Answer(True, "Webhook was deleted")

    async def _get_webhook_info(self, params: Params, uploads: Uploads) -> Any:
        info: dict[str, Any] = {
            "url": self._webhook.url if self._webhook else "",
            "has_custom_certificate": False,
            "pending_update_count": len(self._queue),
        }
        if self._webhook is not None:
            info["max_connections"] = self._webhook.max_connections
            info["ip_address"] = "127.0.0.1"
            if self._allowed_updates:
                info["allowed_updates"] = list(self._allowed_updates)
            if self._webhook.last_error_date is not None:
                info["last_error_date"] = self._webhook.last_error_date
                info["last_error_message"] = self._webhook.last_error_message
        return info

    async def _send_message(self, params: Params, uploads: Uploads) -> Any:
        chat = self._chat_for(params)
        if not params.get("text"):
            raise ApiError(400, TEXT_EMPTY)
        text, entities = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"),
            limit=MAX_TEXT, too_long=TEXT_TOO_LONG,
        )  # fmt: skip
        if not text:
            raise ApiError(400, TEXT_EMPTY)
        markup = self._validate_markup(params.get("reply_markup"))
        self._ensure_reachable(chat)
        self._check_rate(chat.user.user_id)
        content: dict[str, Any] = {"text": text}
        if entities:
            content["entities"] = entities
        sent = self._record_bot_message(chat, "sendMessage", params, content, markup, [])
        return copy.deepcopy(sent.message)

    async def _edit_message_text(self, params: Params, uploads: Uploads) -> Any:
        sent = self._editable(params)
        if "text" not in sent.message:
            raise ApiError(400, EDIT_NO_TEXT)
        if not params.get("text"):
            raise ApiError(400, TEXT_EMPTY)
        text, entities = self._format(
            params.get("text"), params.get("parse_mode"), params.get("entities"),
            limit=MAX_TEXT, too_long=TEXT_TOO_LONG,
        )  # fmt: skip
        if not text:
            raise ApiError(400, TEXT_EMPTY)
        # Omitting reply_markup removes the inline keyboard: Telegram's rule, easy to forget.
        markup = self._validate_markup(params.get("reply_markup"), inline_only=True)
        unchanged = (
            text == sent.message["text"]
            and entities == sent.message.get("entities", [])
            and markup == sent.message.get("reply_markup")
        )
        if unchanged:
            raise ApiError(400, NOT_MODIFIED)
        sent.message["text"] = text
        sent.message.pop("entities", None)
        if entities:
            sent.message["entities"] = entities
        return self._apply_edit(sent, params, markup)

    async def _edit_message_reply_markup(self, params: Params, uploads: Uploads) -> Any:
        sent = self._editable(params)
        markup = self._validate_markup(params.get("reply_markup"), inline_only=True)
        if markup == sent.message.get("reply_markup"):
            raise ApiError(400, NOT_MODIFIED)
        return self._apply_edit(sent, params, markup)

    def _apply_edit(
        self, sent: SentMessage, params: Params, markup: dict[str, Any] | None
    ) -> dict[str, Any]:
        sent.message.pop("reply_markup", None)
        if markup:
            sent.message["reply_markup"] = copy.deepcopy(markup)
        sent.reply_markup = copy.deepcopy(markup)
        sent.message["edit_date"] = self._now()
        sent.edits.append(params)
        return copy.deepcopy(sent.message)

    async def _delete_message(self, params: Params, uploads: Uploads) -> Any:
        chat = self._chat_for(params)
        message_id = int(params.get("message_id") or 0)
        sent = chat.bot_by_id.get(message_id)
        if sent is not None and not sent.deleted:
            if self._now() - int(sent.message["date"]) > 48 * 3600:
                raise ApiError(400, DELETE_TOO_OLD)
            sent.deleted = True
            return True
        if message_id in chat.user_messages:  # bots may delete incoming private messages
            del chat.user_messages[message_id]
            return True
        raise ApiError(400, DELETE_NOT_FOUND)

    async def _answer_callback_query(self, params: Params, uploads: Uploads) -> Any:
        query_id = str(params.get("callback_query_id") or "")
        if query_id not in self._issued_callbacks or query_id in self.answered_callbacks:
            raise ApiError(400, QUERY_ID_INVALID)
        self.answered_callbacks[query_id] = params
        return True

    async def _send_chat_action(self, params: Params, uploads: Uploads) -> Any:
        chat = self._chat_for(params)
        if str(params.get("action") or "").lower() not in CHAT_ACTIONS:
            raise ApiError(400, ACTION_INVALID)
        self._ensure_reachable(chat)
        return True

    @staticmethod
    def _commands_key(params: Params) -> tuple[str, str]:
        scope = params.get("scope") if isinstance(params.get("scope"), dict) else None
        return (
            json.dumps(scope or {"type": "default"}, sort_keys=True),
            str(params.get("language_code") or ""),
        )

    async def _set_my_commands(self, params: Params, uploads: Uploads) -> Any:
        commands = params.get("commands")
        if not isinstance(commands, list):
            raise ApiError(400, "Bad Request: can't parse commands JSON object")
        if len(commands) > 100:
            raise ApiError(400, COMMANDS_TOO_MUCH)
        for command in commands:
            if not isinstance(command, dict):
                raise ApiError(400, COMMAND_INVALID)
            name = str(command.get("command", "")).removeprefix("/")
            if not _COMMAND_RE.fullmatch(name):
                raise ApiError(400, COMMAND_INVALID)
            description = str(command.get("description", ""))
            if not description.strip():
                raise ApiError(400, COMMAND_DESCRIPTION_EMPTY)
            if len(description) > 256:
                raise ApiError(400, COMMAND_DESCRIPTION_TOO_LONG)
        self.commands[self._commands_key(params)] = [
            {"command": str(c["command"]).removeprefix("/"), "description": c["description"]}
            for c in commands
        ]
        return True

    async def _get_my_commands(self, params: Params, uploads: Uploads) -> Any:
        return copy.deepcopy(self.commands.get(self._commands_key(params), []))

    async def _delete_my_commands(self, params: Params, uploads: Uploads) -> Any:
        self.commands.pop(self._commands_key(params), None)
        return True

    async def _get_file(self, params: Params, uploads: Uploads) -> Any:
        file_id = str(params.get("file_id") or "")
        if not file_id:
            raise ApiError(400, FILE_ID_MISSING)
        stored = self._files.get(file_id)
        if stored is None:
            raise ApiError(400, FILE_ID_INVALID)
        if stored.file_size > MAX_DOWNLOAD:
            raise ApiError(400, FILE_TOO_BIG)
        if stored.file_path is None:
            folder, extension = {
                "photo": ("photos", "jpg"),
                "document": ("documents", None),
                "voice": ("voice", "oga"),
                "sticker": ("stickers", "webp"),
            }[stored.kind]
            if extension is None:
                name = stored.file_name or ""
                extension = name.rpartition(".")[2] if "." in name else "bin"
            stored.file_path = f"{folder}/file_{len(self._files_by_path)}.{extension}"
            self._files_by_path[stored.file_path] = stored
        return {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "file_size": stored.file_size,
            "file_path": stored.file_path,
        }

    def _input_file(self, params: Params, uploads: Uploads, field_name: str) -> Upload | StoredFile:
        """The file a send refers to: a fresh upload, attach://name, or a known file_id."""
        if field_name in uploads:
            return uploads[field_name]
        value = params.get(field_name)
        if not isinstance(value, str) or not value:
            raise ApiError(400, f"Bad Request: there is no {field_name} in the request")
        if value.startswith("attach://"):
            upload = uploads.get(value.removeprefix("attach://"))
            if upload is None:
                raise ApiError(400, WRONG_FILE_ID)
            return upload
        if value in self._files:
            return self._files[value]
        if value.startswith(("http://", "https://")):
            raise ApiError(400, FILE_URL_UNSUPPORTED)
        raise ApiError(400, WRONG_FILE_ID)

    def _caption(self, params: Params) -> dict[str, Any]:
        if not params.get("caption"):
            return {}
        caption, entities = self._format(
            params.get("caption"), params.get("parse_mode"), params.get("caption_entities"),
            limit=MAX_CAPTION, too_long=CAPTION_TOO_LONG,
        )  # fmt: skip
        content: dict[str, Any] = {"caption": caption} if caption else {}
        if caption and entities:
            content["caption_entities"] = entities
        return content

    async def _send_photo(self, params: Params, uploads: Uploads) -> Any:
        chat = self._chat_for(params)
        source = self._input_file(params, uploads, "photo")
        content = self._caption(params)
        markup = self._validate_markup(params.get("reply_markup"))
        size: tuple[int, int] | None = None
        if isinstance(source, Upload):
            if not source.data:
                raise ApiError(400, FILE_EMPTY)
            size = image_size(source.data)
            if size is None:
                raise ApiError(400, IMAGE_PROCESS_FAILED)
        elif source.kind != "photo":
            raise ApiError(400, WRONG_FILE_ID)
        self._ensure_reachable(chat)
        self._check_rate(chat.user.user_id)
        if isinstance(source, Upload) and size is not None:
            sizes = self._photo_sizes(source.data, size)
        else:
            assert isinstance(source, StoredFile)
            sizes = [source]
        content["photo"] = [_photo_size_json(f) for f in sizes]
        sent = self._record_bot_message(chat, "sendPhoto", params, content, markup, sizes)
        return copy.deepcopy(sent.message)

    async def _send_document(self, params: Params, uploads: Uploads) -> Any:
        chat = self._chat_for(params)
        source = self._input_file(params, uploads, "document")
        content = self._caption(params)
        markup = self._validate_markup(params.get("reply_markup"))
        if isinstance(source, Upload) and not source.data:
            raise ApiError(400, FILE_EMPTY)
        self._ensure_reachable(chat)
        self._check_rate(chat.user.user_id)
        if isinstance(source, Upload):
            stored = self._new_file(
                "document",
                source.data,
                file_name=source.filename,
                mime_type=source.content_type or "application/octet-stream",
            )
        else:
            stored = source
        content["document"] = _document_json(stored)
        sent = self._record_bot_message(chat, "sendDocument", params, content, markup, [stored])
        return copy.deepcopy(sent.message)

    async def _send_location(self, params: Params, uploads: Uploads) -> Any:
        chat = self._chat_for(params)
        location = _location(params)
        markup = self._validate_markup(params.get("reply_markup"))
        self._ensure_reachable(chat)
        self._check_rate(chat.user.user_id)
        content = {"location": location}
        sent = self._record_bot_message(chat, "sendLocation", params, content, markup, [])
        return copy.deepcopy(sent.message)

    async def _send_venue(self, params: Params, uploads: Uploads) -> Any:
        chat = self._chat_for(params)
        location = _location(params)
        title, address = params.get("title"), params.get("address")
        if not isinstance(title, str) or not title.strip():
            raise ApiError(400, VENUE_TITLE_EMPTY)
        if not isinstance(address, str) or not address.strip():
            raise ApiError(400, VENUE_ADDRESS_EMPTY)
        markup = self._validate_markup(params.get("reply_markup"))
        self._ensure_reachable(chat)
        self._check_rate(chat.user.user_id)
        venue = {"location": location, "title": title.strip(), "address": address.strip()}
        content = {"location": location, "venue": venue}
        sent = self._record_bot_message(chat, "sendVenue", params, content, markup, [])
        return copy.deepcopy(sent.message)

    # ---- webhook delivery -----------------------------------------------------------------

    async def _webhook_loop(self) -> None:
        """POST queued updates one at a time, in order, retrying until the webhook accepts."""
        if self._webhook_parallel:
            await self._parallel_webhook_loop()
            return
        delay = self._webhook_retry_delay
        while True:
            await self._wait_until(
                lambda: self._closing or (self._webhook is not None and bool(self._deliverable(1))),
                None,
            )
            if self._closing:
                return
            hook, pending = self._webhook, self._deliverable(1)[0]
            assert hook is not None
            error = await self._post_update(hook, pending.update)
            if error is None:
                pending.delivered = True
                if pending in self._queue:
                    self._queue.remove(pending)
                delay = self._webhook_retry_delay
                self._touch()
                continue
            hook.last_error_date, hook.last_error_message = self._now(), error
            self._touch()
            await self._backoff(hook, delay)
            delay = min(delay * 2, self._webhook_max_retry_delay)

    async def _parallel_webhook_loop(self) -> None:
        """Up to `max_connections` deliveries at once, never two of one chat."""
        busy: dict[Any, asyncio.Task[None]] = {}
        while True:
            await self._wait_until(
                lambda: self._closing or self._next_parallel(busy) is not None, None
            )
            if self._closing:
                for task in busy.values():
                    task.cancel()
                await asyncio.gather(*busy.values(), return_exceptions=True)
                return
            hook, pending = self._webhook, self._next_parallel(busy)
            assert hook is not None and pending is not None
            chat = _update_chat(pending.update)
            task = asyncio.create_task(self._deliver_until_accepted(hook, pending))
            busy[chat] = task
            task.add_done_callback(lambda _task, chat=chat: (busy.pop(chat, None), self._touch()))

    def _next_parallel(self, busy: dict[Any, asyncio.Task[None]]) -> _Pending | None:
        """The oldest queued update of a chat with nothing in flight, while a connection is free."""
        hook = self._webhook
        if hook is None or len(busy) >= hook.max_connections:
            return None
        waiting = set()
        for pending in self._deliverable(len(self._queue)):
            chat = _update_chat(pending.update)
            if chat not in busy and chat not in waiting:
                return pending
            waiting.add(chat)  # a later update of a busy chat waits for the earlier one
        return None

    async def _deliver_until_accepted(self, hook: _Webhook, pending: _Pending) -> None:
        delay = self._webhook_retry_delay
        while self._webhook is hook and not self._closing:
            error = await self._post_update(hook, pending.update)
            if error is None:
                pending.delivered = True
                if pending in self._queue:
                    self._queue.remove(pending)
                return
            hook.last_error_date, hook.last_error_message = self._now(), error
            await self._backoff(hook, delay)
            delay = min(delay * 2, self._webhook_max_retry_delay)

    async def _backoff(self, hook: _Webhook, delay: float) -> None:
        """Wait before retrying a failed delivery; cut short by stop() or a webhook change."""
        await self._wait_until(lambda: self._closing or self._webhook is not hook, delay)

    async def _post_update(self, hook: _Webhook, update: dict[str, Any]) -> str | None:
        """One delivery attempt; returns None on success, else Telegram's error wording."""
        assert self._session is not None
        headers = {"Content-Type": "application/json"}
        if hook.secret_token:
            headers[SECRET_HEADER] = hook.secret_token
        update_id = int(update.get("update_id", 0))
        try:
            async with self._session.post(
                hook.url,
                data=json.dumps(update, ensure_ascii=False).encode(),
                headers=headers,
                timeout=aiohttp.ClientTimeout(total=self._webhook_timeout),
            ) as response:
                body = await response.read()
                status, reason = response.status, response.reason
                is_json = response.content_type == "application/json"
        except TimeoutError:
            error = "Read timeout expired"
        except aiohttp.ClientConnectorError:
            error = "Connection refused"
        except aiohttp.ClientError as exc:
            error = f"Connection error: {exc}"
        else:
            if 200 <= status < 300:
                self.webhook_deliveries.append(WebhookDelivery(update_id, hook.url, status, None))
                if is_json:
                    await self._run_webhook_answer(body)
                return None
            error = f"Wrong response from the webhook: {status} {reason}"
            self.webhook_deliveries.append(WebhookDelivery(update_id, hook.url, status, error))
            return error
        self.webhook_deliveries.append(WebhookDelivery(update_id, hook.url, None, error))
        return error

    async def _run_webhook_answer(self, body: bytes) -> None:
        """Telegram executes a method given in the webhook's answer; so do we."""
        try:
            answer = json.loads(body or b"null")
        except ValueError:
            return
        if isinstance(answer, dict) and isinstance(answer.get("method"), str):
            params = {k: v for k, v in answer.items() if k != "method"}
            await self._dispatch(answer["method"], params, {})


def _update_chat(update: dict[str, Any]) -> Any:
    """The chat an update belongs to (the update itself when it has none)."""
    for kind in ("message", "edited_message", "callback_query"):
        body = update.get(kind)
        if isinstance(body, dict):
            message = body.get("message", body) if kind == "callback_query" else body
            chat = message.get("chat") if isinstance(message, dict) else None
            if isinstance(chat, dict) and "id" in chat:
                return chat["id"]
    return ("update", update.get("update_id"))


def _location(params: Params) -> dict[str, float]:
    """A place as Telegram checks it: both coordinates, finite, on Earth."""
    for name, empty in (("latitude", LATITUDE_EMPTY), ("longitude", LONGITUDE_EMPTY)):
        if params.get(name) in (None, ""):
            raise ApiError(400, empty)
    latitude, longitude = params["latitude"], params["longitude"]
    numbers = all(
        isinstance(value, int | float) and not isinstance(value, bool) and math.isfinite(value)
        for value in (latitude, longitude)
    )
    if not numbers or not (-90 <= latitude <= 90 and -180 <= longitude <= 180):
        raise ApiError(400, LOCATION_INVALID)
    return {"latitude": float(latitude), "longitude": float(longitude)}


def _validate_inline_button(button: Any) -> None:
    if not isinstance(button, dict) or not isinstance(button.get("text"), str):
        raise ApiError(
            400, "Bad Request: can't parse inline keyboard button: Field \"text\" must be of "
            "type String",
        )  # fmt: skip
    actions = [key for key in _INLINE_ACTIONS if key in button]
    if not actions:
        raise ApiError(400, TEXT_BUTTON_IN_INLINE)
    if "callback_data" in button:
        data = button["callback_data"]
        if not isinstance(data, str) or not 1 <= len(data.encode()) <= MAX_CALLBACK_DATA_BYTES:
            raise ApiError(400, BUTTON_DATA_INVALID)
    if "url" in button and (not isinstance(button["url"], str) or not button["url"].strip()):
        raise ApiError(400, "Bad Request: BUTTON_URL_INVALID")


def _coerce_params(raw: Params) -> Params:
    """Type form values per parameter, as Telegram does (PTB sends every value as a string)."""
    typed: Params = {}
    for key, value in raw.items():
        if isinstance(value, str):
            if key in _JSON_PARAMS:
                try:
                    value = json.loads(value)
                except ValueError:
                    if key == "reply_markup":
                        raise ApiError(400, MARKUP_UNPARSABLE) from None
                    raise ApiError(400, f"Bad Request: can't parse {key} JSON object") from None
            elif key in _INT_PARAMS:
                stripped = value.strip()
                if re.fullmatch(r"-?[0-9]+", stripped):
                    value = int(stripped)
                elif key != "chat_id":  # "@channel" usernames stay strings
                    value = 0
            elif key in _FLOAT_PARAMS:
                try:
                    value = float(value)
                except ValueError:
                    value = 0.0
            elif key in _BOOL_PARAMS:
                value = value.strip().lower() in ("true", "1")
        typed[key] = value
    return typed


def _photo_size_json(stored: StoredFile) -> dict[str, Any]:
    return {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
        "width": stored.width or 0,
        "height": stored.height or 0,
    }


def _document_json(stored: StoredFile) -> dict[str, Any]:
    document: dict[str, Any] = {
        "file_id": stored.file_id,
        "file_unique_id": stored.file_unique_id,
        "file_size": stored.file_size,
    }
    if stored.file_name:
        document["file_name"] = stored.file_name
    if stored.mime_type:
        document["mime_type"] = stored.mime_type
    return document


# --------------------------------------------------------------------------------------------
# Simulated users
# --------------------------------------------------------------------------------------------


class SimUser:
    """A Telegram user in a private chat with the bot (chat id == user id).

    Every action queues a real-shaped Update and returns it (as the bot will receive it).
    Replies are read with :meth:`next_reply`, which consumes the bot's messages to this chat
    in order, one at a time.
    """

    def __init__(
        self,
        server: FakeTelegram,
        user_id: int,
        first_name: str,
        last_name: str | None,
        username: str | None,
        language_code: str | None,
    ) -> None:
        self.server = server
        self.user_id = user_id
        self.first_name = first_name
        self.last_name = last_name
        self.username = username
        self.language_code = language_code
        self._cursor = 0

    @property
    def chat_id(self) -> int:
        """Private chats have the user's id."""
        return self.user_id

    @property
    def _chat(self) -> _Chat:
        return self.server._chats[self.user_id]

    def user_object(self) -> dict[str, Any]:
        """The Telegram User object of this user."""
        user: dict[str, Any] = {"id": self.user_id, "is_bot": False, "first_name": self.first_name}
        if self.last_name:
            user["last_name"] = self.last_name
        if self.username:
            user["username"] = self.username
        if self.language_code:
            user["language_code"] = self.language_code
        return user

    def chat_object(self) -> dict[str, Any]:
        """The Telegram Chat object of the private chat with this user."""
        chat: dict[str, Any] = {
            "id": self.user_id,
            "type": "private",
            "first_name": self.first_name,
        }
        if self.last_name:
            chat["last_name"] = self.last_name
        if self.username:
            chat["username"] = self.username
        return chat

    def block(self) -> None:
        """Block the bot: its sends to this chat get 403."""
        self._chat.blocked = True

    def unblock(self) -> None:
        """Unblock the bot."""
        self._chat.blocked = False

    # ---- actions --------------------------------------------------------------------------

    def _queue_message(self, content: dict[str, Any]) -> dict[str, Any]:
        chat = self._chat
        message = {
            "message_id": chat.take_message_id(),
            "from": self.user_object(),
            "chat": self.chat_object(),
            "date": self.server._now(),
            **content,
        }
        chat.user_messages[message["message_id"]] = message
        return self.server.queue_raw_update({"message": message})

    async def send_text(self, text: str) -> dict[str, Any]:
        """Type and send text; /commands in it get bot_command entities, as Telegram adds."""
        content: dict[str, Any] = {"text": text}
        entities = [
            {
                "offset": utf16_len(text[: m.start()]),
                "length": utf16_len(m.group()),
                "type": "bot_command",
            }
            for m in _BOT_COMMAND_IN_TEXT_RE.finditer(text)
        ]
        if entities:
            content["entities"] = entities
        return self._queue_message(content)

    async def send_command(self, command: str = "/start", args: str = "") -> dict[str, Any]:
        """Send ``/command args`` (e.g. a deep link's ``/start payload``)."""
        command = command if command.startswith("/") else f"/{command}"
        text = f"{command} {args}" if args else command
        entity = {"offset": 0, "length": utf16_len(command), "type": "bot_command"}
        return self._queue_message({"text": text, "entities": [entity]})

    def _last_keyboard_message(self) -> SentMessage | None:
        for sent in reversed(self._chat.bot_messages):
            if not sent.deleted and (sent.message.get("reply_markup") or {}).get("inline_keyboard"):
                return sent
        return None

    async def press(self, button: str, *, message_id: int | None = None) -> dict[str, Any]:
        """Press an inline button (by text, else by callback_data) of the LAST bot message
        with an inline keyboard (or of ``message_id``); queues the callback_query."""
        if message_id is not None:
            sent = self._chat.bot_by_id.get(message_id)
            if sent is None or sent.deleted:
                raise AssertionError(f"no bot message {message_id} in chat {self.chat_id}")
        else:
            sent = self._last_keyboard_message()
            if sent is None:
                raise AssertionError(
                    f"no bot message with an inline keyboard in chat {self.chat_id}"
                )
        rows = (sent.message.get("reply_markup") or {}).get("inline_keyboard", [])
        buttons = [b for row in rows for b in row]
        found = next((b for b in buttons if b.get("text") == button), None)
        found = found or next((b for b in buttons if b.get("callback_data") == button), None)
        if found is None:
            available = [(b.get("text"), b.get("callback_data")) for b in buttons]
            raise AssertionError(
                f"no button {button!r} on message {sent.message_id}; available: {available}"
            )
        if "callback_data" not in found:
            raise AssertionError(f"button {button!r} is not a callback button: {found}")
        return self._queue_callback(found["callback_data"], copy.deepcopy(sent.message))

    async def press_data(self, data: str, message_id: int | None = None) -> dict[str, Any]:
        """A callback_query with any data — forged, or from an old/edited keyboard.

        Attached to ``message_id`` (an inaccessible message if it does not exist) or, by
        default, to the last bot message in the chat.
        """
        chat = self._chat
        if message_id is None:
            live = [s for s in chat.bot_messages if not s.deleted]
            if not live:
                raise AssertionError(f"no bot message in chat {self.chat_id} to attach to")
            message = copy.deepcopy(live[-1].message)
        else:
            sent = chat.bot_by_id.get(message_id)
            if sent is not None and not sent.deleted:
                message = copy.deepcopy(sent.message)
            else:  # Telegram's InaccessibleMessage
                message = {"chat": self.chat_object(), "message_id": message_id, "date": 0}
        return self._queue_callback(data, message)

    def _queue_callback(self, data: str, message: dict[str, Any]) -> dict[str, Any]:
        self.server._callback_counter += 1
        query_id = f"{self.user_id}{self.server._callback_counter:08d}"
        self.server._issued_callbacks.add(query_id)
        query = {
            "id": query_id,
            "from": self.user_object(),
            "message": message,
            "chat_instance": str((self.user_id * 2654435761) % (2**62)),
            "data": data,
        }
        return self.server.queue_raw_update({"callback_query": query})

    async def share_contact(
        self, phone: str, own: bool = True, *, first_name: str | None = None
    ) -> dict[str, Any]:
        """Share a contact. ``own=True`` is what a request_contact button sends: user_id is
        the sender's. Telegram passes the number as the client gives it (with or without +)."""
        contact: dict[str, Any] = {
            "phone_number": phone,
            "first_name": first_name or (self.first_name if own else "Bình"),
            "user_id": self.user_id if own else self.user_id + 1_000_000,
        }
        if own and self.last_name:
            contact["last_name"] = self.last_name
        return self._queue_message({"contact": contact})

    async def send_location(self, latitude: float, longitude: float) -> dict[str, Any]:
        """Share a location."""
        return self._queue_message({"location": {"latitude": latitude, "longitude": longitude}})

    async def send_photo(self, data: bytes, caption: str | None = None) -> dict[str, Any]:
        """Send a photo; it arrives as several sizes, the last one holding ``data``."""
        size = image_size(data) or (1280, 960)
        sizes = self.server._photo_sizes(data, size)
        content: dict[str, Any] = {"photo": [_photo_size_json(f) for f in sizes]}
        if caption:
            content["caption"] = caption
        return self._queue_message(content)

    async def send_document(
        self, data: bytes, file_name: str, mime_type: str, caption: str | None = None
    ) -> dict[str, Any]:
        """Send a file as a document."""
        stored = self.server._new_file("document", data, file_name=file_name, mime_type=mime_type)
        content: dict[str, Any] = {"document": _document_json(stored)}
        if caption:
            content["caption"] = caption
        return self._queue_message(content)

    async def send_voice(self, data: bytes, duration: int) -> dict[str, Any]:
        """Send a voice note (OGG/Opus as Telegram clients record it)."""
        stored = self.server._new_file("voice", data, mime_type="audio/ogg")
        voice = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "duration": duration,
            "mime_type": "audio/ogg",
            "file_size": stored.file_size,
        }
        return self._queue_message({"voice": voice})

    async def send_sticker(self, emoji: str = "👍") -> dict[str, Any]:
        """Send a (static WEBP) sticker."""
        data = b"RIFF\x1a\x00\x00\x00WEBPVP8L\x0d\x00\x00\x00/\x00\x00\x00\x10\x07\x10\x11\x11\x88\x88\xfe\x07\x00"  # noqa: E501
        stored = self.server._new_file("sticker", data, mime_type="image/webp", size=(512, 512))
        sticker = {
            "file_id": stored.file_id,
            "file_unique_id": stored.file_unique_id,
            "type": "regular",
            "width": 512,
            "height": 512,
            "is_animated": False,
            "is_video": False,
            "emoji": emoji,
            "set_name": "TiepDanTestStickers",
            "file_size": stored.file_size,
        }
        return self._queue_message({"sticker": sticker})

    async def tap(self, button_text: str, *, phone: str | None = None) -> dict[str, Any]:
        """Tap a button of the reply keyboard currently shown in this chat.

        A plain button sends its text; a request_contact button shares the user's own
        contact (``phone`` required); a request_location button needs send_location instead.
        """
        keyboard = self.keyboard
        if keyboard is None:
            raise AssertionError(f"no reply keyboard is shown in chat {self.chat_id}")
        found = next((b for row in keyboard for b in row if b.text == button_text), None)
        if found is None:
            texts = [b.text for row in keyboard for b in row]
            raise AssertionError(f"no keyboard button {button_text!r}; available: {texts}")
        if found.request_contact:
            if phone is None:
                raise AssertionError(f"{button_text!r} shares the contact: pass phone=...")
            return await self.share_contact(phone, own=True)
        if found.request_location:
            raise AssertionError(f"{button_text!r} shares a location: use send_location()")
        return await self.send_text(button_text)

    # ---- what the user sees ---------------------------------------------------------------

    @property
    def keyboard(self) -> list[list[KeyboardButtonView]] | None:
        """The reply keyboard currently shown (the last one sent and not removed)."""
        for sent in reversed(self._chat.bot_messages):
            reply = Reply.of(sent)
            if reply.remove_keyboard:
                return None
            if reply.keyboard is not None:
                return reply.keyboard
        return None

    @property
    def replies(self) -> list[Reply]:
        """Every bot message to this chat so far, in order, in its current state."""
        return [Reply.of(s) for s in self._chat.bot_messages]

    @property
    def received_count(self) -> int:
        """How many messages the bot has sent to this chat so far."""
        return len(self._chat.bot_messages)

    def received_since(self, index: int) -> list[SentMessage]:
        """The bot's messages to this chat from the ``index``-th on, as live records (no
        snapshot, no copy: cheap enough to scan on every server event)."""
        return self._chat.bot_messages[index:]

    async def next_reply(self, timeout: float = 5.0) -> Reply:
        """The next bot message to this chat not yet returned by this method (waits, bounded).

        The Reply is a snapshot of that message as it is when returned (edits made before are
        included). Raises AssertionError on timeout, listing the bot's recent failed calls —
        usually the reason no reply came.
        """
        chat = self._chat
        if not await self.server._wait_until(
            lambda: len(chat.bot_messages) > self._cursor, timeout
        ):
            failures = [
                f"{c.method} -> {c.status} {c.description}"
                for c in self.server.calls[-20:]
                if c.status != 200
            ]
            raise AssertionError(
                f"no reply to chat {self.chat_id} within {timeout}s; recent failed calls: "
                f"{failures or 'none'}"
            )
        sent = chat.bot_messages[self._cursor]
        self._cursor += 1
        return Reply.of(sent)

    async def expect_no_reply(self, within: float = 0.3) -> None:
        """Assert the bot sends nothing more to this chat for ``within`` seconds."""
        chat = self._chat
        if await self.server._wait_until(lambda: len(chat.bot_messages) > self._cursor, within):
            extra = Reply.of(chat.bot_messages[self._cursor])
            raise AssertionError(f"unexpected reply to chat {self.chat_id}: {extra.text!r}")
