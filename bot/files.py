"""Files that cross messengers: our own copy, uploaded or handed out by a signed link.

A file id means something only on the platform that issued it: a Telegram officer's answer
document cannot be sent to a Zalo citizen by its id, nor a Zalo photo to a Telegram officer.
And the Zalo Bot API has no upload at all: it sends photos by URL, and nothing else.

So, just before a message is sent, `LocalFiles.for_channel` swaps a foreign attachment for our
own downloaded copy (`bot.attachments` keeps one of every file). Telegram uploads that copy;
Zalo gets a link to it. A generated document (a calendar, a report) going to Zalo is written
under `generated/` and linked the same way.

A link names the file and when it expires, signed with HMAC-SHA256, so it cannot be guessed or
stretched, and it is served as a download that no browser runs (see `bot.web.app`). The secret
is `FILE_LINK_SECRET` or, when unset, a random one kept in the data directory, so links survive
a restart.
"""

from __future__ import annotations

import base64
import contextlib
import hashlib
import hmac
import logging
import os
import re
import secrets
import unicodedata
from dataclasses import replace
from datetime import datetime, timedelta
from pathlib import Path, PurePosixPath

from sqlalchemy import select

from bot.attachments import MAX_ATTEMPTS, AttachmentFetcher
from bot.core import FileRef, Reply, RetryLater
from storage import models as m
from storage.db import Database

log = logging.getLogger(__name__)

GENERATED = "generated"
FETCH_RETRY_SECONDS = 60.0
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg")
_LINK_PART = re.compile(r"[A-Za-z0-9_-]{1,4096}")  # a link's parts: unpadded URL-safe base64


class LocalFiles:
    """Our copies of files, and signed links to them."""

    def __init__(
        self,
        db: Database,
        fetcher: AttachmentFetcher,
        files_dir: Path,
        secret: bytes,
        lifetime: timedelta,
    ) -> None:
        self.db = db
        self.fetcher = fetcher
        self.files_dir = files_dir
        self.secret = secret
        self.lifetime = lifetime
        self.base_url = ""  # set once the web server knows its public address

    async def for_channel(self, reply: Reply, channel: str) -> Reply:
        """The reply with a foreign attachment replaced by our copy (`document_path`)."""
        file = reply.attachment
        if file is None or file.channel in (None, channel):
            return reply
        copy = await self.copy_of(file)
        if copy is None:
            log.warning("no local copy of a %s file; sending the text alone", file.channel)
            return replace(reply, attachment=None)
        name = file.name or f"{file.media}{copy.suffix or _suffix(file)}"
        return replace(reply, attachment=None, document_path=str(copy), document_name=name)

    async def copy_of(self, file: FileRef) -> Path | None:
        """Our copy, downloaded now if it is not yet; None when it cannot be had."""
        async with self.db.snapshot() as session:
            row = await session.scalar(
                select(m.Attachment)
                .where(m.Attachment.channel == file.channel, m.Attachment.file_id == file.file_id)
                .order_by(m.Attachment.local_path.is_(None), m.Attachment.id)
                .limit(1)
            )
        if row is None:
            return None
        if row.local_path and Path(row.local_path).is_file():
            return Path(row.local_path)
        if row.fetch_attempts >= MAX_ATTEMPTS:
            return None
        copy = await self.fetcher.fetch(row)
        if copy is None:
            raise RetryLater(FETCH_RETRY_SECONDS, "the attachment could not be downloaded yet")
        return copy

    def keep_generated(self, data: bytes, name: str) -> Path:
        """Write a generated document once, named by its content, and return its path."""
        digest = hashlib.sha256(data).hexdigest()[:32]
        path = self.files_dir / GENERATED / f"{digest}{PurePosixPath(name).suffix.lower()}"
        if path.exists():
            path.touch()  # a new link to it: the purge counts from now
            return path
        path.parent.mkdir(parents=True, exist_ok=True)
        temporary = path.with_suffix(path.suffix + f".{os.getpid()}.part")
        temporary.write_bytes(data)
        temporary.replace(path)
        return path

    def link(self, path: Path, name: str, now: datetime) -> str:
        """A signed URL that serves `path` as `name` until the link's lifetime ends."""
        relative = path.resolve().relative_to(self.files_dir.resolve()).as_posix()
        expires = int((now + self.lifetime).timestamp())
        token = _b64(f"{relative}\n{expires}".encode())
        signature = self._sign(token)
        return f"{self.base_url}/files/{token}.{signature}/{url_name(name)}"

    def resolve(self, token: str, now: datetime) -> Path | None:
        """The file a link names, if its signature holds and it has not expired.

        Anything else is None (a 404), whatever the link holds: both parts must be unpadded
        URL-safe base64 before anything is computed from them (a non-ASCII signature would make
        `hmac.compare_digest` raise)."""
        body, _, signature = token.partition(".")
        if not (_LINK_PART.fullmatch(body) and _LINK_PART.fullmatch(signature)):
            return None
        if not hmac.compare_digest(signature.encode(), self._sign(body).encode()):
            return None
        try:
            relative, _, expires = base64.urlsafe_b64decode(body + "==").decode().partition("\n")
            if int(expires) < now.timestamp():
                return None
        except ValueError:
            return None
        root = self.files_dir.resolve()
        path = (root / relative).resolve()
        if not path.is_relative_to(root) or not path.is_file():
            return None
        return path

    def purge_generated(self, now: datetime) -> int:
        """Delete generated documents whose links have all expired; return how many."""
        folder = self.files_dir / GENERATED
        if not folder.is_dir():
            return 0
        oldest = (now - self.lifetime).timestamp()
        purged = 0
        for path in folder.iterdir():
            if path.stat().st_mtime < oldest:
                path.unlink(missing_ok=True)
                purged += 1
        return purged

    def _sign(self, body: str) -> str:
        return _b64(hmac.new(self.secret, body.encode(), hashlib.sha256).digest()[:20])


LINK_SECRET_FILE = "file-link.secret"  # in DATA_DIR, when no secret is configured (backed up)


def link_secret(configured: str, data_dir: Path) -> bytes:
    """The configured secret, or one made once and kept (owner-only) in the data directory."""
    if configured:
        return configured.encode()
    path = data_dir / LINK_SECRET_FILE
    if not path.exists():
        data_dir.mkdir(parents=True, exist_ok=True)
        temporary = data_dir / f"{LINK_SECRET_FILE}.{os.getpid()}"
        descriptor = os.open(temporary, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "w") as handle:
            handle.write(secrets.token_urlsafe(32))
        with contextlib.suppress(FileExistsError):
            os.link(temporary, path)  # the first process to get here wins; the rest read it
        temporary.unlink()
    return path.read_text().strip().encode()


def image_type(path: Path) -> str | None:
    """image/png or image/jpeg when the file's first bytes say so; None for anything else.

    What a link serves as a picture is decided by its bytes, not by a name in the URL."""
    with path.open("rb") as handle:
        head = handle.read(8)
    if head.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if head.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    return None


def url_name(name: str) -> str:
    """A file name plain enough for a link read on a cheap phone: "Biên bản.pdf" → bien-ban.pdf."""
    plain = unicodedata.normalize("NFKD", name.replace("đ", "d").replace("Đ", "D"))
    ascii_only = plain.encode("ascii", "ignore").decode()
    return re.sub(r"[^A-Za-z0-9._]+", "-", ascii_only).strip("-.").lower() or "tep"


def is_image(name: str) -> bool:
    """Sent as a photo where the platform shows photos (charts, scans)."""
    return name.lower().endswith(IMAGE_SUFFIXES)


def _suffix(file: FileRef) -> str:
    return ".jpg" if file.media == "photo" else ""


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")
