"""Zalo through an Official Account (OA): the signed webhook, sending, the reply window.

Many communes already run an OA. This channel sits next to the Bot Platform one
(`bot.channels.zalo`) and renders replies the same way (numbered choices, 2 000-character parts,
files as signed links: `bot.channels.numbered`); its tokens live in `bot.channels.zalo_oa_tokens`.

Receiving. Zalo POSTs each event to `/zalo-oa/webhook` (registered in the app's settings on
developers.zalo.me; the OA API has no long polling). The signature is checked over the raw bytes,
in constant time, before anything is parsed (see `webhook_handler`), a stale timestamp is
refused, and the event is stored (the same `accept` as every channel) before Zalo gets its 200.

The reply window. An OA may answer a person free for 48 hours after their last message (Zalo
counts 8 replies, renewed by each new message); later, a message is a paid proactive message or a
ZNS template, which we do not send. So before each send the channel reads when the person last
wrote (the inbox keeps every update) and, past 48 hours, raises `Undeliverable`: the outbox
records the message as failed instead of retrying it for ever. Zalo's own count of 8 is not kept
here: Zalo refuses the ninth, and that refusal is `Undeliverable` too.

The contract, from Zalo's public docs (assumptions to verify on the live platform):

* Header `X-ZEvent-Signature: mac=<hex sha256(app_id + raw body + timestamp + OA secret key)>`,
  `timestamp` being the body's "timestamp" (milliseconds, a string). A timestamp more than
  10 minutes from our clock is refused (a replay); within that, a replay is dropped by its key.
* Events `{"app_id", "event_name", "timestamp", "sender": {"id"}, "recipient": {"id"},
  "message": {"msg_id", "text", "attachments": [{"type", "payload"}]}}`: `user_send_text`,
  `user_send_image` (payload.url), `user_send_file` (payload url, name, size),
  `user_send_location` (payload.coordinates latitude/longitude, numbers or strings) and
  `user_send_sticker`. The chat is the sender. De-duplicated by `event_name` + `msg_id`; an
  event without `msg_id` is not a person's message. Every other event (`follow`, `unfollow`,
  the OA's own `oa_send_*`, …) is acknowledged and ignored, so the inbox holds only what people
  wrote, which is what the reply window counts from.
* Sending: `POST {ZALO_OA_API_URL}/v3.0/oa/message/cs`, header `access_token`, JSON
  `{"recipient": {"user_id"}, "message": {"text"}}` (2 000 characters at most) or a media
  template for a photo by URL; the answer is `{"error": 0, "message", "data": {"message_id"}}`,
  and a non-zero `error` (with HTTP 200) is a refusal.
* Refusals: -216 (token invalid) and -124 (token expired): renew the token once and send again;
  -32 (rate limit): wait a minute; -213 (no recent interaction) and -201 (not a follower): will
  not succeed later; any other code: refused for good, Zalo's message kept in the outbox. HTTP
  5xx, 429 and network errors are transient.
* Refresh: `POST {ZALO_OAUTH_URL}/v4/oa/access_token`, header `secret_key: <app secret>`, form
  `refresh_token`, `app_id`, `grant_type=refresh_token`; the answer is `{"access_token",
  "refresh_token", "expires_in"}` (seconds, a number or a string), or a body without tokens
  (`{"error": <negative>, "error_name", …}`) when Zalo refuses.
"""

from __future__ import annotations

import contextlib
import hashlib
import hmac
import logging
import math
import re
from collections.abc import AsyncIterator, Awaitable, Callable
from datetime import UTC, datetime, timedelta
from typing import Any

import aiohttp
from aiohttp import web

from bot.channels import Accept, CredentialsRefused, WebhookHandler
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
    parse_json,
    platform_id,
    read_body,
    unauthorised,
)
from bot.channels.zalo_oa_tokens import Grant, OaTokens, ZaloOaAuthRefused
from bot.core import FileRef, Incoming, Kind, Reply, RetryLater, SendResult, Undeliverable
from bot.files import LocalFiles
from bot.i18n import Translator
from bot.loops import looping

log = logging.getLogger(__name__)

CHANNEL = "zalo_oa"
WEBHOOK_PATH = "/zalo-oa/webhook"
SIGNATURE_HEADER = "X-ZEvent-Signature"
SIGNATURE_SHAPE = re.compile(r"mac=[0-9a-f]{64}")
# The body's "timestamp" (a string of digits, or a bare number), found in the raw bytes so that
# the signature can be checked before the body is parsed; a few candidates at most (a nested
# object could carry its own "timestamp"), each tried against the signature.
SIGNED_TIMESTAMP = re.compile(
    rb'"timestamp"[ \t\r\n]{0,8}:[ \t\r\n]{0,8}(?:"(\d{1,20})"|(\d{1,20})(?![\d.eE]))'
)
MAX_TIMESTAMPS = 8
MAX_EVENT_AGE = timedelta(minutes=10)
REPLY_WINDOW = timedelta(hours=48)
OUTSIDE_WINDOW = "outside the 48-hour reply window"
REQUEST_TIMEOUT_SECONDS = 10.0
RATE_RETRY_SECONDS = 60.0
TOKEN_RETRY_SECONDS = 60.0
UNSAID_TOKEN_SECONDS = 90_000  # "about 25 h": used when a refresh answer omits `expires_in`
TOKEN_ERRORS = frozenset({-216, -124})
RATE_ERRORS = frozenset({-32})
REFUSALS = {
    -213: "the person has not written to the OA recently (outside the reply window)",
    -201: "the person does not follow the OA",
}
USER_EVENTS = frozenset(
    {
        "user_send_text",
        "user_send_image",
        "user_send_file",
        "user_send_location",
        "user_send_sticker",
    }
)

LastMessageAt = Callable[[str], Awaitable[datetime | None]]


class AccessTokenRejected(RetryLater):
    """Zalo rejected the access token (-216, -124): renew it and send again."""

    def __init__(self, reason: str) -> None:
        super().__init__(TOKEN_RETRY_SECONDS, reason)


class ZaloOaClient(HttpClient):
    """The OA API's two calls we make: send a message, and renew the access token."""

    def __init__(self, api_url: str, oauth_url: str, app_id: str, app_secret: str) -> None:
        super().__init__()
        self._send_url = f"{api_url.rstrip('/')}/v3.0/oa/message/cs"
        self._refresh_url = f"{oauth_url.rstrip('/')}/v4/oa/access_token"
        self._app_id = app_id
        self._app_secret = app_secret

    async def send_message(
        self, access_token: str, user_id: str, message: dict[str, Any]
    ) -> dict[str, Any]:
        """Send one customer-service message; return Zalo's `data` or raise the mapped error."""
        payload = {"recipient": {"user_id": user_id}, "message": message}
        status, body = await self._post(
            self._send_url, json=payload, headers={"access_token": access_token}
        )
        if status == 200 and _error_code(body, status) == 0:
            return dict(body.get("data") or {})
        raise _send_error(status, body)

    async def refresh(self, refresh_token: str) -> Grant:
        """Spend the refresh token for a new access token and a new refresh token."""
        form = {
            "refresh_token": refresh_token,
            "app_id": self._app_id,
            "grant_type": "refresh_token",
        }
        status, body = await self._post(
            self._refresh_url, data=form, headers={"secret_key": self._app_secret}
        )
        if status >= 500 or status == 429:
            raise RetryLater(NETWORK_RETRY_SECONDS, f"zalo_oa oauth HTTP {status}")
        if body.get("access_token") and body.get("refresh_token"):
            seconds = _seconds(body.get("expires_in"))
            return Grant(str(body["access_token"]), str(body["refresh_token"]), seconds)
        refusal = f"{_error_code(body, status)} {body.get('error_name') or ''}".strip()
        raise ZaloOaAuthRefused(
            f"Zalo refused to renew the OA token ({refusal}): authorise the app again, delete "
            "its row in zalo_oa_tokens and set ZALO_OA_REFRESH_TOKEN (and check ZALO_OA_APP_SECRET)"
        )

    async def _post(self, url: str, **request: Any) -> tuple[int, dict[str, Any]]:
        """POST; the HTTP status and the JSON object answered ({} for anything else)."""
        timeout = aiohttp.ClientTimeout(total=REQUEST_TIMEOUT_SECONDS)
        try:
            async with self.session.post(url, timeout=timeout, **request) as response:
                body = await response.json(content_type=None)
                return response.status, body if isinstance(body, dict) else {}
        except (aiohttp.ClientError, TimeoutError, ValueError) as error:
            # The name only: a request's repr would carry its headers (the access token).
            reason = f"zalo_oa network: {type(error).__name__}"
            raise RetryLater(NETWORK_RETRY_SECONDS, reason) from error


def _error_code(body: dict[str, Any], status: int) -> int:
    """Zalo's `error` (0 is success); the HTTP status when the body has none."""
    try:
        return int(body["error"])
    except (KeyError, TypeError, ValueError):
        return status


def _seconds(value: object) -> int:
    """`expires_in`, a number or a string."""
    try:
        return int(str(value))
    except ValueError:
        return UNSAID_TOKEN_SECONDS


def _send_error(status: int, body: dict[str, Any]) -> Exception:
    """The exception for a refused send (see the module docstring)."""
    if status >= 500 or status == 429:
        return RetryLater(NETWORK_RETRY_SECONDS, f"zalo_oa HTTP {status}")
    code = _error_code(body, status)
    said = str(body.get("message") or f"HTTP {status}")
    if code in TOKEN_ERRORS:
        return AccessTokenRejected(f"zalo_oa {code}: {said}")
    if code in RATE_ERRORS:
        return RetryLater(RATE_RETRY_SECONDS, f"zalo_oa {code}: {said}")
    return Undeliverable(f"zalo_oa {code}: {REFUSALS.get(code, said)}")


def media_template(url: str) -> dict[str, Any]:
    """A photo Zalo fetches from `url`, as the OA API sends one."""
    element = {"media_type": "image", "url": url}
    payload = {"template_type": "media", "elements": [element]}
    return {"attachment": {"type": "template", "payload": payload}}


def to_incoming(event: dict[str, Any], now: datetime) -> Incoming | None:
    """A person's message as `Incoming`; any other event is acknowledged and ignored."""
    name, message, sender = event.get("event_name"), event.get("message"), event.get("sender")
    if not isinstance(name, str) or name not in USER_EVENTS:
        return None
    if not isinstance(message, dict) or not isinstance(sender, dict):
        return None
    user, msg_id = platform_id(sender.get("id")), message.get("msg_id")
    if user is None or not msg_id:
        return None
    return Incoming(
        channel=CHANNEL,
        chat_id=user,
        user_id=user,
        update_key=f"{name}:{msg_id}"[:128],
        received_at=now,
        **_event_fields(name, message),
    )


def _event_fields(name: str, message: dict[str, Any]) -> dict[str, Any]:
    """What the event carries, as neutral fields."""
    if name == "user_send_text":
        return typed(str(message.get("text") or ""))
    if name == "user_send_sticker":
        return {"kind": Kind.STICKER}
    payload = _first_payload(message)
    if name == "user_send_location":
        return _location(payload.get("coordinates"))
    url = payload.get("url")
    if not url:
        return {"kind": Kind.UNSUPPORTED}
    if name == "user_send_image":
        photo = FileRef(str(url), "photo", None, "image/jpeg", None, CHANNEL)
        return {"kind": Kind.FILE, "file": photo, "text": message.get("text") or None}
    size, file_name = _size(payload.get("size")), payload.get("name")
    document = FileRef(str(url), "document", size, None, file_name and str(file_name), CHANNEL)
    return {"kind": Kind.FILE, "file": document}


def _first_payload(message: dict[str, Any]) -> dict[str, Any]:
    """The first attachment's payload; {} when the event has none in the expected shape."""
    attachments = message.get("attachments")
    first = attachments[0] if isinstance(attachments, list) and attachments else None
    payload = first.get("payload") if isinstance(first, dict) else None
    return payload if isinstance(payload, dict) else {}


def _location(coordinates: Any) -> dict[str, Any]:
    try:
        latitude, longitude = float(coordinates["latitude"]), float(coordinates["longitude"])
    except (KeyError, TypeError, ValueError):
        return {"kind": Kind.UNSUPPORTED}
    if not (math.isfinite(latitude) and math.isfinite(longitude)):  # the inbox keeps JSON
        return {"kind": Kind.UNSUPPORTED}
    return {"kind": Kind.LOCATION, "latitude": latitude, "longitude": longitude}


def _size(value: Any) -> int | None:
    try:
        return int(value)
    except (TypeError, ValueError):
        return None


def _recent(timestamp: str, now: datetime) -> bool:
    """The event was signed within `MAX_EVENT_AGE` of our clock (either way: clocks drift)."""
    try:
        signed_at = datetime.fromtimestamp(int(timestamp) / 1000, UTC)
    except (ValueError, OverflowError, OSError):
        return False
    return abs(now - signed_at) <= MAX_EVENT_AGE


def signed_timestamp(app_id: str, body: bytes, secret_key: str, given: str) -> str | None:
    """The body's timestamp that makes `given` its signature (`mac=` + SHA-256 of the app id,
    the raw body, the timestamp and the OA secret key); None when none does.

    The timestamp is read from the raw bytes (`SIGNED_TIMESTAMP`), so that nothing is parsed
    for a caller who cannot sign: without the secret key, no candidate matches. The app id and
    body are hashed once for every candidate."""
    prefix = hashlib.sha256(app_id.encode())
    prefix.update(body)
    tried: set[bytes] = set()
    for found in SIGNED_TIMESTAMP.finditer(body):
        candidate = found.group(1) or found.group(2)
        if candidate in tried:
            continue
        if len(tried) == MAX_TIMESTAMPS:
            break
        tried.add(candidate)
        digest = prefix.copy()
        digest.update(candidate + secret_key.encode())
        if hmac.compare_digest(f"mac={digest.hexdigest()}".encode(), given.encode()):
            return candidate.decode()
    return None


class ZaloOaChannel(NumberedChannel):
    """The Zalo OA messenger: a `bot.channels.Channel` that Zalo always posts to (no polling)."""

    channel = CHANNEL

    def __init__(
        self,
        client: ZaloOaClient,
        tokens: OaTokens,
        last_message_at: LastMessageAt,
        memory: ChatMemory,
        tr: Translator,
        files: LocalFiles,
        clock: Callable[[], datetime],
        *,
        app_id: str,
        secret_key: str,
    ) -> None:
        super().__init__(memory, tr, files, clock)
        self.client = client
        self.tokens = tokens
        self._last_message_at = last_message_at
        self._app_id = app_id
        self._secret_key = secret_key  # the OA's, which signs the events Zalo posts

    async def open(self) -> None:
        """Open the HTTP client and make sure a token can be had now, not at the first message:
        a refused refresh token or app secret stops the start; an unreachable Zalo does not."""
        await self.client.start()
        try:
            await self.tokens.current()
        except ZaloOaAuthRefused as error:
            raise CredentialsRefused(str(error)) from error
        except RetryLater as error:
            log.warning("zalo_oa token not checked at start (%s); sends will try", error)

    def routes(self, accept: Accept, clock: Callable[[], datetime]) -> dict[str, WebhookHandler]:
        """The webhook's route, always: the OA API has no long polling."""
        return {WEBHOOK_PATH: self.webhook_handler(self._app_id, self._secret_key, accept, clock)}

    @contextlib.asynccontextmanager
    async def running(self, accept: Accept, clock: Callable[[], datetime]) -> AsyncIterator[None]:
        """Zalo posts to the webhook set in the OA's settings; meanwhile the token is renewed
        before it expires, even when nothing is sent."""
        log.info("zalo_oa webhook at %s", WEBHOOK_PATH)
        async with looping(self.tokens.keep_fresh, "zalo-oa-tokens"):
            yield

    async def close(self) -> None:
        """Let a token refresh in flight store its new refresh token, then close the client."""
        await self.tokens.close()
        await self.client.close()

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        """Send within the reply window; outside it, refuse for good (see the module docstring)."""
        if reply.edits_buttons_of is not None:
            return SendResult()
        last = await self._last_message_at(chat_id)
        if last is None or self._clock() - last > REPLY_WINDOW:
            raise Undeliverable(OUTSIDE_WINDOW)
        return await super().send(chat_id, reply)

    async def _send_photo(self, chat_id: str, url: str) -> str | None:
        return await self._deliver(chat_id, media_template(url))

    async def _send_text(self, chat_id: str, text: str) -> str | None:
        return await self._deliver(chat_id, {"text": text})

    async def _deliver(self, chat_id: str, message: dict[str, Any]) -> str | None:
        """Send with the current token; one Zalo rejects is renewed once and the send repeated
        (rejected again, it waits: `AccessTokenRejected` is a `RetryLater`)."""
        token = await self.tokens.current()
        try:
            data = await self.client.send_message(token, chat_id, message)
        except AccessTokenRejected:
            renewed = await self.tokens.renew(rejected=token)
            data = await self.client.send_message(renewed, chat_id, message)
        return message_id_in(data)

    async def download(self, file: FileRef, destination: str) -> int:
        """Fetch a photo or file the person sent: Zalo gives its URL."""
        return await download_url(self.client.session, file.file_id, destination)

    async def translate(self, event: dict[str, Any], now: datetime) -> list[Incoming]:
        """The event as `Incoming` (none when it is not a person's message), numbers resolved."""
        incoming = to_incoming(event, now)
        return [] if incoming is None else [await self.resolve_choice(incoming)]

    def webhook_handler(
        self, app_id: str, secret_key: str, accept: Accept, clock: Callable[[], datetime]
    ) -> Callable[[web.Request], Awaitable[web.Response]]:
        """An aiohttp handler: check the signature (constant time) and its age, store, then 200.

        Nothing is parsed before the signature holds: a request without a signature of the
        right shape is refused unread; otherwise the body is read (at most `WEBHOOK_MAX_BYTES`),
        the signature checked over its raw bytes with the timestamp found in them, and only then
        is it parsed; the parsed timestamp must be the one that was signed."""

        async def receive(request: web.Request) -> web.Response:
            given = request.headers.get(SIGNATURE_HEADER, "")
            if not SIGNATURE_SHAPE.fullmatch(given):
                return unauthorised(request, CHANNEL)
            try:
                body = await read_body(request)
            except Refused as refusal:
                return refusal.response()
            timestamp = signed_timestamp(app_id, body, secret_key, given)
            if timestamp is None:
                return unauthorised(request, CHANNEL)
            try:
                event = parse_json(body)
            except Refused as refusal:
                return refusal.response()
            if not isinstance(event, dict) or str(event.get("timestamp")) != timestamp:
                log.warning("zalo_oa webhook call whose timestamp is not the one signed")
                return web.Response(status=401, text="unauthorised")
            now = clock()
            if not _recent(timestamp, now):
                log.warning("zalo_oa webhook call with a stale timestamp refused")
                return web.Response(status=401, text="stale")
            await accept(await self.translate(event, now))
            return web.Response(text="ok")

        return receive
