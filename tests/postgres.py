"""A real PostgreSQL server for the tests, started by them: `TEST_DATABASE=postgresql pytest`.

`initdb` and `pg_ctl` come with Debian's postgresql package. The server listens on a free port of
127.0.0.1 only, keeps its data in a temporary folder, and is tuned for tests (no fsync). The
schema is migrated once into a template database; each test gets a fresh copy of it (CREATE
DATABASE … TEMPLATE), which takes milliseconds, so tests stay as independent as with SQLite files.

initdb refuses to run as root: as root, the server runs as the `postgres` user.
"""

from __future__ import annotations

import atexit
import os
import pwd
import shutil
import socket
import subprocess
import tempfile
import threading
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

TEMPLATE = "tiepdan_template"
SERVER_OPTIONS = (
    "-c listen_addresses=127.0.0.1 -c unix_socket_directories='' -c fsync=off "
    "-c synchronous_commit=off -c full_page_writes=off -c max_connections=300"
)


def _binary(name: str) -> str:
    found = shutil.which(name) or next(Path("/usr/lib/postgresql").glob(f"*/bin/{name}"), None)
    if found is None:
        raise RuntimeError(f"{name} not found: install Debian's postgresql package")
    return str(found)


def free_port() -> int:
    """A TCP port nothing listens on now, for a server a test starts itself."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


class PostgresServer:
    """One server for the whole test session."""

    def __init__(self) -> None:
        self.root = Path(tempfile.mkdtemp(prefix="tiepdan-pg-"))
        self.data = self.root / "data"
        self.port = free_port()
        self._lock = threading.Lock()
        self._databases: dict[str, str] = {}
        self._user = "postgres" if os.geteuid() == 0 else None

    def start(self) -> None:
        """initdb, start, and make the migrated template."""
        if self._user is not None:
            os.chmod(self.root, 0o755)
            entry = pwd.getpwnam(self._user)
            os.chown(self.root, entry.pw_uid, entry.pw_gid)
        self._run(_binary("initdb"), "-D", str(self.data), "-U", "postgres", "--auth=trust",
                  "-E", "UTF8", "--locale=C", "--no-sync")  # fmt: skip
        self.resume()
        atexit.register(self.stop)
        self.sql(f"CREATE DATABASE {TEMPLATE}")
        from storage.db import migrate

        # Alembic runs its own event loop: in a thread, since a test's loop may be running.
        with ThreadPoolExecutor(1) as pool:
            pool.submit(migrate, self.url(TEMPLATE)).result()

    def stop(self) -> None:
        """Stop the server and remove its files."""
        if self.data.exists():
            subprocess.run(
                [_binary("pg_ctl"), "-D", str(self.data), "-m", "immediate", "stop"],
                capture_output=True,
                check=False,
                **self._as_owner(),
            )
        shutil.rmtree(self.root, ignore_errors=True)

    def pause(self) -> None:
        """Stop the server as an outage would (connections dropped); `resume` brings it back."""
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-m", "fast", "-w", "stop")

    def resume(self) -> None:
        """Start it again on the same port, with the same data."""
        log = self.root / "server.log"
        self._run(_binary("pg_ctl"), "-D", str(self.data), "-l", str(log), "-w",
                  "-o", f"-p {self.port} {SERVER_OPTIONS}", "start")  # fmt: skip

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of one database."""
        return f"postgresql+asyncpg://postgres@127.0.0.1:{self.port}/{database}"

    def fresh_database(self, key: str) -> str:
        """The URL of the database for `key` (a test's folder), copied from the template once."""
        with self._lock:
            if key not in self._databases:
                name = f"test_{len(self._databases) + 1}"
                self.sql(f"CREATE DATABASE {name} TEMPLATE {TEMPLATE}")
                self._databases[key] = name
            return self.url(self._databases[key])

    def copy_database(self, source: str, key: str) -> str:
        """The URL of a new database for `key`, copied from the database at `source`'s URL (which
        nobody may be connected to)."""
        with self._lock:
            name = f"test_{len(self._databases) + 1}"
            self.sql(f"CREATE DATABASE {name} TEMPLATE {source.rsplit('/', 1)[1]}")
            self._databases[key] = name
            return self.url(name)

    def empty_database(self, name: str) -> str:
        """The URL of a new database with no schema at all (for migration tests)."""
        self.sql(f"CREATE DATABASE {name}")
        return self.url(name)

    def sql(self, statement: str, database: str = "postgres") -> str:
        """Run one statement with psql; return what it printed."""
        done = subprocess.run(
            [_binary("psql"), "-h", "127.0.0.1", "-p", str(self.port), "-U", "postgres",
             "-d", database, "-v", "ON_ERROR_STOP=1", "-qAtc", statement],
            capture_output=True, text=True, check=True,
        )  # fmt: skip
        return done.stdout

    def _run(self, *command: str) -> None:
        subprocess.run(command, capture_output=True, check=True, **self._as_owner())

    def _as_owner(self) -> dict[str, object]:
        return {"user": self._user} if self._user is not None else {}
