"""Fuzzing: random and malformed updates thrown at the adapters' translators and the dispatcher.

Adapters: whatever a platform (or someone holding its webhook secret) posts, the translator gives
a well-formed `Incoming` (one both databases store and the handlers can read) or nothing, a clean
update from a private chat is never dropped, and the webhook answers 200 or 400, never an error.

Crafted requests over HTTP, on one app with every route: JSON nested deep, secrets and signatures
wrong, not ASCII or of the wrong shape, file-link tokens of any text, odd sandbox parameters and
bodies get a 4xx (a 401 whenever the secret or signature is not the platform's), never a 5xx,
and log no ERROR line.

Dispatcher: on the real application and a real database (a seeded one, copied: a SQLite file, or
with `TEST_DATABASE=postgresql` a PostgreSQL database, which enforces every column's size), random
updates from strangers, citizens with petitions and officers (any text, commands, button data
of their own, old, of other people and of officers, made up or cut short, garbage contacts, places
and files) never make a handler fail, are all marked handled, leave the database consistent, and get
a bounded, polite answer that reaches no one who has no business hearing of it.

Runs are derandomized (a fixed seed, no example database), so CI sees the same examples, and
kept to well under a minute; FUZZ_SCALE=20 runs twenty times as many for a longer hunt.
"""

from __future__ import annotations

import asyncio
import itertools
import json
import logging
import math
import os
import re
import shutil
import string
import urllib.parse
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from bot.app import Application
from bot.buttons import Menu, OpenPetition, PetitionAction
from bot.channels import telegram as tg
from bot.channels import zalo, zalo_oa
from bot.config import Settings
from bot.conversation import _GLOBAL_DATA as GLOBAL_DATA  # what the router takes for a button
from bot.conversation import _STEP_DATA as STEP_DATA
from bot.core import FileRef, Incoming, Kind, Reply
from bot.domain.places import on_the_map
from bot.domain.workflow import Action
from bot.i18n import LOCALES, Catalogues
from handlers import ROOT
from handlers.officer import IDENTITY_ACTION
from storage import models as m
from storage.db import Database
from tests import raw_http
from tests.conftest import (
    START,
    TEST_DATABASE,
    FakeClock,
    database_url,
    due_jobs_done,
    make_settings,
    postgres_server,
)
from tests.fake_telegram import FakeTelegram
from tests.sandbox_client import SandboxPerson
from tests.test_casework import answered_complaint, file_feedback
from tests.test_dialogue_staff import announced_session
from tests.test_filing_sandbox import file_denunciation
from tests.test_untrusted_requests import credentials, every_route

# --- shared -------------------------------------------------------------------------------------

SCALE = int(os.environ.get("FUZZ_SCALE", "1"))
ADAPTER_SETTINGS = settings(
    max_examples=120 * SCALE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.too_slow],
)
MEDIA = {"photo", "document", "voice", "audio", "video"}
ID_LIMIT = 64  # the chat and user id columns (inbox, conversations, citizens)
KEY_LIMIT = 128  # inbox.update_key
CALLBACK_LIMIT = 64  # Telegram's own limit on callback data


def huge_text() -> st.SearchStrategy[str]:
    """5 000 characters or more, made cheaply: a random piece repeated, and a random tail."""
    return st.builds(
        lambda piece, tail: piece * (5000 // len(piece) + 1) + tail,
        st.text(min_size=1, max_size=8),
        st.text(max_size=8),
    )


def any_text() -> st.SearchStrategy[str]:
    """Any unicode, control characters included, now and then very long."""
    return st.one_of(
        st.text(max_size=40), st.text(st.characters(codec="utf-8"), max_size=10), huge_text()
    )


def garbage() -> st.SearchStrategy[Any]:
    """Any JSON value, nested: what a confused or hostile sender could put anywhere."""
    scalars = st.one_of(
        st.none(),
        st.booleans(),
        st.integers(),
        st.integers(min_value=2**63, max_value=2**80),
        st.floats(allow_nan=True, allow_infinity=True),
        any_text(),
    )
    return st.recursive(
        scalars,
        lambda inner: st.one_of(
            st.lists(inner, max_size=3), st.dictionaries(st.text(max_size=8), inner, max_size=3)
        ),
        max_leaves=6,
    )


@st.composite
def record(draw: st.DrawFn, fields: dict[str, st.SearchStrategy[Any]], breakage: int) -> Any:
    """A JSON object with these fields, each now and then missing or replaced by garbage, and
    maybe an unknown field; `breakage` of 0 gives a clean object."""
    out: dict[str, Any] = {}
    for name, valid in fields.items():
        fate = draw(st.integers(0, 9)) if breakage else 9
        if fate < breakage // 2:
            continue  # missing
        out[name] = draw(garbage()) if fate < breakage else draw(valid)
    if breakage and draw(st.integers(0, 9)) == 0:
        out[draw(st.text(max_size=12))] = draw(garbage())
    return out


def well_formed(incoming: Incoming | None, channel: str) -> None:
    """What the dispatcher, the handlers and both database backends may rely on."""
    if incoming is None:
        return
    assert isinstance(incoming, Incoming)
    assert incoming.channel == channel
    for name, limit in (("chat_id", ID_LIMIT), ("user_id", ID_LIMIT), ("update_key", KEY_LIMIT)):
        value = getattr(incoming, name)
        assert isinstance(value, str) and 0 < len(value) <= limit, (name, value)
    assert isinstance(incoming.kind, Kind)
    assert incoming.received_at == START
    for name in ("text", "command", "callback_data", "contact_phone", "language_code"):
        value = getattr(incoming, name)
        assert value is None or isinstance(value, str), (name, value)
    assert isinstance(incoming.args, str) and isinstance(incoming.contact_is_own, bool)
    if incoming.kind is Kind.TEXT:
        assert isinstance(incoming.text, str)
    if incoming.kind is Kind.COMMAND:
        assert isinstance(incoming.command, str)
    if incoming.kind is Kind.CALLBACK:
        assert isinstance(incoming.callback_data, str)
        assert len(incoming.callback_data) <= CALLBACK_LIMIT
    if incoming.kind is Kind.CONTACT:
        assert isinstance(incoming.contact_phone, str)
    if incoming.kind is Kind.LOCATION:
        for value in (incoming.latitude, incoming.longitude):
            assert isinstance(value, int | float) and not isinstance(value, bool)
            assert math.isfinite(value)
    if incoming.kind is Kind.FILE:
        file = incoming.file
        assert isinstance(file, FileRef) and isinstance(file.file_id, str) and file.file_id
        assert file.media in MEDIA and file.channel == channel
        assert file.size is None or (type(file.size) is int and file.size >= 0)
        assert file.mime is None or isinstance(file.mime, str)
        assert file.name is None or isinstance(file.name, str)
    else:
        assert incoming.file is None
    # The inbox keeps it as JSON, which PostgreSQL wants strict (no NaN or infinity).
    stored = json.loads(json.dumps(incoming.to_json(), allow_nan=False))
    assert Incoming.from_json(stored) == incoming


class FakeBody:
    """A request's body as aiohttp streams it: `read(n)` gives at most n bytes, b"" at the end."""

    def __init__(self, body: bytes) -> None:
        self._body = body

    async def read(self, n: int = -1) -> bytes:
        size = len(self._body) if n < 0 else n
        chunk, self._body = self._body[:size], self._body[size:]
        return chunk


class FakeRequest:
    """What a webhook handler reads of a request: headers, the peer, and the body."""

    def __init__(self, header: str, secret: str, body: bytes) -> None:
        self.headers = {header: secret}
        self.remote = "127.0.0.1"
        self.content_length = len(body)
        self.content = FakeBody(body)


def raw_body(value: Any) -> bytes:
    """A body as posted: JSON the way Python writes it (NaN and Infinity included)."""
    return json.dumps(value).encode()


async def post(
    handler: Callable[[web.Request], Awaitable[web.Response]], header: str, body: bytes
) -> int:
    response = await handler(FakeRequest(header, SECRET, body))  # type: ignore[arg-type]
    return response.status


SECRET = "fuzz-secret"


class Accepted:
    """An `accept` that keeps what the adapter stored."""

    def __init__(self) -> None:
        self.updates: list[Incoming] = []

    async def __call__(self, updates: Any) -> list[Incoming]:
        self.updates += updates
        return list(updates)


# --- Telegram -----------------------------------------------------------------------------------

ids = st.integers(-(10**13), 10**13)


def telegram_user(breakage: int) -> st.SearchStrategy[Any]:
    return record(
        {
            "id": ids,
            "is_bot": st.booleans(),
            "first_name": st.text(max_size=10),
            "language_code": st.sampled_from(["vi", "en", "fr"]),
        },
        breakage,
    )


def telegram_chat(breakage: int) -> st.SearchStrategy[Any]:
    kinds = st.sampled_from(["private", "private", "group", "supergroup", "channel", "secret"])
    return record({"id": ids, "type": kinds}, breakage)


def telegram_file(breakage: int, media: str) -> st.SearchStrategy[Any]:
    fields: dict[str, st.SearchStrategy[Any]] = {
        "file_id": st.text(min_size=1, max_size=20),
        "file_unique_id": st.text(min_size=1, max_size=10),
        "file_size": st.one_of(st.integers(0, 10**12), st.integers(-5, -1)),
    }
    if media == "photo":
        fields |= {"width": st.integers(0, 5000), "height": st.integers(0, 5000)}
    if media in {"document", "audio", "video"}:
        fields |= {"file_name": any_text(), "mime_type": any_text()}
    if media in {"voice", "audio", "video"}:
        fields |= {"duration": st.integers(0, 10**6)}
    if media == "video":
        fields |= {"width": st.integers(0, 5000), "height": st.integers(0, 5000)}
    return record(fields, breakage)


def telegram_content(breakage: int) -> st.SearchStrategy[dict[str, Any]]:
    """What a message carries: text, a command, a contact, a place, a sticker, a file, nothing."""
    commands = st.builds(
        lambda name, args: f"/{name} {args}".rstrip(), st.text(max_size=12), any_text()
    )
    contact = record(
        {"phone_number": any_text(), "first_name": st.text(max_size=5), "user_id": ids}, breakage
    )
    location = record(
        {"latitude": st.floats(-1e6, 1e6), "longitude": st.floats(-1e6, 1e6)}, breakage
    )
    sticker = record(
        {
            "file_id": st.text(min_size=1, max_size=5),
            "file_unique_id": st.text(min_size=1, max_size=5),
            "width": st.integers(0, 512),
            "height": st.integers(0, 512),
            "is_animated": st.booleans(),
            "is_video": st.booleans(),
            "type": st.just("regular"),
        },
        breakage,
    )
    media = st.sampled_from(["document", "voice", "audio", "video"])
    return st.one_of(
        st.fixed_dictionaries({"text": any_text()}),
        st.fixed_dictionaries({"text": commands}),
        st.fixed_dictionaries({"contact": contact}),
        st.fixed_dictionaries({"location": location}),
        st.fixed_dictionaries({"sticker": sticker}),
        st.fixed_dictionaries(
            {"photo": st.lists(telegram_file(breakage, "photo"), min_size=1, max_size=3)},
            optional={"caption": any_text()},
        ),
        media.flatmap(
            lambda kind: st.fixed_dictionaries(
                {kind: telegram_file(breakage, kind)}, optional={"caption": any_text()}
            )
        ),
        st.fixed_dictionaries({"dice": record({"emoji": st.just("🎲"), "value": ids}, breakage)}),
        st.just({}),
    )


@st.composite
def telegram_message(draw: st.DrawFn, breakage: int) -> Any:
    message = draw(
        record(
            {
                "message_id": st.integers(0, 10**9),
                "date": st.integers(0, 2**31),
                "chat": telegram_chat(breakage),
                "from": telegram_user(breakage),
            },
            breakage,
        )
    )
    message.update(draw(telegram_content(breakage)))
    return message


@st.composite
def telegram_update(draw: st.DrawFn, breakage: int) -> Any:
    """An update as Telegram posts it, `breakage` out of 10 of its fields broken."""
    kinds = ["message", "callback_query", "edited_message", "channel_post"]
    kind = draw(st.sampled_from([*kinds, "poll"] if breakage else kinds))
    if kind == "callback_query":
        payload = draw(
            record(
                {
                    "id": st.text(min_size=1, max_size=8),
                    "from": telegram_user(breakage),
                    "chat_instance": st.text(max_size=8),
                    "data": st.one_of(
                        any_text(),
                        st.sampled_from(
                            [
                                OpenPetition(1).pack(),
                                PetitionAction(1, "accept").pack(),
                                Menu("file").pack(),
                            ]
                        ),
                    ),
                    "message": telegram_message(breakage),
                },
                breakage,
            )
        )
    elif kind == "poll":
        payload = draw(garbage())
    else:
        payload = draw(telegram_message(breakage))
    update = draw(record({"update_id": st.integers(0, 2**40)}, breakage))
    update[kind] = payload
    return update


def telegram_bodies() -> st.SearchStrategy[Any]:
    """Clean updates, broken ones, and anything at all."""
    return st.one_of(
        telegram_update(0), telegram_update(2), telegram_update(5), telegram_update(9), garbage()
    )


TELEGRAM_BOT = tg.make_bot("123456:fuzz", "http://127.0.0.1:9")


@ADAPTER_SETTINGS
@given(body=telegram_bodies())
def test_telegram_translates_any_body_or_refuses_it_as_bad(body: Any) -> None:
    try:
        update = tg.parse_update(body, TELEGRAM_BOT)
    except ValueError:
        return  # the webhook answers 400
    well_formed(tg.to_incoming(update, START), tg.CHANNEL)


@ADAPTER_SETTINGS
@given(body=telegram_update(0))
def test_telegram_translates_every_clean_private_update(body: Any) -> None:
    update = tg.parse_update(body, TELEGRAM_BOT)
    incoming = tg.to_incoming(update, START)
    well_formed(incoming, tg.CHANNEL)
    message = body.get("message") or body.get("callback_query", {}).get("message")
    if "message" in body or "callback_query" in body:
        private = message["chat"]["type"] == "private"
        assert (incoming is not None) == private, "a private chat's update is never dropped"
    else:
        assert incoming is None, "edits, channel posts and polls are not ours"
    if incoming is not None and "callback_query" in body:
        assert incoming.kind is Kind.CALLBACK
        assert incoming.callback_data == body["callback_query"]["data"][:CALLBACK_LIMIT]
    elif incoming is not None and "text" in body["message"]:
        text = body["message"]["text"]
        assert incoming.kind is (Kind.COMMAND if text.startswith("/") else Kind.TEXT)
        assert incoming.text == (None if text.startswith("/") else text)


@ADAPTER_SETTINGS
@given(body=st.one_of(telegram_bodies().map(raw_body), st.binary(max_size=30)))
async def test_telegram_webhook_answers_200_or_400_and_stores_only_well_formed_updates(
    body: bytes,
) -> None:
    channel = tg.TelegramChannel(TELEGRAM_BOT)

    async def no_network(_updates: object) -> None:
        """The spinner of a pressed button would be stopped by calling Telegram."""

    channel.acknowledge_buttons = no_network  # type: ignore[method-assign]
    accepted = Accepted()
    handler = channel.webhook_handler(SECRET, accepted, lambda: START)
    status = await post(handler, tg.SECRET_HEADER, body)
    assert status in {200, 400}
    assert len(accepted.updates) <= (1 if status == 200 else 0)
    for incoming in accepted.updates:
        well_formed(incoming, tg.CHANNEL)


# --- Zalo ---------------------------------------------------------------------------------------

zalo_ids = st.one_of(st.text(min_size=1, max_size=24), ids)
ZALO_EVENTS = [
    "message.text.received",
    "message.image.received",
    "message.sticker.received",
    "message.unsupported.received",
    "message.location.received",
    "user.follow",
]


@st.composite
def zalo_event(draw: st.DrawFn, breakage: int) -> Any:
    """An event as the Bot Platform posts it, bare or wrapped, `breakage` out of 10 broken."""
    message = draw(
        record(
            {
                "message_id": zalo_ids,
                "date": st.integers(0, 2**42),
                "text": st.one_of(any_text(), st.builds(lambda t: "/" + t, any_text())),
                "photo_url": st.sampled_from(["https://zalo.example/p.jpg", "", "ftp://x"]),
                "caption": any_text(),
                "sticker": st.text(max_size=5),
                "from": record(
                    {"id": zalo_ids, "display_name": any_text(), "is_bot": st.booleans()},
                    breakage,
                ),
                "chat": record(
                    {"id": zalo_ids, "chat_type": st.sampled_from(["PRIVATE", "private", "GROUP"])},
                    breakage,
                ),
            },
            breakage,
        )
    )
    event = draw(record({"event_name": st.sampled_from(ZALO_EVENTS)}, breakage))
    event["message"] = message
    if draw(st.booleans()):
        return {"ok": True, "result": event}
    return event


def zalo_bodies() -> st.SearchStrategy[Any]:
    return st.one_of(zalo_event(0), zalo_event(2), zalo_event(5), zalo_event(9), garbage())


@ADAPTER_SETTINGS
@given(body=zalo_bodies())
def test_zalo_translates_any_body_or_refuses_it_as_bad(body: Any) -> None:
    update = zalo.unwrap(body)
    if update is not None:
        well_formed(zalo.to_incoming(update, START), zalo.CHANNEL)
    # Long polling hands over whatever `getUpdates` listed, unwrapped or not.
    well_formed(zalo.to_incoming(body, START), zalo.CHANNEL)


@ADAPTER_SETTINGS
@given(body=zalo_event(0))
def test_zalo_translates_every_clean_private_event(body: Any) -> None:
    update = zalo.unwrap(body)
    assert update is not None
    incoming = zalo.to_incoming(update, START)
    well_formed(incoming, zalo.CHANNEL)
    message = update["message"]
    private = message["chat"]["chat_type"].upper() == "PRIVATE"
    assert (incoming is not None) == private, "a private chat's event is never dropped"
    if incoming is not None and update["event_name"] == "message.text.received":
        text = message["text"]
        assert incoming.kind is (Kind.COMMAND if text.startswith("/") else Kind.TEXT)
        assert incoming.text == (None if text.startswith("/") else text)


class NoMemory:
    """A chat the channel has sent nothing to yet."""

    @staticmethod
    async def recent_replies(_chat_id: str) -> list[Reply]:
        return []

    @staticmethod
    async def is_answering(_chat_id: str) -> bool:
        return False


@ADAPTER_SETTINGS
@given(body=st.one_of(zalo_bodies().map(raw_body), st.binary(max_size=30)))
async def test_zalo_webhook_answers_200_or_400_and_stores_only_well_formed_updates(
    body: bytes,
) -> None:
    memory = zalo.ChatMemory(NoMemory.recent_replies, NoMemory.is_answering)
    client = zalo.ZaloClient("fuzz", "http://127.0.0.1:9")
    channel = zalo.ZaloChannel(client, memory, Catalogues().get("vi"), None, lambda: START)  # type: ignore[arg-type]
    accepted = Accepted()
    handler = channel.webhook_handler(SECRET, accepted, lambda: START)
    status = await post(handler, zalo.SECRET_HEADER, body)
    assert status in {200, 400}
    assert len(accepted.updates) <= (1 if status == 200 else 0)
    for incoming in accepted.updates:
        well_formed(incoming, zalo.CHANNEL)


# --- crafted requests over HTTP -----------------------------------------------------------------
#
# One app with every route (Telegram and Zalo in webhook mode, a Zalo OA, file links, the sandbox)
# takes requests of odd shapes over real HTTP: JSON nested deep, secrets and signatures that are
# wrong, not ASCII or not of the expected shape, file-link tokens of any text (and genuine links
# with a character changed), odd sandbox parameters and bodies. Never a 5xx, never an ERROR line;
# without the secret or signature, always a 401.

HTTP_SETTINGS = settings(
    max_examples=150 * SCALE,
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
WEBHOOK_HEADERS = {
    "/telegram/webhook": tg.SECRET_HEADER,
    "/zalo/webhook": zalo.SECRET_HEADER,
    "/zalo-oa/webhook": zalo_oa.SIGNATURE_HEADER,
}
CLOSERS = {b"[": b"]", b'{"a": ': b"}", b'[{"x": ': b"}]"}
TIMESTAMP = b"%TIMESTAMP%"  # replaced by the clock's, as Zalo OA stamps an event
SIGNED, UNSIGNED = b"\x00signed", b"\x00unsigned"  # no header value HTTP carries has a NUL


@st.composite
def nested_json(draw: st.DrawFn) -> bytes:
    """Arrays or objects nested around the limit, past it, or past the interpreter's own."""
    opener = draw(st.sampled_from(sorted(CLOSERS)))
    depth = draw(st.one_of(st.sampled_from([63, 64, 65, 999, 5000, 100_000]), st.integers(0, 99)))
    body = opener * depth + b"1"
    return body + CLOSERS[opener] * depth if draw(st.booleans()) else body


def webhook_bodies() -> st.SearchStrategy[bytes]:
    """Deep JSON, bare or in an event; updates and events half broken; anything at all."""
    event = b'{"timestamp": "' + TIMESTAMP + b'", "x": '
    return st.one_of(
        nested_json(),
        nested_json().map(lambda inner: event + inner + b"}"),
        telegram_update(2).map(raw_body),
        zalo_event(2).map(raw_body),
        garbage().map(raw_body),
        st.binary(max_size=30),
        st.sampled_from([event + b'"\\ud800"}', b'"\\udfff"', event + b'{"\\udbff": 1}}']),
    )


def header_values() -> st.SearchStrategy[bytes | str]:
    """The secret or signature, none, or anything else HTTP carries in a header (no control
    character but a tab: aiohttp's parser refuses them, with an ERROR line of its own)."""
    carried = [9, *range(32, 127), *range(128, 256)]
    any_bytes = st.lists(st.sampled_from(carried), max_size=80).map(bytes)
    printable = st.text(st.characters(exclude_categories=["Cc", "Cs"]), max_size=40)
    mac_like = st.builds(
        "mac={}".format, st.text("0123456789abcdefABCDEFg", min_size=63, max_size=65)
    )
    return st.one_of(st.sampled_from([SIGNED, UNSIGNED]), any_bytes, printable, mac_like)


@pytest.fixture
async def every_route_app(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock
) -> AsyncIterator[Application]:
    async with every_route(tmp_path, telegram, clock) as app:
        yield app


async def nothing_failed(app: Application, caplog: pytest.LogCaptureFixture) -> None:
    """What the request set going is done, and nothing logged an ERROR."""
    await app.dispatcher.wait_idle()
    no_errors_logged(caplog)


@HTTP_SETTINGS
@given(
    route=st.sampled_from(sorted(WEBHOOK_HEADERS)),
    body=webhook_bodies(),
    secret=header_values(),
    chunked=st.booleans(),
)
async def test_webhooks_answer_crafted_requests_with_a_4xx_and_refuse_the_unsigned(
    every_route_app: Application,
    caplog: pytest.LogCaptureFixture,
    route: str,
    body: bytes,
    secret: bytes | str,
    chunked: bool,
) -> None:
    caplog.clear()
    app = every_route_app
    ts = str(int(app.clock().timestamp() * 1000))
    body = body.replace(TIMESTAMP, ts.encode())
    headers = [] if secret == UNSIGNED else [(WEBHOOK_HEADERS[route], secret)]
    if secret == SIGNED:
        headers = credentials(route, body, ts)  # the OA's: a MAC with the event's timestamp
    status, _ = await raw_http.request(app.port, "POST", route, headers, body, chunked=chunked)
    if secret != SIGNED:
        assert status == 401, (route, secret, status)
    elif route == "/zalo-oa/webhook":
        assert status in {200, 400, 401}, status  # 401: the body has no timestamp of its own
    else:
        assert status in {200, 400}, status
    await nothing_failed(app, caplog)


B64 = string.ascii_letters + string.digits + "-_"


@st.composite
def link_tokens(draw: st.DrawFn) -> str:
    """A made-up token: two parts of any text or of base64's letters, and what parts them."""
    part = st.one_of(
        st.text(max_size=30), st.text(B64, max_size=40), st.text(B64 + "=+/%", max_size=40)
    )
    separator = draw(st.sampled_from([".", ".", "", "..", "./", "%2E"]))
    return str(draw(part) + separator + draw(part))


@HTTP_SETTINGS
@given(data=st.data())
async def test_a_file_link_serves_only_as_signed_and_anything_else_is_a_404(
    every_route_app: Application, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    caplog.clear()
    app = every_route_app
    path = app.files.keep_generated(b"%PDF-1.4 fuzz", "fuzz.pdf")
    genuine = app.files.link(path, "fuzz.pdf", app.clock()).split("/")[-2]
    if data.draw(st.booleans(), label="genuine, altered"):
        at = data.draw(st.integers(0, len(genuine) - 1), label="at")
        character = data.draw(st.characters(exclude_categories=["Cs"]), label="character")
        token = genuine[:at] + character + genuine[at + 1 :]
    else:
        token = data.draw(link_tokens(), label="token")
    name = data.draw(st.one_of(st.just("fuzz.pdf"), st.text(min_size=1, max_size=20)), label="name")
    if {token, name} & {".", ".."}:
        return  # a dot segment: the path is another one (aiohttp normalises it)
    # A token made with "%2E" or "%" keeps its percent signs: it encodes itself (or badly).
    quoted = urllib.parse.quote(token, safe="%" if "%" in token else "")
    route = f"/files/{quoted}/{urllib.parse.quote(name, safe='')}"
    status, content = await raw_http.request(app.port, "GET", route)
    if token == genuine:
        assert (status, content) == (200, b"%PDF-1.4 fuzz")
    else:
        assert status == 404, (token, status)
    await nothing_failed(app, caplog)


ODD_NUMBERS = st.one_of(
    st.sampled_from(
        [
            *("", "0", "7", "nan", "NaN", "inf", "-inf", "Infinity", "-1", "-0", "1e999"),
            *("1e-999", "0x10", "1_000", "١٢", "𝟙", "9" * 19, " 5", "0.01", "true"),
        ]
    ),
    st.text(max_size=12),
    st.integers().map(str),
    st.floats().map(repr),
)
SANDBOX_KINDS = st.one_of(
    st.sampled_from(["text", "callback", "contact", "location", "file", "photo", ""]), garbage()
)


def sandbox_action(breakage: int) -> st.SearchStrategy[Any]:
    return record(
        {
            "kind": SANDBOX_KINDS,
            "text": any_text(),
            "data": st.text(max_size=70),
            "phone": st.one_of(st.sampled_from(["+84912345678", "0912 345 678", "12"]), any_text()),
            "latitude": st.one_of(st.floats(), st.sampled_from(["21.5", "nan", "x"])),
            "longitude": st.one_of(st.floats(), st.sampled_from(["105.8", "inf", ""])),
            "id": st.one_of(st.uuids().map(str), st.text(max_size=140), st.integers()),
            "label": any_text(),
        },
        breakage,
    )


def sandbox_bodies() -> st.SearchStrategy[bytes]:
    chats = st.one_of(st.sampled_from([*CITIZENS, "officer-pd.tiepdan", "nobody"]), garbage())
    actions = st.one_of(sandbox_action(0), sandbox_action(3), sandbox_action(8), garbage())
    return st.one_of(
        record({"chat": chats, "action": actions}, 2).map(raw_body),
        garbage().map(raw_body),
        nested_json(),
        st.binary(max_size=30),
        st.sampled_from(
            [
                b'{"chat": "citizen-1", "action": {"kind": "text", "text": "\\ud800"}}',
                b'{"chat": "citizen-1", "action": {"kind": "text", "text": "hi", "id": "\\udc00"}}',
            ]
        ),
    )


def long_poll(wait: str | None) -> bool:
    """A wait the page may ask for (up to 20 s): too long to hold a fuzz example for."""
    try:
        seconds = float(wait or "0")
    except ValueError:
        return False
    return 0.05 < seconds < math.inf


@HTTP_SETTINGS
@given(data=st.data())
async def test_the_sandbox_api_answers_odd_parameters_and_bodies_with_a_4xx(
    every_route_app: Application, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    caplog.clear()
    app = every_route_app
    sandbox = [("X-Sandbox", "1")]
    if data.draw(st.booleans(), label="read, or act"):
        query = {"chat": data.draw(st.sampled_from([*CITIZENS, "nobody", ""]), label="chat")}
        # 4 400 digits: more than `int` reads (once: a URL stays within aiohttp's 8 190 bytes).
        for name, values in (
            ("after", [ODD_NUMBERS, st.just("9" * 4400)]),
            ("wait", [ODD_NUMBERS]),
        ):
            value = data.draw(st.one_of(st.none(), *values), label=name)
            if value is not None:
                query[name] = value
        if long_poll(query.get("wait")):
            query["wait"] = "0.01"
        route = f"/sandbox/api/messages?{urllib.parse.urlencode(query)}"
        status, _ = await raw_http.request(app.port, "GET", route, sandbox, timeout=5)
    else:
        body = data.draw(sandbox_bodies(), label="body")
        chunked = data.draw(st.booleans(), label="chunked")
        status, _ = await raw_http.request(
            app.port, "POST", "/sandbox/api/send", sandbox, body, chunked=chunked
        )
    assert status in {200, 400, 413}, status  # 413: a body over SANDBOX_JSON_MAX_BYTES
    await nothing_failed(app, caplog)


# --- the dispatcher -----------------------------------------------------------------------------
#
# The application runs on a copy of one seeded SQLite file: citizen-1 filed a complaint (petition
# 1) that the commune's reception officer accepted and answered, citizen-2 filed a denunciation
# (petition 2, the chairman's), citizen-3 a feedback (petition 3, the economic office's), and the
# chairman announced a dialogue session for Na Mao. Then people act at random, one update at a
# time, and every update is checked: its inbox row, the messages it queued, the events it wrote.

CITIZENS = ("citizen-1", "citizen-2", "citizen-3")
STRANGERS = ("stranger-1", "stranger-2")
OFFICERS = (
    "officer-pd.tiepdan",
    "officer-pd.chutich",
    "officer-pd.kinhte",
    "officer-pd.truongkt",
    "officer-ts.tiepdan",
)
PEOPLE = (*CITIZENS, *STRANGERS, *OFFICERS)
# What only a citizen does to a petition (actor "citizen"); every other event is an officer's.
CITIZEN_EVENTS = {"received", "appeal", "reopen", "citizen_answered", "rated"}
MAX_OWN_REPLIES = 4  # the most: a report's figures and workbook, then its three charts
COMMANDS = ("start", "help", "menu", "cancel", "lang", "mine", "tim", "tiepdan")
PREFIXES = [*sorted(ROOT.globals), "zz"]  # every global button's prefix, and one nobody has
ACTIONS = [*(action.value for action in Action), IDENTITY_ACTION]
# What a person would type at some question or other (a story, a name, a phone, a date …).
ANSWERS = [
    "1",
    "2",
    "5",
    "12 3",
    "0912345678",
    "+84 (98) 765-4321",
    "Nguyễn Văn A",
    "Xóm Na Mao, xã Phú Đình",
    "Cống thoát nước trước nhà văn hóa bị tắc, nước tràn vào nhà dân.",
    "15/03/2026 09:00",
    "31/12/9999 23:59",
    "01/01/2100 08:00",
    "16/03/2026",
    "09:00",
    "Hội trường UBND xã",
    "PD-2026-000001",
    "Phú Đình",
    "có",
    "  ",
    "",
    "\x00\x1b[31m\u202e",
]
TEXTS = st.one_of(any_text(), st.sampled_from(ANSWERS))
# Ids as a button could carry them: real ones, none, too big for the database, digits that
# `str.isdigit` takes and `int` does not.
NUMBERS = st.sampled_from(["1", "2", "3", "4", "0", "-1", "999999", "9" * 30, "²", "١٢", "𝟙"])
# The second part of a button's argument: the actions and words the handlers look for.
TOKENS = st.one_of(
    st.sampled_from(
        [
            *ACTIONS,
            *("view", "reg", "leave", "ask", "ics", "open", "acc", "merge", "rej", "day", "stop"),
            *("yes", "no", "home", "list", "mine", "new", "today", "show", "t", "a", "o", "p"),
            *("s", "x", "1", "2", "5", "complex", "PD", "PD-NM", "2026-Q1"),
        ]
    ),
    NUMBERS,
    st.text(max_size=6),
)
PREFIX = st.sampled_from(PREFIXES)
# Button data nobody made: mostly of the shapes the router and handlers parse, with wrong parts.
MADE_UP = st.one_of(
    st.builds("{}:{}".format, PREFIX, NUMBERS),
    st.builds("{}:{}.{}".format, PREFIX, NUMBERS, TOKENS),
    st.builds("{}:{}.{}".format, PREFIX, TOKENS, NUMBERS),
    st.builds("{}:{}.{}.{}".format, PREFIX, NUMBERS, TOKENS, TOKENS),
    st.builds("{}:{}".format, PREFIX, TOKENS),
    st.builds("{}.{}".format, st.integers(-1, 60), TOKENS),
    any_text().map(lambda text: text[:CALLBACK_LIMIT]),
)
NAVIGATION = re.compile(r"\.(back|cancel|home)$|:home$")
ARGS = st.one_of(st.sampled_from(["", "1", "PD-2026-000001", "abc", "Na Mao"]), any_text())


@pytest.fixture(scope="module")
def seeded(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The seeded folder (database and files) every example copies."""
    folder = tmp_path_factory.mktemp("seeded")
    asyncio.run(seed(folder))
    return folder


SEEDED_DATABASE = "database-url"  # where the seeded folder names its database


def copy_of(seeded: Path, folder: Path) -> Settings:
    """Settings for an app on a copy of the seeded folder and of its database."""
    shutil.copytree(seeded, folder)
    url = (seeded / SEEDED_DATABASE).read_text()
    if TEST_DATABASE == "postgresql":
        url = postgres_server().copy_database(url, str(folder))
    else:
        url = url.replace(str(seeded), str(folder))
    return make_settings(folder, sandbox=True, database_url=url)


async def seed(folder: Path) -> None:
    url = database_url(folder)
    (folder / SEEDED_DATABASE).write_text(url)
    app = Application(make_settings(folder, sandbox=True, database_url=url), clock=FakeClock())
    await app.start()
    try:
        async with aiohttp.ClientSession() as http:
            await answered_complaint(app, http)
            await file_denunciation(
                SandboxPerson(app, http, "citizen-2"), "Hoàng Văn Tố", "0987654321", "Bản Trang"
            )
            citizen = SandboxPerson(app, http, "citizen-3")
            await file_feedback(citizen, "Đất đai", "Mương thoát nước xóm Na Mao bị lấp.")
            await announced_session(app)
            await settle(app)
    finally:
        await app.stop()


@dataclass
class Step:
    """One update and what it left behind."""

    incoming: Incoming
    replies: dict[str, list[Reply]]  # chat → new outbox rows
    events: list[m.PetitionEvent]


UPDATE_KEYS = itertools.count()


class Run:
    """One example: draws updates (from what people were shown, or not), feeds them one by one."""

    def __init__(
        self, app: Application, data: st.DataObject, pool: list[str] | None = None
    ) -> None:
        self.app = app
        self.data = data
        self.pool = pool  # the buttons to draw someone else's from; None: all shown so far
        self.count = 0
        self.offered: dict[str, list[str]] = {}  # chat → every button data it was shown
        self.officers: dict[str, str] = {}  # chat → handle
        self.latest: dict[str, list[str]] = {}  # chat → the buttons of its latest question
        self.last_chat: str | None = None
        self.asked: dict[str, list[str]] = {}  # chat → a share key it was just shown, weighted

    async def load(self) -> None:
        async with self.app.db.transaction() as session:
            rows = await session.execute(
                select(m.OfficerBinding.chat_id, m.Officer.handle).join(
                    m.Officer, m.Officer.id == m.OfficerBinding.officer_id
                )
            )
            self.officers = {chat: handle for chat, handle in rows}
            for chat, payload in await session.execute(
                select(m.OutboxMessage.chat_id, m.OutboxMessage.payload).order_by(
                    m.OutboxMessage.id
                )
            ):
                self.remember(chat, Reply.from_json(payload))

    def remember(self, chat: str, reply: Reply) -> None:
        buttons = [b.data for row in reply.buttons for b in row]
        self.offered.setdefault(chat, []).extend(buttons)
        if buttons:
            self.latest[chat] = buttons
        if not reply.unprompted:
            self.asked[chat] = [
                *(["contact"] * 4 if reply.ask_contact else []),
                *(["location"] * 4 if reply.ask_location else []),
            ]

    def draw(self, strategy: st.SearchStrategy[Any], label: str) -> Any:
        return self.data.draw(strategy, label=label)

    def chat(self) -> str:
        """Who acts next: mostly whoever acted last (people act in bursts)."""
        if self.last_chat is not None and self.draw(st.integers(0, 3), "same chat"):
            return self.last_chat
        self.last_chat = self.draw(st.sampled_from(PEOPLE), "chat")
        return self.last_chat

    def typing(self, chat: str) -> bool:
        """The latest question has no choices but Back and Cancel: it wants words."""
        return not [data for data in self.latest.get(chat, []) if not NAVIGATION.search(data)]

    def callback_data(self, chat: str, how: str) -> str:
        """Button data: the question's own, an old one, someone else's, or made up."""
        mine = self.offered.get(chat, [])
        everyone = self.pool or sorted({data for shown in self.offered.values() for data in shown})
        if how == "current" and chat in self.latest:
            onward = [data for data in self.latest[chat] if not NAVIGATION.search(data)]
            if onward and self.draw(st.integers(0, 4), "onward"):
                return str(self.draw(st.sampled_from(onward), "onward button"))
            return str(self.draw(st.sampled_from(self.latest[chat]), "current button"))
        if how == "old" and mine:
            return str(self.draw(st.sampled_from(mine), "old button"))
        if how == "others" and everyone:
            data = self.draw(st.sampled_from(everyone), "someone's button")
            cut = self.draw(st.one_of(st.just(len(data)), st.integers(0, len(data))), "cut")
            return str(data[:cut])
        return str(self.draw(MADE_UP, "made-up button"))

    def update(self, chat: str) -> Incoming:
        how = self.draw(
            st.sampled_from(
                ["current"] * 10
                + ["old", "others", "others", "made up", "made up"]
                + ["answer"] * 3
                + ["text"] * 2
                + ["command", "command", "contact", "location", "file", "sticker", "unsupported"]
                + self.asked.get(chat, [])
                + (["answer"] * 8 if self.typing(chat) else [])
            ),
            "what",
        )
        fields: dict[str, Any] = {}
        if how in {"current", "old", "others", "made up"}:
            fields |= {"kind": Kind.CALLBACK, "callback_data": self.callback_data(chat, how)}
        elif how == "text":
            fields |= {"kind": Kind.TEXT, "text": self.draw(TEXTS, "text")}
        elif how == "answer":
            fields |= {"kind": Kind.TEXT, "text": self.draw(st.sampled_from(ANSWERS), "answer")}
        elif how == "command":
            name = self.draw(st.one_of(st.sampled_from(COMMANDS), st.text(max_size=10)), "command")
            fields |= {"kind": Kind.COMMAND, "command": name, "args": self.draw(ARGS, "args")}
        elif how == "contact":
            phone = st.one_of(
                st.sampled_from(["+84912345678", "0987654321", "", "123"]), any_text()
            )
            fields |= {
                "kind": Kind.CONTACT,
                "contact_phone": self.draw(phone, "phone"),
                "contact_is_own": self.draw(st.booleans(), "own"),
            }
        elif how == "location":
            coordinate = st.one_of(
                st.sampled_from([21.79, 105.64, 0.0, -90.0, 180.0]), st.floats(-1e9, 1e9)
            )
            fields |= {
                "kind": Kind.LOCATION,
                "latitude": self.draw(coordinate, "latitude"),
                "longitude": self.draw(coordinate, "longitude"),
            }
        elif how == "file":
            mimes = ["application/pdf", "image/jpeg", "application/x-msdownload"]
            file = FileRef(
                file_id=f"fuzz{self.count}",
                media=self.draw(st.sampled_from([*sorted(MEDIA), "sticker", ""]), "media"),
                size=self.draw(st.one_of(st.none(), st.integers(-10, 10**15)), "size"),
                mime=self.draw(st.one_of(st.none(), st.sampled_from(mimes), any_text()), "mime"),
                name=self.draw(st.one_of(st.none(), any_text()), "name"),
                channel="sandbox",
            )
            caption = self.draw(st.one_of(st.none(), TEXTS), "caption")
            fields |= {"kind": Kind.FILE, "file": file, "text": caption}
        else:
            fields["kind"] = Kind.STICKER if how == "sticker" else Kind.UNSUPPORTED
        return self.incoming(chat, fields)

    def incoming(self, chat: str, fields: dict[str, Any]) -> Incoming:
        self.count += 1
        return Incoming(
            channel="sandbox",
            chat_id=chat,
            user_id=chat,
            update_key=f"fuzz-{next(UPDATE_KEYS)}",
            received_at=self.app.clock(),
            **fields,
        )

    async def step(self, incoming: Incoming) -> Step:
        async with self.app.db.transaction() as session:
            last_message = await session.scalar(select(func.max(m.OutboxMessage.id))) or 0
            last_event = await session.scalar(select(func.max(m.PetitionEvent.id))) or 0
        stored = await self.app.accept([incoming])
        assert stored == [incoming]
        await self.app.dispatcher.wait_idle()
        # What the update set going at once (a report asked for) lands in its own step, not in
        # whichever step the woken scheduler happens to finish in.
        await due_jobs_done(self.app)
        async with self.app.db.transaction() as session:
            inbox = await session.scalar(
                select(m.InboxUpdate).where(m.InboxUpdate.update_key == incoming.update_key)
            )
            assert inbox is not None and inbox.processed_at is not None, "handled"
            assert inbox.error is None, f"the handler failed on {incoming}"
            replies: dict[str, list[Reply]] = {}
            for row in await session.scalars(
                select(m.OutboxMessage)
                .where(m.OutboxMessage.id > last_message)
                .order_by(m.OutboxMessage.id)
            ):
                assert row.channel == "sandbox"
                reply = Reply.from_json(row.payload)
                replies.setdefault(row.chat_id, []).append(reply)
                self.remember(row.chat_id, reply)
            events = list(
                await session.scalars(
                    select(m.PetitionEvent).where(m.PetitionEvent.id > last_event)
                )
            )
        return Step(incoming, replies, events)


MESSAGE_ID = re.compile(r"[a-z_]+(\.[a-z_0-9]+)+")
APOLOGIES = {Catalogues().get(locale)("error.internal") for locale in LOCALES}


def routable(data: str) -> bool:
    """Button data the router itself makes sense of (Telegram takes at most 64 bytes)."""
    if not 0 < len(data.encode()) <= CALLBACK_LIMIT:
        return False
    if STEP_DATA.match(data):
        return True
    match = GLOBAL_DATA.match(data)
    return match is not None and match.group(1) in ROOT.globals


def check_replies(run: Run, step: Step, offered_before: bool) -> None:
    """Polite, bounded, and only to those who have business hearing of it."""
    incoming = step.incoming
    actor = incoming.chat_id
    for replies in step.replies.values():
        for reply in replies:
            has_file = reply.document_path or reply.document_data or reply.attachment
            assert reply.text.strip() or has_file, "no empty message"
            assert reply.text not in APOLOGIES, f"a handler failed on {incoming}"
            assert not MESSAGE_ID.fullmatch(reply.text), f"untranslated: {reply.text}"
            for row in reply.buttons:
                for button in row:
                    assert button.text.strip() and routable(button.data), button
    # The answers to the update; notices it set going (a report's files) are not answers.
    own = [reply for reply in step.replies.get(actor, []) if not reply.unprompted]
    assert 1 <= len(own) <= MAX_OWN_REPLIES, (incoming, [r.text[:60] for r in own])
    others = set(step.replies) - {actor}
    forged = incoming.kind is Kind.CALLBACK and not offered_before
    if forged and actor not in run.officers:
        # Someone else's button, an officer's, a truncated or made-up one: a refusal (and the
        # pending question or the menu again), no more.
        assert len(own) <= 2, (incoming, [r.text[:60] for r in own])
        assert not others, (incoming, {chat: step.replies[chat] for chat in others})
        assert not step.events, (incoming, [(e.actor, e.action) for e in step.events])


async def check_events(run: Run, step: Step) -> None:
    """Who did what: an officer's action is recorded as theirs, a citizen's on their petition."""
    handle = run.officers.get(step.incoming.chat_id)
    async with run.app.db.transaction() as session:
        citizen = await session.scalar(
            select(m.Citizen.id).where(
                m.Citizen.channel == step.incoming.channel,
                m.Citizen.chat_id == step.incoming.chat_id,
            )
        )
        for event in step.events:
            petition = await session.get_one(m.Petition, event.petition_id)
            if event.action in CITIZEN_EVENTS:
                assert event.actor == "citizen", (event.actor, event.action)
                if handle is None:
                    assert petition.citizen_id == citizen, "a citizen acts on their own petitions"
            else:
                assert handle is not None, f"{event.action} done by a citizen: {step.incoming}"
                assert event.actor == f"officer:{handle}", (event.actor, event.action, handle)


async def check_database(app: Application) -> None:
    """What must hold after any update, whoever sent it."""
    async with app.db.transaction() as session:
        petitions = list(await session.scalars(select(m.Petition)))
        codes = [petition.code for petition in petitions]
        assert len(set(codes)) == len(codes), "petition codes are unique"
        for petition in petitions:
            assert re.fullmatch(r"[A-Z]+-\d{4}-\d{6}", petition.code), petition.code
            deadlines = await session.scalar(
                select(func.count()).where(m.Deadline.petition_id == petition.id)
            )
            assert deadlines, f"{petition.code} has its deadlines"
            first = await session.scalar(
                select(m.PetitionEvent)
                .where(m.PetitionEvent.petition_id == petition.id)
                .order_by(m.PetitionEvent.id)
                .limit(1)
            )
            assert first is not None and first.action == "received", petition.code
        handles = set(await session.scalars(select(m.Officer.handle)))
        for actor, action in await session.execute(
            select(m.PetitionEvent.actor, m.PetitionEvent.action)
        ):
            if action in CITIZEN_EVENTS:
                assert actor == "citizen", (actor, action)
            else:
                assert actor.removeprefix("officer:") in handles, (actor, action)
        known = set(await session.execute(select(m.Citizen.channel, m.Citizen.chat_id)))
        known |= set(
            await session.execute(select(m.OfficerBinding.channel, m.OfficerBinding.chat_id))
        )
        known |= set(await session.execute(select(m.Conversation.channel, m.Conversation.chat_id)))
        recipients = set(
            await session.execute(select(m.OutboxMessage.channel, m.OutboxMessage.chat_id))
        )
        assert recipients <= known, f"messages to unknown chats: {recipients - known}"
        for state in await session.scalars(select(m.Conversation.state)):
            assert state == "" or state in ROOT.states, state
        for latitude, longitude in await session.execute(
            select(m.Petition.latitude, m.Petition.longitude)
        ):
            assert (latitude, longitude) == (None, None) or on_the_map(latitude, longitude)
        unhandled = await session.scalar(
            select(func.count()).where(
                m.InboxUpdate.processed_at.is_(None) | m.InboxUpdate.error.is_not(None)
            )
        )
        assert unhandled == 0, "every update is handled, none failed"


async def settle(app: Application) -> None:
    """Let the outbox record its last sends before stopping.

    `OutboxSender.stop` does not wait for its delayed sent-marks task, which may then hold a
    connection while the engine is disposed (see the xfail test below): wait for it here, so
    this test checks handlers, not that race.
    """
    await app.outbox.flush()
    marking = app.outbox._marking
    if marking is not None:
        await marking


async def act(run: Run, incoming: Incoming) -> Step:
    """One update, handled and checked."""
    offered_before = incoming.callback_data in run.offered.get(incoming.chat_id, [])
    step = await run.step(incoming)
    check_replies(run, step, offered_before)
    await check_events(run, step)
    return step


def no_errors_logged(caplog: pytest.LogCaptureFixture) -> None:
    """Not "handler failed", nor anything else worth an ERROR."""
    failures = [r for r in caplog.records if r.levelno >= logging.ERROR]
    assert not failures, [r.getMessage() for r in failures]


DISPATCH_SETTINGS = settings(
    deadline=None,
    derandomize=True,
    database=None,
    suppress_health_check=[
        HealthCheck.function_scoped_fixture,
        HealthCheck.too_slow,
        HealthCheck.data_too_large,
    ],
)
UPDATES_PER_WALK = 40
examples = itertools.count()


@settings(DISPATCH_SETTINGS, max_examples=16 * SCALE)
@given(data=st.data())
async def test_random_walks_never_fail_a_handler_and_leave_everything_consistent(
    seeded: Path, tmp_path: Path, caplog: pytest.LogCaptureFixture, data: st.DataObject
) -> None:
    """People mostly press what they are shown, now and then anything else, on a fresh copy."""
    caplog.clear()
    app = Application(copy_of(seeded, tmp_path / f"example-{next(examples)}"), clock=FakeClock())
    await app.start()
    try:
        run = Run(app, data)
        await run.load()
        for _ in range(UPDATES_PER_WALK):
            await act(run, run.update(run.chat()))
        await check_database(app)
    finally:
        await settle(app)
        await app.stop()
    no_errors_logged(caplog)


@pytest.fixture
async def seeded_app(seeded: Path, tmp_path: Path) -> AsyncIterator[Application]:
    app = Application(copy_of(seeded, tmp_path / "app"), clock=FakeClock())
    await app.start()
    try:
        yield app
    finally:
        await settle(app)
        await app.stop()


@pytest.fixture(scope="module")
def seeded_buttons(seeded: Path) -> list[str]:
    """Every button the seeded conversations showed anyone."""

    async def payloads() -> list[dict[str, Any]]:
        database = Database((seeded / SEEDED_DATABASE).read_text())
        try:
            async with database.transaction() as session:
                return list(await session.scalars(select(m.OutboxMessage.payload)))
        finally:
            await database.close()

    shown = asyncio.run(payloads())
    return sorted({b["data"] for payload in shown for row in payload["buttons"] for b in row})


@settings(DISPATCH_SETTINGS, max_examples=120 * SCALE)
@given(data=st.data())
async def test_buttons_nobody_showed_them_are_refused_and_reach_no_one_else(
    seeded_app: Application,
    seeded_buttons: list[str],
    caplog: pytest.LogCaptureFixture,
    data: st.DataObject,
) -> None:
    """Someone else's button, an officer's, a truncated, made-up or out-of-range one, pressed by
    anyone. One app for every example: the buttons drawn from do not depend on what happened."""
    caplog.clear()
    run = Run(seeded_app, data, seeded_buttons)
    await run.load()
    chat = data.draw(st.sampled_from(PEOPLE), label="chat")
    how = data.draw(st.sampled_from(["others", "made up", "made up"]), label="how")
    incoming = run.incoming(
        chat, {"kind": Kind.CALLBACK, "callback_data": run.callback_data(chat, how)}
    )
    await act(run, incoming)
    await check_database(seeded_app)
    no_errors_logged(caplog)
