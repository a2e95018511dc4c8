"""How people type a choice: without diacritics, in any case, with or without «xã» or «UBND».

An elderly citizen on a cheap phone types «coc dan» for «Xã Cốc Đán», «phu dinh» for «UBND xã
Phú Đình», «số 2» for the second choice. Both sides are folded the same way (`fold`) and then
compared: the same words, or the typed words at the start of a word of the option («coc» finds
«Cốc Đán», «dan» too). Nothing here knows a messenger: options are plain (token, label) pairs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Sequence

# Words that name the kind of a place, not the place: «xã Cốc Đán» is Cốc Đán. Only leading
# ones are dropped («Bản Trang» is a village called Bản Trang, but «ban» is also a word).
_PLACE_KINDS = (
    "ubnd",
    "uy ban nhan dan",
    "dac khu",
    "xa",
    "phuong",
    "thi tran",
    "to dan pho",
    "khu pho",
    "thon",
    "xom",
    "to",
    "ap",
)
_NUMBERED = re.compile(r"(?:so |muc |#)?(\d{1,9})")
_NOT_A_WORD = re.compile(r"[^\w]+")


def fold(text: str) -> str:
    """Lower case, no diacritics (đ is d), no punctuation or emoji, no leading «xã», «UBND»."""
    words = plain(text).split()
    return " ".join(words[_place_kind_words(words) :])


def plain(text: str) -> str:
    """Lower-case words without diacritics (đ is d), punctuation or emoji."""
    return _words(unicodedata.normalize("NFD", text.replace("đ", "d").replace("Đ", "D")), True)


def _marked(text: str) -> str:
    """Lower-case words with their diacritics, without a leading «xã» or «UBND»: «Thạnh An» and
    «Thanh An» are two communes of TP HCM, told apart by whoever types the marks."""
    words = _words(unicodedata.normalize("NFC", text), False).split()
    return " ".join(words[_place_kind_words(plain(text).split()) :])


def _words(text: str, unmarked: bool) -> str:
    if unmarked:
        text = "".join(c for c in text if unicodedata.category(c) != "Mn")
    return " ".join(_NOT_A_WORD.sub(" ", text.casefold()).replace("_", " ").split())


def _place_kind_words(words: list[str]) -> int:
    """How many leading words name kinds of place; never every word («Xóm» alone is a name)."""
    dropped = 0
    while True:
        rest = " ".join(words[dropped:])
        kind = next((k for k in _PLACE_KINDS if rest.startswith(k + " ")), None)
        if kind is None:
            return dropped
        dropped += len(kind.split())


def number_typed(text: str) -> int | None:
    """The number typed to pick the N-th choice: «3», «3.», «số 3», «#3»; None otherwise."""
    match = _NUMBERED.fullmatch(plain(text))
    return int(match.group(1)) if match else None


MIN_SEARCH = 2  # a single letter starts too many names to be a search

# What people type for yes (folded): «có», «đồng ý», «vâng», «ok», «dạ», «ừ».
_YES = frozenset({"co", "dong y", "ok", "oke", "okay", "vang", "da", "da vang", "u", "uh", "yes"})
_STARS = re.compile(r"([1-5])\s*(?:sao|\*+|⭐+)")


def says_yes(text: str) -> bool:
    """«có», «đồng ý», «vâng ạ», «OK»: the person agrees."""
    words = plain(text).removesuffix(" a").removesuffix(" nhe")
    return words in _YES


def stars_typed(text: str) -> int | None:
    """A rating typed as «4 sao», «4*» or «4⭐»; None otherwise."""
    match = _STARS.fullmatch(text.strip().casefold())
    return int(match.group(1)) if match else None


def matching(options: Sequence[tuple[str, str]], typed: str) -> list[str]:
    """The tokens of the options a typed text names: those folded to the same words, or else
    those with a word starting the way the typed words do; [] when it names none."""
    wanted = fold(typed)
    if not wanted:
        return []
    if _marked(typed) != wanted:  # typed with its marks: they tell «Thạnh An» from «Thanh An»
        exactly = [token for token, label in options if _marked(label) == _marked(typed)]
        if len(exactly) == 1:
            return exactly
    folded = [(token, fold(label)) for token, label in options]
    same = [token for token, label in folded if label == wanted]
    if same or len(wanted) < MIN_SEARCH:
        return same
    return [token for token, label in folded if f" {label}".find(f" {wanted}") >= 0]


def clip(text: str, limit: int) -> str:
    """A person's words on one line, cut at a word before `limit` characters with «…», never
    in the middle of one («…xe máy ngã n» reads as a typo)."""
    line = " ".join(text.split())
    if len(line) <= limit:
        return line
    cut = line[: limit - 1]
    return (cut.rsplit(" ", 1)[0] if " " in cut else cut) + "…"
