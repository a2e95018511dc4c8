"""The configuration reference, generated from `bot.config.Settings` when the site is built.

A mkdocs hook (mkdocs.yml, `hooks:`): the page docs/admin/configuration.md holds the marker
`<!-- settings-reference -->`, and the build puts in its place one row per field of `Settings`:
its environment variable, type, default and description. Names, types and defaults come from
the class itself; the description from the field's own `description` when it has one, otherwise
from the comment above the variable in `.env.example` (which documents every setting). Nothing is
copied by hand, so the page cannot drift from the code: a new field shows up at the next build,
and tests/test_docs.py fails while one has no description.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any, Literal, get_args, get_origin

ROOT = Path(__file__).resolve().parents[2]
ENV_EXAMPLE = ROOT / ".env.example"
PAGE = "admin/configuration.md"
MARKER = "<!-- settings-reference -->"

if str(ROOT) not in sys.path:  # `mkdocs build` from a checkout that was not pip-installed
    sys.path.insert(0, str(ROOT))


def joined(lines: list[str]) -> str:
    """Comment lines as one paragraph; a word broken over two lines ("hand-" / "over") is whole."""
    text = ""
    for line in lines:
        if text.endswith("-") and not text.endswith(" -"):
            text += line
        else:
            text = f"{text} {line}" if text else line
    return text


def env_example_comments(text: str) -> dict[str, str]:
    """Each variable of `.env.example` with the comment lines just above it. Variables listed
    one after another under one comment share it; a blank line ends a comment."""
    comments: dict[str, str] = {}
    block: list[str] = []
    after_variable = False
    for raw in text.splitlines():
        line = raw.strip()
        if not line:
            block, after_variable = [], False
        elif line.startswith("#"):
            if after_variable:
                block, after_variable = [], False
            block.append(line.lstrip("#").strip())
        else:
            name, equals, _ = line.partition("=")
            if equals:
                comments[name.strip()] = joined(block)
                after_variable = True
    return comments


def environment_variable(name: str, field: Any, prefix: str) -> str:
    """The variable pydantic-settings reads for a field: its alias, or prefix + name, in capitals
    (the names are case-insensitive; the capitals are how `.env.example` writes them)."""
    alias = field.validation_alias if isinstance(field.validation_alias, str) else field.alias
    return (alias or f"{prefix}{name}").upper()


def type_name(annotation: Any) -> str:
    """A reader's name for a field's type: `text`, `integer`, `one of: a, b`, …"""
    if get_origin(annotation) is Literal:
        return "one of " + ", ".join(f"`{value}`" for value in get_args(annotation))
    names = {
        str: "text",
        int: "integer",
        float: "number",
        bool: "true / false",
        Path: "path",
        type(None): "",
    }
    if annotation in names:
        return names[annotation]
    arguments = [type_name(argument) for argument in get_args(annotation)]
    if get_origin(annotation) is list:
        return f"JSON list of {arguments[0]}s"
    return " or ".join(argument for argument in arguments if argument) or str(annotation)


def limits(field: Any) -> str:
    """The bounds a field's value is checked against (`≥ 1`, `> 0`, `≤ 28`)."""
    signs = {"ge": "≥", "gt": ">", "le": "≤", "lt": "<"}
    found = []
    for constraint in field.metadata:
        for attribute, sign in signs.items():
            value = getattr(constraint, attribute, None)
            if value is not None:
                found.append(f"{sign} {value:g}" if isinstance(value, float) else f"{sign} {value}")
    return ", ".join(found)


def default_text(value: Any) -> str:
    """A default as one would write it in `.env`; empty when unset."""
    if value is None or value == "":
        return "*empty*"
    if isinstance(value, bool):
        return f"`{str(value).lower()}`"
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, list):
        return f"`{json.dumps([int(v) if float(v).is_integer() else v for v in value])}`"
    return f"`{value}`"


def cell(text: str) -> str:
    """Text that keeps a Markdown table's row whole."""
    return text.replace("|", "\\|").replace("\n", " ")


def settings_rows() -> list[dict[str, str]]:
    """One entry per field of `Settings`, in the class's order."""
    from bot.config import Settings

    comments = env_example_comments(ENV_EXAMPLE.read_text(encoding="utf-8"))
    prefix = Settings.model_config.get("env_prefix", "") or ""
    rows = []
    for name, field in Settings.model_fields.items():
        variable = environment_variable(name, field, prefix)
        kind = type_name(field.annotation)
        bounds = limits(field)
        rows.append(
            {
                "field": name,
                "variable": variable,
                "type": f"{kind}, {bounds}" if bounds else kind,
                "default": default_text(field.get_default(call_default_factory=True)),
                "description": (field.description or comments.get(variable, "")).strip(),
            }
        )
    return rows


def settings_reference() -> str:
    """The reference as Markdown: a table, one row a setting (in a block that the site's
    stylesheet keeps the names of on one line)."""
    lines = [
        '<div class="settings-reference" markdown>',
        "",
        "| variable | type | default | what it does |",
        "|---|---|---|---|",
    ]
    for row in settings_rows():
        description = row["description"] or "**not documented** (add it to `.env.example`)"
        lines.append(
            f"| `{row['variable']}` | {cell(row['type'])} | {cell(row['default'])} "
            f"| {cell(description)} |"
        )
    return "\n".join([*lines, "", "</div>"]) + "\n"


def on_page_markdown(markdown: str, page: Any, config: Any, files: Any) -> str:
    """mkdocs: put the reference where the configuration page asks for it."""
    if page.file.src_uri != PAGE:
        return markdown
    if MARKER not in markdown:
        from mkdocs.exceptions import PluginError

        raise PluginError(f"{PAGE} has lost its marker {MARKER}")
    return markdown.replace(MARKER, settings_reference())
