"""What every messenger's webhook shares: the shared-secret check, in constant time."""

from __future__ import annotations

import hmac
import logging

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
