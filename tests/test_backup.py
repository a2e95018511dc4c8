"""Backups (issue 7, part 3): `python -m bot backup` while the bot keeps filing, `restore` into a
fresh place, on SQLite and on PostgreSQL; and what a restore refuses."""

from __future__ import annotations

import asyncio
import io
import json
import sqlite3
import subprocess
import tarfile
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from bot.app import Application
from bot.backup import PostgresDatabase, schema_history
from storage import models as m
from storage.db import Database, migrate
from tests.conftest import FakeClock, make_settings, postgres_server
from tests.sandbox_client import SandboxPerson, texts
from tests.test_cli import run_cli

FILER = ("Lục Thị Mai", "+84913222333")
# Columns the outbox changes as it delivers (or claims) a message after it was written: the
# backup may hold a message before it was sent. What was written is compared, not those.
OUTBOX_WRITTEN = ("id", "channel", "chat_id", "payload", "created_at")
# Set by the attachment fetcher once it has our copy; the copy itself is compared instead.
FETCH_STATE = {"local_path", "fetch_attempts"}
TABLES = (m.Petition, m.Deadline, m.PetitionEvent, m.OutboxMessage, m.Attachment)

Rows = dict[str, dict[int, dict[str, Any]]]


def photo(n: int) -> bytes:
    return b"\xff\xd8\xff\xe0" + f"anh so {n} ".encode() * 200


async def file_with_photo(person: SandboxPerson, n: int) -> None:
    """A citizen files a feedback with a photo on the sandbox page, as a person would."""
    lines = await person.say("/start")
    if "dữ liệu cá nhân" in texts(lines):  # the first time: the notice on personal data
        lines = await person.press("Tôi đã hiểu", lines)
    for label in ("Gửi đơn", "Phản ánh", "Y tế", "Phú Đình", "Na Mao"):
        lines = await person.press(label, lines)
    lines = await person.say(f"Trạm y tế xã đóng cửa giờ hành chính, lần {n}.")
    await person.upload(photo(n), f"anh-{n}.jpg", "image/jpeg")
    lines = await person.press("Xong", lines)
    lines = await person.press("Gửi kèm họ tên", lines)
    if "Dùng thông tin này" in str(lines):  # filed before: the bot offers what it was told
        lines = await person.press("Dùng thông tin này", lines)
    else:
        lines = await person.say(FILER[0])
        lines = await person.act({"kind": "contact", "phone": FILER[1]})
        lines = await person.press("Bỏ qua", lines)
    await person.press("Gửi đơn", lines)


async def keep_filing(person: SandboxPerson, stop: asyncio.Event) -> None:
    n = 100
    while not stop.is_set():
        await file_with_photo(person, n)
        n += 1


async def read_rows(db: Database) -> Rows:
    async with db.snapshot() as session:
        return {
            model.__tablename__: {
                row["id"]: dict(row)
                for row in (await session.execute(select(model.__table__))).mappings()
            }
            for model in TABLES
        }


async def read_database(url: str) -> Rows:
    db = Database(url)
    try:
        return await read_rows(db)
    finally:
        await db.close()


def comparable(table: str, row: dict[str, Any]) -> dict[str, Any]:
    if table == "outbox":
        return {column: row[column] for column in OUTBOX_WRITTEN}
    if table == "attachments":
        return {column: value for column, value in row.items() if column not in FETCH_STATE}
    return row


async def count_petitions(db: Database) -> int:
    async with db.snapshot() as session:
        return int(await session.scalar(select(func.count()).select_from(m.Petition)) or 0)


def cli(folder: Path, url: str, *args: str) -> subprocess.CompletedProcess[str]:
    """The command line, on the database `url` with its files in `folder`/data."""
    folder.mkdir(parents=True, exist_ok=True)
    return run_cli(folder, *args, DATABASE_URL=url, DATA_DIR=str(folder / "data"))


def sqlite_url(folder: Path) -> str:
    return f"sqlite+aiosqlite:///{folder / 'bot.sqlite3'}"


def empty_url(backend: str, folder: Path) -> str:
    """A place to restore into: no file yet, or a database with no tables."""
    if backend == "postgresql":
        return postgres_server().empty_database(f"restored_{abs(hash(str(folder)))}")
    return sqlite_url(folder)


def live_url(backend: str, folder: Path) -> str:
    if backend == "postgresql":
        return postgres_server().fresh_database(str(folder))
    return sqlite_url(folder)


def manifest_of(archive: Path) -> dict[str, Any]:
    with tarfile.open(archive, "r:gz") as tar:
        first = tar.next()
        assert first is not None and first.name == "manifest.json"
        source = tar.extractfile(first)
        assert source is not None
        return dict(json.load(source))


@pytest.mark.parametrize("backend", ["sqlite", "postgresql"])
async def test_a_backup_made_while_the_bot_files_restores_whole_elsewhere(
    tmp_path: Path, http: aiohttp.ClientSession, clock: FakeClock, backend: str
) -> None:
    live, elsewhere, archive = tmp_path / "live", tmp_path / "elsewhere", tmp_path / "b.tar.gz"
    url = live_url(backend, live)
    app = Application(make_settings(live, sandbox=True, database_url=url), clock=clock)
    await app.start()
    try:
        for n, chat in enumerate(("citizen-1", "citizen-1", "citizen-2")):
            await file_with_photo(SandboxPerson(app, http, chat), n)
        await app.fetcher.fetch_missing()
        settled = await read_rows(app.db)

        stop = asyncio.Event()
        writer = asyncio.create_task(keep_filing(SandboxPerson(app, http, "citizen-3"), stop))
        before = await count_petitions(app.db)
        backed_up = await asyncio.to_thread(cli, live, url, "backup", "--out", str(archive))
        during = await count_petitions(app.db) - before
        in_use = await asyncio.to_thread(cli, live, url, "restore", str(archive), "--yes")
        stop.set()
        await writer
        await app.fetcher.fetch_missing()
        live_rows = await read_rows(app.db)
    finally:
        await app.stop()
    assert backed_up.returncode == 0, backed_up.stderr
    assert during > 0, "the bot filed nothing while the backup ran"
    assert in_use.returncode == 2 and "stop" in in_use.stderr  # the running bot's database

    restored_url = empty_url(backend, elsewhere)
    restored = cli(elsewhere, restored_url, "restore", str(archive))
    assert restored.returncode == 0, restored.stderr
    rows = await read_database(restored_url)
    # Restoring again over what is there now replaces it with the same.
    again = cli(elsewhere, restored_url, "restore", str(archive), "--yes")
    assert again.returncode == 0, again.stderr
    assert await read_database(restored_url) == rows

    # What was settled before the backup came back identical, photos included.
    for table, before_rows in settled.items():
        for row_id, row in before_rows.items():
            assert comparable(table, rows[table][row_id]) == comparable(table, row), table
    for row_id in settled["attachments"]:
        copy = Path(rows["attachments"][row_id]["local_path"])
        assert copy.is_relative_to(elsewhere / "data" / "files")
        assert copy.read_bytes() == Path(settled["attachments"][row_id]["local_path"]).read_bytes()

    # What was being filed meanwhile came back whole or not at all: every row is the live one,
    # and each petition has all its deadlines, events and attachments and its receipt.
    for table, restored_rows in rows.items():
        for row_id, row in restored_rows.items():
            assert comparable(table, row) == comparable(table, live_rows[table][row_id]), table
    for table in ("deadlines", "petition_events", "attachments"):
        for petition_id in rows["petitions"]:
            assert children(rows, table, petition_id) == children(live_rows, table, petition_id)
    outbox = json.dumps([row["payload"] for row in rows["outbox"].values()], ensure_ascii=False)
    assert all(petition["code"] in outbox for petition in rows["petitions"].values())
    for row in rows["attachments"].values():
        if row["local_path"] is not None:
            live_copy = Path(live_rows["attachments"][row["id"]]["local_path"])
            assert Path(row["local_path"]).read_bytes() == live_copy.read_bytes()

    manifest = manifest_of(archive)
    assert manifest["backend"] == backend and manifest["missing_files"] == 0
    assert manifest["counts"]["petitions"] == len(rows["petitions"]) >= len(settled["petitions"])
    assert manifest["counts"]["outbox"] == len(rows["outbox"])
    for output in (backed_up, restored):
        said = output.stdout + output.stderr
        assert not any(trace in said for trace in (*FILER, "0913222333", "Trạm y tế"))


def children(rows: Rows, table: str, petition_id: int) -> set[int]:
    return {row["id"] for row in rows[table].values() if row["petition_id"] == petition_id}


async def test_restore_asks_for_yes_before_replacing_data_then_puts_the_archive_back(
    tmp_path: Path, http: aiohttp.ClientSession, clock: FakeClock
) -> None:
    settings = make_settings(tmp_path, sandbox=True, database_url=sqlite_url(tmp_path))
    files = settings.files_dir
    for n in range(2):  # one petition, a backup, then another petition
        app = Application(settings, clock=clock)
        await app.start()
        try:
            await file_with_photo(SandboxPerson(app, http, "citizen-1"), n)
            await app.fetcher.fetch_missing()
        finally:
            await app.stop()
        if n == 0:
            archived = sorted(p.relative_to(files) for p in files.rglob("*") if p.is_file())
            backup = cli(tmp_path, settings.database_url, "backup", "--out", "b.tar.gz")
            assert backup.returncode == 0, backup.stderr

    both = sorted(p.relative_to(files) for p in files.rglob("*") if p.is_file())
    refused = cli(tmp_path, settings.database_url, "restore", "b.tar.gz")
    assert refused.returncode == 2 and "--yes" in refused.stderr
    db = Database(settings.database_url)
    try:
        assert await count_petitions(db) == 2
    finally:
        await db.close()
    assert sorted(p.relative_to(files) for p in files.rglob("*") if p.is_file()) == both

    restored = cli(tmp_path, settings.database_url, "restore", "b.tar.gz", "--yes")
    assert restored.returncode == 0, restored.stderr
    assert "Restored 1 petition (" in restored.stdout
    db = Database(settings.database_url)
    try:
        assert await count_petitions(db) == 1
    finally:
        await db.close()
    assert sorted(p.relative_to(files) for p in files.rglob("*") if p.is_file()) == archived


@pytest.fixture(scope="module")
def older_archive(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A backup of a database one schema revision behind this code's head."""
    folder = tmp_path_factory.mktemp("older")
    url = sqlite_url(folder)
    migrate(url, schema_history(url)[-2])
    made = cli(folder, url, "backup", "--out", str(folder / "older.tar.gz"))
    assert made.returncode == 0, made.stderr
    with sqlite3.connect(folder / "bot.sqlite3") as live:  # a backup never migrates
        assert (
            live.execute("SELECT version_num FROM alembic_version").fetchone()[0]
            == (schema_history(url)[-2])
        )
    return folder / "older.tar.gz"


def test_an_older_archive_is_restored_then_migrated_to_head(
    tmp_path: Path, older_archive: Path
) -> None:
    url = sqlite_url(tmp_path)
    head = schema_history(url)[-1]
    result = cli(tmp_path, url, "restore", str(older_archive))
    assert result.returncode == 0, result.stderr
    assert f"migrated to {head}" in result.stdout
    with sqlite3.connect(tmp_path / "bot.sqlite3") as restored:
        assert restored.execute("SELECT version_num FROM alembic_version").fetchone()[0] == head
        assert restored.execute("PRAGMA integrity_check").fetchone()[0] == "ok"


def test_an_archive_from_a_newer_bot_is_refused(tmp_path: Path, older_archive: Path) -> None:
    newer = tmp_path / "newer.tar.gz"
    with tarfile.open(older_archive, "r:gz") as source, tarfile.open(newer, "w:gz") as target:
        for member in source:
            data = source.extractfile(member).read()  # type: ignore[union-attr]
            if member.name == "manifest.json":
                data = json.dumps({**json.loads(data), "schema_revision": "9999"}).encode()
                member.size = len(data)
            target.addfile(member, io.BytesIO(data))
    result = cli(tmp_path, sqlite_url(tmp_path), "restore", str(newer))
    assert result.returncode == 2
    assert "9999 is newer than this version of the bot knows" in result.stderr
    assert not (tmp_path / "bot.sqlite3").exists()


def test_a_damaged_archive_is_a_clear_error_and_changes_nothing(
    tmp_path: Path, older_archive: Path
) -> None:
    data = older_archive.read_bytes()
    truncated, flipped, foreign = (tmp_path / f"{name}.tar.gz" for name in ("cut", "bit", "txt"))
    truncated.write_bytes(data[: len(data) // 2])
    middle = len(data) // 2
    flipped.write_bytes(data[:middle] + bytes([data[middle] ^ 0x10]) + data[middle + 1 :])
    foreign.write_bytes(b"not an archive at all")
    for archive in (truncated, flipped, foreign):
        result = cli(tmp_path, sqlite_url(tmp_path), "restore", str(archive))
        assert result.returncode == 1
        assert f"{archive} is damaged or not a backup archive" in result.stderr
        assert result.stdout == ""
    assert not (tmp_path / "bot.sqlite3").exists()
    assert not (tmp_path / "data" / "files").exists()


def test_pg_dump_gets_the_password_by_environment_only_and_must_be_installed(
    tmp_path: Path,
) -> None:
    database = PostgresDatabase(
        "postgresql+asyncpg://bot:s3cret@db.example:5433/tiepdan?ssl=require"
    )
    arguments = database.connection_arguments()
    assert arguments == [
        "--no-password",
        "--host",
        "db.example",
        "--port",
        "5433",
        "--username",
        "bot",
        "--dbname",
        "tiepdan",
    ]
    environment = database.environment()
    assert environment["PGPASSWORD"] == "s3cret" and environment["PGSSLMODE"] == "require"

    url = "postgresql+asyncpg://bot:s3cret@127.0.0.1:1/tiepdan"
    (tmp_path / "no-programs").mkdir()
    result = run_cli(
        tmp_path,
        "backup",
        "--out",
        "b.tar.gz",
        DATABASE_URL=url,
        PATH=str(tmp_path / "no-programs"),
    )
    assert result.returncode == 1 and "pg_dump not found" in result.stderr
    assert "s3cret" not in result.stdout + result.stderr
