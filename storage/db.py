"""Engine, sessions and migrations.

SQLite runs in WAL mode with foreign keys on and a busy timeout. Every transaction starts with
`BEGIN IMMEDIATE` so that two writers never deadlock upgrading a read lock, and inside one process
writers queue on an asyncio lock instead of spinning in SQLite's busy handler.
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import os
import socket
from collections.abc import AsyncIterator
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

    @contextlib.asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A session in one transaction: committed on success, rolled back on any error."""
        lock = self._write_lock if self.is_sqlite else contextlib.nullcontext()
        async with lock, self.sessions() as session, session.begin():
            yield session

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
