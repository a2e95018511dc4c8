"""What every messenger's webhook shares: the shared-secret check, in constant time, and the
reading of untrusted bodies (a part of the wrong type counts as absent)."""

from __future__ import annotations

import hmac
import logging
from typing import Any

from aiohttp import web

log = logging.getLogger(__name__)


def refused_without_secret(
    request: web.Request, header: str, expected: bytes, platform: str
) -> web.Response | None:
    """A 401 unless the request carries the secret we registered; None when it does."""
    given = request.headers.get(header, "").encode()
    if hmac.compare_digest(given, expected):
        return None
    log.warning("%s webhook call with a wrong secret from %s", platform, request.remote)
    return web.Response(status=401, text="unauthorised")


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
