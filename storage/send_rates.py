"""The global send limit shared by every worker (PostgreSQL).

A platform limits a bot as a whole (Telegram: about 30 messages a second), however many worker
processes send for it. Each channel has one row: the moment its next message may go (the
"theoretical arrival time" of the generic cell rate algorithm). A worker about to send takes the
slot when it is due, which moves the moment on by one interval, or learns how long to wait. The
row lock makes the take atomic across workers; the database's clock is the one all of them share.
"""

from __future__ import annotations

from sqlalchemy import text
from sqlalchemy.ext.asyncio import AsyncSession

_NOW = "extract(epoch FROM clock_timestamp())::float8"

_TAKE = text(f"""
WITH now AS (SELECT {_NOW} AS at),
current AS (SELECT channel, next_at FROM send_rates WHERE channel = :channel FOR UPDATE)
UPDATE send_rates AS rate
SET next_at = CASE WHEN current.next_at <= now.at + :tolerance
                   THEN greatest(current.next_at, now.at) + :interval
                   ELSE current.next_at END
FROM current, now
WHERE rate.channel = current.channel
RETURNING greatest(current.next_at - now.at - :tolerance, 0.0)
""")

_HOLD = text(f"""
UPDATE send_rates SET next_at = greatest(next_at, {_NOW} + :seconds) WHERE channel = :channel
""")

_ADD = text("""
INSERT INTO send_rates (channel, next_at) VALUES (:channel, 0) ON CONFLICT (channel) DO NOTHING
""")


async def take_slot(
    session: AsyncSession, channel: str, interval: float, tolerance: float
) -> float:
    """Take the channel's next send slot if it is due (or due within `tolerance` seconds) and
    return 0; otherwise take nothing and return the seconds until it is due."""
    params = {"channel": channel, "interval": interval, "tolerance": tolerance}
    wait = await session.scalar(_TAKE, params)
    if wait is None:  # the channel's first send ever
        await session.execute(_ADD, {"channel": channel})
        wait = await session.scalar(_TAKE, params)
    return float(wait)


async def hold(session: AsyncSession, channel: str, seconds: float) -> None:
    """The platform said "too many requests": no worker sends on this channel for `seconds`."""
    await session.execute(_HOLD, {"channel": channel, "seconds": seconds})
