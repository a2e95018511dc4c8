"""Every message the code can show exists in Vietnamese and English, with the same placeholders."""

from __future__ import annotations

import re
import string
from pathlib import Path

import pytest
from babel.messages.extract import extract_from_dir
from babel.messages.pofile import read_po

from bot.i18n import LOCALES, LOCALES_DIR, Catalogues

ROOT = Path(__file__).resolve().parent.parent
KEYWORDS = {"t": None, "N_": None}


def used_message_ids() -> set[str]:
    """Message ids in the code, found the way `make i18n-extract` finds them."""
    found: set[str] = set()
    for folder in ("bot", "handlers"):
        for _file, _line, message, _comments, _context in extract_from_dir(
            ROOT / folder, keywords=KEYWORDS, comment_tags=()
        ):
            if isinstance(message, str):
                found.add(message)
    return found


def catalogue(locale: str) -> dict[str, str]:
    with (LOCALES_DIR / locale / "LC_MESSAGES" / "messages.po").open("rb") as handle:
        return {m.id: m.string for m in read_po(handle) if m.id}


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


def test_code_uses_message_ids_at_all() -> None:
    ids = used_message_ids()
    assert "filing.receipt" in ids and len(ids) > 100


@pytest.mark.parametrize("locale", LOCALES)
def test_every_message_id_is_translated(locale: str) -> None:
    translations = catalogue(locale)
    missing = sorted(i for i in used_message_ids() if not translations.get(i, "").strip())
    assert not missing, f"{locale} lacks translations for: {missing}"


def test_vietnamese_and_english_fill_the_same_placeholders() -> None:
    vietnamese, english = catalogue("vi"), catalogue("en")
    differing = [
        k for k in vietnamese if placeholders(vietnamese[k]) != placeholders(english.get(k, ""))
    ]
    assert not differing


def test_no_catalogue_keeps_a_message_the_code_no_longer_uses() -> None:
    assert not sorted(set(catalogue("vi")) - used_message_ids())


def test_vietnamese_is_really_vietnamese() -> None:
    """A translation that only repeats its id would show the id to a citizen."""
    vietnamese = catalogue("vi")
    assert all(text != key for key, text in vietnamese.items())
    assert re.search("[ăâđêôơư]", vietnamese["menu.file"])


def test_compiled_catalogues_load_and_default_to_vietnamese() -> None:
    catalogues = Catalogues()
    assert catalogues.get(None)("menu.file") == "📝 Gửi đơn"
    assert catalogues.get("en")("menu.file") == "📝 File a petition"
    assert catalogues.get("fr")("menu.file") == "📝 Gửi đơn"
