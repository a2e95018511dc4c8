"""Wiring: settings → database, organisation, law, words, channels, dispatcher, outbox, web.

The only module (with `bot.__main__`) that knows every part.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import signal
import time
import tomllib
from collections.abc import Callable, Sequence
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any, TypeVar

from aiohttp import web
from sqlalchemy import func, select

from bot.attachments import AttachmentFetcher
from bot.channels import Channel, CredentialsRefused, Webhook
from bot.channels.numbered import ChatMemory
from bot.channels.sandbox import SandboxChannel, officer_chat
from bot.channels.telegram import TelegramChannel, make_bot
from bot.channels.zalo import ZaloChannel, ZaloClient
from bot.channels.zalo_oa import CHANNEL as ZALO_OA
from bot.channels.zalo_oa import ZaloOaChannel, ZaloOaClient
from bot.channels.zalo_oa_tokens import OaTokens
from bot.config import Settings
from bot.core import Incoming, Messenger, Reply
from bot.dispatch import Dispatcher
from bot.domain.org import Organisation, parse_organisation
from bot.environment import Environment, Limits
from bot.files import LocalFiles, link_secret
from bot.i18n import Catalogues
from bot.loops import Stopping, finish
from bot.metrics import Metrics
from bot.outbox import OutboxSender, QueuedMessage, RateLimits
from bot.pace import Pacing
from bot.rulebook import load_calendar, load_rulebook
from bot.scheduler import Scheduler
from bot.services.reports import ensure_report_reminders
from bot.web.app import create_app
from handlers import handle
from storage import models as m
from storage import queues, retention
from storage.db import Database, DatabaseGone, migrate
from storage.notify import Listener
from storage.repository import SqlStore, sync_organisation

log = logging.getLogger(__name__)

DEMO_ORG_FILE = Path(__file__).parent / "data" / "demo_org.toml"
CALENDAR_YEARS_BACK = 2
CALENDAR_YEARS_AHEAD = 3
HOUSEKEEPING_SECONDS = 6 * 3600
BUSY_NOTICE_SECONDS = 300.0  # a person is told the bot is busy at most this often
RECENT_REPLIES = 20  # Zalo: how far back the pending choices are looked for after a restart
ZALO_OA_SECRETS = ("zalo_oa_secret_key", "zalo_oa_app_secret")

SomeChannel = TypeVar("SomeChannel", bound=Channel)


def utc_now() -> datetime:
    """The real clock; tests pass their own."""
    return datetime.now(UTC)


def load_organisation(path: Path | None) -> Organisation:
    """The organisation file, or the bundled demo commune."""
    with (path or DEMO_ORG_FILE).open("rb") as handle:
        return parse_organisation(tomllib.load(handle))


def build_environment(settings: Settings, org: Organisation, now: datetime) -> Environment:
    """The organisation, the rules of law, the calendar and the words."""
    years = range(now.year - CALENDAR_YEARS_BACK, now.year + CALENDAR_YEARS_AHEAD + 1)
    return Environment(
        org=org,
        rulebook=load_rulebook(settings.rules_file),
        calendar=load_calendar(years, settings.calendar_overrides_file),
        catalogues=Catalogues(),
        limits=Limits(max_file_bytes=settings.max_file_mb * 1024 * 1024),
        session_reminders=tuple(timedelta(hours=h) for h in settings.dialogue_reminder_hours),
        report_cutoff_day=settings.report_cutoff_day,
        drafts_days=settings.keep_drafts_days,
    )


async def prepare_database(settings: Settings, org: Organisation) -> Database:
    """Migrate, connect, and bring the organisation tables in line with the file."""
    await asyncio.to_thread(migrate, settings.database_url)
    db = Database(settings.database_url, settings.worker_name)
    try:
        async with db.transaction() as session:
            await sync_organisation(session, org)
    except BaseException:
        await db.close()
        raise
    return db


class Application:
    """The running bot: start everything, stop everything, in order.

    `start` opens each resource with its close on one stack (`_open`), so a start that fails half
    way closes what it had opened, last first, and `stop` closes the same stack."""

    def __init__(self, settings: Settings, clock: Callable[[], datetime] = utc_now) -> None:
        self.settings = settings
        self.clock = clock
        self.tasks: list[asyncio.Task[None]] = []  # the background loops
        self.channels: list[Channel] = []
        self.port: int | None = None
        self._storing: set[asyncio.Future[Any]] = set()  # work a shutdown waits for
        self.messengers: dict[str, Messenger] = {}
        self._told_busy: dict[tuple[str, str], float] = {}
        self.stopping = Stopping()
        self.metrics = Metrics()
        self._opened = contextlib.AsyncExitStack()

    @property
    def sandbox(self) -> SandboxChannel | None:
        """The sandbox chat, when it runs."""
        return self._channel(SandboxChannel)

    @property
    def zalo(self) -> ZaloChannel | None:
        """The Zalo Bot Platform channel, when it is on."""
        return self._channel(ZaloChannel)

    @property
    def zalo_oa(self) -> ZaloOaChannel | None:
        """The Zalo OA channel, when it is on."""
        return self._channel(ZaloOaChannel)

    def _channel(self, kind: type[SomeChannel]) -> SomeChannel | None:
        return next((c for c in self.channels if isinstance(c, kind)), None)

    async def start(self) -> None:
        """Bring the bot up; unhandled updates from before a crash are handled first. A start
        that fails closes what it had opened and says why, once."""
        try:
            async with contextlib.AsyncExitStack() as opening:
                await self._open(opening)
                self._opened = opening.pop_all()
        except (Exception, SystemExit) as error:
            log.error("the bot did not start (%s: %s)", type(error).__name__, error)
            raise

    async def stop(self) -> None:
        """Stop receiving, finish handling, flush what can be sent, close: what `start` opened,
        last first."""
        await self._opened.aclose()

    async def _open(self, stack: contextlib.AsyncExitStack) -> None:
        """Open everything in order, each resource's close on `stack` as soon as it is open:
        storage, channels, the background loops, handling, the web server, then receiving."""
        await self._open_storage(stack)
        await self._open_channels(stack)
        self._build_workers()
        self.db.when_gone(self._database_gone)
        self._run_loops(stack)
        await self._listen(stack)
        stack.push_async_callback(self._finish_handling)
        await self.dispatcher.recover()  # before anything new can arrive
        await self._serve(stack)
        for channel in self.channels:  # the web server is up: the platforms may post to it
            await stack.enter_async_context(channel.running(self._accept_polled, self.clock))

    async def _open_storage(self, stack: contextlib.AsyncExitStack) -> None:
        """The organisation, the law and the words; the database, migrated; the files."""
        settings = self.settings
        self.org = load_organisation(settings.org_file)
        self.env = build_environment(settings, self.org, self.clock())
        self.db = await prepare_database(settings, self.org)
        stack.push_async_callback(self.db.close)
        async with self.db.transaction() as session:
            await ensure_report_reminders(SqlStore(session), self.clock())
        self.fetcher = AttachmentFetcher(self.db, self.messengers, settings.files_dir)
        self.files = LocalFiles(
            self.db,
            self.fetcher,
            settings.files_dir,
            link_secret(settings.file_link_secret, settings.data_dir),
            timedelta(days=settings.file_link_days),
        )

    async def _open_channels(self, stack: contextlib.AsyncExitStack) -> None:
        """Open each channel the settings turn on; a platform refusing the bot's credentials
        stops the start with its message."""
        for channel in self._configured_channels():
            stack.push_async_callback(channel.close)
            try:
                await channel.open()
            except CredentialsRefused as refused:
                raise SystemExit(str(refused)) from refused
            self.channels.append(channel)
            self.messengers[channel.channel] = channel
        if self.sandbox is not None and not self.settings.has_messenger:
            # Only a pure demo gives every officer a sandbox chat: with a real bot, real
            # petitions must not appear on a page anyone on this machine can open.
            await self._bind_sandbox_officers()

    def _configured_channels(self) -> list[Channel]:
        """The channels the settings turn on, built but not opened."""
        settings = self.settings
        channels: list[Channel] = []
        if settings.telegram_bot_token:
            bot = make_bot(settings.telegram_bot_token, settings.telegram_api_url)
            webhook = self._webhook(settings.telegram_webhook_secret, "TELEGRAM_WEBHOOK_SECRET")
            channels.append(TelegramChannel(bot, webhook))
        if settings.zalo_bot_token:
            channels.append(self._zalo_channel())
        if settings.zalo_oa_app_id:
            channels.append(self._zalo_oa_channel())
        if settings.sandbox_enabled:
            channels.append(SandboxChannel(settings.files_dir, self.files, self.clock))
        return channels

    def _webhook(self, secret: str, secret_name: str) -> Webhook | None:
        """In webhook mode, where a platform posts and with which secret; one is required."""
        if not self.settings.webhook_mode:
            return None
        if not secret:
            raise SystemExit(f"{secret_name} must be set when WEBHOOK_BASE_URL is set")
        return Webhook(self.settings.webhook_base_url, secret)

    def _zalo_channel(self) -> ZaloChannel:
        settings = self.settings
        return ZaloChannel(
            ZaloClient(settings.zalo_bot_token, settings.zalo_api_url),
            self._chat_memory("zalo"),
            self.env.catalogues.get(None),
            self.files,
            self.clock,
            self._webhook(settings.zalo_webhook_secret, "ZALO_WEBHOOK_SECRET"),
        )

    def _zalo_oa_channel(self) -> ZaloOaChannel:
        """The OA channel; both its secrets are required."""
        settings = self.settings
        missing = [name.upper() for name in ZALO_OA_SECRETS if not getattr(settings, name)]
        if missing:
            raise SystemExit(f"{' and '.join(missing)} must be set when ZALO_OA_APP_ID is set")
        client = ZaloOaClient(
            settings.zalo_oa_api_url,
            settings.zalo_oauth_url,
            settings.zalo_oa_app_id,
            settings.zalo_oa_app_secret,
        )
        tokens = OaTokens(
            self.db,
            client.refresh,
            settings.zalo_oa_app_id,
            settings.zalo_oa_refresh_token,
            self.clock,
        )
        return ZaloOaChannel(
            client,
            tokens,
            self._last_oa_message_at,
            self._chat_memory(ZALO_OA),
            self.env.catalogues.get(None),
            self.files,
            self.clock,
            app_id=settings.zalo_oa_app_id,
            secret_key=settings.zalo_oa_secret_key,
        )

    def _build_workers(self) -> None:
        """The outbox, the scheduler and the dispatcher (none runs yet)."""
        settings = self.settings
        limits = RateLimits(
            settings.outbox_global_rate,  # several workers share it (bot.outbox.SharedRate)
            settings.outbox_per_chat_rate,
            settings.outbox_per_chat_burst,
            settings.outbox_max_in_flight,
        )
        self.outbox = OutboxSender(
            self.db,
            self.messengers,
            {
                "telegram": limits,
                "zalo": limits,
                ZALO_OA: limits,
                "sandbox": RateLimits(1000, 1000, 1000),
            },
            self.clock,
            self.files,
            self.metrics,
        )
        self.scheduler = Scheduler(
            self.db, self.env, self.clock, self.outbox.push, settings.scheduler_tick_seconds
        )
        self.dispatcher = Dispatcher(
            self.db,
            self.env,
            handle,
            self.clock,
            self._committed,
            marks=self.outbox,
            metrics=self.metrics,
            jobs_due=self.scheduler.wake,
            pacing=Pacing(burst=settings.flood_burst),
        )

    def _run_loops(self, stack: contextlib.AsyncExitStack) -> None:
        """The background loops. At the end the outbox records its last sends first, then every
        loop finishes its round (a late one is cancelled)."""
        loops = {
            "outbox": self.outbox.run(),
            "attachments": self.fetcher.run(self.stopping),
            "housekeeping": self._housekeeping(),
            "scheduler": self.scheduler.run(self.stopping),
        }
        if not self.db.is_sqlite:  # several workers may share the inbox
            loops["adopt-orphans"] = self.dispatcher.adopt_orphans(self.stopping)
        self.tasks = [asyncio.create_task(loop, name=name) for name, loop in loops.items()]
        stack.push_async_callback(self._finish_loops)
        stack.push_async_callback(self.outbox.stop)  # closed before `_finish_loops`

    async def _finish_loops(self) -> None:
        self.stopping.set()  # the loops finish their round and return; laggards are cancelled
        await finish(self.tasks)

    async def _listen(self, stack: contextlib.AsyncExitStack) -> None:
        """PostgreSQL: another worker may hand this one messages to send, and says so."""
        if self.db.is_sqlite:
            return
        listener = Listener(self.settings.database_url, self.db.worker, self.outbox.wake)
        stack.push_async_callback(listener.close)
        await listener.start()

    async def _finish_handling(self) -> None:
        """Let what is being stored land, then finish handling what is in hand."""
        await asyncio.gather(*self._storing, return_exceptions=True)
        await self.dispatcher.close()

    def _chat_memory(self, channel: str) -> ChatMemory:
        """What a channel of numbered choices reads back about a chat after a restart."""

        async def recent_replies(chat_id: str) -> list[Reply]:
            async with self.db.snapshot() as session:
                return await queues.replies_since_prompt(session, channel, chat_id, RECENT_REPLIES)

        async def is_answering(chat_id: str) -> bool:
            async with self.db.snapshot() as session:
                return await queues.is_answering(session, channel, chat_id)

        return ChatMemory(recent_replies, is_answering)

    async def _last_oa_message_at(self, chat_id: str) -> datetime | None:
        """When the person last wrote to the OA: its reply window counts from then."""
        async with self.db.snapshot() as session:
            return await session.scalar(
                select(func.max(m.InboxUpdate.received_at)).where(
                    m.InboxUpdate.channel == ZALO_OA, m.InboxUpdate.chat_id == chat_id
                )
            )

    def _committed(self, messages: list[QueuedMessage]) -> None:
        self.outbox.push(messages)
        self.fetcher.wake()

    async def accept(self, updates: Sequence[Incoming]) -> list[Incoming]:
        """Store and start handling updates (what every adapter calls).

        Shielded: a poller stopped, or a webhook caller that hung up, must not cut a database
        write half way (that leaks its connection, and the platform would deliver again anyway);
        `stop` waits for what is in flight.

        When the SQLite file is gone (`Database.file_gone`), before or while they are stored,
        they are not acknowledged: a 503 (HTTPServiceUnavailable, which aiohttp answers without
        logging it) for a webhook or the sandbox; a poller holds them (`_accept_polled`)."""
        try:
            self.db.check_file()
            storing = asyncio.ensure_future(self.dispatcher.accept(updates))
            self._storing.add(storing)
            storing.add_done_callback(self._storing.discard)
            stored = await asyncio.shield(storing)
            self.db.check_file()  # committed, but to a file that is still there?
            return stored
        except DatabaseGone as gone:
            self._tell_busy(updates)
            raise web.HTTPServiceUnavailable(text="database file gone: not stored") from gone
        except Exception:
            self._tell_busy(updates)
            raise  # not acknowledged: the platform delivers it again, and nothing is lost

    async def _accept_polled(self, updates: Sequence[Incoming]) -> list[Incoming]:
        """`accept` for the long pollers. While the database file is gone a poller would fetch
        the same batch every two seconds and log each refusal: it holds the batch instead (its
        offset unmoved, so Telegram keeps it) until `stop` cancels it; the next start, on the
        restored file, fetches it again."""
        try:
            return await self.accept(updates)
        except web.HTTPServiceUnavailable:
            await asyncio.get_running_loop().create_future()  # never set: until cancelled
            raise

    def _database_gone(self) -> None:
        """The SQLite file is gone (`Database.file_gone` said so, once, in the log): everything
        written from now on is lost at the next stop. Stop the work that would act on it, as a
        stop would, and keep the web server up: /healthz answers 503, the webhooks 503. The
        scheduler, attachment fetcher and housekeeping finish their round and end; the outbox
        finishes its sends in flight and sends nothing more (what it would send, or a job would,
        is sent by the next start on the restored file, not now and then again)."""
        self.stopping.set()
        outbox = asyncio.ensure_future(self._stop_sending())
        self._storing.add(outbox)
        outbox.add_done_callback(self._storing.discard)

    async def _stop_sending(self) -> None:
        try:
            await self.outbox.stop()
        except Exception as error:  # its last marks could not be written: they would be lost
            log.warning("the outbox stopped without recording its last sends: %r", error)

    def _tell_busy(self, updates: Sequence[Incoming]) -> None:
        """The database did not take these updates: say so to each person, once in a while,
        straight through the messenger (the outbox lives in the database too)."""
        now = time.monotonic()
        for incoming in updates:
            chat = (incoming.channel, incoming.chat_id)
            messenger = self.messengers.get(incoming.channel)
            if (
                messenger is None
                or now - self._told_busy.get(chat, -BUSY_NOTICE_SECONDS) < BUSY_NOTICE_SECONDS
            ):
                continue
            self._told_busy[chat] = now
            t = self.env.catalogues.get(incoming.language_code)
            busy = Reply(t("error.busy"))
            task = asyncio.create_task(_send_quietly(messenger, incoming.chat_id, busy))
            self._storing.add(task)
            task.add_done_callback(self._storing.discard)

    async def _serve(self, stack: contextlib.AsyncExitStack) -> None:
        """The web server: health, metrics, file links, the sandbox and the channels' webhooks."""
        settings = self.settings
        app = create_app(
            self.db,
            sandbox=self.sandbox,
            org=self.org,
            accept=self.accept,
            clock=self.clock,
            files=self.files,
            metrics=self.metrics,
            host=settings.http_host,
        )
        for channel in self.channels:
            for path, receive in channel.routes(self.accept, self.clock).items():
                app.router.add_post(path, receive)
        runner = web.AppRunner(app, access_log=None)
        await runner.setup()
        stack.push_async_callback(runner.cleanup)
        await web.TCPSite(runner, settings.http_host, settings.http_port).start()
        self.port = int(runner.addresses[0][1])
        public = settings.webhook_base_url.rstrip("/")
        self.files.base_url = public or f"http://{settings.http_host}:{self.port}"
        log.info("web server on http://%s:%s", settings.http_host, self.port)

    async def _housekeeping(self) -> None:
        """A few times a day: delete generated documents whose links have expired, and forget
        copies of messages and unsent drafts past their keeping time (storage.retention)."""
        while not self.stopping.is_set():
            try:
                self.files.purge_generated(self.clock())
            except OSError:
                log.exception("could not purge generated files")
            try:
                await self.forget_old()
            except Exception:
                log.exception("could not forget old messages and drafts; next round retries")
            await self.stopping.pause(HOUSEKEEPING_SECONDS)

    async def forget_old(self) -> retention.Forgotten:
        """Forget what is past its keeping time now (also for tests and operators)."""
        now = self.clock()
        forgotten = await retention.forget(
            self.db,
            now - timedelta(days=self.settings.keep_messages_days),
            now - timedelta(days=self.settings.keep_drafts_days),
            self.stopping.is_set,
        )
        if forgotten != retention.Forgotten():
            log.info(
                "forgot %d handled updates, %d sent messages, %d unsent drafts",
                forgotten.updates,
                forgotten.messages,
                forgotten.drafts,
            )
        return forgotten

    async def _bind_sandbox_officers(self) -> None:
        """In the sandbox every demo officer has a chat, so the switcher can act as them."""
        async with self.db.transaction() as session:
            bound = set(
                await session.scalars(
                    select(m.OfficerBinding.chat_id).where(m.OfficerBinding.channel == "sandbox")
                )
            )
            for officer in await session.scalars(
                select(m.Officer).where(m.Officer.active.is_(True))
            ):
                chat = officer_chat(officer.handle)
                if chat not in bound:
                    session.add(
                        m.OfficerBinding(
                            officer_id=officer.id,
                            channel="sandbox",
                            chat_id=chat,
                            bound_at=self.clock(),
                        )
                    )


async def _send_quietly(messenger: Messenger, chat_id: str, reply: Reply) -> None:
    """A best-effort send outside the outbox: failures are logged, not raised."""
    try:
        await messenger.send(chat_id, reply)
    except Exception as error:
        log.warning("could not send a busy notice to a chat: %r", error)


async def serve(settings: Settings) -> None:
    """Run until SIGTERM (systemd's stop) or Ctrl-C, then stop in order."""
    application = Application(settings)
    logging.getLogger().addHandler(application.metrics.error_counter())
    await application.start()
    if application.sandbox is not None:
        print(f"Sandbox chat: http://{settings.http_host}:{application.port}/sandbox", flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for signal_number in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(signal_number, stop.set)
    try:
        await stop.wait()
        log.info("stopping")
    finally:
        await application.stop()
