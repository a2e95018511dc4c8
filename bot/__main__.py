"""`python -m bot [run|officers|invite|deadline|export|report|migrate|backup|restore|org]`: run
the bot, or staff commands."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import logging
import sys
from collections.abc import Coroutine
from typing import Any

from bot import logs
from bot.commands import backup, deadline, export, org, report, staff
from bot.config import Settings

log = logging.getLogger("bot")  # not __name__, which is "__main__" under `python -m bot`

# Commands whose output is their result: warnings and errors only (errors only at LOG_LEVEL=ERROR).
QUIET_COMMANDS = {"officers", "invite", "deadline", "export", "report", "backup", "restore", "org"}


def parser() -> argparse.ArgumentParser:
    """The command line."""
    root = argparse.ArgumentParser(prog="python -m bot", description="Tiếp Dân bot")
    commands = root.add_subparsers(dest="command")
    commands.add_parser("run", help="run the bot (the default)")
    commands.add_parser("migrate", help="bring the database schema up to date")
    staff.configure_officers(
        commands.add_parser("officers", help="list officers and their handles")
    )
    staff.configure_invite(
        commands.add_parser("invite", help="make a one-time invite code for an officer")
    )
    deadline.configure(commands.add_parser("deadline", help="compute a statutory due date"))
    export.configure(
        commands.add_parser("export", help="write a period's petitions to CSV or XLSX")
    )
    report.configure(commands.add_parser("report", help="write a period's report forms to XLSX"))
    backup.configure_backup(
        commands.add_parser("backup", help="archive the database and the attachments")
    )
    backup.configure_restore(commands.add_parser("restore", help="restore a backup archive"))
    org.configure(
        commands.add_parser("org", help="start an organisation file, or check what it lacks")
    )
    return root


def main(argv: list[str] | None = None) -> int:
    """Set up the logs, then run the command. An error that ends it is logged like any other line
    (redacted, see `bot.logs`), not printed raw: its traceback may hold a token (python-telegram-
    bot names a rejected one) or the values of a failed statement."""
    args = parser().parse_args(argv)
    settings = Settings()
    logs.configure(settings, quiet=args.command in QUIET_COMMANDS)
    try:
        return run(args, settings)
    except Exception:
        log.critical("python -m bot %s stopped on an error", args.command or "run", exc_info=True)
        return 1


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Dispatch to the command."""
    if args.command == "deadline":
        return deadline.run(args)
    if args.command == "officers":
        return staff.run_officers(args)
    if args.command == "invite":
        return staff.run_invite(args)
    if args.command == "export":
        return export.run(args)
    if args.command == "report":
        return report.run(args)
    if args.command == "backup":
        return backup.run_backup(args)
    if args.command == "restore":
        return backup.run_restore(args)
    if args.command == "org":
        return org.run(args)
    if args.command == "migrate":
        from storage.db import migrate

        migrate(settings.database_url)
        return 0
    from bot.affinity import pin_process
    from bot.app import serve

    pin_process(settings.cpu_affinity)
    with contextlib.suppress(KeyboardInterrupt):
        run_event_loop(serve(settings))
    return 0


def run_event_loop(main: Coroutine[Any, Any, None]) -> None:
    """Run on uvloop where it is installed (Linux, macOS), else on asyncio's own loop."""
    try:
        import uvloop
    except ImportError:
        asyncio.run(main)
    else:
        uvloop.run(main)


if __name__ == "__main__":
    sys.exit(main())
