"""Backups: the database, the attachments folder and a manifest in one archive, and back again.

The archive is a `.tar.gz`, written owner-only (it holds every citizen's personal data):

    manifest.json      first, so a restore can refuse an archive before unpacking anything
    database.sqlite3   SQLite: an online copy (the backup API, one read snapshot), checked
    database.pgdump    PostgreSQL: `pg_dump -Fc` on a snapshot exported by our own transaction
    file-link.secret   the key of signed file links, when DATA_DIR keeps one (bot.files)
    files/…            the attachments folder (`DATA_DIR/files`), as it is on disk

A backup never changes the live database (no migration, a read-only SQLite connection) and the
bot may keep writing meanwhile. A restore replaces the database and the files folder whole, then
migrates an older schema up to this code's head.
"""

from __future__ import annotations

import asyncio
import contextlib
import gzip
import io
import json
import os
import shutil
import sqlite3
import subprocess
import tarfile
import tempfile
import time
import zlib
from collections.abc import Callable, Iterable, Iterator
from dataclasses import dataclass
from datetime import datetime
from functools import partial
from pathlib import Path, PurePath, PurePosixPath
from typing import Protocol, TypeVar

from alembic.script import ScriptDirectory
from sqlalchemy import String, func, inspect, literal, select, table, text, update
from sqlalchemy.engine import Connection, make_url
from sqlalchemy.ext.asyncio import create_async_engine
from sqlalchemy.pool import NullPool

from bot.config import Settings
from bot.files import LINK_SECRET_FILE
from storage import models as m
from storage.db import alembic_config, migrate

FORMAT = "tiepdan-backup"
FORMAT_VERSION = 1
MANIFEST = "manifest.json"
FILES = "files"
SECRET = LINK_SECRET_FILE  # where bot.files.link_secret keeps a generated key, in DATA_DIR
COUNTED = ("petitions", "petition_events", "deadlines", "outbox", "attachments", "citizens")
COMPRESSION = 6  # gzip's default: level 9 is several times slower for a few per cent
SQLITE_BUSY_SECONDS = 10.0
MAX_MANIFEST_BYTES = 1 << 20
SSL_MODES = {"disable", "allow", "prefer", "require", "verify-ca", "verify-full"}
_T = TypeVar("_T")


class BackupError(Exception):
    """A backup or restore that failed; the message is for the operator and names no person."""

    exit_code = 1


class Refused(BackupError):
    """Not done on purpose: the operator has to change something first."""

    exit_code = 2


@dataclass(frozen=True)
class Snapshot:
    """What a database holds, as far as a backup reports and checks it."""

    revision: str
    counts: dict[str, int]
    local_paths: list[str]  # the stored paths of the attachments' copies


@dataclass(frozen=True)
class Manifest:
    """The archive's description: enough to refuse it, to check it and to move its files."""

    backend: str
    schema_revision: str
    created_at: datetime
    counts: dict[str, int]
    files_dir: str  # DATA_DIR/files as the bot that filed the attachments saw it
    missing_files: int  # attachments whose copy was not on disk when the backup was made

    def to_json(self) -> bytes:
        """The manifest file."""
        fields = {
            "format": FORMAT,
            "version": FORMAT_VERSION,
            "backend": self.backend,
            "schema_revision": self.schema_revision,
            "created_at": self.created_at.isoformat(),
            "counts": self.counts,
            "files_dir": self.files_dir,
            "missing_files": self.missing_files,
        }
        return json.dumps(fields, indent=2).encode()

    @classmethod
    def from_json(cls, data: bytes) -> Manifest:
        """Read a manifest, or say why it is not one of ours."""
        try:
            fields = json.loads(data)
            if fields.get("format") != FORMAT:
                raise BackupError("not a Tiếp Dân backup (its manifest says otherwise)")
            if int(fields["version"]) > FORMAT_VERSION:
                raise Refused("the archive was made by a newer version of the bot: upgrade it")
            return cls(
                backend=str(fields["backend"]),
                schema_revision=str(fields["schema_revision"]),
                created_at=datetime.fromisoformat(fields["created_at"]),
                counts={str(name): int(count) for name, count in fields["counts"].items()},
                files_dir=str(fields["files_dir"]),
                missing_files=int(fields["missing_files"]),
            )
        except (ValueError, KeyError, TypeError, AttributeError) as error:
            raise BackupError(f"the archive's manifest cannot be read ({error!r})") from None


@dataclass(frozen=True)
class Made:
    """A backup written: its manifest, and the attachment files it holds."""

    manifest: Manifest
    files: int
    size: int  # bytes, before compression


@dataclass(frozen=True)
class Restored:
    """A restore done: the archive's manifest, the files put back, and what changed on the way."""

    manifest: Manifest
    files: int
    revision: str  # the schema after the restore (the code's head)
    missing_files: int  # attachments whose copy is not on disk after the restore


class Backend(Protocol):
    """A backend: how to copy its data into an archive, and how to put it back."""

    name: str
    member: str
    url: str

    def describe(self) -> str:
        """The database for a message: a path or a name, never a password."""
        ...

    def dump(self, copy: Path) -> Snapshot:
        """Write a consistent copy of the live database to `copy`."""
        ...

    def check_target(self, archive_revision: str, history: list[str]) -> bool:
        """Refuse a target that cannot be replaced now; say whether it holds any data."""
        ...

    def staging(self, folder: Path) -> Path:
        """Where to unpack the archive's copy before loading it."""
        ...

    def load(self, copy: Path) -> None:
        """Replace the database with the unpacked copy."""
        ...


def make_backup(settings: Settings, out: Path, now: datetime) -> Made:
    """Copy the database, then pack it with the files and the manifest into `out`."""
    if out.is_dir():
        raise Refused(f"{out} is a folder: give the archive's file name")
    if not out.parent.is_dir():
        raise Refused(f"no folder {out.parent} to write into")
    database = backend_for(settings.database_url)
    staging = Path(tempfile.mkdtemp(prefix=f".{out.name}.", dir=out.parent))
    try:
        copy = staging / database.member
        snapshot = database.dump(copy)
        # Listed after the copy: a file is on disk before a row points at it, so every file the
        # copy names is listed. Files that arrive meanwhile come along, unused: no row of the
        # copy points at them (the restored bot fetches those attachments again).
        files = list_files(settings.files_dir)
        manifest = Manifest(
            database.name,
            snapshot.revision,
            now,
            snapshot.counts,
            str(settings.files_dir),
            missing_files(snapshot.local_paths, settings.files_dir, set(files)),
        )
        members = [(copy, database.member)]
        secret = settings.data_dir / SECRET
        if secret.is_file():
            members.append((secret, SECRET))
        members += [(settings.files_dir / name, f"{FILES}/{name}") for name in files]
        written = write_archive(out, manifest.to_json(), members)
    finally:
        shutil.rmtree(staging, ignore_errors=True)
    stored = [info for info in written if info.name.startswith(f"{FILES}/")]
    return Made(manifest, len(stored), sum(info.size for info in stored))


def restore_backup(settings: Settings, archive: Path, confirmed: bool) -> Restored:
    """Replace the database and the files folder with the archive's, then migrate to head."""
    database = backend_for(settings.database_url)
    history = schema_history(settings.database_url)
    with reading(archive) as (tar, stream):
        members = iter(tar)
        manifest = read_manifest(tar, next(members, None))
        check_archive(manifest, database, history)
        check_replaceable(database, settings, manifest.schema_revision, history, confirmed)
        files = put_in_place(tar, members, stream, database, settings)
    check_loaded(on_database(database.url, read_snapshot), manifest)
    if manifest.schema_revision != history[-1]:
        migrate(settings.database_url)
    if manifest.files_dir != str(settings.files_dir):
        on_database(database.url, partial(relink, manifest.files_dir, str(settings.files_dir)))
    paths = on_database(database.url, read_snapshot).local_paths
    missing = sum(1 for path in paths if not Path(path).is_file())
    return Restored(manifest, files, history[-1], missing)


def backend_for(url: str) -> Backend:
    """The backend DATABASE_URL names."""
    if make_url(url).get_backend_name() == "sqlite":
        return SqliteDatabase(url)
    return PostgresDatabase(url)


def schema_history(url: str) -> list[str]:
    """This code's schema revisions, oldest first; the last is the head."""
    script = ScriptDirectory.from_config(alembic_config(url))
    return [revision.revision for revision in script.walk_revisions("base", "heads")][::-1]


def check_archive(manifest: Manifest, database: Backend, history: list[str]) -> None:
    """Refuse an archive this code cannot restore: another backend, or a schema from the future
    (an older bot cannot know what a newer schema means, nor migrate it)."""
    if manifest.backend != database.name:
        raise Refused(
            f"the archive holds a {manifest.backend} database, but DATABASE_URL is {database.name}"
        )
    if manifest.schema_revision not in history:
        raise Refused(
            f"the archive's schema revision {manifest.schema_revision} is newer than this version "
            f"of the bot knows (its latest is {history[-1]}): upgrade the bot, then restore"
        )


def check_replaceable(
    database: Backend, settings: Settings, revision: str, history: list[str], confirmed: bool
) -> None:
    """Refuse a database the backend cannot replace now (in use, newer), and without --yes one
    or a files folder that holds anything."""
    holding = []
    if database.check_target(revision, history):
        holding.append(database.describe())
    if has_files(settings.files_dir):
        holding.append(str(settings.files_dir))
    if holding and not confirmed:
        raise Refused(
            f"{' and '.join(holding)} already hold data, which the restore replaces: run again "
            "with --yes"
        )


def check_loaded(loaded: Snapshot, manifest: Manifest) -> None:
    """The restored database holds what the manifest says it should, table by table."""
    if loaded.revision != manifest.schema_revision:
        raise BackupError(
            f"the restored database is at schema {loaded.revision}, the manifest says "
            f"{manifest.schema_revision}: the archive is inconsistent (and now restored)"
        )
    for name, count in manifest.counts.items():
        if loaded.counts.get(name) != count:
            raise BackupError(
                f"the restored database has {loaded.counts.get(name)} rows in {name}, the manifest "
                f"says {count}: the archive is inconsistent (and now restored)"
            )


def on_database(url: str, work: Callable[[Connection], _T]) -> _T:
    """Run `work` in one transaction through a plain engine: no pragmas, so a SQLite copy is read
    as it is and not turned into a WAL database."""

    async def run() -> _T:
        engine = create_async_engine(url, poolclass=NullPool, hide_parameters=True)
        try:
            async with engine.begin() as connection:
                return await connection.run_sync(work)
        finally:
            await engine.dispose()

    return asyncio.run(run())


def read_snapshot(connection: Connection) -> Snapshot:
    """The schema revision, the row counts and the attachment copies a database holds."""
    if not inspect(connection).has_table("alembic_version"):
        raise BackupError("the database has no schema yet: nothing to back up")
    revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
    counts = {
        name: int(connection.scalar(select(func.count()).select_from(table(name))) or 0)
        for name in COUNTED
    }
    paths = connection.scalars(
        select(m.Attachment.local_path).where(m.Attachment.local_path.is_not(None))
    )
    return Snapshot(str(revision), counts, [str(path) for path in paths])


def relink(old: str, new: str, connection: Connection) -> None:
    """Point the attachments' stored paths into this files folder: they name the folder of the
    bot that downloaded them, which may have had another DATA_DIR or been another machine."""
    old_prefix, new_prefix = old + os.sep, new + os.sep
    stored = m.Attachment.local_path
    connection.execute(
        update(m.Attachment)
        .where(func.substr(stored, 1, len(old_prefix)) == old_prefix)
        .values(
            local_path=literal(new_prefix, String)
            + func.substr(stored, len(old_prefix) + 1, type_=String)
        )
    )


class SqliteDatabase:
    """A SQLite file: copied online with the backup API, restored by replacing the file."""

    name = "sqlite"
    member = "database.sqlite3"

    def __init__(self, url: str) -> None:
        database = make_url(url).database
        if not database or database == ":memory:":
            raise Refused("DATABASE_URL names no SQLite file")
        self.url = url
        self.path = Path(database)

    def describe(self) -> str:
        """The file."""
        return str(self.path)

    def dump(self, copy: Path) -> Snapshot:
        """Copy every page in one step, on one read snapshot of the WAL database (the bot keeps
        writing meanwhile), from a read-only connection; then check the copy."""
        if not self.path.is_file():
            raise BackupError(f"no database at {self.path}")
        source_uri = f"{self.path.resolve().as_uri()}?mode=ro"
        try:
            with (
                contextlib.closing(
                    sqlite3.connect(source_uri, uri=True, timeout=SQLITE_BUSY_SECONDS)
                ) as source,
                contextlib.closing(sqlite3.connect(copy)) as target,
            ):
                source.backup(target)
                target.execute("PRAGMA journal_mode=DELETE")  # one self-contained file
            check_sqlite_copy(copy)
        except sqlite3.Error as error:
            raise BackupError(f"could not copy the database: {error}") from None
        return on_database(sqlite_url(copy), read_snapshot)

    def check_target(self, archive_revision: str, history: list[str]) -> bool:
        """Refuse while any process has the file open (a running bot would keep writing into a
        database that is no longer there); otherwise the file is data when it is not empty."""
        if not self.path.exists():
            return False
        if sqlite_in_use(self.path):
            raise Refused(f"{self.path} is in use (is the bot running?): stop it, then restore")
        return self.path.stat().st_size > 0

    def staging(self, folder: Path) -> Path:
        """Next to the database: the copy takes its place by an atomic rename."""
        self.path.parent.mkdir(parents=True, exist_ok=True)
        return self.path.with_name(f".{self.path.name}.restoring")

    def load(self, copy: Path) -> None:
        """Check the copy, drop the old journals (SQLite would replay them onto the new file),
        and rename the copy into place."""
        try:
            check_sqlite_copy(copy)
        except sqlite3.Error as error:
            raise BackupError(f"the archive's database is damaged: {error}") from None
        for suffix in ("-wal", "-shm", "-journal"):
            Path(f"{self.path}{suffix}").unlink(missing_ok=True)
        os.replace(copy, self.path)


def check_sqlite_copy(path: Path) -> None:
    """`PRAGMA integrity_check`: a damaged copy is worse than none, since it looks like one."""
    with contextlib.closing(sqlite3.connect(path)) as connection:
        verdict = connection.execute("PRAGMA integrity_check").fetchone()
    if verdict != ("ok",):
        raise BackupError(f"the database copy failed its integrity check: {verdict}")


def sqlite_in_use(path: Path) -> bool:
    """Whether another process has the database open. Every connection to a WAL database holds
    a shared lock while it is open, idle or not, so an exclusive lock cannot be had."""
    uri = f"{path.resolve().as_uri()}?mode=rw"
    with contextlib.closing(sqlite3.connect(uri, uri=True, timeout=0)) as connection:
        connection.isolation_level = None
        connection.execute("PRAGMA locking_mode=EXCLUSIVE")
        try:
            connection.execute("BEGIN EXCLUSIVE")
        except sqlite3.OperationalError as error:
            if error.sqlite_errorcode == sqlite3.SQLITE_BUSY:
                return True
            raise
        connection.execute("ROLLBACK")
        return False


def sqlite_url(path: Path) -> str:
    """The async URL of a SQLite file."""
    return f"sqlite+aiosqlite:///{path}"


@dataclass(frozen=True)
class PostgresState:
    """What a target PostgreSQL database holds before a restore."""

    sessions: int  # other connections to it
    tables: int
    revision: str | None


class PostgresDatabase:
    """A PostgreSQL database: `pg_dump -Fc` on an exported snapshot, `pg_restore` in one
    transaction. The client programs must be of the server's major version or newer."""

    name = "postgresql"
    member = "database.pgdump"

    def __init__(self, url: str) -> None:
        self.url = url
        self.parsed = make_url(url)
        if not self.parsed.database:
            raise Refused("DATABASE_URL names no database")

    def describe(self) -> str:
        """The database's name and server."""
        port = f":{self.parsed.port}" if self.parsed.port else ""
        return f"database {self.parsed.database} on {self._host() or 'the local socket'}{port}"

    def connection_arguments(self) -> list[str]:
        """pg_dump's and pg_restore's connection arguments; the password is not one of them (a
        command line is visible to every user of the machine): see environment()."""
        arguments = ["--no-password"]  # never prompt: there is no one to answer
        if self._host():
            arguments += ["--host", self._host()]
        if self.parsed.port:
            arguments += ["--port", str(self.parsed.port)]
        if self.parsed.username:
            arguments += ["--username", self.parsed.username]
        return [*arguments, "--dbname", str(self.parsed.database)]

    def environment(self) -> dict[str, str]:
        """Our environment, with the URL's password in PGPASSWORD and its TLS mode."""
        environment = dict(os.environ)
        if self.parsed.password is not None:
            environment["PGPASSWORD"] = str(self.parsed.password)
        ssl = str(self.parsed.query.get("sslmode") or self.parsed.query.get("ssl") or "")
        if ssl in SSL_MODES:
            environment["PGSSLMODE"] = ssl
        return environment

    def _host(self) -> str:
        return str(self.parsed.host or self.parsed.query.get("host") or "")

    def dump(self, copy: Path) -> Snapshot:
        """Dump on a snapshot our own transaction exports, so the manifest counts the very rows
        the dump holds while the bot keeps writing."""
        return asyncio.run(self._dump(copy, find_program("pg_dump")))

    async def _dump(self, copy: Path, program: str) -> Snapshot:
        engine = create_async_engine(self.url, poolclass=NullPool, hide_parameters=True)
        try:
            async with engine.connect() as connection:
                reader = await connection.execution_options(isolation_level="REPEATABLE READ")
                async with reader.begin():
                    exported = await reader.scalar(text("SELECT pg_export_snapshot()"))
                    snapshot = await reader.run_sync(read_snapshot)
                    command = [program, "--format=custom", f"--file={copy}"]
                    command += [f"--snapshot={exported}", *self.connection_arguments()]
                    await asyncio.to_thread(run_program, command, self.environment())
        finally:
            await engine.dispose()
        return snapshot

    def check_target(self, archive_revision: str, history: list[str]) -> bool:
        """Refuse while others are connected (a running bot would write into the restore), or
        when the database is at a newer schema than the archive (pg_restore would leave the
        newer tables behind); otherwise any table is data."""
        find_program("pg_restore")  # before anything is unpacked
        state = on_database(self.url, postgres_state)
        if state.sessions:
            raise Refused(
                f"{state.sessions} other session(s) are connected to {self.describe()} (is the "
                "bot running?): stop them, then restore"
            )
        revision = state.revision
        if revision and history.index(archive_revision) < _position(revision, history):
            raise Refused(
                f"{self.describe()} is at schema {revision}, newer than the archive's "
                f"{archive_revision}: restore into an empty database (createdb) instead"
            )
        return state.tables > 0

    def staging(self, folder: Path) -> Path:
        """With the files."""
        return folder / self.member

    def load(self, copy: Path) -> None:
        """Replace the archive's tables in one transaction: all of them, or none."""
        command = [find_program("pg_restore"), "--clean", "--if-exists", "--no-owner"]
        command += ["--no-privileges", "--single-transaction", "--exit-on-error"]
        run_program([*command, *self.connection_arguments(), str(copy)], self.environment())


def postgres_state(connection: Connection) -> PostgresState:
    """Other clients of the database (not the server's own workers, such as autovacuum), its
    tables, and its schema revision if it has one."""
    sessions = connection.scalar(
        text(
            "SELECT count(*) FROM pg_stat_activity WHERE datname = current_database() "
            "AND backend_type = 'client backend' AND pid <> pg_backend_pid()"
        )
    )
    tables = connection.scalar(
        text("SELECT count(*) FROM pg_tables WHERE schemaname = current_schema()")
    )
    revision = None
    if inspect(connection).has_table("alembic_version"):
        revision = connection.scalar(text("SELECT version_num FROM alembic_version"))
    return PostgresState(int(sessions or 0), int(tables or 0), revision)


def _position(revision: str, history: list[str]) -> int:
    """A revision's place in the history; one unknown to this code is newer than all of it."""
    return history.index(revision) if revision in history else len(history)


def find_program(name: str) -> str:
    """A PostgreSQL client program on PATH, or a message saying how to get it."""
    found = shutil.which(name)
    if found is None:
        raise BackupError(
            f"{name} not found: install the PostgreSQL client programs (Debian: "
            "postgresql-client) of the server's major version or newer"
        )
    return found


def run_program(command: list[str], environment: dict[str, str]) -> None:
    """Run a client program with no input; on failure, say what the program itself said. Its
    own lines start with its name; the server's CONTEXT lines may quote a row, and are left out."""
    done = subprocess.run(
        command, env=environment, stdin=subprocess.DEVNULL, capture_output=True, check=False
    )
    if done.returncode:
        program = Path(command[0]).name
        said = done.stderr.decode(errors="replace").splitlines()
        own = [line.removeprefix(f"{program}: ") for line in said if line.startswith(program)]
        raise BackupError(f"{program} failed: {'; '.join(own) or 'no message'}")


def list_files(folder: Path) -> list[str]:
    """The regular files under `folder`, as posix paths relative to it, in order."""
    if not folder.is_dir():
        return []
    found = folder.rglob("*")
    return sorted(
        p.relative_to(folder).as_posix() for p in found if p.is_file() and not p.is_symlink()
    )


def archived_name(local_path: str, files_dir: Path) -> str | None:
    """An attachment's copy's name under `files/`, from the path the bot stored for it."""
    prefix = f"{files_dir}{os.sep}"
    if not local_path.startswith(prefix):
        return None
    return PurePath(local_path[len(prefix) :]).as_posix()


def missing_files(local_paths: list[str], files_dir: Path, present: set[str]) -> int:
    """How many attachments' copies are not among the files being archived."""
    return sum(1 for path in local_paths if archived_name(path, files_dir) not in present)


def has_files(folder: Path) -> bool:
    """Whether the folder holds anything."""
    return folder.is_dir() and any(folder.iterdir())


def write_archive(
    out: Path, manifest: bytes, members: Iterable[tuple[Path, str]]
) -> list[tarfile.TarInfo]:
    """Write the archive under a temporary name, owner-only, synced to disk, and give it its
    name only once complete: a failed backup never leaves a file that looks like a good one."""
    partial_out = out.with_name(f"{out.name}.part")
    written: list[tarfile.TarInfo] = []
    try:
        descriptor = os.open(partial_out, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(descriptor, "wb") as raw:
            with tarfile.open(fileobj=raw, mode="w:gz", compresslevel=COMPRESSION) as tar:
                info = tarfile.TarInfo(MANIFEST)
                info.size, info.mtime, info.mode = len(manifest), int(time.time()), 0o600
                tar.addfile(info, io.BytesIO(manifest))
                written = [info, *_add_all(tar, members)]
            raw.flush()
            os.fsync(raw.fileno())
    except BaseException:
        partial_out.unlink(missing_ok=True)
        raise
    partial_out.replace(out)
    return written


def _add_all(
    tar: tarfile.TarFile, members: Iterable[tuple[Path, str]]
) -> Iterator[tarfile.TarInfo]:
    """Add each file, skipping one deleted since it was listed (a generated document purged)."""
    for path, name in members:
        try:
            info = tar.gettarinfo(path, arcname=name)
            with path.open("rb") as source:  # opened before a byte of it is written
                tar.addfile(info, source)
        except FileNotFoundError:
            continue
        yield info


@contextlib.contextmanager
def reading(archive: Path) -> Iterator[tuple[tarfile.TarFile, gzip.GzipFile]]:
    """The archive opened for reading, with its compressed stream (see read_to_the_end); a
    damaged or foreign file becomes one clear error."""
    if not archive.is_file():
        raise Refused(f"no archive {archive}")
    try:
        with (
            gzip.open(archive, "rb") as stream,
            tarfile.open(fileobj=stream, mode="r:") as tar,
        ):
            yield tar, stream
    except (tarfile.TarError, EOFError, zlib.error, gzip.BadGzipFile) as error:
        raise BackupError(f"{archive} is damaged or not a backup archive ({error})") from None


def read_to_the_end(stream: gzip.GzipFile) -> None:
    """Read what tarfile leaves unread (the end-of-archive padding): gzip checks its CRC only
    at the very end, and a damaged photo would show nowhere else."""
    while stream.read(1 << 20):
        pass


def read_manifest(tar: tarfile.TarFile, first: tarfile.TarInfo | None) -> Manifest:
    """The manifest, which must come first."""
    if first is None or first.name != MANIFEST or not first.isfile():
        raise BackupError("not a Tiếp Dân backup: the archive does not start with its manifest")
    source = tar.extractfile(first)
    assert source is not None  # a regular file
    with source:
        return Manifest.from_json(source.read(MAX_MANIFEST_BYTES))


@dataclass(frozen=True)
class Layout:
    """Where a restore unpacks each part of an archive before putting it in place."""

    database_member: str
    database: Path
    files: Path
    secret: Path

    def destination(self, name: str) -> Path | None:
        """Where an archive entry goes; None for anything a backup does not write (or that would
        land outside the folder, such as `files/../x`)."""
        if name == self.database_member:
            return self.database
        if name == SECRET:
            return self.secret
        parts = PurePosixPath(name).parts
        if len(parts) < 2 or parts[0] != FILES or ".." in parts:
            return None
        return self.files.joinpath(*parts[1:])


def put_in_place(
    tar: tarfile.TarFile,
    members: Iterator[tarfile.TarInfo],
    stream: gzip.GzipFile,
    database: Backend,
    settings: Settings,
) -> int:
    """Unpack everything first (a damaged archive changes nothing), then load the database and
    swap in the files folder and the link key; return how many files were restored."""
    settings.data_dir.mkdir(parents=True, exist_ok=True)
    staging = Path(tempfile.mkdtemp(prefix=".restore-", dir=settings.data_dir))
    layout = Layout(database.member, database.staging(staging), staging / FILES, staging / SECRET)
    try:
        files = unpack(tar, members, layout)
        read_to_the_end(stream)
        database.load(layout.database)
        replace_folder(settings.files_dir, layout.files)
        if layout.secret.is_file():
            layout.secret.chmod(0o600)
            os.replace(layout.secret, settings.data_dir / SECRET)
        return files
    finally:
        layout.database.unlink(missing_ok=True)
        shutil.rmtree(staging, ignore_errors=True)


def unpack(tar: tarfile.TarFile, members: Iterator[tarfile.TarInfo], layout: Layout) -> int:
    """Write every entry where the layout says, refusing anything else; count the files."""
    files = 0
    for member in members:
        destination = layout.destination(member.name)
        source = tar.extractfile(member) if member.isfile() else None
        if destination is None or source is None:
            raise BackupError(f"unexpected entry in the archive: {member.name!r}")
        destination.parent.mkdir(parents=True, exist_ok=True)
        with source, destination.open("xb") as target:
            shutil.copyfileobj(source, target)
        os.utime(destination, (member.mtime, member.mtime))  # the purge of old documents uses it
        if destination.is_relative_to(layout.files):
            files += 1
    if not layout.database.is_file():
        raise BackupError("the archive holds no database")
    return files


def replace_folder(folder: Path, new: Path) -> None:
    """Put `new` in the place of `folder`; the old one is deleted once the new one is there."""
    new.mkdir(parents=True, exist_ok=True)  # an archive without files restores an empty folder
    old = folder.with_name(f"{folder.name}.replaced")
    shutil.rmtree(old, ignore_errors=True)
    if folder.exists():
        folder.rename(old)
    new.rename(folder)
    shutil.rmtree(old, ignore_errors=True)
