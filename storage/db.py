"""Engine, sessions and migrations.

SQLite runs in WAL mode with foreign keys on and a busy timeout. Every transaction starts with
`BEGIN IMMEDIATE` so that two writers never deadlock upgrading a read lock, and inside one process
writers queue on an asyncio lock instead of spinning in SQLite's busy handler.

A SQLite file removed or replaced under the running bot (a wrong `rm`, a restore over it) does not
stop SQLite: the open connections go on writing into the unlinked file, and all of it is lost when
the bot stops. So the file's identity (device and inode) is remembered when the database is
opened and compared with the path at every write transaction and every health probe: one
`os.stat`, a few µs. When it differs, `Database.file_gone` says so (once, in one ERROR line)
and tells whoever asked (`when_gone`); the bot then stops acknowledging updates.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator, Callable
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from sqlalchemy import event
from sqlalchemy.engine import make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)

log = logging.getLogger(__name__)

MIGRATIONS_DIR = Path(__file__).parent / "migrations"
SQLITE_BUSY_TIMEOUT_MS = 10_000
READ_SNAPSHOT = "tiepdan_read_snapshot"  # execution option: begin a reader, not a writer
WORKER = "worker"  # session info: the name this process claims queue rows under

FileIdentity = tuple[int, int]  # (st_dev, st_ino)


class DatabaseGone(Exception):
    """The SQLite database file was removed or replaced while the bot ran: anything written now
    goes into a file nobody will open again, so nothing may be acknowledged as stored."""


class Database:
    """One engine, its session factory, and the write queue that SQLite needs."""

    def __init__(self, url: str, worker: str = "") -> None:
        # aiosqlite's debug lines quote every statement with its parameters (names, phones):
        # keep them out of the logs whatever level the operator sets.
        logging.getLogger("aiosqlite").setLevel(logging.WARNING)
        self.url = url
        self.engine: AsyncEngine = create_engine(url)
        self.is_sqlite = self.engine.dialect.name == "sqlite"
        self.worker = worker or default_worker(self.is_sqlite)
        # Every session knows which worker it works for: queue claims are taken in its name.
        self._info = {WORKER: self.worker}
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False, info=self._info)
        self._write_lock = asyncio.Lock()
        self.file = sqlite_file(url)
        self._identity: FileIdentity | None = None
        self._remember_file()  # or at the first connection, which makes the file
        self._gone = False
        self._when_gone: list[Callable[[], None]] = []
        if self.file is not None:
            event.listen(self.engine.sync_engine, "do_connect", self._before_connect)
            event.listen(self.engine.sync_engine, "connect", self._remember_file)

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on any error.

        On SQLite each one looks whether the file is still there first (`file_gone`): the writer
        notices within one turn. It does not refuse: what would be written is lost either way,
        and the callers that acknowledge something (the accept path) check for themselves."""
        lock = self._write_lock if self.is_sqlite else contextlib.nullcontext()
        async with lock, self.sessions() as session, session.begin():
            self.file_gone()
            yield session

    def file_gone(self) -> bool:
        """True once the SQLite file was removed or replaced (another device or inode at the
        path) since the database was opened; always False on PostgreSQL and in memory.

        It stays True: the open connections still point at the old file, so only a restart
        (after putting the right file back) makes the bot store again. The first time it is
        noticed it says so in one ERROR line and calls `when_gone`'s callbacks."""
        if self._gone:
            return True
        if self.file is None or self._identity is None:
            return False
        try:
            now = file_identity(self.file)
        except OSError:  # cannot look (permissions, I/O): the database itself will tell
            return False
        if now == self._identity:
            return False
        self._gone = True
        log.error(
            "the database file %s was %s while the bot ran: what is written now is lost when it "
            "stops, so updates are no longer acknowledged (Telegram and Zalo keep them) and "
            "/healthz answers 503. Before stopping the bot, copy the lost file and its -wal out "
            "of /proc/%d/fd on Linux (newer than any backup; docs/operations/index.md); then stop "
            "it, put that copy or the latest backup (python -m bot restore) in place, and start it",
            self.file,
            "removed" if now is None else "replaced by another file",
            os.getpid(),
        )
        for callback in self._when_gone:
            try:
                callback()
            except Exception:
                log.exception("a callback on the database file gone failed")
        return True

    def check_file(self) -> None:
        """Raise DatabaseGone when `file_gone`."""
        if self.file_gone():
            raise DatabaseGone(f"database file gone: {self.file}")

    def when_gone(self, callback: Callable[[], None]) -> None:
        """Call `callback` (synchronously, once) when the file is first noticed gone; at once
        when it already was."""
        if self._gone:
            callback()
        else:
            self._when_gone.append(callback)

    def _before_connect(self, *_args: Any) -> None:
        """A new connection to a path whose file went would create an empty database there."""
        self.check_file()

    def _remember_file(self, *_args: Any) -> None:
        """Remember which file the path names now (when the Database is made, or, when there
        was none yet, at the first connection, which makes it)."""
        if self._identity is None and self.file is not None:
            with contextlib.suppress(OSError):
                self._identity = file_identity(self.file)

    @contextlib.asynccontextmanager
    async def snapshot(self) -> AsyncIterator[AsyncSession]:
        """A session for long reads (reports) on one consistent view that never blocks writers:
        a deferred transaction on SQLite (a WAL reader), REPEATABLE READ on PostgreSQL (and READ
        ONLY there, so that a write slipped into a read fails in the tests)."""
        options: dict[str, object] = (
            {READ_SNAPSHOT: True}
            if self.is_sqlite
            else {"isolation_level": "REPEATABLE READ", "postgresql_readonly": True}
        )
        reader = self.engine.execution_options(**options)
        async with (
            AsyncSession(reader, expire_on_commit=False, info=self._info) as session,
            session.begin(),
        ):
            yield session

    async def close(self) -> None:
        """Release every connection."""
        await self.engine.dispose()


def sqlite_file(url: str) -> Path | None:
    """The absolute path of a SQLite database file; None for PostgreSQL and in-memory ones."""
    parsed = make_url(url)
    if parsed.get_backend_name() != "sqlite" or parsed.query.get("uri"):
        return None
    if not parsed.database or parsed.database == ":memory:":
        return None
    return Path(os.path.abspath(parsed.database))


def file_identity(path: Path) -> FileIdentity | None:
    """The file's (device, inode); None when there is no file at the path."""
    try:
        stat = os.stat(path)
    except (FileNotFoundError, NotADirectoryError):
        return None
    return (stat.st_dev, stat.st_ino)


def default_worker(is_sqlite: bool) -> str:
    """This process's name in queue claims when WORKER_NAME is not set.

    SQLite is one process on one machine: always "main", so a restarted bot takes its own claims
    back at once. On PostgreSQL several processes share the queues: host and process id (set
    WORKER_NAME, e.g. systemd's %i, to take claims back at once after a restart there too).
    """
    return "main" if is_sqlite else f"{socket.gethostname()}:{os.getpid()}"


def create_engine(url: str) -> AsyncEngine:
    """An async engine; for SQLite a file in WAL mode with the pragmas we rely on."""
    parsed = make_url(url)
    # hide_parameters: an error logged from a query never carries a citizen's name or phone.
    if parsed.get_backend_name() != "sqlite":
        return create_async_engine(url, pool_pre_ping=True, hide_parameters=True)
    if parsed.database and parsed.database != ":memory:":
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    engine = create_async_engine(
        url, connect_args={"timeout": SQLITE_BUSY_TIMEOUT_MS / 1000}, hide_parameters=True
    )
    event.listen(engine.sync_engine, "connect", _sqlite_on_connect)
    event.listen(engine.sync_engine, "begin", _sqlite_on_begin)
    return engine


def _sqlite_on_connect(dbapi_connection: Any, _record: Any) -> None:
    """Let us issue BEGIN ourselves, and set WAL, foreign keys and the busy timeout."""
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute(f"PRAGMA busy_timeout={SQLITE_BUSY_TIMEOUT_MS}")
    cursor.close()


def _sqlite_on_begin(connection: Any) -> None:
    """Take the write lock at the start, so a transaction never fails half way on upgrade; a
    snapshot only reads, and begins without it."""
    reader = connection.get_execution_options().get(READ_SNAPSHOT)
    connection.exec_driver_sql("BEGIN" if reader else "BEGIN IMMEDIATE")


def alembic_config(url: str) -> Config:
    """Alembic's configuration, pointing at our migrations and the given database."""
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS_DIR))
    config.set_main_option("sqlalchemy.url", url.replace("%", "%%"))
    return config


def migrate(url: str, revision: str = "head") -> None:
    """Bring the schema up to `revision` (blocking: call it in a thread from async code)."""
    parsed = make_url(url)
    if parsed.get_backend_name() == "sqlite" and parsed.database:
        Path(parsed.database).parent.mkdir(parents=True, exist_ok=True)
    command.upgrade(alembic_config(url), revision)


def downgrade(url: str, revision: str) -> None:
    """Take the schema down to `revision`."""
    command.downgrade(alembic_config(url), revision)
