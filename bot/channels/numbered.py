"""Messengers without buttons (both Zalo APIs): a reply as numbered text, files as links.

Numbered choices. Zalo has no buttons, so a `Reply`'s buttons (and its plain keys) are rendered
as "1. …", "2. …" under the text; the citizen types the number or the option's words. The
choices are not kept in a table of their own: they ARE the last reply, and the outbox already
persists every reply as JSON. A typed answer is resolved against the choices of the last message
sent to that chat: from memory (remembered on send) or, after a restart, by `ChatMemory`
reading the last sent outbox rows. A notice that reaches the person unasked (a reminder; a new
petition for an officer half way through an answer) must not take over the numbers of the
question they are answering: its choices are numbered after the pending ones. At a menu, a
notice's own choices take the numbers from 1. Back and Cancel are under almost every question:
they are not listed (26 characters a message); the one "type a number" hint a chat gets says to
type «quay lại» or «hủy», and their words are understood wherever they are offered. A line of
the text that explains a choice («• Tố cáo: …») becomes that choice's numbered line.

An answer that names a button becomes a `Kind.CALLBACK` with that button's data (handlers never
trust it, as on Telegram); one that names a plain key becomes that key's text. Anything else
stays text, for the handlers to answer.

Places. Neither API sends a location: a reply's pin becomes a line and a map link under its
text (`with_map_link`).

Files. Both Zalo APIs send photos by URL and nothing else, and take at most 2 000 characters of
text a message. So a photo goes by URL (our signed link when it came from another messenger),
any other file (an answer document, a calendar, a report) as a signed link to our own copy
under the text (see `bot.files`), and a long text in parts cut at paragraph or sentence ends.

Hints the channel adds itself ("type the number", "type your phone number") are in Vietnamese:
Zalo tells a bot nothing of the user's language.
"""

from __future__ import annotations

import base64
import re
from abc import ABC, abstractmethod
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, replace
from datetime import datetime
from pathlib import Path
from typing import Any

import aiohttp

from bot.core import Incoming, Kind, Reply, RetryLater, SendResult
from bot.domain.words import fold, number_typed, says_yes, stars_typed
from bot.files import LocalFiles, is_image
from bot.i18n import Translator

TEXT_LIMIT = 2000
NETWORK_RETRY_SECONDS = 5.0


class HttpClient:
    """An aiohttp session opened by `start` (never at import or construction) and closed once."""

    def __init__(self) -> None:
        self._session: aiohttp.ClientSession | None = None

    @property
    def session(self) -> aiohttp.ClientSession:
        """The open HTTP session."""
        if self._session is None:
            raise RuntimeError(f"{type(self).__name__}.start() was not called")
        return self._session

    async def start(self) -> None:
        """Open the HTTP session."""
        self._session = aiohttp.ClientSession()

    async def close(self) -> None:
        """Close the HTTP session."""
        if self._session is not None:
            await self._session.close()
            self._session = None


@dataclass(frozen=True)
class ChatMemory:
    """What the channel reads back from the database about a chat (see the module docstring)."""

    # The replies sent since (and with) the last one that answered the person, oldest first.
    recent_replies: Callable[[str], Awaitable[list[Reply]]]
    # The person is half way through a question, whose numbers a notice must not take over.
    is_answering: Callable[[str], Awaitable[bool]]


@dataclass(frozen=True)
class Choice:
    """One option: a button's data, or (for a plain key) the text it stands for. `listed`: it
    has a number; Back and Cancel are not listed, and are typed in words."""

    label: str
    data: str | None
    listed: bool = True


def typed(text: str) -> dict[str, Any]:
    """The `Incoming` fields of a typed text: a command when it starts with "/", as on Telegram."""
    if text.startswith("/"):
        command, _, args = text[1:].partition(" ")
        return {"kind": Kind.COMMAND, "command": command.lower(), "args": args}
    return {"kind": Kind.TEXT, "text": text}


def choices_of(reply: Reply, unlisted: frozenset[str] = frozenset()) -> list[Choice]:
    """The options a reply offers: its buttons row by row, then its plain keys; those labelled
    as in `unlisted` (Back, Cancel) without a number."""
    labels: list[tuple[str, str | None]] = [(b.text, b.data) for row in reply.buttons for b in row]
    labels += [(key, None) for key in reply.keys]
    return [Choice(label, data, label not in unlisted) for label, data in labels]


def listed(choices: Sequence[Choice]) -> list[Choice]:
    """The choices with a number, in the order of their numbers."""
    return [choice for choice in choices if choice.listed]


def choices_after(
    earlier: list[Choice], reply: Reply, answering: bool, unlisted: frozenset[str] = frozenset()
) -> list[Choice]:
    """The chat's choices once `reply` is sent. An aside keeps them. An answer brings its own.
    A notice to someone
    half way through a question adds its choices after the pending ones; to someone at a menu it
    brings its own, if it has any."""
    own = choices_of(reply, unlisted)
    if reply.keeps_choices:
        return earlier
    if not reply.unprompted:
        return own
    if answering:
        return [*earlier, *own]
    return own or earlier


def render(
    reply: Reply,
    t: Translator,
    first: int = 1,
    hint: bool = True,
    unlisted: frozenset[str] = frozenset(),
) -> str:
    """The whole reply as text: what it says with what to type under it (a phone number, a
    place), its numbered choices (from `first`; not those labelled as in `unlisted`; each with
    its explanation when the text has one), and how to choose by number (`hint`: said to a chat
    once)."""
    choices = listed(choices_of(reply, unlisted))
    text, explained = explanations(reply.text, [choice.label for choice in choices])
    how = ""
    if reply.ask_contact:
        how = t("zalo.type_phone")
    elif reply.ask_location:
        how = t("zalo.type_place")
    lines = ["\n".join(line for line in (text, how) if line)]
    if choices:
        numbered = enumerate(choices, start=first)
        lines.append("\n".join(f"{n}. {explained.get(c.label, c.label)}" for n, c in numbered))
        if hint:
            lines.append(t("zalo.choose_by_number"))
    return "\n\n".join(line for line in lines if line)


def explanations(text: str, labels: Sequence[str]) -> tuple[str, dict[str, str]]:
    """The text without its lines «• Label: what it means» that explain a choice, and those
    lines by label («Label: what it means»): the choice's numbered line says it, once."""
    kept, explained = [], {}
    for line in text.split("\n"):
        label, colon, _ = line.removeprefix("• ").partition(": ")
        if line.startswith("• ") and colon and label in labels and label not in explained:
            explained[label] = line.removeprefix("• ")
        else:
            kept.append(line)
    return "\n".join(kept), explained


_BREAKS = ("\n\n", "\n", ". ", "? ", "! ", "; ", " ")


def split_text(text: str, limit: int = TEXT_LIMIT) -> list[str]:
    """Split a long message at paragraph, line, sentence, then word boundaries."""
    parts: list[str] = []
    while len(text) > limit:
        cut = _best_cut(text, limit)
        parts.append(text[:cut].rstrip())
        text = text[cut:].lstrip()
    parts.append(text)
    return parts


def _best_cut(text: str, limit: int) -> int:
    """The latest boundary in the first `limit` characters, preferring the coarsest kind."""
    for mark in _BREAKS:
        at = text.rfind(mark, 0, limit - len(mark) + 1)
        if at > limit // 2:
            return at + len(mark.rstrip(" ")) if mark.strip() else at
    return limit


def with_map_link(reply: Reply) -> Reply:
    """The reply's place as a line under its text and a link that any phone's maps app opens:
    neither Zalo API sends a location."""
    pin = reply.pin
    if pin is None:
        return reply
    return replace(reply, text=f"{reply.text}\n\n{pin.caption()}\n{pin.link()}".strip(), pin=None)


MAX_HINTED = 100_000
_NAVIGATION = (".back", ".cancel")  # typed only as written: «Huy» is a name, «Hủy» is Cancel


def _pick(text: str, choices: Sequence[Choice]) -> Choice | None:
    """The choice a typed text names: its number («3», «số 3»: any length), «4 sao» for four
    stars, «có» or «đồng ý» for the one ✅ choice, its label ignoring case and emoji, or else
    its label without diacritics, «xã» or «UBND» when only one fits."""
    number = number_typed(text)
    if number is not None:
        numbered = listed(choices)
        return numbered[number - 1] if 0 < number <= len(numbered) else None
    wanted = _words(text)
    named = [choice for choice in choices if _words(choice.label) == wanted]
    if len(named) == 1 and wanted:
        return named[0]
    return _loosely(text, [c for c in choices if not (c.data or "").endswith(_NAVIGATION)])


def _loosely(text: str, choices: Sequence[Choice]) -> Choice | None:
    """The one choice (Back and Cancel left out) that typed stars, a yes or words name."""
    if (stars := stars_typed(text)) is not None:
        fits = [c for c in choices if c.label.replace(" ", "") == "⭐" * stars]
    elif says_yes(text):
        fits = [c for c in choices if c.label.startswith("✅") or fold(c.label).startswith("co ")]
    else:
        # Only whole names here: a word of a name is searched by the question itself, over all
        # its options, not just the page on the screen (handlers.picker).
        folded = fold(text)
        fits = [c for c in choices if folded and fold(c.label) == folded]
    return fits[0] if len(fits) == 1 else None


def _words(text: str) -> str:
    """Lower-case words only: "✅ Tôi đã hiểu, tiếp tục" and "tôi đã hiểu tiếp tục" match."""
    return " ".join(re.sub(r"[^\w\s]", " ", text).casefold().split())


def message_id_in(result: dict[str, Any]) -> str | None:
    """The platform's id of a message it accepted, if it said."""
    message_id = result.get("message_id")
    return str(message_id) if message_id is not None else None


async def download_url(session: aiohttp.ClientSession, url: str, destination: str) -> int:
    """Save a file Zalo gives by URL (a photo or a file the user sent); return its size."""
    try:
        async with session.get(url) as response:
            response.raise_for_status()
            data = await response.read()
    except (aiohttp.ClientError, TimeoutError) as error:
        raise RetryLater(NETWORK_RETRY_SECONDS, f"download: {type(error).__name__}") from error
    path = Path(destination)
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(data)
    return len(data)


class NumberedChannel(ABC):
    """What both Zalo channels do alike: send a reply as a photo and numbered text, and read a
    typed number back as the choice it names. Subclasses say how one photo or one text goes."""

    channel: str

    def __init__(
        self,
        memory: ChatMemory,
        tr: Translator,
        files: LocalFiles,
        clock: Callable[[], datetime],
    ) -> None:
        self._memory = memory
        self._tr = tr
        self._files = files
        self._clock = clock
        self._choices: dict[str, list[Choice]] = {}
        self._unlisted = frozenset({tr("nav.back"), tr("nav.cancel")})
        # Chats told how to choose by number: once is enough (each message carried it, 84
        # characters of 13 messages of a filing); a refusal says it again in its own words.
        self._hinted: set[str] = set()

    def _remember_hinted(self, chat_id: str) -> None:
        if len(self._hinted) >= MAX_HINTED:  # a process's memory, not a record: start afresh
            self._hinted.clear()
        self._hinted.add(chat_id)

    @abstractmethod
    async def _send_photo(self, chat_id: str, url: str) -> str | None:
        """Send a photo the platform fetches from `url`; return the platform's message id."""

    @abstractmethod
    async def _send_text(self, chat_id: str, text: str) -> str | None:
        """Send at most `TEXT_LIMIT` characters; return the platform's message id."""

    async def send(self, chat_id: str, reply: Reply) -> SendResult:
        """Send one reply: its photo by URL, then the text (with any file's link) in parts."""
        if reply.edits_buttons_of is not None:  # numbered choices are not buttons: no edit
            return SendResult()
        message_id: str | None = None
        photo, reply = self._photo_and_links(with_map_link(reply))
        # A notice (a new petition for an officer mid-answer, a reminder) must not take over the
        # numbers of the question the person is answering: its choices are numbered after them.
        earlier, answering = [], False
        if reply.unprompted or reply.keeps_choices:
            earlier = await self._known_choices(chat_id)
            answering = await self._memory.is_answering(chat_id)
        first = len(listed(earlier)) + 1 if answering else 1
        if photo is not None:
            message_id = await self._send_photo(chat_id, photo)
        hint = chat_id not in self._hinted
        for part in split_text(render(reply, self._tr, first, hint, self._unlisted)):
            if part.strip():  # a photo alone (a chart) has no text to send
                message_id = await self._send_text(chat_id, part)
        self._choices[chat_id] = choices_after(earlier, reply, answering, self._unlisted)
        if listed(choices_of(reply, self._unlisted)):
            self._remember_hinted(chat_id)
        return SendResult(message_id)

    def _photo_and_links(self, reply: Reply) -> tuple[str | None, Reply]:
        """The URL of the reply's photo, and the reply with other files as links in its text."""
        if reply.attachment is not None:  # only this platform's file is left an id: a photo URL
            url = reply.attachment.file_id
            return (url if url.startswith("http") else None), reply
        name = reply.document_name or "tep"
        if reply.document_path:
            path = Path(reply.document_path)
        elif reply.document_data:
            path = self._files.keep_generated(base64.b64decode(reply.document_data), name)
        else:
            return None, reply
        url = self._files.link(path, name, self._clock())
        if is_image(name):
            return url, reply
        return None, replace(reply, text=f"{reply.text}\n\n📎 {name}:\n{url}".strip())

    async def resolve_choice(self, incoming: Incoming) -> Incoming:
        """A typed number (or an option's exact wording) picking one of the last choices."""
        if incoming.kind is not Kind.TEXT or not incoming.text:
            return incoming
        choice = _pick(incoming.text, await self._known_choices(incoming.chat_id))
        if choice is None:
            return incoming
        if choice.data is None:
            return replace(incoming, text=choice.label)
        return replace(incoming, kind=Kind.CALLBACK, text=None, callback_data=choice.data[:64])

    async def _known_choices(self, chat_id: str) -> list[Choice]:
        """The choices on the person's screen: remembered, or after a restart rebuilt from the
        replies sent since the last answer to them (the outbox keeps every reply)."""
        if chat_id not in self._choices:
            recent = await self._memory.recent_replies(chat_id)
            answering = len(recent) > 1 and await self._memory.is_answering(chat_id)
            choices: list[Choice] = []
            for reply in recent:
                choices = choices_after(choices, reply, answering, self._unlisted)
            self._choices[chat_id] = choices
        return self._choices[chat_id]
