"""Every migration walks up, down and up again (the stairway test), on SQLite and PostgreSQL."""

from __future__ import annotations

import sqlite3
from collections.abc import Callable
from pathlib import Path

import pytest
from alembic.script import ScriptDirectory

from storage.db import alembic_config, downgrade, migrate
from tests.conftest import postgres_server

Backend = tuple[str, Callable[[], set[str]]]


def sqlite_backend(tmp_path: Path) -> Backend:
    path = tmp_path / "stairway.sqlite3"

    def tables() -> set[str]:
        with sqlite3.connect(path) as connection:
            rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
            return {name for (name,) in rows}

    return f"sqlite+aiosqlite:///{path}", tables


def postgres_backend(tmp_path: Path) -> Backend:
    server = postgres_server()
    name = f"stairway_{abs(hash(str(tmp_path)))}"
    url = server.empty_database(name)

    def tables() -> set[str]:
        listed = server.sql("SELECT tablename FROM pg_tables WHERE schemaname = 'public'", name)
        return set(listed.split())

    return url, tables


@pytest.mark.parametrize("backend", [sqlite_backend, postgres_backend])
def test_stairway(tmp_path: Path, backend: Callable[[Path], Backend]) -> None:
    url, tables = backend(tmp_path)
    revisions = list(
        ScriptDirectory.from_config(alembic_config(url)).walk_revisions("base", "heads")
    )
    for revision in reversed(revisions):
        migrate(url, revision.revision)
        downgrade(url, revision.down_revision or "base")
        migrate(url, revision.revision)
    assert {"petitions", "inbox", "outbox", "conversations", "deadlines"} <= tables()
    downgrade(url, "base")
    assert tables() == {"alembic_version"}


@pytest.mark.parametrize("backend", [sqlite_backend, postgres_backend])
def test_models_and_migrations_agree(tmp_path: Path, backend: Callable[[Path], Backend]) -> None:
    """A model change without its migration fails here, not in production."""
    from alembic import command

    url, _tables = backend(tmp_path)
    migrate(url)
    command.check(alembic_config(url))
