"""What every messenger's webhook shares: the shared-secret check, in constant time, the bounded
reading and parsing of untrusted bodies, and the reading of their parts (a part of the wrong
type counts as absent).

The order is the same for every webhook: refuse what is not authenticated before doing any real
work for it (a missing or wrong secret header: 401 without reading the body), then read at most
`WEBHOOK_MAX_BYTES` (413 beyond, told by Content-Length before a byte is read, or while reading a
chunked body), then parse (400 for anything that is not JSON, is nested deeper than `MAX_DEPTH`
or holds a lone surrogate). A crafted request gets a 4xx, never a 500, which a platform would
deliver again and again. Zalo OA signs the body itself, so there the signature is checked over
the raw bytes between reading and parsing (`bot.channels.zalo_oa`).
"""

from __future__ import annotations

import hmac
import json
import logging
import re
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)

# A Telegram update or a Zalo event is a few KB (a text is at most 4 096 characters, files come
# by id or URL, never inline); 1 MB leaves a wide margin and bounds what an unauthenticated caller
# makes us read, hash or hold: the app's own limit (`client_max_size`, 25 MB) is for the sandbox's
# uploads. What a platform really sends nests about ten levels deep.
WEBHOOK_MAX_BYTES = 1024 * 1024
MAX_DEPTH = 64


class Refused(Exception):
    """A request answered with a 4xx before its body is used."""

    def __init__(self, status: int, reason: str) -> None:
        super().__init__(reason)
        self.status = status
        self.reason = reason

    def response(self) -> web.Response:
        return web.Response(status=self.status, text=self.reason)


def refused_without_secret(
    request: web.Request, header: str, expected: bytes, platform: str
) -> web.Response | None:
    """A 401 unless the request carries the secret we registered; None when it does."""
    given = request.headers.get(header, "").encode("utf-8", "surrogateescape")
    if hmac.compare_digest(given, expected):
        return None
    return unauthorised(request, platform)


def unauthorised(request: web.Request, platform: str) -> web.Response:
    """The 401 for a call without the platform's secret or signature (logged as a warning)."""
    log.warning("%s webhook call with a wrong secret from %s", platform, request.remote)
    return web.Response(status=401, text="unauthorised")


async def read_body(request: web.Request, limit: int = WEBHOOK_MAX_BYTES) -> bytes:
    """The body, `Refused` (413) when it is longer than `limit`: said by Content-Length, nothing
    is read; a chunked body is read no further than `limit` + 1 bytes."""
    declared = request.content_length
    if declared is not None and declared > limit:
        raise Refused(413, "request body too large")
    chunks: list[bytes] = []
    size = 0
    while size <= limit:
        chunk = await request.content.read(limit + 1 - size)
        if not chunk:
            break
        chunks.append(chunk)
        size += len(chunk)
    if size > limit:
        raise Refused(413, "request body too large")
    return b"".join(chunks)


def parse_json(body: bytes, max_depth: int = MAX_DEPTH) -> Any:
    """UTF-8 JSON as Python values; `Refused` (400) for anything else: not JSON, nested deeper
    than `max_depth`, or text that is not Unicode (a lone surrogate such as "\\ud800", which no
    database column can store)."""
    try:
        text = body.decode("utf-8")
        value = json.loads(text)
    except (ValueError, RecursionError) as error:  # RecursionError: thousands of "[" in a row
        raise Refused(400, "bad JSON") from error
    reason = _unfit(value, max_depth, strings=_SURROGATE_ESCAPE.search(text) is not None)
    if reason is not None:
        raise Refused(400, reason)
    return value


async def read_json(request: web.Request, limit: int = WEBHOOK_MAX_BYTES) -> Any:
    """`read_body` then `parse_json`: the body of an authenticated call, `Refused` otherwise."""
    return parse_json(await read_body(request, limit))


# Only an escape can put a surrogate in a string (the bytes are strict UTF-8); a body without one
# has no string to check.
_SURROGATE_ESCAPE = re.compile(r"\\u[dD][89a-fA-F]")


def _unfit(value: Any, max_depth: int, *, strings: bool) -> str | None:
    """Why the parsed value cannot be taken (too deep, a string that is not Unicode), or None.

    A walk with a stack of our own, not a recursion: the value may nest a thousand levels."""
    if strings and isinstance(value, str) and not _is_unicode(value):
        return "JSON text that is not Unicode"
    stack: list[tuple[Any, int]] = [(value, 1)] if isinstance(value, dict | list) else []
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            return "JSON nested too deeply"
        if isinstance(item, dict):
            if strings and not all(_is_unicode(key) for key in item):
                return "JSON text that is not Unicode"
            children = item.values()
        else:
            children = item
        for child in children:
            if isinstance(child, dict | list):
                stack.append((child, depth + 1))
            elif strings and isinstance(child, str) and not _is_unicode(child):
                return "JSON text that is not Unicode"
    return None


def _is_unicode(text: str) -> bool:
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:
        return False
    return True


ID_LIMIT = 64  # the chat and user id columns


def string_or_none(value: Any) -> str | None:
    """A text field of a body, or None when it is anything else."""
    return value if isinstance(value, str) else None


def platform_id(value: Any) -> str | None:
    """A chat or user id as text (a number is taken too) that fits our columns; None otherwise."""
    if isinstance(value, int) and not isinstance(value, bool):
        value = str(value)
    if isinstance(value, str) and 0 < len(value) <= ID_LIMIT:
        return value
    return None
