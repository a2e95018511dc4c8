"""`org init` and `org check`: start a province's organisation file from the official list of
administrative units, and say what it still lacks.

    python -m bot org init --province "Thái Nguyên" > org.toml   # or --output org.toml
    python -m bot org check --file org.toml                       # ORG_FILE by default

`init` writes every commune and ward of the province with its official code, name and type
(`bot.provinces`); the administrator adds offices, villages and officers, and runs `check` until
it exits 0. `check` also reports what makes a file unreadable, with where.
"""

from __future__ import annotations

import argparse
import sys
import tomllib
from pathlib import Path

from bot.app import load_organisation
from bot.config import Settings
from bot.domain.org import OrganisationError, gaps, parse_organisation
from bot.provinces import UnknownProvince, org_skeleton


def configure(parser: argparse.ArgumentParser) -> None:
    """`init` and `check`."""
    actions = parser.add_subparsers(dest="org_action", required=True)
    init = actions.add_parser("init", help="write an organisation file from the official list")
    init.add_argument(
        "--province",
        required=True,
        help='name or official code: "Thái Nguyên", "thai nguyen", "TP HCM", 79',
    )
    init.add_argument("--output", type=Path, help="write here (never over a file); default: print")
    check = actions.add_parser("check", help="say what an organisation file still lacks")
    check.add_argument("--file", type=Path, help="the organisation file (default: ORG_FILE)")


def run(args: argparse.Namespace) -> int:
    """Dispatch to `init` or `check`."""
    if args.org_action == "init":
        return run_init(args.province, args.output)
    return run_check(args.file or Settings().org_file)


def run_init(province: str, output: Path | None) -> int:
    """Print or write the skeleton; 2 when the province is unknown or the file exists."""
    try:
        text = org_skeleton(province, load_organisation(None).fields)
    except UnknownProvince as error:
        print(f"org init: {error}", file=sys.stderr)
        return 2
    if output is None:
        sys.stdout.write(text)
        return 0
    try:
        with output.open("x", encoding="utf-8") as handle:
            handle.write(text)
    except FileExistsError:
        print(f"org init: {output} exists; not overwritten", file=sys.stderr)
        return 2
    print(f"org init: wrote {output}", file=sys.stderr)
    return 0


def run_check(path: Path | None) -> int:
    """Print each gap of the file (or why it cannot be read); 0 only when nothing is missing."""
    if path is None:
        print("org check: no file: pass --file or set ORG_FILE", file=sys.stderr)
        return 2
    try:
        org = parse_organisation(tomllib.loads(path.read_text(encoding="utf-8")))
    except KeyError as error:
        print(f"org check: {path}: a table lacks its {error} key")
        return 1
    except (OSError, tomllib.TOMLDecodeError, OrganisationError) as error:
        print(f"org check: {path} cannot be read: {error}")
        return 1
    missing = gaps(org)
    for line in missing:
        print(line)
    communes, villages = len(org.communes()), len(org.areas)
    summary = f"{communes} communes, {villages} villages, {len(org.officers)} officers"
    verdict = f"{len(missing)} things missing" if missing else "nothing missing"
    print(f"org check: {path}: {summary}; {verdict}")
    return 1 if missing else 0
