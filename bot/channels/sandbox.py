"""The sandbox chat: try the bot in a browser as a citizen or as any demo officer.

The page talks to a small JSON API; what the bot "sends" is kept in memory per chat and handed
to the page by long polling. Updates go through the same dispatcher, inbox and outbox as
Telegram, so the sandbox shows the real behaviour.

Files and places. A file the bot sends (a citizen's photo, an answer PDF, a calendar, a report)
is handed to the page as a signed link to our copy, made by the same `bot.files.LocalFiles` that
links files for Zalo; the page shows a photo inline and anything else as a download. A place
(`Reply.pin`) comes as a link to a public map.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import dataclasses
import itertools
import re
import shutil
import uuid
from collections.abc import AsyncIterator, Callable
from dataclasses import asdict, dataclass, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from bot.channels import Accept, WebhookHandler
from bot.channels.numbered import split_text
from bot.core import FileRef, Incoming, Kind, MapPin, Reply, SendResult, Undeliverable
from bot.files import LocalFiles, image_type

MESSAGE_CHARS = 4096  # what one message holds, as on Telegram
CHANNEL = "sandbox"
UPLOAD_ID = re.compile(r"[0-9a-f]{32}")  # uuid4().hex, as save_upload names them
HISTORY_LIMIT = 500


@dataclass(frozen=True)
class Entry:
    """One line of a sandbox transcript."""

    id: int
    sender: str  # "bot" | "user"
    text: str
    buttons: list[list[dict[str, str]]]
    ask_contact: str | None = None
    ask_location: str | None = None
    keys: tuple[str, ...] = ()
    document: str | None = None  # a file's name
    link: str | None = None  # where the file downloads: a signed link to our copy
    image: bool = False  # the file is a photo, shown inline
    place: str | None = None  # a place the bot sent: its title and address
    map_link: str | None = None  # the place on a public map
    edits: int | None = None  # not a line: the page gives this line these buttons instead


def officer_chat(handle: str) -> str:
    """The sandbox chat id of a demo officer."""
    return f"officer-{handle}"


class SandboxChannel:
    """The browser page's messenger (a `bot.channels.Channel`); turns page actions into updates.

    The page and its API are routes of the web app itself (`bot.web.app.SandboxRoutes`), not
    webhooks: nothing to open, route or close here but the page's waiting long polls."""

    channel = CHANNEL

    def __init__(
        self,
        files_dir: Path,
        files: LocalFiles | None = None,
        clock: Callable[[], datetime] = lambda: datetime.now(UTC),
    ) -> None:
        self.files_dir = files_dir
        self.uploads_dir = files_dir / "sandbox-uploads"
        self.files = files  # signs the links to files; without it a file shows by name only
        self.clock = clock
        self._transcripts: dict[str, list[Entry]] = {}
        self._ids = itertools.count(1)
        self._changed = asyncio.Condition()
        self._closing = False

    def transcript(self, chat_id: str, after: int = 0) -> list[Entry]:
        """A chat's lines newer than `after`."""
        return [entry for entry in self._transcripts.get(chat_id, []) if entry.id > after]

    async def wait_for_lines(self, chat_id: str, after: int, timeout: float) -> list[Entry]:
        """Long poll: return new lines as soon as there are any, or none after `timeout`."""
        async with self._changed:
            try:
                await asyncio.wait_for(
                    self._changed.wait_for(
                        lambda: self._closing or bool(self.transcript(chat_id, after))
                    ),
                    timeout,
                )
            except TimeoutError:
                return []
        return self.transcript(chat_id, after)

    async def open(self) -> None:
        """Nothing to connect to: the page comes to the bot's web server."""

    def routes(self, accept: Accept, clock: Callable[[], datetime]) -> dict[str, WebhookHandler]:
        """None of its own (see the class docstring)."""
        return {}

    @contextlib.asynccontextmanager
    async def running(self, accept: Accept, clock: Callable[[], datetime]) -> AsyncIterator[None]:
        """The page's actions come in while inside; at the end, its waiting long polls end, so
        that the web server, stopped next, does not wait for them."""
        try:
            yield
        finally:
            await self.close()

    async def close(self) -> None:
        """End every waiting long poll, and answer the later ones at once."""
        self._closing = True
        async with self._changed:
            self._changed.notify_all()

    async def _append(self, chat_id: str, entry_fields: dict[str, Any]) -> Entry:
        entry = Entry(id=next(self._ids), **entry_fields)
        lines = self._transcripts.setdefault(chat_id, [])
        lines.append(entry)
        del lines[:-HISTORY_LIMIT]
        async with self._changed:
            self._changed.notify_all()
        return entry

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        """The bot "sends": the line appears on the page."""
        if reply.edits_buttons_of is not None:
            return await self._edit_buttons(chat_id, int(reply.edits_buttons_of), reply)
        entry = await self._append(
            chat_id,
            {
                "sender": "bot",
                "text": reply.text,
                "buttons": [
                    [{"text": b.text, "data": b.data} for b in row] for row in reply.buttons
                ],
                "ask_contact": reply.ask_contact,
                "ask_location": reply.ask_location,
                "keys": reply.keys,
                **self._file_fields(reply),
                **_place_fields(reply.pin),
            },
        )
        return SendResult(str(entry.id))

    async def _edit_buttons(self, chat_id: str, line_id: int, reply: Reply) -> SendResult:
        """The line gets the reply's buttons instead of its own: for a page that loads the
        transcript later, and through a marker entry for a page showing it now."""
        buttons = [[{"text": b.text, "data": b.data} for b in row] for row in reply.buttons]
        lines = self._transcripts.get(chat_id, [])
        for index, entry in enumerate(lines):
            if entry.id == line_id:
                lines[index] = dataclasses.replace(entry, buttons=buttons)
        edit = {"sender": "bot", "text": "", "buttons": buttons, "edits": line_id}
        await self._append(chat_id, edit)
        return SendResult()

    def _file_fields(self, reply: Reply) -> dict[str, Any]:
        """The reply's file for the page: its name, a signed link to our copy, and whether it
        is a photo to show inline (by its bytes, as the link serves it)."""
        attachment = reply.attachment
        name = reply.document_name or (attachment.name or attachment.media if attachment else None)
        if name is None:
            return {}
        path = self._copy_of(reply, name)
        if path is None or self.files is None:
            return {"document": name}
        try:
            link = self.files.link(path, name, self.clock())
        except ValueError:  # not under the files folder: nothing a link may serve
            return {"document": name}
        return {"document": name, "link": link, "image": image_type(path) is not None}

    def _copy_of(self, reply: Reply, name: str) -> Path | None:
        """Where the reply's file is on disk: our copy of another platform's file, a generated
        document written now, or a page's own upload (only a name this channel gave out)."""
        if reply.document_path:
            return Path(reply.document_path)
        if reply.document_data and self.files is not None:
            return self.files.keep_generated(base64.b64decode(reply.document_data), name)
        file = reply.attachment
        if file is not None and UPLOAD_ID.fullmatch(file.file_id):
            upload = self.uploads_dir / file.file_id
            return upload if upload.is_file() else None
        return None

    async def download(self, file: FileRef, destination: str) -> int:
        """Uploaded files are already on disk: copy them where attachments are kept.

        The id comes back from the page: only a name this channel gave out is accepted, never a
        path (`../…` would copy any file of the machine into the attachments)."""
        if not UPLOAD_ID.fullmatch(file.file_id):
            raise Undeliverable("not a sandbox upload")
        source = self.uploads_dir / file.file_id
        Path(destination).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, destination)
        return Path(destination).stat().st_size

    async def user_action(
        self, chat_id: str, action: dict[str, Any], accept: Accept, now: datetime
    ) -> None:
        """A person acted on the page: echo it in the transcript and hand it to the dispatcher.

        A text longer than a message (4 096 characters) arrives in several, as Telegram's apps
        send it: nothing the person wrote is cut off unseen."""
        texts = split_text(str(action.get("text", "")), MESSAGE_CHARS)
        if action.get("kind", "text") != "text" or len(texts) == 1:
            parts = [action]
        else:
            key = str(action.get("id") or uuid.uuid4())
            parts = [{**action, "text": text, "id": f"{key}.{n}"} for n, text in enumerate(texts)]
        incomings = [self._to_incoming(chat_id, part, now) for part in parts]
        for part, incoming in zip(parts, incomings, strict=True):
            echo = part.get("label") or part.get("text") or f"[{incoming.kind.value}]"
            await self._append(chat_id, {"sender": "user", "text": str(echo), "buttons": []})
        await accept(incomings)

    def _to_incoming(self, chat_id: str, action: dict[str, Any], now: datetime) -> Incoming:
        kind = str(action.get("kind", "text"))
        base: dict[str, Any] = {
            "channel": CHANNEL,
            "chat_id": chat_id,
            "user_id": chat_id,
            "update_key": str(action.get("id") or uuid.uuid4()),
            "received_at": now,
        }
        text = str(action.get("text", ""))[:MESSAGE_CHARS]
        if kind == "callback":
            line = action.get("line")
            return Incoming(
                **base,
                kind=Kind.CALLBACK,
                callback_data=str(action.get("data", ""))[:64],
                pressed_message=str(line) if isinstance(line, int) else None,
            )
        if kind == "contact":
            return Incoming(
                **base,
                kind=Kind.CONTACT,
                contact_phone=str(action.get("phone", "")),
                contact_is_own=True,
            )
        if kind == "location":
            return Incoming(
                **base,
                kind=Kind.LOCATION,
                latitude=float(action["latitude"]),
                longitude=float(action["longitude"]),
            )
        if kind == "file":
            file = replace(FileRef(**action["file"]), channel=CHANNEL)
            return Incoming(**base, kind=Kind.FILE, file=file, text=text or None)
        if text.startswith("/"):
            command, _, args = text[1:].partition(" ")
            return Incoming(**base, kind=Kind.COMMAND, command=command.lower(), args=args)
        return Incoming(**base, kind=Kind.TEXT, text=text)

    def save_upload(self, data: bytes, name: str, mime: str) -> FileRef:
        """Keep an uploaded file and describe it like a platform file."""
        self.uploads_dir.mkdir(parents=True, exist_ok=True)
        file_id = uuid.uuid4().hex
        (self.uploads_dir / file_id).write_bytes(data)
        media = (
            "photo"
            if mime.startswith("image/")
            else "voice"
            if mime.startswith("audio/")
            else "document"
        )
        return FileRef(file_id, media, len(data), mime or None, name[:200] or None, CHANNEL)


def _place_fields(pin: MapPin | None) -> dict[str, Any]:
    """A place for the page: a line of words and a link to it on a public map."""
    if pin is None:
        return {}
    return {"place": pin.caption(), "map_link": pin.link()}


def entry_json(entry: Entry) -> dict[str, Any]:
    """An entry for the page."""
    return asdict(entry)
