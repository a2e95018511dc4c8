"""Babel gettext for every user-visible string; Vietnamese first, English second.

Code holds only message ids (`filing.ask_kind`); the words live in `locales/`. A missing compiled
catalogue fails loudly at start-up rather than showing ids to a citizen.
"""

from __future__ import annotations

import dataclasses
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


# A message's variant for messengers without buttons, where every choice is typed (Zalo): the
# message id and this suffix. The variants are listed here, so that extraction keeps them.
TYPED = ".typed"
TYPED_VARIANTS = (
    N_("answer.from_menu.typed"),
    N_("consult.hint.many.typed"),
    N_("filing.ask_content.typed"),
    N_("filing.ask_phone.typed"),
    N_("filing.ask_place.location_hint.typed"),
    N_("filing.ask_place.typed"),
    N_("filing.content.noted.typed"),
    N_("filing.phone.invalid.typed"),
    N_("filing.phone.not_own.typed"),
    N_("filing.place.unsure.typed"),
    N_("filing.receipt.after_accept.typed"),
    N_("filing.receipt.keep_code.typed"),
    N_("filing.receipt.may_be_longer.typed"),
    N_("filing.receipt.typed"),
    N_("filing.review.typed"),
    N_("follow.offer.typed"),
    N_("help.text.typed"),
    N_("input.press_a_button.typed"),
    N_("input.sticker.typed"),
    N_("input.unknown_command.typed"),
    N_("kind.khieu_nai.explain.typed"),
    N_("kind.kien_nghi.explain.typed"),
    N_("kind.phan_anh.explain.typed"),
    N_("kind.to_cao.explain.typed"),
    N_("menu.welcome.typed"),
    N_("officer.confirm.again.typed"),
    N_("privacy.notice.typed"),
    N_("reception_days.bookings.press.typed"),
)


class CatalogueMissing(RuntimeError):
    """The compiled translations are not there: run `make i18n`."""


@dataclass(frozen=True)
class Translator:
    """Translates message ids and formats dates for one locale."""

    locale: str
    translations: Translations
    typed: bool = False  # for a messenger without buttons: prefer the message's TYPED variant

    def __call__(self, message_id: str, /, **params: object) -> str:
        """The message in this locale, with `{name}` placeholders filled."""
        text = self._text(message_id)
        return text.format(**params) if params else text

    def _text(self, message_id: str) -> str:
        if self.typed:
            variant = message_id + TYPED
            text = self.translations.gettext(variant)
            if text != variant:
                return str(text)
        return str(self.translations.gettext(message_id))

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

    def get(self, locale: str | None, *, typed: bool = False) -> Translator:
        """The translator for a locale, Vietnamese when unknown; `typed`: for a messenger where
        every choice is typed (Zalo), whose words never name a button or a keyboard."""
        known = self._translators.get(locale or DEFAULT_LOCALE, self._translators[DEFAULT_LOCALE])
        return dataclasses.replace(known, typed=True) if typed else known
