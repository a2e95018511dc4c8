"""Keep our own copy of every attachment: platforms expire their file ids.

Downloads happen after the petition is stored, never on the path that acknowledges an update,
and a failed download is retried a few times on later sweeps.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Mapping
from pathlib import Path

from sqlalchemy import select, update

from bot.core import FileRef, Messenger
from bot.loops import Stopping
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
        self._fetching: dict[int, asyncio.Task[Path | None]] = {}

    def wake(self) -> None:
        """Something may have been filed."""
        self._wake.set()

    async def run(self, stopping: Stopping) -> None:
        """Sweep now and then, and whenever woken, until the bot stops."""
        while not stopping.is_set():
            self._wake.clear()
            try:
                await self.fetch_missing()
            except Exception:
                log.exception("attachment sweep failed")
            await stopping.pause(SWEEP_SECONDS, self._wake)

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
        saved = [await self.fetch(row) for row in rows]
        return sum(1 for path in saved if path is not None)

    async def fetch(self, row: m.Attachment) -> Path | None:
        """Download one attachment now (a message waits for it), once even if asked twice."""
        task = self._fetching.get(row.id)
        if task is None:
            task = asyncio.create_task(self._download(row))
            self._fetching[row.id] = task
            task.add_done_callback(lambda _task: self._fetching.pop(row.id, None))
        return await asyncio.shield(task)

    async def _download(self, row: m.Attachment) -> Path | None:
        """Fetch from the platform, and record the copy or one more failed attempt."""
        messenger = self.messengers.get(row.channel)
        if messenger is None:
            return None
        destination = self.files_dir / str(row.petition_id) / f"{row.id}-{row.media}"
        path: Path | None = None
        try:
            file = FileRef(row.file_id, row.media, row.size, row.mime, row.name, row.channel)
            await messenger.download(file, str(destination))
            path = destination
        except Exception as error:
            log.warning("could not download attachment %s: %s", row.id, error)
        async with self.db.transaction() as session:
            await session.execute(
                update(m.Attachment)
                .where(m.Attachment.id == row.id)
                .values(
                    local_path=str(path) if path else None,
                    fetch_attempts=m.Attachment.fetch_attempts + 1,
                )
            )
        return path
