"""Log lines for people (the default) or for a log collector (LOG_FORMAT=json), at LOG_LEVEL.

Nothing personal or secret is logged, at any level: our own log calls name officers by handle,
petitions by code or id, chats by channel, and count the rest (docs/operations/index.md, on
privacy).
The libraries are another matter, so two defences stand between them and the journal:

* Their loggers are held at a level where they print no data, whatever LOG_LEVEL says
  (`LIBRARY_FLOORS`). Below it, httpx (python-telegram-bot's HTTP client) prints every URL it
  calls, the bot token in it; httpcore traces each connection; python-telegram-bot prints its API
  URL, token included, and the parameters and answer of every call (a denouncer's name, phone and
  story on their way to the officer who resolves it); aiosqlite every statement's parameters.
  python-telegram-bot also logs raw data above that level (updates it could not parse, an answer
  that was not JSON): the arguments of its records are withheld. (aiohttp, our Zalo client and
  web server, logs neither the URLs it calls nor the bodies it reads; we turn its access log off.)
* Every line is redacted as it is written, traceback included: the values `hide` was given
  (the settings' tokens and secrets, the database password, Zalo OA tokens as they are issued)
  and anything shaped like a secret (`SHAPES`) become `***`. `python -m bot` logs the error that
  ends it the same way, rather than letting Python print it raw.

The JSON form adds no fields of its own beyond time, level, logger and message, and the
exception when there is one.
"""

from __future__ import annotations

import json
import logging
import re
from datetime import UTC, datetime
from typing import TextIO

from bot.config import Settings

HUMAN_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"
HIDDEN = "***"

# The least level each library logs at, whatever LOG_LEVEL says (see the module docstring).
LIBRARY_FLOORS = {
    "httpx": logging.WARNING,
    "httpcore": logging.WARNING,
    "telegram": logging.INFO,
    "aiosqlite": logging.WARNING,
}
# Loggers whose records keep their message but lose their arguments, at every level.
WITHHELD = "telegram"

# What we cannot know beforehand, by its shape (the first group is kept, the rest of the match
# hidden): a bot token in a Bot API URL (`{api}/bot{token}/{method}` and `{api}/file/bot{token}/…`,
# Telegram's and Zalo's), a signed file link (`/files/{token}.{signature}/{name}`), a password in a
# URL (`scheme://user:password@`), and the values of a failed statement in SQLAlchemy's errors.
SHAPES = (
    re.compile(r"(://\S*?/bot)[^/\s'\"]+"),
    re.compile(r"(/files/)[\w-]+\.[\w-]+"),
    re.compile(r"(://[^/\s:@]+:)[^/\s]+(?=@)"),
    re.compile(r"(\[parameters: ).*?(?=\]$)", re.MULTILINE),
)
# Shorter values would blank out ordinary words (and guard nothing a guess would not find).
SHORTEST_HIDDEN = 4

_hidden: set[str] = set()
_known: re.Pattern[str] | None = None


def hide(*values: str) -> None:
    """From now on, these values are `***` in every log line (e.g. a token just issued)."""
    global _known
    new = {value for value in values if len(value) >= SHORTEST_HIDDEN} - _hidden
    if new:
        _hidden.update(new)
        # The longest first, so that a secret holding another is hidden whole.
        ordered = sorted(_hidden, key=len, reverse=True)
        _known = re.compile("|".join(map(re.escape, ordered)))


def redact(text: str) -> str:
    """The text with every hidden value and every secret-shaped part replaced by `***`."""
    if _known is not None:
        text = _known.sub(HIDDEN, text)
    for shape in SHAPES:
        # A function, not a template: a template is compiled on first use, and a line logged
        # while the interpreter shuts down can no longer import what that needs.
        text = shape.sub(_keep_prefix, text)
    return text


def _keep_prefix(match: re.Match[str]) -> str:
    return match[1] + HIDDEN


def _withheld(record: logging.LogRecord) -> logging.LogRecord:
    """The record, or for a `WITHHELD` logger a copy that has its message but no arguments."""
    if not record.args or not (record.name == WITHHELD or record.name.startswith(WITHHELD + ".")):
        return record
    copy = logging.makeLogRecord(record.__dict__)
    copy.msg, copy.args = f"{record.msg} [arguments withheld]", None
    return copy


class HumanLines(logging.Formatter):
    """`HUMAN_FORMAT`, redacted."""

    def __init__(self) -> None:
        super().__init__(HUMAN_FORMAT)

    def format(self, record: logging.LogRecord) -> str:
        return redact(super().format(_withheld(record)))


class JsonLines(logging.Formatter):
    """One JSON object per line, its text redacted."""

    def format(self, record: logging.LogRecord) -> str:
        record = _withheld(record)
        line = {
            "time": datetime.fromtimestamp(record.created, UTC).isoformat(timespec="milliseconds"),
            "level": record.levelname,
            "logger": record.name,
            "message": redact(record.getMessage()),
        }
        if record.exc_info:
            line["exception"] = redact(self.formatException(record.exc_info))
        return json.dumps(line, ensure_ascii=False)


def configure(settings: Settings, *, quiet: bool = False, stream: TextIO | None = None) -> None:
    """Set up the root logger for the whole process (again: the previous set-up is replaced).

    `quiet` (a command whose output is its result) logs warnings and worse only. Lines go to
    `stream`, standard error by default."""
    level = logging.getLevelNamesMapping()[settings.log_level]
    if quiet:
        level = max(level, logging.WARNING)
    hide(*settings.secret_values)
    handler = logging.StreamHandler(stream)
    handler.setFormatter(JsonLines() if settings.log_format == "json" else HumanLines())
    logging.basicConfig(level=level, handlers=[handler], force=True)
    for name, floor in LIBRARY_FLOORS.items():
        logging.getLogger(name).setLevel(max(floor, level))
