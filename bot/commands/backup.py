"""`backup` and `restore`: the database, the attachments and a manifest in one archive, and back.

What an archive holds and how each backend is copied: `bot.backup`. Exit codes: 0 done, 1 failed
(nothing replaced unless the message says so), 2 refused (the message says what to change).
"""

from __future__ import annotations

import argparse
import sqlite3
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from sqlalchemy.exc import SQLAlchemyError

from bot.config import Settings

if TYPE_CHECKING:
    from bot.backup import Manifest

# Every command's start would pay for bot.backup's imports (Alembic): they load when it runs.
FAILURES = (SQLAlchemyError, sqlite3.Error, OSError)

# What the counts of the manifest are called in a message, after the petitions.
_NOUNS = {
    "petition_events": "event",
    "deadlines": "deadline",
    "outbox": "outbox message",
    "attachments": "attachment",
    "citizens": "citizen",
}


def configure_backup(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.description = (
        "Write the database, the attachments folder and a manifest into one .tar.gz archive, "
        "consistent while the bot keeps running. The archive holds personal data: it is "
        "written readable by its owner only."
    )
    parser.add_argument(
        "--out", type=Path, required=True, metavar="FILE", help="e.g. tiepdan-2026-03-02.tar.gz"
    )


def configure_restore(parser: argparse.ArgumentParser) -> None:
    """Declare the command's arguments."""
    parser.description = (
        "Replace the database (DATABASE_URL) and the attachments folder (DATA_DIR/files) with "
        "an archive's, then bring the schema up to date. Stop the bot first."
    )
    parser.add_argument("archive", type=Path, metavar="FILE", help="an archive made by backup")
    parser.add_argument(
        "--yes", action="store_true", help="replace the data the database and the folder hold"
    )


def run_backup(args: argparse.Namespace) -> int:
    """Back up and say what the archive holds."""
    from bot.backup import BackupError, make_backup

    try:
        made = make_backup(Settings(), args.out, datetime.now(UTC))
    except (BackupError, *FAILURES) as error:
        return _failed(error)
    manifest = made.manifest
    print(
        f"Backed up {_contents(manifest)} and {_many(made.files, 'file')} "
        f"({made.size / 1e6:.1f} MB), "
        f"{manifest.backend} schema {manifest.schema_revision}, to {args.out}"
    )
    _warn_missing(manifest.missing_files, "the archive has their records only")
    return 0


def run_restore(args: argparse.Namespace) -> int:
    """Restore and say what came back."""
    from bot.backup import BackupError, restore_backup

    try:
        restored = restore_backup(Settings(), args.archive, args.yes)
    except (BackupError, *FAILURES) as error:
        return _failed(error)
    manifest = restored.manifest
    migrated = (
        f", migrated to {restored.revision}"
        if restored.revision != manifest.schema_revision
        else ""
    )
    print(
        f"Restored {_contents(manifest)} and {_many(restored.files, 'file')} from "
        f"{args.archive} (made {manifest.created_at.astimezone(UTC):%Y-%m-%d %H:%M} UTC, "
        f"schema {manifest.schema_revision}{migrated})"
    )
    _warn_missing(
        restored.missing_files,
        "the bot fetches them again from the messenger when needed, if it still has them",
    )
    return 0


def _contents(manifest: Manifest) -> str:
    """`12 petitions (40 events, …)`: counts only, nothing about anyone."""
    counts = manifest.counts
    details = ", ".join(_many(counts.get(table, 0), noun) for table, noun in _NOUNS.items())
    return f"{_many(counts.get('petitions', 0), 'petition')} ({details})"


def _many(count: int, noun: str) -> str:
    return f"{count} {noun}{'' if count == 1 else 's'}"


def _warn_missing(missing: int, consequence: str) -> None:
    if missing:
        print(f"warning: {missing} attachment file(s) missing; {consequence}", file=sys.stderr)


def _failed(error: Exception) -> int:
    """One line on stderr and the exit code; a database error shows its driver's message, not
    the statement SQLAlchemy wraps around it."""
    from bot.backup import BackupError

    cause = getattr(error, "orig", None) or error
    lines = str(cause).strip().splitlines() or [type(cause).__name__]
    print(f"error: {lines[0]}", file=sys.stderr)
    return error.exit_code if isinstance(error, BackupError) else 1
