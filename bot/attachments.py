"""Keep our own copy of every attachment: platforms expire their file ids.

Downloads happen after the petition is stored, never on the path that acknowledges an update,
and a failed download is retried a few times on later sweeps.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import select, update

from bot.core import FileRef, Messenger
from storage import models as m
from storage.db import Database

log = logging.getLogger(__name__)

MAX_ATTEMPTS = 5
SWEEP_SECONDS = 30.0


class AttachmentFetcher:
    """Downloads attachments that have no local copy yet."""

    def __init__(self, db: Database, messengers: Mapping[str, Messenger], files_dir: Path) -> None:
        self.db = db
        self.messengers = messengers
        self.files_dir = files_dir
        self._wake = asyncio.Event()

    def wake(self) -> None:
        """Something may have been filed."""
        self._wake.set()

    async def run(self) -> None:
        """Sweep now and then, and whenever woken."""
        while True:
            self._wake.clear()
            try:
                await self.fetch_missing()
            except Exception:
                log.exception("attachment sweep failed")
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(self._wake.wait(), SWEEP_SECONDS)

    async def fetch_missing(self) -> int:
        """Download what is missing; return how many files were saved."""
        async with self.db.transaction() as session:
            rows = list(
                await session.scalars(
                    select(m.Attachment)
                    .where(
                        m.Attachment.local_path.is_(None),
                        m.Attachment.fetch_attempts < MAX_ATTEMPTS,
                    )
                    .order_by(m.Attachment.id)
                    .limit(50)
                )
            )
        saved = 0
        for row in rows:
            messenger = self.messengers.get(row.channel)
            if messenger is None:
                continue
            destination = self.files_dir / str(row.petition_id) / f"{row.id}-{row.media}"
            path: str | None = None
            try:
                await messenger.download(
                    FileRef(row.file_id, row.media, row.size, row.mime, row.name), str(destination)
                )
                path, saved = str(destination), saved + 1
            except Exception as error:
                log.warning("could not download attachment %s: %s", row.id, error)
            async with self.db.transaction() as session:
                await session.execute(
                    update(m.Attachment)
                    .where(m.Attachment.id == row.id)
                    .values(local_path=path, fetch_attempts=m.Attachment.fetch_attempts + 1)
                )
        return saved
