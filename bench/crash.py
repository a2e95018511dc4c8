"""Crash test: citizens file and officers accept while the bot is killed (SIGKILL) again and again.

The fake Bot API server (tests/fake_telegram.py) runs in this process with simulated citizens
and officers; the bot runs as real processes (`python -m bot`, configured by environment
variables, logging into the data folder). While the people work, the bot is killed with SIGKILL
at random moments (`--kills`, one every 2-6 s) and restarted at once.

* `--db sqlite`: one worker, long polling, on a SQLite file.
* `--db postgresql`: a PostgreSQL server started here (tests/postgres.py) and TWO workers
  (WORKERS=2, each its own WORKER_NAME) in webhook mode behind a small round-robin proxy (as
  nginx would be: a refused connection goes to the other worker, anything else is a 502 and the
  fake Telegram delivers again); each kill takes a random one of the two.

The people behave like people whose bot sometimes restarts: each step waits (up to 30 s) for
the answer that step expects, skipping anything else (a message seen already, a notice, a
duplicate), and presses buttons on that very message. Each citizen files one petition (a
complaint or a kiến nghị, in Phú Đình or Thần Sa, some with a photo) whose text carries a token
unique to the story. Officers are bound with invite codes written to the database before the
bot starts (what `python -m bot invite` does), then open each new petition as its notice arrives
(«📂 Mở đơn») and accept most of them («✅ Thụ lý»); heads are bound too, to receive reminders.

Then the reminder window. Every reminder, overdue notice and escalation still pending for the
petitions just filed is made due within the next `--window` seconds (UPDATE jobs SET due_at =
now + a random 0-20 s): this stands for the passage of the days and weeks until they would
fire, which a test cannot wait for. The killing goes on in that window (`--window-kills`).

Afterwards, with every worker stopped gracefully, it prints the counts and checks:

1. every receipt a citizen got ("Mã đơn: …") names a stored petition of that citizen's story;
2. every stored petition's receipt reached its filer;
3. no story was filed twice (petitions counted per token);
4. every reminder job made due is done, and each reminder written to the outbox for it reached
   its officer (counted per chat and text; duplicates reported); a job that should have spoken
   (its deadline open, someone bound to tell) has a reminder row;
5. every update the people sent is in the inbox, handled, without a handler error; nothing the
   outbox recorded as sent is missing at the fake server (lost: must be 0); messages the server
   got twice are reported, and are allowed only for sends in flight at a kill: accepted by the
   server and not yet marked sent in the database, measured at each kill, and accepted at most
   2 s before it (the bot marks a send right after it, in batches of 0.2 s on SQLite: a send
   unmarked for longer was not in flight, its mark was forgotten; for the same reason no row may
   stay unmarked after its send once the bot is idle); no update was handled twice (a receipt or
   a petition notice written twice, a step recorded twice in petition_events, or any answer
   the people could only get from an update handled again: "button from an earlier message",
   "invalid phone", ...).

A job claimed by a worker that was then killed is taken back when that worker starts again under
the same name (bot.scheduler); one still held by a claim at the end (a worker that did not come
back) would wait for its lease (300 s): such jobs are reported, and their claim is moved back by
the lease (standing, again, for time passing) so that the run need not wait five minutes.

    .venv/bin/python bench/crash.py [--db sqlite|postgresql] [--citizens 30] [--kills 8]
        [--window-kills 3] [--seed N] [--keep]

About 80-100 s with the defaults on the 2-core development machine (up to 30 s more when sends
stay unmarked in the drain). Exit status 1 when an invariant fails (or a person got stuck), 0
otherwise. `--keep` keeps the data folder (the
database, the bot's logs) and prints where it is.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import functools
import itertools
import os
import random
import re
import secrets
import signal
import socket
import statistics
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web
from sqlalchemy import select, update

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from bot.app import load_organisation, prepare_database  # noqa: E402
from bot.config import Settings  # noqa: E402
from bot.domain.org import Organisation  # noqa: E402
from bot.domain.petition import OPEN_STATES, PetitionKind, PetitionState  # noqa: E402
from bot.i18n import Catalogues  # noqa: E402
from bot.labels import kind_label, rule_label  # noqa: E402
from bot.scheduler import LEASE_SECONDS  # noqa: E402
from bot.services.reminders import MESSAGES as REMINDER_MESSAGES  # noqa: E402
from handlers.common import invite_hash  # noqa: E402
from storage import models as m  # noqa: E402
from storage.db import Database  # noqa: E402
from tests.fake_telegram import (  # noqa: E402
    DEFAULT_TOKEN,
    FakeTelegram,
    SentMessage,
    SimUser,
    tiny_png,
)

STEP_TIMEOUT = 30.0  # the longest a person waits for the answer to one step
KILL_INTERVAL = (2.0, 6.0)  # seconds between kills (from the previous restart)
THINK = (0.2, 1.2)  # seconds a person takes before each step
SETTLE_SECONDS = 0.5  # after a kill: requests the dead process wrote are still served
READY_TIMEOUT = 60.0
STOP_TIMEOUT = 30.0
DRAIN_TIMEOUT = 30.0
DRAIN_DIAGNOSIS = 10.0  # pending this long in the drain: say what is pending
# A send is marked in the database right after the server accepts it (in batches of 0.2 s on
# SQLite): one still unmarked this long after is not "in flight", its mark was forgotten.
STALE_MARK_SECONDS = 2.0
WEBHOOK_SECRET = "crash-s3cret"
FIRST_CITIZEN = 3_000_001
FIRST_OFFICER = 3_900_001
# Officers who receive new petitions and act on them (one per routing target of the stories).
RECEPTION = ("pd.tiepdan", "pd.kinhte", "ts.tiepdan")
# Heads: they only receive overdue notices and escalations.
HEADS = ("pd.chanhvp", "pd.truongkt", "pd.chutich", "ts.chutich")
REMINDER_IDS = tuple(sorted(set(REMINDER_MESSAGES.values())))
# Answers a person following the script can only get from an update handled a second time.
SIGNS_OF_DOUBLE_HANDLING = (
    "input.stale_button",
    "input.press_a_button",
    "input.unknown_button",
    "filing.name.invalid",
    "filing.phone.invalid",
    "filing.phone.not_own",
    "filing.address.invalid",
    "filing.content.empty",
    "officer.action.not_possible",
    "invite.used",
    "error.internal",
)
# Written once per petition (and chat): twice means an update or a job handled twice.
ONCE_PER_PETITION = (
    "filing.receipt",
    "officer.new_petition",
    "officer.accepted",
    "citizen.accepted",
)
# Sent straight through the messenger, not through the outbox (the database refused an update).
DIRECT_NOTICES = ("error.busy",)

NAME_PARTS = (
    ("Nguyễn", "Trần", "Lê", "Phạm", "Hoàng", "Vũ", "Đặng", "Bùi", "Đỗ", "Ma", "Nông", "Triệu"),
    ("Văn", "Thị", "Đức", "Minh", "Ngọc"),
    ("An", "Bình", "Cường", "Dũng", "Hà", "Hạnh", "Khoa", "Lan", "Nam", "Phúc", "Sơn", "Tâm"),
)
Key = tuple[str, str]  # (chat id, text): how a message is recognised on both sides


# --------------------------------------------------------------------------------------------
# The bot's words
# --------------------------------------------------------------------------------------------


class Words:
    """The bot's Vietnamese texts, from its own catalogue: labels, and templates as patterns."""

    def __init__(self) -> None:
        self.t = Catalogues().get("vi")
        self._patterns: dict[str, re.Pattern[str]] = {}

    def __call__(self, message_id: str, **params: object) -> str:
        return self.t(message_id, **params)

    def pattern(self, message_id: str) -> re.Pattern[str]:
        """`{name}` placeholders become groups; found anywhere in a message."""
        found = self._patterns.get(message_id)
        if found is None:
            raw = self.t.translations.gettext(message_id)
            if raw == message_id:
                raise RuntimeError(f"the catalogue has no Vietnamese text for {message_id!r}")
            parts = re.split(r"\{(\w+)\}", raw.strip())
            named: set[str] = set()
            regex = ""
            for index, part in enumerate(parts):
                if index % 2 == 0:
                    regex += re.escape(part)
                elif part in named:
                    regex += ".*?"
                else:
                    named.add(part)
                    regex += f"(?P<{part}>.*?)"
            found = self._patterns[message_id] = re.compile(regex, re.DOTALL)
        return found

    def search(self, message_id: str, text: str | None) -> re.Match[str] | None:
        return self.pattern(message_id).search(text or "")

    def which(self, message_ids: tuple[str, ...], text: str | None) -> str | None:
        """The first of these messages the text is, if any."""
        return next((mid for mid in message_ids if self.search(mid, text)), None)


Matcher = Callable[[SentMessage], "re.Match[str] | None"]


def says(words: Words, message_id: str, **fields: str) -> Matcher:
    """A message of this template (with these values for its placeholders)."""

    def check(sent: SentMessage) -> re.Match[str] | None:
        found = words.search(message_id, sent.text)
        if found and all(found.group(name) == value for name, value in fields.items()):
            return found
        return None

    return check


def buttons_of(sent: SentMessage) -> list[str]:
    rows = (sent.message.get("reply_markup") or {}).get("inline_keyboard", [])
    return [button.get("text", "") for row in rows for button in row]


def text_key(chat_id: object, text: str | None) -> Key:
    return (str(chat_id), (text or "").strip())


# --------------------------------------------------------------------------------------------
# People
# --------------------------------------------------------------------------------------------


class Stuck(Exception):
    """A person waited STEP_TIMEOUT for an answer that never came."""


@dataclass
class Tally:
    """What the people did and saw."""

    update_ids: set[int] = field(default_factory=set)
    stuck: list[str] = field(default_factory=list)
    notices_seen_twice: int = 0
    accepted: set[str] = field(default_factory=set)
    opened: set[str] = field(default_factory=set)


class Person:
    """A user who acts, then waits for the answer the step expects, whatever else arrives."""

    def __init__(
        self, server: FakeTelegram, user: SimUser, rng: random.Random, tally: Tally
    ) -> None:
        self.server = server
        self.user = user
        self.rng = rng
        self.tally = tally

    async def act(
        self, action: Callable[[], Awaitable[dict[str, Any]]], expect: Matcher, what: str
    ) -> tuple[SentMessage, re.Match[str]]:
        """Think, do one thing, and wait for its answer (a message that arrives after it)."""
        await asyncio.sleep(self.rng.uniform(*THINK))
        start = self.user.received_count
        update_ = await action()
        self.tally.update_ids.add(int(update_["update_id"]))
        return await self.wait(start, expect, what)

    async def wait(
        self,
        start: int,
        expect: Matcher,
        what: str,
        timeout: float = STEP_TIMEOUT,
        skip: set[int] | None = None,
    ) -> tuple[SentMessage, re.Match[str]]:
        """The first message from the `start`-th on that the step expects (not in `skip`)."""
        found: list[tuple[SentMessage, re.Match[str]]] = []
        position = start

        def look() -> bool:
            nonlocal position
            for sent in self.user.received_since(position):
                position += 1
                if skip is not None and sent.message_id in skip:
                    continue
                if (match := expect(sent)) is not None:
                    found.append((sent, match))
                    return True
            return False

        try:
            await self.server.wait_for(look, timeout)
        except AssertionError:
            raise Stuck(
                f"chat {self.user.chat_id}: no answer to {what} within {timeout:.0f} s"
            ) from None
        return found[0]

    def press(self, sent: SentMessage, label: str) -> Callable[[], Awaitable[dict[str, Any]]]:
        if label not in buttons_of(sent):
            raise Stuck(f"chat {self.user.chat_id}: no button {label!r} on {sent.text!r:.80}")
        return lambda: self.user.press(label, message_id=sent.message_id)

    def say(self, text: str) -> Callable[[], Awaitable[dict[str, Any]]]:
        return lambda: self.user.send_text(text)


@dataclass
class Story:
    """One citizen's petition: what they will choose and type."""

    number: int
    token: str
    kind: PetitionKind
    commune: str  # unit code
    area: str  # village name
    field: str  # field label
    photo: bool
    name: str
    phone: str
    address: str
    code: str | None = None

    @property
    def user_id(self) -> int:
        return FIRST_CITIZEN + self.number

    @property
    def text(self) -> str:
        return (
            f"[{self.token}] Đường vào {self.area} bị lấn chiếm, mưa xuống ngập lối đi. "
            "Đề nghị xã xem xét giải quyết."
        )


def write_stories(count: int, org: Organisation, words: Words, run: str) -> list[Story]:
    """Complaints and kiến nghị (about land: the economic office) in both communes."""
    rng = random.Random(f"stories-{run}")
    communes = [unit for unit in org.units.values() if unit.kind == "commune"]
    land = next(f for f in org.fields if f.code == "dat_dai")
    stories = []
    for number in range(count):
        commune = communes[number % len(communes)]
        areas = [area for area in org.areas.values() if area.unit == commune.code]
        kind = PetitionKind.PETITION if number % 3 == 2 else PetitionKind.COMPLAINT
        field_ = land if kind is PetitionKind.PETITION else rng.choice(org.fields)
        stories.append(
            Story(
                number=number,
                token=f"CRASH-{run}-{number:04d}",
                kind=kind,
                commune=commune.code,
                area=rng.choice(areas).name,
                field=words(field_.label),
                photo=number % 2 == 1,
                name=" ".join(rng.choice(part) for part in NAME_PARTS),
                phone=f"0912{number:06d}",
                address=f"Xóm {number}, {commune.name}",
            )
        )
    return stories


async def file_petition(person: Person, story: Story, words: Words, org: Organisation) -> None:
    """The whole filing conversation, one step at a time, each waiting for its own answer."""
    user = person.user
    sent, _ = await person.act(
        lambda: user.send_command("/start"), says(words, "privacy.notice"), "/start"
    )
    sent, _ = await person.act(
        person.press(sent, words("privacy.agree")), says(words, "menu.welcome"), "consent"
    )
    sent, _ = await person.act(
        person.press(sent, words("menu.file")), says(words, "filing.ask_kind"), "file"
    )
    sent, _ = await person.act(
        person.press(sent, kind_label(words.t, story.kind)), says(words, "filing.ask_field"), "kind"
    )
    sent, _ = await person.act(
        person.press(sent, story.field), says(words, "filing.ask_commune"), "field"
    )
    sent, _ = await person.act(
        person.press(sent, org.units[story.commune].name),
        says(words, "filing.ask_place"),
        "commune",
    )
    sent, _ = await person.act(
        person.press(sent, story.area), says(words, "filing.ask_content"), "village"
    )
    sent, _ = await person.act(
        person.say(story.text), says(words, "filing.content.noted"), "content"
    )
    if story.photo:
        sent, _ = await person.act(
            lambda: user.send_photo(tiny_png(), caption=story.token),
            says(words, "filing.file.noted"),
            "photo",
        )
    sent, _ = await person.act(
        person.press(sent, words("filing.content.done")), says(words, "filing.ask_name"), "done"
    )
    sent, _ = await person.act(person.say(story.name), says(words, "filing.ask_phone"), "name")
    sent, _ = await person.act(
        lambda: user.share_contact(story.phone), says(words, "filing.ask_address"), "phone"
    )
    sent, _ = await person.act(person.say(story.address), says(words, "filing.review"), "address")
    _, receipt = await person.act(
        person.press(sent, words("filing.review.send")), says(words, "filing.receipt"), "send"
    )
    story.code = receipt.group("code")


async def citizen(
    server: FakeTelegram,
    story: Story,
    words: Words,
    org: Organisation,
    tally: Tally,
    delay: float,
    rng: random.Random,
) -> None:
    await asyncio.sleep(delay)
    user = server.user(story.user_id, f"Dân {story.number}")
    try:
        await file_petition(Person(server, user, rng, tally), story, words, org)
    except Stuck as stuck:
        tally.stuck.append(str(stuck))


def leaves_for_later(code: str) -> bool:
    """Officers accept three petitions in four; the rest stay open (their reminders speak)."""
    return int(code.rsplit("-", 1)[1]) % 4 == 0


async def officer_at_work(
    person: Person, words: Words, tally: Tally, since: int, stop: asyncio.Event
) -> None:
    """Open each new petition as its notice arrives, then accept it (most of them)."""
    consumed: set[int] = set()
    handled: set[str] = set()
    new_petition = says(words, "officer.new_petition")
    while not stop.is_set():
        try:
            notice, found = await person.wait(
                since, new_petition, "a new petition", timeout=0.5, skip=consumed
            )
        except Stuck:
            continue
        consumed.add(notice.message_id)
        code = found.group("code")
        if code in handled:
            tally.notices_seen_twice += 1
            continue
        handled.add(code)
        try:
            view, _ = await person.act(
                person.press(notice, words("officer.open")),
                says(words, "officer.petition", code=code),
                f"open {code}",
            )
            tally.opened.add(code)
            if leaves_for_later(code):
                continue
            confirm, _ = await person.act(
                person.press(view, words("officer.action.accept")),
                says(words, "officer.accept.confirm", code=code),
                f"accept {code}?",
            )
            await person.act(
                person.press(confirm, words("officer.confirm.yes")),
                says(words, "officer.accepted", code=code),
                f"accept {code}",
            )
            tally.accepted.add(code)
        except Stuck as stuck:
            tally.stuck.append(str(stuck))


# --------------------------------------------------------------------------------------------
# The bot's processes
# --------------------------------------------------------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


@dataclass
class Worker:
    """One `python -m bot` process, restarted under the same name after each kill."""

    name: str
    env: dict[str, str]
    folder: Path
    port: int
    process: asyncio.subprocess.Process | None = None
    incarnation: int = 0
    started: float = 0.0
    ready: bool = False
    startups: list[float] = field(default_factory=list)
    kills: list[datetime] = field(default_factory=list)  # wall clock, for job claims
    unexpected_exits: list[str] = field(default_factory=list)
    _watch: asyncio.Task[None] | None = None

    async def start(self) -> None:
        self.incarnation += 1
        log = self.folder / "logs" / f"{self.name}-{self.incarnation}.log"
        log.parent.mkdir(exist_ok=True)
        with log.open("wb") as out:
            self.process = await asyncio.create_subprocess_exec(
                sys.executable, "-m", "bot", cwd=self.folder, env=self.env, stdout=out, stderr=out
            )
        self.started = time.monotonic()
        self.ready = False
        self._watch = asyncio.create_task(self._watch_over(self.process, self.incarnation))

    async def _watch_over(self, process: asyncio.subprocess.Process, incarnation: int) -> None:
        """Note when /healthz first answers; note an exit nobody asked for."""
        url = f"http://127.0.0.1:{self.port}/healthz"
        async with aiohttp.ClientSession() as http:
            while process.returncode is None:
                with contextlib.suppress(aiohttp.ClientError, TimeoutError):
                    async with http.get(url, timeout=aiohttp.ClientTimeout(total=1)) as answer:
                        if answer.status == 200:
                            self.ready = True
                            self.startups.append(time.monotonic() - self.started)
                            break
                await asyncio.sleep(0.05)
        code = await process.wait()
        if incarnation == self.incarnation and code != -signal.SIGKILL and code is not None:
            self.unexpected_exits.append(f"{self.name}-{incarnation} exited with {code}")

    async def wait_ready(self) -> None:
        deadline = time.monotonic() + READY_TIMEOUT
        while not self.ready:
            if self.process is None or self.process.returncode is not None:
                raise RuntimeError(f"{self.name} exited while starting; see its log")
            if time.monotonic() > deadline:
                raise TimeoutError(f"{self.name} not ready within {READY_TIMEOUT:.0f} s")
            await asyncio.sleep(0.05)

    async def kill(self) -> bool:
        """SIGKILL; return whether it had come up (its /healthz answered) before."""
        assert self.process is not None
        was_ready = self.ready
        self.process.send_signal(signal.SIGKILL)
        await self.process.wait()
        self.kills.append(datetime.now(UTC))
        return was_ready

    async def stop(self) -> None:
        """SIGTERM: the graceful stop (in-flight sends finish, their marks are written)."""
        process = self.process
        if process is None or process.returncode is not None:
            return
        self.incarnation += 1  # its exit is expected now
        process.send_signal(signal.SIGTERM)
        try:
            code = await asyncio.wait_for(process.wait(), STOP_TIMEOUT)
        except TimeoutError:
            self.unexpected_exits.append(f"{self.name} did not stop within {STOP_TIMEOUT:.0f} s")
            process.kill()
            await process.wait()
        else:
            if code != 0:
                self.unexpected_exits.append(f"{self.name} stopped with exit status {code}")


class RoundRobin:
    """The load balancer in front of the workers, as nginx would be configured: requests in
    turn; a refused connection is passed to the next worker, any other failure is a 502."""

    def __init__(self, backends: list[str]) -> None:
        self.backends = backends
        self.turn = itertools.count()
        self.refused = 0
        self.failed = 0
        self.runner: web.AppRunner | None = None
        self.http: aiohttp.ClientSession | None = None
        self.url = ""

    async def start(self) -> None:
        app = web.Application()
        app.router.add_post("/{path:.*}", self.forward)
        self.runner = web.AppRunner(app, access_log=None)
        await self.runner.setup()
        port = free_port()
        await web.TCPSite(self.runner, "127.0.0.1", port).start()
        self.http = aiohttp.ClientSession()
        self.url = f"http://127.0.0.1:{port}"

    async def forward(self, request: web.Request) -> web.Response:
        assert self.http is not None
        body = await request.read()
        headers = {
            name: value
            for name, value in request.headers.items()
            if name.lower() in ("content-type", "x-telegram-bot-api-secret-token")
        }
        for _ in self.backends:
            backend = self.backends[next(self.turn) % len(self.backends)]
            try:
                async with self.http.post(
                    backend + request.path,
                    data=body,
                    headers=headers,
                    timeout=aiohttp.ClientTimeout(total=30),
                ) as answer:
                    return web.Response(status=answer.status, body=await answer.read())
            except aiohttp.ClientConnectorError:
                self.refused += 1
                continue
            except (aiohttp.ClientError, TimeoutError):
                self.failed += 1
                return web.Response(status=502)
        return web.Response(status=502)

    async def stop(self) -> None:
        if self.http is not None:
            await self.http.close()
        if self.runner is not None:
            await self.runner.cleanup()


def bot_environment(
    server: FakeTelegram, folder: Path, database_url: str, name: str, port: int
) -> dict[str, str]:
    """The caller's environment without any of the bot's settings, then ours."""
    names = {setting.upper() for setting in Settings.model_fields}
    env = {key: value for key, value in os.environ.items() if key.upper() not in names}
    env.update(
        TELEGRAM_BOT_TOKEN=DEFAULT_TOKEN,
        TELEGRAM_API_URL=server.api_url,
        DATABASE_URL=database_url,
        DATA_DIR=str(folder),
        HTTP_PORT=str(port),
        SANDBOX="false",
        # People are the pace here, not Telegram's limits (tests/test_outbox.py has those).
        OUTBOX_GLOBAL_RATE="1000",
        OUTBOX_PER_CHAT_RATE="1000",
        OUTBOX_PER_CHAT_BURST="100",
        FLOOD_BURST="1000000",  # simulated people answer in milliseconds (bot.pace)
        OUTBOX_MAX_IN_FLIGHT="4",
        SCHEDULER_TICK_SECONDS="0.5",
        WORKER_NAME=name,
        PYTHONPATH=str(ROOT),
    )
    return env


# --------------------------------------------------------------------------------------------
# Killing, and what was in flight at each kill
# --------------------------------------------------------------------------------------------


@dataclass
class OutboxRow:
    id: int
    key: Key
    sent: bool
    failed: bool
    claimed_by: str | None


async def outbox_rows(db: Database) -> list[OutboxRow]:
    async with db.snapshot() as session:
        rows = await session.execute(
            select(
                m.OutboxMessage.id,
                m.OutboxMessage.chat_id,
                m.OutboxMessage.payload,
                m.OutboxMessage.sent_at,
                m.OutboxMessage.failed_at,
                m.OutboxMessage.claimed_by,
            ).order_by(m.OutboxMessage.id)
        )
        return [
            OutboxRow(
                i, text_key(chat, payload.get("text")), sent is not None, failed is not None, by
            )
            for i, chat, payload, sent, failed, by in rows
        ]


def accepted_sends(server: FakeTelegram) -> Counter[Key]:
    return Counter(text_key(sent.chat_id, sent.text) for sent in server.sent_messages())


@dataclass
class Kill:
    worker: str
    at: float  # seconds since the start of the run
    phase: str
    was_ready: bool
    in_flight: int
    ages: list[float]  # seconds between the server accepting each send in flight and the kill


class Chaos:
    """Kills a worker now and then, restarts it at once, and measures what was in flight."""

    def __init__(
        self,
        workers: list[Worker],
        server: FakeTelegram,
        db: Database,
        rng: random.Random,
        origin: float,
    ) -> None:
        self.workers = workers
        self.server = server
        self.db = db
        self.rng = rng
        self.kills: list[Kill] = []
        self.in_flight: Counter[Key] = Counter()  # over all kills so far
        self.origin = origin

    async def run(self, count: int, phase: str) -> None:
        for _ in range(count):
            await asyncio.sleep(self.rng.uniform(*KILL_INTERVAL))
            await self.kill(self.rng.choice(self.workers), phase)

    async def kill(self, worker: Worker, phase: str) -> None:
        killed = time.monotonic()
        was_ready = await worker.kill()
        await worker.start()  # at once: it spends its first seconds importing
        await asyncio.sleep(SETTLE_SECONDS)
        flying = await self.measure(worker.name)
        ages = self.ages(flying, killed)
        self.kills.append(
            Kill(worker.name, killed - self.origin, phase, was_ready, sum(flying.values()), ages)
        )
        state = "up" if was_ready else "starting"
        oldest = f" (the oldest sent {max(ages):.2f} s before the kill)" if ages else ""
        print(
            f"  [{killed - self.origin:6.1f} s] kill {len(self.kills)}: {worker.name} ({state}), "
            f"{sum(flying.values())} sends in flight{oldest}",
            flush=True,
        )

    def ages(self, flying: Counter[Key], killed: float) -> list[float]:
        """How long before the kill the server accepted each send still unmarked at the kill
        (the last ones of their chat and text)."""
        ages = []
        for key, count in flying.items():
            times = [
                sent.sent_at
                for sent in self.server.sent_messages(int(key[0]))
                if text_key(sent.chat_id, sent.text) == key and sent.sent_at <= killed
            ]
            ages += [killed - at for at in times[-count:]]
        return ages

    async def measure(self, name: str) -> Counter[Key]:
        """Sends the server accepted whose rows the dead worker had not yet marked sent.

        Per (chat, text): accepted − marked − what earlier kills already left in flight, at
        most the rows still unsent that the dead worker held."""
        accepted = accepted_sends(self.server)
        rows = await outbox_rows(self.db)
        marked = Counter(row.key for row in rows if row.sent)
        held = Counter(
            row.key
            for row in rows
            if not row.sent and not row.failed and row.claimed_by in (name, None)
        )
        flying: Counter[Key] = Counter()
        for key, unsent in held.items():
            extra = accepted[key] - marked[key] - self.in_flight[key]
            if extra > 0:
                flying[key] = min(unsent, extra)
        self.in_flight.update(flying)
        return flying


# --------------------------------------------------------------------------------------------
# The run
# --------------------------------------------------------------------------------------------


@dataclass
class Check:
    name: str
    value: str
    target: str = ""
    ok: bool | None = None


@dataclass
class Outcome:
    checks: list[Check] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    elapsed: str = ""

    def add(self, name: str, value: object, target: str = "", ok: bool | None = None) -> None:
        self.checks.append(
            Check(name, f"{value:,}" if isinstance(value, int) else str(value), target, ok)
        )

    def must_be_zero(self, name: str, value: int) -> None:
        self.add(name, value, "0", value == 0)


async def setup_database(settings: Settings, org: Organisation) -> tuple[Database, dict[str, str]]:
    """Migrate, sync the organisation, and write one invite code per officer."""
    db = await prepare_database(settings, org)
    codes = {}
    now = datetime.now(UTC)
    async with db.transaction() as session:
        for handle in RECEPTION + HEADS:
            officer = await session.scalar(select(m.Officer).where(m.Officer.handle == handle))
            assert officer is not None, handle
            codes[handle] = secrets.token_urlsafe(12)
            session.add(
                m.Invite(
                    officer_id=officer.id,
                    code_hash=invite_hash(codes[handle]),
                    created_at=now,
                    expires_at=now + timedelta(hours=72),
                )
            )
    await db.close()
    return Database(settings.database_url, "bench"), codes


async def wait_until(
    check: Callable[[], Awaitable[bool]], seconds: float, every: float = 0.5
) -> bool:
    deadline = time.monotonic() + seconds
    while not await check():
        if time.monotonic() > deadline:
            return False
        await asyncio.sleep(every)
    return True


class Run:
    """One crash test, from the empty database to the verdicts."""

    def __init__(self, args: argparse.Namespace, folder: Path) -> None:
        self.args = args
        self.folder = folder
        self.rng = random.Random(args.seed)
        self.words = Words()
        self.org = load_organisation(None)
        self.tally = Tally()
        self.run_id = f"{args.seed:x}"[-6:]
        self.stories = write_stories(args.citizens, self.org, self.words, self.run_id)
        for message_id in (
            *ONCE_PER_PETITION,
            *REMINDER_IDS,
            *SIGNS_OF_DOUBLE_HANDLING,
            *DIRECT_NOTICES,
        ):
            self.words.pattern(message_id)  # a text missing from the catalogue fails now
        self.phases: dict[str, float] = {}
        self.made_due: list[int] = []
        self.lease_moved: list[int] = []
        self.stale_in_drain = 0
        self.started = time.monotonic()

    def say(self, line: str) -> None:
        print(f"  [{time.monotonic() - self.started:6.1f} s] {line}", flush=True)

    async def execute(self) -> Outcome:
        args = self.args
        postgres = None
        if args.db == "postgresql":
            from tests.postgres import PostgresServer

            postgres = PostgresServer()
            await asyncio.to_thread(postgres.start)
            database_url = postgres.fresh_database("crash")
        else:
            database_url = f"sqlite+aiosqlite:///{self.folder / 'crash.sqlite3'}"
        try:
            return await self._execute(database_url)
        finally:
            if postgres is not None:
                await asyncio.to_thread(postgres.stop)

    async def _execute(self, database_url: str) -> Outcome:
        args = self.args
        settings = Settings(
            _env_file=None,  # type: ignore[call-arg]
            database_url=database_url,
            data_dir=self.folder,
        )
        db, codes = await setup_database(settings, self.org)
        self.say(f"database ready ({args.db}); {len(codes)} invite codes written")
        proxy = None
        async with FakeTelegram(webhook_max_retry_delay=0.5) as server:
            workers = []
            names = ["main"] if args.db == "sqlite" else ["worker-a", "worker-b"]
            if args.db == "postgresql":
                proxy = RoundRobin([])
                await proxy.start()
            for name in names:
                port = free_port()
                env = bot_environment(server, self.folder, database_url, name, port)
                if proxy is not None:
                    env.update(WEBHOOK_BASE_URL=proxy.url, TELEGRAM_WEBHOOK_SECRET=WEBHOOK_SECRET)
                    proxy.backends.append(f"http://127.0.0.1:{port}")
                workers.append(Worker(name, env, self.folder, port))
            try:
                for worker in workers:
                    await worker.start()
                for worker in workers:
                    await worker.wait_ready()
                mode = "webhook behind a round-robin proxy" if proxy else "long polling"
                self.say(f"{len(workers)} worker(s) up ({mode})")
                chaos = Chaos(workers, server, db, self.rng, self.started)
                officers = await self.bind_officers(server, codes)
                await self.load(server, chaos, officers)
                await self.reminder_window(db, chaos)
                await self.drain(db, server)
                for worker in workers:
                    await worker.stop()
                self.say("workers stopped (SIGTERM)")
                return await self.verdicts(db, server, chaos, workers, proxy)
            finally:
                for worker in workers:
                    if worker.process is not None and worker.process.returncode is None:
                        worker.process.kill()
                        await worker.process.wait()
                if proxy is not None:
                    await proxy.stop()
                await db.close()

    async def bind_officers(
        self, server: FakeTelegram, codes: dict[str, str]
    ) -> dict[str, tuple[Person, int]]:
        """Each officer opens their invite link; returns the reception officers' people."""
        people = {}
        for n, handle in enumerate(RECEPTION + HEADS):
            user = server.user(FIRST_OFFICER + n, handle)
            person = Person(server, user, random.Random(self.rng.random()), self.tally)
            await person.act(
                functools.partial(user.send_command, "/start", codes[handle]),
                says(self.words, "invite.bound"),
                f"invite of {handle}",
            )
            people[handle] = (person, user.received_count)
        self.say(f"{len(people)} officers bound by invite codes")
        return {handle: people[handle] for handle in RECEPTION}

    async def load(
        self, server: FakeTelegram, chaos: Chaos, officers: dict[str, tuple[Person, int]]
    ) -> None:
        args = self.args
        started = time.monotonic()
        stop_officers = asyncio.Event()
        officer_tasks = [
            asyncio.create_task(
                officer_at_work(person, self.words, self.tally, since, stop_officers)
            )
            for person, since in officers.values()
        ]
        citizens = [
            citizen(
                server,
                story,
                self.words,
                self.org,
                self.tally,
                self.rng.uniform(0, args.arrivals),
                random.Random(self.rng.random()),
            )
            for story in self.stories
        ]
        self.say(
            f"load: {len(citizens)} citizens arriving over {args.arrivals:.0f} s, "
            f"{len(officers)} officers at work, {args.kills} kills"
        )
        await asyncio.gather(chaos.run(args.kills, "load"), *citizens)
        filed = {story.code for story in self.stories if story.code}
        self.say(f"citizens done: {len(filed)} receipts; officers finishing")

        async def all_opened() -> bool:
            return filed <= self.tally.opened

        await wait_until(all_opened, STEP_TIMEOUT * 2)
        await asyncio.sleep(2 * THINK[1])  # the last acceptances
        stop_officers.set()
        await asyncio.gather(*officer_tasks)
        self.phases["load"] = time.monotonic() - started
        self.say(
            f"officers done: {len(self.tally.opened)} opened, {len(self.tally.accepted)} accepted"
        )

    async def reminder_window(self, db: Database, chaos: Chaos) -> None:
        """Make the filed petitions' reminders due within the window, and keep killing."""
        args = self.args
        started = time.monotonic()
        now = datetime.now(UTC)
        async with db.transaction() as session:
            jobs = list(
                await session.scalars(
                    select(m.Job.id).where(
                        m.Job.done_at.is_(None),
                        m.Job.petition_id.is_not(None),
                        m.Job.kind.like("deadline.%"),
                    )
                )
            )
            if jobs:
                await session.execute(
                    update(m.Job),
                    [
                        {
                            "id": job,
                            "due_at": now + timedelta(seconds=self.rng.uniform(0, args.window)),
                        }
                        for job in jobs
                    ],
                )
        self.made_due = jobs
        self.say(
            f"reminder window: {len(jobs)} deadline jobs due within {args.window:.0f} s, "
            f"{args.window_kills} kills"
        )
        await chaos.run(args.window_kills, "window")
        remaining = max(0.0, args.window - (time.monotonic() - started))
        await asyncio.sleep(remaining)

        async def all_done() -> bool:
            return not await self.jobs_left(db)

        await self.expire_dead_claims(db, chaos)
        await wait_until(all_done, STEP_TIMEOUT)
        self.phases["window"] = time.monotonic() - started

    async def jobs_left(self, db: Database) -> list[tuple[int, datetime | None, str | None]]:
        async with db.snapshot() as session:
            rows = await session.execute(
                select(m.Job.id, m.Job.claimed_at, m.Job.claimed_by).where(
                    m.Job.id.in_(self.made_due), m.Job.done_at.is_(None)
                )
            )
            return [tuple(row) for row in rows]  # type: ignore[misc]

    async def expire_dead_claims(self, db: Database, chaos: Chaos) -> None:
        """Jobs a killed worker had claimed keep their lease (LEASE_SECONDS): move it back, as
        if that much time had passed."""
        kills = {worker.name: worker.kills for worker in chaos.workers}
        dead = {
            job: claimed_at
            for job, claimed_at, claimed_by in await self.jobs_left(db)
            if claimed_at is not None
            and any(claimed_at <= killed for killed in kills.get(claimed_by or "", []))
        }
        if dead:
            lease = timedelta(seconds=LEASE_SECONDS)
            async with db.transaction() as session:
                await session.execute(
                    update(m.Job),
                    [{"id": job, "claimed_at": at - lease} for job, at in dead.items()],
                )
            self.say(f"{len(dead)} jobs held by a killed worker's claim: lease moved back")
        self.lease_moved = list(dead)

    async def drain(self, db: Database, server: FakeTelegram) -> None:
        """Wait until no outbox row is pending and the server has been quiet for a second."""
        started = time.monotonic()
        quiet_since = started
        count = len(server.sent_messages())
        told = False
        while time.monotonic() - started < DRAIN_TIMEOUT:
            await asyncio.sleep(0.5)
            pending = [row for row in await outbox_rows(db) if not row.sent and not row.failed]
            if len(server.sent_messages()) != count:
                count, quiet_since = len(server.sent_messages()), time.monotonic()
            elif time.monotonic() - quiet_since > 1.0 and not pending:
                break
            if pending and not told and time.monotonic() - started > DRAIN_DIAGNOSIS:
                told = True
                accepted = accepted_sends(server)
                marked = Counter(row.key for row in await outbox_rows(db) if row.sent)
                at_server = [row for row in pending if accepted[row.key] > marked[row.key]]
                last_seen = {text_key(s.chat_id, s.text): s.sent_at for s in server.sent_messages()}
                ages = [time.monotonic() - last_seen[row.key] for row in at_server]
                self.stale_in_drain = sum(age > STALE_MARK_SECONDS for age in ages)
                oldest = f", accepted up to {max(ages):.1f} s ago" if ages else ""
                holders = Counter(row.claimed_by for row in pending)
                self.say(
                    f"{len(pending)} outbox rows still pending after {DRAIN_DIAGNOSIS:.0f} s, "
                    f"claimed by {dict(holders)}; {len(at_server)} of them already at the "
                    f"server (sent, not marked{oldest})"
                )
        self.phases["drain"] = time.monotonic() - started
        self.say(f"outbox drained: {count:,} messages accepted by the server")

    async def verdicts(
        self,
        db: Database,
        server: FakeTelegram,
        chaos: Chaos,
        workers: list[Worker],
        proxy: RoundRobin | None,
    ) -> Outcome:
        elapsed = time.monotonic() - self.started
        stored = await Stored.load(db, self.made_due)
        verdicts = Verdicts(self, stored, await outbox_rows(db), server, chaos)
        verdicts.of_the_run(workers, proxy)
        verdicts.of_the_updates(proxy)
        verdicts.of_the_petitions()
        verdicts.of_the_messages()
        verdicts.of_double_handling()
        verdicts.of_the_reminders()
        out = verdicts.out
        out.elapsed = (
            f"{elapsed:.0f} s (load {self.phases.get('load', 0):.0f} s, "
            f"reminder window {self.phases.get('window', 0):.0f} s, "
            f"drain {self.phases.get('drain', 0):.0f} s)"
        )
        refused = Counter(
            f"{call.method} {call.status} {call.description}"
            for call in server.calls
            if call.status != 200
        )
        out.notes += [f"Bot API refused {what} × {n}" for what, n in sorted(refused.items())]
        out.notes += log_errors(self.folder / "logs")
        return out


# --------------------------------------------------------------------------------------------
# Verdicts
# --------------------------------------------------------------------------------------------


@dataclass
class Stored:
    """What the database holds at the end."""

    petitions: list[Any]  # id, code, content, state, unit, assignee id, filer's chat
    events: Counter[tuple[int, str]]  # (petition, action)
    inbox: dict[str, tuple[bool, str | None]]  # update key: (handled, error)
    jobs: list[Any]  # id, kind, payload, petition id, done at (the jobs made due)
    deadlines: dict[tuple[int, str], tuple[str, Any]]  # (petition, rule): (status, due date)
    bound: dict[int, str]  # officer id: handle, of officers with a chat

    @classmethod
    async def load(cls, db: Database, jobs: list[int]) -> Stored:
        async with db.snapshot() as session:
            petitions = list(
                await session.execute(
                    select(
                        m.Petition.id,
                        m.Petition.code,
                        m.Petition.content,
                        m.Petition.state,
                        m.Petition.unit_code,
                        m.Petition.assignee_id,
                        m.Citizen.chat_id,
                    ).join(m.Citizen, m.Citizen.id == m.Petition.citizen_id, isouter=True)
                )
            )
            events = Counter(
                (petition, action)
                for petition, action in await session.execute(
                    select(m.PetitionEvent.petition_id, m.PetitionEvent.action)
                )
            )
            inbox = {
                key: (processed is not None, error)
                for key, processed, error in await session.execute(
                    select(
                        m.InboxUpdate.update_key, m.InboxUpdate.processed_at, m.InboxUpdate.error
                    ).where(m.InboxUpdate.channel == "telegram")
                )
            }
            made_due = list(
                await session.execute(
                    select(
                        m.Job.id, m.Job.kind, m.Job.payload, m.Job.petition_id, m.Job.done_at
                    ).where(m.Job.id.in_(jobs))
                )
            )
            deadlines = {
                (petition, rule): (status, due)
                for petition, rule, status, due in await session.execute(
                    select(
                        m.Deadline.petition_id,
                        m.Deadline.rule_id,
                        m.Deadline.status,
                        m.Deadline.due_date,
                    )
                )
            }
            bound = {
                officer: handle
                for officer, handle in await session.execute(
                    select(m.Officer.id, m.Officer.handle).join(
                        m.OfficerBinding, m.OfficerBinding.officer_id == m.Officer.id
                    )
                )
            }
        return cls(petitions, events, inbox, made_due, deadlines, bound)


class Verdicts:
    """The counts and the invariants, from the database, the outbox and the fake server."""

    def __init__(
        self,
        run: Run,
        stored: Stored,
        rows: list[OutboxRow],
        server: FakeTelegram,
        chaos: Chaos,
    ) -> None:
        self.run = run
        self.words = run.words
        self.stored = stored
        self.rows = rows
        self.server = server
        self.sends = server.sent_messages()
        self.chaos = chaos
        self.out = Outcome()

    def of_the_run(self, workers: list[Worker], proxy: RoundRobin | None) -> None:
        out, kills = self.out, self.chaos.kills
        out.add("citizens / officers", f"{len(self.run.stories)} / {len(RECEPTION + HEADS)}")
        in_load = sum(1 for kill in kills if kill.phase == "load")
        out.add(
            "kills (SIGKILL) in the load / the window",
            f"{in_load} / {len(kills) - in_load}",
        )
        out.add("kills before the worker was up (/healthz)", sum(not k.was_ready for k in kills))
        startups = [seconds for worker in workers for seconds in worker.startups]
        if startups:
            out.add(
                "start to /healthz, median / max",
                f"{statistics.median(startups):.1f} s / {max(startups):.1f} s",
            )
        exits = [line for worker in workers for line in worker.unexpected_exits]
        out.must_be_zero("unexpected exits of the bot", len(exits))
        out.notes += exits
        stuck = self.run.tally.stuck
        out.must_be_zero("people stuck (no answer within 30 s)", len(stuck))
        out.notes += stuck[:10]

    def of_the_updates(self, proxy: RoundRobin | None) -> None:
        out, inbox, server = self.out, self.stored.inbox, self.server
        sent = [str(update_id) for update_id in self.run.tally.update_ids]
        out.add("updates sent by the people", len(sent))
        if proxy is None:
            deliveries = Counter(
                int(update_["update_id"])
                for call in server.calls_of("getUpdates")
                if call.status == 200
                for update_ in call.result
            )
            again = sum(1 for count in deliveries.values() if count > 1)
            out.add("updates delivered again (poll not confirmed)", again)
        else:
            failed = {d.update_id for d in server.webhook_deliveries if d.status != 200}
            out.add("updates delivered again (webhook not answered)", len(failed))
            out.add("proxy: refused → other worker / 502", f"{proxy.refused} / {proxy.failed}")
        out.must_be_zero(
            "updates lost (acknowledged, not in the inbox)", sum(key not in inbox for key in sent)
        )
        out.must_be_zero(
            "updates not handled", sum(key in inbox and not inbox[key][0] for key in sent)
        )
        out.must_be_zero(
            "updates whose handler failed",
            sum(key in inbox and bool(inbox[key][1]) for key in sent),
        )

    def of_the_petitions(self) -> None:
        """Invariants 1 to 3: receipts and stored petitions match, one petition per story."""
        out = self.out
        token = re.compile(r"\[(CRASH-[0-9a-f]+-\d{4})\]")
        by_token: dict[str, list[tuple[str, str]]] = {}
        for _id, code, content, *_rest, chat in self.stored.petitions:
            if found := token.search(content or ""):
                by_token.setdefault(found.group(1), []).append((code, str(chat)))
        out.add("petitions filed (stored)", len(self.stored.petitions))
        receipt = self.words.pattern("filing.receipt")
        receipts = Counter(
            (str(sent.chat_id), found.group("code"))
            for sent in self.sends
            if (found := receipt.search(sent.text or ""))
        )
        stories = {story.token: story for story in self.run.stories}
        filed = {
            (chat, code): stories[story].user_id if story in stories else None
            for story, petitions in by_token.items()
            for code, chat in petitions
        }
        out.add("receipts delivered (distinct)", len(receipts))
        out.must_be_zero(
            "1. receipts naming no stored petition of the story",
            sum(str(filed.get(key)) != key[0] for key in receipts),
        )
        out.must_be_zero(
            "2. stored petitions whose receipt never arrived",
            sum(receipts[key] == 0 for key in filed),
        )
        out.must_be_zero("3. stories filed twice", sum(len(p) > 1 for p in by_token.values()))
        out.must_be_zero(
            "   stories with a receipt but no petition",
            sum(bool(story.code) and story.token not in by_token for story in self.run.stories),
        )
        out.must_be_zero(
            "   petitions of no story",
            len(self.stored.petitions) - sum(len(p) for p in by_token.values()),
        )
        codes = {story.code for story in self.run.stories if story.code}
        out.must_be_zero(
            "petitions whose officer never got the notice", len(codes - self.run.tally.opened)
        )

    def of_the_messages(self) -> None:
        """Invariant 5: the outbox rows recorded as sent against the messages the server got."""
        out, words, in_flight = self.out, self.words, self.chaos.in_flight
        direct = [s for s in self.sends if words.which(DIRECT_NOTICES, s.text)]
        accepted = Counter(
            text_key(s.chat_id, s.text)
            for s in self.sends
            if not words.which(DIRECT_NOTICES, s.text)
        )
        recorded = Counter(row.key for row in self.rows if row.sent)
        lost = {key: n - accepted[key] for key, n in recorded.items() if n > accepted[key]}
        twice = {key: n - recorded[key] for key, n in accepted.items() if n > recorded[key]}
        unexplained = sum(max(0, n - in_flight[key]) for key, n in twice.items())
        out.add("outbox rows / marked sent", f"{len(self.rows):,} / {sum(recorded.values()):,}")
        out.add("messages accepted by the server", len(self.sends))
        out.add("sends in flight at the kills", sum(in_flight.values()))
        ages = [age for kill in self.chaos.kills for age in kill.ages]
        if ages:
            out.add(
                "   how long before the kill they were sent: median / max",
                f"{statistics.median(ages):.2f} s / {max(ages):.2f} s",
            )
        out.must_be_zero(
            f"   of them sent over {STALE_MARK_SECONDS:.0f} s before (not in flight)",
            sum(age > STALE_MARK_SECONDS for age in ages),
        )
        out.must_be_zero(
            f"sends still unmarked with the bot idle {DRAIN_DIAGNOSIS:.0f} s",
            self.run.stale_in_drain,
        )
        out.add(
            "duplicates delivered (a message got twice)",
            sum(twice.values()),
            f"≤ {sum(in_flight.values())}",
            unexplained == 0,
        )
        out.must_be_zero("   duplicates of a send not in flight at a kill", unexplained)
        out.must_be_zero("lost (marked sent, never at the server)", sum(lost.values()))
        out.must_be_zero(
            "outbox rows still unsent", sum(not r.sent and not r.failed for r in self.rows)
        )
        out.must_be_zero("outbox rows given up", sum(row.failed for row in self.rows))
        if direct:
            out.add("'busy' notices (sent around the outbox)", len(direct))
        for key, n in list(lost.items())[:5]:
            out.notes.append(f"lost ×{n}: chat {key[0]}: {key[1][:100]!r}")

    def of_double_handling(self) -> None:
        """No update handled twice: each petition's messages written once, each step recorded
        once, and none of the answers only a repeated update can get."""
        out, words = self.out, self.words
        written = Counter(
            (message_id, row.key[0], found.group("code"))
            for row in self.rows
            for message_id in ONCE_PER_PETITION
            if (found := words.search(message_id, row.key[1]))
        )
        twice = [key for key, n in written.items() if n > 1]
        out.must_be_zero("petition messages written twice (receipt, notices)", len(twice))
        out.notes += [f"{mid} for {code} written twice to chat {chat}" for mid, chat, code in twice]
        repeated = {key: n for key, n in self.stored.events.items() if n > 1}
        out.must_be_zero("petition steps recorded twice in petition_events", len(repeated))
        out.notes += [f"petition {p}: {action} ×{n}" for (p, action), n in repeated.items()]
        odd = Counter(
            message_id
            for row in self.rows
            if (message_id := words.which(SIGNS_OF_DOUBLE_HANDLING, row.key[1]))
        )
        out.must_be_zero("answers only an update handled twice gets", sum(odd.values()))
        out.notes += [f"{message_id} ×{n}" for message_id, n in odd.items()]
        out.add(
            "petition notices an officer saw twice (skipped)", self.run.tally.notices_seen_twice
        )

    def of_the_reminders(self) -> None:
        """Invariant 4: every job made due is done, and what it wrote reached its officer."""
        out, words = self.out, self.words
        written = Counter(row.key for row in self.rows if words.which(REMINDER_IDS, row.key[1]))
        delivered = Counter(
            text_key(s.chat_id, s.text) for s in self.sends if words.which(REMINDER_IDS, s.text)
        )
        jobs = self.stored.jobs
        out.add("4. deadline jobs made due in the window", len(jobs))
        out.must_be_zero("   jobs not done", sum(done is None for *_job, done in jobs))
        if self.run.lease_moved:
            out.add(
                f"   jobs held by a dead worker's claim (≤ {LEASE_SECONDS:.0f} s late)",
                len(self.run.lease_moved),
                "reported",
            )
        silent = self.silent_jobs()
        out.must_be_zero("   jobs that should have spoken but wrote nothing", len(silent))
        out.notes += silent[:5]
        out.add(
            "   reminders written / delivered",
            f"{sum(written.values()):,} / {sum(delivered.values()):,}",
        )
        out.must_be_zero(
            "   reminders written and not delivered",
            sum(max(0, n - delivered[key]) for key, n in written.items()),
        )
        out.add(
            "   reminders delivered twice",
            sum(max(0, n - written[key]) for key, n in delivered.items()),
            "≤ in flight",
        )

    def silent_jobs(self) -> list[str]:
        """Jobs that had something to say (their deadline open, someone bound to tell) but
        wrote no reminder naming their petition and rule."""
        org, stored = self.run.org, self.stored
        petitions = {p[0]: p for p in stored.petitions}
        officers = {officer.handle: officer for officer in org.officers}
        heads = {handle for handle in stored.bound.values() if "head" in officers[handle].roles}
        texts = [row.key[1] for row in self.rows]
        silent = []
        for job, kind, payload, petition_id, _done in stored.jobs:
            message_id = REMINDER_MESSAGES.get((kind, payload.get("point", "")))
            if message_id is None or petition_id not in petitions:
                continue
            _id, code, _content, state, unit, assignee, _chat = petitions[petition_id]
            rule = payload.get("rule_id", "")
            status, due = stored.deadlines.get((petition_id, rule), ("none", None))
            if status != "open" or PetitionState(state) not in OPEN_STATES:
                continue  # the job rightly says nothing
            if due is not None and payload.get("due", due.isoformat()) != due.isoformat():
                continue
            told = {
                "deadline.remind": {stored.bound.get(assignee)},
                "deadline.overdue": {stored.bound.get(assignee)}
                | {h for h in heads if officers[h].unit == unit},
            }.get(kind, {h for h in heads if officers[h].unit == (org.units[unit].parent or unit)})
            if not told - {None}:
                continue  # nobody bound to tell
            what = rule_label(self.words.t, rule)
            pattern = self.words.pattern(message_id)
            if not any(
                (found := pattern.search(text))
                and found.group("code") == code
                and found.group("what") == what
                for text in texts
            ):
                silent.append(f"job {job} ({kind} {payload}) on {code} wrote no reminder")
        return silent


def log_errors(folder: Path) -> list[str]:
    """ERROR lines and tracebacks the bot logged, the first few."""
    lines = [
        f"{log.name}: {line[:200]}"
        for log in sorted(folder.glob("*.log"))
        for line in log.read_text(errors="replace").splitlines()
        if " ERROR " in line or line.startswith("Traceback")
    ]
    if not lines:
        return []
    return [f"the bot logged {len(lines)} ERROR/traceback lines; the first:", *lines[:8]]


def report(outcome: Outcome) -> bool:
    width = max(len(check.name) for check in outcome.checks)
    value_width = max(len(check.value) for check in outcome.checks)
    for check in outcome.checks:
        verdict = "" if check.ok is None else ("ok" if check.ok else "FAILED")
        line = f"{check.name:<{width}}  {check.value:>{value_width}}  {check.target:<12} {verdict}"
        print(line.rstrip())
    print(f"elapsed: {outcome.elapsed}")
    for note in outcome.notes:
        print(f"  note: {note}")
    return all(check.ok is not False for check in outcome.checks)


async def main(args: argparse.Namespace) -> int:
    print(
        f"Crash test ({args.db}): {args.citizens} citizens, {len(RECEPTION + HEADS)} officers, "
        f"{args.kills} + {args.window_kills} kills (SIGKILL), seed {args.seed}"
    )
    folder = Path(tempfile.mkdtemp(prefix="tiepdan-crash-"))
    try:
        run = Run(args, folder)
        try:
            outcome = await run.execute()
        except (RuntimeError, TimeoutError) as failure:
            print(f"FAILED: {failure}")
            for log in sorted((folder / "logs").glob("*.log"))[-2:]:
                print(f"--- last lines of {log.name}")
                print("\n".join(log.read_text(errors="replace").splitlines()[-20:]))
            return 1
        return 0 if report(outcome) else 1
    finally:
        if args.keep:
            print(f"data kept in {folder}")
        else:
            import shutil

            shutil.rmtree(folder, ignore_errors=True)


if __name__ == "__main__":
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--db", choices=("sqlite", "postgresql"), default="sqlite")
    parser.add_argument("--citizens", type=int, default=30)
    parser.add_argument("--kills", type=int, default=8, help="kills during the load")
    parser.add_argument("--window-kills", type=int, default=3, help="kills in the reminder window")
    parser.add_argument("--arrivals", type=float, default=30.0, help="citizens arrive over this")
    parser.add_argument("--window", type=float, default=20.0, help="reminders fall due over this")
    parser.add_argument("--seed", type=int, default=random.randrange(1 << 32))
    parser.add_argument("--keep", action="store_true", help="keep the data folder and logs")
    arguments = parser.parse_args()
    with contextlib.suppress(KeyboardInterrupt):
        sys.exit(asyncio.run(main(arguments)))
