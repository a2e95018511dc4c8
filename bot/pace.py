"""How fast a chat writes: a chat faster than a person gets one notice, not a reply per message.

A bot may send one chat about one message a second (Telegram's limit), so a chat that writes
faster than that for long builds a queue of replies that trickles out for minutes: 500 messages
from one chat meant 500 replies at 1/s. Nobody reads them, and the answer to what it wrote last
comes at the very end.

A person types one message every few seconds at most. The bursts people do make are an album
(Telegram sends up to 10 photos at once, each an update) or a few messages forwarded together.
So each chat has a leaky bucket: every update adds one, and one drains away each second (the
rate we may answer at); a chat whose bucket holds more than a burst (`FLOOD_BURST`, 10) writes
faster than a person can. The bucket holds at most two bursts, so however long a flood went on,
about a burst's worth of quiet (10 s) ends it.

What the chat sends during a flood is stored and handled as always (nothing it sent is lost);
only the replies to it are held: it gets one notice when the flood starts, and the replies to
its latest message once it has been quiet for a moment (`bot.dispatch.Floods`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime


@dataclass(frozen=True)
class Pace:
    """A chat's bucket: its level at the moment of its last update."""

    level: float = 0.0
    at: datetime | None = None


@dataclass(frozen=True)
class Pacing:
    """The pace a person can keep: `rate` updates a second, with bursts of `burst`."""

    rate: float = 1.0
    burst: int = 10

    def after(self, pace: Pace, arrived: datetime) -> Pace:
        """The bucket once an update that arrived at `arrived` is counted."""
        level = min(2 * self.burst, self.level_at(pace, arrived) + 1)
        return Pace(level, max(arrived, pace.at or arrived))

    def level_at(self, pace: Pace, moment: datetime) -> float:
        """What is left in the bucket at `moment`."""
        if pace.at is None:
            return 0.0
        drained = max((moment - pace.at).total_seconds(), 0.0) * self.rate
        return max(pace.level - drained, 0.0)

    def flooding(self, pace: Pace) -> bool:
        """More in the bucket than a person's burst: faster than a person writes."""
        return pace.level > self.burst

    def still_flooding(self, pace: Pace, moment: datetime) -> bool:
        """The flood of the last update goes on at `moment`: it was flooding then, and has not
        drained to half a burst since (a chat writing at about the limit is told once, not each
        time its bucket crosses it)."""
        return self.flooding(pace) and self.level_at(pace, moment) > self.burst / 2

    def quiet_seconds(self, pace: Pace) -> float:
        """How long the chat must keep quiet for its bucket to drain back to a burst."""
        return max(pace.level - self.burst, 0.0) / self.rate
