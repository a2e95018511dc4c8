"""The documentation site (mkdocs.yml, docs/): the configuration reference is generated from
`Settings` and names every field; the guide shows the browser test's screenshots; the README's
links and the pages' pictures lead somewhere in the repository. `make test` builds the site
itself with `mkdocs build --strict`."""

from __future__ import annotations

import importlib.util
import re
from pathlib import Path
from types import ModuleType

from bot.config import Settings
from tests.test_sandbox_browser import SCREENSHOTS

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
HOOK = DOCS / "hooks" / "settings_reference.py"
LINK = re.compile(r"\]\(([^)\s]+)\)")


def hook() -> ModuleType:
    """docs/hooks/settings_reference.py, loaded as mkdocs loads it: from its file."""
    spec = importlib.util.spec_from_file_location("settings_reference", HOOK)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def test_the_configuration_reference_names_every_setting_with_its_variable_and_meaning() -> None:
    reference = hook().settings_reference()
    rows = {
        line.split("|")[1].strip(" `"): line
        for line in reference.splitlines()
        if line.startswith("| `")
    }
    assert len(rows) == len(Settings.model_fields)
    for name in Settings.model_fields:
        variable = name.upper()
        assert variable in rows, f"{variable} is missing from the configuration reference"
        assert "not documented" not in rows[variable], (
            f"{variable} has no description: add a comment above it in .env.example"
        )
    assert "| `TELEGRAM_BOT_TOKEN` | text | *empty* | Telegram bot token" in reference
    assert "| `HTTP_PORT` | integer | `8080` |" in reference
    assert "| `REPORT_CUTOFF_DAY` | integer, ≥ 1, ≤ 28 | `15` |" in reference
    assert "| `LOG_FORMAT` | one of `text`, `json` | `text` |" in reference
    assert "| `DIALOGUE_REMINDER_HOURS` | JSON list of numbers | `[24, 2]` |" in reference


def test_the_configuration_page_is_generated_at_build_time() -> None:
    module = hook()
    page = (DOCS / module.PAGE).read_text(encoding="utf-8")
    assert page.count(module.MARKER) == 1
    assert "docs/hooks/settings_reference.py" in (ROOT / "mkdocs.yml").read_text(encoding="utf-8")

    class File:
        src_uri = module.PAGE

    class Page:
        file = File()

    built = module.on_page_markdown(page, Page(), None, None)
    assert module.MARKER not in built
    assert "`ZALO_OA_REFRESH_TOKEN`" in built and "`KEEP_DRAFTS_DAYS`" in built


def test_a_comment_in_env_example_describes_the_variables_under_it() -> None:
    comments = hook().env_example_comments(
        "# Header.\n\n# Send limits: overall and per\n# chat.\nA=1\nB=2\n# Next one-\n# line.\nC=\n"
    )
    assert comments == {
        "A": "Send limits: overall and per chat.",
        "B": "Send limits: overall and per chat.",
        "C": "Next one-line.",
    }


def test_the_user_guide_shows_every_screenshot_of_the_browser_test() -> None:
    guide = "\n".join(
        page.read_text(encoding="utf-8") for page in sorted((DOCS / "guide").glob("*.md"))
    )
    for name in SCREENSHOTS:
        assert f"../img/{name}" in guide, f"the guide does not show {name}"
        assert (DOCS / "img" / name).stat().st_size > 0, f"docs/img/{name} is missing"


def test_links_lead_to_files_in_the_repository() -> None:
    """The README's links into docs/ and every page's links and pictures resolve, and nothing
    points outside the repository."""
    pages = [ROOT / "README.md", *DOCS.rglob("*.md")]
    for page in pages:
        text = page.read_text(encoding="utf-8")
        for target in LINK.findall(text):
            if re.match(r"[a-z]+:", target) or target.startswith("#"):
                continue
            path = (page.parent / target.split("#")[0]).resolve()
            assert path.is_relative_to(ROOT), f"{page.name}: {target} leaves the repository"
            assert path.exists(), f"{page.name}: {target} does not exist"
