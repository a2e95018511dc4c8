"""The Zalo OA's access token, kept fresh, and its single-use refresh token, kept safe.

An access token lives about 25 hours. Renewing it spends the refresh token: Zalo answers with a
new access token AND a new refresh token, and the old refresh token is refused from then on. So:

* Both are kept in the database (`zalo_oa_tokens`, one row per app id), never only in memory: a
  restart must use the refresh token Zalo gave last. The one in the settings
  (`ZALO_OA_REFRESH_TOKEN`) seeds the row once, when the app has none.
* A refresh happens inside a transaction that holds the row: `SELECT … FOR UPDATE` on
  PostgreSQL, the write lock that every SQLite transaction takes with `BEGIN IMMEDIATE` (see
  `storage.db`). A second refresh, in this process or another, waits, then finds a token newer
  than the one it wanted to replace and uses it instead of spending the refresh token again.
  Holding the lock covers Zalo's round trip (bounded by the client's timeout), about once a day.
* The token is renewed an hour before it expires (checked before each send and every quarter of
  an hour), and at once when Zalo rejects it.
* No log line shows either token: both are given to `bot.logs.hide` as they are read or issued.
* A refresh that has started is finished even if its caller is cancelled (the bot stopping):
  cut between Zalo's answer and our commit, it would lose the only valid refresh token.

Not recoverable here: Zalo refusing the stored refresh token (the app's access was revoked, or
the token went unused for months). Messages then wait in the outbox; an operator authorises the
app again, deletes the row and sets the new `ZALO_OA_REFRESH_TOKEN`.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from bot import logs
from bot.core import RetryLater
from bot.loops import Stopping
from storage import models as m
from storage.db import Database

log = logging.getLogger(__name__)

REFRESH_MARGIN = timedelta(hours=1)
CHECK_SECONDS = 15 * 60
AUTH_RETRY_SECONDS = 300.0
FIRST_ROW_RETRY_SECONDS = 1.0


@dataclass(frozen=True)
class Grant:
    """What Zalo answers to a refresh."""

    access_token: str
    refresh_token: str
    expires_in: int  # seconds


class ZaloOaAuthRefused(RetryLater):
    """Zalo refused our app secret or refresh token, or there is none: nothing goes out until an
    operator authorises the app again. Messages wait (a `RetryLater`), they are not dropped."""

    def __init__(self, reason: str) -> None:
        super().__init__(AUTH_RETRY_SECONDS, reason)


Refresh = Callable[[str], Awaitable[Grant]]


class OaTokens:
    """One OA app's tokens: the access token to send with, renewed under the row lock."""

    def __init__(
        self,
        db: Database,
        refresh: Refresh,
        app_id: str,
        first_refresh_token: str,
        clock: Callable[[], datetime],
    ) -> None:
        self._db = db
        self._refresh = refresh
        self._app_id = app_id
        self._first_refresh_token = first_refresh_token
        self._clock = clock
        self._held: tuple[str, datetime] | None = None
        self._renewals: set[asyncio.Future[str]] = set()

    async def current(self) -> str:
        """An access token good for another hour at least: the one held, or a renewed one."""
        if self._held is not None and self._lasts(self._held[1]):
            return self._held[0]
        return await self.renew()

    async def renew(self, rejected: str | None = None) -> str:
        """A token other than `rejected` that lasts: the stored one when another refresh already
        replaced it, or a new one. Finished even if the caller is cancelled (module docstring)."""
        renewal = asyncio.ensure_future(self._renew(rejected))
        self._renewals.add(renewal)
        renewal.add_done_callback(self._renewals.discard)
        return await asyncio.shield(renewal)

    async def close(self) -> None:
        """Wait for a refresh in flight, so that its new refresh token is stored."""
        await asyncio.gather(*self._renewals, return_exceptions=True)

    async def keep_fresh(self, stopping: Stopping) -> None:
        """Renew before expiry even when nothing is sent, which also keeps the refresh token in
        use (Zalo lets an unused one lapse)."""
        while not stopping.is_set():
            try:
                await self.current()
            except RetryLater as error:
                log.warning("zalo_oa token not renewed (%s); trying again later", error)
            await stopping.pause(CHECK_SECONDS)

    async def _renew(self, rejected: str | None) -> str:
        try:
            async with self._db.transaction() as session:
                row = await self._locked_row(session)
                logs.hide(row.access_token, row.refresh_token)  # in use, or about to be spent
                if not self._usable(row, rejected):
                    await self._refresh_row(row)
                held = (row.access_token, row.expires_at)
        except IntegrityError as error:  # PostgreSQL: another process stored the first row
            raise RetryLater(FIRST_ROW_RETRY_SECONDS, "zalo_oa tokens stored meanwhile") from error
        except ZaloOaAuthRefused as error:
            log.error("zalo_oa: %s", error)
            raise
        self._held = held
        return held[0]

    async def _locked_row(self, session: AsyncSession) -> m.ZaloOaToken:
        """The app's row, locked until the transaction ends; seeded from the settings once."""
        row = await session.scalar(
            select(m.ZaloOaToken).where(m.ZaloOaToken.app_id == self._app_id).with_for_update()
        )
        if row is not None:
            return row
        if not self._first_refresh_token:
            raise ZaloOaAuthRefused("no token stored yet: set ZALO_OA_REFRESH_TOKEN")
        row = m.ZaloOaToken(
            app_id=self._app_id,
            access_token="",
            refresh_token=self._first_refresh_token,
            expires_at=self._clock(),
        )
        session.add(row)
        # Written now, before Zalo is asked: on PostgreSQL another process seeding at the same
        # moment waits on this row's key, then fails, instead of spending the same token.
        await session.flush()
        return row

    def _usable(self, row: m.ZaloOaToken, rejected: str | None) -> bool:
        """The stored token is not the rejected one (or the one near its end) and lasts."""
        fresh = row.access_token and row.access_token != rejected
        return bool(fresh) and self._lasts(row.expires_at)

    async def _refresh_row(self, row: m.ZaloOaToken) -> None:
        """Spend the refresh token; keep what Zalo gives back, in the caller's transaction."""
        grant = await self._refresh(row.refresh_token)
        logs.hide(grant.access_token, grant.refresh_token)
        now = self._clock()
        row.access_token = grant.access_token
        row.refresh_token = grant.refresh_token
        row.expires_at = now + timedelta(seconds=grant.expires_in)
        row.refreshed_at = now
        log.info("zalo_oa access token renewed for %d s", grant.expires_in)

    def _lasts(self, expires_at: datetime) -> bool:
        return expires_at - self._clock() > REFRESH_MARGIN
