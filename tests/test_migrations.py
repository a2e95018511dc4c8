"""Every migration walks up, down and up again (the stairway test)."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from alembic.script import ScriptDirectory

from storage.db import alembic_config, downgrade, migrate


def tables(path: Path) -> set[str]:
    with sqlite3.connect(path) as connection:
        rows = connection.execute("SELECT name FROM sqlite_master WHERE type = 'table'")
        return {name for (name,) in rows}


def test_stairway_on_sqlite(tmp_path: Path) -> None:
    path = tmp_path / "stairway.sqlite3"
    url = f"sqlite+aiosqlite:///{path}"
    revisions = list(
        ScriptDirectory.from_config(alembic_config(url)).walk_revisions("base", "heads")
    )
    for revision in reversed(revisions):
        migrate(url, revision.revision)
        downgrade(url, revision.down_revision or "base")
        migrate(url, revision.revision)
    assert {"petitions", "inbox", "outbox", "conversations", "deadlines"} <= tables(path)
    downgrade(url, "base")
    assert tables(path) == {"alembic_version"}


def test_models_and_migrations_agree(tmp_path: Path) -> None:
    """A model change without its migration fails here, not in production."""
    from alembic import command

    url = f"sqlite+aiosqlite:///{tmp_path / 'check.sqlite3'}"
    migrate(url)
    command.check(alembic_config(url))
