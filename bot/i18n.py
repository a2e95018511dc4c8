"""Babel gettext for every user-visible string; Vietnamese first, English second.

Code holds only message ids (`filing.ask_kind`); the words live in `locales/`. A missing compiled
catalogue fails loudly at start-up rather than showing ids to a citizen.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from babel.support import Translations

LOCALES = ("vi", "en")
DEFAULT_LOCALE = "vi"
LOCALES_DIR = Path(__file__).resolve().parent.parent / "locales"
DOMAIN = "messages"
LOCAL_TZ = ZoneInfo("Asia/Ho_Chi_Minh")


def N_(message_id: str) -> str:
    """Mark a message id for extraction where it is translated later."""
    return message_id


class CatalogueMissing(RuntimeError):
    """The compiled translations are not there: run `make i18n`."""


@dataclass(frozen=True)
class Translator:
    """Translates message ids and formats dates for one locale."""

    locale: str
    translations: Translations

    def __call__(self, message_id: str, /, **params: object) -> str:
        """The message in this locale, with `{name}` placeholders filled."""
        text = self.translations.gettext(message_id)
        return text.format(**params) if params else text

    def date(self, value: date | datetime) -> str:
        """Dates are dd/MM/yyyy in both locales; a moment is shown as its day in Vietnam."""
        if isinstance(value, datetime):
            value = value.astimezone(LOCAL_TZ).date()
        return value.strftime("%d/%m/%Y")

    def datetime(self, value: datetime) -> str:
        """Local time in Asia/Ho_Chi_Minh, as HH:MM dd/MM/yyyy."""
        return value.astimezone(LOCAL_TZ).strftime("%H:%M %d/%m/%Y")


class Catalogues:
    """All compiled catalogues, loaded once."""

    def __init__(self, directory: Path = LOCALES_DIR) -> None:
        self._translators: dict[str, Translator] = {}
        for locale in LOCALES:
            mo_file = directory / locale / "LC_MESSAGES" / f"{DOMAIN}.mo"
            if not mo_file.exists():
                raise CatalogueMissing(f"{mo_file} is missing: run `make i18n`")
            with mo_file.open("rb") as handle:
                self._translators[locale] = Translator(locale, Translations(handle, DOMAIN))

    def get(self, locale: str | None) -> Translator:
        """The translator for a locale, Vietnamese when unknown."""
        return self._translators.get(locale or DEFAULT_LOCALE, self._translators[DEFAULT_LOCALE])
