"""A bare HTTP/1.1 client for requests an ordinary client will not send: header values that are
not ASCII, a path taken as given, a body sent chunked or under a Content-Length that lies.

One request per connection (`Connection: close`). The body is written while the answer is read,
as a platform's client does, so that a server answering before the end (413, 401) is heard.
"""

from __future__ import annotations

import asyncio
import contextlib
from collections.abc import Sequence

CHUNK = 64 * 1024


async def request(
    port: int,
    method: str,
    path: str,
    headers: Sequence[tuple[str, bytes | str]] = (),
    body: bytes | None = None,
    *,
    chunked: bool = False,
    content_length: int | None = None,
    timeout: float = 60.0,
) -> tuple[int, bytes]:
    """Send one request to 127.0.0.1:`port`; the answer's status and body.

    `path` is sent as it is (percent-encode it yourself); header values may be any bytes. The
    body goes with its own Content-Length unless `content_length` says otherwise, or chunked."""
    reader, writer = await asyncio.open_connection("127.0.0.1", port)
    try:
        async with asyncio.timeout(timeout):
            head = [f"{method} {path} HTTP/1.1".encode(), b"Host: 127.0.0.1", b"Connection: close"]
            for name, value in headers:
                head.append(
                    name.encode() + b": " + (value if isinstance(value, bytes) else value.encode())
                )
            if body is not None and chunked:
                head.append(b"Transfer-Encoding: chunked")
            elif body is not None:
                length = len(body) if content_length is None else content_length
                head.append(f"Content-Length: {length}".encode())
            writer.write(b"\r\n".join(head) + b"\r\n\r\n")
            sending = asyncio.create_task(_send(writer, body or b"", chunked))
            try:
                status_line = await reader.readline()
                answer = await reader.read()
            finally:
                sending.cancel()
                with contextlib.suppress(asyncio.CancelledError, ConnectionError):
                    await sending
    finally:
        writer.close()
        with contextlib.suppress(ConnectionError):
            await writer.wait_closed()
    parts = status_line.split()
    if len(parts) < 2 or not parts[1].isdigit():
        raise ConnectionError(f"no HTTP answer: {status_line!r}")
    _, _, content = answer.partition(b"\r\n\r\n")
    return int(parts[1]), content


async def _send(writer: asyncio.StreamWriter, body: bytes, chunked: bool) -> None:
    """The body, in pieces; a server that stops reading (it has answered) ends it quietly."""
    view = memoryview(body)
    with contextlib.suppress(ConnectionError):
        for start in range(0, len(view), CHUNK):
            piece = view[start : start + CHUNK]
            if chunked:
                writer.write(f"{len(piece):x}\r\n".encode() + piece + b"\r\n")
            else:
                writer.write(piece)
            await writer.drain()
        if chunked:
            writer.write(b"0\r\n\r\n")
            await writer.drain()
