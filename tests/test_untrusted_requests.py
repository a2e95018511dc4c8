"""Crafted requests get a 4xx, never a 500, and an unauthenticated one is refused before any real
work: the webhooks check their secret or signature on the raw bytes before parsing, read within a
messenger-sized limit, and refuse JSON nested too deeply; a file link's signature of any shape is
a 404; the sandbox's API answers odd parameters with a 400. None of it logs an ERROR line.

One app runs every route at once: Telegram and Zalo in webhook mode, a Zalo OA, the sandbox.
"""

from __future__ import annotations

import contextlib
import json
import logging
from collections.abc import AsyncIterator
from pathlib import Path
from typing import Any

import pytest

from bot.app import Application
from bot.channels import telegram as tg
from bot.channels import webhooks
from bot.channels import zalo as zl
from bot.channels import zalo_oa as oa_channel
from bot.channels.webhooks import WEBHOOK_MAX_BYTES, Refused, read_body
from bot.web.app import SANDBOX_JSON_MAX_BYTES
from tests import raw_http
from tests.conftest import FakeClock, make_settings
from tests.fake_telegram import DEFAULT_TOKEN as TELEGRAM_TOKEN
from tests.fake_telegram import FakeTelegram
from tests.fake_zalo import DEFAULT_TOKEN as ZALO_TOKEN
from tests.fake_zalo import FakeZalo
from tests.fake_zalo_oa import APP_ID, APP_SECRET, FIRST_REFRESH_TOKEN, SECRET_KEY, FakeZaloOa, sign
from tests.postgres import free_port

TELEGRAM_SECRET = "telegram-s3cret"
ZALO_SECRET = "zalo-s3cret"
TELEGRAM = "/telegram/webhook"
ZALO = "/zalo/webhook"
ZALO_OA = "/zalo-oa/webhook"
WEBHOOKS = (TELEGRAM, ZALO, ZALO_OA)
SANDBOX = [("X-Sandbox", "1")]
DEEP = 100_000


@contextlib.asynccontextmanager
async def every_route(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock
) -> AsyncIterator[Application]:
    """The bot with all three webhooks, file links and the sandbox."""
    async with FakeZalo() as zalo, FakeZaloOa(clock=clock) as oa:
        port = free_port()
        settings = make_settings(
            tmp_path,
            http_port=port,
            webhook_base_url=f"http://127.0.0.1:{port}",
            sandbox=True,
            telegram_bot_token=TELEGRAM_TOKEN,
            telegram_api_url=telegram.api_url,
            telegram_webhook_secret=TELEGRAM_SECRET,
            zalo_bot_token=ZALO_TOKEN,
            zalo_api_url=zalo.api_url,
            zalo_webhook_secret=ZALO_SECRET,
            zalo_oa_app_id=APP_ID,
            zalo_oa_secret_key=SECRET_KEY,
            zalo_oa_app_secret=APP_SECRET,
            zalo_oa_refresh_token=FIRST_REFRESH_TOKEN,
            zalo_oa_api_url=oa.url,
            zalo_oauth_url=oa.url,
        )
        app = Application(settings, clock=clock)
        await app.start()
        try:
            yield app
        finally:
            await app.stop()


@pytest.fixture
async def bot(
    tmp_path: Path, telegram: FakeTelegram, clock: FakeClock
) -> AsyncIterator[Application]:
    async with every_route(tmp_path, telegram, clock) as app:
        yield app


def timestamp(app: Application) -> str:
    """Now, as Zalo OA stamps an event (milliseconds)."""
    return str(int(app.clock().timestamp() * 1000))


def credentials(route: str, body: bytes, ts: str = "") -> list[tuple[str, bytes | str]]:
    """The header a platform's genuine call carries (the OA's signs `body` with `ts`)."""
    if route == TELEGRAM:
        return [(tg.SECRET_HEADER, TELEGRAM_SECRET)]
    if route == ZALO:
        return [(zl.SECRET_HEADER, ZALO_SECRET)]
    return [(oa_channel.SIGNATURE_HEADER, sign(body, ts))]


def wrong_credentials(route: str) -> list[tuple[str, bytes | str]]:
    """A header of the right shape that is not the secret (the OA's: a MAC of other bytes)."""
    if route == ZALO_OA:
        return [(oa_channel.SIGNATURE_HEADER, "mac=" + "0" * 64)]
    header = tg.SECRET_HEADER if route == TELEGRAM else zl.SECRET_HEADER
    return [(header, "not-the-secret")]


def errors_logged(caplog: pytest.LogCaptureFixture) -> list[str]:
    return [r.getMessage() for r in caplog.records if r.levelno >= logging.ERROR]


async def post(app: Application, route: str, headers: Any, body: bytes, **how: Any) -> int:
    status, _ = await raw_http.request(app.port, "POST", route, headers, body, **how)
    return status


# --- deeply nested JSON -------------------------------------------------------------------------


def nested(ts: str, shape: str) -> bytes:
    """An event whose one extra field nests: unclosed or closed 100 000 deep, or just too deep."""
    head = f'{{"timestamp": "{ts}", "x": '.encode()
    if shape == "unclosed":
        return head + b"[" * DEEP
    if shape == "closed":
        return head + b"[" * DEEP + b"]" * DEEP + b"}"
    depth = webhooks.MAX_DEPTH + 1
    return head + b'{"a": ' * depth + b"1" + b"}" * depth + b"}"


async def test_deeply_nested_json_is_a_400_signed_and_a_401_unsigned(
    bot: Application, caplog: pytest.LogCaptureFixture
) -> None:
    ts = timestamp(bot)
    for route in WEBHOOKS:
        for shape in ("unclosed", "closed", "just too deep"):
            body = nested(ts, shape)
            answers = [
                await post(bot, route, credentials(route, body, ts), body),
                await post(bot, route, wrong_credentials(route), body),
                await post(bot, route, [], body),
            ]
            assert answers == [400, 401, 401], (route, shape)
        assert await post(bot, route, [], b"[" * DEEP) == 401, route
    # Telegram's and Zalo's secret is a header: the body need not look like an event at all.
    for route in (TELEGRAM, ZALO):
        assert await post(bot, route, credentials(route, b""), b"[" * DEEP) == 400, route
        closed = b"[" * DEEP + b"]" * DEEP
        assert await post(bot, route, credentials(route, b""), closed) == 400, route
    assert errors_logged(caplog) == []


# --- size ---------------------------------------------------------------------------------------


def padded(ts: str, size: int) -> bytes:
    """A JSON event `size` bytes long (a long field of padding)."""
    head = f'{{"timestamp": "{ts}", "pad": "'.encode()
    return head + b"x" * (size - len(head) - 2) + b'"}'


async def test_a_body_over_the_webhook_limit_is_a_413(
    bot: Application, caplog: pytest.LogCaptureFixture
) -> None:
    ts = timestamp(bot)
    over, at_limit = padded(ts, WEBHOOK_MAX_BYTES + 1), padded(ts, WEBHOOK_MAX_BYTES)
    for route in WEBHOOKS:
        for chunked in (False, True):
            status = await post(bot, route, credentials(route, over, ts), over, chunked=chunked)
            assert status == 413, (route, chunked)
            signed = credentials(route, at_limit, ts)
            status = await post(bot, route, signed, at_limit, chunked=chunked)
            assert status in {200, 400}, ("at the limit: read, and judged as an event", route)
    assert errors_logged(caplog) == []


async def test_a_sandbox_message_over_its_limit_is_a_413_and_an_upload_is_not(
    bot: Application, caplog: pytest.LogCaptureFixture
) -> None:
    text = "x" * SANDBOX_JSON_MAX_BYTES
    body = json.dumps({"chat": "citizen-1", "action": {"kind": "text", "text": text}}).encode()
    for chunked in (False, True):
        status = await post(bot, "/sandbox/api/send", SANDBOX, body, chunked=chunked)
        assert status == 413
    boundary = "b0undary"
    form = (
        (
            f'--{boundary}\r\nContent-Disposition: form-data; name="chat"\r\n\r\ncitizen-1\r\n'
            f'--{boundary}\r\nContent-Disposition: form-data; name="file"; filename="scan.pdf"\r\n'
            "Content-Type: application/pdf\r\n\r\n"
        ).encode()
        + b"%PDF"
        + b"0" * (2 * WEBHOOK_MAX_BYTES)
        + f"\r\n--{boundary}--\r\n".encode()
    )
    headers = [*SANDBOX, ("Content-Type", f"multipart/form-data; boundary={boundary}")]
    assert await post(bot, "/sandbox/api/upload", headers, form) == 200, "uploads keep 25 MB"
    assert errors_logged(caplog) == []


class CountingStream:
    """A body of `size` bytes that counts what was read of it."""

    def __init__(self, size: int) -> None:
        self.left = size
        self.taken = 0

    async def read(self, n: int = -1) -> bytes:
        size = min(self.left, 1000 if n < 0 else n, 1000)
        self.left -= size
        self.taken += size
        return b"x" * size


class ChunkedRequest:
    """A request without Content-Length (chunked), as `read_body` sees it."""

    def __init__(self, size: int) -> None:
        self.content_length = None
        self.content = CountingStream(size)


async def test_a_chunked_body_is_read_no_further_than_the_limit_and_one_byte() -> None:
    request = ChunkedRequest(10_000)
    with pytest.raises(Refused) as refused:
        await read_body(request, limit=2_500)  # type: ignore[arg-type]
    assert refused.value.status == 413 and request.content.taken == 2_501
    fits = ChunkedRequest(2_500)
    assert await read_body(fits, limit=2_500) == b"x" * 2_500  # type: ignore[arg-type]


def test_json_is_refused_when_nested_too_deeply_or_not_json() -> None:
    def deep(depth: int) -> bytes:
        return b"[" * depth + b"]" * depth

    assert webhooks.parse_json(deep(webhooks.MAX_DEPTH)) is not None
    assert webhooks.parse_json(b'{"a": ' * 63 + b"{}" + b"}" * 63) is not None
    assert webhooks.parse_json(b'["\\ud83d\\ude00", "\\\\ud800"]') == ["😀", "\\ud800"]
    lone_surrogates = [b'["\\ud800"]', b'{"\\udc00": 1}', b'"\\udbff x"', b'[{"a": ["\\uDFFF"]}]']
    for bad in (
        *(deep(webhooks.MAX_DEPTH + 1), deep(DEEP), b"[" * DEEP, b"\xff", b"", b"{"),
        *lone_surrogates,
    ):
        with pytest.raises(Refused) as refused:
            webhooks.parse_json(bad)
        assert refused.value.status == 400, bad[:10]


# --- the OA's signature before parsing ----------------------------------------------------------

MARKER = "never-parsed-marker"


@pytest.fixture
def parsed(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The JSON texts carrying MARKER that anything in the process parsed."""
    seen: list[str] = []
    real = json.loads

    def spy(text: str | bytes, *args: Any, **kwargs: Any) -> Any:
        as_text = text.decode("utf-8", "replace") if isinstance(text, bytes) else text
        if MARKER in as_text:
            seen.append(as_text[:60])
        return real(text, *args, **kwargs)

    monkeypatch.setattr(json, "loads", spy)
    return seen


async def test_an_oa_body_without_a_valid_signature_is_never_parsed(
    bot: Application, parsed: list[str], caplog: pytest.LogCaptureFixture
) -> None:
    ts = timestamp(bot)
    event = {"event_name": "user_send_text", "timestamp": ts, "marker": MARKER}
    costly = json.dumps(event | {"numbers": [0] * 300_000}).encode()  # ~900 KB, all to parse
    huge = json.dumps(event | {"numbers": [0] * 1_000_000}).encode()  # ~3 MB
    wrong = wrong_credentials(ZALO_OA)
    assert await post(bot, ZALO_OA, [], costly) == 401
    assert await post(bot, ZALO_OA, wrong, costly) == 401
    assert (
        await post(bot, ZALO_OA, [(oa_channel.SIGNATURE_HEADER, sign(costly, "1"))], costly) == 401
    )
    assert await post(bot, ZALO_OA, [], huge) == 401
    assert await post(bot, ZALO_OA, wrong, huge) == 413
    assert await post(bot, ZALO_OA, wrong, huge, chunked=True) == 413
    assert await post(bot, ZALO_OA, wrong, b"\xff" * 1000 + MARKER.encode()) == 401
    assert parsed == [], "nothing unsigned was parsed"

    signed = json.dumps(event).encode()
    assert await post(bot, ZALO_OA, credentials(ZALO_OA, signed, ts), signed) == 200
    assert parsed, "a signed event is parsed (the spy sees it)"
    assert errors_logged(caplog) == []


async def test_the_oa_timestamp_checked_is_the_one_signed(
    bot: Application, caplog: pytest.LogCaptureFixture
) -> None:
    ts = timestamp(bot)
    late = str(int(ts) + 1)
    # Signed with a nested "timestamp" while the event's own is another: the signature holds
    # for the nested one, which is not the event's.
    body = json.dumps({"message": {"timestamp": ts}, "timestamp": late}).encode()
    assert await post(bot, ZALO_OA, credentials(ZALO_OA, body, ts), body) == 401
    number = f'{{"event_name": "follow", "timestamp": {ts}}}'.encode()  # a number, not a string
    assert await post(bot, ZALO_OA, credentials(ZALO_OA, number, ts), number) == 200
    signed_garbage = f'{{"timestamp": "{ts}", oops'.encode()
    assert await post(bot, ZALO_OA, credentials(ZALO_OA, signed_garbage, ts), signed_garbage) == 400
    assert errors_logged(caplog) == []


# --- secrets and signatures of odd shapes --------------------------------------------------------

ODD_HEADERS: list[bytes] = [b"\xff\xfe", "mật-khẩu".encode(), b"mac=\xff" + b"0" * 63, b"mac="]


async def test_a_secret_or_signature_that_is_not_ascii_is_a_401(
    bot: Application, caplog: pytest.LogCaptureFixture
) -> None:
    header = {TELEGRAM: tg.SECRET_HEADER, ZALO: zl.SECRET_HEADER, ZALO_OA: "X-ZEvent-Signature"}
    body = json.dumps({"timestamp": timestamp(bot)}).encode()
    for route in WEBHOOKS:
        for value in ODD_HEADERS:
            assert await post(bot, route, [(header[route], value)], body) == 401, (route, value)
    assert errors_logged(caplog) == []


# --- file links ---------------------------------------------------------------------------------


ODD_TOKENS = [
    "abc.%C3%A9",
    "%C3%A9.abc",
    "abc.%FF%FE",
    "abc.%ED%A0%80",
    "abc",
    ".abc",
    "abc.",
    "abc.def.ghi",
    "abc.%00",
    "A" * 5000 + ".x",
    "a%2Fb.c",
]


async def test_a_file_link_of_any_shape_that_is_not_ours_is_a_404(
    bot: Application, caplog: pytest.LogCaptureFixture
) -> None:
    for token in ODD_TOKENS:
        status, _ = await raw_http.request(bot.port, "GET", f"/files/{token}/x.pdf")
        assert status == 404, token
    path = bot.files.keep_generated(b"%PDF-1.4 answer", "tra-loi.pdf")
    link = bot.files.link(path, "tra-loi.pdf", bot.clock())
    route = link.removeprefix(bot.files.base_url)
    assert await raw_http.request(bot.port, "GET", route) == (200, b"%PDF-1.4 answer")
    token, name = route.removeprefix("/files/").split("/")
    body, signature = token.split(".")
    for forged in (
        f"{body}.{signature[:-1]}%C3%A9",
        f"{body}.{signature[:-1]}",
        f"{body}%C3%A9.sig",
    ):
        status, _ = await raw_http.request(bot.port, "GET", f"/files/{forged}/{name}")
        assert status == 404, forged
    assert errors_logged(caplog) == []


# --- the sandbox's API --------------------------------------------------------------------------

BAD_QUERIES = [
    "after=x",
    "after=-1",
    "after=1.5",
    "after=" + "9" * 5000,
    "after=%D9%A1",  # an Arabic-Indic one: `int` takes it, a line number is ASCII digits
    "wait=nan",
    "wait=inf",
    "wait=-inf",
    "wait=-1",
    "wait=x",
    "wait=1e999",
]


async def test_odd_sandbox_query_parameters_are_a_400(
    bot: Application, caplog: pytest.LogCaptureFixture
) -> None:
    for query in BAD_QUERIES:
        status, text = await raw_http.request(
            bot.port, "GET", f"/sandbox/api/messages?chat=citizen-1&{query}", SANDBOX, timeout=5
        )
        assert status == 400 and 0 < len(text) < 80, (query[:20], status, text)
    assert errors_logged(caplog) == []


def action(value: Any) -> bytes:
    return json.dumps({"chat": "citizen-1", "action": value}).encode()


BAD_BODIES: dict[str, bytes] = {
    "a list": b'[{"chat": "citizen-1"}]',
    "a string": b'"citizen-1"',
    "a number": b"1",
    "null": b"null",
    "not JSON": b"chat=citizen-1",
    "empty": b"",
    "not UTF-8": b'{"chat": "\xff"}',
    "nested": b"[" * DEEP,
    "nested and closed": b"[" * DEEP + b"]" * DEEP,
    "action a string": action("text"),
    "action a list": action(["text"]),
    "kind a list": action({"kind": ["text"]}),
    "kind an object": action({"kind": {"text": 1}}),
    "kind unknown": action({"kind": "file", "file": {"file_id": "../x"}}),
    "id an object": action({"kind": "text", "text": "hi", "id": {"a": 1}}),
    "id too long": action({"kind": "text", "text": "hi", "id": "x" * 129}),
    # json.dumps writes a lone surrogate as an escape, "\\ud800", as the page's JSON.stringify does
    "id a lone surrogate": action({"kind": "text", "text": "hi", "id": "\ud800"}),
    "text a lone surrogate": action({"kind": "text", "text": "\udc00"}),
    "chat a list": json.dumps({"chat": ["citizen-1"], "action": {"kind": "text"}}).encode(),
    "location a list": action({"kind": "location", "latitude": [1], "longitude": 2}),
    "phone an object": action({"kind": "contact", "phone": {"n": "0912345678"}}),
}


BAD_FORMS = [
    ("multipart/form-data", b"--x\r\n"),
    ("multipart/form-data; boundary=x", b"--x\r\nContent-Disposition: form-data\r\n\r\nhi"),
    ("multipart/form-data; boundary=x", b"garbage"),
    ("application/x-www-form-urlencoded", b"chat=citizen-1&file=x"),
    ("application/json", b'{"chat": "citizen-1"}'),
]


async def test_odd_sandbox_bodies_and_uploads_are_a_400(
    bot: Application, caplog: pytest.LogCaptureFixture
) -> None:
    for name, body in BAD_BODIES.items():
        status, text = await raw_http.request(bot.port, "POST", "/sandbox/api/send", SANDBOX, body)
        assert status == 400 and 0 < len(text) < 80, (name, status, text)
    for content_type, form in BAD_FORMS:
        headers = [*SANDBOX, ("Content-Type", content_type)]
        status, _ = await raw_http.request(bot.port, "POST", "/sandbox/api/upload", headers, form)
        assert status == 400, (content_type, form)
    assert errors_logged(caplog) == []
