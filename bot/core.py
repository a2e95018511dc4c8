"""Messenger-neutral types: what arrives from a chat and what we say back.

Adapters (Telegram, Zalo, the sandbox) translate platform updates into `Incoming` and render
`Reply` back; handlers see nothing else. Both are plain data so they can be stored (the inbox
and the outbox keep them as JSON) and compared in tests.
"""

from __future__ import annotations

import dataclasses
import re
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from enum import StrEnum
from typing import Any, Protocol


class Kind(StrEnum):
    """What a chat update carries."""

    TEXT = "text"
    COMMAND = "command"
    CALLBACK = "callback"
    CONTACT = "contact"
    LOCATION = "location"
    FILE = "file"
    STICKER = "sticker"
    UNSUPPORTED = "unsupported"


@dataclass(frozen=True)
class FileRef:
    """A file the user sent: the platform's id, and what we know of it before downloading."""

    file_id: str
    media: str  # photo | document | voice | audio | video
    size: int | None = None
    mime: str | None = None
    name: str | None = None
    channel: str | None = None  # the platform whose id `file_id` is


@dataclass(frozen=True)
class Incoming:
    """One update from one chat, already verified and translated by its adapter."""

    channel: str
    chat_id: str
    user_id: str
    update_key: str
    kind: Kind
    received_at: datetime
    text: str | None = None
    command: str | None = None
    args: str = ""
    callback_data: str | None = None
    contact_phone: str | None = None
    contact_is_own: bool = False
    latitude: float | None = None
    longitude: float | None = None
    file: FileRef | None = None
    language_code: str | None = None
    # A button press: the platform's id of our message that carried the button (its buttons
    # change once they no longer apply; see `Reply.edits_buttons_of`).
    pressed_message: str | None = None

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for the inbox table (by hand: `dataclasses.asdict` is slow on a hot path)."""
        data = {name: getattr(self, name) for name in _INCOMING_FIELDS}
        data["kind"] = self.kind.value
        data["received_at"] = self.received_at.isoformat()
        if self.file is not None:
            data["file"] = dataclasses.asdict(self.file)
        return data

    def readable(self) -> Incoming:
        """The update with the control characters a person never means (NUL, escape codes)
        taken out of its words; line breaks and tabs stay. PostgreSQL refuses NUL in text, so a
        story, a note or an answer carrying one would fail where it is kept."""
        if not any(_has_controls(value) for value in (self.text, self.args)):
            return self
        return dataclasses.replace(
            self, text=_without_controls(self.text), args=_without_controls(self.args) or ""
        )

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Incoming:
        """Inverse of `to_json`."""
        values = dict(data)
        values["kind"] = Kind(values["kind"])
        values["received_at"] = datetime.fromisoformat(values["received_at"])
        if values.get("file"):
            values["file"] = FileRef(**values["file"])
        return cls(**values)


@dataclass(frozen=True)
class Button:
    """An inline choice. `data` is an opaque short token: never trusted by the receiver."""

    text: str
    data: str


UNDELIVERED_NOTICE_JOB = "notice.undelivered"  # bot.services.undelivered
MAP_LINK = "https://www.google.com/maps?q={latitude:.6f},{longitude:.6f}"


@dataclass(frozen=True)
class MapPin:
    """A place sent with a reply (where a citizen's matter happened). Telegram shows it as a pin
    on a map; a messenger without one (Zalo, the sandbox) as a link any phone's maps app opens."""

    latitude: float
    longitude: float
    title: str  # what the place is, in the recipient's words
    address: str = ""  # the place in words, when they are known (a village, a note)

    @classmethod
    def at(
        cls, latitude: float | None, longitude: float | None, title: str, address: str = ""
    ) -> MapPin | None:
        """A pin where both coordinates are known; None where no location was shared."""
        if latitude is None or longitude is None:
            return None
        return cls(latitude, longitude, title, address)

    def link(self) -> str:
        """The place on a public map, for messengers that cannot show one."""
        return MAP_LINK.format(latitude=self.latitude, longitude=self.longitude)

    def caption(self) -> str:
        """«📍 Title: address»: the line that names the place above its link."""
        return f"📍 {self.title}: {self.address}" if self.address else f"📍 {self.title}"

    def coordinates(self) -> str:
        """«21.881200, 105.639100»: where there are no words for the place."""
        return f"{self.latitude:.6f}, {self.longitude:.6f}"


@dataclass(frozen=True)
class Reply:
    """One message to one chat. `text` is already translated for the recipient."""

    text: str
    buttons: tuple[tuple[Button, ...], ...] = ()
    ask_contact: str | None = None  # label of a "share my phone number" key
    ask_location: str | None = None  # label of a "share my location" key
    keys: tuple[str, ...] = ()  # plain keys under a share key; pressing one sends its text
    remove_keyboard: bool = False
    document_path: str | None = None
    document_name: str | None = None
    attachment: FileRef | None = None  # a platform's file; another platform's goes from our copy
    document_data: str | None = None  # a small generated file (a calendar), base64, named above
    pin: MapPin | None = None  # a place, shown beside the text (a pin, or a map link)
    # Not an answer to the recipient's own last message (a notice, a reminder): a messenger that
    # numbers choices keeps the choices the person is still answering (bot.channels.numbered).
    unprompted: bool = False
    # An answer that leaves the question open (a refusal, a word about a sticker): the choices
    # the person is answering stay, and on a messenger that numbers them keep their numbers.
    keeps_choices: bool = False
    # A notice to a petition's filer about it: if it cannot be delivered, the officers working
    # the petition are told (a job of UNDELIVERED_NOTICE_JOB, asked for by the outbox), since
    # the law wants the filer told.
    about: int | None = None
    # Not a message: an edit of one of ours (its platform id) whose buttons no longer apply:
    # they become this reply's buttons (none: taken off). A messenger without buttons skips it.
    edits_buttons_of: str | None = None

    @classmethod
    def new_buttons(cls, message_id: str, *rows: Iterable[Button]) -> Reply:
        """The edit that gives one of our messages `rows` instead of its buttons (none: it is
        left without)."""
        return cls("", tuple(tuple(row) for row in rows), edits_buttons_of=message_id)

    def to_json(self) -> dict[str, Any]:
        """Plain JSON for the outbox table."""
        data = {name: getattr(self, name) for name in _REPLY_FIELDS}
        data["buttons"] = [[{"text": b.text, "data": b.data} for b in row] for row in self.buttons]
        data["keys"] = list(self.keys)
        data["attachment"] = dataclasses.asdict(self.attachment) if self.attachment else None
        data["pin"] = dataclasses.asdict(self.pin) if self.pin else None
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Reply:
        """Inverse of `to_json`."""
        values = dict(data)
        values["buttons"] = tuple(
            tuple(Button(**button) for button in row) for row in values.get("buttons", ())
        )
        values["keys"] = tuple(values.get("keys", ()))
        attachment = values.get("attachment")
        values["attachment"] = FileRef(**attachment) if attachment else None
        pin = values.get("pin")
        values["pin"] = MapPin(**pin) if pin else None
        return cls(**values)


def notice(reply: Reply) -> Reply:
    """The reply marked as a notice: it reaches the person unasked."""
    return dataclasses.replace(reply, unprompted=True)


_CONTROLS = re.compile(r"[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]")


def _has_controls(text: str | None) -> bool:
    return text is not None and _CONTROLS.search(text) is not None


def _without_controls(text: str | None) -> str | None:
    return _CONTROLS.sub("", text) if text is not None else None


_INCOMING_FIELDS = tuple(item.name for item in dataclasses.fields(Incoming))
_REPLY_FIELDS = tuple(item.name for item in dataclasses.fields(Reply))


# Messengers without buttons: every choice is typed, as a number or words (bot.channels.numbered).
TYPED_CHANNELS = frozenset({"zalo", "zalo_oa"})
# Messengers whose people cannot share a location: the Zalo Bot Platform has no such message.
NO_LOCATION_CHANNELS = frozenset({"zalo"})


@dataclass(frozen=True)
class Recipient:
    """A chat on a channel."""

    channel: str
    chat_id: str


@dataclass(frozen=True)
class SendResult:
    """What the platform said about one send."""

    message_id: str | None = None


class RetryLater(Exception):
    """The platform asked us to wait (HTTP 429 `retry_after`, or a transient failure)."""

    def __init__(self, seconds: float, reason: str = "") -> None:
        super().__init__(reason or f"retry after {seconds}s")
        self.seconds = seconds


class Undeliverable(Exception):
    """The platform refused for good (user blocked the bot, chat not found): do not retry."""


class Messenger(Protocol):
    """The one thing the outbox needs from a channel: send a reply to a chat."""

    channel: str

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        """Deliver one reply, raising `RetryLater` or `Undeliverable` on refusal."""
        ...

    async def download(self, file: FileRef, destination: str) -> int:
        """Save a file the user sent to `destination`; return its size in bytes."""
        ...


@dataclass
class Outgoing:
    """A reply queued for a recipient other than (or as well as) the current chat."""

    recipient: Recipient
    reply: Reply
