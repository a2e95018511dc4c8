"""Dialogue sessions (tiếp xúc, đối thoại): who hears of one, seats and the waitlist, reminders,
and the calendar file. Pure: no messenger, no database.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

import icalendar

from bot.domain.org import Organisation

SESSION_LENGTH = timedelta(hours=2)  # for the calendar entry; sessions have no set end
DEFAULT_REMINDERS = (timedelta(days=1), timedelta(hours=2))


class DialogueState(StrEnum):
    """Where a session stands."""

    ANNOUNCED = "announced"
    CANCELLED = "cancelled"
    HELD = "held"


class Seat(StrEnum):
    """A registration's standing."""

    REGISTERED = "registered"
    WAITLISTED = "waitlisted"
    CANCELLED = "cancelled"


class QuestionStatus(StrEnum):
    """A question sent ahead, through moderation."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    MERGED = "merged"
    REJECTED = "rejected"
    ANSWERED = "answered"


def places_that_hear(org: Organisation, audience: Iterable[str]) -> set[str]:
    """The subscription places whose subscribers are told of a session for this audience.

    A session for a commune concerns the whole commune and each of its villages; a session for a
    village concerns that village and those who follow the whole commune.
    """
    places: set[str] = set()
    for code in audience:
        if code in org.units:
            places |= {code, *(area.code for area in org.areas_of(code))}
        elif code in org.areas:
            places |= {code, org.areas[code].unit}
    return places


def audience_of(org: Organisation, unit: str) -> list[str]:
    """The places a People's Committee may address: its communes and their villages."""
    communes = [c.code for c in org.communes() if unit in org.lineage(c.code)]
    return [
        place
        for commune in communes
        for place in (commune, *(a.code for a in org.areas_of(commune)))
    ]


def seat_for_newcomer(capacity: int, registered: int) -> Seat:
    """A seat while there is one; the waitlist after."""
    return Seat.REGISTERED if registered < capacity else Seat.WAITLISTED


def reminder_times(
    starts_at: datetime, now: datetime, before: Sequence[timedelta] = DEFAULT_REMINDERS
) -> list[datetime]:
    """When to remind registrants: each offset before the start that is still ahead."""
    return sorted(starts_at - offset for offset in before if starts_at - offset > now)


@dataclass(frozen=True)
class CalendarEntry:
    """What a calendar file says about a session or a reception slot."""

    uid: str
    title: str
    starts_at: datetime
    length: timedelta
    location: str
    description: str


def calendar_file(entry: CalendarEntry, now: datetime) -> bytes:
    """An RFC 5545 calendar (.ics) with one event, for the phone's calendar app."""
    calendar = icalendar.Calendar()
    calendar.add("prodid", "-//Tiep Dan bot//vi")
    calendar.add("version", "2.0")
    calendar.add("method", "PUBLISH")
    event = icalendar.Event()
    event.add("uid", entry.uid)
    event.add("dtstamp", now)
    event.add("dtstart", entry.starts_at)
    event.add("dtend", entry.starts_at + entry.length)
    event.add("summary", entry.title)
    event.add("location", entry.location)
    event.add("description", entry.description)
    alarm = icalendar.Alarm()
    alarm.add("action", "DISPLAY")
    alarm.add("description", entry.title)
    alarm.add("trigger", -timedelta(hours=2))
    event.add_component(alarm)
    calendar.add_component(event)
    return calendar.to_ical()
